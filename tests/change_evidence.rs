//! Preflight checks from gathered cluster evidence: target, rollout-complete, pdb, quota,
//! rbac, lock, backup-location, argocd-autosync, dry-run; quantities and object names.

use cabin::domain::change::quantity::parse_quantity;
use cabin::domain::change::*;
use chrono::{DateTime, TimeZone, Utc};

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
}

fn demo(name: &str) -> ChangeRequest {
    let path = format!("{}/assets/changes/demo/{name}", env!("CARGO_MANIFEST_DIR"));
    parse_change(name, &std::fs::read_to_string(&path).expect("demo file")).expect("valid")
}

fn target(kind: WorkloadKind, name: &str) -> TargetRef {
    TargetRef { kind, namespace: "payments".into(), name: name.into() }
}

fn complete(kind: WorkloadKind, replicas: u32) -> WorkloadEvidence {
    WorkloadEvidence {
        target: Some(target(kind, "api")),
        found: true,
        generation: 3,
        observed_generation: 3,
        replicas,
        status_replicas: replicas,
        updated_replicas: replicas,
        ready_replicas: replicas,
        available_replicas: replicas,
        current_revision: Some("r1".into()),
        update_revision: Some("r1".into()),
        ..WorkloadEvidence::default()
    }
}

#[test]
fn quantities_in_milli_units() {
    for (q, want) in [
        ("100m", Some(100)),
        ("1", Some(1000)),
        ("1.5", Some(1500)),
        ("256Mi", Some(256 * 1024 * 1024 * 1000)),
        ("1Gi", Some(1_073_741_824_000)),
        ("2k", Some(2_000_000)),
        ("1e3", Some(1_000_000)),
        ("1n", Some(1)),
        ("0.0001", Some(1)),
        ("", None),
        ("abc", None),
        ("1.2.3", None),
        ("5Qi", None),
        ("1e99", None),
    ] {
        assert_eq!(parse_quantity(q), want, "{q}");
    }
}

#[test]
fn rollout_complete_follows_kubectl_rollout_status() {
    use WorkloadKind::*;
    let d = || complete(Deployment, 4);
    let cases: Vec<(WorkloadEvidence, Option<&str>)> = vec![
        (d(), None),
        (WorkloadEvidence { observed_generation: 2, ..d() }, Some("the controller has not seen generation 3 yet")),
        (WorkloadEvidence { updated_replicas: 2, ..d() }, Some("2 of 4 new replicas updated")),
        (WorkloadEvidence { status_replicas: 5, ..d() }, Some("1 old replicas pending termination")),
        (WorkloadEvidence { available_replicas: 3, ..d() }, Some("3 of 4 updated replicas available")),
        (WorkloadEvidence { paused: true, ..d() }, Some("is paused (a rollout was left half way?)")),
        (WorkloadEvidence { progress_deadline_exceeded: true, ..d() }, Some("exceeded its progress deadline")),
        (
            WorkloadEvidence { failing_pods: vec![("api-1".into(), "CrashLoopBackOff".into())], ..d() },
            Some("pod api-1 is CrashLoopBackOff"),
        ),
        (complete(StatefulSet, 3), None),
        (
            WorkloadEvidence { update_revision: Some("r2".into()), ..complete(StatefulSet, 3) },
            Some("the current revision is not the update revision yet"),
        ),
        (
            WorkloadEvidence { partition: Some(2), updated_replicas: 1, update_revision: Some("r2".into()), ..complete(StatefulSet, 3) },
            None,
        ),
        (WorkloadEvidence { partition: Some(1), updated_replicas: 1, ..complete(StatefulSet, 3) }, Some("1 of 2 pods updated")),
        (WorkloadEvidence { ready_replicas: 2, ..complete(StatefulSet, 3) }, Some("2 of 3 pods ready")),
    ];
    for (w, want) in cases {
        assert_eq!(rollout_incomplete(&w).as_deref(), want, "{w:?}");
    }
    let check = check_rollout_complete(&[WorkloadEvidence { updated_replicas: 2, ..d() }]);
    assert_eq!((check.status, check.summary.as_str()), (CheckStatus::Fail, "Deployment payments/api 2 of 4 new replicas updated"));
    assert!(check.waivable);
    assert_eq!(check_rollout_complete(&[d()]).status, CheckStatus::Pass);
    assert_eq!(check_rollout_complete(&[WorkloadEvidence { found: false, ..d() }]).status, CheckStatus::Skipped);
}

#[test]
fn target_check_is_not_waivable() {
    let missing = WorkloadEvidence { found: false, ..complete(WorkloadKind::Deployment, 1) };
    let c = check_target(&[complete(WorkloadKind::Deployment, 1), missing]);
    assert_eq!((c.status, c.summary.as_str(), c.waivable), (CheckStatus::Fail, "not found: Deployment payments/api", false));
    assert_eq!(check_target(&[]).status, CheckStatus::Fail);
    assert_eq!(check_target(&[complete(WorkloadKind::Deployment, 1)]).summary, "1 target(s) found");
}

#[test]
fn pdb_headroom_against_what_the_plan_takes_down() {
    let api = target(WorkloadKind::Deployment, "api");
    let shape = WorkloadShape::Deployment { replicas: 4, rolling: Some((None, None)) };
    let plan = plan_rollout(WorkloadKind::Deployment, shape, &default_steps()).expect("plan");
    assert_eq!(planned_disruptions(&plan), 1);
    let plans = vec![(api.clone(), plan)];
    let pdb =
        |allowed: i32, current: bool| PdbEvidence { target: api.clone(), name: "api-pdb".into(), disruptions_allowed: allowed, current };
    let c = check_pdb(&plans, &[pdb(0, true)]);
    assert_eq!(
        (c.status, c.summary.as_str()),
        (CheckStatus::Fail, "PDB api-pdb allows 0 disruption(s); Deployment payments/api takes up to 1 pod(s) down at once")
    );
    assert_eq!(check_pdb(&plans, &[pdb(1, true)]).status, CheckStatus::Pass);
    assert_eq!(check_pdb(&plans, &[pdb(0, false)]).status, CheckStatus::Warn);
    assert_eq!(check_pdb(&plans, &[]).summary, "no PodDisruptionBudget selects the targets' pods");
    // maxUnavailable 0: nothing goes down, a zero budget is fine.
    let surge_only = WorkloadShape::Deployment { replicas: 4, rolling: Some((Some(IntOrPercent::Int(1)), Some(IntOrPercent::Int(0)))) };
    let plan = plan_rollout(WorkloadKind::Deployment, surge_only, &default_steps()).expect("plan");
    assert_eq!(check_pdb(&[(api.clone(), plan)], &[pdb(0, true)]).status, CheckStatus::Pass);
}

#[test]
fn quota_headroom_covers_the_surge() {
    let api = target(WorkloadKind::Deployment, "api");
    let surge = SurgeEvidence {
        target: api,
        surge_pods: 1,
        per_pod: vec![("requests.cpu".into(), "100m".into()), ("requests.memory".into(), "256Mi".into())],
    };
    let quota = |cpu_used: &str, pods_used: &str| QuotaEvidence {
        namespace: "payments".into(),
        name: "compute".into(),
        hard: vec![("requests.cpu".into(), "2".into()), ("pods".into(), "10".into()), ("limits.cpu".into(), "4".into())],
        used: vec![("requests.cpu".into(), cpu_used.into()), ("pods".into(), pods_used.into())],
    };
    assert_eq!(check_quota(std::slice::from_ref(&surge), &[quota("1900m", "9")]).status, CheckStatus::Pass);
    let c = check_quota(std::slice::from_ref(&surge), &[quota("1950m", "10")]);
    assert_eq!(
        (c.status, c.summary.as_str()),
        (
            CheckStatus::Fail,
            "quota compute requests.cpu: 50m free, 1 surge pod(s) of Deployment payments/api need 100m; quota compute pods: 0 free, 1 surge pod(s) of Deployment payments/api need 1"
        )
    );
    assert_eq!(check_quota(std::slice::from_ref(&surge), &[quota("lots", "1")]).status, CheckStatus::Warn);
    assert_eq!(check_quota(&[SurgeEvidence { surge_pods: 0, ..surge }], &[quota("2", "10")]).status, CheckStatus::Pass);
}

#[test]
fn required_access_for_the_ready_demo_change() {
    let c = demo("chg-2001-payments-api.yaml");
    let got: Vec<String> = required_access(&c, "velero").iter().map(ToString::to_string).collect();
    assert_eq!(
        got,
        vec![
            "create leases.coordination.k8s.io in payments",
            "create backups.velero.io in velero",
            "get deployments.apps/payments-api in payments",
            "get leases.coordination.k8s.io in payments",
            "get backups.velero.io in velero",
            "list events in payments",
            "list pods in payments",
            "list replicasets.apps in payments",
            "patch deployments.apps/payments-api in payments",
            "update leases.coordination.k8s.io in payments",
            "watch pods in payments",
        ]
    );
    let no_backup = demo("chg-2003-search-api.yaml");
    assert!(required_access(&no_backup, "velero").iter().all(|r| r.group != "velero.io"));
    let denied = AccessResult { request: required_access(&c, "velero")[1].clone(), allowed: false, reason: String::new() };
    let ok = AccessResult { request: required_access(&c, "velero")[0].clone(), allowed: true, reason: String::new() };
    let check = check_rbac(&[denied, ok.clone()]);
    assert_eq!(
        (check.status, check.summary.as_str(), check.waivable),
        (CheckStatus::Fail, "cannot create backups.velero.io in velero", false)
    );
    assert_eq!(check_rbac(&[ok]).status, CheckStatus::Pass);
    assert_eq!(check_rbac(&[]).status, CheckStatus::Fail);
}

#[test]
fn lock_refuses_a_live_holder_and_takes_over_an_expired_one() {
    let lease = |holder: Option<&str>, renew: Option<DateTime<Utc>>| LeaseEvidence {
        target: target(WorkloadKind::Deployment, "api"),
        lease: "cabin-lock-deployment-api".into(),
        holder: holder.map(str::to_string),
        acquire_time: Some(t(2, 0)),
        renew_time: renew,
        duration_secs: Some(15),
    };
    let now = t(3, 0);
    let held = check_lock(&[lease(Some("bob@host-b CHG-9"), Some(now - chrono::Duration::seconds(5)))], "alice@host-a", now);
    assert_eq!(
        (held.status, held.summary.as_str(), held.waivable),
        (
            CheckStatus::Fail,
            "Deployment payments/api is locked by bob@host-b CHG-9 since 2026-12-01T02:00:00Z (Lease cabin-lock-deployment-api)",
            false
        )
    );
    let expired = check_lock(&[lease(Some("bob"), Some(now - chrono::Duration::seconds(16)))], "alice", now);
    assert_eq!(
        (expired.status, expired.summary.as_str()),
        (CheckStatus::Pass, "expired lock(s) will be taken over: bob on Deployment payments/api")
    );
    assert_eq!(check_lock(&[lease(Some("alice"), Some(now))], "alice", now).status, CheckStatus::Pass);
    assert_eq!(check_lock(&[lease(None, None)], "alice", now).status, CheckStatus::Pass);
    assert_eq!(check_lock(&[lease(Some("bob"), None)], "alice", now).status, CheckStatus::Fail, "no renew time: held (fail closed)");
}

#[test]
fn backup_location_autosync_and_dry_run() {
    let with_backup = demo("chg-2001-payments-api.yaml");
    let bsl = |phase: &str, default: bool| BslEvidence { name: "default".into(), phase: Some(phase.into()), default };
    assert_eq!(check_backup_location(&with_backup, &[bsl("Available", true)]).status, CheckStatus::Pass);
    let c = check_backup_location(&with_backup, &[bsl("Unavailable", true)]);
    assert_eq!((c.status, c.summary.as_str()), (CheckStatus::Fail, "BackupStorageLocation default is Unavailable, not Available"));
    assert_eq!(check_backup_location(&with_backup, &[bsl("Available", false)]).summary, "no default BackupStorageLocation");
    let without = demo("chg-2004-ingress-gateway.yaml");
    assert_eq!(check_backup_location(&without, &[]).status, CheckStatus::Warn);

    let app = |automated: bool, self_heal: bool| ArgoAppEvidence {
        target: target(WorkloadKind::Deployment, "api"),
        application: Some("payments".into()),
        automated,
        self_heal,
    };
    let heal = check_argocd_autosync(&[app(true, true)]);
    assert_eq!(heal.status, CheckStatus::Fail);
    assert!(heal.summary.contains("argocd app set NAME --sync-policy none"), "{}", heal.summary);
    assert_eq!(check_argocd_autosync(&[app(true, false)]).status, CheckStatus::Warn);
    assert_eq!(check_argocd_autosync(&[app(false, false)]).status, CheckStatus::Pass);

    let api = target(WorkloadKind::Deployment, "api");
    assert_eq!(check_dry_run(&[(api.clone(), DryRunOutcome::Accepted)]).status, CheckStatus::Pass);
    let rejected = check_dry_run(&[(api.clone(), DryRunOutcome::Rejected { message: "admission webhook denied".into() })]);
    assert_eq!((rejected.status, rejected.summary.as_str()), (CheckStatus::Fail, "Deployment payments/api: admission webhook denied"));
    let skipped = check_dry_run(&[(api, DryRunOutcome::Skipped { reason: "read-only session".into() })]);
    assert_eq!((skipped.status, skipped.summary.as_str()), (CheckStatus::Skipped, "skipped: read-only session"));
}

#[test]
fn object_names_are_lowercase_rfc1123() {
    assert_eq!(backup_name("CHG-1234", Utc.with_ymd_and_hms(2026, 4, 8, 2, 0, 0).unwrap()), "pre-change-chg-1234-20260408-020000");
    assert_eq!(lock_lease_name(&target(WorkloadKind::StatefulSet, "db")), "cabin-lock-statefulset-db");
    let long = "a".repeat(253);
    assert_eq!(lock_lease_name(&target(WorkloadKind::Deployment, &long)).len(), 253);
}

#[test]
fn window_verdicts_combine_to_the_most_restrictive() {
    let open = |h| WindowVerdict::Open { closes_at: Some(t(h, 0)) };
    let closed = |h: Option<u32>| WindowVerdict::Closed { next_open: h.map(|h| t(h, 0)) };
    assert_eq!(WindowVerdict::combine(&[open(5), open(4)]), open(4));
    assert_eq!(WindowVerdict::combine(&[open(5), closed(Some(7)), closed(Some(6))]), closed(Some(7)));
    assert_eq!(WindowVerdict::combine(&[closed(Some(7)), closed(None)]), closed(None));
    let frozen = WindowVerdict::Frozen { freeze: "f".into(), until: None, exception: None };
    assert_eq!(WindowVerdict::combine(&[open(5), frozen.clone(), closed(None)]), frozen);
    let unknown = WindowVerdict::Unknown { reason: "x".into() };
    assert_eq!(WindowVerdict::combine(&[frozen, unknown.clone()]), unknown);
    assert!(matches!(WindowVerdict::combine(&[]), WindowVerdict::Unknown { .. }));
}
