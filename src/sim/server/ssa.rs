//! `metadata.managedFields` and server-side apply, after structured-merge-diff:
//!
//! - Every create, update and patch records the fields it changed for its field manager
//!   (`?fieldManager=`, else the User-Agent's first word) as an `Update` entry, and takes those
//!   fields away from the other managers.
//! - An apply (`application/apply-patch+yaml`) owns exactly the fields of its configuration
//!   (an `Apply` entry). Changing a field another manager owns is a 409 conflict in the
//!   apiserver's wording unless `?force=true` (`kubectl apply --server-side --force-conflicts`),
//!   which takes the field over. A field the manager applied before and no longer applies is
//!   removed from the object unless another manager owns it.
//!
//! Field paths are fieldsV1 elements: `f:<field>`, and `k:{"name":"web"}` for the items of
//! lists merged by key (the keys the strategic merge patch uses); other lists are atomic.
use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use super::status::{self, ApiError};
use crate::sim::patch;

type Path = Vec<String>;
type FieldSet = BTreeSet<Path>;

/// Maps whose keys are data (they own their entries and themselves, `.` in fieldsV1).
const MAPS: &[&str] = &["labels", "annotations", "matchLabels", "data", "binaryData", "stringData", "nodeSelector", "limits", "requests"];
/// Metadata fields that are managed (the rest is the server's).
const MANAGED_META: &[&str] = &["labels", "annotations", "finalizers", "ownerReferences"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Update,
    Apply,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Update => "Update",
            Op::Apply => "Apply",
        }
    }
}

struct Entry {
    manager: String,
    op: String,
    api_version: String,
    time: Value,
    subresource: Option<String>,
    fields: FieldSet,
}

impl Entry {
    fn describe(&self) -> String {
        let mut s = format!("{:?}", self.manager);
        if let Some(sub) = &self.subresource {
            s.push_str(&format!(" with subresource {sub:?}"));
        }
        if self.op == "Update" {
            s.push_str(&format!(" using {}", self.api_version));
        }
        s
    }

    fn to_json(&self) -> Value {
        let mut e = json!({"manager": self.manager, "operation": self.op, "apiVersion": self.api_version,
            "time": self.time, "fieldsType": "FieldsV1", "fieldsV1": to_fields_v1(&self.fields)});
        if let Some(s) = &self.subresource {
            e["subresource"] = json!(s);
        }
        e
    }
}

/// The field manager of a request: `?fieldManager=`, else the User-Agent up to its first `/`.
pub fn manager(query: Option<&String>, agent: &str) -> String {
    match query.filter(|m| !m.is_empty()) {
        Some(m) => m.clone(),
        None => agent.split('/').next().filter(|a| !a.is_empty()).unwrap_or("unknown").to_string(),
    }
}

fn key_element(key: &str, item: &Value) -> String {
    let mut m = Map::new();
    m.insert(key.to_string(), item[key].clone());
    format!("k:{}", Value::Object(m))
}

fn walk(v: &Value, path: &mut Path, out: &mut FieldSet) {
    let Some(m) = v.as_object() else { return };
    for (k, child) in m {
        if child.is_null() {
            continue;
        }
        path.push(format!("f:{k}"));
        match child {
            Value::Object(cm) if cm.is_empty() => {
                out.insert(path.clone());
            }
            Value::Object(_) => {
                if MAPS.contains(&k.as_str()) {
                    out.insert(path.clone());
                }
                walk(child, path, out);
            }
            Value::Array(items) => match patch::merge_key(k) {
                Some(key) if !items.is_empty() && items.iter().all(|i| !i[key].is_null()) => {
                    for item in items {
                        path.push(key_element(key, item));
                        out.insert(path.clone());
                        walk(item, path, out);
                        path.pop();
                    }
                }
                _ => {
                    out.insert(path.clone());
                }
            },
            _ => {
                out.insert(path.clone());
            }
        }
        path.pop();
    }
}

/// The managed fields of an object (no apiVersion, kind, status or server-owned metadata).
fn fields_of(obj: &Value) -> FieldSet {
    let mut v = obj.clone();
    if let Some(m) = v.as_object_mut() {
        for k in ["apiVersion", "kind", "status"] {
            m.remove(k);
        }
    }
    if let Some(meta) = v["metadata"].as_object_mut() {
        meta.retain(|k, _| MANAGED_META.contains(&k.as_str()));
    }
    let mut out = FieldSet::new();
    walk(&v, &mut Vec::new(), &mut out);
    out
}

fn child<'a>(v: &'a Value, el: &str) -> Option<&'a Value> {
    if let Some(f) = el.strip_prefix("f:") {
        return v.get(f);
    }
    let key: Map<String, Value> = serde_json::from_str(el.strip_prefix("k:")?).ok()?;
    v.as_array()?.iter().find(|item| key.iter().all(|(k, kv)| item.get(k) == Some(kv)))
}

fn value_at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, el| child(cur, el))
}

fn remove_at(v: &mut Value, path: &[String]) {
    let Some((last, parent)) = path.split_last() else { return };
    let mut cur = v;
    for el in parent {
        let next = if let Some(f) = el.strip_prefix("f:") {
            cur.get_mut(f)
        } else {
            let key: Option<Map<String, Value>> = el.strip_prefix("k:").and_then(|k| serde_json::from_str(k).ok());
            key.and_then(|key| cur.as_array_mut()?.iter_mut().find(|item| key.iter().all(|(k, kv)| item.get(k) == Some(kv))))
        };
        let Some(next) = next else { return };
        cur = next;
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = cur.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(key) = last.strip_prefix("k:").and_then(|k| serde_json::from_str::<Map<String, Value>>(k).ok())
        && let Some(items) = cur.as_array_mut()
    {
        items.retain(|item| !key.iter().all(|(k, kv)| item.get(k) == Some(kv)));
    }
}

/// fieldsV1 JSON from a set: nested `f:`/`k:` objects, `.` where a node is owned itself and
/// has owned children.
fn to_fields_v1(set: &FieldSet) -> Value {
    let mut root = json!({});
    for p in set {
        let mut cur = &mut root;
        for el in p {
            cur = &mut cur[el.as_str()];
            if cur.is_null() {
                *cur = json!({});
            }
        }
    }
    for p in set {
        let has_children = set.iter().any(|q| q.len() > p.len() && q.starts_with(p));
        if has_children && let Some(node) = p.iter().try_fold(&mut root, |cur, el| cur.get_mut(el.as_str())) {
            node["."] = json!({});
        }
    }
    root
}

fn from_fields_v1(v: &Value, path: &mut Path, out: &mut FieldSet) {
    let Some(m) = v.as_object() else { return };
    for (k, c) in m {
        if k == "." {
            out.insert(path.clone());
            continue;
        }
        path.push(k.clone());
        if c.as_object().is_none_or(|cm| cm.is_empty()) {
            out.insert(path.clone());
        } else {
            from_fields_v1(c, path, out);
        }
        path.pop();
    }
}

fn entries(obj: &Value) -> Vec<Entry> {
    let s = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_string();
    obj["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let mut fields = FieldSet::new();
            from_fields_v1(&e["fieldsV1"], &mut Vec::new(), &mut fields);
            Entry {
                manager: s(e, "manager"),
                op: s(e, "operation"),
                api_version: s(e, "apiVersion"),
                time: e["time"].clone(),
                subresource: e["subresource"].as_str().map(str::to_string),
                fields,
            }
        })
        .collect()
}

fn store_entries(obj: &mut Value, list: &[Entry]) {
    let Some(meta) = obj["metadata"].as_object_mut() else { return };
    let kept: Vec<Value> = list.iter().filter(|e| !e.fields.is_empty()).map(Entry::to_json).collect();
    if kept.is_empty() {
        meta.remove("managedFields");
    } else {
        meta.insert("managedFields".into(), Value::Array(kept));
    }
}

fn now() -> Value {
    json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
}

/// Puts `manager`'s entry for `op` first-come in the list (replacing its fields).
fn upsert(list: &mut Vec<Entry>, manager: &str, op: Op, api_version: &str, fields: FieldSet) {
    let time = now();
    match list.iter_mut().find(|e| e.manager == manager && e.op == op.name() && e.subresource.is_none()) {
        Some(e) => {
            e.fields = fields;
            e.time = time;
            e.api_version = api_version.to_string();
        }
        None => list.push(Entry {
            manager: manager.to_string(),
            op: op.name().to_string(),
            api_version: api_version.to_string(),
            time,
            subresource: None,
            fields,
        }),
    }
}

/// Records a create / update / non-apply patch by `manager` in `next`'s managedFields.
/// `stored` is the object before (None for a create).
pub fn record_update(stored: Option<&Value>, next: &mut Value, manager: &str) {
    let base = match (stored, next["metadata"].get("managedFields")) {
        // A request may reset managedFields by sending other ones (as the apiserver allows).
        (Some(s), Some(sent)) if s["metadata"].get("managedFields") != Some(sent) => next.clone(),
        (Some(s), _) => s.clone(),
        (None, _) => json!({}),
    };
    let mut list = entries(&base);
    let now_set = fields_of(next);
    let changed: FieldSet = now_set
        .iter()
        .filter(|p| {
            let new = value_at(next, p);
            let old = stored.and_then(|s| value_at(s, p));
            match new {
                Some(Value::Object(_)) => old.is_none(),
                _ => old != new,
            }
        })
        .cloned()
        .collect();
    for e in list.iter_mut() {
        e.fields.retain(|p| now_set.contains(p) && !changed.contains(p));
    }
    let api_version = next["apiVersion"].as_str().unwrap_or_default().to_string();
    let mine = list
        .iter()
        .find(|e| e.manager == manager && e.op == "Update" && e.subresource.is_none())
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    if !changed.is_empty() || !mine.is_empty() {
        upsert(&mut list, manager, Op::Update, &api_version, mine.union(&changed).cloned().collect());
    }
    store_entries(next, &list);
}

/// The Status of an apply that conflicts, as the apiserver words it.
fn conflict_error(conflicts: &[(String, String)]) -> ApiError {
    let message = match conflicts {
        [(who, field)] => format!("Apply failed with 1 conflict: conflict with {who}: {field}"),
        _ => {
            let mut managers: Vec<&String> = conflicts.iter().map(|(m, _)| m).collect();
            managers.sort();
            managers.dedup();
            let mut lines = Vec::new();
            for m in managers {
                lines.push(format!("conflicts with {m}:"));
                lines.extend(conflicts.iter().filter(|(w, _)| w == m).map(|(_, f)| format!("- {f}")));
            }
            format!("Apply failed with {} conflicts: {}", conflicts.len(), lines.join("\n"))
        }
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(who, field)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with {who}"), "field": field}))
        .collect();
    status::status(409, "Conflict", &message, Some(json!({"causes": causes})))
}

/// A path as structured-merge-diff prints it: `.spec.template.spec.containers[name="web"].image`.
fn path_string(p: &[String]) -> String {
    p.iter()
        .map(|el| match el.strip_prefix("f:") {
            Some(f) => format!(".{f}"),
            None => {
                let key: Map<String, Value> = el.strip_prefix("k:").and_then(|k| serde_json::from_str(k).ok()).unwrap_or_default();
                let parts: Vec<String> = key.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("[{}]", parts.join(","))
            }
        })
        .collect()
}

/// Server-side apply of `config` by `manager` onto `live`: the merged object with its
/// managedFields, or the 409 conflict.
pub fn apply(live: &Value, config: &Value, manager: &str, force: bool) -> Result<Value, ApiError> {
    let mut merged = patch::strategic(live, config);
    let mut list = entries(live);
    let applied = fields_of(config);
    let mut conflicts = Vec::new();
    let mut taken = FieldSet::new();
    for p in applied.iter().filter(|p| !matches!(value_at(config, p), Some(Value::Object(_)))) {
        let (before, after) = (value_at(live, p), value_at(&merged, p));
        if before.is_none() || before == after {
            continue;
        }
        for e in list.iter().filter(|e| e.fields.contains(p) && !(e.manager == manager && e.op == "Apply")) {
            conflicts.push((e.describe(), path_string(p)));
            taken.insert(p.clone());
        }
    }
    if !conflicts.is_empty() && !force {
        return Err(conflict_error(&conflicts));
    }
    let previous = list.iter().find(|e| e.manager == manager && e.op == "Apply").map(|e| e.fields.clone()).unwrap_or_default();
    let others: FieldSet =
        list.iter().filter(|e| !(e.manager == manager && e.op == "Apply")).flat_map(|e| e.fields.iter().cloned()).collect();
    // Deepest first, so an item's fields go before the item.
    let mut dropped: Vec<&Path> = previous.difference(&applied).collect();
    dropped.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for p in dropped {
        let shared = others.iter().any(|o| o.starts_with(p)) || applied.iter().any(|a| a.starts_with(p));
        if !shared {
            remove_at(&mut merged, p);
        }
    }
    let now_set = fields_of(&merged);
    for e in list.iter_mut() {
        e.fields.retain(|p| now_set.contains(p) && !taken.contains(p));
    }
    let api_version = config["apiVersion"].as_str().or(live["apiVersion"].as_str()).unwrap_or_default().to_string();
    upsert(&mut list, manager, Op::Apply, &api_version, applied);
    store_entries(&mut merged, &list);
    Ok(merged)
}

/// The managedFields of an object created by an apply: the configuration's fields.
pub fn record_apply_create(config: &Value, created: &mut Value, manager: &str) {
    let mut list = Vec::new();
    let api_version = created["apiVersion"].as_str().unwrap_or_default().to_string();
    upsert(&mut list, manager, Op::Apply, &api_version, fields_of(config));
    store_entries(created, &list);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn deploy(replicas: i64, image: &str) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "web", "image": image}]}}}})
    }

    #[test]
    fn fields_v1_round_trips() {
        let set = fields_of(&deploy(1, "a"));
        let v1 = to_fields_v1(&set);
        assert_eq!(v1["f:metadata"]["f:labels"], json!({".": {}, "f:app": {}}));
        assert_eq!(
            v1["f:spec"]["f:template"]["f:spec"]["f:containers"]["k:{\"name\":\"web\"}"],
            json!({".": {}, "f:image": {}, "f:name": {}})
        );
        let mut back = FieldSet::new();
        from_fields_v1(&v1, &mut Vec::new(), &mut back);
        assert_eq!(back, set);
    }

    #[test]
    fn conflicts_force_and_removal() {
        let mut live = deploy(1, "a");
        record_update(None, &mut live, "kubectl-client-side-apply");
        let e = apply(&live, &deploy(3, "a"), "kubectl", false).unwrap_err();
        assert_eq!(e.code, 409);
        assert_eq!(
            e.body["message"],
            "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas"
        );
        let won = apply(&live, &deploy(3, "a"), "kubectl", true).unwrap();
        assert_eq!(won["spec"]["replicas"], 3);
        let mine = entries(&won);
        let csa = mine.iter().find(|e| e.manager == "kubectl-client-side-apply").unwrap();
        assert!(!csa.fields.contains(&vec!["f:spec".to_string(), "f:replicas".to_string()]));
        // Same value: shared, no conflict. A field the applier drops and nobody else owns goes.
        let mut cfg = deploy(3, "a");
        cfg["metadata"]["labels"]["extra"] = json!("x");
        let with_extra = apply(&won, &cfg, "kubectl", false).unwrap();
        assert_eq!(with_extra["metadata"]["labels"]["extra"], "x");
        let without = apply(&with_extra, &deploy(3, "a"), "kubectl", false).unwrap();
        assert!(without["metadata"]["labels"].get("extra").is_none(), "{without}");
        assert_eq!(without["metadata"]["labels"]["app"], "web");
    }
}
