//! "May this change run now" as a real Argo CD setup decides it: a workload is mapped to the
//! Application that manages it (tracking label or annotation), whose project's windows are
//! matched with the Application's name and destination; unmanaged workloads use cabin's own
//! windows; whatever cannot be read makes the answer UNKNOWN (fail closed).
//! Fixtures: tests/fixtures/windows/*.yaml.

use cabin::domain::windows::clock::ClockState;
use cabin::domain::windows::workload::{
    ArgoApp, ClusterRef, Decider, Problem, Tracking, Unreadable, WindowSources, Workload, decide_for_workload,
};
use cabin::engine::windows_feed::{WindowsFeed, load_files};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{s}: {e}"))
}

/// Monday 2026-11-23 14:30 UTC: inside the weekday deny window of the `web` Application.
fn monday() -> DateTime<Utc> {
    at("2026-11-23T14:30:00Z")
}

/// Thursday 2026-11-26 03:00 UTC: the Tue/Thu allow window is open; the Thursday deny for
/// destination `prod-eu` too.
fn thursday() -> DateTime<Utc> {
    at("2026-11-26T03:00:00Z")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/windows").join(name)
}

fn setup() -> WindowsFeed {
    let feed = load_files(&[fixture("argo-setup.yaml")], Some(&fixture("cabin-windows.yaml")), None);
    assert_eq!(feed.errors, Vec::<String>::new());
    assert_eq!(feed.applications.len(), 3);
    feed
}

fn cluster() -> ClusterRef {
    ClusterRef { server: "https://10.0.0.1:6443".into(), name: "prod".into() }
}

fn deployment(ns: &str, name: &str, label: Option<&str>, annotation: Option<&str>) -> Workload {
    Workload {
        group: "apps".into(),
        kind: "Deployment".into(),
        namespace: ns.into(),
        name: name.into(),
        tracking: Tracking { instance_label: label.map(str::to_string), tracking_id: annotation.map(str::to_string) },
    }
}

fn unknown_reason(state: &ClockState) -> &str {
    match state {
        ClockState::Unknown { reason } => reason,
        other => panic!("expected UNKNOWN, got {other:?}"),
    }
}

#[test]
fn the_tracking_label_selects_the_application_and_its_name_is_matched_not_the_workloads() {
    let feed = setup();
    // The workload is `storefront`; the deny window names the Application `web`.
    let w = deployment("shop", "storefront", Some("web"), None);
    let d = feed.decide(&w, &cluster(), monday());
    assert_eq!(d.decider(), Decider::Application { app: "argocd/web".into(), project: "production".into() });
    assert_eq!(d.verdict, ClockState::Closed { next_opening: Some(at("2026-11-24T02:00:00Z")) });
    assert!(d.reason.contains("label app.kubernetes.io/instance"), "{}", d.reason);
    assert_eq!(d.target.name, "web");
    assert_eq!(d.target.server, "https://kubernetes.default.svc");
    // Tuesday 03:00: the allow window of production opens it, and says so.
    let d = feed.decide(&w, &cluster(), at("2026-11-24T03:00:00Z"));
    assert_eq!(d.opened_by.as_deref(), Some("production/allow#0"));
    assert!(matches!(d.verdict, ClockState::Open { window: Some(0), .. }), "{:?}", d.verdict);
}

#[test]
fn the_tracking_annotation_names_app_namespace_and_destination_name_matches_cluster_patterns() {
    let feed = setup();
    let id = "team-a_payments:apps/Deployment:payments/api";
    let api = deployment("payments", "api", Some("something-else"), Some(id));
    let d = feed.decide(&api, &cluster(), thursday());
    assert_eq!(d.app.as_deref(), Some("team-a/payments"));
    assert_eq!(d.project.as_deref(), Some("production"));
    assert!(d.reason.contains("annotation argocd.argoproj.io/tracking-id"), "{}", d.reason);
    // Destination name prod-eu matches the Thursday cluster deny: closed although the
    // allow window is active.
    assert!(matches!(d.verdict, ClockState::Closed { .. }), "{:?}", d.verdict);
    // The in-cluster `web` Application is not denied by it.
    let web = feed.decide(&deployment("shop", "storefront", Some("web"), None), &cluster(), thursday());
    assert!(matches!(web.verdict, ClockState::Open { window: Some(0), .. }), "{:?}", web.verdict);
}

#[test]
fn a_tracking_annotation_copied_from_another_object_is_ignored() {
    let feed = setup();
    // Names payments/api, but this is payments/worker: Argo CD does not track it by that id.
    let w = deployment("payments", "worker", None, Some("team-a_payments:apps/Deployment:payments/api"));
    let d = feed.decide(&w, &cluster(), thursday());
    assert_eq!(d.decider(), Decider::Cabin);
    assert!(!matches!(d.verdict, ClockState::Unknown { .. }), "{:?}", d.verdict);
}

#[test]
fn unmanaged_workloads_use_cabins_windows_by_namespace_and_name() {
    let feed = setup();
    let d = feed.decide(&deployment("legacy", "monolith", None, None), &cluster(), monday());
    assert_eq!(d.decider(), Decider::Cabin);
    assert!(matches!(d.verdict, ClockState::Closed { .. }), "legacy is denied all day: {:?}", d.verdict);
    assert!(d.reason.contains("no Argo CD Application manages it"), "{}", d.reason);
    // batch-* has an allow window (manualSync): closed for automatic, manual allowed.
    let batch = feed.decide(&deployment("jobs", "batch-nightly", None, None), &cluster(), monday());
    assert!(matches!(batch.verdict, ClockState::ManualOnly { .. }), "{:?}", batch.verdict);
    // The AppProjects' windows do not apply to unmanaged workloads (`web` is only a name here).
    let other = feed.decide(&deployment("shop", "web", None, None), &cluster(), monday());
    assert_eq!(other.verdict, ClockState::Open { window: None, closes_at: None });
}

#[test]
fn a_helm_instance_label_without_an_application_falls_back_to_cabins_windows() {
    let feed = setup();
    let d = feed.decide(&deployment("legacy", "redis", Some("redis-release"), None), &cluster(), monday());
    assert_eq!(d.decider(), Decider::Cabin);
    assert!(d.reason.contains("'redis-release' names no Argo CD Application"), "{}", d.reason);
    assert!(matches!(d.verdict, ClockState::Closed { .. }), "{:?}", d.verdict);
}

#[test]
fn what_cannot_be_resolved_is_unknown_never_open() {
    let feed = setup();
    // An Argo CD annotation naming an Application this cluster does not hold.
    let d = feed.decide(&deployment("shop", "cart", None, Some("cart:apps/Deployment:shop/cart")), &cluster(), monday());
    assert!(unknown_reason(&d.verdict).contains("'cart', which this cluster does not hold"), "{:?}", d.verdict);
    // An Application in a project that does not exist (lab: empty project = default).
    let d = feed.decide(&deployment("lab", "x", Some("lab"), None), &cluster(), monday());
    assert_eq!(d.project.as_deref(), Some("default"));
    assert!(unknown_reason(&d.verdict).contains("no such AppProject"), "{:?}", d.verdict);
    // A malformed tracking id.
    let d = feed.decide(&deployment("shop", "cart", None, Some("garbage")), &cluster(), monday());
    assert!(unknown_reason(&d.verdict).contains("is not <app>:<group>/<kind>:<namespace>/<name>"), "{:?}", d.verdict);
}

#[test]
fn two_applications_of_one_name_are_ambiguous_for_a_plain_label() {
    let mut feed = setup();
    feed.applications.push(ArgoApp { namespace: "team-b".into(), name: "web".into(), project: "sandbox".into(), ..ArgoApp::default() });
    let d = feed.decide(&deployment("shop", "storefront", Some("web"), None), &cluster(), monday());
    assert!(unknown_reason(&d.verdict).contains("several Applications (argocd/web, team-b/web)"), "{:?}", d.verdict);
    // `namespace_name` picks one.
    let d = feed.decide(&deployment("shop", "storefront", Some("team-b_web"), None), &cluster(), monday());
    assert_eq!(d.app.as_deref(), Some("team-b/web"));
    assert_eq!(d.verdict, ClockState::Open { window: None, closes_at: None });
}

#[test]
fn an_unreadable_freezes_file_makes_every_clock_unknown() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // A directory where the file should be: unreadable even for root.
    let freezes = dir.path().join("freezes.yaml");
    std::fs::create_dir(&freezes).unwrap_or_else(|e| panic!("{e}"));
    let feed = load_files(&[fixture("argo-setup.yaml")], Some(&fixture("cabin-windows.yaml")), Some(&freezes));
    for w in [deployment("shop", "storefront", Some("web"), None), deployment("jobs", "batch-nightly", None, None)] {
        let d = feed.decide(&w, &cluster(), at("2026-11-24T03:00:00Z"));
        let reason = unknown_reason(&d.verdict);
        assert!(reason.contains("the freezes cannot be read") && reason.contains("freezes.yaml: cannot read the file"), "{reason}");
    }
    // Not valid YAML: the same.
    let bad = dir.path().join("bad.yaml");
    std::fs::write(&bad, "freezes: [ {name: x, start: 2026-01-01").unwrap_or_else(|e| panic!("{e}"));
    let feed = load_files(&[], None, Some(&bad));
    let d = feed.decide(&deployment("jobs", "batch-nightly", None, None), &cluster(), monday());
    assert!(unknown_reason(&d.verdict).contains("freezes file is not valid YAML"), "{:?}", d.verdict);
}

#[test]
fn an_unreadable_windows_file_makes_unmanaged_workloads_unknown() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let missing = dir.path().join("no-such-windows.yaml");
    let feed = load_files(&[fixture("argo-setup.yaml")], Some(&missing), None);
    let d = feed.decide(&deployment("legacy", "monolith", None, None), &cluster(), monday());
    let reason = unknown_reason(&d.verdict);
    assert!(reason.contains("cabin's windows file cannot be read") && reason.contains("no-such-windows.yaml"), "{reason}");
    // An Application-managed workload does not depend on that file.
    let d = feed.decide(&deployment("shop", "storefront", Some("web"), None), &cluster(), monday());
    assert!(matches!(d.verdict, ClockState::Closed { .. }), "{:?}", d.verdict);
    // Not a windows file: the same.
    let bad = dir.path().join("windows.yaml");
    std::fs::write(&bad, "projects: {not: a list}\n").unwrap_or_else(|e| panic!("{e}"));
    let feed = load_files(&[], Some(&bad), None);
    let d = feed.decide(&deployment("legacy", "monolith", None, None), &cluster(), monday());
    assert!(unknown_reason(&d.verdict).contains("not a cabin windows file"), "{:?}", d.verdict);
}

#[test]
fn a_freeze_whose_period_cannot_be_parsed_is_unknown_for_what_it_covers() {
    let feed = load_files(&[], None, Some(&fixture("freezes-bad-period.yaml")));
    assert_eq!(feed.errors.len(), 1, "{:?}", feed.errors);
    assert!(feed.errors[0].contains("cannot parse time 'sometime next week'"), "{:?}", feed.errors);
    let d = feed.decide(&deployment("payments", "api", None, None), &cluster(), monday());
    assert!(unknown_reason(&d.verdict).contains("freeze 'payments-freeze': cannot parse time"), "{:?}", d.verdict);
    // Outside its scope it cannot decide.
    let d = feed.decide(&deployment("shop", "api", None, None), &cluster(), monday());
    assert_eq!(d.verdict, ClockState::Open { window: None, closes_at: None });
}

#[test]
fn one_bad_document_in_a_project_file_is_named_and_the_others_are_kept() {
    let path = fixture("projects-one-bad.yaml");
    let mut feed = load_files(std::slice::from_ref(&path), None, None);
    let names: Vec<&str> = feed.projects.iter().map(|p| p.project.as_str()).collect();
    assert_eq!(names, ["first", "third"], "documents after the broken one still load");
    assert_eq!(feed.errors.len(), 2, "{:#?}", feed.errors);
    assert!(feed.errors[0].contains("projects-one-bad.yaml: document 2 (line 8): not valid YAML"), "{}", feed.errors[0]);
    assert!(feed.errors[1].contains("document 4 (line 20): spec.syncWindows is malformed"), "{}", feed.errors[1]);
    assert_eq!(feed.problems[0].scope, Unreadable::SomeProject);
    assert_eq!(feed.problems[1].scope, Unreadable::Project("fourth".into()));

    let app = |name: &str, project: &str| ArgoApp {
        namespace: "argocd".into(),
        name: name.into(),
        project: project.into(),
        ..ArgoApp::default()
    };
    feed.applications = vec![app("a", "first"), app("b", "fourth"), app("c", "broken")];
    let when = at("2026-11-24T02:30:00Z");
    let d = feed.decide(&deployment("x", "a", Some("a"), None), &cluster(), when);
    assert!(matches!(d.verdict, ClockState::Open { window: Some(0), .. }), "a readable project decides: {:?}", d.verdict);
    let d = feed.decide(&deployment("x", "b", Some("b"), None), &cluster(), when);
    assert!(unknown_reason(&d.verdict).contains("the project cannot be read"), "{:?}", d.verdict);
    let d = feed.decide(&deployment("x", "c", Some("c"), None), &cluster(), when);
    let reason = unknown_reason(&d.verdict);
    assert!(reason.contains("some could not be read") && reason.contains("document 2 (line 8)"), "{reason}");
}

#[test]
fn the_pure_function_takes_its_sources_directly() {
    let feed = setup();
    let problems = [Problem { scope: Unreadable::Applications, text: "cannot watch Argo CD Applications: 503".into() }];
    let src = WindowSources { applications: &[], projects: &feed.projects, freezes: &[], problems: &problems, cluster: &cluster() };
    // Tracking metadata, and the Applications cannot be read: unknown, even for a label.
    let d = decide_for_workload(&deployment("shop", "storefront", Some("web"), None), &src, monday());
    assert!(
        unknown_reason(&d.verdict).contains("the Applications cannot be read: cannot watch Argo CD Applications: 503"),
        "{:?}",
        d.verdict
    );
    // No tracking metadata: cabin's windows still decide.
    let d = decide_for_workload(&deployment("legacy", "monolith", None, None), &src, monday());
    assert!(matches!(d.verdict, ClockState::Closed { .. }), "{:?}", d.verdict);
}

#[test]
fn a_change_label_passes_a_freeze_exception() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let freezes = dir.path().join("freezes.yaml");
    let text = "freezes:\n- name: year-end\n  start: '2026-11-20'\n  end: '2027-01-05'\n  exceptions: [{labels: [emergency]}]\n";
    std::fs::write(&freezes, text).unwrap_or_else(|e| panic!("{e}"));
    let feed = load_files(&[fixture("argo-setup.yaml")], None, Some(&freezes));
    let w = deployment("shop", "storefront", Some("web"), None);
    let at = at("2026-11-24T03:00:00Z");
    assert!(matches!(feed.decide(&w, &cluster(), at).verdict, ClockState::Frozen { .. }));
    let d = feed.decide_change(&w, &["emergency".to_string()], &cluster(), at);
    assert!(matches!(d.verdict, ClockState::Open { window: Some(0), .. }), "the project's windows decide: {:?}", d.verdict);
}
