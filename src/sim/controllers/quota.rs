//! The resource-quota controller: keeps each ResourceQuota's `status.hard` (= spec.hard) and
//! `status.used` (live usage of the limited resources) current.
use serde_json::{Map, Value, json};

use crate::sim::admission::{quantity, quota};
use crate::sim::store_api::{SimStore, kinds};

pub fn reconcile(store: &dyn SimStore) {
    for q in store.list(kinds::RESOURCE_QUOTA, None) {
        let Some(ns) = q["metadata"]["namespace"].as_str() else { continue };
        let hard = quota::hard_of(&q);
        let keys: Vec<String> = hard.keys().cloned().collect();
        let used: Map<String, Value> = quota::used(store, ns, &keys)
            .into_iter()
            .map(|(k, v)| {
                let t = quantity::format_for(&k, v);
                (k, json!(t))
            })
            .collect();
        let status = json!({"hard": q["spec"]["hard"].clone(), "used": used});
        if q["status"] != status {
            let mut next = q.clone();
            next["status"] = status;
            let _ = store.update_status(next);
        }
    }
}
