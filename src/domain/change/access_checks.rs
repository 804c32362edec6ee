//! Preflight checks on permissions and other owners, from evidence the caller gathered:
//! `rbac` (and the access the run needs), `lock`, `backup-location`, `argocd-autosync`,
//! `dry-run`; plus the names of the objects a run creates.

use super::model::{ChangeRequest, TargetRef, WorkloadKind};
use super::preflight::{Check, CheckId, CheckStatus};
use super::status::ts;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

/// The Velero `Backup` name: `pre-change-<lowercased id>-<YYYYmmdd-HHMMSS>` (UTC).
pub fn backup_name(change_id: &str, at: DateTime<Utc>) -> String {
    format!("pre-change-{}-{}", change_id.to_ascii_lowercase(), at.format("%Y%m%d-%H%M%S"))
}

/// The Lease that locks one target: `cabin-lock-<deployment|statefulset>-<name>` in the
/// target's namespace, cut to 253 characters.
pub fn lock_lease_name(target: &TargetRef) -> String {
    let mut n = format!("cabin-lock-{}-{}", target.kind.as_str().to_ascii_lowercase(), target.name);
    n.truncate(253);
    n.trim_end_matches(['-', '.']).to_string()
}

/// One SelfSubjectAccessReview's resource attributes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AccessRequest {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub namespace: String,
    /// Empty: any name.
    pub name: String,
}

impl std::fmt::Display for AccessRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let res = if self.group.is_empty() { self.resource.clone() } else { format!("{}.{}", self.resource, self.group) };
        let name = if self.name.is_empty() { String::new() } else { format!("/{}", self.name) };
        write!(f, "{} {res}{name} in {}", self.verb, self.namespace)
    }
}

/// Every access the run will use: read and patch each workload, read its pods, ReplicaSets or
/// ControllerRevisions (rollback) and events, hold the Leases, and create and read the Velero
/// Backup when one is asked for. Sorted, without repeats.
pub fn required_access(change: &ChangeRequest, velero_namespace: &str) -> Vec<AccessRequest> {
    let req = |verb: &str, group: &str, resource: &str, ns: &str, name: &str| AccessRequest {
        verb: verb.into(),
        group: group.into(),
        resource: resource.into(),
        namespace: ns.into(),
        name: name.into(),
    };
    let mut out = Vec::new();
    for t in &change.targets {
        let w = &t.workload;
        let (res, history) = match w.kind {
            WorkloadKind::Deployment => ("deployments", "replicasets"),
            WorkloadKind::StatefulSet => ("statefulsets", "controllerrevisions"),
        };
        for verb in ["get", "patch"] {
            out.push(req(verb, "apps", res, &w.namespace, &w.name));
        }
        out.push(req("list", "apps", history, &w.namespace, ""));
        out.push(req("list", "", "pods", &w.namespace, ""));
        out.push(req("watch", "", "pods", &w.namespace, ""));
        out.push(req("list", "", "events", &w.namespace, ""));
        for verb in ["get", "create", "update"] {
            out.push(req(verb, "coordination.k8s.io", "leases", &w.namespace, ""));
        }
    }
    if change.backup.is_some() {
        out.push(req("create", "velero.io", "backups", velero_namespace, ""));
        out.push(req("get", "velero.io", "backups", velero_namespace, ""));
    }
    out.sort();
    out.dedup();
    out
}

/// A SelfSubjectAccessReview's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessResult {
    pub request: AccessRequest,
    pub allowed: bool,
    pub reason: String,
}

/// `rbac`: every required access allowed (not waivable).
pub fn check_rbac(results: &[AccessResult]) -> Check {
    let denied: Vec<String> = results.iter().filter(|r| !r.allowed).map(|r| format!("cannot {}", r.request)).collect();
    let evidence = json!({"reviews": results});
    if results.is_empty() {
        return Check::new(CheckId::Rbac, CheckStatus::Fail, "no access review was made", evidence);
    }
    if denied.is_empty() {
        return Check::new(CheckId::Rbac, CheckStatus::Pass, format!("{} access review(s) allowed", results.len()), evidence);
    }
    Check::new(CheckId::Rbac, CheckStatus::Fail, denied.join("; "), evidence)
}

/// A target's lock Lease as read (None fields: absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaseEvidence {
    pub target: TargetRef,
    pub lease: String,
    pub holder: Option<String>,
    pub acquire_time: Option<DateTime<Utc>>,
    pub renew_time: Option<DateTime<Utc>>,
    pub duration_secs: Option<i64>,
}

impl LeaseEvidence {
    /// Held by someone whose record is still fresh at `now` (renewTime + duration). A holder
    /// without a renew time or duration counts as held (fail closed).
    pub fn held_at(&self, now: DateTime<Utc>) -> bool {
        if self.holder.as_deref().is_none_or(str::is_empty) {
            return false;
        }
        match (self.renew_time, self.duration_secs) {
            (Some(r), Some(d)) => r + chrono::Duration::seconds(d.clamp(0, 86_400 * 365)) > now,
            _ => true,
        }
    }
}

/// `lock`: no other holder has a live Lease on a target (not waivable). Our own holder
/// passes (a resume); an expired holder passes and is noted (the run takes it over).
pub fn check_lock(leases: &[LeaseEvidence], me: &str, now: DateTime<Utc>) -> Check {
    let evidence = json!({"now": ts(&now), "me": me, "leases": leases});
    let mut held = Vec::new();
    let mut expired = Vec::new();
    for l in leases {
        let holder = l.holder.clone().unwrap_or_default();
        if holder.is_empty() || holder == me {
            continue;
        }
        if l.held_at(now) {
            let since = l.acquire_time.as_ref().map_or("an unknown time".to_string(), ts);
            held.push(format!("{} is locked by {holder} since {since} (Lease {})", l.target, l.lease));
        } else {
            expired.push(format!("{holder} on {}", l.target));
        }
    }
    if !held.is_empty() {
        return Check::new(CheckId::Lock, CheckStatus::Fail, held.join("; "), evidence);
    }
    if !expired.is_empty() {
        return Check::new(
            CheckId::Lock,
            CheckStatus::Pass,
            format!("expired lock(s) will be taken over: {}", expired.join(", ")),
            evidence,
        );
    }
    Check::new(CheckId::Lock, CheckStatus::Pass, "no other change holds a target", evidence)
}

/// A Velero BackupStorageLocation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BslEvidence {
    pub name: String,
    pub phase: Option<String>,
    pub default: bool,
}

/// `backup-location`: the location the backup will use (`storageLocation`, else the default
/// one) is `Available`. No backup asked for → warn.
pub fn check_backup_location(change: &ChangeRequest, bsls: &[BslEvidence]) -> Check {
    let evidence = json!({"locations": bsls, "backup": change.backup});
    let Some(backup) = &change.backup else {
        return Check::new(CheckId::BackupLocation, CheckStatus::Warn, "no pre-change backup asked for (spec.backup is absent)", evidence);
    };
    let found = match &backup.storage_location {
        Some(name) => bsls.iter().find(|b| &b.name == name).ok_or_else(|| format!("no BackupStorageLocation named {name}")),
        None => bsls.iter().find(|b| b.default).ok_or_else(|| "no default BackupStorageLocation".to_string()),
    };
    let bsl = match found {
        Ok(b) => b,
        Err(why) => return Check::new(CheckId::BackupLocation, CheckStatus::Fail, why, evidence),
    };
    let phase = bsl.phase.as_deref().unwrap_or("unknown");
    if phase == "Available" {
        return Check::new(
            CheckId::BackupLocation,
            CheckStatus::Pass,
            format!("BackupStorageLocation {} is Available", bsl.name),
            evidence,
        );
    }
    Check::new(
        CheckId::BackupLocation,
        CheckStatus::Fail,
        format!("BackupStorageLocation {} is {phase}, not Available", bsl.name),
        evidence,
    )
}

/// The Argo CD Application managing a target, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArgoAppEvidence {
    pub target: TargetRef,
    pub application: Option<String>,
    pub automated: bool,
    pub self_heal: bool,
}

/// `argocd-autosync`: an Application with automated sync and self-heal reverts the change at
/// once → fail, saying what to do; automated without self-heal reverts it at the next sync of
/// git → warn.
pub fn check_argocd_autosync(apps: &[ArgoAppEvidence]) -> Check {
    let evidence = json!({"applications": apps});
    let managed = |heal: bool| -> Vec<String> {
        apps.iter()
            .filter(|a| a.automated && a.self_heal == heal)
            .filter_map(|a| a.application.as_ref().map(|n| format!("{n} ({})", a.target)))
            .collect()
    };
    let (healing, automated) = (managed(true), managed(false));
    if !healing.is_empty() {
        let s = format!(
            "auto-sync with self-heal would revert the change: {}; turn automated sync off (argocd app set NAME --sync-policy none) for the run, or make the change through git",
            healing.join(", ")
        );
        return Check::new(CheckId::ArgocdAutosync, CheckStatus::Fail, s, evidence);
    }
    if !automated.is_empty() {
        let s = format!("auto-sync (no self-heal) would revert the change at the next sync: {}", automated.join(", "));
        return Check::new(CheckId::ArgocdAutosync, CheckStatus::Warn, s, evidence);
    }
    Check::new(CheckId::ArgocdAutosync, CheckStatus::Pass, "no Application auto-syncs the targets", evidence)
}

/// The server's answer to the change sent with `dryRun=All`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum DryRunOutcome {
    Accepted,
    Rejected { message: String },
    Skipped { reason: String },
}

/// `dry-run`: every target's patch accepted; any skipped (read-only) → skipped.
pub fn check_dry_run(results: &[(TargetRef, DryRunOutcome)]) -> Check {
    let evidence = json!({"targets": results.iter().map(|(t, o)| json!({"target": t.to_string(), "result": o})).collect::<Vec<_>>()});
    let rejected: Vec<String> = results
        .iter()
        .filter_map(|(t, o)| if let DryRunOutcome::Rejected { message } = o { Some(format!("{t}: {message}")) } else { None })
        .collect();
    if !rejected.is_empty() {
        return Check::new(CheckId::DryRun, CheckStatus::Fail, rejected.join("; "), evidence);
    }
    if let Some(reason) = results.iter().find_map(|(_, o)| if let DryRunOutcome::Skipped { reason } = o { Some(reason) } else { None }) {
        return Check::new(CheckId::DryRun, CheckStatus::Skipped, format!("skipped: {reason}"), evidence);
    }
    if results.is_empty() {
        return Check::new(CheckId::DryRun, CheckStatus::Skipped, "skipped: nothing was sent", evidence);
    }
    Check::new(CheckId::DryRun, CheckStatus::Pass, "the server accepts the change (dryRun=All)", evidence)
}
