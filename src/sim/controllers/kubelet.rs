//! The kubelet and scheduler stand-in: binds pods to nodes and walks them through
//! Pending → ContainerCreating → Running → Ready, one step per `Behavior::pod_step`. Bad images
//! crash-loop with a growing restartCount; unknown tags alternate ErrImagePull/ImagePullBackOff.
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::events::{Ev, Recorder};
use super::kubelet_containers::{cond, hex, not_ready, set_ready, waiting_cs};
use super::obj;
use crate::sim::scenario::Behavior;
use crate::sim::store_api::{SimStore, kinds};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Unscheduled,
    Creating,
    PullError,
    PullBackOff,
    Starting,
    CrashBackOff,
    Ready,
}

#[derive(Default)]
pub struct Kubelet {
    /// pod uid → (stage key, when the pod entered it).
    timers: HashMap<String, (String, Instant)>,
}

impl Kubelet {
    /// Whether some pod is waiting for a timed step.
    pub fn busy(&self) -> bool {
        !self.timers.is_empty()
    }

    pub fn reconcile(&mut self, store: &dyn SimStore, behavior: &Behavior, rec: &mut Recorder) {
        let pods = store.list_shared(kinds::POD, None);
        let nodes = store.list(kinds::NODE, None);
        let mut load: BTreeMap<String, usize> = nodes.iter().filter(|n| schedulable(n)).map(|n| (obj::name(n).to_string(), 0)).collect();
        for p in &pods {
            if let Some(count) = p["spec"]["nodeName"].as_str().and_then(|n| load.get_mut(n)) {
                *count += 1;
            }
        }
        let mut live = HashSet::new();
        for pod in pods.iter().filter(|p| obj::is_pod_active(p)) {
            let stage = stage_of(pod);
            if stage == Stage::Ready {
                continue;
            }
            let restarts = max_restarts(pod);
            let key = format!("{stage:?}:{restarts}");
            let delay = match stage {
                Stage::PullBackOff | Stage::CrashBackOff => backoff(behavior, restarts),
                _ => behavior.pod_step(),
            };
            let uid = obj::uid(pod).to_string();
            live.insert(uid.clone());
            let entry = self.timers.entry(uid).or_insert_with(|| (key.clone(), Instant::now()));
            if entry.0 != key {
                *entry = (key, Instant::now());
            }
            if entry.1.elapsed() < delay {
                continue;
            }
            let step = Step { store, behavior, rec };
            entry.1 = Instant::now();
            match stage {
                Stage::Unscheduled => step.schedule(pod, &mut load, &nodes),
                Stage::Starting if super::kubelet_finish::runs_to_end(pod, behavior) => step.finish(pod),
                _ => step.advance(pod, stage),
            }
        }
        super::kubelet_stop::reconcile(&mut self.timers, &mut live, Step { store, behavior, rec }, &pods);
        self.timers.retain(|k, _| live.contains(k));
    }
}

/// Not cordoned and not reporting NotReady (a node without conditions is taken as ready).
fn schedulable(node: &Value) -> bool {
    let not_ready =
        node["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Ready" && c["status"] != "True"));
    node["spec"]["unschedulable"] != true && !not_ready
}

pub(super) fn backoff(b: &Behavior, restarts: i64) -> Duration {
    let exp = u32::try_from(restarts.clamp(1, 16) - 1).unwrap_or(0);
    Duration::from_millis(b.backoff_ms.saturating_mul(1u64 << exp).min(b.max_backoff_ms.max(b.backoff_ms)))
}

fn max_restarts(pod: &Value) -> i64 {
    statuses(pod).iter().map(|c| obj::int(c, "/restartCount")).max().unwrap_or(0)
}

fn statuses(pod: &Value) -> Vec<Value> {
    pod["status"]["containerStatuses"].as_array().cloned().unwrap_or_default()
}

fn stage_of(pod: &Value) -> Stage {
    if pod["spec"]["nodeName"].as_str().is_none_or(str::is_empty) {
        return Stage::Unscheduled;
    }
    let cs = statuses(pod);
    let waiting = |r: &str| cs.iter().any(|c| c["state"]["waiting"]["reason"] == r);
    if cs.is_empty() || waiting("ContainerCreating") {
        Stage::Creating
    } else if waiting("ErrImagePull") {
        Stage::PullError
    } else if waiting("ImagePullBackOff") {
        Stage::PullBackOff
    } else if waiting("CrashLoopBackOff") {
        Stage::CrashBackOff
    } else if obj::is_pod_ready(pod) {
        Stage::Ready
    } else {
        Stage::Starting
    }
}

pub(super) struct Step<'a> {
    pub(super) store: &'a dyn SimStore,
    pub(super) behavior: &'a Behavior,
    pub(super) rec: &'a mut Recorder,
}

fn containers(pod: &Value) -> Vec<Value> {
    pod["spec"]["containers"].as_array().cloned().unwrap_or_default()
}

impl Step<'_> {
    pub(super) fn event(&mut self, pod: &Value, warning: bool, reason: &'static str, message: String, container: Option<&str>) {
        let host = pod["spec"]["nodeName"].as_str();
        let fp = container.map(|c| format!("spec.containers{{{c}}}"));
        let component = if reason == "Scheduled" || reason == "FailedScheduling" { "default-scheduler" } else { "kubelet" };
        let ev = if warning { Ev::warning(pod, component, reason, message) } else { Ev::normal(pod, component, reason, message) };
        let ev = if reason == "Scheduled" || reason == "FailedScheduling" { ev } else { ev.on_host(host, fp) };
        self.rec.record(self.store, ev);
    }

    fn schedule(mut self, pod: &Value, load: &mut BTreeMap<String, usize>, nodes: &[Value]) {
        let fits = |name: &str| nodes.iter().find(|n| obj::name(n) == name).is_some_and(|n| super::scheduling::fits(pod, n));
        let candidates = load.iter_mut().filter(|(n, _)| fits(n));
        let Some((node, count)) = candidates.min_by_key(|(_, c)| **c) else {
            self.event(pod, true, "FailedScheduling", super::scheduling::unschedulable_message(pod, nodes), None);
            return;
        };
        *count += 1;
        let node = node.clone();
        let mut bound = pod.clone();
        bound["spec"]["nodeName"] = json!(node);
        let Ok(mut bound) = self.store.update(bound) else {
            return;
        };
        let now = obj::now_rfc3339();
        let node_idx: u32 = node.bytes().fold(0u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b))) % 250;
        let mut st = bound["status"].clone();
        st["phase"] = json!("Pending");
        st["conditions"] = json!([
            cond("PodReadyToStartContainers", false, &now),
            cond("Initialized", true, &now),
            not_ready(&bound, &now, "Ready"),
            not_ready(&bound, &now, "ContainersReady"),
            cond("PodScheduled", true, &now)
        ]);
        st["hostIP"] = json!(format!("172.20.{node_idx}.10"));
        st["startTime"] = json!(now);
        st["containerStatuses"] =
            json!(containers(&bound).iter().map(|c| waiting_cs(c, "ContainerCreating", None, 0, &json!({}))).collect::<Vec<_>>());
        let ns = obj::namespace(&bound).unwrap_or("default");
        let msg = format!("Successfully assigned {ns}/{} to {node}", obj::name(&bound));
        bound["status"] = st;
        if let Ok(done) = self.store.update_status(bound) {
            self.event(&done, false, "Scheduled", msg, None);
        }
    }

    fn advance(mut self, pod: &Value, stage: Stage) {
        let now = obj::now_rfc3339();
        let mut next = pod.clone();
        let old = statuses(pod);
        let mut new_cs = Vec::new();
        for (i, c) in containers(pod).iter().enumerate() {
            let prev = old.get(i).cloned().unwrap_or_else(|| json!({}));
            new_cs.push(self.container_step(pod, c, &prev, stage));
        }
        let all_ready = !new_cs.is_empty() && new_cs.iter().all(|c| c["ready"] == true);
        let any_running = new_cs.iter().any(|c| !c["state"]["running"].is_null());
        let st = &mut next["status"];
        st["containerStatuses"] = json!(new_cs);
        if any_running || old.iter().any(|c| obj::int(c, "/restartCount") > 0) {
            st["phase"] = json!("Running");
            if st["podIP"].is_null() {
                let h = hex(obj::uid(pod));
                let b = h.as_bytes();
                let ip = format!("10.244.{}.{}", b[1] % 3, 2 + u32::from(b[0] ^ b[2]) % 250);
                st["podIP"] = json!(ip);
                st["podIPs"] = json!([{"ip": ip}]);
            }
        }
        set_ready(&mut next, all_ready, any_running, &now);
        let _ = self.store.update_status(next);
    }
}
