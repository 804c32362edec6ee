//! ResourceQuota: what each object uses (the pod evaluator's compute resources and counts,
//! `count/<resource>.<group>` object counts), the namespace's live usage, and the admission
//! check with the apiserver's "exceeded quota" / "failed quota" messages.
use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::quantity::{self, Milli};
use crate::sim::server::registry;
use crate::sim::store_api::{SimStore, kinds};

/// Resources the pod evaluator requires every container to state when a quota limits them.
const VALIDATED: &[&str] = &["cpu", "memory", "requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];
/// Old-style names for object counts.
const LEGACY_COUNTS: &[(&str, &str)] =
    &[("services", "services"), ("configmaps", "configmaps"), ("secrets", "secrets"), ("persistentvolumeclaims", "persistentvolumeclaims")];

/// Whether a pod counts against quota (not finished, not being deleted).
fn pod_counts(pod: &Value) -> bool {
    let phase = pod["status"]["phase"].as_str().unwrap_or("Pending");
    pod["metadata"]["deletionTimestamp"].is_null() && phase != "Succeeded" && phase != "Failed"
}

/// podComputeUsageHelper for one container: the resource names it states, with amounts.
fn container_usage(c: &Value) -> BTreeMap<String, Milli> {
    let mut out = BTreeMap::new();
    let q = |v: &Value| v.as_str().and_then(quantity::parse).or_else(|| v.as_i64().map(|n| Milli::from(n) * 1000));
    for (res, kind) in [("cpu", "cpu"), ("memory", "memory"), ("ephemeral-storage", "ephemeral-storage")] {
        if let Some(m) = q(&c["resources"]["requests"][res]) {
            out.insert(format!("requests.{kind}"), m);
            if kind != "ephemeral-storage" {
                out.insert(kind.to_string(), m);
            }
        }
        if let Some(m) = q(&c["resources"]["limits"][res]) {
            out.insert(format!("limits.{kind}"), m);
        }
    }
    out
}

/// What one pod uses: `pods`, `count/pods` and the summed container resources.
pub fn pod_usage(pod: &Value) -> BTreeMap<String, Milli> {
    let mut out = BTreeMap::from([("pods".to_string(), 1000), ("count/pods".to_string(), 1000)]);
    for c in pod["spec"]["containers"].as_array().into_iter().flatten() {
        for (k, v) in container_usage(c) {
            *out.entry(k).or_default() += v;
        }
    }
    out
}

/// The registry kind an object-count resource name stands for.
fn counted_kind(name: &str) -> Option<&'static registry::Resource> {
    let res = LEGACY_COUNTS.iter().find(|(n, _)| *n == name).map(|(_, p)| *p).or_else(|| name.strip_prefix("count/"))?;
    let (plural, group) = res.split_once('.').unwrap_or((res, ""));
    registry::RESOURCES.iter().find(|r| r.plural == plural && r.group == group)
}

/// Live usage in `ns` of every resource named in `hard`.
pub fn used(store: &dyn SimStore, ns: &str, hard: &[String]) -> BTreeMap<String, Milli> {
    let mut out: BTreeMap<String, Milli> = hard.iter().map(|k| (k.clone(), 0)).collect();
    let pods = store.list(kinds::POD, Some(ns));
    for p in pods.iter().filter(|p| pod_counts(p)) {
        for (k, v) in pod_usage(p) {
            if let Some(slot) = out.get_mut(&k) {
                *slot += v;
            }
        }
    }
    for k in hard.iter().filter(|k| k.as_str() != "count/pods") {
        if let Some(r) = counted_kind(k) {
            out.insert(k.clone(), Milli::try_from(store.list(r.obj_kind(), Some(ns)).len()).unwrap_or(0) * 1000);
        }
    }
    out
}

/// The resource names and amounts a quota limits (`spec.hard`).
pub fn hard_of(quota: &Value) -> BTreeMap<String, Milli> {
    let hard = quota["spec"]["hard"].as_object().cloned().unwrap_or_default();
    hard.iter()
        .filter_map(|(k, v)| v.as_str().and_then(quantity::parse).or(v.as_i64().map(|n| Milli::from(n) * 1000)).map(|m| (k.clone(), m)))
        .collect()
}

/// What creating `obj` adds to usage.
fn usage_of(obj: &Value) -> BTreeMap<String, Milli> {
    let kind = obj["kind"].as_str().unwrap_or_default();
    let api = obj["apiVersion"].as_str().unwrap_or_default();
    let mut out = if kind == "Pod" && api == "v1" { pod_usage(obj) } else { BTreeMap::new() };
    if let Some(r) = registry::lookup_kind(api, kind) {
        out.insert(format!("count/{}", r.qualified_name()), 1000);
        if let Some((legacy, _)) = LEGACY_COUNTS.iter().find(|(_, p)| *p == r.plural && r.group.is_empty()) {
            out.insert(legacy.to_string(), 1000);
        }
    }
    out
}

fn pretty(m: &BTreeMap<String, Milli>) -> String {
    m.iter().map(|(k, v)| format!("{k}={}", quantity::format_for(k, *v))).collect::<Vec<_>>().join(",")
}

/// "must specify limits.memory for: app; requests.cpu for: app" when a limited compute
/// resource is missing from a container.
fn missing(obj: &Value, hard: &BTreeMap<String, Milli>) -> Option<String> {
    let required: BTreeSet<&str> = hard.keys().map(String::as_str).filter(|k| VALIDATED.contains(k)).collect();
    let mut gaps: BTreeMap<&str, BTreeSet<String>> = BTreeMap::new();
    for c in obj["spec"]["containers"].as_array().into_iter().flatten() {
        let has = container_usage(c);
        for r in required.iter().filter(|r| !has.contains_key(**r)) {
            gaps.entry(r).or_default().insert(c["name"].as_str().unwrap_or_default().to_string());
        }
    }
    let parts: Vec<String> = gaps.iter().map(|(r, cs)| format!("{r} for: {}", cs.iter().cloned().collect::<Vec<_>>().join(","))).collect();
    (!parts.is_empty()).then(|| format!("must specify {}", parts.join("; ")))
}

/// The ResourceQuota admission check for creating `obj` in `ns`: `Err` carries the reason
/// after `<resource> "<name>" is forbidden: `.
pub fn admit(store: &dyn SimStore, ns: &str, obj: &Value) -> Result<(), String> {
    let quotas = store.list(kinds::RESOURCE_QUOTA, Some(ns));
    if quotas.is_empty() {
        return Ok(());
    }
    let adds = usage_of(obj);
    let is_pod = obj["kind"] == "Pod";
    for q in &quotas {
        let name = q["metadata"]["name"].as_str().unwrap_or_default();
        let hard = hard_of(q);
        if !adds.keys().any(|k| hard.contains_key(k)) {
            continue;
        }
        if is_pod && let Some(m) = missing(obj, &hard) {
            return Err(format!("failed quota: {name}: {m}"));
        }
        let keys: Vec<String> = hard.keys().cloned().collect();
        let now = used(store, ns, &keys);
        let over: Vec<&String> =
            adds.keys().filter(|k| hard.get(*k).is_some_and(|h| now.get(*k).copied().unwrap_or(0) + adds[*k] > *h)).collect();
        if !over.is_empty() {
            let pick = |m: &BTreeMap<String, Milli>| over.iter().map(|k| ((*k).clone(), m.get(*k).copied().unwrap_or(0))).collect();
            return Err(format!(
                "exceeded quota: {name}, requested: {}, used: {}, limited: {}",
                pretty(&pick(&adds)),
                pretty(&pick(&now)),
                pretty(&pick(&hard))
            ));
        }
    }
    Ok(())
}
