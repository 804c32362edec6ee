//! The StatefulSet controller (OrderedReady): pods `<sts>-0..N-1` created in order and removed
//! from the highest ordinal, each waiting for the others to be Ready; RollingUpdate replaces
//! pods from the highest ordinal down to `partition`, one at a time. Revisions are
//! ControllerRevisions named `<sts>-<hash>`, as `kubectl rollout history` reads them.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::events::{Ev, Recorder};
use super::obj;
use crate::sim::store_api::{SimStore, kinds};

const COMPONENT: &str = "statefulset-controller";
const REV_LABEL: &str = "controller-revision-hash";

pub fn reconcile(store: &dyn SimStore, rec: &mut Recorder) {
    for sts in store.list(kinds::STATEFUL_SET, None) {
        if obj::is_deleting(&sts) {
            continue;
        }
        let ns = obj::namespace(&sts);
        let pods: Vec<Value> = store
            .list_shared(kinds::POD, ns)
            .into_iter()
            .filter(|p| obj::controller_uid(p) == Some(obj::uid(&sts)) && obj::is_pod_active(p))
            .map(std::sync::Arc::unwrap_or_clone)
            .collect();
        sync_one(store, rec, &sts, &pods);
    }
}

fn ordinal(sts: &Value, pod: &Value) -> Option<i64> {
    obj::name(pod).strip_prefix(&format!("{}-", obj::name(sts)))?.parse().ok()
}

/// Ensures the ControllerRevision of the current template exists and is the newest; returns its name.
pub(super) fn update_revision(store: &dyn SimStore, sts: &Value) -> String {
    let hash = obj::template_hash(&sts["spec"]["template"], obj::int(sts, "/status/collisionCount"));
    let name = format!("{}-{hash}", obj::name(sts));
    let ns = obj::namespace(sts);
    let owned: Vec<Value> =
        store.list(kinds::CONTROLLER_REVISION, ns).into_iter().filter(|r| obj::controller_uid(r) == Some(obj::uid(sts))).collect();
    let max = owned.iter().map(|r| obj::int(r, "/revision")).max().unwrap_or(0);
    match owned.iter().find(|r| obj::name(r) == name) {
        Some(r) if obj::int(r, "/revision") == max => {}
        Some(r) => {
            let mut r = r.clone();
            r["revision"] = json!(max + 1);
            let _ = store.update(r);
        }
        None => {
            let mut template = sts["spec"]["template"].clone();
            template["$patch"] = json!("replace");
            let mut labels = sts["spec"]["template"]["metadata"]["labels"].clone();
            labels[REV_LABEL] = json!(hash);
            let cr = json!({"apiVersion": "apps/v1", "kind": "ControllerRevision",
                "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": [obj::controller_ref(sts)]},
                "data": {"spec": {"template": template}}, "revision": max + 1});
            let _ = store.create(cr);
        }
    }
    name
}

fn template_of(store: &dyn SimStore, sts: &Value, rev: &str) -> Value {
    let mut t = store
        .get(kinds::CONTROLLER_REVISION, obj::namespace(sts), rev)
        .map(|r| r["data"]["spec"]["template"].clone())
        .unwrap_or_else(|| sts["spec"]["template"].clone());
    if let Some(m) = t.as_object_mut() {
        m.remove("$patch");
    }
    t
}

fn new_pod(store: &dyn SimStore, sts: &Value, ord: i64, rev: &str) -> Value {
    let name = format!("{}-{ord}", obj::name(sts));
    let mut pod = obj::pod_from_template(&template_of(store, sts, rev), sts, Some(&name));
    let labels = &mut pod["metadata"]["labels"];
    if !labels.is_object() {
        *labels = json!({});
    }
    labels[REV_LABEL] = json!(rev);
    labels["statefulset.kubernetes.io/pod-name"] = json!(name);
    labels["apps.kubernetes.io/pod-index"] = json!(ord.to_string());
    pod["spec"]["hostname"] = json!(name);
    if let Some(svc) = sts["spec"]["serviceName"].as_str() {
        pod["spec"]["subdomain"] = json!(svc);
    }
    pod
}

fn say(store: &dyn SimStore, rec: &mut Recorder, sts: &Value, reason: &'static str, verb: &str, pod: &str) {
    let msg = format!("{verb} Pod {pod} in StatefulSet {} successful", obj::name(sts));
    rec.record(store, Ev::normal(sts, COMPONENT, reason, msg));
}

fn sync_one(store: &dyn SimStore, rec: &mut Recorder, sts: &Value, pods: &[Value]) {
    let replicas = sts["spec"]["replicas"].as_i64().unwrap_or(1);
    let update_rev = update_revision(store, sts);
    let current_rev = sts["status"]["currentRevision"].as_str().filter(|s| !s.is_empty()).unwrap_or(&update_rev).to_string();
    let by_ord: BTreeMap<i64, &Value> = pods.iter().filter_map(|p| ordinal(sts, p).map(|o| (o, p))).collect();
    let partition = sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"].as_i64().unwrap_or(0);
    let rolling = sts["spec"]["updateStrategy"]["type"] != "OnDelete";
    let all_ready = by_ord.values().all(|p| obj::is_pod_ready(p));
    let say = |rec: &mut Recorder, reason, verb, pod: &str| say(store, rec, sts, reason, verb, pod);
    if let Some(ord) = (0..replicas).find(|o| !by_ord.contains_key(o)) {
        if all_ready {
            let rev = if ord < partition { &current_rev } else { &update_rev };
            let mut pod = new_pod(store, sts, ord, rev);
            match crate::sim::admission::admit_create(store, &mut pod, "pods") {
                Ok(()) => {
                    if let Ok(p) = store.create(pod) {
                        say(rec, "SuccessfulCreate", "create", obj::name(&p));
                    }
                }
                Err(e) => {
                    let msg = format!("create Pod {} in StatefulSet {} failed error: {e}", obj::name(&pod), obj::name(sts));
                    rec.record(store, Ev::warning(sts, COMPONENT, "FailedCreate", msg));
                }
            }
        }
    } else if let Some((_, p)) = by_ord.iter().rev().find(|(o, _)| **o >= replicas) {
        if all_ready && crate::sim::server::delete::delete_pod(store, obj::namespace(p), obj::name(p)).is_ok() {
            say(rec, "SuccessfulDelete", "delete", obj::name(p));
        }
    } else if rolling && all_ready {
        let stale = (partition.max(0)..replicas)
            .rev()
            .find_map(|o| by_ord.get(&o).filter(|p| p["metadata"]["labels"][REV_LABEL] != update_rev.as_str()));
        if let Some(p) = stale
            && crate::sim::server::delete::delete_pod(store, obj::namespace(p), obj::name(p)).is_ok()
        {
            say(rec, "SuccessfulDelete", "delete", obj::name(p));
        }
    }
    write_status(store, sts, pods, &current_rev, &update_rev);
}

fn write_status(store: &dyn SimStore, sts: &Value, pods: &[Value], current_rev: &str, update_rev: &str) {
    let count = |f: &dyn Fn(&Value) -> bool| pods.iter().filter(|p| f(p)).count();
    let ready = count(&obj::is_pod_ready);
    let updated = count(&|p: &Value| p["metadata"]["labels"][REV_LABEL] == update_rev);
    let mut current_rev = current_rev.to_string();
    let replicas = sts["spec"]["replicas"].as_i64().unwrap_or(1);
    let done = i64::try_from(updated).unwrap_or(0) == replicas && i64::try_from(ready).unwrap_or(0) == replicas && pods.len() == updated;
    if done {
        current_rev = update_rev.to_string();
    }
    let current = count(&|p: &Value| p["metadata"]["labels"][REV_LABEL] == current_rev.as_str());
    let status = json!({
        "observedGeneration": obj::int(sts, "/metadata/generation"), "replicas": pods.len(),
        "readyReplicas": ready, "currentReplicas": current, "updatedReplicas": updated, "availableReplicas": ready,
        "currentRevision": current_rev, "updateRevision": update_rev, "collisionCount": obj::int(sts, "/status/collisionCount"),
    });
    if sts["status"] != status {
        let mut next = sts.clone();
        next["status"] = status;
        let _ = store.update_status(next);
    }
}
