//! OpenAPI v3: the root index and one document per group-version with
//! - the PATCH operations and their `fieldValidation` parameter, so kubectl leaves validation
//!   to the server (it sends `fieldValidation=Strict`);
//! - `components.schemas` for every kind served, as `kubectl explain` and client-side apply
//!   read them: the shape of the built-in kinds from the field table generated from the Go
//!   types of k8s.io/api (`proto_fields.txt`), their descriptions and patch strategies from
//!   the same types (`openapi_docs.txt`), and an open object schema for custom resources.
//!
//! Documents are built once; each path's `hash` is a digest of its document, so kubectl's
//! cache never serves an older one.
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::LazyLock;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::proto::{FieldDef, Kind, message_fields, message_name};
use super::registry::{RESOURCES, Resource};

fn gv_path(r: &Resource) -> String {
    if r.group.is_empty() { format!("api/{}", r.version) } else { format!("apis/{}/{}", r.group, r.version) }
}

struct Docs {
    /// (message, field) → (patch strategy with merge key, description); field "" is the type.
    entries: HashMap<(String, String), (String, String)>,
}

static DOCS: LazyLock<Docs> = LazyLock::new(|| {
    let mut entries = HashMap::new();
    for line in include_str!("openapi_docs.txt").lines().filter(|l| !l.starts_with('#')) {
        let mut parts = line.splitn(4, '\t');
        let (Some(msg), Some(field), Some(patch), Some(text)) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let text = text.replace("\\n", "\n").replace("\\\\", "\\");
        entries.insert((msg.to_string(), field.to_string()), (patch.to_string(), text));
    }
    Docs { entries }
});

fn doc(msg: &str, field: &str) -> Option<&'static (String, String)> {
    DOCS.entries.get(&(msg.to_string(), field.to_string()))
}

/// `apps/v1.Deployment` → `io.k8s.api.apps.v1.Deployment`, `meta/v1.X` → `io.k8s.apimachinery.pkg.apis.meta.v1.X`.
fn schema_name(msg: &str) -> String {
    let dotted = msg.replace('/', ".");
    if msg.starts_with("meta/") { format!("io.k8s.apimachinery.pkg.apis.{dotted}") } else { format!("io.k8s.api.{dotted}") }
}

fn leaf(kind: &Kind, refs: &mut BTreeSet<String>) -> Value {
    match kind {
        Kind::Str => json!({"type": "string"}),
        Kind::Bytes => json!({"type": "string", "format": "byte"}),
        Kind::Int => json!({"type": "integer", "format": "int64"}),
        Kind::Bool => json!({"type": "boolean"}),
        Kind::Double => json!({"type": "number", "format": "double"}),
        Kind::Time => json!({"type": "string", "format": "date-time"}),
        Kind::IntOrString => json!({"x-kubernetes-int-or-string": true}),
        Kind::Quantity => json!({"type": "string"}),
        Kind::Raw => json!({"type": "object"}),
        Kind::StrList => json!({"type": "array", "items": {"type": "string", "default": ""}}),
        Kind::Msg(m) => {
            refs.insert(m.clone());
            json!({"allOf": [{"$ref": format!("#/components/schemas/{}", schema_name(m))}], "default": {}})
        }
        Kind::Map(inner) => json!({"type": "object", "additionalProperties": leaf(inner, refs)}),
    }
}

fn property(msg: &str, f: &FieldDef, refs: &mut BTreeSet<String>) -> Value {
    let mut p = if f.repeated { json!({"type": "array", "items": leaf(&f.kind, refs)}) } else { leaf(&f.kind, refs) };
    if let Some((patch, text)) = doc(msg, &f.json) {
        if !text.is_empty() {
            p["description"] = json!(text);
        }
        let (strategy, key) = patch.split_once('/').unwrap_or((patch.as_str(), ""));
        if !strategy.is_empty() {
            p["x-kubernetes-patch-strategy"] = json!(strategy);
        }
        if !key.is_empty() {
            p["x-kubernetes-patch-merge-key"] = json!(key);
        }
    }
    p
}

/// The properties of a message, inlined members flattened into it.
fn properties(msg: &str, refs: &mut BTreeSet<String>, out: &mut Map<String, Value>) {
    for f in message_fields(msg).unwrap_or_default() {
        match (&f.kind, f.inline) {
            (Kind::Msg(inner), true) => properties(inner.as_str(), refs, out),
            _ => {
                out.insert(f.json.clone(), property(msg, f, refs));
            }
        }
    }
}

fn message_schema(msg: &str, refs: &mut BTreeSet<String>) -> Value {
    let mut props = Map::new();
    properties(msg, refs, &mut props);
    let mut s = json!({"type": "object", "properties": props});
    if let Some((_, text)) = doc(msg, "").filter(|(_, t)| !t.is_empty()) {
        s["description"] = json!(text);
    }
    s
}

fn type_meta(s: &mut Value, r: &Resource) {
    s["properties"]["apiVersion"] = json!({"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources"});
    s["properties"]["kind"] = json!({"type": "string", "description": "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds"});
    s["x-kubernetes-group-version-kind"] = json!([{"group": r.group, "kind": r.kind, "version": r.version}]);
}

/// The schemas of a group-version's kinds and of every type they reach.
fn schemas(gv: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let mut refs = BTreeSet::new();
    for r in RESOURCES.iter().filter(|r| gv_path(r) == gv) {
        let msg = message_name(&r.api_version(), r.kind);
        let (name, mut s) = if message_fields(&msg).is_some() {
            (schema_name(&msg), message_schema(&msg, &mut refs))
        } else {
            // A custom resource (or a kind outside the table): its fields are whatever is stored.
            refs.insert("meta/v1.ObjectMeta".into());
            let meta = json!({"allOf": [{"$ref": format!("#/components/schemas/{}", schema_name("meta/v1.ObjectMeta"))}], "default": {}});
            let reversed: Vec<&str> = r.group.rsplit('.').collect();
            let name = format!("{}.{}.{}", reversed.join("."), r.version, r.kind);
            (name, json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true, "properties": {"metadata": meta}}))
        };
        type_meta(&mut s, r);
        out.insert(name, s);
    }
    let mut done = BTreeSet::new();
    while let Some(m) = refs.iter().find(|m| !done.contains(*m)).cloned() {
        done.insert(m.clone());
        let name = schema_name(&m);
        let s = message_schema(&m, &mut refs);
        out.entry(name).or_insert(s);
    }
    out
}

fn item_path(r: &Resource) -> String {
    let ns = if r.namespaced { "namespaces/{namespace}/" } else { "" };
    format!("/{}/{ns}{}/{{name}}", gv_path(r), r.plural)
}

fn build_doc(gv: &str) -> Option<Value> {
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
    Some(json!({"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.32.0"}, "paths": paths,
        "components": {"schemas": schemas(gv)}}))
}

/// Every group-version's document with the hash of its bytes.
static DOCUMENTS: LazyLock<BTreeMap<String, (Value, String)>> = LazyLock::new(|| {
    let gvs: BTreeSet<String> = RESOURCES.iter().map(gv_path).collect();
    gvs.into_iter()
        .filter_map(|gv| {
            let doc = build_doc(&gv)?;
            let digest = Sha256::digest(doc.to_string().as_bytes());
            let hash: String = digest.iter().take(16).map(|b| format!("{b:02X}")).collect();
            Some((gv, (doc, hash)))
        })
        .collect()
});

pub fn root() -> Value {
    let paths: Map<String, Value> =
        DOCUMENTS.iter().map(|(p, (_, hash))| (p.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{p}?hash={hash}")}))).collect();
    json!({"paths": paths})
}

pub fn group_version_doc(gv: &str) -> Option<&'static Value> {
    DOCUMENTS.get(gv).map(|(doc, _)| doc)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deployment_schema_has_fields_descriptions_patch_keys_and_its_references() {
        let doc = group_version_doc("apis/apps/v1").unwrap();
        let schemas = &doc["components"]["schemas"];
        let d = &schemas["io.k8s.api.apps.v1.Deployment"];
        assert_eq!(d["x-kubernetes-group-version-kind"][0]["kind"], "Deployment");
        assert_eq!(d["description"], "Deployment enables declarative updates for Pods and ReplicaSets.");
        let spec = &schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"];
        assert_eq!(spec["replicas"]["type"], "integer");
        assert_eq!(spec["strategy"]["x-kubernetes-patch-strategy"], "retainKeys");
        let pod = &schemas["io.k8s.api.core.v1.PodSpec"]["properties"];
        assert_eq!(pod["containers"]["x-kubernetes-patch-merge-key"], "name");
        assert_eq!(pod["containers"]["items"]["allOf"][0]["$ref"], "#/components/schemas/io.k8s.api.core.v1.Container");
        assert!(schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]["properties"]["labels"].is_object());
        // Every reference resolves inside the document.
        let text = doc.to_string();
        for part in text.split("#/components/schemas/").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(schemas[name].is_object(), "{name} is referenced but missing");
        }
    }

    #[test]
    fn custom_resources_have_open_schemas_and_paths_name_their_hash() {
        let doc = group_version_doc("apis/velero.io/v1").unwrap();
        let b = &doc["components"]["schemas"]["io.velero.v1.Backup"];
        assert_eq!(b["x-kubernetes-preserve-unknown-fields"], true);
        let url = root()["paths"]["apis/apps/v1"]["serverRelativeURL"].as_str().unwrap().to_string();
        assert!(url.starts_with("/openapi/v3/apis/apps/v1?hash=") && url.len() > 40, "{url}");
    }
}
