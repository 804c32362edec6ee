//! Admission the simulator runs on every create, from the API and from its own controllers
//! alike (as the real apiserver does for controller-made pods): LimitRange defaults for pods,
//! ClusterIP allocation for Services, the default StorageClass for claims, then the
//! ResourceQuota check.
pub mod limitrange;
pub mod quantity;
pub mod quota;
pub mod services;
pub mod storage;

use serde_json::Value;

use crate::sim::store_api::SimStore;

/// Admits the creation of `obj`, mutating it (defaults). `Err` is the full Forbidden message,
/// e.g. `pods "web-6d4cf56db6-" is forbidden: exceeded quota: compute, requested: pods=1, …`.
pub fn admit_create(store: &dyn SimStore, obj: &mut Value, qualified_resource: &str) -> Result<(), String> {
    if obj["kind"] == "PersistentVolume" && obj["apiVersion"] == "v1" {
        storage::volume(obj);
    }
    let Some(ns) = obj["metadata"]["namespace"].as_str().map(str::to_string) else {
        return Ok(());
    };
    if obj["kind"] == "Pod" && obj["apiVersion"] == "v1" {
        limitrange::apply(store, &ns, obj);
    }
    if obj["kind"] == "Service" && obj["apiVersion"] == "v1" {
        services::allocate(store, obj);
    }
    if obj["kind"] == "PersistentVolumeClaim" && obj["apiVersion"] == "v1" {
        storage::claim(store, obj);
    }
    quota::admit(store, &ns, obj).map_err(|reason| {
        let m = &obj["metadata"];
        let name = m["name"].as_str().filter(|n| !n.is_empty()).or(m["generateName"].as_str()).unwrap_or("Unknown");
        format!("{qualified_resource} \"{name}\" is forbidden: {reason}")
    })
}
