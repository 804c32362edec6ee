//! What the apiserver's Service storage fills in on create: a ClusterIP from the service CIDR
//! (10.96.0.0/12, `.0.1` being the `kubernetes` Service's), `clusterIPs`, the IP family
//! fields, `sessionAffinity`, `internalTrafficPolicy`, and node ports (30000–32767) for
//! NodePort and LoadBalancer Services. Headless (`clusterIP: None`) and ExternalName Services
//! get no address. Addresses are picked by a hash of namespace/name, probing past taken ones.
use std::collections::HashSet;

use serde_json::{Value, json};

use crate::sim::server::defaults::set_default;
use crate::sim::store_api::{SimStore, kinds};

/// 10.96.0.0/12 holds 2^20 addresses; offsets 0 and 1 (the `kubernetes` Service's) and the
/// last one are not handed out.
const CIDR_SIZE: u32 = 1 << 20;
const FIRST: u32 = 2;
const FREE: u32 = CIDR_SIZE - 3;
const NODE_PORTS: std::ops::RangeInclusive<u32> = 30000..=32767;

fn fnv(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193))
}

fn ip_of(offset: u32) -> String {
    let n = (10u32 << 24) | (96 << 16) | offset;
    std::net::Ipv4Addr::from(n).to_string()
}

/// Fills the allocated fields of a Service in place (nothing that is already set changes).
pub fn allocate(store: &dyn SimStore, svc: &mut Value) {
    if !svc["spec"].is_object() {
        return;
    }
    let ty = svc["spec"]["type"].as_str().unwrap_or("ClusterIP").to_string();
    let ns = svc["metadata"]["namespace"].as_str().unwrap_or_default();
    let name = svc["metadata"]["name"].as_str().or(svc["metadata"]["generateName"].as_str()).unwrap_or_default();
    let key = format!("{ns}/{name}");
    let others = store.list(kinds::SERVICE, None);
    let spec = &mut svc["spec"];
    set_default(spec, "sessionAffinity", json!("None"));
    if ty == "ExternalName" {
        return;
    }
    set_default(spec, "internalTrafficPolicy", json!("Cluster"));
    if spec["clusterIP"].is_null() || spec["clusterIP"] == "" {
        let taken: HashSet<&str> = others.iter().filter_map(|s| s["spec"]["clusterIP"].as_str()).collect();
        let start = fnv(&key) % FREE;
        let free = (0..FREE).map(|i| FIRST + (start + i) % FREE).map(ip_of).find(|ip| !taken.contains(ip.as_str()));
        if let Some(ip) = free {
            spec["clusterIP"] = json!(ip);
        }
    }
    if spec["clusterIPs"].is_null() && spec["clusterIP"].is_string() {
        spec["clusterIPs"] = json!([spec["clusterIP"].clone()]);
    }
    if spec["clusterIP"] != "None" {
        set_default(spec, "ipFamilies", json!(["IPv4"]));
        set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
    }
    if ty == "NodePort" || ty == "LoadBalancer" {
        set_default(spec, "externalTrafficPolicy", json!("Cluster"));
        let mut taken: HashSet<u64> = others
            .iter()
            .flat_map(|s| s["spec"]["ports"].as_array().cloned().unwrap_or_default())
            .filter_map(|p| p["nodePort"].as_u64())
            .collect();
        let span = NODE_PORTS.end() - NODE_PORTS.start() + 1;
        if let Some(ports) = spec["ports"].as_array_mut() {
            for (i, p) in ports.iter_mut().enumerate().filter(|(_, p)| p.is_object() && p["nodePort"].is_null()) {
                let start = fnv(&format!("{key}/{i}")) % span;
                let free = (0..span).map(|j| u64::from(NODE_PORTS.start() + (start + j) % span)).find(|n| !taken.contains(n));
                if let Some(n) = free {
                    taken.insert(n);
                    p["nodePort"] = json!(n);
                }
            }
        }
    }
}

/// Whether a stored Service still lacks what `allocate` fills (seeded objects skip admission).
pub fn needs_allocation(svc: &Value) -> bool {
    let ty = svc["spec"]["type"].as_str().unwrap_or("ClusterIP");
    ty != "ExternalName" && svc["spec"]["clusterIP"].as_str().is_none_or(str::is_empty)
}
