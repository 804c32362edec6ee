//! The journal screen never hands an entry's control characters to the terminal (they show
//! escaped, in the timeline, the detail pane and the detail popup), and it marks entries
//! appended by hand.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::{keys, text};

use cabin::config::Theme;
use cabin::journal::entry::{Actor, ClusterRef, Entry, GENESIS_PREV};
use cabin::journal::{Head, NewEntry, VerifyStatus};
use cabin::model::{EngineEvent, JournalFeed};
use cabin::tui::action::Action;
use cabin::tui::{App, TuiOptions};
use chrono::{TimeZone, Utc};
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn entry(seq: u64, kind: &str, change: Option<&str>, details: serde_json::Value) -> Entry {
    Entry {
        seq,
        ts: Utc.timestamp_opt(1_772_359_200 + seq as i64 * 60, 0).unwrap(),
        actor: Actor { cluster_user: Some("mallory\u{1b}[31m@corp".into()), local_user: "m".into(), host: "h".into() },
        cluster: Some(ClusterRef { server: "https://x".into(), context: "prod\u{7}".into() }),
        change: change.map(str::to_string),
        kind: kind.into(),
        targets: vec![],
        outcome: Some("ok\u{1b}[0m".into()),
        details,
        prev: GENESIS_PREV.into(),
        hash: "ab".repeat(32),
    }
}

fn feed() -> JournalFeed {
    let attack = serde_json::json!({ "message": "approved\u{1b}[2J\u{1b}]0;owned\u{7}\nreally \u{202e}txt" });
    let hand = NewEntry::by_hand(Some("CHG-9".into()), "memo", "noted by hand");
    let entries = vec![
        entry(0, "genesis", None, serde_json::json!({ "format": "cabin-journal/1" })),
        entry(1, "note", Some("CHG-9\u{1b}[1m"), attack),
        entry(2, &hand.kind, hand.change.as_deref(), hand.details),
    ];
    let status = VerifyStatus::Verified { entries: 3, head: Head { seq: 2, hash: "ab".repeat(32) } };
    JournalFeed { reset: true, entries, status }
}

async fn run(app: &mut App<TestBackend>, s: &str) {
    let (_ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, _cmd_rx) = mpsc::channel(64);
    app.run_with(futures::stream::iter(keys(s)), ev_rx, cmd_tx).await.unwrap();
}

fn assert_no_raw_controls(screen: &str) {
    let bad: Vec<char> = screen.chars().filter(|c| (c.is_control() && *c != '\n') || *c == '\u{202e}').collect();
    assert!(bad.is_empty(), "raw control characters {bad:?} on screen:\n{screen}");
}

#[tokio::test]
async fn control_characters_show_escaped_and_hand_entries_are_marked() {
    let opts = TuiOptions { theme: Theme::default(), now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(220, 40), opts).unwrap();
    cluster::connect(&mut app);
    app.dispatch(Action::Engine(EngineEvent::Journal(feed())));
    run(&mut app, "Jk").await;
    let screen = text(app.terminal().backend().buffer());
    assert_no_raw_controls(&screen);
    assert!(screen.contains("approved\\e[2J\\e]0;owned\\x07\\nreally"), "timeline summary:\n{screen}");
    assert!(screen.contains("CHG-9\\e[1m"), "{screen}");
    assert!(screen.contains("mallory\\e[31m@corp"), "{screen}");
    assert!(screen.contains("[by hand] memo"), "{screen}");
    run(&mut app, "\n").await;
    let popup = text(app.terminal().backend().buffer());
    assert_no_raw_controls(&popup);
    assert!(popup.contains("prod\\x07"), "detail popup:\n{popup}");
    assert!(popup.contains("ok\\e[0m"), "{popup}");
}
