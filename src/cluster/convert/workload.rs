//! Deployments, StatefulSets and ReplicaSets, with the `kubectl rollout status` rule.
use crate::domain::windows::workload::{INSTANCE_LABEL, TRACKING_ANNOTATION, Tracking};
use k8s_openapi::api::apps::v1::{Deployment, DeploymentCondition, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::PodTemplateSpec;

use super::{created, name, namespace, pairs};
use crate::model::{ConditionView, ReplicaSetView, RolloutState, WorkloadKind, WorkloadView};

const REVISION: &str = "deployment.kubernetes.io/revision";

fn images(template: Option<&PodTemplateSpec>) -> Vec<String> {
    template
        .and_then(|t| t.spec.as_ref())
        .map(|s| s.containers.iter().map(|c| c.image.clone().unwrap_or_default()).collect())
        .unwrap_or_default()
}

fn condition(c: &DeploymentCondition) -> ConditionView {
    ConditionView {
        type_: c.type_.clone(),
        status: c.status.clone(),
        reason: c.reason.clone().unwrap_or_default(),
        message: c.message.clone().unwrap_or_default(),
    }
}

/// kubectl's rule: failed on ProgressDeadlineExceeded; complete when the controller saw the
/// latest spec, all desired replicas are updated, old ones are gone and updated ones are
/// available. A paused Deployment that is not failed reports Paused.
pub fn deployment_rollout(d: &Deployment) -> RolloutState {
    let spec = d.spec.as_ref();
    let status = d.status.clone().unwrap_or_default();
    let deadline_exceeded =
        status.conditions.iter().flatten().any(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
    if deadline_exceeded {
        return RolloutState::Failed;
    }
    if spec.and_then(|s| s.paused).unwrap_or(false) {
        return RolloutState::Paused;
    }
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    let generation = d.metadata.generation.unwrap_or(0);
    let updated = status.updated_replicas.unwrap_or(0);
    let complete = status.observed_generation.unwrap_or(0) >= generation
        && updated >= desired
        && status.replicas.unwrap_or(0) <= updated
        && status.available_replicas.unwrap_or(0) >= updated;
    if complete { RolloutState::Complete } else { RolloutState::Progressing }
}

/// The Argo CD tracking label and annotation of an object.
fn tracking(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> Tracking {
    Tracking {
        instance_label: meta.labels.as_ref().and_then(|l| l.get(INSTANCE_LABEL)).cloned(),
        tracking_id: meta.annotations.as_ref().and_then(|a| a.get(TRACKING_ANNOTATION)).cloned(),
    }
}

pub fn deployment_view(d: &Deployment) -> WorkloadView {
    let spec = d.spec.as_ref();
    let status = d.status.clone().unwrap_or_default();
    WorkloadView {
        kind: WorkloadKind::Deployment,
        namespace: namespace(&d.metadata),
        name: name(&d.metadata),
        desired: spec.and_then(|s| s.replicas).unwrap_or(1),
        updated: status.updated_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        paused: spec.and_then(|s| s.paused).unwrap_or(false),
        rollout: deployment_rollout(d),
        images: images(spec.map(|s| &s.template)),
        revision: d.metadata.annotations.as_ref().and_then(|a| a.get(REVISION)).cloned().unwrap_or_default(),
        conditions: status.conditions.iter().flatten().map(condition).collect(),
        selector: pairs(spec.and_then(|s| s.selector.match_labels.as_ref())),
        created: created(&d.metadata),
        tracking: tracking(&d.metadata),
    }
}

/// kubectl's StatefulSet rule: observed the latest spec, enough ready replicas, and (for a
/// partitioned rolling update) enough updated ones, else the update revision is current.
fn statefulset_rollout(s: &StatefulSet) -> RolloutState {
    let spec = s.spec.as_ref();
    let status = s.status.clone().unwrap_or_default();
    let desired = spec.and_then(|s| s.replicas).unwrap_or(1);
    if status.observed_generation.unwrap_or(0) < s.metadata.generation.unwrap_or(0) || status.ready_replicas.unwrap_or(0) < desired {
        return RolloutState::Progressing;
    }
    let strategy = spec.and_then(|s| s.update_strategy.as_ref());
    if strategy.and_then(|u| u.type_.as_deref()) == Some("OnDelete") {
        return RolloutState::Complete;
    }
    let partition = strategy.and_then(|u| u.rolling_update.as_ref()).and_then(|r| r.partition).unwrap_or(0);
    if partition > 0 {
        let done = status.updated_replicas.unwrap_or(0) >= desired - partition;
        return if done { RolloutState::Complete } else { RolloutState::Progressing };
    }
    if status.update_revision.is_some() && status.update_revision != status.current_revision {
        return RolloutState::Progressing;
    }
    RolloutState::Complete
}

pub fn statefulset_view(s: &StatefulSet) -> WorkloadView {
    let spec = s.spec.as_ref();
    let status = s.status.clone().unwrap_or_default();
    let conditions = status
        .conditions
        .iter()
        .flatten()
        .map(|c| ConditionView {
            type_: c.type_.clone(),
            status: c.status.clone(),
            reason: c.reason.clone().unwrap_or_default(),
            message: c.message.clone().unwrap_or_default(),
        })
        .collect();
    WorkloadView {
        kind: WorkloadKind::StatefulSet,
        namespace: namespace(&s.metadata),
        name: name(&s.metadata),
        desired: spec.and_then(|s| s.replicas).unwrap_or(1),
        updated: status.updated_replicas.unwrap_or(0),
        ready: status.ready_replicas.unwrap_or(0),
        available: status.available_replicas.unwrap_or(0),
        paused: false,
        rollout: statefulset_rollout(s),
        images: images(spec.map(|s| &s.template)),
        revision: status.update_revision.clone().unwrap_or_default(),
        conditions,
        selector: pairs(spec.and_then(|s| s.selector.match_labels.as_ref())),
        created: created(&s.metadata),
        tracking: tracking(&s.metadata),
    }
}

pub fn replicaset_view(rs: &ReplicaSet) -> ReplicaSetView {
    let owner = rs.metadata.owner_references.iter().flatten().find(|o| o.kind == "Deployment").map(|o| o.name.clone());
    let spec = rs.spec.as_ref();
    ReplicaSetView {
        namespace: namespace(&rs.metadata),
        name: name(&rs.metadata),
        owner,
        revision: rs.metadata.annotations.as_ref().and_then(|a| a.get(REVISION)).cloned().unwrap_or_default(),
        desired: spec.and_then(|s| s.replicas).unwrap_or(1),
        ready: rs.status.as_ref().and_then(|s| s.ready_replicas).unwrap_or(0),
        images: images(spec.and_then(|s| s.template.as_ref())),
        created: created(&rs.metadata),
    }
}
