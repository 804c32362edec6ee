//! Reading and building API objects as JSON: metadata accessors, owner references, label
//! selectors, pod readiness and timestamps, shared by the controllers.
use serde_json::{Value, json};

pub fn name(o: &Value) -> &str {
    o["metadata"]["name"].as_str().unwrap_or_default()
}

pub fn namespace(o: &Value) -> Option<&str> {
    o["metadata"]["namespace"].as_str()
}

pub fn uid(o: &Value) -> &str {
    o["metadata"]["uid"].as_str().unwrap_or_default()
}

pub fn int(o: &Value, pointer: &str) -> i64 {
    o.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

pub fn annotation<'a>(o: &'a Value, key: &str) -> Option<&'a str> {
    o["metadata"]["annotations"][key].as_str()
}

/// Sets (or with `None` removes) an annotation.
pub fn set_annotation(o: &mut Value, key: &str, value: Option<&str>) {
    let meta = &mut o["metadata"];
    if !meta["annotations"].is_object() {
        meta["annotations"] = json!({});
    }
    if let Some(map) = meta["annotations"].as_object_mut() {
        match value {
            Some(v) => {
                map.insert(key.to_string(), json!(v));
            }
            None => {
                map.remove(key);
            }
        }
    }
}

/// The object at `path` below `v`, each step made an (empty) object where it is missing or is
/// not one, so writing into user-supplied JSON can never panic.
pub fn object_at<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Value {
    let mut cur = v;
    for key in path {
        if !cur.is_object() {
            *cur = json!({});
        }
        cur = &mut cur[*key];
    }
    if !cur.is_object() {
        *cur = json!({});
    }
    cur
}

pub fn is_deleting(o: &Value) -> bool {
    !o["metadata"]["deletionTimestamp"].is_null()
}

/// The uid of the object's controlling owner.
pub fn controller_uid(o: &Value) -> Option<&str> {
    o["metadata"]["ownerReferences"].as_array()?.iter().find(|r| r["controller"] == true).and_then(|r| r["uid"].as_str())
}

/// An ownerReference to `owner` with controller=true, as controllers set it.
pub fn controller_ref(owner: &Value) -> Value {
    json!({
        "apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": name(owner),
        "uid": uid(owner), "controller": true, "blockOwnerDeletion": true,
    })
}

pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub fn parse_time(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&chrono::Utc))
}

/// Whether `labels` match a LabelSelector (matchLabels and matchExpressions). An empty selector
/// matches nothing, as for workload controllers.
pub fn selector_matches(selector: &Value, labels: &Value) -> bool {
    let ml = selector["matchLabels"].as_object();
    let me = selector["matchExpressions"].as_array();
    if ml.is_none_or(|m| m.is_empty()) && me.is_none_or(|e| e.is_empty()) {
        return false;
    }
    let labels_ok = ml.is_none_or(|m| m.iter().all(|(k, v)| labels[k] == *v));
    labels_ok && me.is_none_or(|exprs| exprs.iter().all(|e| expression_matches(e, labels)))
}

fn expression_matches(e: &Value, labels: &Value) -> bool {
    let key = e["key"].as_str().unwrap_or_default();
    let value = labels[key].as_str();
    let values: Vec<&str> = e["values"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    match e["operator"].as_str().unwrap_or_default() {
        "In" => value.is_some_and(|v| values.contains(&v)),
        "NotIn" => value.is_none_or(|v| !values.contains(&v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        _ => false,
    }
}

pub fn pod_condition<'a>(pod: &'a Value, kind: &str) -> Option<&'a Value> {
    pod["status"]["conditions"].as_array()?.iter().find(|c| c["type"] == kind)
}

pub fn is_pod_ready(pod: &Value) -> bool {
    pod_condition(pod, "Ready").is_some_and(|c| c["status"] == "True")
}

/// Ready for at least `min_ready_seconds` (availability, as the ReplicaSet controller counts it).
pub fn is_pod_available(pod: &Value, min_ready_seconds: i64, now: chrono::DateTime<chrono::Utc>) -> bool {
    let Some(cond) = pod_condition(pod, "Ready").filter(|c| c["status"] == "True") else {
        return false;
    };
    if min_ready_seconds <= 0 {
        return true;
    }
    cond["lastTransitionTime"].as_str().and_then(parse_time).is_some_and(|t| {
        let since = t + chrono::Duration::seconds(min_ready_seconds);
        super::wake_at(since);
        since <= now
    })
}

/// Whether the pod still counts (not being deleted, not Succeeded/Failed).
pub fn is_pod_active(pod: &Value) -> bool {
    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
    !is_deleting(pod) && phase != "Succeeded" && phase != "Failed"
}

/// A new Pod from a pod template, owned by `owner`.
pub fn pod_from_template(template: &Value, owner: &Value, name: Option<&str>) -> Value {
    let mut meta = json!({
        "namespace": namespace(owner).unwrap_or("default"),
        "labels": template["metadata"]["labels"].clone(),
        "ownerReferences": [controller_ref(owner)],
    });
    if let Some(a) = template["metadata"]["annotations"].as_object() {
        meta["annotations"] = json!(a);
    }
    match name {
        Some(n) => meta["name"] = json!(n),
        None => meta["generateName"] = json!(format!("{}-", self::name(owner))),
    }
    let mut spec = template["spec"].clone();
    if spec["restartPolicy"].is_null() {
        spec["restartPolicy"] = json!("Always");
    }
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec,
        "status": {"phase": "Pending", "qosClass": qos_class(&template["spec"])}})
}

/// The pod's QoS class from its containers' requests and limits.
fn qos_class(spec: &Value) -> &'static str {
    let containers = spec["containers"].as_array().map(Vec::as_slice).unwrap_or_default();
    let any = containers.iter().any(|c| {
        c["resources"]["requests"].as_object().is_some_and(|m| !m.is_empty())
            || c["resources"]["limits"].as_object().is_some_and(|m| !m.is_empty())
    });
    let guaranteed = !containers.is_empty()
        && containers.iter().all(|c| {
            let l = &c["resources"]["limits"];
            let r = &c["resources"]["requests"];
            ["cpu", "memory"].iter().all(|k| l[k].is_string() && (r[k].is_null() || r[k] == l[k]))
        });
    if guaranteed {
        "Guaranteed"
    } else if any {
        "Burstable"
    } else {
        "BestEffort"
    }
}

/// A template without the `pod-template-hash` label, for comparing a ReplicaSet's template
/// with its Deployment's. Nulls and empty lists/maps are dropped, as the real controller's
/// semantic comparison of typed objects treats them as absent (kubectl sends
/// `creationTimestamp: null`).
pub fn template_without_hash(template: &Value) -> Value {
    let mut t = semantic(template);
    if let Some(labels) = t.pointer_mut("/metadata/labels").and_then(Value::as_object_mut) {
        labels.remove("pod-template-hash");
        if labels.is_empty()
            && let Some(meta) = t["metadata"].as_object_mut()
        {
            meta.remove("labels");
        }
    }
    if t["metadata"].as_object().is_some_and(|m| m.is_empty())
        && let Some(obj) = t.as_object_mut()
    {
        obj.remove("metadata");
    }
    t
}

/// A copy without nulls and empty arrays/objects (recursively).
fn semantic(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(m.iter().map(|(k, v)| (k.clone(), semantic(v))).filter(|(_, v)| !is_empty(v)).collect()),
        Value::Array(a) => Value::Array(a.iter().map(semantic).collect()),
        other => other.clone(),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The hash of a pod template like the Deployment controller's `pod-template-hash`: a 32-bit
/// FNV-1a hash, its decimal digits mapped onto the apiserver's safe alphabet.
pub fn template_hash(template: &Value, collision_count: i64) -> String {
    let canonical = canonical_json(&template_without_hash(template));
    let mut h: u32 = 0x811c_9dc5;
    for b in canonical.bytes().chain(collision_count.to_string().bytes()) {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    h.to_string().bytes().map(|b| ALPHA[usize::from(b) % ALPHA.len()] as char).collect()
}

/// JSON text with object keys sorted, so equal objects hash equally whatever their key order.
fn canonical_json(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys.iter().map(|k| format!("{:?}:{}", k, canonical_json(&m[k.as_str()]))).collect();
            format!("{{{}}}", parts.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical_json).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}
