//! The preflight of a change: gather the cluster evidence (`cluster::evidence*`), then
//! evaluate every check (`domain::change`'s pure check functions), in the stable order of
//! `CheckId::ALL`. A piece of evidence that could not be gathered fails its check with the
//! message (fail closed); it never passes silently. The change run calls [`run_preflight`]
//! before its first write; the CLI, the CAB pack and the cockpit use [`evaluate`] for the
//! facts they show besides the checks.
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use super::change_windows::target_windows;
use super::windows_feed::WindowsFeed;
use crate::cluster::Connection;
use crate::cluster::evidence::{self, TargetFacts};
use crate::cluster::evidence_access::{self as access, AppFacts};
use crate::cluster::write::Writer;
use crate::domain::change::*;
use crate::domain::windows::AppTarget;
use crate::domain::windows::workload::{ClusterRef, Tracking, Unreadable};

/// Velero's namespace (where Backups and BackupStorageLocations live).
pub const VELERO_NAMESPACE: &str = "velero";

/// Whose lock is "ours" for the lock check: the holder of a target Lease labelled
/// `change-id=<this change>` (the run's own lock: a resume), else `cabin/<change id>`, which
/// no run uses, so any live holder is another change.
pub fn lock_holder(change_id: &str, leases: &[(LeaseEvidence, Option<String>)]) -> String {
    leases
        .iter()
        .find(|(l, label)| label.as_deref() == Some(change_id) && l.holder.as_deref().is_some_and(|h| !h.is_empty()))
        .and_then(|(l, _)| l.holder.clone())
        .unwrap_or_else(|| format!("cabin/{change_id}"))
}

/// What the preflight needs besides the change.
#[derive(Clone, Copy)]
pub struct PreflightEnv<'a> {
    pub conn: &'a Connection,
    /// The journalled writer, for the dry run; None → the dry run is skipped with `skip_reason`.
    pub writer: Option<&'a Writer>,
    pub skip_reason: &'a str,
    /// Sync windows and freezes (files merged with the cluster's AppProjects).
    pub windows: &'a WindowsFeed,
    pub policy: &'a ApprovalPolicy,
}

/// One container: what runs now and what the change sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerChange {
    pub container: String,
    /// None: the container does not exist (or the target was not found).
    pub current: Option<String>,
    pub new: String,
}

/// What the preflight learned about one target besides the checks: the images it changes, the
/// rollout plan on its live shape, the revision it returns to, the managing Application.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetPlan {
    pub target: TargetRef,
    pub found: bool,
    pub containers: Vec<ContainerChange>,
    /// Every container of the pod template with its current image (the rollback returns to these).
    pub current_images: Vec<(String, String)>,
    pub revision: Option<String>,
    pub plan: Result<RolloutPlan, String>,
    pub application: Option<String>,
}

/// A preflight with the facts it looked at.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PreflightRun {
    pub preflight: Preflight,
    pub targets: Vec<TargetPlan>,
    /// The targets' window verdicts combined (most restrictive wins).
    pub window: WindowVerdict,
    pub at: DateTime<Utc>,
}

/// Gathers and evaluates every check of `change` at `now`: the change run's entry point.
pub async fn run_preflight(env: PreflightEnv<'_>, change: &ChangeRequest, now: DateTime<Utc>) -> Preflight {
    evaluate(env, change, now).await.preflight
}

/// Everything gathered from the cluster for one change.
struct Gathered {
    targets: Vec<(Target, TargetFacts)>,
    apps: Result<Vec<AppFacts>, String>,
    pdbs: Result<Vec<PdbEvidence>, String>,
    quotas: Result<Vec<QuotaEvidence>, String>,
    bsls: Option<Result<Vec<BslEvidence>, String>>,
    leases: Result<Vec<(LeaseEvidence, Option<String>)>, String>,
    access: Vec<AccessResult>,
    dry_run: Vec<(TargetRef, DryRunOutcome)>,
}

async fn gather(env: PreflightEnv<'_>, change: &ChangeRequest) -> Gathered {
    let conn = env.conn;
    let mut targets = Vec::new();
    for t in &change.targets {
        targets.push((t.clone(), evidence::read_target(conn, &t.workload).await));
    }
    // A target that could not be read cannot vouch for its budgets: fail closed.
    let unread = targets.iter().find_map(|(_, f)| f.read_error.clone());
    let mut pdbs = unread.clone().map_or(Ok(Vec::new()), Err);
    let mut quotas = unread.map_or(Ok(Vec::new()), Err);
    let mut seen_ns: Vec<String> = Vec::new();
    for (t, facts) in targets.iter().filter(|(_, f)| f.workload.found) {
        match (&mut pdbs, evidence::pdbs_for(conn, &t.workload, facts).await) {
            (Ok(all), Ok(found)) => all.extend(found),
            (Ok(_), Err(e)) => pdbs = Err(e),
            (Err(_), _) => {}
        }
        if !seen_ns.contains(&t.workload.namespace) {
            seen_ns.push(t.workload.namespace.clone());
            match (&mut quotas, evidence::quotas_of(conn, &t.workload.namespace).await) {
                (Ok(all), Ok(found)) => all.extend(found),
                (Ok(_), Err(e)) => quotas = Err(e),
                (Err(_), _) => {}
            }
        }
    }
    let bsls = match change.backup {
        Some(_) => Some(access::backup_locations(conn, VELERO_NAMESPACE).await),
        None => None,
    };
    let apps = access::applications(conn).await;
    let leases = access::leases(conn, &change.targets).await;
    let access = access::access_reviews(conn, &required_access(change, VELERO_NAMESPACE)).await;
    let mut dry_run = Vec::new();
    for (t, facts) in &targets {
        dry_run.push((t.workload.clone(), access::dry_run(env.writer, env.skip_reason, t, facts).await));
    }
    Gathered { targets, apps, pdbs, quotas, bsls, leases, access, dry_run }
}

/// Gathers the evidence and evaluates every check; see the module docs.
pub async fn evaluate(env: PreflightEnv<'_>, change: &ChangeRequest, now: DateTime<Utc>) -> PreflightRun {
    let g = gather(env, change).await;
    let info = env.conn.info();
    let cluster = ClusterRef { server: info.cluster_url.clone(), name: info.context.clone() };
    let tracking = |t: &TargetRef| {
        g.targets
            .iter()
            .find(|(x, _)| &x.workload == t)
            .map(|(_, f)| Tracking { instance_label: f.instance_label.clone(), tracking_id: f.tracking_id.clone() })
            .unwrap_or_default()
    };
    let decided = target_windows(change, env.windows, &tracking, &cluster, now);
    let windows: Vec<TargetWindow> = decided.iter().map(|(w, _, _)| w.clone()).collect();
    let apps_for_freeze: Vec<(TargetRef, AppTarget)> = decided.iter().map(|(w, t, _)| (w.target.clone(), t.clone())).collect();
    let managed: Vec<(TargetRef, Option<String>)> = decided.iter().map(|(w, _, app)| (w.target.clone(), app.clone())).collect();
    let plans: Vec<TargetPlan> = g.targets.iter().map(|(t, f)| target_plan(change, t, f, &managed)).collect();
    let window = WindowVerdict::combine(&windows.iter().map(|w| w.verdict.clone()).collect::<Vec<_>>());
    let mut checks = vec![
        check_approvals(change, env.policy),
        check_window(change, &windows, now),
        check_freeze(change, &env.windows.freezes, &apps_for_freeze, now),
        target_check(&g, &plans),
        rollout_check(&g),
        check_containers(change, &live(&g)),
        check_images(change),
        check_dry_run(&g.dry_run),
        check_rbac(&g.access),
        pdb_check(&g, &plans),
        quota_check(&g, &plans),
        backup_check(change, &g),
        autosync_check(&g),
        lock_check(change, &g, now),
    ];
    checks.sort_by_key(|c| CheckId::ALL.iter().position(|id| *id == c.id));
    PreflightRun { preflight: Preflight::new(change.id.clone(), checks), targets: plans, window, at: now }
}

fn target_plan(change: &ChangeRequest, t: &Target, f: &TargetFacts, managed: &[(TargetRef, Option<String>)]) -> TargetPlan {
    let current = f.containers.clone().unwrap_or_default();
    let containers = t
        .images
        .iter()
        .map(|(name, image)| ContainerChange {
            container: name.clone(),
            current: current.iter().find(|(n, _)| n == name).map(|(_, i)| i.clone()),
            new: image.clone(),
        })
        .collect();
    let plan = match f.shape {
        Some(shape) => plan_rollout(t.workload.kind, shape, &change.rollout.steps).map_err(|e| e.to_string()),
        None => Err("the target was not read: no plan".to_string()),
    };
    let application = managed.iter().find(|(r, _)| r == &t.workload).and_then(|(_, m)| m.clone());
    TargetPlan {
        target: t.workload.clone(),
        found: f.workload.found,
        containers,
        current_images: current,
        revision: f.revision.clone(),
        plan,
        application,
    }
}

fn live(g: &Gathered) -> Vec<LiveContainers> {
    g.targets.iter().map(|(t, f)| LiveContainers { target: t.workload.clone(), containers: f.containers.clone() }).collect()
}

fn fail(id: CheckId, summary: String, evidence: serde_json::Value) -> Check {
    Check::new(id, CheckStatus::Fail, summary, evidence)
}

/// `target`: found, readable, and plannable (a Recreate Deployment or 0 replicas cannot be
/// rolled out step by step).
fn target_check(g: &Gathered, plans: &[TargetPlan]) -> Check {
    let workloads: Vec<WorkloadEvidence> = g.targets.iter().map(|(_, f)| f.workload.clone()).collect();
    let base = check_target(&workloads);
    let missing: Vec<String> =
        g.targets.iter().filter(|(_, f)| !f.workload.found && f.read_error.is_none()).map(|(t, _)| t.workload.to_string()).collect();
    let mut problems: Vec<String> = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("not found: {}", missing.join(", ")));
    }
    problems.extend(g.targets.iter().filter_map(|(_, f)| f.read_error.clone()));
    problems.extend(plans.iter().filter(|p| p.found).filter_map(|p| p.plan.as_ref().err().map(|e| format!("{}: {e}", p.target))));
    if problems.is_empty() || workloads.is_empty() { base } else { fail(CheckId::Target, problems.join("; "), base.evidence) }
}

fn rollout_check(g: &Gathered) -> Check {
    let workloads: Vec<WorkloadEvidence> = g.targets.iter().map(|(_, f)| f.workload.clone()).collect();
    let base = check_rollout_complete(&workloads);
    let errors: Vec<String> = g.targets.iter().filter_map(|(_, f)| f.pods_error.clone()).collect();
    if errors.is_empty() { base } else { fail(CheckId::RolloutComplete, errors.join("; "), base.evidence) }
}

fn plans_of(plans: &[TargetPlan]) -> Vec<(TargetRef, RolloutPlan)> {
    plans.iter().filter_map(|p| p.plan.as_ref().ok().map(|plan| (p.target.clone(), plan.clone()))).collect()
}

fn pdb_check(g: &Gathered, plans: &[TargetPlan]) -> Check {
    match &g.pdbs {
        Ok(pdbs) => check_pdb(&plans_of(plans), pdbs),
        Err(e) => fail(CheckId::Pdb, e.clone(), json!({"error": e})),
    }
}

fn quota_check(g: &Gathered, plans: &[TargetPlan]) -> Check {
    let surges: Vec<SurgeEvidence> = plans_of(plans)
        .into_iter()
        .filter_map(|(t, plan)| {
            let facts = g.targets.iter().find(|(x, _)| x.workload == t).map(|(_, f)| f)?;
            Some(SurgeEvidence { target: t, surge_pods: plan.max_surge.unwrap_or(0), per_pod: facts.per_pod.clone() })
        })
        .collect();
    match &g.quotas {
        Ok(q) => check_quota(&surges, q),
        Err(e) => fail(CheckId::Quota, e.clone(), json!({"error": e, "surges": surges})),
    }
}

fn backup_check(change: &ChangeRequest, g: &Gathered) -> Check {
    match &g.bsls {
        None | Some(Ok(_)) => check_backup_location(change, g.bsls.as_ref().and_then(|r| r.as_ref().ok()).map_or(&[], Vec::as_slice)),
        Some(Err(e)) => fail(CheckId::BackupLocation, e.clone(), json!({"error": e, "backup": change.backup})),
    }
}

fn autosync_check(g: &Gathered) -> Check {
    let apps = match &g.apps {
        Ok(a) => a,
        Err(e) => return fail(CheckId::ArgocdAutosync, e.clone(), json!({"error": e})),
    };
    let evidence: Vec<ArgoAppEvidence> = g
        .targets
        .iter()
        .map(|(t, f)| {
            let app = access::managing_app(apps, &t.workload, f);
            ArgoAppEvidence {
                target: t.workload.clone(),
                application: app.map(|a| a.name.clone()),
                automated: app.is_some_and(|a| a.automated),
                self_heal: app.is_some_and(|a| a.self_heal),
            }
        })
        .collect();
    check_argocd_autosync(&evidence)
}

fn lock_check(change: &ChangeRequest, g: &Gathered, now: DateTime<Utc>) -> Check {
    match &g.leases {
        Ok(l) => {
            let me = lock_holder(&change.id, l);
            check_lock(&l.iter().map(|(e, _)| e.clone()).collect::<Vec<_>>(), &me, now)
        }
        Err(e) => fail(CheckId::Lock, e.clone(), json!({"error": e})),
    }
}

/// The windows feed for a preflight: the files' feed merged with the cluster's AppProjects
/// and Applications. What cannot be read becomes a problem of the feed: the verdicts it may
/// decide are Unknown (fail closed).
pub async fn windows_with_cluster(conn: &Connection, files: &WindowsFeed) -> WindowsFeed {
    let mut feed = files.clone();
    let mut cluster = WindowsFeed::default();
    match crate::cluster::appprojects::list(conn).await {
        Ok(p) => {
            cluster = WindowsFeed::from_projects(p.projects);
            cluster.errors.extend(p.errors);
            for name in p.unreadable {
                cluster.problems.push(crate::domain::windows::workload::Problem {
                    scope: Unreadable::Project(name.clone()),
                    text: format!("AppProject {name}: spec.syncWindows cannot be read"),
                });
            }
        }
        Err(e) => cluster.problem(Unreadable::SomeProject, format!("cluster AppProjects: {e}")),
    }
    match crate::cluster::applications::list(conn).await {
        Ok(apps) => cluster.applications.extend(apps),
        Err(e) => cluster.problem(Unreadable::Applications, format!("cluster Applications: {e}")),
    }
    feed.merge(cluster);
    feed
}

/// How long a journalled waiver holds: a waiver is for the failure the operator looked at,
/// not for the change forever.
pub const WAIVER_TTL_HOURS: i64 = 12;

/// Applies the change's journalled waivers (kind `waiver`, newer than [`WAIVER_TTL_HOURS`])
/// to the checks that still fail and may be waived; returns how many applied. The run, the
/// CAB pack and the cockpit all see the operator's waivers this way.
pub fn apply_journalled_waivers(p: &mut Preflight, entries: &[crate::journal::Entry], now: DateTime<Utc>) -> usize {
    let since = now - chrono::Duration::hours(WAIVER_TTL_HOURS);
    let mut n = 0;
    let change = p.change.clone();
    for e in entries.iter().filter(|e| e.kind == "waiver" && e.change.as_deref() == Some(change.as_str()) && e.ts >= since) {
        let s = |k: &str| e.details.get(k).and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
        let Some(id) = CheckId::parse(&s("check")) else { continue };
        let by =
            Some(s("by")).filter(|b| !b.is_empty()).or_else(|| e.actor.cluster_user.clone()).unwrap_or_else(|| e.actor.local_user.clone());
        if p.waive(id, &by, &s("reason")).is_ok() {
            n += 1;
        }
    }
    n
}

/// The waiver id that lets a run go on when its pre-change backup does not end `Completed`.
pub const BACKUP_WAIVER: &str = "backup";

/// The newest journalled backup waiver of the change given since its last run started (and
/// within the waivers' time to live): its reason.
pub fn backup_waiver(entries: &[crate::journal::Entry], change: &str, now: DateTime<Utc>) -> Option<String> {
    let since = now - chrono::Duration::hours(WAIVER_TTL_HOURS);
    let mine = |e: &&crate::journal::Entry| e.change.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(change));
    let last_start = entries
        .iter()
        .filter(mine)
        .filter(|e| e.kind == crate::domain::change::run::KIND_RUN && e.outcome.as_deref() == Some("started"))
        .map(|e| e.ts)
        .max();
    entries
        .iter()
        .rev()
        .filter(mine)
        .filter(|e| e.kind == "waiver" && e.ts >= since && last_start.is_none_or(|t| e.ts > t))
        .filter(|e| e.details.get("check").and_then(serde_json::Value::as_str) == Some(BACKUP_WAIVER))
        .filter_map(|e| e.details.get("reason").and_then(serde_json::Value::as_str).map(str::to_string))
        .find(|r| !r.trim().is_empty())
}

/// The preflight as the change run needs it before its first write: the writer's connection
/// and journal (dry run through the writer; the operator's journalled waivers applied), the
/// windows files merged with the cluster's AppProjects, the default approval policy.
pub async fn preflight_for_run(writer: &Writer, change: &ChangeRequest, policy: &ApprovalPolicy, now: DateTime<Utc>) -> Preflight {
    let files = super::windows_feed::load_with_defaults(&[], None, None);
    let windows = windows_with_cluster(writer.connection(), &files).await;
    let read_only = writer.connection().info().read_only;
    let env = PreflightEnv {
        conn: writer.connection(),
        writer: (!read_only).then_some(writer),
        skip_reason: "read-only session",
        windows: &windows,
        policy,
    };
    let mut p = run_preflight(env, change, now).await;
    let path = writer.journal().path().to_path_buf();
    let entries = tokio::task::spawn_blocking(move || crate::journal::read_entries(&path).unwrap_or_default()).await.unwrap_or_default();
    apply_journalled_waivers(&mut p, &entries, now);
    p
}
