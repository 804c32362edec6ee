//! The LimitRanger admission plugin's defaults: each container without a request or limit
//! gets the namespace's LimitRange `defaultRequest` / `default` (a missing `defaultRequest`
//! falls back to `default`, a missing `default` to `max`, as LimitRange defaulting does), and
//! the pod is annotated `kubernetes.io/limit-ranger` with what was set.
use serde_json::{Map, Value, json};

use crate::sim::store_api::{SimStore, kinds};

const ANNOTATION: &str = "kubernetes.io/limit-ranger";

/// (default requests, default limits) of the Container items of the namespace's LimitRanges.
fn container_defaults(store: &dyn SimStore, ns: &str) -> (Map<String, Value>, Map<String, Value>) {
    let (mut requests, mut limits) = (Map::new(), Map::new());
    for lr in store.list(kinds::LIMIT_RANGE, Some(ns)) {
        for item in lr["spec"]["limits"].as_array().into_iter().flatten().filter(|i| i["type"] == "Container") {
            let default = item["default"].as_object().or(item["max"].as_object()).cloned().unwrap_or_default();
            let request = item["defaultRequest"].as_object().cloned().unwrap_or_else(|| default.clone());
            for (k, v) in default {
                limits.entry(k).or_insert(v);
            }
            for (k, v) in request {
                requests.entry(k).or_insert(v);
            }
        }
    }
    (requests, limits)
}

fn fill(c: &mut Value, field: &str, defaults: &Map<String, Value>) -> Vec<String> {
    let mut set = Vec::new();
    for (k, v) in defaults {
        if c["resources"][field][k].is_null() {
            c["resources"][field][k] = v.clone();
            set.push(k.clone());
        }
    }
    set.sort();
    set
}

/// Applies the defaults to `pod` in place.
pub fn apply(store: &dyn SimStore, ns: &str, pod: &mut Value) {
    let (requests, limits) = container_defaults(store, ns);
    if requests.is_empty() && limits.is_empty() {
        return;
    }
    let mut notes = Vec::new();
    let Some(containers) = pod["spec"]["containers"].as_array_mut() else { return };
    for c in containers.iter_mut() {
        if !c["resources"].is_object() {
            c["resources"] = json!({});
        }
        let name = c["name"].as_str().unwrap_or_default().to_string();
        let req = fill(c, "requests", &requests);
        let lim = fill(c, "limits", &limits);
        if !req.is_empty() {
            notes.push(format!("{} request for container {name}", req.join(", ")));
        }
        if !lim.is_empty() {
            notes.push(format!("{} limit for container {name}", lim.join(", ")));
        }
    }
    if !notes.is_empty() {
        if !pod["metadata"]["annotations"].is_object() {
            pod["metadata"]["annotations"] = json!({});
        }
        pod["metadata"]["annotations"][ANNOTATION] = json!(format!("LimitRanger plugin set: {}", notes.join("; ")));
    }
}
