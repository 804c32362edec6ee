//! The three patch types of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch
//! (RFC 6902) and strategic merge patch (lists of known fields merged by their key, with the
//! `$patch: delete|replace` directives).
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Merge,
    Json,
    Strategic,
    /// Server-side apply (`application/apply-patch+yaml`), simplified: the applied fields are
    /// strategically merged into the live object; field ownership is not tracked.
    Apply,
}

#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    #[error("the patch is not valid JSON: {0}")]
    Parse(String),
    #[error("the JSON patch cannot be applied: {0}")]
    Json(String),
    #[error("the patched object is not a JSON object")]
    NotObject,
}

impl PatchType {
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml" => Some(Self::Apply),
            _ => None,
        }
    }
}

pub fn apply(kind: PatchType, current: &Value, body: &[u8]) -> Result<Value, PatchError> {
    let p: Value = match kind {
        PatchType::Apply => yaml_serde::from_slice(body).map_err(|e| PatchError::Parse(e.to_string()))?,
        _ => serde_json::from_slice(body).map_err(|e| PatchError::Parse(e.to_string()))?,
    };
    let mut out = current.clone();
    match kind {
        PatchType::Merge => json_patch::merge(&mut out, &p),
        PatchType::Json => {
            let ops: json_patch::Patch = serde_json::from_value(p).map_err(|e| PatchError::Parse(e.to_string()))?;
            json_patch::patch(&mut out, &ops).map_err(|e| PatchError::Json(e.to_string()))?;
        }
        PatchType::Strategic | PatchType::Apply => out = strategic(current, &p),
    }
    if out.is_object() { Ok(out) } else { Err(PatchError::NotObject) }
}

/// The merge key of a list field, for the built-in lists the simulator knows.
pub(crate) fn merge_key(field: &str) -> Option<&'static str> {
    match field {
        "containers" | "initContainers" | "ephemeralContainers" | "env" | "volumes" | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "ports" => Some("containerPort"),
        "conditions" => Some("type"),
        "ownerReferences" => Some("uid"),
        _ => None,
    }
}

/// Strategic merge of `patch` into `current`.
pub fn strategic(current: &Value, patch: &Value) -> Value {
    match (current, patch) {
        (Value::Object(c), Value::Object(p)) => Value::Object(merge_map(c, p)),
        (_, p) => strip_directives(p),
    }
}

fn merge_map(current: &Map<String, Value>, patch: &Map<String, Value>) -> Map<String, Value> {
    if patch.get("$patch").and_then(Value::as_str) == Some("replace") {
        return strip_map(patch);
    }
    let mut out = current.clone();
    for (k, pv) in patch {
        if k.starts_with('$') {
            continue;
        }
        if pv.is_null() {
            out.remove(k);
            continue;
        }
        let merged = match (out.get(k), pv, merge_key(k)) {
            (Some(Value::Array(c)), Value::Array(p), Some(key)) => Value::Array(merge_list(c, p, key)),
            (Some(cv @ Value::Object(_)), Value::Object(_), _) => strategic(cv, pv),
            _ => strip_directives(pv),
        };
        out.insert(k.clone(), merged);
    }
    out
}

fn merge_list(current: &[Value], patch: &[Value], key: &str) -> Vec<Value> {
    if patch.iter().any(|p| p.get("$patch").and_then(Value::as_str) == Some("replace")) {
        return patch.iter().filter(|p| p.get("$patch").is_none()).map(strip_directives).collect();
    }
    let mut out: Vec<Value> = current.to_vec();
    for p in patch {
        let Some(kv) = p.get(key) else {
            out.push(strip_directives(p));
            continue;
        };
        let pos = out.iter().position(|c| c.get(key) == Some(kv));
        let delete = p.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                out.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => out[i] = strategic(&out[i], p),
            (None, false) => out.push(strip_directives(p)),
        }
    }
    out
}

fn strip_map(m: &Map<String, Value>) -> Map<String, Value> {
    m.iter().filter(|(k, _)| !k.starts_with('$')).map(|(k, v)| (k.clone(), strip_directives(v))).collect()
}

fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(strip_map(m)),
        Value::Array(a) => Value::Array(a.iter().map(strip_directives).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deploy() -> Value {
        json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}], "ports": [{"containerPort": 80}]},
            {"name": "b", "image": "b:1"}]}}}})
    }

    #[test]
    fn strategic_merges_containers_by_name() {
        let p = json!({"spec": {"template": {"spec": {"containers": [{"name": "b", "image": "b:2"}]}}}});
        let out = strategic(&deploy(), &p);
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs.as_array().unwrap().len(), 2);
        assert_eq!(cs[0]["image"], "a:1");
        assert_eq!(cs[1]["image"], "b:2");
    }

    #[test]
    fn strategic_env_ports_delete_and_replace() {
        let p = json!({"spec": {"template": {"spec": {"containers": [
            {"name": "a", "env": [{"name": "Y", "value": "2"}, {"name": "X", "$patch": "delete"}], "ports": [{"containerPort": 443}]},
            {"name": "b", "$patch": "delete"}]}}}});
        let out = strategic(&deploy(), &p);
        let cs = out["spec"]["template"]["spec"]["containers"].as_array().unwrap().clone();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["env"], json!([{"name": "Y", "value": "2"}]));
        assert_eq!(cs[0]["ports"], json!([{"containerPort": 80}, {"containerPort": 443}]));
        let r = json!({"spec": {"template": {"spec": {"$patch": "replace", "containers": []}}}});
        assert_eq!(strategic(&deploy(), &r)["spec"]["template"]["spec"], json!({"containers": []}));
    }

    #[test]
    fn merge_and_json_patch() {
        let cur = json!({"metadata": {"labels": {"a": "1", "b": "2"}}});
        let out = apply(PatchType::Merge, &cur, br#"{"metadata":{"labels":{"a":null,"c":"3"}}}"#).unwrap();
        assert_eq!(out["metadata"]["labels"], json!({"b": "2", "c": "3"}));
        let out = apply(PatchType::Json, &cur, br#"[{"op":"replace","path":"/metadata/labels/a","value":"9"}]"#).unwrap();
        assert_eq!(out["metadata"]["labels"]["a"], "9");
        assert!(apply(PatchType::Json, &cur, br#"[{"op":"remove","path":"/nope"}]"#).is_err());
    }
}
