//! The validation the real apiserver does that clients notice most: names, the pod template
//! of workloads (containers with name and image; selector matching the labels), Lease
//! durations and transitions, and PodDisruptionBudgets with one budget.
use serde_json::Value;

use super::registry::Resource;
use super::select::LabelSelector;
use super::status::{self, ApiError};

pub(super) type Cause = (&'static str, &'static str, String);

pub(super) fn containers(spec: &Value, prefix: &'static str, causes: &mut Vec<Cause>) {
    let cs = spec["containers"].as_array().cloned().unwrap_or_default();
    if cs.is_empty() {
        causes.push(("FieldValueRequired", prefix, "Required value".into()));
    }
    for c in cs {
        if c["name"].as_str().is_none_or(str::is_empty) {
            causes.push(("FieldValueRequired", "spec.containers[].name", "Required value".into()));
        }
        if c["image"].as_str().is_none_or(str::is_empty) {
            causes.push(("FieldValueRequired", "spec.containers[].image", "Required value".into()));
        }
    }
}

pub(super) fn workload(obj: &Value, causes: &mut Vec<Cause>) {
    let spec = &obj["spec"];
    let sel = &spec["selector"]["matchLabels"];
    if !spec["selector"].is_object() {
        causes.push(("FieldValueRequired", "spec.selector", "Required value".into()));
    } else if let Some(m) = sel.as_object() {
        let expr: Vec<String> = m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect();
        let matches = LabelSelector::parse(&expr.join(",")).is_ok_and(|s| s.matches(&spec["template"]));
        if !matches {
            causes.push((
                "FieldValueInvalid",
                "spec.template.metadata.labels",
                "Invalid value: `selector` does not match template `labels`".into(),
            ));
        }
    }
    containers(&spec["template"]["spec"], "spec.template.spec.containers", causes);
}

/// ValidateLeaseSpec.
fn lease(spec: &Value, causes: &mut Vec<Cause>) {
    if let Some(d) = spec["leaseDurationSeconds"].as_i64().filter(|d| *d <= 0) {
        causes.push(("FieldValueInvalid", "spec.leaseDurationSeconds", format!("Invalid value: {d}: must be greater than 0")));
    }
    if let Some(t) = spec["leaseTransitions"].as_i64().filter(|t| *t < 0) {
        causes.push(("FieldValueInvalid", "spec.leaseTransitions", format!("Invalid value: {t}: must be greater than or equal to 0")));
    }
}

/// ValidatePodDisruptionBudgetSpec: not both budgets.
fn pdb(spec: &Value, causes: &mut Vec<Cause>) {
    if !spec["minAvailable"].is_null() && !spec["maxUnavailable"].is_null() {
        let msg = format!("Invalid value: {}: minAvailable and maxUnavailable cannot be both set", spec);
        causes.push(("FieldValueInvalid", "spec", msg));
    }
}

pub fn validate(res: &Resource, obj: &Value) -> Result<(), ApiError> {
    let meta = &obj["metadata"];
    let name = meta["name"].as_str().unwrap_or_default();
    let mut causes: Vec<Cause> = Vec::new();
    if name.is_empty() && meta["generateName"].as_str().is_none_or(str::is_empty) {
        causes.push(("FieldValueRequired", "metadata.name", "Required value: name or generateName is required".into()));
    } else if !name.is_empty() && !valid_name(name) {
        causes.push(("FieldValueInvalid", "metadata.name", format!("Invalid value: {name:?}: a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character")));
    }
    match res.plural {
        "deployments" | "replicasets" | "statefulsets" => workload(obj, &mut causes),
        "pods" => containers(&obj["spec"], "spec.containers", &mut causes),
        "leases" => lease(&obj["spec"], &mut causes),
        "poddisruptionbudgets" => pdb(&obj["spec"], &mut causes),
        other => super::validate_batch::validate(other, obj, &mut causes),
    }
    if let Some(r) = obj["spec"]["replicas"].as_i64().filter(|r| *r < 0) {
        causes.push(("FieldValueInvalid", "spec.replicas", format!("Invalid value: {r}: must be greater than or equal to 0")));
    }
    if causes.is_empty() { Ok(()) } else { Err(status::invalid(res, name, &causes)) }
}

fn valid_name(n: &str) -> bool {
    n.len() <= 253
        && n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && n.starts_with(|c: char| c.is_ascii_alphanumeric())
        && n.ends_with(|c: char| c.is_ascii_alphanumeric())
}
