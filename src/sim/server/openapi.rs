//! A minimal OpenAPI v3: the root index and, per group-version, the PATCH operations with the
//! `fieldValidation` parameter, so kubectl leaves validation to the server (it sends
//! `fieldValidation=Strict`) instead of downloading full schemas.
use serde_json::{Map, Value, json};

use super::registry::{RESOURCES, Resource};

fn gv_path(r: &Resource) -> String {
    if r.group.is_empty() { format!("api/{}", r.version) } else { format!("apis/{}/{}", r.group, r.version) }
}

pub fn root() -> Value {
    let mut paths = Map::new();
    for r in RESOURCES {
        let p = gv_path(r);
        paths.insert(p.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash=cabin1")}));
    }
    json!({"paths": paths})
}

fn item_path(r: &Resource) -> String {
    let ns = if r.namespaced { "namespaces/{namespace}/" } else { "" };
    format!("/{}/{ns}{}/{{name}}", gv_path(r), r.plural)
}

pub fn group_version_doc(gv: &str) -> Option<Value> {
    let mut paths = Map::new();
    for r in RESOURCES.iter().filter(|r| gv_path(r) == gv && !r.create_only) {
        let gvk = json!({"group": r.group, "version": r.version, "kind": r.kind});
        let params = json!([
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": true}},
        ]);
        let op = json!({"x-kubernetes-group-version-kind": gvk, "x-kubernetes-action": "patch", "parameters": params,
            "responses": {"200": {"description": "OK"}}});
        paths.insert(item_path(r), json!({"patch": op}));
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths, "components": {"schemas": {}}}))
}
