//! The ReplicaSet controller: creates and deletes pods to match `spec.replicas` and reports
//! replicas / fullyLabeledReplicas / readyReplicas / availableReplicas / observedGeneration.
use std::cmp::Reverse;
use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::events::{Ev, Recorder};
use super::obj;
use crate::sim::store_api::{SimStore, kinds};

const COMPONENT: &str = "replicaset-controller";
/// At most this many pods are created per ReplicaSet per round (the real controller batches).
const BURST: i64 = 500;

pub fn reconcile(store: &dyn SimStore, rec: &mut Recorder) {
    let pods = store.list_shared(kinds::POD, None);
    let mut owned: HashMap<&str, Vec<&Value>> = HashMap::new();
    for p in pods.iter().filter(|p| obj::is_pod_active(p)) {
        if let Some(uid) = obj::controller_uid(p) {
            owned.entry(uid).or_default().push(&**p);
        }
    }
    for rs in store.list(kinds::REPLICA_SET, None) {
        if obj::is_deleting(&rs) {
            continue;
        }
        let mine = owned.remove(obj::uid(&rs)).unwrap_or_default();
        sync_one(store, rec, &rs, &mine);
    }
}

fn sync_one(store: &dyn SimStore, rec: &mut Recorder, rs: &Value, pods: &[&Value]) {
    let want = rs["spec"]["replicas"].as_i64().unwrap_or(1);
    let have = i64::try_from(pods.len()).unwrap_or(i64::MAX);
    if want > have {
        for _ in 0..(want - have).min(BURST) {
            let pod = obj::pod_from_template(&rs["spec"]["template"], rs, None);
            if !create_pod(store, rec, rs, COMPONENT, pod) {
                break;
            }
        }
    } else if want < have {
        let mut ranked: Vec<&Value> = pods.to_vec();
        ranked.sort_by_key(|p| deletion_rank(p));
        for p in ranked.iter().take(usize::try_from(have - want).unwrap_or(0)) {
            if crate::sim::server::delete::delete_pod(store, obj::namespace(p), obj::name(p)).is_ok() {
                rec.record(store, Ev::normal(rs, COMPONENT, "SuccessfulDelete", format!("Deleted pod: {}", obj::name(p))));
            }
        }
    }
    write_status(store, rs, pods);
}

/// Admits and creates a pod for `owner`, recording SuccessfulCreate or FailedCreate as the
/// workload controllers do; false when it failed (the caller stops creating this round).
pub(super) fn create_pod(store: &dyn SimStore, rec: &mut Recorder, owner: &Value, component: &'static str, mut pod: Value) -> bool {
    let admitted = crate::sim::admission::admit_create(store, &mut pod, "pods").map_err(|e| e.to_string());
    match admitted.and_then(|()| store.create(pod).map_err(|e| e.to_string())) {
        Ok(p) => {
            rec.record(store, Ev::normal(owner, component, "SuccessfulCreate", format!("Created pod: {}", obj::name(&p))));
            true
        }
        Err(e) => {
            rec.record(store, Ev::warning(owner, component, "FailedCreate", format!("Error creating: {e}")));
            false
        }
    }
}

/// Pods deleted first sort first: unscheduled, pending, not ready, more restarts, newest.
fn deletion_rank(p: &Value) -> (bool, u8, bool, Reverse<i64>, Reverse<String>) {
    let assigned = p["spec"]["nodeName"].as_str().is_some_and(|n| !n.is_empty());
    let phase = match p["status"]["phase"].as_str() {
        Some("Pending") | None => 0,
        Some("Running") => 2,
        _ => 1,
    };
    let restarts = p["status"]["containerStatuses"].as_array().map(|a| a.iter().map(|c| obj::int(c, "/restartCount")).sum()).unwrap_or(0);
    let created = p["metadata"]["creationTimestamp"].as_str().unwrap_or_default().to_string();
    (assigned, phase, obj::is_pod_ready(p), Reverse(restarts), Reverse(created))
}

fn write_status(store: &dyn SimStore, rs: &Value, pods: &[&Value]) {
    let now = chrono::Utc::now();
    let min_ready = obj::int(rs, "/spec/minReadySeconds");
    let template_labels = rs["spec"]["template"]["metadata"]["labels"].as_object().cloned().unwrap_or_default();
    let labelled = pods.iter().filter(|p| template_labels.iter().all(|(k, v)| p["metadata"]["labels"][k] == *v)).count();
    let ready = pods.iter().filter(|p| obj::is_pod_ready(p)).count();
    let available = pods.iter().filter(|p| obj::is_pod_available(p, min_ready, now)).count();
    let mut status = Map::new();
    status.insert("replicas".into(), json!(pods.len()));
    for (key, n) in [("fullyLabeledReplicas", labelled), ("readyReplicas", ready), ("availableReplicas", available)] {
        if n > 0 {
            status.insert(key.into(), json!(n));
        }
    }
    status.insert("observedGeneration".into(), json!(obj::int(rs, "/metadata/generation")));
    let status = Value::Object(status);
    if rs["status"] != status {
        let mut next = rs.clone();
        next["status"] = status;
        let _ = store.update_status(next);
    }
}
