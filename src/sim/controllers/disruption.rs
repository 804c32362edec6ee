//! The disruption controller (pkg/controller/disruption): each PodDisruptionBudget's status —
//! expectedPods, desiredHealthy from minAvailable / maxUnavailable (percentages of the
//! controllers' scale, rounded up), currentHealthy (ready pods not being deleted and not just
//! evicted), disruptionsAllowed = max(0, currentHealthy − desiredHealthy), the
//! DisruptionAllowed condition and observedGeneration.
use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::obj;
use crate::sim::store_api::{SimStore, kinds};

/// An eviction not yet seen as a deleted pod stops counting after this long (upstream: 2 min).
const DISRUPTION_TIMEOUT_S: i64 = 120;

/// intstr.GetScaledValueFromIntOrPercent.
pub fn scaled(v: &Value, total: i64, round_up: bool) -> i64 {
    if let Some(n) = v.as_i64() {
        return n;
    }
    let pct: i64 = v.as_str().and_then(|s| s.strip_suffix('%')).and_then(|p| p.parse().ok()).unwrap_or(0);
    if round_up { (pct * total + 99) / 100 } else { pct * total / 100 }
}

/// Whether a PDB's selector selects `pod` (policy/v1: an empty selector selects every pod).
pub fn selects(pdb: &Value, pod: &Value) -> bool {
    let sel = &pdb["spec"]["selector"];
    if sel.is_null() {
        return false;
    }
    let empty =
        sel["matchLabels"].as_object().is_none_or(|m| m.is_empty()) && sel["matchExpressions"].as_array().is_none_or(|e| e.is_empty());
    empty || obj::selector_matches(sel, &pod["metadata"]["labels"])
}

/// getExpectedScale: the summed scale of the pods' controllers (a Deployment counts once for
/// all its ReplicaSets).
fn expected_scale(store: &dyn SimStore, ns: Option<&str>, pods: &[&Value]) -> i64 {
    let mut scale: BTreeMap<String, i64> = BTreeMap::new();
    for p in pods {
        let Some(owner) = p["metadata"]["ownerReferences"].as_array().and_then(|o| o.iter().find(|r| r["controller"] == true)) else {
            continue;
        };
        let name = owner["name"].as_str().unwrap_or_default();
        let (key, n) = match owner["kind"].as_str() {
            Some("ReplicaSet") => {
                let Some(rs) = store.get(kinds::REPLICA_SET, ns, name) else { continue };
                let dep = rs["metadata"]["ownerReferences"].as_array().and_then(|o| o.iter().find(|r| r["kind"] == "Deployment")).cloned();
                match dep.and_then(|d| store.get(kinds::DEPLOYMENT, ns, d["name"].as_str().unwrap_or_default())) {
                    Some(d) => (obj::uid(&d).to_string(), obj::int(&d, "/spec/replicas")),
                    None => (obj::uid(&rs).to_string(), obj::int(&rs, "/spec/replicas")),
                }
            }
            Some("StatefulSet") => match store.get(kinds::STATEFUL_SET, ns, name) {
                Some(s) => (obj::uid(&s).to_string(), obj::int(&s, "/spec/replicas")),
                None => continue,
            },
            _ => continue,
        };
        scale.insert(key, n);
    }
    scale.values().sum()
}

/// (expectedPods, desiredHealthy): getExpectedPodCount.
fn expected_and_desired(store: &dyn SimStore, pdb: &Value, pods: &[&Value]) -> (i64, i64) {
    let spec = &pdb["spec"];
    let ns = obj::namespace(pdb);
    if !spec["maxUnavailable"].is_null() {
        let expected = expected_scale(store, ns, pods);
        (expected, (expected - scaled(&spec["maxUnavailable"], expected, true)).max(0))
    } else if let Some(n) = spec["minAvailable"].as_i64() {
        (i64::try_from(pods.len()).unwrap_or(i64::MAX), n)
    } else if spec["minAvailable"].is_string() {
        let expected = expected_scale(store, ns, pods);
        (expected, scaled(&spec["minAvailable"], expected, true))
    } else {
        (0, 0)
    }
}

/// The status the disruption controller writes for `pdb`.
pub fn compute(store: &dyn SimStore, pdb: &Value, now: chrono::DateTime<chrono::Utc>) -> Value {
    let all = store.list_shared(kinds::POD, obj::namespace(pdb));
    let pods: Vec<&Value> = all.iter().map(|p| &**p).filter(|p| selects(pdb, p)).collect();
    let (expected, desired) = expected_and_desired(store, pdb, &pods);
    let mut disrupted = Map::new();
    for p in pods.iter().filter(|p| !obj::is_deleting(p)) {
        if let Some(t) = pdb["status"]["disruptedPods"][obj::name(p)].as_str()
            && obj::parse_time(t).is_some_and(|t| {
                let expires = t + chrono::Duration::seconds(DISRUPTION_TIMEOUT_S);
                super::wake_at(expires);
                expires > now
            })
        {
            disrupted.insert(obj::name(p).to_string(), json!(t));
        }
    }
    let healthy = pods.iter().filter(|p| !obj::is_deleting(p) && !disrupted.contains_key(obj::name(p)) && obj::is_pod_ready(p)).count();
    let healthy = i64::try_from(healthy).unwrap_or(i64::MAX);
    let allowed = if expected <= 0 { 0 } else { (healthy - desired).max(0) };
    let generation = obj::int(pdb, "/metadata/generation");
    let mut status = json!({"observedGeneration": generation, "disruptionsAllowed": allowed, "currentHealthy": healthy,
        "desiredHealthy": desired, "expectedPods": expected});
    if !disrupted.is_empty() {
        status["disruptedPods"] = Value::Object(disrupted);
    }
    status["conditions"] = json!([allowed_condition(pdb, allowed, generation, now)]);
    status
}

/// UpdateDisruptionAllowedCondition; keeps lastTransitionTime while the status is unchanged.
pub fn allowed_condition(pdb: &Value, allowed: i64, generation: i64, now: chrono::DateTime<chrono::Utc>) -> Value {
    let (st, reason) = if allowed > 0 { ("True", "SufficientPods") } else { ("False", "InsufficientPods") };
    let old = pdb["status"]["conditions"].as_array().and_then(|c| c.iter().find(|c| c["type"] == "DisruptionAllowed"));
    let since = match old {
        Some(c) if c["status"] == st => c["lastTransitionTime"].clone(),
        _ => json!(now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
    };
    json!({"type": "DisruptionAllowed", "status": st, "reason": reason, "message": "", "observedGeneration": generation,
        "lastTransitionTime": since})
}

pub fn reconcile(store: &dyn SimStore) {
    let now = chrono::Utc::now();
    for pdb in store.list(kinds::PDB, None) {
        let status = compute(store, &pdb, now);
        if pdb["status"] != status {
            let mut next = pdb;
            next["status"] = status;
            let _ = store.update_status(next);
        }
    }
}
