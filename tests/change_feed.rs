//! The cockpit's change feed against `cabin sim`: the engine sends the change set with
//! statuses, then with preflights; an edited file is picked up (polling with a debounce); an
//! invalid file is listed, never dropped; the demo's windows are open whenever it starts.
#[path = "support/cluster.rs"]
mod support;

use std::time::Duration;

use cabin::engine::changes_feed::{ChangeSource, ChangesFeed, ChangesOptions};
use cabin::engine::{EngineOptions, spawn_with};
use cabin::model::{EngineEvent, Scope};
use support::*;
use tokio::sync::mpsc::Receiver;

async fn wait_changes(events: &mut Receiver<EngineEvent>, secs: u64, what: &str, done: impl Fn(&ChangesFeed) -> bool) -> ChangesFeed {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut last = None;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(EngineEvent::Changes(f))) => {
                if done(&f) {
                    return *f;
                }
                last = Some(f);
            }
            Ok(Some(_)) => {}
            Ok(None) => panic!("engine stopped while waiting for {what}"),
            Err(_) => panic!("timed out waiting for {what}; last feed {last:#?}"),
        }
    }
}

const CHANGE: &str = "apiVersion: cabin.dev/v1alpha1\nkind: ChangeRequest\nmetadata:\n  name: CHG-8001\nspec:\n  title: TITLE\n  risk: low\n  author: a\n  approvedBy: [b, c]\n  targets:\n    - kind: Deployment\n      namespace: payments\n      name: payments-api\n      images: {app: ghcr.io/acme/payments-api:1.14.3}\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_engine_sends_changes_with_preflights_and_follows_edits() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("chg.yaml"), CHANGE.replace("TITLE", "first")).unwrap();
    std::fs::write(dir.path().join("bad.yaml"), "kind: Nope\n").unwrap();
    let changes = ChangesOptions { source: ChangeSource::Dirs(vec![dir.path().to_path_buf()]), ..Default::default() };
    let opts = EngineOptions { change_feed: Some(changes), ..Default::default() };
    let (_commands, mut events) = spawn_with(c, Scope::All, opts);

    let feed = wait_changes(&mut events, 30, "a preflight of CHG-8001", |f| f.changes.iter().any(|e| e.preflight.is_some())).await;
    assert_eq!(feed.changes.len(), 1);
    assert_eq!(feed.invalid.len(), 1, "the invalid file is listed: {feed:#?}");
    let run = feed.changes[0].preflight.as_ref().unwrap();
    assert_eq!(run.preflight.checks.len(), 14);
    let dry = run.preflight.check(cabin::domain::change::CheckId::DryRun).unwrap();
    assert!(dry.summary.contains("read-only session"), "{}", dry.summary);
    assert_eq!(run.targets[0].containers[0].current.as_deref(), Some("ghcr.io/acme/payments-api:1.14.2"));

    std::fs::write(dir.path().join("chg.yaml"), CHANGE.replace("TITLE", "second")).unwrap();
    let feed = wait_changes(&mut events, 30, "the edited title", |f| f.changes.first().is_some_and(|e| e.change.title == "second")).await;
    assert_eq!(feed.changes.len(), 1);
}

#[test]
fn the_demo_changes_parse_and_its_windows_are_open_whenever_it_starts() {
    use cabin::domain::windows::AppTarget;
    use cabin::domain::windows::clock::{ClockState, change_clock};
    use cabin::domain::windows::freeze::ChangeTarget;
    let set = cabin::domain::change::ChangeSet::parse(&cabin::cli::cockpit::demo::changes());
    assert_eq!(set.valid.len(), 4, "{:?}", set.invalid);
    let base = chrono::DateTime::parse_from_rfc3339("2026-11-30T00:00:30Z").unwrap().with_timezone(&chrono::Utc);
    for minutes in (0..7 * 24 * 60).step_by(97) {
        let start = base + chrono::Duration::minutes(minutes);
        let mut scenario = cabin::sim::scenario::load("demo").unwrap();
        cabin::cli::cockpit::demo::relay_windows(&mut scenario.objects, start);
        let project = scenario.objects.iter().find(|o| o["kind"] == "AppProject").unwrap();
        let windows: Vec<cabin::domain::windows::SyncWindow> = serde_json::from_value(project["spec"]["syncWindows"].clone()).unwrap();
        let app = AppTarget {
            name: "payments".into(),
            namespace: "payments".into(),
            server: "https://kubernetes.default.svc".into(),
            dest_name: String::new(),
        };
        let state = change_clock(&windows, &[], &ChangeTarget { app, labels: vec![] }, start);
        assert!(matches!(state, ClockState::Open { .. }), "closed at {start}: {state:?}");
        // The freeze holds platform changes, except emergencies.
        let feed = cabin::cli::cockpit::demo::freeze(start);
        let platform = AppTarget { name: "platform".into(), namespace: "platform".into(), ..Default::default() };
        let frozen = change_clock(&windows, &feed.freezes, &ChangeTarget { app: platform.clone(), labels: vec![] }, start);
        assert!(matches!(frozen, ClockState::Frozen { .. }), "{frozen:?}");
        let emergency = change_clock(&windows, &feed.freezes, &ChangeTarget { app: platform, labels: vec!["emergency".into()] }, start);
        assert!(matches!(emergency, ClockState::Open { .. }), "{emergency:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cockpit_waiver_is_journalled_and_the_preflight_shows_it() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let dir = tempfile::tempdir().unwrap();
    let text = CHANGE.replace("TITLE", "t").replace("  targets:", "  window: 2020-01-01T00:00:00Z/PT1H\n  targets:");
    std::fs::write(dir.path().join("chg.yaml"), text).unwrap();
    let journal = dir.path().join("journal.jsonl");
    let changes =
        ChangesOptions { source: ChangeSource::Dirs(vec![dir.path().to_path_buf()]), journal: Some(journal.clone()), ..Default::default() };
    let opts = EngineOptions { change_feed: Some(changes), journal: Some(journal.clone()), ..Default::default() };
    let (commands, mut events) = spawn_with(c, Scope::All, opts);
    let window = cabin::domain::change::CheckId::Window;
    let failed = |f: &ChangesFeed| {
        f.changes.first().and_then(|e| e.preflight.as_ref()).is_some_and(|r| r.preflight.check(window).is_some_and(|c| c.blocks()))
    };
    wait_changes(&mut events, 30, "the failed window check", failed).await;
    let waive = cabin::model::Command::Waive { change: "CHG-8001".into(), check: "window".into(), reason: "agreed".into() };
    commands.send(waive).await.unwrap();
    let feed = wait_changes(&mut events, 30, "the waived window check", |f| {
        f.changes.first().and_then(|e| e.preflight.as_ref()).is_some_and(|r| r.preflight.check(window).is_some_and(|c| c.waived.is_some()))
    })
    .await;
    let check = feed.changes[0].preflight.as_ref().unwrap().preflight.check(window).unwrap().clone();
    assert_eq!(check.waived.unwrap().reason, "agreed");
    let journal = std::fs::read_to_string(&journal).unwrap();
    assert!(journal.lines().any(|l| l.contains("\"kind\":\"waiver\"") && l.contains("CHG-8001")), "{journal}");
}
