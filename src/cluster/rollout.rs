//! What a change run reads and writes on a workload: a snapshot of a Deployment or
//! StatefulSet (template, strategy, paused, partition, status), the updated pods' health
//! evidence, and the mutations of a run — each built from the state it was decided on and sent
//! through the journalled [`Writer`].
use serde_json::{Value, json};

use super::error::ClusterError;
use super::write::{DEPLOYMENT, Mutation, ObjRef, PatchBody, Precondition, Resource, STATEFULSET, WriteError, WriteStep, Writer, Written};
use crate::domain::change::{HealthEvidence, PodHealth, PodWarning, TargetRef, WorkloadKind};

/// A workload as the run needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkloadState {
    pub target: TargetRef,
    pub resource_version: String,
    pub generation: Option<i64>,
    pub replicas: u32,
    pub template: Value,
    pub annotations: Value,
    /// Deployments: `spec.strategy`; StatefulSets: `spec.updateStrategy`.
    pub strategy: Value,
    pub paused: bool,
    /// StatefulSets: `spec.updateStrategy.rollingUpdate.partition` (0 when unset).
    pub partition: u32,
    pub observed_generation: Option<i64>,
    pub updated: u32,
    pub ready: u32,
    pub available: u32,
    pub status_replicas: u32,
    pub progress_deadline_exceeded: bool,
    /// (container, image) of the template.
    pub containers: Vec<(String, String)>,
    /// StatefulSets: `status.updateRevision`.
    pub update_revision: Option<String>,
    pub selector: Vec<(String, String)>,
    /// Argo CD tracking: the `app.kubernetes.io/instance` label and the
    /// `argocd.argoproj.io/tracking-id` annotation.
    pub tracking: (Option<String>, Option<String>),
}

impl WorkloadState {
    /// `kubectl rollout status` is done: observed ≥ generation, every replica updated and
    /// available, no old pods left.
    pub fn complete(&self) -> bool {
        let observed = match (self.observed_generation, self.generation) {
            (Some(o), Some(g)) => o >= g,
            _ => false,
        };
        observed && self.updated >= self.replicas && self.status_replicas <= self.updated && self.available >= self.updated
    }

    /// Whether the template's images are exactly `images` (container → image).
    pub fn has_images(&self, images: &[(String, String)]) -> bool {
        images.iter().all(|(c, i)| self.containers.iter().any(|(n, img)| n == c && img == i))
    }

    fn obj(&self) -> ObjRef {
        ObjRef::new(resource(self.target.kind), &self.target.namespace, &self.target.name)
    }

    fn pre(&self) -> Precondition {
        Precondition::spec(self.resource_version.clone(), self.generation)
    }
}

fn resource(kind: WorkloadKind) -> Resource {
    match kind {
        WorkloadKind::Deployment => DEPLOYMENT,
        WorkloadKind::StatefulSet => STATEFULSET,
    }
}

/// GET `path` as JSON through the guarded client; `Ok(None)` on 404.
pub(crate) async fn get_json(writer: &Writer, path: &str) -> Result<Option<Value>, ClusterError> {
    let conn = writer.connection();
    let req = http::Request::get(path)
        .header(http::header::ACCEPT, "application/json")
        .body(Vec::new())
        .map_err(|e| ClusterError::Request { detail: e.to_string() })?;
    match conn.client().request::<Value>(req).await {
        Ok(v) => Ok(Some(v)),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(None),
        Err(e) => Err(conn.error(e)),
    }
}

fn u(v: &Value, ptr: &str) -> u32 {
    v.pointer(ptr).and_then(Value::as_u64).and_then(|n| u32::try_from(n).ok()).unwrap_or(0)
}

/// Reads a workload; `Ok(None)` when it does not exist.
pub async fn read(writer: &Writer, target: &TargetRef) -> Result<Option<WorkloadState>, ClusterError> {
    let r = resource(target.kind);
    let path = format!("/apis/{}/{}/namespaces/{}/{}/{}", r.group, r.version, target.namespace, r.plural, target.name);
    let Some(v) = get_json(writer, &path).await? else { return Ok(None) };
    let strategy_ptr = match target.kind {
        WorkloadKind::Deployment => "/spec/strategy",
        WorkloadKind::StatefulSet => "/spec/updateStrategy",
    };
    let containers = v
        .pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let s = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                    (s("name"), s("image"))
                })
                .collect()
        })
        .unwrap_or_default();
    let deadline = v.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|cs| {
        cs.iter().any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Progressing")
                && c.get("reason").and_then(Value::as_str) == Some("ProgressDeadlineExceeded")
        })
    });
    let selector = v
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default();
    Ok(Some(WorkloadState {
        target: target.clone(),
        resource_version: v.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or_default().to_string(),
        generation: v.pointer("/metadata/generation").and_then(Value::as_i64),
        replicas: v.pointer("/spec/replicas").and_then(Value::as_u64).map_or(1, |n| u32::try_from(n).unwrap_or(u32::MAX)),
        template: v.pointer("/spec/template").cloned().unwrap_or(Value::Null),
        annotations: v.pointer("/metadata/annotations").cloned().unwrap_or_else(|| json!({})),
        strategy: v.pointer(strategy_ptr).cloned().unwrap_or(Value::Null),
        paused: v.pointer("/spec/paused").and_then(Value::as_bool).unwrap_or(false),
        partition: u(&v, "/spec/updateStrategy/rollingUpdate/partition"),
        observed_generation: v.pointer("/status/observedGeneration").and_then(Value::as_i64),
        updated: u(&v, "/status/updatedReplicas"),
        ready: u(&v, "/status/readyReplicas"),
        available: match target.kind {
            WorkloadKind::Deployment => u(&v, "/status/availableReplicas"),
            WorkloadKind::StatefulSet => u(&v, "/status/readyReplicas"),
        },
        status_replicas: u(&v, "/status/replicas"),
        progress_deadline_exceeded: deadline,
        containers,
        update_revision: v.pointer("/status/updateRevision").and_then(Value::as_str).map(str::to_string),
        selector,
        tracking: (
            v.pointer("/metadata/labels/app.kubernetes.io~1instance").and_then(Value::as_str).map(str::to_string),
            v.pointer("/metadata/annotations/argocd.argoproj.io~1tracking-id").and_then(Value::as_str).map(str::to_string),
        ),
    }))
}

/// The replicas the newest ReplicaSet of a Deployment asks for (its template is the
/// Deployment's), and its pod-template-hash; None when it has none yet.
pub async fn new_replica_set(writer: &Writer, w: &WorkloadState) -> Result<Option<(u32, String)>, ClusterError> {
    let revision = w.annotations.get("deployment.kubernetes.io/revision").and_then(Value::as_str).unwrap_or_default().to_string();
    let path = format!("/apis/apps/v1/namespaces/{}/replicasets?labelSelector={}", w.target.namespace, selector_query(&w.selector));
    let Some(list) = get_json(writer, &path).await? else { return Ok(None) };
    let items = list.get("items").and_then(Value::as_array).cloned().unwrap_or_default();
    let owned = items.iter().filter(|rs| {
        rs.pointer("/metadata/ownerReferences").and_then(Value::as_array).is_some_and(|o| {
            o.iter().any(|r| {
                r.get("kind").and_then(Value::as_str) == Some("Deployment") && r.get("name").and_then(Value::as_str) == Some(&w.target.name)
            })
        })
    });
    let template_images: Vec<&(String, String)> = w.containers.iter().collect();
    let newest = owned
        .filter(|rs| {
            let images: Vec<(String, String)> = rs
                .pointer("/spec/template/spec/containers")
                .and_then(Value::as_array)
                .map(|cs| cs.iter().map(|c| (str_at(c, "/name"), str_at(c, "/image"))).collect())
                .unwrap_or_default();
            images.len() == template_images.len() && template_images.iter().all(|t| images.contains(t))
        })
        .max_by_key(|rs| {
            let rev = rs.pointer("/metadata/annotations/deployment.kubernetes.io~1revision").and_then(Value::as_str).unwrap_or("0");
            (rev == revision, rev.parse::<u64>().unwrap_or(0))
        });
    Ok(newest.map(|rs| (u(rs, "/spec/replicas"), str_at(rs, "/metadata/labels/pod-template-hash"))))
}

fn str_at(v: &Value, ptr: &str) -> String {
    v.pointer(ptr).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn selector_query(sel: &[(String, String)]) -> String {
    sel.iter().map(|(k, v)| format!("{k}%3D{v}")).collect::<Vec<_>>().join("%2C")
}

/// The health evidence of the updated pods (the newest ReplicaSet's, or the StatefulSet's
/// update revision's), with Warning events about them.
pub async fn health_evidence(writer: &Writer, w: &WorkloadState, expected_updated: u32) -> Result<HealthEvidence, ClusterError> {
    let mut sel = w.selector.clone();
    match w.target.kind {
        WorkloadKind::Deployment => match new_replica_set(writer, w).await? {
            Some((_, hash)) if !hash.is_empty() => sel.push(("pod-template-hash".into(), hash)),
            _ => {
                return Ok(HealthEvidence {
                    expected_updated,
                    progress_deadline_exceeded: w.progress_deadline_exceeded,
                    ..Default::default()
                });
            }
        },
        WorkloadKind::StatefulSet => {
            if let Some(rev) = &w.update_revision {
                sel.push(("controller-revision-hash".into(), rev.clone()));
            }
        }
    }
    let path = format!("/api/v1/namespaces/{}/pods?labelSelector={}", w.target.namespace, selector_query(&sel));
    let pods = get_json(writer, &path).await?.and_then(|l| l.get("items").and_then(Value::as_array).cloned()).unwrap_or_default();
    let pods: Vec<PodHealth> = pods.iter().map(pod_health).collect();
    let path = format!("/api/v1/namespaces/{}/events?fieldSelector=type%3DWarning", w.target.namespace);
    let events = get_json(writer, &path).await?.and_then(|l| l.get("items").and_then(Value::as_array).cloned()).unwrap_or_default();
    let warnings = events
        .iter()
        .filter(|e| str_at(e, "/involvedObject/kind") == "Pod" && pods.iter().any(|p| p.name == str_at(e, "/involvedObject/name")))
        .map(|e| PodWarning {
            pod: str_at(e, "/involvedObject/name"),
            reason: str_at(e, "/reason"),
            message: str_at(e, "/message"),
            count: u(e, "/count"),
        })
        .collect();
    Ok(HealthEvidence { expected_updated, pods, warnings, progress_deadline_exceeded: w.progress_deadline_exceeded })
}

fn pod_health(p: &Value) -> PodHealth {
    let statuses = p.pointer("/status/containerStatuses").and_then(Value::as_array).cloned().unwrap_or_default();
    let ready = !statuses.is_empty() && statuses.iter().all(|c| c.get("ready").and_then(Value::as_bool) == Some(true));
    let restarts = statuses.iter().map(|c| u(c, "/restartCount")).sum();
    let waiting_reason = statuses.iter().find_map(|c| c.pointer("/state/waiting/reason").and_then(Value::as_str).map(str::to_string));
    let last_termination_reason =
        statuses.iter().find_map(|c| c.pointer("/lastState/terminated/reason").and_then(Value::as_str).map(str::to_string));
    PodHealth { name: str_at(p, "/metadata/name"), ready, restarts, waiting_reason, last_termination_reason }
}

/// The template with the change's images.
fn template_patch(images: &[(String, String)]) -> Value {
    let containers: Vec<Value> = images.iter().map(|(c, i)| json!({"name": c, "image": i})).collect();
    json!({"spec": {"containers": containers}})
}

/// Deployment: let the controller bring the new ReplicaSet to `updated` pods (maxSurge = the
/// pods to add, maxUnavailable 0: the original availability is never undercut), setting the
/// images on the first step. The caller pauses when the new ReplicaSet asks for `updated`.
/// The last step restores the original strategy instead and lets the rollout finish.
pub async fn advance_deployment(
    writer: &Writer,
    step: &WriteStep,
    w: &WorkloadState,
    images: &[(String, String)],
    add: u32,
    last: bool,
    original_strategy: &Value,
) -> Result<Written, WriteError> {
    let strategy = if last {
        original_strategy.clone()
    } else {
        json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": add.max(1), "maxUnavailable": 0}})
    };
    let mut spec = json!({"paused": false, "strategy": strategy});
    if !w.has_images(images) {
        spec["template"] = template_patch(images);
    }
    // A merge patch replaces `strategy` whole (a strategic merge would keep a stale
    // rollingUpdate next to type Recreate and the like).
    let patch = PatchBody::Merge(json!({ "spec": spec }));
    writer.apply(step, Mutation::Patch { target: w.obj(), patch, pre: w.pre() }).await
}

/// Deployment: hold where it is (`spec.paused: true`).
pub async fn pause(writer: &Writer, step: &WriteStep, w: &WorkloadState, paused: bool) -> Result<Written, WriteError> {
    let patch = PatchBody::Strategic(json!({"spec": {"paused": paused}}));
    writer.apply(step, Mutation::Patch { target: w.obj(), patch, pre: w.pre() }).await
}

/// StatefulSet: ordinals ≥ `partition` get the new images (one at a time, highest first).
pub async fn advance_statefulset(
    writer: &Writer,
    step: &WriteStep,
    w: &WorkloadState,
    images: &[(String, String)],
    partition: u32,
) -> Result<Written, WriteError> {
    let mut spec = json!({"updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}}});
    if !w.has_images(images) {
        spec["template"] = template_patch(images);
    }
    writer.apply(step, Mutation::Patch { target: w.obj(), patch: PatchBody::Strategic(json!({ "spec": spec })), pre: w.pre() }).await
}

/// Restores the original strategy, `paused` and partition after a good run.
pub async fn finalize(writer: &Writer, step: &WriteStep, w: &WorkloadState, before: &WorkloadState) -> Result<Written, WriteError> {
    let ops = match w.target.kind {
        WorkloadKind::Deployment => json!([
            {"op": "add", "path": "/spec/strategy", "value": before.strategy},
            {"op": "add", "path": "/spec/paused", "value": before.paused},
        ]),
        WorkloadKind::StatefulSet => json!([{"op": "add", "path": "/spec/updateStrategy", "value": before.strategy}]),
    };
    writer.apply(step, Mutation::Patch { target: w.obj(), patch: PatchBody::Json(ops), pre: w.pre() }).await
}

/// Returns a workload to its pre-change template as `kubectl rollout undo` does — one JSON
/// patch replacing the template and the annotations (`add`, which replaces a member that
/// exists and creates one that does not: `spec.paused` and `metadata.annotations` may be absent) (to the pre-change revision, not merely
/// the previous one) — and restores the strategy and `paused` (Deployments, resumed so the
/// controller acts) or the update strategy with its partition (StatefulSets).
pub async fn restore(writer: &Writer, step: &WriteStep, now: &WorkloadState, before: &WorkloadState) -> Result<Written, WriteError> {
    let ops = match now.target.kind {
        WorkloadKind::Deployment => json!([
            {"op": "add", "path": "/spec/template", "value": before.template},
            {"op": "add", "path": "/metadata/annotations", "value": undo_annotations(now, before)},
            {"op": "add", "path": "/spec/strategy", "value": before.strategy},
            {"op": "add", "path": "/spec/paused", "value": false},
        ]),
        WorkloadKind::StatefulSet => json!([
            {"op": "add", "path": "/spec/template", "value": before.template},
            {"op": "add", "path": "/spec/updateStrategy", "value": before.strategy},
        ]),
    };
    writer.apply(step, Mutation::Patch { target: now.obj(), patch: PatchBody::Json(ops), pre: now.pre() }).await
}

/// The annotations `kubectl rollout undo` writes: the pre-change values, with the controller's
/// own bookkeeping (revision, revision-history, desired/max replicas) as they are now.
fn undo_annotations(now: &WorkloadState, before: &WorkloadState) -> Value {
    const KEPT: [&str; 4] = [
        "deployment.kubernetes.io/revision",
        "deployment.kubernetes.io/revision-history",
        "deployment.kubernetes.io/desired-replicas",
        "deployment.kubernetes.io/max-replicas",
    ];
    let mut out = before.annotations.as_object().cloned().unwrap_or_default();
    for k in KEPT {
        out.remove(k);
        if let Some(v) = now.annotations.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// The snapshot kept in the journal before the first write (enough to restore after a crash).
pub fn to_journal(w: &WorkloadState) -> Value {
    json!({
        "kind": w.target.kind.as_str(), "namespace": w.target.namespace, "name": w.target.name,
        "resourceVersion": w.resource_version, "generation": w.generation, "replicas": w.replicas,
        "template": w.template, "annotations": w.annotations, "strategy": w.strategy, "paused": w.paused,
        "partition": w.partition, "containers": w.containers,
    })
}

/// The pre-change snapshot back from the journal (for a rollback after a crash).
pub fn from_journal(v: &Value) -> Option<WorkloadState> {
    let kind = WorkloadKind::parse(v.get("kind")?.as_str()?)?;
    let target = TargetRef { kind, namespace: v.get("namespace")?.as_str()?.to_string(), name: v.get("name")?.as_str()?.to_string() };
    let containers = serde_json::from_value(v.get("containers")?.clone()).ok()?;
    Some(WorkloadState {
        target,
        resource_version: v.get("resourceVersion")?.as_str()?.to_string(),
        generation: v.get("generation").and_then(Value::as_i64),
        replicas: u32::try_from(v.get("replicas")?.as_u64()?).ok()?,
        template: v.get("template")?.clone(),
        annotations: v.get("annotations").cloned().unwrap_or_else(|| json!({})),
        strategy: v.get("strategy").cloned().unwrap_or(Value::Null),
        paused: v.get("paused").and_then(Value::as_bool).unwrap_or(false),
        partition: u32::try_from(v.get("partition").and_then(Value::as_u64).unwrap_or(0)).unwrap_or(0),
        observed_generation: None,
        updated: 0,
        ready: 0,
        available: 0,
        status_replicas: 0,
        progress_deadline_exceeded: false,
        containers,
        update_revision: None,
        selector: Vec::new(),
        tracking: (None, None),
    })
}
