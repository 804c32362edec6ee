//! The scheduler's predicates the simulator applies: a pod fits a node when the node matches
//! its `nodeSelector`, it tolerates the node's `NoSchedule`/`NoExecute` taints, and a node
//! affinity pin (`matchFields metadata.name In [node]`, as the DaemonSet controller sets it)
//! names that node. Other affinity terms, resources and ports are not considered.
use serde_json::Value;

use super::obj;

fn tolerates(spec: &Value, taint: &Value) -> bool {
    let tolerations = spec["tolerations"].as_array().map(Vec::as_slice).unwrap_or_default();
    tolerations.iter().any(|t| {
        let key_ok = t["key"].as_str().is_none_or(str::is_empty) && t["operator"] == "Exists" || t["key"] == taint["key"];
        let value_ok = t["operator"] == "Exists" || t["value"].as_str().unwrap_or_default() == taint["value"].as_str().unwrap_or_default();
        let effect_ok = t["effect"].as_str().is_none_or(str::is_empty) || t["effect"] == taint["effect"];
        key_ok && value_ok && effect_ok
    })
}

fn selector_ok(spec: &Value, node: &Value) -> bool {
    spec["nodeSelector"].as_object().is_none_or(|sel| sel.iter().all(|(k, v)| node["metadata"]["labels"][k.as_str()] == *v))
}

fn untolerated_taint(spec: &Value, node: &Value) -> bool {
    let taints = node["spec"]["taints"].as_array().map(Vec::as_slice).unwrap_or_default();
    taints.iter().filter(|t| t["effect"] == "NoSchedule" || t["effect"] == "NoExecute").any(|t| !tolerates(spec, t))
}

/// Whether a pod with this spec belongs on `node` (selector and taints).
pub(super) fn eligible(spec: &Value, node: &Value) -> bool {
    selector_ok(spec, node) && !untolerated_taint(spec, node)
}

/// The node named by `requiredDuringSchedulingIgnoredDuringExecution` `matchFields`
/// `metadata.name In [node]`, as the DaemonSet controller pins its pods.
pub(super) fn pinned_node(pod: &Value) -> Option<&str> {
    let terms =
        pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"].as_array()?;
    terms.iter().flat_map(|t| t["matchFields"].as_array().map(Vec::as_slice).unwrap_or_default()).find_map(|f| {
        let single = f["values"].as_array().filter(|v| v.len() == 1)?;
        (f["key"] == "metadata.name" && f["operator"] == "In").then(|| single[0].as_str()).flatten()
    })
}

/// Whether `pod` may be bound to `node`.
pub(super) fn fits(pod: &Value, node: &Value) -> bool {
    eligible(&pod["spec"], node) && pinned_node(pod).is_none_or(|n| n == obj::name(node))
}

/// The scheduler's FailedScheduling message, reasons sorted as upstream: `0/3 nodes are
/// available: 1 node(s) had untolerated taint(s), 2 node(s) didn't match Pod's node affinity/selector.`
pub(super) fn unschedulable_message(pod: &Value, nodes: &[std::sync::Arc<Value>]) -> String {
    if nodes.is_empty() {
        return "no nodes available to schedule pods".into();
    }
    let spec = &pod["spec"];
    let cordoned = nodes.iter().filter(|n| n["spec"]["unschedulable"] == true).count();
    let tainted = nodes.iter().filter(|n| n["spec"]["unschedulable"] != true && untolerated_taint(spec, n)).count();
    let mismatched = nodes
        .iter()
        .filter(|n| n["spec"]["unschedulable"] != true && !untolerated_taint(spec, n))
        .filter(|n| !selector_ok(spec, n) || pinned_node(pod).is_some_and(|p| p != obj::name(n)))
        .count();
    let mut reasons = Vec::new();
    if mismatched > 0 {
        reasons.push(format!("{mismatched} node(s) didn't match Pod's node affinity/selector"));
    }
    if tainted > 0 {
        reasons.push(format!("{tainted} node(s) had untolerated taint(s)"));
    }
    if cordoned > 0 {
        reasons.push(format!("{cordoned} node(s) were unschedulable"));
    }
    if reasons.is_empty() {
        reasons.push(format!("{} node(s) were not ready", nodes.len()));
    }
    reasons.sort();
    format!("0/{} nodes are available: {}.", nodes.len(), reasons.join(", "))
}
