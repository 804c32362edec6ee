//! Conversions from Kubernetes API objects to the small view types of `crate::model`.
//! Pure functions: table-tested from YAML fixtures in `tests/fixtures/cluster/`.
mod misc;
mod pod;
mod workload;

pub use misc::{event_view, namespace_view, pdb_view, quota_view};
pub use pod::{pod_status, pod_view};
pub use workload::{deployment_rollout, deployment_view, replicaset_view, statefulset_view};

use chrono::{DateTime, Utc};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

/// jiff → chrono at the cluster boundary.
pub(crate) fn time(t: &Time) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.0.as_second(), t.0.subsec_nanosecond().max(0) as u32)
}

pub(crate) fn created(meta: &ObjectMeta) -> Option<DateTime<Utc>> {
    meta.creation_timestamp.as_ref().and_then(time)
}

pub(crate) fn name(meta: &ObjectMeta) -> String {
    meta.name.clone().unwrap_or_default()
}

pub(crate) fn namespace(meta: &ObjectMeta) -> String {
    meta.namespace.clone().unwrap_or_default()
}

pub(crate) fn int_or_string(v: &IntOrString) -> String {
    match v {
        IntOrString::Int(i) => i.to_string(),
        IntOrString::String(s) => s.clone(),
    }
}

/// Sorted (key, value) pairs of a label map (a BTreeMap already iterates sorted).
pub(crate) fn pairs(map: Option<&std::collections::BTreeMap<String, String>>) -> Vec<(String, String)> {
    map.map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()).unwrap_or_default()
}
