//! Preflight evidence from the cluster, for one change request: each target as it is now
//! (containers and images, rollout status by `kubectl rollout status` rules, replicas and
//! strategy, failing pods), the PodDisruptionBudgets selecting its pods and the
//! ResourceQuotas of its namespace. The access side (SelfSubjectAccessReviews, Leases,
//! Velero locations, Argo CD Applications, the dry run) is in `evidence_access.rs`.
//!
//! Every call has a deadline, and every failure (403, 404, 5xx, timeout) is kept as text
//! next to the evidence: the caller turns it into a `fail` or `skipped` check, never a pass.
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::core::v1::{Container, Pod, ResourceQuota};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{Api, ListParams};

use super::connect::Connection;
use super::error::ClusterError;
use crate::domain::change::{IntOrPercent, PdbEvidence, QuotaEvidence, TargetRef, WorkloadEvidence, WorkloadKind, WorkloadShape};

/// Deadline of every single request.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(10);

/// Pod waiting reasons that mean the workload is not healthy now.
const FAILING_REASONS: [&str; 7] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "CreateContainerConfigError",
    "RunContainerError",
    "InvalidImageName",
    "CreateContainerError",
];

/// Runs one request with [`CALL_TIMEOUT`]; a timeout is an error naming `what`.
pub async fn timed<T>(conn: &Connection, what: &str, fut: impl Future<Output = Result<T, kube::Error>>) -> Result<T, ClusterError> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(r) => r.map_err(|e| conn.error(e)),
        Err(_) => Err(ClusterError::Request { detail: format!("{what}: no answer within {}s", CALL_TIMEOUT.as_secs()) }),
    }
}

/// One target as read from the cluster.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetFacts {
    pub workload: WorkloadEvidence,
    /// The read failed for another reason than 404 (403, 5xx, timeout): the target check fails.
    pub read_error: Option<String>,
    /// Listing its pods failed: the rollout-complete check cannot pass.
    pub pods_error: Option<String>,
    /// (container, current image) of the pod template; None when not found.
    pub containers: Option<Vec<(String, String)>>,
    /// Replicas and strategy; None when not found.
    pub shape: Option<WorkloadShape>,
    /// What one pod asks for, by quota resource name (`requests.cpu`, `limits.memory`, …).
    pub per_pod: Vec<(String, String)>,
    /// The pod template's labels (PDB selection).
    pub template_labels: BTreeMap<String, String>,
    /// `app.kubernetes.io/instance` label and `argocd.argoproj.io/tracking-id` annotation.
    pub instance_label: Option<String>,
    pub tracking_id: Option<String>,
    pub resource_version: Option<String>,
    pub generation: Option<i64>,
    /// `deployment.kubernetes.io/revision`, or the StatefulSet's current revision.
    pub revision: Option<String>,
}

/// Reads one target: the workload, then its pods (failing ones).
pub async fn read_target(conn: &Connection, t: &TargetRef) -> TargetFacts {
    let mut facts = TargetFacts { workload: WorkloadEvidence { target: Some(t.clone()), ..Default::default() }, ..Default::default() };
    let what = format!("read {t}");
    let read = match t.kind {
        WorkloadKind::Deployment => {
            let api: Api<Deployment> = Api::namespaced(conn.client(), &t.namespace);
            timed(conn, &what, api.get(&t.name)).await.map(|d| deployment_facts(&d, &mut facts))
        }
        WorkloadKind::StatefulSet => {
            let api: Api<StatefulSet> = Api::namespaced(conn.client(), &t.namespace);
            timed(conn, &what, api.get(&t.name)).await.map(|s| statefulset_facts(&s, &mut facts))
        }
    };
    let selector = match read {
        Ok(sel) => sel,
        Err(ClusterError::NotFound { .. }) => return facts,
        Err(e) => {
            facts.read_error = Some(format!("cannot read {t}: {e}"));
            return facts;
        }
    };
    facts.workload.found = true;
    match list_pods(conn, &t.namespace, &selector).await {
        Ok(pods) => facts.workload.failing_pods = failing_pods(&pods),
        Err(e) => facts.pods_error = Some(format!("cannot list the pods of {t}: {e}")),
    }
    facts
}

fn meta_facts(meta: &ObjectMeta, facts: &mut TargetFacts) {
    facts.resource_version = meta.resource_version.clone();
    facts.generation = meta.generation;
    facts.workload.generation = meta.generation.unwrap_or(0);
    facts.instance_label = meta.labels.as_ref().and_then(|l| l.get("app.kubernetes.io/instance")).cloned();
    facts.tracking_id = meta.annotations.as_ref().and_then(|a| a.get("argocd.argoproj.io/tracking-id")).cloned();
}

fn u32_of(v: Option<i32>) -> u32 {
    u32::try_from(v.unwrap_or(0).max(0)).unwrap_or(0)
}

fn int_or_percent(v: Option<&IntOrString>) -> Option<IntOrPercent> {
    match v? {
        IntOrString::Int(i) => Some(IntOrPercent::Int(i64::from(*i))),
        IntOrString::String(s) => IntOrPercent::parse(s),
    }
}

/// Fills the facts of a Deployment; returns its pod selector.
fn deployment_facts(d: &Deployment, facts: &mut TargetFacts) -> Option<LabelSelector> {
    meta_facts(&d.metadata, facts);
    facts.revision = d.metadata.annotations.as_ref().and_then(|a| a.get("deployment.kubernetes.io/revision")).cloned();
    let spec = d.spec.clone().unwrap_or_default();
    let status = d.status.clone().unwrap_or_default();
    let w = &mut facts.workload;
    w.replicas = u32::try_from(spec.replicas.unwrap_or(1).max(0)).unwrap_or(0);
    w.observed_generation = status.observed_generation.unwrap_or(0);
    w.status_replicas = u32_of(status.replicas);
    w.updated_replicas = u32_of(status.updated_replicas);
    w.ready_replicas = u32_of(status.ready_replicas);
    w.available_replicas = u32_of(status.available_replicas);
    w.paused = spec.paused.unwrap_or(false);
    w.progress_deadline_exceeded =
        status.conditions.iter().flatten().any(|c| c.type_ == "Progressing" && c.reason.as_deref() == Some("ProgressDeadlineExceeded"));
    let strategy = spec.strategy.clone().unwrap_or_default();
    let rolling = match strategy.type_.as_deref() {
        Some("Recreate") => None,
        _ => {
            let ru = strategy.rolling_update.unwrap_or_default();
            Some((int_or_percent(ru.max_surge.as_ref()), int_or_percent(ru.max_unavailable.as_ref())))
        }
    };
    facts.shape = Some(WorkloadShape::Deployment { replicas: w.replicas, rolling });
    template_facts(spec.template.metadata.as_ref(), spec.template.spec.as_ref().map(|p| p.containers.as_slice()), facts);
    Some(spec.selector)
}

/// Fills the facts of a StatefulSet; returns its pod selector.
fn statefulset_facts(s: &StatefulSet, facts: &mut TargetFacts) -> Option<LabelSelector> {
    meta_facts(&s.metadata, facts);
    let spec = s.spec.clone().unwrap_or_default();
    let status = s.status.clone().unwrap_or_default();
    facts.revision = status.current_revision.clone();
    let w = &mut facts.workload;
    w.replicas = u32::try_from(spec.replicas.unwrap_or(1).max(0)).unwrap_or(0);
    w.observed_generation = status.observed_generation.unwrap_or(0);
    w.status_replicas = u32::try_from(status.replicas.max(0)).unwrap_or(0);
    w.updated_replicas = u32_of(status.updated_replicas);
    w.ready_replicas = u32_of(status.ready_replicas);
    w.available_replicas = u32_of(status.available_replicas);
    w.partition = spec.update_strategy.as_ref().and_then(|u| u.rolling_update.as_ref()).and_then(|r| r.partition).map(|p| u32_of(Some(p)));
    w.current_revision = status.current_revision.clone();
    w.update_revision = status.update_revision.clone();
    facts.shape = Some(WorkloadShape::StatefulSet { replicas: w.replicas });
    template_facts(spec.template.metadata.as_ref(), spec.template.spec.as_ref().map(|p| p.containers.as_slice()), facts);
    Some(spec.selector)
}

fn template_facts(meta: Option<&ObjectMeta>, containers: Option<&[Container]>, facts: &mut TargetFacts) {
    facts.template_labels = meta.and_then(|m| m.labels.clone()).unwrap_or_default();
    let containers = containers.unwrap_or_default();
    facts.containers = Some(containers.iter().map(|c| (c.name.clone(), c.image.clone().unwrap_or_default())).collect());
    facts.per_pod = per_pod(containers);
}

/// Sum of the containers' requests and limits, as quota resource names.
fn per_pod(containers: &[Container]) -> Vec<(String, String)> {
    use crate::domain::change::quantity::{format_milli, parse_quantity};
    let mut sums: BTreeMap<String, i128> = BTreeMap::new();
    for c in containers {
        let Some(r) = &c.resources else { continue };
        for (prefix, map) in [("requests", &r.requests), ("limits", &r.limits)] {
            for (k, q) in map.iter().flatten() {
                if let Some(v) = parse_quantity(&q.0) {
                    *sums.entry(format!("{prefix}.{k}")).or_insert(0) += v;
                }
            }
        }
    }
    sums.into_iter().map(|(k, v)| (k, format_milli(v))).collect()
}

/// `k=v,k2=v2` of a selector's matchLabels plus its expressions, as the API takes them.
pub fn selector_query(sel: &LabelSelector) -> String {
    let mut parts: Vec<String> = sel.match_labels.iter().flatten().map(|(k, v)| format!("{k}={v}")).collect();
    for e in sel.match_expressions.iter().flatten() {
        let values = e.values.clone().unwrap_or_default().join(",");
        parts.push(match e.operator.as_str() {
            "In" => format!("{} in ({values})", e.key),
            "NotIn" => format!("{} notin ({values})", e.key),
            "Exists" => e.key.clone(),
            _ => format!("!{}", e.key),
        });
    }
    parts.join(",")
}

/// Whether `labels` match the selector (matchLabels and matchExpressions). An empty selector
/// matches nothing, as for PodDisruptionBudgets in policy/v1 it matches everything: the caller
/// says which (`empty_matches`).
pub fn selector_matches(sel: &LabelSelector, labels: &BTreeMap<String, String>, empty_matches: bool) -> bool {
    let no_labels = sel.match_labels.as_ref().is_none_or(BTreeMap::is_empty);
    let no_exprs = sel.match_expressions.as_ref().is_none_or(Vec::is_empty);
    if no_labels && no_exprs {
        return empty_matches;
    }
    let labels_ok = sel.match_labels.iter().flatten().all(|(k, v)| labels.get(k) == Some(v));
    let exprs_ok = sel.match_expressions.iter().flatten().all(|e| {
        let values = e.values.clone().unwrap_or_default();
        match e.operator.as_str() {
            "In" => labels.get(&e.key).is_some_and(|v| values.contains(v)),
            "NotIn" => labels.get(&e.key).is_none_or(|v| !values.contains(v)),
            "Exists" => labels.contains_key(&e.key),
            "DoesNotExist" => !labels.contains_key(&e.key),
            _ => false,
        }
    });
    labels_ok && exprs_ok
}

async fn list_pods(conn: &Connection, namespace: &str, selector: &Option<LabelSelector>) -> Result<Vec<Pod>, ClusterError> {
    let Some(sel) = selector else { return Ok(Vec::new()) };
    let query = selector_query(sel);
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let api: Api<Pod> = Api::namespaced(conn.client(), namespace);
    let list = timed(conn, "list pods", api.list(&ListParams::default().labels(&query))).await?;
    Ok(list.items)
}

/// (pod, reason) of pods with a container waiting for a failing reason, sorted by pod name.
fn failing_pods(pods: &[Pod]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = pods
        .iter()
        .filter_map(|p| {
            let statuses = p.status.as_ref()?.container_statuses.as_ref()?;
            let reason = statuses.iter().find_map(|c| {
                let r = c.state.as_ref()?.waiting.as_ref()?.reason.clone()?;
                FAILING_REASONS.contains(&r.as_str()).then_some(r)
            })?;
            Some((p.metadata.name.clone().unwrap_or_default(), reason))
        })
        .collect();
    out.sort();
    out
}

/// The PodDisruptionBudgets of `t`'s namespace that select its pod template's labels.
pub async fn pdbs_for(conn: &Connection, t: &TargetRef, facts: &TargetFacts) -> Result<Vec<PdbEvidence>, String> {
    let api: Api<PodDisruptionBudget> = Api::namespaced(conn.client(), &t.namespace);
    let list = timed(conn, "list PodDisruptionBudgets", api.list(&ListParams::default()))
        .await
        .map_err(|e| format!("cannot list the PodDisruptionBudgets of namespace {}: {e}", t.namespace))?;
    let mut out: Vec<PdbEvidence> = list
        .items
        .iter()
        .filter(|p| {
            let sel = p.spec.as_ref().and_then(|s| s.selector.clone()).unwrap_or_default();
            selector_matches(&sel, &facts.template_labels, true)
        })
        .map(|p| {
            let status = p.status.clone().unwrap_or_default();
            PdbEvidence {
                target: t.clone(),
                name: p.metadata.name.clone().unwrap_or_default(),
                disruptions_allowed: status.disruptions_allowed,
                current: status.observed_generation.is_some() && status.observed_generation == p.metadata.generation,
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// The ResourceQuotas of a namespace, `status.hard` and `status.used`.
pub async fn quotas_of(conn: &Connection, namespace: &str) -> Result<Vec<QuotaEvidence>, String> {
    let api: Api<ResourceQuota> = Api::namespaced(conn.client(), namespace);
    let list = timed(conn, "list ResourceQuotas", api.list(&ListParams::default()))
        .await
        .map_err(|e| format!("cannot list the ResourceQuotas of namespace {namespace}: {e}"))?;
    let pairs = |m: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| -> Vec<(String, String)> {
        m.map(|m| m.iter().map(|(k, v)| (k.clone(), v.0.clone())).collect()).unwrap_or_default()
    };
    let mut out: Vec<QuotaEvidence> = list
        .items
        .iter()
        .map(|q| {
            let status = q.status.clone().unwrap_or_default();
            QuotaEvidence {
                namespace: namespace.to_string(),
                name: q.metadata.name.clone().unwrap_or_default(),
                hard: pairs(status.hard.as_ref()),
                used: pairs(status.used.as_ref()),
            }
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}
