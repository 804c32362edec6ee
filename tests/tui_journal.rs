//! The journal screen: snapshots at 80x24 and 160x48 in two themes, the verification state's
//! colours, key sequences (open, filter, search, select, detail, esc back), live tail, and the
//! header clock line.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::cells_of;
use cluster::keys;
use cluster::text;
#[path = "fixtures/tui/journal.rs"]
mod journal;

use cabin::config::{Slot, Theme};
use cabin::journal::{BreakReason, Entry, VerifyStatus};
use cabin::model::{EngineEvent, JournalFeed};
use cabin::tui::action::Action;
use cabin::tui::popups::PopupKind;
use cabin::tui::screens::ScreenKind;
use cabin::tui::{App, InputEvent, TuiOptions};
use crossterm::event::KeyModifiers;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn app(theme: Theme, w: u16, h: u16) -> App<TestBackend> {
    let opts = TuiOptions { theme, now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(w, h), opts).unwrap();
    cluster::connect(&mut app);
    let (feed, _dir) = journal::feed();
    app.dispatch(Action::Engine(EngineEvent::Journal(feed)));
    app
}

/// Feeds `s` through the app's own loop (`run_with`), as a terminal would.
async fn run(app: &mut App<TestBackend>, s: &str) {
    let (_ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, _cmd_rx) = mpsc::channel(64);
    app.run_with(futures::stream::iter(keys(s)), ev_rx, cmd_tx).await.unwrap();
}

fn screen(app: &App<TestBackend>) -> String {
    text(app.terminal().backend().buffer())
}

/// seqs of the visible timeline rows.
fn seqs(app: &App<TestBackend>) -> Vec<u64> {
    let j = &app.state().journal;
    (0..j.visible.len()).filter_map(|r| j.row(r).map(|e| e.seq)).collect()
}

fn selected_seq(app: &App<TestBackend>) -> Option<u64> {
    app.state().journal.selected_entry().map(|e| e.seq)
}

#[tokio::test]
async fn snapshots_at_two_sizes_in_two_themes() {
    for theme_name in ["dark", "light"] {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut app = app(Theme::preset(theme_name).unwrap(), w, h);
            run(&mut app, ":journal\n").await;
            insta::assert_snapshot!(format!("journal_{w}x{h}_{theme_name}"), screen(&app));
            run(&mut app, ":journal change=CHG-1042 kind=rollback\n").await;
            insta::assert_snapshot!(format!("journal_filtered_{w}x{h}_{theme_name}"), screen(&app));
        }
    }
}

fn broken_feed() -> JournalFeed {
    let (mut feed, _dir) = journal::feed();
    feed.status = VerifyStatus::Broken { seq: 7, reason: BreakReason::HashMismatch };
    feed
}

#[tokio::test]
async fn verification_state_colours() {
    for name in ["dark", "light", "high-contrast"] {
        let theme = Theme::preset(name).unwrap();
        let (danger, ok) = (theme.color(Slot::Danger), theme.color(Slot::Ok));
        assert_ne!(danger, ok);
        let mut app = app(theme, 160, 48);
        run(&mut app, "J").await;
        let buf = app.terminal().backend().buffer();
        for (x, y) in cells_of(buf, "verified · 12 entries · head ") {
            assert_eq!(buf[(x, y)].fg, ok, "{name}: verified at ({x},{y})");
        }
        app.dispatch(Action::Engine(EngineEvent::Journal(broken_feed())));
        app.draw().unwrap();
        let buf = app.terminal().backend().buffer();
        let cells = cells_of(buf, "BROKEN at seq 7: hash mismatch");
        for (x, y) in cells {
            assert_eq!(buf[(x, y)].fg, danger, "{name}: BROKEN at ({x},{y})");
            assert!(buf[(x, y)].modifier.contains(ratatui::style::Modifier::BOLD), "danger stays bold");
        }
        assert!(!screen(&app).contains("verified ·"));
    }
}

#[tokio::test]
async fn open_filter_search_select_detail_and_back() {
    let mut app = app(Theme::default(), 160, 48);
    run(&mut app, "J").await;
    assert_eq!(app.state().screen().kind, ScreenKind::Journal);
    assert_eq!(seqs(&app), (0..12).collect::<Vec<_>>());
    assert_eq!(selected_seq(&app), Some(11), "opens on the tail");
    run(&mut app, ":journal change=CHG-1042 outcome=ok\n").await;
    assert_eq!(seqs(&app), [6, 8]);
    assert!(screen(&app).contains("journal[2/12] change=CHG-1042 outcome=ok"));
    run(&mut app, ":audit actor=bob\n").await;
    assert_eq!(seqs(&app), [3, 10, 11], "actor filter replaces the fields");
    run(&mut app, "/urgent\n").await;
    assert_eq!(seqs(&app), [10]);
    assert!(screen(&app).contains("actor=bob </urgent>"));
    run(&mut app, "\x1b").await;
    assert_eq!(seqs(&app), [3, 10, 11], "esc clears the search, keeps the fields");
    run(&mut app, ":journal\n/checkout\n").await;
    assert_eq!(seqs(&app), [6, 7, 8, 9], "text search covers details and targets");
    run(&mut app, "kk").await;
    assert_eq!(selected_seq(&app), Some(7));
    assert!(screen(&app).contains("entry seq 7"));
    assert!(screen(&app).contains("checkout 2/4 ready after 10m"));
    run(&mut app, "\n").await;
    let popup = app.state().popups.last().unwrap();
    assert_eq!(popup.title, "journal entry seq 7");
    let PopupKind::Text { body: Some(body), .. } = &popup.kind else { panic!("detail popup") };
    assert!(body.contains("outcome  failed"), "{body}");
    assert!(body.contains(&format!("hash     {}", app.state().journal.selected_entry().unwrap().hash)));
    run(&mut app, "\x1b").await;
    assert!(app.state().popups.is_empty());
    run(&mut app, "\x1b\x1b").await;
    assert_eq!(app.state().screen().kind, ScreenKind::Dashboard, "esc: search cleared, then back");
    run(&mut app, ":journal since=2026-03-01T10:09:00Z\n").await;
    assert_eq!(seqs(&app), [9, 10, 11]);
}

#[tokio::test]
async fn bad_filters_are_messages() {
    let mut app = app(Theme::default(), 80, 24);
    run(&mut app, ":journal colour=red\n").await;
    let status = app.state().status.clone().unwrap();
    assert!(status.text.starts_with("unknown journal filter `colour`"), "{}", status.text);
    assert_ne!(app.state().screen().kind, ScreenKind::Journal);
    run(&mut app, ":journal kind=nothing-like-this\n").await;
    assert!(seqs(&app).is_empty());
    assert!(screen(&app).contains("no entries match the filter"));
}

fn appended(prev: &Entry, n: u64) -> Vec<Entry> {
    (1..=n).map(|i| Entry { seq: prev.seq + i, kind: "note".into(), change: Some("CHG-1043".into()), ..prev.clone() }).collect()
}

#[tokio::test]
async fn live_tail_follows_only_from_the_last_row() {
    let mut app = app(Theme::default(), 80, 24);
    run(&mut app, "J").await;
    let last = app.state().journal.entries.last().unwrap().clone();
    let status = app.state().journal.status.clone().unwrap();
    let feed = |entries| EngineEvent::Journal(JournalFeed { reset: false, entries, status: status.clone() });
    app.dispatch(Action::Engine(feed(appended(&last, 2))));
    assert_eq!(selected_seq(&app), Some(13), "on the last row: follows");
    app.draw().unwrap();
    assert!(screen(&app).contains("entry seq 13"));
    run(&mut app, "k").await;
    app.dispatch(Action::Engine(feed(appended(&app.state().journal.entries.last().unwrap().clone(), 3))));
    assert_eq!(selected_seq(&app), Some(12), "scrolled up: stays");
    assert_eq!(seqs(&app).len(), 17);
    run(&mut app, "G").await;
    assert_eq!(selected_seq(&app), Some(16));
    run(&mut app, ":journal kind=rollback\n").await;
    app.dispatch(Action::Engine(feed(appended(&app.state().journal.entries.last().unwrap().clone(), 1))));
    assert_eq!(seqs(&app), [8], "appended entries are filtered too");
}

#[tokio::test]
async fn reset_keeps_the_selected_entry() {
    let mut app = app(Theme::default(), 160, 48);
    run(&mut app, "Jkkk").await;
    assert_eq!(selected_seq(&app), Some(8));
    let (feed, _dir) = journal::feed();
    app.dispatch(Action::Engine(EngineEvent::Journal(feed)));
    assert_eq!(selected_seq(&app), Some(8));
}

#[tokio::test]
async fn header_clock_replaces_the_extra_slot() {
    let mut app = app(Theme::default(), 160, 48);
    app.dispatch(Action::Engine(EngineEvent::HeaderClock("OPEN · production allow · closes in 1h12m".into())));
    run(&mut app, "").await;
    let head: String = screen(&app).lines().take(3).collect::<Vec<_>>().join("\n");
    assert!(head.contains("OPEN · production allow · closes in 1h12m"), "{head}");
    app.dispatch(Action::Engine(EngineEvent::HeaderClock("FROZEN · until 18:00".into())));
    run(&mut app, "").await;
    let head: String = screen(&app).lines().take(3).collect::<Vec<_>>().join("\n");
    assert!(head.contains("FROZEN · until 18:00") && !head.contains("OPEN ·"), "{head}");
}

#[tokio::test]
async fn mouse_click_selects_a_timeline_row() {
    use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
    let mut app = app(Theme::default(), 160, 48);
    run(&mut app, "J").await;
    // Header 3 lines, verification line, border, column headers: row 0 of the timeline is y=6.
    let click = MouseEvent { kind: MouseEventKind::Down(MouseButton::Left), column: 10, row: 9, modifiers: KeyModifiers::NONE };
    let (_ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, _cmd_rx) = mpsc::channel(64);
    app.run_with(futures::stream::iter(vec![InputEvent::Mouse(click)]), ev_rx, cmd_tx).await.unwrap();
    assert_eq!(selected_seq(&app), Some(3));
    assert!(screen(&app).contains("entry seq 3"));
}

#[tokio::test]
async fn broken_state_and_detail_popup_snapshots() {
    let mut app = app(Theme::default(), 80, 24);
    app.dispatch(Action::Engine(EngineEvent::Journal(broken_feed())));
    run(&mut app, "J").await;
    insta::assert_snapshot!("journal_broken_80x24_dark", screen(&app));
    run(&mut app, "kkkk\n").await;
    insta::assert_snapshot!("journal_detail_popup_80x24_dark", screen(&app));
}
