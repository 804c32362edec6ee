//! The kubelet's part of graceful pod deletion. A pod with `deletionTimestamp` and a grace
//! period is Terminating: the kubelet sends its containers SIGTERM ("Killing" events); the
//! simulated containers exit after one pod step (`Behavior::pod_step`, 300 ms by default) or
//! the grace period if that is shorter — or, with the annotation `sim.cabin.dev/ignore-sigterm:
//! "true"`, only when the grace period ends (SIGKILL, exit code 137). Then the containers are
//! terminated, the pod reaches its terminal phase, and the kubelet's final delete (grace 0)
//! removes it, or leaves it with `deletionGracePeriodSeconds: 0` while finalizers remain.
use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::kubelet::Step;
use super::obj;
use crate::sim::store_api::kinds;

pub const IGNORE_SIGTERM: &str = "sim.cabin.dev/ignore-sigterm";
const STOPPING: &str = "Stopping";

/// Pods whose containers the kubelet still has to stop.
fn stopping(pod: &Value) -> bool {
    obj::is_deleting(pod)
        && pod["metadata"]["deletionGracePeriodSeconds"].as_i64().unwrap_or(0) > 0
        && pod["spec"]["nodeName"].as_str().is_some_and(|n| !n.is_empty())
}

fn ignores_sigterm(pod: &Value) -> bool {
    obj::annotation(pod, IGNORE_SIGTERM) == Some("true")
}

/// Advances every Terminating pod; their uids go into `live` (their timers are kept).
pub(super) fn reconcile(
    timers: &mut HashMap<String, (String, Instant)>,
    live: &mut HashSet<String>,
    mut step: Step<'_>,
    pods: &[std::sync::Arc<Value>],
) {
    for pod in pods.iter().filter(|p| stopping(p)) {
        let uid = obj::uid(pod).to_string();
        live.insert(uid.clone());
        let fresh = timers.get(&uid).is_none_or(|(k, _)| k != STOPPING);
        if fresh {
            timers.insert(uid.clone(), (STOPPING.to_string(), Instant::now()));
            for c in pod["spec"]["containers"].as_array().into_iter().flatten() {
                let name = c["name"].as_str().unwrap_or_default();
                step.event(pod, false, "Killing", format!("Stopping container {name}"), Some(name));
            }
        }
        let grace = Duration::from_secs(u64::try_from(pod["metadata"]["deletionGracePeriodSeconds"].as_i64().unwrap_or(0)).unwrap_or(0));
        let killed = ignores_sigterm(pod);
        let delay = if killed { grace } else { grace.min(step.behavior.pod_step()) };
        if timers.get(&uid).is_some_and(|(_, since)| since.elapsed() >= delay) {
            timers.remove(&uid);
            live.remove(&uid);
            finish(&step, pod, killed);
        }
    }
}

/// Containers terminated, the terminal phase, then the kubelet's final delete.
fn finish(step: &Step<'_>, pod: &Value, killed: bool) {
    let now = obj::now_rfc3339();
    let (code, reason) = if killed { (137, "Error") } else { (0, "Completed") };
    let mut next = pod.clone();
    if let Some(cs) = next["status"]["containerStatuses"].as_array_mut() {
        for c in cs.iter_mut() {
            let started = c["state"]["running"]["startedAt"].clone();
            c["state"] = json!({"terminated": {"exitCode": code, "reason": reason, "startedAt": started, "finishedAt": now,
                "containerID": c["containerID"]}});
            c["ready"] = json!(false);
            c["started"] = json!(false);
        }
    }
    next["status"]["phase"] = json!(if killed { "Failed" } else { "Succeeded" });
    super::kubelet_containers::set_ready(&mut next, false, false, &now);
    let store = step.store;
    let stopped = store.update_status(next).unwrap_or_else(|_| pod.clone());
    let mut last = stopped;
    last["metadata"]["deletionGracePeriodSeconds"] = json!(0);
    let held = last["metadata"]["finalizers"].as_array().is_some_and(|f| !f.is_empty());
    if held {
        let _ = store.update(last);
    } else {
        let _ = store.delete(kinds::POD, obj::namespace(pod), obj::name(pod));
    }
}
