//! Decoding checks the apiserver makes before anything is stored: values of the wrong type
//! (always an error), unknown fields (an error with `?fieldValidation=Strict`, which kubectl
//! sends by default; otherwise dropped), and immutable fields on update. The schema is the
//! typed Kubernetes API (k8s-openapi): a body is decoded into its type and encoded back, and
//! what did not survive is unknown; a body that does not decode is narrowed down to the value
//! that breaks it. Messages follow the apiserver's three decoders (JSON for create / update /
//! JSON and merge patches, the unstructured converter for strategic merge patches, the typed
//! converter of server-side apply).
use serde_json::{Map, Value};

use super::registry::Resource;
use super::status::{self, ApiError};

/// How a request's body reached the server (it decides the wording of errors).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// POST or PUT of a whole object.
    Body,
    /// JSON patch or JSON merge patch.
    JsonPatch,
    Strategic,
    Apply,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Field(String),
    Index(usize),
}

type Path = Vec<Seg>;

fn round_trip(res: &Resource, v: &Value) -> Option<Result<Value, String>> {
    use k8s_openapi::api::{apps::v1 as apps, coordination::v1 as coord, core::v1 as core, policy::v1 as policy};
    fn rt<T: serde::de::DeserializeOwned + serde::Serialize>(v: &Value) -> Result<Value, String> {
        let typed: T = serde_json::from_value(v.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(typed).map_err(|e| e.to_string())
    }
    Some(match (res.group, res.kind) {
        ("apps", "Deployment") => rt::<apps::Deployment>(v),
        ("apps", "ReplicaSet") => rt::<apps::ReplicaSet>(v),
        ("apps", "StatefulSet") => rt::<apps::StatefulSet>(v),
        ("apps", "ControllerRevision") => rt::<apps::ControllerRevision>(v),
        ("", "Pod") => rt::<core::Pod>(v),
        ("", "Service") => rt::<core::Service>(v),
        ("", "ConfigMap") => rt::<core::ConfigMap>(v),
        ("", "Secret") => rt::<core::Secret>(v),
        ("", "Namespace") => rt::<core::Namespace>(v),
        ("", "ServiceAccount") => rt::<core::ServiceAccount>(v),
        ("", "Node") => rt::<core::Node>(v),
        ("", "ResourceQuota") => rt::<core::ResourceQuota>(v),
        ("", "LimitRange") => rt::<core::LimitRange>(v),
        ("policy", "PodDisruptionBudget") => rt::<policy::PodDisruptionBudget>(v),
        ("coordination.k8s.io", "Lease") => rt::<coord::Lease>(v),
        _ => return None,
    })
}

/// Fields of `input` that did not survive decoding (`output`). Nulls are not counted.
fn unknown(input: &Value, output: &Value, path: &mut Path, out: &mut Vec<Path>) {
    match (input, output) {
        (Value::Object(i), Value::Object(o)) => {
            for (k, v) in i.iter().filter(|(_, v)| !v.is_null()) {
                path.push(Seg::Field(k.clone()));
                match o.get(k) {
                    Some(ov) => unknown(v, ov, path, out),
                    None => out.push(path.clone()),
                }
                path.pop();
            }
        }
        (Value::Array(i), Value::Array(o)) => {
            for (n, (iv, ov)) in i.iter().zip(o).enumerate() {
                path.push(Seg::Index(n));
                unknown(iv, ov, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn remove(doc: &mut Value, path: &[Seg]) {
    let Some((last, parent)) = path.split_last() else { return };
    let node = parent.iter().try_fold(doc, |cur, s| match s {
        Seg::Field(f) => cur.get_mut(f.as_str()),
        Seg::Index(i) => cur.get_mut(*i),
    });
    match (node, last) {
        (Some(Value::Object(m)), Seg::Field(f)) => {
            m.remove(f);
        }
        (Some(Value::Array(a)), Seg::Index(i)) if *i < a.len() => {
            a.remove(*i);
        }
        _ => {}
    }
}

fn at<'a>(doc: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    path.iter().try_fold(doc, |cur, s| match s {
        Seg::Field(f) => cur.get(f.as_str()),
        Seg::Index(i) => cur.get(*i),
    })
}

/// The value that keeps `doc` from decoding: the deepest part whose removal lets it decode.
fn locate(res: &Resource, doc: &Value, path: &mut Path) {
    let Some(node) = at(doc, path) else { return };
    let children: Vec<Seg> = match node {
        Value::Object(m) => m.keys().map(|k| Seg::Field(k.clone())).collect(),
        Value::Array(a) => (0..a.len()).map(Seg::Index).collect(),
        _ => return,
    };
    for c in children {
        path.push(c);
        let mut trial = doc.clone();
        remove(&mut trial, path);
        if matches!(round_trip(res, &trial), Some(Ok(_))) {
            locate(res, doc, path);
            return;
        }
        path.pop();
    }
}

/// Go's name for the JSON type of a value, as encoding/json reports it.
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// The Go type serde expected ("expected i32" → int32).
fn go_type(serde_msg: &str) -> String {
    let expected = serde_msg.rsplit("expected ").next().unwrap_or_default();
    let expected = expected.split(" at line").next().unwrap_or(expected).trim();
    match expected {
        "i32" => "int32",
        "i64" => "int64",
        "u32" => "uint32",
        "f64" => "float64",
        "a boolean" => "bool",
        "a string" => "string",
        "a sequence" => "[]interface {}",
        "a map" => "map[string]string",
        other => other,
    }
    .to_string()
}

/// The Go struct that holds the field at the end of `path` (field names only), for the
/// common workload fields.
fn go_struct(kind: &str, fields: &[&str]) -> Option<String> {
    let parent = &fields[..fields.len().saturating_sub(1)];
    let last2: Vec<&str> = parent.iter().rev().take(2).rev().copied().collect();
    let name = match (parent, last2.as_slice()) {
        ([], _) => kind.to_string(),
        (["spec"], _) if kind == "Pod" => "PodSpec".into(),
        (["spec"], _) => format!("{kind}Spec"),
        (_, [.., "metadata"]) => "ObjectMeta".into(),
        (_, ["template", "spec"]) => "PodSpec".into(),
        (_, [.., "template"]) => "PodTemplateSpec".into(),
        (_, [.., "containers" | "initContainers"]) => "Container".into(),
        (_, ["containers" | "initContainers", "ports"]) => "ContainerPort".into(),
        (_, ["spec", "ports"]) => "ServicePort".into(),
        (_, [.., "env"]) => "EnvVar".into(),
        (_, [.., "resources"]) => "ResourceRequirements".into(),
        (_, ["spec", "selector"]) => "LabelSelector".into(),
        (_, [.., "strategy"]) => "DeploymentStrategy".into(),
        (_, ["strategy", "rollingUpdate"]) => "RollingUpdateDeployment".into(),
        (_, [.., "updateStrategy"]) => "StatefulSetUpdateStrategy".into(),
        (_, [.., "livenessProbe" | "readinessProbe" | "startupProbe"]) => "Probe".into(),
        (_, [.., "volumeMounts"]) => "VolumeMount".into(),
        _ => return None,
    };
    Some(name)
}

/// Paths as the JSON decoder prints them: `spec.template.spec.containers[0].name`.
fn dotted(path: &[Seg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            Seg::Field(f) if s.is_empty() => s.push_str(f),
            Seg::Field(f) => {
                s.push('.');
                s.push_str(f);
            }
            Seg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

/// Go's `%+v` of a decoded JSON value (maps sorted by key, strings bare).
fn go_print(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.iter().map(|k| format!("{k}:{}", go_print(&m[k.as_str()]))).collect();
            format!("map[{}]", parts.join(" "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(go_print).collect::<Vec<_>>().join(" ")),
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

fn cannot_decode(res: &Resource, obj: &Value, via: Via, patch: &Value, serde_msg: &str) -> ApiError {
    let mut path = Vec::new();
    locate(res, obj, &mut path);
    let bad = at(obj, &path).cloned().unwrap_or(Value::Null);
    let want = go_type(serde_msg);
    let field_names: Vec<&str> = path.iter().filter_map(|s| if let Seg::Field(f) = s { Some(f.as_str()) } else { None }).collect();
    let json_err = match go_struct(res.kind, &field_names) {
        Some(st) => {
            format!("json: cannot unmarshal {} into Go struct field {st}.{} of type {want}", json_kind(&bad), field_names.join("."))
        }
        None => format!("json: cannot unmarshal {} into Go value of type {want}", json_kind(&bad)),
    };
    let patch_invalid = |value: String, err: String| {
        let msg = format!("Invalid value: {value:?}: {err}");
        let mut e = status::status(422, "Invalid", &format!(" \"\" is invalid: patch: {msg}"), None);
        e.body["details"] = serde_json::json!({"causes": [{"reason": "FieldValueInvalid", "message": msg, "field": "patch"}]});
        e
    };
    match via {
        Via::Body => status::bad_request(&format!(
            "{kind} in version {v:?} cannot be handled as a {kind}: {json_err}",
            kind = res.kind,
            v = res.version
        )),
        Via::JsonPatch => patch_invalid(serde_json::to_string(obj).unwrap_or_default(), json_err),
        Via::Strategic => {
            let err = match (&bad, want.as_str()) {
                (Value::Number(n), "string") => format!("cannot convert {} to string", if n.is_f64() { "float64" } else { "int64" }),
                _ => format!("unrecognized type: {want}"),
            };
            patch_invalid(go_print(patch), err)
        }
        Via::Apply => {
            let why = match want.as_str() {
                "int32" | "int64" | "uint32" | "float64" => format!("expected numeric (int or float), got {}", json_kind(&bad)),
                "bool" => format!("expected boolean, got {}", go_print(&bad)),
                other => format!("expected {other}, got {}", json_kind(&bad)),
            };
            typed_patch_error(res, obj, &format!("{}: {why}", smd_path(&path)))
        }
    }
}

fn smd_path(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Field(f) => format!(".{f}"),
            Seg::Index(i) => format!("[{i}]"),
        })
        .collect()
}

/// `failed to create typed patch object (ns/name; apps/v1, Kind=Deployment): …` (400, as
/// the apiserver answers since it stopped calling this an internal error).
fn typed_patch_error(res: &Resource, obj: &Value, what: &str) -> ApiError {
    let m = &obj["metadata"];
    let gvk = format!("{}/{}, Kind={}", res.group, res.version, res.kind);
    let msg = format!(
        "failed to create typed patch object ({}/{}; {gvk}): {what}",
        m["namespace"].as_str().unwrap_or_default(),
        m["name"].as_str().unwrap_or_default()
    );
    status::bad_request(&msg)
}

/// Checks a body (the whole object for `Via::Body`, the patched object for patches, the
/// applied configuration for `Via::Apply`; `patch` is the patch document itself) and drops
/// unknown fields from `obj` when they are not an error.
///
/// `current` is the stored object a patch started from: what it already held (objects the
/// simulator made itself) is not blamed on the request.
pub fn check(
    res: &Resource,
    obj: &mut Value,
    via: Via,
    patch: &Value,
    field_validation: Option<&str>,
    current: Option<&Value>,
) -> Result<(), ApiError> {
    let Some(decoded) = round_trip(res, obj) else { return Ok(()) };
    let output = match decoded {
        Ok(o) => o,
        Err(_) if current.is_some_and(|c| matches!(round_trip(res, c), Some(Err(_)))) => return Ok(()),
        Err(e) => return Err(cannot_decode(res, obj, via, patch, &e)),
    };
    let mut found = Vec::new();
    unknown(obj, &output, &mut Vec::new(), &mut found);
    found.retain(|p| !matches!(p.first(), Some(Seg::Field(f)) if f == "status") && current.is_none_or(|c| at(c, p) != at(obj, p)));
    if found.is_empty() {
        return Ok(());
    }
    if via == Via::Apply {
        let first = found.first().map(|p| smd_path(p)).unwrap_or_default();
        return Err(typed_patch_error(res, obj, &format!("{first}: field not declared in schema")));
    }
    if field_validation == Some("Strict") {
        let list: Vec<String> = found.iter().map(|p| format!("unknown field {:?}", dotted(p))).collect();
        let strict = format!("strict decoding error: {}", list.join(", "));
        let msg = match via {
            Via::Body => format!("{kind} in version {v:?} cannot be handled as a {kind}: {strict}", kind = res.kind, v = res.version),
            _ => strict,
        };
        return Err(status::bad_request(&msg));
    }
    for p in found.iter().rev() {
        remove(obj, p);
    }
    Ok(())
}

/// Go's `%#v` of a metav1.LabelSelector, as `field is immutable` errors print it.
fn go_selector(sel: &Value) -> String {
    let labels = match sel["matchLabels"].as_object().filter(|m| !m.is_empty()) {
        Some(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.iter().map(|k| format!("{:?}:{:?}", k, m[k.as_str()].as_str().unwrap_or_default())).collect();
            format!("map[string]string{{{}}}", parts.join(", "))
        }
        None => "map[string]string(nil)".into(),
    };
    let exprs = match sel["matchExpressions"].as_array().filter(|a| !a.is_empty()) {
        Some(a) => {
            let items: Vec<String> = a
                .iter()
                .map(|e| {
                    let values: Vec<String> =
                        e["values"].as_array().into_iter().flatten().map(|v| format!("{:?}", v.as_str().unwrap_or_default())).collect();
                    let values = if e["values"].is_array() { format!("[]string{{{}}}", values.join(", ")) } else { "[]string(nil)".into() };
                    format!(
                        "v1.LabelSelectorRequirement{{Key:{:?}, Operator:{:?}, Values:{values}}}",
                        e["key"].as_str().unwrap_or_default(),
                        e["operator"].as_str().unwrap_or_default()
                    )
                })
                .collect();
            format!("[]v1.LabelSelectorRequirement{{{}}}", items.join(", "))
        }
        None => "[]v1.LabelSelectorRequirement(nil)".into(),
    };
    format!("v1.LabelSelector{{MatchLabels:{labels}, MatchExpressions:{exprs}}}")
}

/// Fields an update may not change: a workload's `spec.selector` (apps/v1).
pub fn immutable(res: &Resource, stored: &Value, next: &Value) -> Result<(), ApiError> {
    if res.group != "apps" || !matches!(res.kind, "Deployment" | "ReplicaSet" | "StatefulSet") {
        return Ok(());
    }
    let norm = |v: &Value| {
        let mut m = v.as_object().cloned().unwrap_or_else(Map::new);
        m.retain(|_, v| !v.is_null() && v.as_object().is_none_or(|o| !o.is_empty()) && v.as_array().is_none_or(|a| !a.is_empty()));
        m
    };
    let (old, new) = (&stored["spec"]["selector"], &next["spec"]["selector"]);
    if norm(old) == norm(new) {
        return Ok(());
    }
    let name = next["metadata"]["name"].as_str().unwrap_or_default();
    let causes = [("FieldValueInvalid", "spec.selector", format!("Invalid value: {}: field is immutable", go_selector(new)))];
    Err(status::invalid(res, name, &causes))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    fn deployments() -> &'static Resource {
        super::super::registry::lookup("apps", "v1", "deployments").unwrap()
    }

    fn deploy(spec: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "ns"}, "spec": spec})
    }

    #[test]
    fn type_errors_in_the_three_wordings() {
        let mut d = deploy(json!({"replicas": "3", "selector": {"matchLabels": {"app": "web"}}}));
        let e = check(deployments(), &mut d, Via::Body, &Value::Null, None, None).unwrap_err();
        assert_eq!(
            e.body["message"],
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"
        );
        let patch = json!({"spec": {"replicas": "3"}});
        let e = check(deployments(), &mut d, Via::Strategic, &patch, None, None).unwrap_err();
        assert_eq!(
            (e.code, e.body["message"].as_str().unwrap()),
            (422, " \"\" is invalid: patch: Invalid value: \"map[spec:map[replicas:3]]\": unrecognized type: int32")
        );
        let e = check(deployments(), &mut d, Via::Apply, &patch, None, None).unwrap_err();
        assert_eq!(
            e.body["message"],
            "failed to create typed patch object (ns/web; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string"
        );
    }

    #[test]
    fn unknown_fields_fail_strict_and_are_dropped_otherwise() {
        let spec = json!({"replicas": 1, "foo": 1, "template": {"spec": {"containers": [{"name": "c", "image": "i", "requests": {}}]}}});
        let mut d = deploy(spec);
        let e = check(deployments(), &mut d.clone(), Via::JsonPatch, &Value::Null, Some("Strict"), None).unwrap_err();
        assert_eq!(
            e.body["message"],
            "strict decoding error: unknown field \"spec.foo\", unknown field \"spec.template.spec.containers[0].requests\""
        );
        check(deployments(), &mut d, Via::Body, &Value::Null, Some("Ignore"), None).unwrap();
        assert!(d["spec"].get("foo").is_none());
        assert!(d["spec"]["template"]["spec"]["containers"][0].get("requests").is_none());
        assert_eq!(d["spec"]["replicas"], 1);
    }

    #[test]
    fn selectors_are_immutable() {
        let old = deploy(json!({"selector": {"matchLabels": {"app": "web"}}}));
        let new = deploy(json!({"selector": {"matchLabels": {"app": "api", "tier": "x"}}}));
        let e = immutable(deployments(), &old, &new).unwrap_err();
        assert_eq!(
            e.body["message"],
            "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"api\", \"tier\":\"x\"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        );
        assert!(immutable(deployments(), &old, &old).is_ok());
    }
}
