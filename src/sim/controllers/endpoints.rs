//! The Endpoints and EndpointSlice controllers: for every Service with a selector, the pods
//! it selects that have an IP — ready ones in `addresses` (slices: `ready: true`), the others
//! in `notReadyAddresses` — with each service port's `targetPort` resolved against the pod
//! (a named port through the containers' ports). Pods resolving to different ports land in
//! different subsets / slices, as upstream. Endpoints the controller made (marked by the
//! `endpoints.kubernetes.io/last-change-trigger-time` annotation) go with their Service;
//! slices are owned by the Service and go through the garbage collector. Services seeded
//! without an address get one here (API-created ones get it at admission).
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::obj;
use crate::sim::store_api::{SimStore, kinds};

const TRIGGER: &str = "endpoints.kubernetes.io/last-change-trigger-time";
const SERVICE_NAME: &str = "kubernetes.io/service-name";
const MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
const SLICE_CONTROLLER: &str = "endpointslice-controller.k8s.io";

pub fn reconcile(store: &dyn SimStore) {
    let services = store.list(kinds::SERVICE, None);
    for svc in &services {
        if crate::sim::admission::services::needs_allocation(svc) {
            let mut next = svc.clone();
            crate::sim::admission::services::allocate(store, &mut next);
            let _ = store.update(next);
        }
    }
    for ep in store.list(kinds::ENDPOINTS, None) {
        let ours = obj::annotation(&ep, TRIGGER).is_some();
        if ours && store.get(kinds::SERVICE, obj::namespace(&ep), obj::name(&ep)).is_none() {
            let _ = store.delete(kinds::ENDPOINTS, obj::namespace(&ep), obj::name(&ep));
        }
    }
    for svc in services.iter().filter(|s| selects(s)) {
        let pods: Vec<Value> =
            store.list(kinds::POD, obj::namespace(svc)).into_iter().filter(|p| labels_match(&svc["spec"]["selector"], p)).collect();
        let groups = group_by_ports(svc, &pods);
        sync_endpoints(store, svc, &groups);
        sync_slices(store, svc, &groups);
    }
}

fn selects(svc: &Value) -> bool {
    svc["spec"]["type"] != "ExternalName" && svc["spec"]["selector"].as_object().is_some_and(|m| !m.is_empty())
}

fn labels_match(selector: &Value, pod: &Value) -> bool {
    selector.as_object().is_some_and(|sel| sel.iter().all(|(k, v)| pod["metadata"]["labels"][k.as_str()] == *v))
}

/// One resolved endpoint port: (name, port, protocol).
type Port = (String, i64, String);

/// The pod's port for a service port, or `None` when a named `targetPort` is not declared.
fn resolve(sp: &Value, pod: &Value) -> Option<Port> {
    let name = sp["name"].as_str().unwrap_or_default().to_string();
    let protocol = sp["protocol"].as_str().unwrap_or("TCP").to_string();
    let port = match &sp["targetPort"] {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => match s.parse::<i64>() {
            Ok(n) => n,
            Err(_) => pod["spec"]["containers"]
                .as_array()?
                .iter()
                .flat_map(|c| c["ports"].as_array().cloned().unwrap_or_default())
                .find(|p| p["name"] == s.as_str() && p["protocol"].as_str().unwrap_or("TCP") == protocol)?["containerPort"]
                .as_i64()?,
        },
        _ => sp["port"].as_i64()?,
    };
    Some((name, port, protocol))
}

/// Pods that belong in the endpoints (an IP, not finished, not being deleted unless the
/// Service publishes not-ready addresses), grouped by their resolved ports.
fn group_by_ports<'a>(svc: &Value, pods: &'a [Value]) -> BTreeMap<Vec<Port>, Vec<&'a Value>> {
    let publish = svc["spec"]["publishNotReadyAddresses"] == true;
    let service_ports = svc["spec"]["ports"].as_array().map(Vec::as_slice).unwrap_or_default();
    let mut groups: BTreeMap<Vec<Port>, Vec<&Value>> = BTreeMap::new();
    for p in pods {
        let phase = p["status"]["phase"].as_str().unwrap_or("Pending");
        let has_ip = p["status"]["podIP"].as_str().is_some_and(|ip| !ip.is_empty());
        if !has_ip || phase == "Succeeded" || phase == "Failed" || (obj::is_deleting(p) && !publish) {
            continue;
        }
        let ports: Vec<Port> = service_ports.iter().filter_map(|sp| resolve(sp, p)).collect();
        if !service_ports.is_empty() && ports.is_empty() {
            continue;
        }
        groups.entry(ports).or_default().push(p);
    }
    groups
}

fn ready(svc: &Value, p: &Value) -> bool {
    svc["spec"]["publishNotReadyAddresses"] == true || (obj::is_pod_ready(p) && !obj::is_deleting(p))
}

fn target_ref(p: &Value) -> Value {
    json!({"kind": "Pod", "namespace": obj::namespace(p), "name": obj::name(p), "uid": obj::uid(p)})
}

/// Endpoints leave an empty port name out; EndpointSlices spell it `""`.
fn port_json(p: &Port, omit_empty_name: bool) -> Value {
    let mut v = json!({"port": p.1, "protocol": p.2});
    if !(omit_empty_name && p.0.is_empty()) {
        v["name"] = json!(p.0);
    }
    v
}

fn sync_endpoints(store: &dyn SimStore, svc: &Value, groups: &BTreeMap<Vec<Port>, Vec<&Value>>) {
    let ns = obj::namespace(svc);
    let subsets: Vec<Value> = groups
        .iter()
        .map(|(ports, pods)| {
            let address = |p: &&Value| json!({"ip": p["status"]["podIP"], "nodeName": p["spec"]["nodeName"], "targetRef": target_ref(p)});
            let (up, down): (Vec<&&Value>, Vec<&&Value>) = pods.iter().partition(|p| ready(svc, p));
            let mut s = json!({"ports": ports.iter().map(|p| port_json(p, true)).collect::<Vec<_>>()});
            if !up.is_empty() {
                s["addresses"] = json!(up.into_iter().map(address).collect::<Vec<_>>());
            }
            if !down.is_empty() {
                s["notReadyAddresses"] = json!(down.into_iter().map(address).collect::<Vec<_>>());
            }
            s
        })
        .collect();
    let labels = svc["metadata"]["labels"].clone();
    let current = store.get(kinds::ENDPOINTS, ns, obj::name(svc));
    let mut next = current
        .clone()
        .unwrap_or_else(|| json!({"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": obj::name(svc), "namespace": ns}}));
    if current.as_ref().is_some_and(|c| c["subsets"] == json!(subsets) && c["metadata"]["labels"] == labels) {
        return;
    }
    if current.as_ref().is_some_and(|c| subsets.is_empty() && c["subsets"].is_null() && c["metadata"]["labels"] == labels) {
        return;
    }
    next["metadata"]["labels"] = labels;
    obj::set_annotation(&mut next, TRIGGER, Some(&obj::now_rfc3339()));
    if subsets.is_empty() {
        if let Some(m) = next.as_object_mut() {
            m.remove("subsets");
        }
    } else {
        next["subsets"] = json!(subsets);
    }
    let _ = if current.is_some() { store.update(next) } else { store.create(next) };
}

fn sync_slices(store: &dyn SimStore, svc: &Value, groups: &BTreeMap<Vec<Port>, Vec<&Value>>) {
    let ns = obj::namespace(svc);
    let mut existing: Vec<Value> = store
        .list(kinds::ENDPOINT_SLICE, ns)
        .into_iter()
        .filter(|s| s["metadata"]["labels"][SERVICE_NAME] == obj::name(svc) && s["metadata"]["labels"][MANAGED_BY] == SLICE_CONTROLLER)
        .collect();
    let mut wanted: Vec<(Value, Value)> = groups
        .iter()
        .map(|(ports, pods)| {
            let endpoints: Vec<Value> = pods
                .iter()
                .map(|p| {
                    let r = ready(svc, p);
                    json!({"addresses": [p["status"]["podIP"]], "conditions": {"ready": r, "serving": obj::is_pod_ready(p), "terminating": obj::is_deleting(p)},
                        "nodeName": p["spec"]["nodeName"], "targetRef": target_ref(p)})
                })
                .collect();
            (json!(ports.iter().map(|p| port_json(p, false)).collect::<Vec<_>>()), json!(endpoints))
        })
        .collect();
    if wanted.is_empty() {
        wanted.push((json!([]), json!([])));
    }
    let mut labels = svc["metadata"]["labels"].as_object().cloned().unwrap_or_default();
    labels.insert(SERVICE_NAME.into(), json!(obj::name(svc)));
    labels.insert(MANAGED_BY.into(), json!(SLICE_CONTROLLER));
    let labels = Value::Object(labels);
    existing.sort_by(|a, b| obj::name(a).cmp(obj::name(b)));
    for (i, (ports, endpoints)) in wanted.into_iter().enumerate() {
        match existing.get(i) {
            Some(s) if s["ports"] == ports && s["endpoints"] == endpoints && s["metadata"]["labels"] == labels => {}
            Some(s) => {
                let mut next = s.clone();
                next["ports"] = ports;
                next["endpoints"] = endpoints;
                next["metadata"]["labels"] = labels.clone();
                let _ = store.update(next);
            }
            None => {
                let slice = json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
                    "metadata": {"generateName": format!("{}-", obj::name(svc)), "namespace": ns, "labels": labels,
                        "ownerReferences": [obj::controller_ref(svc)]},
                    "ports": ports, "endpoints": endpoints});
                let _ = store.create(slice);
            }
        }
    }
    for s in existing.iter().skip(groups.len().max(1)) {
        let _ = store.delete(kinds::ENDPOINT_SLICE, ns, obj::name(s));
    }
}
