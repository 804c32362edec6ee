//! The cockpit's wiring against `cabin sim`: the engine's live windows feed (cluster
//! AppProjects merged with file sources), its journal feed, and the session-start entry.
#[path = "support/cluster.rs"]
mod support;
use std::time::Duration;
use support::Sim;

use cabin::cli::cockpit::journal_session_start;
use cabin::cluster::{ConnectOptions, Connection, connect};
use cabin::engine::windows_feed::WindowsFeed;
use cabin::engine::{EngineOptions, spawn_with};
use cabin::model::{Command, ContextInfo, EngineEvent, JournalFeed, Scope};
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams};
use tokio::sync::mpsc;

/// The demo scenario with its default (realistic) kubelet timing.
async fn start_sim() -> Sim {
    support::start_sim_with(cabin::sim::scenario::load("demo").unwrap()).await
}

async fn conn(sim: &Sim) -> Connection {
    connect(ConnectOptions { kubeconfig: Some(sim.kubeconfig.clone()), context: None, read_only: false }).await.unwrap()
}

fn app_project() -> ApiResource {
    let gvk = GroupVersionKind::gvk("argoproj.io", "v1alpha1", "AppProject");
    ApiResource::from_gvk_with_plural(&gvk, "appprojects")
}

/// The AppProjects as "someone else" (not through cabin) changes them.
async fn projects_api(sim: &Sim) -> Api<DynamicObject> {
    Api::namespaced_with(support::other_actor(sim).await, "argocd", &app_project())
}

/// Receives engine events until the latest windows feed satisfies `done` (deadline `secs`).
async fn wait_windows(events: &mut mpsc::Receiver<EngineEvent>, secs: u64, what: &str, done: impl Fn(&WindowsFeed) -> bool) -> WindowsFeed {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut last = None;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(EngineEvent::Windows(feed))) if done(&feed) => return *feed,
            Ok(Some(EngineEvent::Windows(feed))) => last = Some(feed),
            Ok(Some(_)) => {}
            Ok(None) => panic!("engine stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}; last windows feed: {last:#?}"),
        }
    }
}

async fn wait_journal(events: &mut mpsc::Receiver<EngineEvent>, secs: u64) -> JournalFeed {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(EngineEvent::Journal(feed))) => return feed,
            Ok(Some(_)) => {}
            Ok(None) => panic!("engine stopped while waiting for the journal feed"),
            Err(_) => panic!("timed out waiting for the journal feed"),
        }
    }
}

fn file_feed(dir: &std::path::Path) -> WindowsFeed {
    let path = dir.join("local-project.yaml");
    let text = "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: local, namespace: argocd}\nspec:\n  syncWindows:\n  - {kind: deny, schedule: '0 0 * * *', duration: 1h, applications: ['*']}\n";
    std::fs::write(&path, text).unwrap();
    let feed = cabin::engine::windows_feed::load_files(&[path], None, None);
    assert!(feed.errors.is_empty(), "{:?}", feed.errors);
    feed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_sends_the_merged_windows_feed_and_follows_appproject_changes() {
    let sim = start_sim().await;
    let c = conn(&sim).await;
    let api = projects_api(&sim).await;
    let opts = EngineOptions { file_windows: file_feed(sim.dir.path()), ..Default::default() };
    let (_commands, mut events) = spawn_with(c.clone(), Scope::All, opts);

    // The file source goes out at once, whatever the cluster holds.
    let first = wait_windows(&mut events, 20, "the first windows feed", |_| true).await;
    assert_eq!(first.windows_of("local").len(), 1, "{first:#?}");
    let feed = wait_windows(&mut events, 20, "project production from the cluster", |f| !f.windows_of("production").is_empty()).await;
    assert_eq!(feed.windows_of("production").len(), 3);
    assert_eq!(feed.windows_of("production")[0].schedule, "0 2 * * 2,4");
    assert_eq!(feed.windows_of("local").len(), 1, "the file source is kept: {feed:#?}");
    assert_eq!(feed.origins.get("production").map(String::as_str), Some("cluster"));
    assert!(feed.errors.is_empty(), "{:?}", feed.errors);

    // A change to the AppProject reaches the UI.
    let patch =
        serde_json::json!({"spec": {"syncWindows": [{"kind": "deny", "schedule": "30 1 * * *", "duration": "2h", "applications": ["*"]}]}});
    api.patch("production", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap();
    let feed = wait_windows(&mut events, 20, "the patched production windows", |f| f.windows_of("production").len() == 1).await;
    assert_eq!(feed.windows_of("production")[0].schedule, "30 1 * * *");
    assert_eq!(feed.windows_of("local").len(), 1);

    // A project whose windows cannot be read is an error naming it; the others still load.
    let mut bad = DynamicObject::new("broken", &app_project()).within("argocd");
    bad.data = serde_json::json!({"spec": {"syncWindows": "not a list"}});
    api.create(&PostParams::default(), &bad).await.unwrap();
    let feed = wait_windows(&mut events, 20, "an error naming project broken", |f| f.errors.iter().any(|e| e.contains("broken"))).await;
    assert_eq!(feed.windows_of("production").len(), 1);

    // Deleting the AppProject removes it; the file source stays.
    api.delete("production", &DeleteParams::default()).await.unwrap();
    let feed = wait_windows(&mut events, 20, "production gone", |f| f.windows_of("production").is_empty()).await;
    assert_eq!(feed.windows_of("local").len(), 1);
    sim.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn engine_feeds_the_journal_including_the_session_start() {
    let sim = start_sim().await;
    let c = conn(&sim).await;
    let path = sim.dir.path().join("journal.jsonl");
    let written = journal_session_start(&path, c.info(), &Scope::All, false).unwrap();
    let opts = EngineOptions { journal: Some(path.clone()), ..Default::default() };
    let (commands, mut events) = spawn_with(c.clone(), Scope::All, opts);
    let feed = wait_journal(&mut events, 20).await;
    assert!(feed.reset);
    assert_eq!(feed.entries.last().map(|e| e.hash.clone()), Some(written.hash));
    assert_eq!(feed.entries.last().map(|e| e.kind.as_str()), Some("session-start"));
    assert!(matches!(feed.status, cabin::journal::VerifyStatus::Verified { entries: 2, .. }), "{:?}", feed.status);

    // A context switch inside the cockpit is journalled as a new session on that context.
    commands.send(Command::SwitchContext("sim-viewer".into())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let switched = loop {
        let feed = tokio::time::timeout_at(deadline, wait_journal(&mut events, 20)).await.expect("the switch is journalled");
        if let Some(e) = feed.entries.iter().find(|e| e.cluster.as_ref().is_some_and(|c| c.context == "sim-viewer")) {
            break e.clone();
        }
    };
    assert_eq!(switched.kind, "session-start");
    assert_eq!(switched.details["switchedFrom"], "sim");
    assert_eq!(switched.actor.cluster_user.as_deref(), Some("viewer"));
    sim.handle.shutdown().await;
}

#[test]
fn session_start_entries_name_the_actor_cluster_and_mode() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub").join("journal.jsonl");
    let info = ContextInfo {
        context: "prod-eu".into(),
        cluster_url: "https://10.0.0.1:6443".into(),
        user: "alice@example.com".into(),
        read_only: true,
        read_only_reason: Some("contexts.prod-eu.readOnly: true in the config".into()),
        contexts: vec!["prod-eu".into()],
    };
    journal_session_start(&path, &info, &Scope::Namespace("payments".into()), true).unwrap();
    journal_session_start(&path, &info, &Scope::All, false).unwrap();
    let entries = cabin::journal::read_entries(&path).unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["genesis", "read-only-session", "session-start"]);
    let ro = &entries[1];
    assert_eq!(ro.actor.cluster_user.as_deref(), Some("alice@example.com"));
    assert!(!ro.actor.local_user.is_empty() && !ro.actor.host.is_empty());
    let cluster = ro.cluster.as_ref().unwrap();
    assert_eq!((cluster.server.as_str(), cluster.context.as_str()), ("https://10.0.0.1:6443", "prod-eu"));
    assert_eq!(ro.details["readOnly"], true);
    assert_eq!(ro.details["scope"], "namespace payments");
    assert_eq!(ro.details["cabinVersion"], env!("CARGO_PKG_VERSION"));
    assert_eq!(entries[2].details["readOnly"], false);
    let status = cabin::journal::verify_path(&path, None).unwrap();
    assert!(matches!(status, cabin::journal::VerifyStatus::Verified { entries: 3, .. }), "{status}");
}

#[test]
fn session_start_on_an_unusable_journal_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.jsonl");
    std::fs::write(&path, "this is not a journal\n").unwrap();
    let info = ContextInfo { context: "c".into(), cluster_url: "https://x".into(), ..Default::default() };
    let err = journal_session_start(&path, &info, &Scope::All, false).unwrap_err();
    assert!(err.to_string().contains("garbage.jsonl"), "{err}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "this is not a journal\n", "nothing half-written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_without_argo_cd_has_no_projects_and_no_error() {
    use cabin::cluster::appprojects::{self, ProjectsSignal};
    let sim = start_sim().await;
    let c = conn(&sim).await;
    let listed = appprojects::list(&c).await.unwrap();
    assert!(listed.projects.iter().any(|(name, w)| name == "production" && w.len() == 3), "{listed:?}");

    // Every request now answers 404, as for a resource type the cluster does not have.
    sim.handle.set_fault(Some(cabin::sim::Fault::Status(404)));
    let listed = appprojects::list(&c).await.unwrap();
    assert_eq!(listed, appprojects::ClusterProjects::default());
    let (tx, mut rx) = mpsc::channel(4);
    let _watch = appprojects::watch(&c, tx);
    let first = tokio::time::timeout(Duration::from_secs(20), rx.recv()).await.unwrap().unwrap();
    match first {
        ProjectsSignal::Changed(p) => assert_eq!(p, appprojects::ClusterProjects::default()),
        ProjectsSignal::Failed(e) => panic!("a 404 must not be reported as a failure: {e}"),
    }
    sim.handle.set_fault(None);
    sim.handle.shutdown().await;
}
