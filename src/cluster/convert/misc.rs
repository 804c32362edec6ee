//! Namespaces, Events, PodDisruptionBudgets and ResourceQuotas.
use k8s_openapi::api::core::v1::{Event, Namespace, ResourceQuota};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;

use super::{created, int_or_string, name, namespace, time};
use crate::model::{EventView, NamespaceView, PdbView, QuotaView};

pub fn namespace_view(ns: &Namespace) -> NamespaceView {
    NamespaceView {
        name: name(&ns.metadata),
        phase: ns.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Active".to_string()),
        created: created(&ns.metadata),
    }
}

pub fn event_view(e: &Event) -> EventView {
    let last_seen = e
        .last_timestamp
        .as_ref()
        .and_then(time)
        .or_else(|| e.event_time.as_ref().and_then(|t| chrono::DateTime::from_timestamp(t.0.as_second(), 0)))
        .or_else(|| e.first_timestamp.as_ref().and_then(time))
        .or_else(|| created(&e.metadata));
    let obj = &e.involved_object;
    EventView {
        namespace: namespace(&e.metadata),
        type_: e.type_.clone().unwrap_or_else(|| "Normal".to_string()),
        reason: e.reason.clone().unwrap_or_default(),
        object: format!("{}/{}", obj.kind.clone().unwrap_or_default(), obj.name.clone().unwrap_or_default()),
        message: e.message.clone().unwrap_or_default(),
        count: e.count.unwrap_or(1),
        last_seen,
    }
}

pub fn pdb_view(p: &PodDisruptionBudget) -> PdbView {
    let spec = p.spec.as_ref();
    let status = p.status.clone().unwrap_or_default();
    PdbView {
        namespace: namespace(&p.metadata),
        name: name(&p.metadata),
        min_available: spec.and_then(|s| s.min_available.as_ref()).map(int_or_string),
        max_unavailable: spec.and_then(|s| s.max_unavailable.as_ref()).map(int_or_string),
        current_healthy: status.current_healthy,
        desired_healthy: status.desired_healthy,
        disruptions_allowed: status.disruptions_allowed,
    }
}

/// (resource, used, hard) for every hard limit, sorted by resource (BTreeMap order).
pub fn quota_view(q: &ResourceQuota) -> QuotaView {
    let status = q.status.clone().unwrap_or_default();
    let hard = status.hard.clone().or_else(|| q.spec.as_ref().and_then(|s| s.hard.clone())).unwrap_or_default();
    let used = status.used.unwrap_or_default();
    let resources =
        hard.iter().map(|(k, v)| (k.clone(), used.get(k).map(|u| u.0.clone()).unwrap_or_else(|| "0".to_string()), v.0.clone())).collect();
    QuotaView { namespace: namespace(&q.metadata), name: name(&q.metadata), resources }
}
