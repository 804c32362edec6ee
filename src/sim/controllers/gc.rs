//! The garbage collector: deletes objects whose owners (ownerReferences) are all gone, and
//! everything in a Namespace once the Namespace is deleted.
use serde_json::Value;

use super::obj;
use crate::sim::server::delete;
use crate::sim::store_api::{ObjKind, SimStore, kinds};

/// Every namespaced kind the simulator stores.
pub const NAMESPACED: &[ObjKind] = &[
    kinds::DEPLOYMENT,
    kinds::STATEFUL_SET,
    kinds::REPLICA_SET,
    kinds::CONTROLLER_REVISION,
    kinds::POD,
    kinds::SERVICE,
    kinds::CONFIG_MAP,
    ObjKind::new("v1", "Secret"),
    ObjKind::new("v1", "ResourceQuota"),
    ObjKind::new("v1", "LimitRange"),
    ObjKind::new("v1", "ServiceAccount"),
    kinds::PDB,
    kinds::LEASE,
    kinds::VELERO_BACKUP,
    kinds::VELERO_RESTORE,
    kinds::VELERO_BSL,
    kinds::APP_PROJECT,
    kinds::APPLICATION,
    kinds::EVENT,
    kinds::DAEMON_SET,
    kinds::JOB,
    kinds::CRON_JOB,
    kinds::ENDPOINTS,
    kinds::ENDPOINT_SLICE,
    ObjKind::new("v1", "PersistentVolumeClaim"),
    ObjKind::new("v1", "ReplicationController"),
    ObjKind::new("autoscaling/v2", "HorizontalPodAutoscaler"),
    ObjKind::new("networking.k8s.io/v1", "Ingress"),
    ObjKind::new("networking.k8s.io/v1", "NetworkPolicy"),
    ObjKind::new("rbac.authorization.k8s.io/v1", "Role"),
    ObjKind::new("rbac.authorization.k8s.io/v1", "RoleBinding"),
];

/// The kinds whose objects may be owned (scanned for dangling ownerReferences).
pub const DEPENDENTS: &[ObjKind] = &[kinds::REPLICA_SET, kinds::CONTROLLER_REVISION, kinds::JOB, kinds::POD, kinds::ENDPOINT_SLICE];

fn kind_of_ref(r: &Value) -> Option<ObjKind> {
    let av = r["apiVersion"].as_str()?;
    let k = r["kind"].as_str()?;
    NAMESPACED.iter().chain([kinds::NAMESPACE, kinds::NODE].iter()).copied().find(|o| o.api_version == av && o.kind == k)
}

/// An owner reference is dangling when its owner is gone or was replaced (other uid).
fn dangling(store: &dyn SimStore, r: &Value, ns: Option<&str>) -> bool {
    let Some(kind) = kind_of_ref(r) else {
        return false;
    };
    let name = r["name"].as_str().unwrap_or_default();
    let ns = if kind == kinds::NODE || kind == kinds::NAMESPACE { None } else { ns };
    store.get_shared(kind, ns, name).is_none_or(|owner| obj::uid(&owner) != r["uid"].as_str().unwrap_or_default())
}

/// Deletes dependents whose every owner is gone. Repeats until nothing more goes, so a
/// Deployment's ReplicaSets and then their pods go in one call.
pub fn collect(store: &dyn SimStore) {
    delete::sweep_foreground(store);
    for _ in 0..4 {
        let mut deleted = false;
        for kind in DEPENDENTS {
            for o in store.list_shared(*kind, None) {
                let Some(refs) = o["metadata"]["ownerReferences"].as_array().filter(|r| !r.is_empty()) else {
                    continue;
                };
                if refs.iter().all(|r| dangling(store, r, obj::namespace(&o))) {
                    let out = delete::delete(store, *kind, obj::namespace(&o), obj::name(&o), &delete::Options::default());
                    deleted |= matches!(out, Ok(delete::Outcome::Gone(_)));
                }
            }
        }
        if !deleted {
            break;
        }
    }
}

/// Deletes every namespaced object in a deleted namespace.
pub fn namespace_deleted(store: &dyn SimStore, ns: &str) {
    if store.get(kinds::NAMESPACE, None, ns).is_some() {
        return;
    }
    for kind in NAMESPACED {
        for o in store.list(*kind, Some(ns)) {
            let _ = store.delete(*kind, Some(ns), obj::name(&o));
        }
    }
}
