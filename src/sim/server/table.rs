//! `meta.k8s.io/v1` Table responses with the columns the real apiserver prints for the main
//! kinds (NAME/AGE for the rest), so `kubectl get` looks like it does on a real cluster.
use serde_json::{Value, json};

use super::registry::Resource;

fn col(name: &str, ty: &str, priority: u8) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
}

fn columns(res: &Resource) -> Vec<Value> {
    let s = |n: &str| col(n, "string", 0);
    let wide = |n: &str| col(n, "string", 1);
    let int = |n: &str| col(n, "integer", 0);
    match res.plural {
        "pods" => vec![s("Name"), s("Ready"), s("Status"), col("Restarts", "string", 0), s("Age"), wide("IP"), wide("Node")],
        "deployments" => {
            vec![s("Name"), s("Ready"), int("Up-to-date"), int("Available"), s("Age"), wide("Containers"), wide("Images"), wide("Selector")]
        }
        "replicasets" => {
            vec![s("Name"), int("Desired"), int("Current"), int("Ready"), s("Age"), wide("Containers"), wide("Images"), wide("Selector")]
        }
        "statefulsets" => vec![s("Name"), s("Ready"), s("Age"), wide("Containers"), wide("Images")],
        "namespaces" => vec![s("Name"), s("Status"), s("Age")],
        "events" => vec![s("Last Seen"), s("Type"), s("Reason"), s("Object"), s("Message")],
        "services" => vec![s("Name"), s("Type"), s("Cluster-IP"), s("External-IP"), s("Port(s)"), s("Age")],
        "nodes" => vec![s("Name"), s("Status"), s("Roles"), s("Age"), s("Version")],
        "configmaps" => vec![s("Name"), int("Data"), s("Age")],
        "secrets" => vec![s("Name"), s("Type"), int("Data"), s("Age")],
        "poddisruptionbudgets" => vec![s("Name"), s("Min Available"), s("Max Unavailable"), int("Allowed Disruptions"), s("Age")],
        "applications" => vec![s("Name"), s("Sync Status"), s("Health Status"), s("Age")],
        "backupstoragelocations" => vec![s("Name"), s("Phase"), s("Last Validated"), s("Age"), s("Default")],
        "backups" | "restores" => vec![s("Name"), s("Status"), s("Age")],
        "leases" => vec![s("Name"), s("Holder"), s("Age")],
        "serviceaccounts" => vec![s("Name"), int("Secrets"), s("Age")],
        "resourcequotas" => vec![s("Name"), s("Age"), s("Request"), s("Limit")],
        other => super::table_kinds::columns(other).unwrap_or_else(|| vec![s("Name"), s("Age")]),
    }
}

/// "5s", "3m", "2h", "4d" like the apiserver's short human durations.
pub fn age(ts: &str, now: chrono::DateTime<chrono::Utc>) -> String {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(ts) else { return "<unknown>".into() };
    let secs = (now - t.with_timezone(&chrono::Utc)).num_seconds().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 3600 * 2 => format!("{}m", s / 60),
        s if s < 86400 * 2 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

fn containers(o: &Value) -> (String, String) {
    let cs = o["spec"]["template"]["spec"]["containers"].as_array().cloned().unwrap_or_default();
    let names: Vec<&str> = cs.iter().filter_map(|c| c["name"].as_str()).collect();
    let images: Vec<&str> = cs.iter().filter_map(|c| c["image"].as_str()).collect();
    (names.join(","), images.join(","))
}

fn selector(o: &Value) -> String {
    let m = o["spec"]["selector"]["matchLabels"].as_object().cloned().unwrap_or_default();
    m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(",")
}

fn pod_cells(o: &Value) -> Vec<Value> {
    let st = &o["status"];
    let cs = st["containerStatuses"].as_array().cloned().unwrap_or_default();
    let total = o["spec"]["containers"].as_array().map(Vec::len).unwrap_or(0);
    let ready = cs.iter().filter(|c| c["ready"].as_bool() == Some(true)).count();
    let restarts: i64 = cs.iter().map(|c| i(&c["restartCount"])).sum();
    let waiting = cs.iter().find_map(|c| c["state"]["waiting"]["reason"].as_str());
    let terminated = cs.iter().find_map(|c| c["state"]["terminated"]["reason"].as_str());
    let mut phase = waiting.or(terminated).or(st["phase"].as_str()).unwrap_or("Pending").to_string();
    if o["metadata"]["deletionTimestamp"].is_string() {
        phase = "Terminating".into();
    }
    vec![
        json!(format!("{ready}/{total}")),
        json!(phase),
        json!(restarts.to_string()),
        Value::Null,
        json!(st["podIP"].as_str().unwrap_or("<none>")),
        json!(o["spec"]["nodeName"].as_str().unwrap_or("<none>")),
    ]
}

fn cells(res: &Resource, o: &Value, age_s: String) -> Vec<Value> {
    let name = json!(o["metadata"]["name"].as_str().unwrap_or_default());
    let st = &o["status"];
    let (cn, im) = containers(o);
    let mut row = match res.plural {
        "pods" => [vec![name], pod_cells(o)].concat(),
        "deployments" => vec![
            name,
            json!(format!("{}/{}", i(&st["readyReplicas"]), i(&o["spec"]["replicas"]))),
            json!(i(&st["updatedReplicas"])),
            json!(i(&st["availableReplicas"])),
            Value::Null,
            json!(cn),
            json!(im),
            json!(selector(o)),
        ],
        "replicasets" => vec![
            name,
            json!(i(&o["spec"]["replicas"])),
            json!(i(&st["replicas"])),
            json!(i(&st["readyReplicas"])),
            Value::Null,
            json!(cn),
            json!(im),
            json!(selector(o)),
        ],
        "statefulsets" => {
            vec![name, json!(format!("{}/{}", i(&st["readyReplicas"]), i(&o["spec"]["replicas"]))), Value::Null, json!(cn), json!(im)]
        }
        "namespaces" => vec![name, json!(st["phase"].as_str().unwrap_or("Active")), Value::Null],
        "events" => event_cells(o),
        "services" => service_cells(name, o),
        "nodes" => {
            vec![name, json!("Ready"), json!("<none>"), Value::Null, json!(st["nodeInfo"]["kubeletVersion"].as_str().unwrap_or("v1.32.0"))]
        }
        _ => other_cells(res, name, o),
    };
    for c in row.iter_mut().filter(|c| c.is_null()) {
        *c = json!(age_s.clone());
    }
    row
}

fn text_or(v: &Value, dflt: &str) -> Value {
    match v {
        Value::String(s) => json!(s),
        Value::Number(n) => json!(n.to_string()),
        _ => json!(dflt),
    }
}

fn other_cells(res: &Resource, name: Value, o: &Value) -> Vec<Value> {
    let st = &o["status"];
    let count = |v: &Value| json!(v.as_object().map(|m| m.len()).unwrap_or(0));
    match res.plural {
        "configmaps" => vec![
            name,
            json!(o["data"].as_object().map_or(0, |m| m.len()) + o["binaryData"].as_object().map_or(0, |m| m.len())),
            Value::Null,
        ],
        "secrets" => vec![name, text_or(&o["type"], "Opaque"), count(&o["data"]), Value::Null],
        "poddisruptionbudgets" => vec![
            name,
            text_or(&o["spec"]["minAvailable"], "N/A"),
            text_or(&o["spec"]["maxUnavailable"], "N/A"),
            json!(i(&st["disruptionsAllowed"])),
            Value::Null,
        ],
        "applications" => vec![name, text_or(&st["sync"]["status"], ""), text_or(&st["health"]["status"], ""), Value::Null],
        "backupstoragelocations" => vec![
            name,
            text_or(&st["phase"], ""),
            text_or(&st["lastValidationTime"], ""),
            Value::Null,
            json!(o["spec"]["default"].as_bool().unwrap_or(false).to_string()),
        ],
        "backups" | "restores" => vec![name, text_or(&st["phase"], ""), Value::Null],
        "leases" => vec![name, text_or(&o["spec"]["holderIdentity"], ""), Value::Null],
        "serviceaccounts" => vec![name, json!(o["secrets"].as_array().map_or(0, Vec::len)), Value::Null],
        "resourcequotas" => {
            let (request, limit) = quota_cells(o);
            vec![name, Value::Null, json!(request), json!(limit)]
        }
        other => super::table_kinds::cells(other, name.clone(), o).unwrap_or_else(|| vec![name, Value::Null]),
    }
}

/// printResourceQuota: "requests.cpu: 300m/8, pods: 3/40" and the `limits.*` part apart.
fn quota_cells(o: &Value) -> (String, String) {
    let hard = o["status"]["hard"].as_object().or(o["spec"]["hard"].as_object()).cloned().unwrap_or_default();
    let (mut request, mut limit) = (Vec::new(), Vec::new());
    let mut keys: Vec<(&String, &Value)> = hard.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));
    for (k, h) in keys {
        let used = o["status"]["used"][k].as_str().unwrap_or("0");
        let part = format!("{k}: {used}/{}", h.as_str().unwrap_or_default());
        if k.starts_with("limits") { limit.push(part) } else { request.push(part) }
    }
    (request.join(", "), limit.join(", "))
}

fn event_cells(o: &Value) -> Vec<Value> {
    let inv = &o["involvedObject"];
    let object = format!("{}/{}", inv["kind"].as_str().unwrap_or_default().to_lowercase(), inv["name"].as_str().unwrap_or_default());
    vec![
        Value::Null,
        json!(o["type"].as_str().unwrap_or("Normal")),
        json!(o["reason"].as_str().unwrap_or_default()),
        json!(object),
        json!(o["message"].as_str().unwrap_or_default()),
    ]
}

fn service_cells(name: Value, o: &Value) -> Vec<Value> {
    let ports: Vec<String> = o["spec"]["ports"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|p| match p["nodePort"].as_i64() {
            Some(np) => format!("{}:{np}/{}", i(&p["port"]), p["protocol"].as_str().unwrap_or("TCP")),
            None => format!("{}/{}", i(&p["port"]), p["protocol"].as_str().unwrap_or("TCP")),
        })
        .collect();
    vec![
        name,
        json!(o["spec"]["type"].as_str().unwrap_or("ClusterIP")),
        json!(o["spec"]["clusterIP"].as_str().unwrap_or("<none>")),
        json!(if o["spec"]["type"] == "LoadBalancer" { "<pending>" } else { "<none>" }),
        json!(if ports.is_empty() { "<none>".to_string() } else { ports.join(",") }),
        Value::Null,
    ]
}

fn timestamp_for(res: &Resource, o: &Value) -> String {
    let m = &o["metadata"];
    let t = if res.plural == "events" {
        o["lastTimestamp"].as_str().or(o["eventTime"].as_str()).or(m["creationTimestamp"].as_str())
    } else {
        m["creationTimestamp"].as_str()
    };
    t.unwrap_or_default().to_string()
}

/// A Table of `items`; each row carries the full object (kubectl reads namespace from it).
pub fn table(res: &Resource, items: &[Value], rv: &str, with_columns: bool) -> Value {
    serde_json::to_value(borrowed(res, items, json!({"resourceVersion": rv}), with_columns)).unwrap_or(Value::Null)
}

/// A Table response of stored objects, serialized from them (no copy of the objects).
pub fn response<'a>(res: &Resource, items: impl IntoIterator<Item = &'a Value>, metadata: Value, with_columns: bool) -> super::Resp {
    super::serialized_resp(200, &borrowed(res, items, metadata, with_columns))
}

/// A `meta.k8s.io/v1` Table whose rows borrow their objects.
#[derive(serde::Serialize)]
pub struct Table<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: Value,
    rows: Vec<Row<'a>>,
    #[serde(rename = "columnDefinitions", skip_serializing_if = "Option::is_none")]
    column_definitions: Option<Value>,
}

#[derive(serde::Serialize)]
struct Row<'a> {
    cells: Vec<Value>,
    object: &'a Value,
}

fn borrowed<'a>(res: &Resource, items: impl IntoIterator<Item = &'a Value>, metadata: Value, with_columns: bool) -> Table<'a> {
    let now = chrono::Utc::now();
    let rows = items.into_iter().map(|o| Row { cells: cells(res, o, age(&timestamp_for(res, o), now)), object: o }).collect();
    Table { kind: "Table", api_version: "meta.k8s.io/v1", metadata, rows, column_definitions: with_columns.then(|| json!(columns(res))) }
}
