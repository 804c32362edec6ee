//! The DaemonSet controller: one pod per eligible Node (the Nodes in the store that match
//! `nodeSelector` and whose `NoSchedule`/`NoExecute` taints the pod tolerates), pinned by node
//! affinity as upstream does; RollingUpdate replaces outdated pods at most `maxUnavailable`
//! at a time (OnDelete waits for deletions). Revisions are ControllerRevisions
//! `<ds>-<hash>` and pods carry `controller-revision-hash`, so `kubectl rollout status` and
//! `rollout history` read them like on a real cluster.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::events::{Ev, Recorder};
use super::obj;
use crate::sim::store_api::{SimStore, kinds};

const COMPONENT: &str = "daemonset-controller";
const REV_LABEL: &str = "controller-revision-hash";

pub fn reconcile(store: &dyn SimStore, rec: &mut Recorder) {
    let sets = store.list(kinds::DAEMON_SET, None);
    if sets.is_empty() {
        return;
    }
    let nodes = store.list(kinds::NODE, None);
    for ds in sets.iter().filter(|d| !obj::is_deleting(d)) {
        let pods: Vec<Value> = store
            .list(kinds::POD, obj::namespace(ds))
            .into_iter()
            .filter(|p| obj::controller_uid(p) == Some(obj::uid(ds)) && !obj::is_deleting(p))
            .collect();
        sync_one(store, rec, ds, &nodes, &pods);
    }
}

/// The hash of the current template's ControllerRevision (made the newest, as for StatefulSets).
fn revision(store: &dyn SimStore, ds: &Value) -> String {
    let name = super::statefulset::update_revision(store, ds);
    name.rsplit('-').next().unwrap_or_default().to_string()
}

fn new_pod(ds: &Value, node: &str, hash: &str) -> Value {
    let mut pod = obj::pod_from_template(&ds["spec"]["template"], ds, None);
    let labels = obj::object_at(&mut pod, &["metadata", "labels"]);
    labels[REV_LABEL] = json!(hash);
    labels["pod-template-generation"] = json!(obj::int(ds, "/metadata/generation").to_string());
    let term = json!({"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]});
    obj::object_at(&mut pod, &["spec", "affinity", "nodeAffinity"])["requiredDuringSchedulingIgnoredDuringExecution"] =
        json!({"nodeSelectorTerms": [term]});
    pod
}

fn node_of(p: &Value) -> &str {
    super::scheduling::pinned_node(p).unwrap_or_else(|| p["spec"]["nodeName"].as_str().unwrap_or_default())
}

fn sync_one(store: &dyn SimStore, rec: &mut Recorder, ds: &Value, nodes: &[Value], pods: &[Value]) {
    let hash = revision(store, ds);
    let spec = &ds["spec"]["template"]["spec"];
    let wanted: Vec<&str> = nodes.iter().filter(|n| super::scheduling::eligible(spec, n)).map(obj::name).collect();
    let mut by_node: BTreeMap<&str, Vec<&Value>> = BTreeMap::new();
    for p in pods {
        by_node.entry(node_of(p)).or_default().push(p);
    }
    let delete = |rec: &mut Recorder, p: &Value| {
        if crate::sim::server::delete::delete_pod(store, obj::namespace(p), obj::name(p)).is_ok() {
            rec.record(store, Ev::normal(ds, COMPONENT, "SuccessfulDelete", format!("Deleted pod: {}", obj::name(p))));
        }
    };
    let misscheduled = by_node.iter().filter(|(n, _)| !wanted.contains(n)).map(|(_, l)| l.len()).sum();
    // Pods on nodes that no longer want one, failed pods, and duplicates go.
    for (node, list) in &by_node {
        let keep = wanted.contains(node);
        for (i, p) in list.iter().enumerate() {
            let failed = p["status"]["phase"] == "Failed";
            if !keep || failed || i > 0 {
                delete(rec, p);
            }
        }
    }
    for node in wanted.iter().filter(|n| !by_node.contains_key(*n)) {
        if !super::replicaset::create_pod(store, rec, ds, COMPONENT, new_pod(ds, node, &hash)) {
            break;
        }
    }
    let current: Vec<&Value> = wanted.iter().filter_map(|n| by_node.get(n).and_then(|l| l.first().copied())).collect();
    if ds["spec"]["updateStrategy"]["type"] != "OnDelete" {
        let max_unavailable = max_unavailable(ds, wanted.len());
        let unavailable = wanted.len().saturating_sub(current.iter().filter(|p| obj::is_pod_ready(p)).count());
        let budget = max_unavailable.saturating_sub(unavailable);
        let outdated = current.iter().filter(|p| p["metadata"]["labels"][REV_LABEL] != hash.as_str());
        // Not-ready outdated pods go first, they cost no availability.
        let (unready, ready): (Vec<&&Value>, Vec<&&Value>) = outdated.partition(|p| !obj::is_pod_ready(p));
        for p in unready {
            delete(rec, p);
        }
        for p in ready.into_iter().take(budget) {
            delete(rec, p);
        }
    }
    write_status(store, ds, &current, wanted.len(), &hash, misscheduled);
}

/// `maxUnavailable` (a count or a percentage of the desired pods, rounded up; at least 1).
fn max_unavailable(ds: &Value, desired: usize) -> usize {
    let v = &ds["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"];
    let n = match v {
        Value::String(s) => {
            let pct: usize = s.trim_end_matches('%').parse().unwrap_or(0);
            (desired * pct).div_ceil(100)
        }
        other => other.as_u64().and_then(|n| usize::try_from(n).ok()).unwrap_or(1),
    };
    n.max(1)
}

fn write_status(store: &dyn SimStore, ds: &Value, current: &[&Value], desired: usize, hash: &str, misscheduled: usize) {
    let now = chrono::Utc::now();
    let min_ready = obj::int(ds, "/spec/minReadySeconds");
    let count = |f: &dyn Fn(&Value) -> bool| current.iter().filter(|p| f(p)).count();
    let ready = count(&obj::is_pod_ready);
    let available = count(&|p: &Value| obj::is_pod_available(p, min_ready, now));
    let updated = count(&|p: &Value| p["metadata"]["labels"][REV_LABEL] == hash);
    let mut status = json!({
        "currentNumberScheduled": current.len(), "desiredNumberScheduled": desired,
        "numberMisscheduled": misscheduled, "numberReady": ready,
        "observedGeneration": obj::int(ds, "/metadata/generation"), "updatedNumberScheduled": updated,
    });
    if available > 0 {
        status["numberAvailable"] = json!(available);
    }
    if desired > available {
        status["numberUnavailable"] = json!(desired - available);
    }
    if ds["status"] != status {
        let mut next = ds.clone();
        next["status"] = status;
        let _ = store.update_status(next);
    }
}
