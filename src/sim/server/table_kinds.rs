//! Table columns of the batch, daemon, networking and storage kinds, as the apiserver's
//! printers (`pkg/printers/internalversion`) print them. `Value::Null` cells become the age.
use serde_json::{Value, json};

fn col(name: &str, ty: &str, priority: u8) -> Value {
    let format = if name == "Name" { "name" } else { "" };
    json!({"name": name, "type": ty, "format": format, "description": "", "priority": priority})
}

pub fn columns(plural: &str) -> Option<Vec<Value>> {
    let s = |n: &str| col(n, "string", 0);
    let int = |n: &str| col(n, "integer", 0);
    let wide = |n: &str| col(n, "string", 1);
    Some(match plural {
        "jobs" => vec![s("Name"), s("Status"), s("Completions"), s("Duration"), s("Age"), wide("Containers"), wide("Images")],
        "cronjobs" => vec![s("Name"), s("Schedule"), s("Timezone"), s("Suspend"), int("Active"), s("Last Schedule"), s("Age")],
        "daemonsets" => {
            vec![s("Name"), int("Desired"), int("Current"), int("Ready"), int("Up-to-date"), int("Available"), s("Node Selector"), s("Age")]
        }
        "endpoints" => vec![s("Name"), s("Endpoints"), s("Age")],
        "endpointslices" => vec![s("Name"), s("AddressType"), s("Ports"), s("Endpoints"), s("Age")],
        "persistentvolumeclaims" => {
            vec![s("Name"), s("Status"), s("Volume"), s("Capacity"), s("Access Modes"), s("StorageClass"), s("Age")]
        }
        "storageclasses" => vec![s("Name"), s("Provisioner"), s("ReclaimPolicy"), s("VolumeBindingMode"), s("Age")],
        "priorityclasses" => vec![s("Name"), int("Value"), s("Global-Default"), s("Age")],
        "clusterrolebindings" | "rolebindings" => vec![s("Name"), s("Role"), s("Age")],
        "customresourcedefinitions" => vec![s("Name"), s("Created At")],
        _ => return None,
    })
}

fn text(v: &Value, dflt: &str) -> Value {
    json!(v.as_str().unwrap_or(dflt))
}

fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// "1.2.3.4:80,1.2.3.5:80 + 2 more..." as `kubectl get endpoints` prints ready addresses.
fn endpoint_list(pairs: &[String]) -> String {
    const MAX: usize = 3;
    if pairs.is_empty() {
        return "<none>".into();
    }
    let shown = pairs.iter().take(MAX).cloned().collect::<Vec<_>>().join(",");
    if pairs.len() > MAX { format!("{shown} + {} more...", pairs.len() - MAX) } else { shown }
}

fn endpoints_cell(o: &Value) -> String {
    let mut pairs = Vec::new();
    for s in o["subsets"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let ports = s["ports"].as_array().map(Vec::as_slice).unwrap_or_default();
        for a in s["addresses"].as_array().map(Vec::as_slice).unwrap_or_default() {
            let ip = a["ip"].as_str().unwrap_or_default();
            if ports.is_empty() {
                pairs.push(ip.to_string());
            }
            pairs.extend(ports.iter().map(|p| format!("{ip}:{}", i(&p["port"]))));
        }
    }
    endpoint_list(&pairs)
}

fn job_status(o: &Value) -> &'static str {
    let conds = o["status"]["conditions"].as_array().map(Vec::as_slice).unwrap_or_default();
    let has = |t: &str| conds.iter().any(|c| c["type"] == t && c["status"] == "True");
    if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if has("FailureTarget") {
        "FailureTarget"
    } else if has("SuccessCriteriaMet") {
        "SuccessCriteriaMet"
    } else if o["spec"]["suspend"] == true {
        "Suspended"
    } else {
        "Running"
    }
}

fn duration(o: &Value) -> String {
    let start = o["status"]["startTime"].as_str().and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok());
    let end = o["status"]["completionTime"]
        .as_str()
        .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_else(chrono::Utc::now);
    match start {
        Some(s) => super::table::age(&s.to_rfc3339(), end),
        None => String::new(),
    }
}

fn pod_template(o: &Value) -> &Value {
    if o["spec"]["jobTemplate"].is_object() { &o["spec"]["jobTemplate"]["spec"]["template"] } else { &o["spec"]["template"] }
}

fn containers_images(o: &Value) -> (String, String) {
    let cs = pod_template(o)["spec"]["containers"].as_array().map(Vec::as_slice).unwrap_or_default();
    let names: Vec<&str> = cs.iter().filter_map(|c| c["name"].as_str()).collect();
    let images: Vec<&str> = cs.iter().filter_map(|c| c["image"].as_str()).collect();
    (names.join(","), images.join(","))
}

pub fn cells(plural: &str, name: Value, o: &Value) -> Option<Vec<Value>> {
    let st = &o["status"];
    Some(match plural {
        "jobs" => {
            let completions = match o["spec"]["completions"].as_i64() {
                Some(c) => format!("{}/{c}", i(&st["succeeded"])),
                None => format!("{}/1 of {}", i(&st["succeeded"]), i(&o["spec"]["parallelism"])),
            };
            let (cn, im) = containers_images(o);
            vec![name, json!(job_status(o)), json!(completions), json!(duration(o)), Value::Null, json!(cn), json!(im)]
        }
        "cronjobs" => {
            let last = st["lastScheduleTime"].as_str().map(|t| super::table::age(t, chrono::Utc::now())).unwrap_or("<none>".into());
            vec![
                name,
                text(&o["spec"]["schedule"], ""),
                text(&o["spec"]["timeZone"], "<none>"),
                json!(if o["spec"]["suspend"] == true { "True" } else { "False" }),
                json!(st["active"].as_array().map_or(0, Vec::len)),
                json!(last),
                Value::Null,
            ]
        }
        "daemonsets" => {
            let sel = o["spec"]["template"]["spec"]["nodeSelector"].as_object().cloned().unwrap_or_default();
            let sel: Vec<String> = sel.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect();
            vec![
                name,
                json!(i(&st["desiredNumberScheduled"])),
                json!(i(&st["currentNumberScheduled"])),
                json!(i(&st["numberReady"])),
                json!(i(&st["updatedNumberScheduled"])),
                json!(i(&st["numberAvailable"])),
                json!(if sel.is_empty() { "<none>".to_string() } else { sel.join(",") }),
                Value::Null,
            ]
        }
        "endpoints" => vec![name, json!(endpoints_cell(o)), Value::Null],
        "endpointslices" => {
            let ports: Vec<String> =
                o["ports"].as_array().map(Vec::as_slice).unwrap_or_default().iter().map(|p| i(&p["port"]).to_string()).collect();
            let ips: Vec<String> = o["endpoints"]
                .as_array()
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .flat_map(|e| e["addresses"].as_array().cloned().unwrap_or_default())
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            let ports = if ports.is_empty() { "<unset>".to_string() } else { ports.join(",") };
            vec![name, text(&o["addressType"], ""), json!(ports), json!(endpoint_list(&ips)), Value::Null]
        }
        "persistentvolumeclaims" => vec![
            name,
            text(&st["phase"], "Pending"),
            text(&o["spec"]["volumeName"], ""),
            text(&st["capacity"]["storage"], ""),
            json!(
                st["accessModes"]
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).map(short_mode).collect::<Vec<_>>().join(","))
                    .unwrap_or_default()
            ),
            text(&o["spec"]["storageClassName"], "<unset>"),
            Value::Null,
        ],
        "storageclasses" => {
            let default = o["metadata"]["annotations"]["storageclass.kubernetes.io/is-default-class"] == "true";
            let n = name.as_str().unwrap_or_default();
            vec![
                json!(if default { format!("{n} (default)") } else { n.to_string() }),
                text(&o["provisioner"], ""),
                text(&o["reclaimPolicy"], "Delete"),
                text(&o["volumeBindingMode"], "Immediate"),
                Value::Null,
            ]
        }
        "priorityclasses" => vec![name, json!(i(&o["value"])), json!(o["globalDefault"] == true), Value::Null],
        "clusterrolebindings" | "rolebindings" => {
            let r = &o["roleRef"];
            vec![name, json!(format!("{}/{}", r["kind"].as_str().unwrap_or_default(), r["name"].as_str().unwrap_or_default())), Value::Null]
        }
        "customresourcedefinitions" => vec![name, text(&o["metadata"]["creationTimestamp"], "")],
        _ => return None,
    })
}

fn short_mode(m: &str) -> &str {
    match m {
        "ReadWriteOnce" => "RWO",
        "ReadOnlyMany" => "ROX",
        "ReadWriteMany" => "RWX",
        "ReadWriteOncePod" => "RWOP",
        other => other,
    }
}
