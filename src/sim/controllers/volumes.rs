//! The PersistentVolume controller: a Pending claim binds to the smallest Available volume of
//! its StorageClass that has its access modes and enough capacity; without one, a class with
//! a provisioner provisions `pvc-<claim uid>` (at once for `Immediate`, once a scheduled pod
//! uses the claim for `WaitForFirstConsumer`). A released volume is deleted or kept
//! `Released` by its reclaim policy. The annotations are upstream's (`bind-completed`,
//! `bound-by-controller`, `provisioned-by`).
use serde_json::{Value, json};

use super::obj;
use crate::sim::admission::quantity;
use crate::sim::store_api::{ObjKind, SimStore, kinds};

pub const PV: ObjKind = ObjKind::new("v1", "PersistentVolume");
pub const PVC: ObjKind = ObjKind::new("v1", "PersistentVolumeClaim");
pub const STORAGE_CLASS: ObjKind = ObjKind::new("storage.k8s.io/v1", "StorageClass");

pub fn reconcile(store: &dyn SimStore) {
    let pvs = store.list(PV, None);
    let claims = store.list(PVC, None);
    if pvs.is_empty() && claims.is_empty() {
        return;
    }
    for pv in &pvs {
        sync_volume(store, pv, &claims);
    }
    let unbound = |c: &&Value| c["spec"].is_object() && c["spec"]["volumeName"].as_str().is_none_or(str::is_empty) && !obj::is_deleting(c);
    for pvc in claims.iter().filter(unbound) {
        bind(store, pvc);
    }
}

fn class_of(o: &Value) -> &str {
    o["spec"]["storageClassName"].as_str().unwrap_or_default()
}

fn bytes(q: &Value) -> quantity::Milli {
    q.as_str().and_then(quantity::parse).unwrap_or(0)
}

fn modes(o: &Value, pointer: &str) -> Vec<String> {
    o.pointer(pointer)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|m| m.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn fits(pv: &Value, pvc: &Value) -> bool {
    let available =
        pv["spec"].is_object() && pv["spec"]["claimRef"].is_null() && pv["status"]["phase"].as_str().is_none_or(|p| p == "Available");
    let want = bytes(&pvc["spec"]["resources"]["requests"]["storage"]);
    let has = bytes(&pv["spec"]["capacity"]["storage"]);
    let pv_modes = modes(pv, "/spec/accessModes");
    available && class_of(pv) == class_of(pvc) && has >= want && modes(pvc, "/spec/accessModes").iter().all(|m| pv_modes.contains(m))
}

fn bind(store: &dyn SimStore, pvc: &Value) {
    let ns = obj::namespace(pvc);
    let candidates = store.list(PV, None);
    let best = candidates.iter().filter(|pv| fits(pv, pvc)).min_by_key(|pv| bytes(&pv["spec"]["capacity"]["storage"]));
    let pv = match best {
        Some(pv) => pv.clone(),
        None => match provision(store, pvc) {
            Some(pv) => pv,
            None => return,
        },
    };
    let mut bound_pv = pv.clone();
    bound_pv["spec"]["claimRef"] = json!({"kind": "PersistentVolumeClaim", "apiVersion": "v1", "namespace": ns, "name": obj::name(pvc),
        "uid": obj::uid(pvc), "resourceVersion": pvc["metadata"]["resourceVersion"]});
    let Ok(bound_pv) = store.update(bound_pv) else { return };
    let mut pv_status = bound_pv.clone();
    pv_status["status"] = json!({"phase": "Bound"});
    let _ = store.update_status(pv_status);
    let mut claim = pvc.clone();
    claim["spec"]["volumeName"] = json!(obj::name(&pv));
    obj::set_annotation(&mut claim, "pv.kubernetes.io/bind-completed", Some("yes"));
    obj::set_annotation(&mut claim, "pv.kubernetes.io/bound-by-controller", Some("yes"));
    let Ok(mut claim) = store.update(claim) else { return };
    claim["status"] = json!({"phase": "Bound", "accessModes": pv["spec"]["accessModes"], "capacity": pv["spec"]["capacity"]});
    let _ = store.update_status(claim);
}

/// Whether a scheduled pod mounts the claim (what `WaitForFirstConsumer` waits for).
fn has_consumer(store: &dyn SimStore, pvc: &Value) -> bool {
    store.list(kinds::POD, obj::namespace(pvc)).iter().any(|p| {
        let scheduled = p["spec"]["nodeName"].as_str().is_some_and(|n| !n.is_empty());
        let volumes = p["spec"]["volumes"].as_array().map(Vec::as_slice).unwrap_or_default();
        scheduled && volumes.iter().any(|v| v["persistentVolumeClaim"]["claimName"] == obj::name(pvc))
    })
}

fn provision(store: &dyn SimStore, pvc: &Value) -> Option<Value> {
    let class = store.get(STORAGE_CLASS, None, class_of(pvc)).filter(|c| c["provisioner"].as_str().is_some_and(|p| !p.is_empty()))?;
    if class["volumeBindingMode"] == "WaitForFirstConsumer" && !has_consumer(store, pvc) {
        return None;
    }
    let name = format!("pvc-{}", obj::uid(pvc));
    let provisioner = class["provisioner"].as_str().unwrap_or_default();
    let pv = json!({"apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "annotations": {"pv.kubernetes.io/provisioned-by": provisioner}},
        "spec": {"capacity": {"storage": pvc["spec"]["resources"]["requests"]["storage"]}, "accessModes": pvc["spec"]["accessModes"],
            "storageClassName": obj::name(&class), "persistentVolumeReclaimPolicy": class["reclaimPolicy"].as_str().unwrap_or("Delete"),
            "volumeMode": pvc["spec"]["volumeMode"].as_str().unwrap_or("Filesystem"),
            "hostPath": {"path": format!("/var/lib/cabin-sim/{name}"), "type": ""}},
        "status": {"phase": "Available"}});
    store.create(pv).ok()
}

/// A volume's phase from its claim: Available, Bound, or Released (deleted with `Delete`).
fn sync_volume(store: &dyn SimStore, pv: &Value, claims: &[Value]) {
    let claim_ref = &pv["spec"]["claimRef"];
    let phase = if claim_ref.is_null() {
        "Available"
    } else {
        let ns = claim_ref["namespace"].as_str().unwrap_or_default();
        let name = claim_ref["name"].as_str().unwrap_or_default();
        let claim = claims.iter().find(|c| obj::namespace(c) == Some(ns) && obj::name(c) == name);
        match claim {
            Some(c) if claim_ref["uid"].is_null() || claim_ref["uid"] == obj::uid(c) => "Bound",
            _ if pv["spec"]["persistentVolumeReclaimPolicy"] == "Delete" => {
                let _ = store.delete(PV, None, obj::name(pv));
                return;
            }
            _ => "Released",
        }
    };
    if pv["status"]["phase"] != phase {
        let mut next = pv.clone();
        next["status"] = json!({"phase": phase});
        let _ = store.update_status(next);
    }
}
