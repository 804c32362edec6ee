//! The calendar wired into the app: key sequences through `App::run_with` (`:cal`, `W`, day
//! moves, detail, esc back), `:cal DAY` jumps, the header's change clock ticking with a fixed
//! clock, the live feed (`EngineEvent::Windows`) replacing the files' one, redraw-only-when-dirty.
#[path = "fixtures/tui/windows.rs"]
mod windows;
use windows::*;
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::keys;

use cabin::config::Theme;
use cabin::engine::windows_feed::WindowsFeed;
use cabin::model::{EngineEvent, MessageLevel};
use cabin::tui::action::Action;
use cabin::tui::screens::ScreenKind;
use cabin::tui::{App, InputEvent, TuiOptions};
use chrono::{DateTime, Duration, Utc};
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

/// Monday 2026-11-23 23:00 UTC: after the weekday deny window, before Tuesday's allow window.
fn now() -> DateTime<Utc> {
    at("2026-11-23T23:00:00Z")
}

fn app(w: u16, h: u16) -> App<TestBackend> {
    let opts = TuiOptions { theme: Theme::default(), now: Some(now()), ..Default::default() }.with_windows_feed(demo_feed());
    let mut app = App::new(TestBackend::new(w, h), opts).unwrap();
    cluster::connect(&mut app);
    app
}

/// Runs the loop over `input` (engine events queued first) until the input ends.
async fn run_events(app: &mut App<TestBackend>, events: Vec<EngineEvent>, input: Vec<InputEvent>) {
    let (ev_tx, ev_rx) = mpsc::channel(16);
    for e in events {
        ev_tx.send(e).await.unwrap();
    }
    let (cmd_tx, _cmd_rx) = mpsc::channel(64);
    app.run_with(futures::stream::iter(input), ev_rx, cmd_tx).await.unwrap();
}

async fn run(app: &mut App<TestBackend>, input: Vec<InputEvent>) {
    run_events(app, Vec::new(), input).await;
}

fn screen_lines(app: &App<TestBackend>) -> String {
    let buf = app.terminal().backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol().to_string()).collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

fn header(app: &App<TestBackend>) -> String {
    app.state().ui.header_extra.clone().unwrap_or_default()
}

#[tokio::test]
async fn cal_opens_moves_days_toggles_detail_and_esc_goes_back() {
    let mut app = app(160, 48);
    run(&mut app, keys(":cal\n")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Calendar);
    assert_eq!(app.state().calendar.cursor, day("2026-11-23"));
    assert!(app.state().calendar.show_detail, "the detail pane starts open");
    insta::assert_snapshot!("calendar_app_160x48", screen_lines(&app));

    // l/l: two days on (a calendar key, not `logs`); j: next entry; enter/d: detail off and on.
    run(&mut app, keys("ll")).await;
    assert_eq!(app.state().calendar.cursor, day("2026-11-25"));
    assert!(app.state().popups.is_empty(), "l moved the day, it did not ask for logs");
    run(&mut app, keys("\n")).await;
    assert!(!app.state().calendar.show_detail);
    run(&mut app, keys("d")).await;
    assert!(app.state().calendar.show_detail);
    assert!(screen_lines(&app).contains("calendar"));

    // Key-map navigation reaches the calendar too: G = last day, g = today.
    run(&mut app, keys("G")).await;
    assert_eq!(app.state().calendar.cursor, day("2026-12-06"));
    run(&mut app, keys("g")).await;
    assert_eq!(app.state().calendar.cursor, day("2026-11-23"));

    run(&mut app, keys("\x1b")).await;
    assert_eq!(app.state().screens.len(), 1);
    assert_eq!(app.state().screen().kind, ScreenKind::Dashboard);
}

#[tokio::test]
async fn shift_w_and_windows_command_open_it_and_the_key_map_still_works() {
    let mut app = app(80, 24);
    run(&mut app, keys("W")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Calendar);
    insta::assert_snapshot!("calendar_app_80x24", screen_lines(&app));
    run(&mut app, keys("?")).await;
    assert_eq!(app.state().popups.len(), 1, "? opens help over the calendar");
    run(&mut app, keys("j\x1b\x1b")).await;
    assert!(app.state().popups.is_empty());
    assert_eq!(app.state().screen().kind, ScreenKind::Dashboard);
    run(&mut app, keys(":windows\n")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Calendar);
    run(&mut app, keys(":calendar +3\n")).await;
    assert_eq!(app.state().calendar.cursor, day("2026-11-26"));
    assert_eq!(app.state().screens.len(), 2, "a second :cal does not stack another calendar");
    run(&mut app, keys("q")).await;
    assert!(app.state().quit);
}

#[tokio::test]
async fn cal_with_a_day_jumps_and_a_bad_day_is_a_message() {
    let mut app = app(160, 48);
    run(&mut app, keys(":cal 2026-12-24\n")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Calendar);
    assert_eq!(app.state().calendar.cursor, day("2026-12-24"));
    assert!(app.state().calendar.start <= day("2026-12-24") && day("2026-12-24") < app.state().calendar.range_to().date_naive());
    assert!(screen_lines(&app).contains("Thu 24 Dec"), "{}", screen_lines(&app));

    run(&mut app, keys("\x1b:cal someday\n")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Dashboard);
    let status = app.state().status.clone().unwrap();
    assert_eq!(status.level, MessageLevel::Error);
    assert_eq!(status.text, "cannot read the day `someday`");
}

#[tokio::test]
async fn header_clock_counts_down_with_the_tick() {
    let mut app = app(160, 48);
    run(&mut app, Vec::new()).await;
    // The selected workload `api` is managed by the Application argocd/api (label tracking),
    // project production: closed until Tuesday's 02:00 allow window; the header says who decided.
    let who = " · app argocd/api · project production";
    let first = "CLOSED · next opening Tue 02:00 UTC (in 3h00m)";
    assert_eq!(header(&app), format!("{first}{who}"));
    assert!(screen_lines(&app).lines().take(3).any(|l| l.contains(first)), "{}", screen_lines(&app));
    assert!(screen_lines(&app).lines().take(3).any(|l| l.contains("app argocd/api")), "{}", screen_lines(&app));

    app.dispatch(Action::Tick(now() + Duration::minutes(1)));
    assert_eq!(header(&app), format!("CLOSED · next opening Tue 02:00 UTC (in 2h59m){who}"));
    assert_eq!(app.state().calendar.now, now() + Duration::minutes(1), "the calendar got the tick");

    app.dispatch(Action::Tick(at("2026-11-24T03:00:00Z")));
    assert_eq!(header(&app), format!("OPEN production/allow#0 · closes 06:00 UTC (in 3h00m){who}"));
    app.dispatch(Action::Tick(at("2026-11-24T09:30:00Z")));
    assert!(header(&app).starts_with("CLOSED · next opening Thu 02:00 UTC"), "{}", header(&app));
}

#[tokio::test]
async fn a_tick_redraws_only_when_the_header_or_calendar_changed() {
    let mut app = app(160, 48);
    run(&mut app, keys(":cal\n")).await;
    assert!(!app.tick(now()), "same instant: nothing to draw");
    // 3h00m → 2h59m20s: the countdown text moved.
    assert!(app.tick(now() + Duration::seconds(40)));
    assert!(!app.tick(now() + Duration::seconds(50)), "same countdown text, same calendar minute");
    // 23:01: the countdown still says 2h59m, but the calendar's minute moved.
    assert!(app.tick(now() + Duration::minutes(1)));
    assert_eq!(header(&app), "CLOSED · next opening Tue 02:00 UTC (in 2h59m) · app argocd/api · project production");
}

#[tokio::test]
async fn the_live_feed_replaces_the_files_feed() {
    let mut app = app(160, 48);
    let live = WindowsFeed::from_projects([("security".to_string(), vec![window("allow", "* * * * *", "1h", &["security-*"], true)])]);
    run_events(&mut app, vec![EngineEvent::Windows(Box::new(live))], keys(":cal all\n")).await;
    assert_eq!(app.state().windows.projects.len(), 1);
    assert_eq!(app.state().calendar.feed.projects[0].project, "security");
    // The live feed holds no Application `api`: the label is not Argo CD's, cabin's windows decide.
    assert_eq!(header(&app), "OPEN · no sync window restricts it · cabin windows");
    assert!(screen_lines(&app).contains("security"));

    app.dispatch(Action::Engine(EngineEvent::Windows(Box::default())));
    assert_eq!(app.state().ui.header_extra, None, "an empty feed clears the change clock");
}

#[tokio::test]
async fn the_calendar_follows_the_selected_workload_and_a_toggles_all_targets() {
    let mut app = app(160, 48);
    let lanes = |app: &App<TestBackend>| app.state().calendar.lanes().len();
    run(&mut app, keys("W")).await;
    let target = app.state().calendar.target.clone().expect("a workload is selected");
    assert_eq!(target.app.name, "api");
    assert_eq!(target.project.as_deref(), Some("production"));
    assert_eq!(lanes(&app), 2, "security-* does not apply to api");
    assert!(screen_lines(&app).contains("target app argocd/api · project production"), "{}", screen_lines(&app));

    run(&mut app, keys("a")).await;
    assert_eq!(app.state().calendar.target, None);
    assert_eq!(lanes(&app), 3, "all windows");
    assert!(screen_lines(&app).contains("all targets"));

    run(&mut app, keys("a")).await;
    assert_eq!(app.state().calendar.target.as_ref().map(|t| t.app.name.as_str()), Some("api"));
}

#[tokio::test]
async fn out_of_range_days_are_a_message_not_a_panic() {
    let mut app = app(160, 48);
    for arg in ["+200000000000", "+262143-12-25", "+262142-12-25", "-9223372036854775808", "+99999999999999999999"] {
        run(&mut app, keys(&format!(":cal {arg}\n"))).await;
        let status = app.state().status.clone().unwrap();
        assert_eq!(status.level, MessageLevel::Error);
        assert_eq!(
            status.text,
            format!("the day `{arg}` is out of range: the calendar reaches 100 years (36525 days) either side of today")
        );
        run(&mut app, keys("\x1b")).await;
    }
    // The calendar still works afterwards, at the far edge of the range too.
    run(&mut app, keys(":cal +36525\n")).await;
    assert_eq!(app.state().calendar.cursor, day("2126-11-24"));
    run(&mut app, keys("]]")).await;
    assert!(screen_lines(&app).contains("calendar"));
}

#[tokio::test]
async fn an_unreadable_freezes_file_shows_unknown_in_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let freezes = dir.path().join("freezes.yaml");
    std::fs::create_dir(&freezes).unwrap();
    let feed = cabin::engine::windows_feed::load_files(&[], None, Some(&freezes));
    let opts = TuiOptions { theme: Theme::default(), now: Some(now()), ..Default::default() }.with_windows_feed(feed);
    let mut app = App::new(TestBackend::new(160, 48), opts).unwrap();
    cluster::connect(&mut app);
    run(&mut app, Vec::new()).await;
    let h = header(&app);
    assert!(h.starts_with("UNKNOWN · "), "{h}");
    assert!(h.contains("the freezes cannot be read") && h.contains("freezes.yaml: cannot read the file"), "{h}");
    assert!(!h.contains("OPEN"), "{h}");
}
