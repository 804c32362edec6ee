//! Health verdicts and preflight verdicts: the CLI JSON shape, waivers, and the checks that
//! need no cluster (approvals, window, freeze, images, containers).

use cabin::domain::change::*;
use cabin::domain::windows::freeze::parse_freezes;
use cabin::domain::windows::window::AppTarget;
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

fn t(h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, 0, 0).unwrap()
}

fn demo(name: &str) -> ChangeRequest {
    let path = format!("{}/assets/changes/demo/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("demo file");
    parse_change(name, &text).expect("valid demo change")
}

fn pod(name: &str, ready: bool, restarts: u32, waiting: Option<&str>, last: Option<&str>) -> PodHealth {
    PodHealth {
        name: name.into(),
        ready,
        restarts,
        waiting_reason: waiting.map(str::to_string),
        last_termination_reason: last.map(str::to_string),
    }
}

fn verdict(pods: Vec<PodHealth>, warnings: Vec<PodWarning>, deadline: bool, max_restarts: u32) -> HealthVerdict {
    let e = HealthEvidence { expected_updated: 2, pods, warnings, progress_deadline_exceeded: deadline };
    let policy = HealthPolicy { max_restarts, on_failure: OnFailure::Rollback };
    let report = health_verdict(e.clone(), &policy);
    assert_eq!(report.evidence, e, "the evidence is kept");
    report.verdict
}

#[test]
fn health_table() {
    let fail = |r: &[&str]| HealthVerdict::Failed { reasons: r.iter().map(|s| s.to_string()).collect() };
    let pending = |s: &str| HealthVerdict::Pending { waiting_for: s.into() };
    let warn = |reason: &str| PodWarning { pod: "p1".into(), reason: reason.into(), message: "m".into(), count: 3 };
    let cases = vec![
        (verdict(vec![pod("p1", true, 0, None, None), pod("p2", true, 0, None, None)], vec![], false, 0), HealthVerdict::Healthy),
        (verdict(vec![pod("p1", true, 0, None, None)], vec![], false, 0), pending("1/2 updated pods ready (1 of 2 created)")),
        (
            verdict(vec![pod("p1", true, 0, None, None), pod("p2", false, 0, Some("ContainerCreating"), None)], vec![], false, 0),
            pending("1/2 updated pods ready"),
        ),
        (
            verdict(vec![pod("p1", true, 0, None, None), pod("p2", false, 0, None, None)], vec![warn("Unhealthy")], false, 0),
            pending("1/2 updated pods ready; warning Unhealthy on p1: m"),
        ),
        (
            verdict(vec![pod("p1", false, 2, Some("CrashLoopBackOff"), Some("Error")), pod("p2", true, 0, None, None)], vec![], false, 0),
            fail(&["2 restarts of updated pods, more than maxRestarts 0 (p1 2)", "pod p1 is waiting: CrashLoopBackOff"]),
        ),
        (verdict(vec![pod("p1", true, 1, None, None), pod("p2", true, 1, None, None)], vec![], false, 2), HealthVerdict::Healthy),
        (
            verdict(vec![pod("p1", true, 1, None, Some("OOMKilled")), pod("p2", true, 0, None, None)], vec![], false, 1),
            fail(&["pod p1 was terminated: OOMKilled"]),
        ),
        (
            verdict(vec![pod("p1", false, 0, Some("ImagePullBackOff"), None)], vec![], false, 0),
            fail(&["pod p1 is waiting: ImagePullBackOff"]),
        ),
        (verdict(vec![pod("p1", false, 0, Some("ErrImagePull"), None)], vec![], false, 0), fail(&["pod p1 is waiting: ErrImagePull"])),
        (verdict(vec![pod("p1", true, 0, None, None)], vec![warn("BackOff")], false, 0), fail(&["warning BackOff on pod p1 (×3): m"])),
        (verdict(vec![], vec![], true, 0), fail(&["the Deployment exceeded its progress deadline (ProgressDeadlineExceeded)"])),
    ];
    for (i, (got, want)) in cases.into_iter().enumerate() {
        assert_eq!(got, want, "case {i}");
    }
}

#[test]
fn preflight_serializes_as_the_cli_contract_and_waivers_count_as_passed() {
    let checks = vec![
        Check::new(CheckId::Approvals, CheckStatus::Pass, "approved", json!({"required": 2})),
        Check::new(CheckId::Pdb, CheckStatus::Fail, "disruptionsAllowed 0", json!({"disruptionsAllowed": 0})),
        Check::new(CheckId::DryRun, CheckStatus::Skipped, "skipped: read-only session", json!(null)),
    ];
    let mut p = Preflight::new("CHG-1", checks);
    assert!(!p.ok);
    let v = serde_json::to_value(&p).expect("json");
    assert_eq!(
        v,
        json!({"change": "CHG-1", "checks": [
            {"id": "approvals", "status": "pass", "summary": "approved", "evidence": {"required": 2}, "waivable": false},
            {"id": "pdb", "status": "fail", "summary": "disruptionsAllowed 0", "evidence": {"disruptionsAllowed": 0}, "waivable": true},
            {"id": "dry-run", "status": "skipped", "summary": "skipped: read-only session", "evidence": null, "waivable": true},
        ], "ok": false})
    );
    assert_eq!(p.waive(CheckId::Pdb, "  ", "because"), Err(WaiveError::Empty));
    assert_eq!(p.waive(CheckId::Approvals, "oncall", "because"), Err(WaiveError::NotFailed("approvals".into())));
    assert_eq!(p.waive(CheckId::Quota, "oncall", "because"), Err(WaiveError::NoSuchCheck("quota".into())));
    assert_eq!(p.waive(CheckId::Pdb, "oncall", "single replica by design"), Ok(()));
    assert!(p.ok);
    assert_eq!(
        serde_json::to_value(p.check(CheckId::Pdb)).expect("json")["waived"],
        json!({"by": "oncall", "reason": "single replica by design"})
    );

    let mut p = Preflight::new("CHG-1", vec![Check::new(CheckId::Target, CheckStatus::Fail, "not found", json!({}))]);
    assert_eq!(p.waive(CheckId::Target, "oncall", "x"), Err(WaiveError::NotWaivable("target".into())));
    assert!(!p.ok);
}

#[test]
fn check_ids_are_stable_strings() {
    let ids: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
    assert_eq!(
        ids.join(" "),
        "approvals window freeze target rollout-complete containers images dry-run rbac pdb quota backup-location argocd-autosync lock"
    );
    for id in CheckId::ALL {
        assert_eq!(serde_json::to_value(id).expect("json"), json!(id.as_str()));
        assert_eq!(CheckId::parse(id.as_str()), Some(id));
    }
    let unwaivable: Vec<&str> = CheckId::ALL.iter().filter(|c| !c.waivable()).map(|c| c.as_str()).collect();
    assert_eq!(unwaivable, vec!["approvals", "freeze", "target", "containers", "images", "rbac", "lock"]);
}

#[test]
fn approvals_and_images_checks() {
    let c = demo("chg-2003-search-api.yaml");
    let a = check_approvals(&c, &ApprovalPolicy::default());
    assert_eq!((a.id, a.status), (CheckId::Approvals, CheckStatus::Fail));
    assert_eq!(a.evidence["counted"], json!(["search-lead"]));
    assert_eq!(a.evidence["ignored"][0]["approver"], json!("dave"));
    let i = check_images(&c);
    assert_eq!((i.status, i.summary.as_str()), (CheckStatus::Pass, "1 image reference(s) well-formed"));
    let mut floating = c.clone();
    floating.targets[0].images[0].1 = "ghcr.io/acme/search-api".into();
    assert_eq!(check_images(&floating).status, CheckStatus::Warn);
    floating.targets[0].images[0].1 = "ghcr.io/acme/Search-api:1".into();
    let bad = check_images(&floating);
    assert_eq!(
        (bad.status, bad.summary.as_str()),
        (CheckStatus::Fail, "malformed image references: app: repository name (acme/Search-api) must be lowercase")
    );
}

#[test]
fn window_check_fails_closed_and_respects_the_planned_slot() {
    let mut c = demo("chg-2001-payments-api.yaml");
    let target = c.targets[0].workload.clone();
    let tw = |verdict| vec![TargetWindow { target: target.clone(), source: "Argo CD Application payments".into(), verdict }];
    let open = WindowVerdict::Open { closes_at: None };
    assert_eq!(check_window(&c, &tw(open.clone()), t(3)).status, CheckStatus::Pass);
    assert_eq!(check_window(&c, &[], t(3)).status, CheckStatus::Fail);
    let closed = check_window(&c, &tw(WindowVerdict::Closed { next_open: Some(t(5)) }), t(3));
    assert_eq!(
        (closed.status, closed.summary.as_str()),
        (
            CheckStatus::Fail,
            "Deployment payments/payments-api: window closed, next opening 2026-12-01T05:00:00Z (Argo CD Application payments)"
        )
    );
    let unknown = check_window(&c, &tw(WindowVerdict::Unknown { reason: "no cluster".into() }), t(3));
    assert_eq!(unknown.status, CheckStatus::Fail);
    c.window = Some(Slot { start: t(2), end: t(6), text: "2026-12-01T02:00:00Z/PT4H".into() });
    let inside = check_window(&c, &tw(open.clone()), t(3));
    assert_eq!(inside.summary, "windows open for every target; inside the planned slot until 2026-12-01T06:00:00Z");
    let before = check_window(&c, &tw(open), t(1));
    assert_eq!(
        (before.status, before.summary.as_str()),
        (CheckStatus::Fail, "windows open, but the planned slot starts at 2026-12-01T02:00:00Z")
    );
    assert!(before.waivable);
}

#[test]
fn freeze_check_admits_emergencies_only_through_an_exception() {
    let freezes = parse_freezes(
        "freezes:\n- name: demo-freeze\n  start: 2026-12-01T00:00:00Z\n  end: 2026-12-02T00:00:00Z\n  scope: {namespaces: [platform]}\n  exceptions:\n  - labels: [emergency]\n- name: broken\n  start: nonsense\n  end: 2026-12-02T00:00:00Z\n  scope: {namespaces: [payments]}\n",
    )
    .expect("freezes")
    .freezes;
    let app = |ns: &str| AppTarget {
        name: ns.into(),
        namespace: ns.into(),
        server: "https://kubernetes.default.svc".into(),
        dest_name: String::new(),
    };
    let e = demo("chg-2004-ingress-gateway.yaml");
    let apps = vec![(e.targets[0].workload.clone(), app("platform"))];
    let ok = check_freeze(&e, &freezes, &apps, t(3));
    assert_eq!((ok.status, ok.summary.as_str()), (CheckStatus::Pass, "1 freeze(s) in effect; the change is admitted by an exception"));
    assert_eq!(ok.evidence["admitted"][0]["exception"], json!("label 'emergency'"));

    let mut not_emergency = e.clone();
    not_emergency.emergency = false;
    not_emergency.labels.push("emergency".into());
    let blocked = check_freeze(&not_emergency, &freezes, &apps, t(3));
    assert_eq!((blocked.status, blocked.summary.as_str()), (CheckStatus::Fail, "1 freeze(s) block the change: demo-freeze"));
    assert!(!blocked.waivable);
    assert_eq!(check_freeze(&e, &freezes, &apps, t(3) + chrono::Duration::days(1)).status, CheckStatus::Pass);

    let p = demo("chg-2001-payments-api.yaml");
    let unreadable = check_freeze(&p, &freezes, &[(p.targets[0].workload.clone(), app("payments"))], t(3));
    assert_eq!((unreadable.status, unreadable.summary.as_str()), (CheckStatus::Fail, "1 freeze(s) block the change: broken"));
}

#[test]
fn containers_check_shows_current_and_new_images() {
    let c = demo("chg-2001-payments-api.yaml");
    let target = c.targets[0].workload.clone();
    let live = |containers: Option<Vec<(&str, &str)>>| {
        vec![LiveContainers {
            target: target.clone(),
            containers: containers.map(|v| v.into_iter().map(|(a, b)| (a.into(), b.into())).collect()),
        }]
    };
    let ok = check_containers(&c, &live(Some(vec![("app", "ghcr.io/acme/payments-api:1.14.2")])));
    assert_eq!(ok.status, CheckStatus::Pass);
    assert_eq!(
        ok.evidence["changes"],
        json!([{"target": "Deployment payments/payments-api", "container": "app", "current": "ghcr.io/acme/payments-api:1.14.2", "new": "ghcr.io/acme/payments-api:1.14.3"}])
    );
    let missing = check_containers(&c, &live(Some(vec![("api", "x:1"), ("sidecar", "y:1")])));
    assert_eq!(
        (missing.status, missing.summary.as_str()),
        (CheckStatus::Fail, "Deployment payments/payments-api: no container 'app' (has api, sidecar)")
    );
    let skipped = check_containers(&c, &live(None));
    assert_eq!(
        (skipped.status, skipped.summary.as_str()),
        (CheckStatus::Skipped, "skipped: target not found (Deployment payments/payments-api)")
    );
}
