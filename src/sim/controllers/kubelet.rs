//! The kubelet and scheduler stand-in: binds pods to nodes and walks them through
//! Pending → ContainerCreating → Running → Ready, one step per `Behavior::pod_step`. Bad images
//! crash-loop with a growing restartCount; unknown tags alternate ErrImagePull/ImagePullBackOff.
use std::collections::{BTreeSet, HashMap, HashSet};
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
        let nodes = store.list_shared(kinds::NODE, None);
        let mut load = Load::new(&nodes, &pods);
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
                Stage::Unscheduled => step.schedule(pod, &mut load),
                Stage::Starting if super::kubelet_finish::runs_to_end(pod, behavior) => step.finish(pod),
                _ => step.advance(pod, stage),
            }
        }
        super::kubelet_stop::reconcile(&mut self.timers, &mut live, Step { store, behavior, rec }, &pods);
        self.timers.retain(|k, _| live.contains(k));
    }
}

/// The schedulable nodes with how many pods each has, least loaded first (ties in name
/// order): placing a pod looks at the nodes in that order and takes the first that fits, so a
/// pod costs a few comparisons, not a pass over every node.
struct Load<'a> {
    all: &'a [std::sync::Arc<Value>],
    /// Schedulable nodes in name order, with their pod counts.
    nodes: Vec<(&'a Value, usize)>,
    order: BTreeSet<(usize, usize)>,
}

impl<'a> Load<'a> {
    fn new(all: &'a [std::sync::Arc<Value>], pods: &[std::sync::Arc<Value>]) -> Self {
        let mut nodes: Vec<(&Value, usize)> = all.iter().map(|n| &**n).filter(|n| schedulable(n)).map(|n| (n, 0)).collect();
        nodes.sort_by(|a, b| obj::name(a.0).cmp(obj::name(b.0)));
        let index: HashMap<&str, usize> = nodes.iter().enumerate().map(|(i, (n, _))| (obj::name(n), i)).collect();
        for p in pods {
            if let Some(&i) = p["spec"]["nodeName"].as_str().and_then(|n| index.get(n)) {
                nodes[i].1 += 1;
            }
        }
        let order = nodes.iter().enumerate().map(|(i, (_, c))| (*c, i)).collect();
        Self { all, nodes, order }
    }

    /// The least loaded node `pod` fits on (counted as one more pod there).
    fn place(&mut self, pod: &Value) -> Option<String> {
        let &(count, i) = self.order.iter().find(|(_, i)| super::scheduling::fits(pod, self.nodes[*i].0))?;
        self.order.remove(&(count, i));
        self.order.insert((count + 1, i));
        self.nodes[i].1 = count + 1;
        Some(obj::name(self.nodes[i].0).to_string())
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

fn statuses(pod: &Value) -> &[Value] {
    pod["status"]["containerStatuses"].as_array().map(Vec::as_slice).unwrap_or_default()
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

fn containers(pod: &Value) -> &[Value] {
    pod["spec"]["containers"].as_array().map(Vec::as_slice).unwrap_or_default()
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

    fn schedule(mut self, pod: &Value, load: &mut Load<'_>) {
        let Some(node) = load.place(pod) else {
            self.event(pod, true, "FailedScheduling", super::scheduling::unschedulable_message(pod, load.all), None);
            return;
        };
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::Load;

    fn node(name: &str, labels: serde_json::Value, unschedulable: bool) -> Arc<serde_json::Value> {
        Arc::new(json!({"metadata": {"name": name, "labels": labels}, "spec": {"unschedulable": unschedulable}}))
    }

    fn pod_on(node: &str) -> Arc<serde_json::Value> {
        Arc::new(json!({"metadata": {"name": "p"}, "spec": {"nodeName": node}}))
    }

    #[test]
    fn pods_go_to_the_least_loaded_node_that_fits_ties_in_name_order() {
        let nodes = vec![
            node("c", json!({}), false),
            node("a", json!({"disk": "ssd"}), false),
            node("b", json!({}), false),
            node("d", json!({}), true),
        ];
        let pods = vec![pod_on("a"), pod_on("a"), pod_on("c"), pod_on("d")];
        let mut load = Load::new(&nodes, &pods);
        let plain = json!({"spec": {}});
        // a: 2, b: 0, c: 1; d is cordoned and never chosen.
        let placed: Vec<String> = (0..5).map(|_| load.place(&plain).unwrap()).collect();
        assert_eq!(placed, ["b", "b", "c", "a", "b"]);
        // A selector only a matches: a, however loaded.
        let ssd = json!({"spec": {"nodeSelector": {"disk": "ssd"}}});
        assert_eq!(load.place(&ssd).as_deref(), Some("a"));
        let nowhere = json!({"spec": {"nodeSelector": {"disk": "tape"}}});
        assert_eq!(load.place(&nowhere), None);
        // The counts stayed right: a 4, b 3, c 2 → c next.
        assert_eq!(load.place(&plain).as_deref(), Some("c"));
    }
}
