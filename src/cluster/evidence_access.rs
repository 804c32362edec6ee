//! Preflight evidence about who else and what else is involved: SelfSubjectAccessReviews for
//! every request the run will make, the targets' lock Leases, Velero BackupStorageLocations,
//! the Argo CD Applications that manage the targets, and the server-side dry run of the image
//! change (through the journalled writer's `dry_run`, the one door for writes).
use chrono::{DateTime, Utc};
use k8s_openapi::api::authorization::v1::{ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec};
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use serde_json::{Value, json};

use super::connect::Connection;
use super::error::ClusterError;
use super::evidence::{TargetFacts, timed};
use super::write::{DEPLOYMENT, Mutation, ObjRef, PatchBody, Precondition, STATEFULSET, WriteError, Writer};
use crate::domain::change::{
    AccessRequest, AccessResult, BslEvidence, DryRunOutcome, LeaseEvidence, Target, TargetRef, WorkloadKind, lock_lease_name,
};

/// Asks the server, for each request, whether the current user may make it.
pub async fn access_reviews(conn: &Connection, requests: &[AccessRequest]) -> Vec<AccessResult> {
    let api: Api<SelfSubjectAccessReview> = Api::all(conn.client());
    let reviews = requests.iter().map(|r| {
        let api = api.clone();
        async move {
            let review = SelfSubjectAccessReview {
                spec: SelfSubjectAccessReviewSpec {
                    resource_attributes: Some(ResourceAttributes {
                        verb: Some(r.verb.clone()),
                        group: Some(r.group.clone()),
                        resource: Some(r.resource.clone()),
                        namespace: Some(r.namespace.clone()),
                        name: Some(r.name.clone()).filter(|n| !n.is_empty()),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                ..Default::default()
            };
            let answer = timed(conn, "SelfSubjectAccessReview", api.create(&PostParams::default(), &review)).await;
            let (allowed, reason) = match answer {
                Ok(r) => {
                    let s = r.status.unwrap_or_default();
                    let reason = s.reason.or(s.evaluation_error).unwrap_or_default();
                    (s.allowed && s.denied != Some(true), reason)
                }
                // Fail closed: a review that cannot be made is a denial, with the reason.
                Err(e) => (false, format!("the access review failed: {e}")),
            };
            AccessResult { request: r.clone(), allowed, reason }
        }
    });
    futures::future::join_all(reviews).await
}

fn micro(t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime>) -> Option<DateTime<Utc>> {
    let t = t?;
    DateTime::from_timestamp(t.0.as_second(), u32::try_from(t.0.subsec_nanosecond().max(0)).unwrap_or(0))
}

/// Each target's lock Lease (absent: no holder), with its `change-id` label (the change
/// whose run holds it).
pub async fn leases(conn: &Connection, targets: &[Target]) -> Result<Vec<(LeaseEvidence, Option<String>)>, String> {
    let mut out = Vec::new();
    for t in targets {
        let w = &t.workload;
        let name = lock_lease_name(w);
        let api: Api<Lease> = Api::namespaced(conn.client(), &w.namespace);
        let mut ev = LeaseEvidence {
            target: w.clone(),
            lease: name.clone(),
            holder: None,
            acquire_time: None,
            renew_time: None,
            duration_secs: None,
        };
        let mut label = None;
        match timed(conn, "read Lease", api.get(&name)).await {
            Ok(lease) => {
                label = lease.metadata.labels.as_ref().and_then(|l| l.get("change-id")).cloned();
                let spec = lease.spec.unwrap_or_default();
                ev.holder = spec.holder_identity;
                ev.acquire_time = micro(spec.acquire_time.as_ref());
                ev.renew_time = micro(spec.renew_time.as_ref());
                ev.duration_secs = spec.lease_duration_seconds.map(i64::from);
            }
            Err(ClusterError::NotFound { .. }) => {}
            Err(e) => return Err(format!("cannot read the Lease {}/{name}: {e}", w.namespace)),
        }
        out.push((ev, label));
    }
    Ok(out)
}

fn dynamic(conn: &Connection, group: &str, version: &str, kind: &str, plural: &str, namespace: Option<&str>) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let ar = ApiResource::from_gvk_with_plural(&gvk, plural);
    match namespace {
        Some(ns) => Api::namespaced_with(conn.client(), ns, &ar),
        None => Api::all_with(conn.client(), &ar),
    }
}

/// The BackupStorageLocations of Velero's namespace. Velero not installed (404 on the
/// resource) is an error: a backup was asked for and cannot be made.
pub async fn backup_locations(conn: &Connection, velero_namespace: &str) -> Result<Vec<BslEvidence>, String> {
    let api = dynamic(conn, "velero.io", "v1", "BackupStorageLocation", "backupstoragelocations", Some(velero_namespace));
    let list = match timed(conn, "list BackupStorageLocations", api.list(&ListParams::default())).await {
        Ok(l) => l,
        Err(ClusterError::NotFound { .. }) => {
            return Err("Velero is not installed: the cluster has no BackupStorageLocation resource".into());
        }
        Err(e) => return Err(format!("cannot list the BackupStorageLocations in namespace {velero_namespace}: {e}")),
    };
    let mut out: Vec<BslEvidence> = list
        .items
        .iter()
        .map(|o| BslEvidence {
            name: o.metadata.name.clone().unwrap_or_default(),
            phase: o.data.pointer("/status/phase").and_then(Value::as_str).map(str::to_string),
            default: o.data.pointer("/spec/default").and_then(Value::as_bool).unwrap_or(false),
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// An Argo CD Application, reduced to what the preflight needs.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppFacts {
    pub namespace: String,
    pub name: String,
    pub project: String,
    pub dest_server: String,
    pub dest_name: String,
    pub dest_namespace: String,
    pub automated: bool,
    pub self_heal: bool,
    pub prune: bool,
}

/// Every Application of the cluster. Argo CD not installed (404) → none.
pub async fn applications(conn: &Connection) -> Result<Vec<AppFacts>, String> {
    let api = dynamic(conn, "argoproj.io", "v1alpha1", "Application", "applications", None);
    let list = match timed(conn, "list Applications", api.list(&ListParams::default())).await {
        Ok(l) => l,
        Err(ClusterError::NotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(format!("cannot list the Argo CD Applications: {e}")),
    };
    let s = |o: &DynamicObject, p: &str| o.data.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let mut out: Vec<AppFacts> = list
        .items
        .iter()
        .map(|o| {
            let automated = o.data.pointer("/spec/syncPolicy/automated").filter(|v| !v.is_null());
            let flag = |k: &str| automated.and_then(|a| a.get(k)).and_then(Value::as_bool).unwrap_or(false);
            // `automated: {enabled: false}` (Argo CD ≥ 3) turns it off.
            let enabled = automated.is_some_and(|a| a.get("enabled").and_then(Value::as_bool) != Some(false));
            AppFacts {
                namespace: o.metadata.namespace.clone().unwrap_or_default(),
                name: o.metadata.name.clone().unwrap_or_default(),
                project: s(o, "/spec/project"),
                dest_server: s(o, "/spec/destination/server"),
                dest_name: s(o, "/spec/destination/name"),
                dest_namespace: s(o, "/spec/destination/namespace"),
                automated: enabled,
                self_heal: enabled && flag("selfHeal"),
                prune: enabled && flag("prune"),
            }
        })
        .collect();
    out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Ok(out)
}

/// The Application managing a workload: the tracking annotation
/// (`<app>:<group>/<kind>:<namespace>/<name>`, only when it names this very object; `<app>` is
/// `name` or `namespace_name`), else the `app.kubernetes.io/instance` label (= the app name).
pub fn managing_app<'a>(apps: &'a [AppFacts], t: &TargetRef, facts: &TargetFacts) -> Option<&'a AppFacts> {
    let by_ref = |r: &str| apps.iter().find(|a| a.name == r || format!("{}_{}", a.namespace, a.name) == r);
    if let Some(id) = &facts.tracking_id
        && let Some((app, rest)) = id.split_once(':')
    {
        let this = format!("apps/{}:{}/{}", t.kind.as_str(), t.namespace, t.name);
        if rest == this {
            return by_ref(app);
        }
    }
    facts.instance_label.as_deref().and_then(by_ref)
}

/// The image change as the run will send it, for the server-side dry run.
pub fn image_patch(t: &Target, facts: &TargetFacts) -> Mutation {
    let containers: Vec<Value> = t.images.iter().map(|(name, image)| json!({"name": name, "image": image})).collect();
    let resource = match t.workload.kind {
        WorkloadKind::Deployment => DEPLOYMENT,
        WorkloadKind::StatefulSet => STATEFULSET,
    };
    Mutation::Patch {
        target: ObjRef::new(resource, &t.workload.namespace, &t.workload.name),
        patch: PatchBody::Strategic(json!({"spec": {"template": {"spec": {"containers": containers}}}})),
        pre: Precondition::spec(facts.resource_version.clone().unwrap_or_default(), facts.generation),
    }
}

/// Sends the image change with `dryRun=All` through the writer. No writer (read-only
/// session) → skipped with the reason.
pub async fn dry_run(writer: Option<&Writer>, skip_reason: &str, t: &Target, facts: &TargetFacts) -> DryRunOutcome {
    let Some(writer) = writer else { return DryRunOutcome::Skipped { reason: skip_reason.to_string() } };
    if !facts.workload.found {
        return DryRunOutcome::Skipped { reason: format!("{} was not found", t.workload) };
    }
    let m = image_patch(t, facts);
    match tokio::time::timeout(super::evidence::CALL_TIMEOUT, writer.dry_run(&m)).await {
        Ok(Ok(_)) => DryRunOutcome::Accepted,
        Ok(Err(WriteError::Cluster(ClusterError::ReadOnly(r)))) => DryRunOutcome::Skipped { reason: r.to_string() },
        Ok(Err(e)) => DryRunOutcome::Rejected { message: e.to_string() },
        Err(_) => DryRunOutcome::Rejected { message: format!("no answer within {}s", super::evidence::CALL_TIMEOUT.as_secs()) },
    }
}
