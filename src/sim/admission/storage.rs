//! PersistentVolumeClaims and PersistentVolumes on create: the DefaultStorageClass admission
//! plugin and the fields the apiserver defaults (`Pending` phase, `Filesystem` volume mode,
//! `Retain` reclaim policy for a volume made by hand).
use serde_json::{Value, json};

use crate::sim::server::defaults::set_default;
use crate::sim::store_api::SimStore;

/// A claim without `storageClassName` gets the default StorageClass (the newest one annotated
/// `storageclass.kubernetes.io/is-default-class: "true"`); `""` asks for none and stays.
pub fn claim(store: &dyn SimStore, pvc: &mut Value) {
    if !pvc["spec"].is_object() {
        return;
    }
    set_default(pvc, "status", json!({"phase": "Pending"}));
    set_default(&mut pvc["spec"], "volumeMode", json!("Filesystem"));
    if !pvc["spec"]["storageClassName"].is_null() {
        return;
    }
    let classes = store.list(crate::sim::controllers::volumes::STORAGE_CLASS, None);
    let default = classes
        .iter()
        .filter(|c| c["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true")
        .max_by_key(|c| c["metadata"]["creationTimestamp"].as_str().unwrap_or_default().to_string());
    if let Some(name) = default.and_then(|c| c["metadata"]["name"].as_str()) {
        pvc["spec"]["storageClassName"] = json!(name);
    }
}

pub fn volume(pv: &mut Value) {
    if !pv["spec"].is_object() {
        return;
    }
    set_default(pv, "status", json!({"phase": "Pending"}));
    set_default(&mut pv["spec"], "volumeMode", json!("Filesystem"));
    set_default(&mut pv["spec"], "persistentVolumeReclaimPolicy", json!("Retain"));
}
