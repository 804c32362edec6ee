//! Key sequences through the app's generic input stream (`App::run_with`): filter, command
//! mode, drill-in and back, help, sort, mouse, quit. Engine commands are checked on the channel.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::keys;

use cabin::config::Theme;
use cabin::model::{Command, ConnState, EngineEvent, ObjectKey, Scope};
use cabin::tui::action::Action;
use cabin::tui::screens::{ListKind, ScreenKind};
use cabin::tui::{App, InputEvent, TuiOptions};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn app(read_only: bool) -> App<TestBackend> {
    let opts = TuiOptions { theme: Theme::default(), read_only, now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(160, 48), opts).unwrap();
    cluster::connect(&mut app);
    app
}

/// Run the loop over `input` until it ends (or quit); return the commands sent.
async fn run(app: &mut App<TestBackend>, input: Vec<InputEvent>) -> Vec<Command> {
    let (_ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, mut cmd_rx) = mpsc::channel(64);
    app.run_with(futures::stream::iter(input), ev_rx, cmd_tx).await.unwrap();
    let mut out = Vec::new();
    while let Ok(c) = cmd_rx.try_recv() {
        out.push(c);
    }
    out
}

fn names(app: &App<TestBackend>) -> Vec<String> {
    let s = app.state();
    s.screen().visible_rows(&s.cluster, s.ui.now).into_iter().map(|r| r.name).collect()
}

fn screen_text(app: &App<TestBackend>) -> String {
    let buf = app.terminal().backend().buffer();
    buf.content().iter().map(|c| c.symbol()).collect::<Vec<_>>().concat()
}

#[tokio::test]
async fn filter_narrows_inverts_and_clears() {
    let mut app = app(false);
    run(&mut app, keys("/check\n")).await;
    assert_eq!(names(&app), ["checkout"]);
    assert!(screen_text(&app).contains("workloads(all)</check>"));
    run(&mut app, keys("/!payments\n")).await;
    assert_eq!(names(&app), ["indexer", "web"]);
    run(&mut app, keys("\x1b")).await;
    assert_eq!(names(&app).len(), 5, "esc clears the filter");
}

#[tokio::test]
async fn invalid_regex_is_a_message_not_a_crash() {
    let mut app = app(false);
    run(&mut app, keys("/web(\n")).await;
    let status = app.state().status.clone().unwrap();
    assert!(status.text.starts_with("invalid filter /web(:"), "{}", status.text);
    assert_eq!(names(&app).len(), 5);
    assert!(screen_text(&app).contains("invalid filter /web("));
}

#[tokio::test]
async fn command_mode_switches_views_scope_and_context() {
    let mut app = app(false);
    run(&mut app, keys(":deploy\n")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::List(ListKind::Deployments));
    assert_eq!(names(&app), ["api", "checkout", "indexer", "web"]);
    run(&mut app, keys(":sts\n")).await;
    assert_eq!(names(&app), ["ledger-db"]);
    run(&mut app, keys(":pods\n")).await;
    assert_eq!(names(&app).len(), 9);
    let cmds = run(&mut app, keys(":ns search\n")).await;
    assert_eq!(cmds, [Command::SetScope(Scope::Namespace("search".into()))]);
    assert_eq!(names(&app).len(), 3, "pods of search only");
    assert!(screen_text(&app).contains("pods(search)"));
    let cmds = run(&mut app, keys(":ctx prod\n")).await;
    assert_eq!(cmds, [Command::SwitchContext("prod".into())]);
    run(&mut app, keys(":bogus\n")).await;
    assert!(app.state().status.as_ref().unwrap().text.starts_with("unknown command :bogus"));
    run(&mut app, keys("\x1b")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Dashboard, "esc goes back to the dashboard");
}

#[tokio::test]
async fn namespaces_view_enter_sets_scope() {
    let mut app = app(false);
    let cmds = run(&mut app, keys(":ns\nj\n")).await;
    assert_eq!(cmds, [Command::SetScope(Scope::Namespace("payments".into()))]);
    assert_eq!(app.state().cluster.scope, Scope::Namespace("payments".into()));
    assert_eq!(names(&app), ["api", "checkout", "ledger-db"]);
}

#[tokio::test]
async fn drill_in_to_pod_yaml_logs_and_back() {
    let mut app = app(false);
    run(&mut app, keys("j\n")).await;
    let key = ObjectKey { kind: "Deployment".into(), namespace: "payments".into(), name: "checkout".into() };
    assert_eq!(app.state().screen().kind, ScreenKind::Workload(key));
    assert_eq!(names(&app), ["checkout-5f7c-bbbb1", "checkout-7d9c-bbbb2"]);
    assert!(screen_text(&app).contains("checkout-5f7c"), "replicasets listed");
    run(&mut app, keys("\n")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Pod { namespace: "payments".into(), name: "checkout-5f7c-bbbb1".into() });
    let cmds = run(&mut app, keys("y")).await;
    let pod_key = ObjectKey { kind: "Pod".into(), namespace: "payments".into(), name: "checkout-5f7c-bbbb1".into() };
    assert_eq!(cmds, [Command::FetchYaml(pod_key.clone())]);
    app.dispatch(Action::Engine(EngineEvent::Yaml { key: pod_key, yaml: "kind: Pod\nmetadata:\n  name: checkout-5f7c-bbbb1\n".into() }));
    run(&mut app, vec![]).await;
    assert!(screen_text(&app).contains("kind: Pod"));
    let cmds = run(&mut app, keys("\x1bl")).await;
    assert_eq!(
        cmds,
        [Command::FetchLogs { namespace: "payments".into(), pod: "checkout-5f7c-bbbb1".into(), container: Some("checkout".into()) }]
    );
    app.dispatch(Action::Engine(EngineEvent::Logs {
        namespace: "payments".into(),
        pod: "checkout-5f7c-bbbb1".into(),
        container: Some("checkout".into()),
        text: "panic: bad config\n".into(),
    }));
    run(&mut app, vec![]).await;
    assert!(screen_text(&app).contains("panic: bad config"));
    run(&mut app, keys("\x1b\x1b")).await;
    assert!(matches!(app.state().screen().kind, ScreenKind::Workload(_)));
    run(&mut app, keys("\x1b")).await;
    assert_eq!(app.state().screen().kind, ScreenKind::Dashboard);
    assert_eq!(app.state().screen().list.selected, 1, "selection kept");
}

#[tokio::test]
async fn help_opens_from_the_key_map_and_closes() {
    let mut app = app(false);
    run(&mut app, keys("?")).await;
    let text = screen_text(&app);
    assert!(text.contains("<shift-n>") && text.contains("sort by name"), "help lists the key map");
    // The commands follow the keys: scroll to the end of the help.
    run(&mut app, keys("G")).await;
    app.draw().unwrap();
    assert!(screen_text(&app).contains(":ns [NAME|all]"), "help lists the commands");
    run(&mut app, keys("gj\x1b")).await;
    assert!(app.state().popups.is_empty());
    assert_eq!(app.state().screen().list.selected, 0, "keys went to the popup");
}

#[tokio::test]
async fn sort_keys_toggle_direction() {
    let mut app = app(false);
    run(&mut app, keys("N")).await;
    assert_eq!(names(&app), ["api", "checkout", "indexer", "ledger-db", "web"]);
    run(&mut app, keys("N")).await;
    assert_eq!(names(&app), ["web", "ledger-db", "indexer", "checkout", "api"]);
    assert!(screen_text(&app).contains("workloads(all) ↓name[5]"));
    run(&mut app, keys("A")).await;
    assert_eq!(names(&app).first().map(String::as_str), Some("indexer"), "youngest first");
    run(&mut app, keys("S")).await;
    assert_eq!(names(&app).first().map(String::as_str), Some("api"), "Complete sorts first");
}

#[tokio::test]
async fn navigation_keys_move_the_selection() {
    let mut app = app(false);
    run(&mut app, keys("G")).await;
    assert_eq!(app.state().screen().list.selected, 4);
    run(&mut app, keys("kk")).await;
    assert_eq!(app.state().screen().list.selected, 2);
    run(&mut app, keys("g")).await;
    assert_eq!(app.state().screen().list.selected, 0);
    let down = InputEvent::Key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    let pgdn = InputEvent::Key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
    run(&mut app, vec![down]).await;
    assert_eq!(app.state().screen().list.selected, 1);
    run(&mut app, vec![pgdn]).await;
    assert_eq!(app.state().screen().list.selected, 4);
}

#[tokio::test]
async fn mouse_click_selects_and_scroll_moves() {
    let mut app = app(false);
    // Header 3 lines, table border 1, column header 1: the third data row is at y = 7.
    let click =
        InputEvent::Mouse(MouseEvent { kind: MouseEventKind::Down(MouseButton::Left), column: 20, row: 7, modifiers: KeyModifiers::NONE });
    run(&mut app, vec![click]).await;
    assert_eq!(names(&app)[app.state().screen().list.selected], "ledger-db");
    let scroll = InputEvent::Mouse(MouseEvent { kind: MouseEventKind::ScrollDown, column: 20, row: 7, modifiers: KeyModifiers::NONE });
    run(&mut app, vec![scroll]).await;
    assert_eq!(app.state().screen().list.selected, 3);
}

#[tokio::test]
async fn quit_sends_shutdown_and_stops_reading() {
    let mut app = app(false);
    let cmds = run(&mut app, keys("qj")).await;
    assert!(app.state().quit);
    assert_eq!(cmds, [Command::Shutdown]);
    assert_eq!(app.state().screen().list.selected, 0, "nothing after q is handled");
}

#[tokio::test]
async fn command_q_quits() {
    let mut app = app(false);
    let cmds = run(&mut app, keys(":q\n")).await;
    assert!(app.state().quit);
    assert_eq!(cmds, [Command::Shutdown]);
}

#[tokio::test]
async fn engine_events_are_drawn_by_the_loop() {
    let mut app = app(false);
    let (ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, _cmd_rx) = mpsc::channel(16);
    let mut snap = cluster::snapshot();
    snap.workloads.truncate(1);
    ev_tx.send(EngineEvent::Snapshot(Box::new(cluster::snapshot()))).await.unwrap();
    ev_tx.send(EngineEvent::Snapshot(Box::new(snap))).await.unwrap();
    ev_tx.send(EngineEvent::Connection(ConnState::Reconnecting { last_error: "EOF".into() })).await.unwrap();
    drop(ev_tx);
    // The input ends only after the loop has had a turn: a pending stream that yields later.
    let input = futures::stream::once(async {
        tokio::task::yield_now().await;
        InputEvent::Resize(160, 48)
    });
    app.run_with(Box::pin(input), ev_rx, cmd_tx).await.unwrap();
    assert_eq!(app.state().cluster.snapshot.workloads.len(), 1, "the newest snapshot wins");
    assert!(screen_text(&app).contains("reconnecting: EOF"));
}

#[tokio::test]
async fn read_only_help_says_so() {
    let mut app = app(true);
    run(&mut app, keys("?")).await;
    assert!(screen_text(&app).contains("READ-ONLY: actions that change the cluster are hidden"));
}

#[tokio::test]
async fn config_warnings_show_at_start_and_close_with_esc() {
    let opts = TuiOptions {
        config_warnings: vec!["config /x/config.yaml: unknown field `readonly`; using the defaults".into()],
        now: Some(cluster::now()),
        ..Default::default()
    };
    let mut app = App::new(TestBackend::new(120, 40), opts).unwrap();
    run(&mut app, vec![]).await;
    assert!(screen_text(&app).contains("unknown field `readonly`"));
    run(&mut app, keys("\x1b")).await;
    assert!(app.state().popups.is_empty());
    assert!(!screen_text(&app).contains("unknown field `readonly`"));
}

#[tokio::test]
async fn initial_scope_is_shown() {
    let opts = TuiOptions { scope: Scope::Namespace("payments".into()), now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(120, 40), opts).unwrap();
    app.dispatch(Action::Engine(EngineEvent::Snapshot(Box::new(cluster::snapshot()))));
    run(&mut app, vec![]).await;
    assert_eq!(names(&app), ["api", "checkout", "ledger-db"]);
    assert!(screen_text(&app).contains("workloads(payments)"));
}

#[tokio::test]
async fn ctx_lists_the_kubeconfig_contexts_and_enter_switches() {
    let mut app = app(false);
    run(&mut app, keys(":ctx\n")).await;
    assert_eq!(names(&app), vec!["kind-demo", "prod"]);
    assert!(screen_text(&app).contains("contexts"));
    let sent = run(&mut app, keys("j\n")).await;
    assert_eq!(sent, vec![Command::SwitchContext("prod".into())]);
    assert_eq!(app.state().screens.len(), 1, "back on the first screen after switching");
}

fn selected(app: &App<TestBackend>) -> cabin::tui::screens::rows::Target {
    let s = app.state();
    s.screen().selected_target(&s.cluster, s.ui.now)
}

#[tokio::test]
async fn the_selection_stays_on_its_object_when_rows_shift() {
    let mut app = app(false);
    run(&mut app, keys(":pods\njjj")).await;
    let before = selected(&app);
    assert!(matches!(&before, cabin::tui::screens::rows::Target::Pod { name, .. } if name == "checkout-5f7c-bbbb1"), "{before:?}");
    // A rollout adds pods that sort before the selected one and removes others.
    let mut snap = cluster::snapshot();
    let mut new_pod = (*snap.pods[0]).clone();
    new_pod.name = "api-0000-new01".into();
    snap.pods.insert(0, std::sync::Arc::new(new_pod.clone()));
    new_pod.name = "api-0000-new02".into();
    snap.pods.insert(0, std::sync::Arc::new(new_pod));
    snap.pods.retain(|p| p.name != "api-7d9c-aaaa3");
    app.dispatch(Action::Engine(EngineEvent::Snapshot(Box::new(snap.clone()))));
    assert_eq!(selected(&app), before, "the highlighted object must not change under the cursor");
    // The object goes away: the selection stays at its place, on the row now there.
    snap.pods.retain(|p| p.name != "checkout-5f7c-bbbb1");
    app.dispatch(Action::Engine(EngineEvent::Snapshot(Box::new(snap))));
    let after = selected(&app);
    assert!(matches!(&after, cabin::tui::screens::rows::Target::Pod { name, .. } if name == "checkout-7d9c-bbbb2"), "{after:?}");
}

#[tokio::test]
async fn a_context_event_sets_the_badge_both_ways() {
    let mut app = app(false);
    let mut info = cluster::context();
    info.read_only = true;
    info.read_only_reason = Some("contexts.prod.readOnly: true in the config".into());
    app.dispatch(Action::Engine(EngineEvent::Context(info.clone())));
    app.draw().unwrap();
    assert!(screen_text(&app).contains("READ-ONLY"));
    assert!(app.state().read_only());
    info.read_only = false;
    app.dispatch(Action::Engine(EngineEvent::Context(info)));
    app.draw().unwrap();
    assert!(!screen_text(&app).contains("READ-ONLY"), "a writable context after a read-only one drops the badge");
}

/// A long list (20,000 pods) draws only its visible rows, but counts, navigates, sorts,
/// filters and follows the selection over all of them.
#[tokio::test]
async fn a_long_list_windows_its_rows_and_keeps_its_selection() {
    let mut app = app(false);
    let mut snap = cluster::snapshot();
    let template = (*snap.pods[0]).clone();
    snap.pods = (0..20_000)
        .map(|i| {
            let mut p = template.clone();
            p.name = format!("p-{i:05}");
            p.created = Some(cluster::now() - chrono::Duration::seconds(i));
            std::sync::Arc::new(p)
        })
        .collect();
    app.dispatch(Action::Engine(EngineEvent::Snapshot(Box::new(snap.clone()))));
    run(&mut app, keys(":pods\n")).await;
    let text = screen_text(&app);
    assert!(text.contains("pods(all)[20000]"), "{text}");
    assert!(text.contains("p-00000") && !text.contains("p-19999"));
    run(&mut app, keys("G")).await;
    assert!(screen_text(&app).contains("p-19999"));
    assert!(matches!(selected(&app), cabin::tui::screens::rows::Target::Pod { name, .. } if name == "p-19999"));
    // Age ascending is youngest first: the selection stays on its pod, now the last row.
    run(&mut app, keys("A")).await;
    assert!(matches!(selected(&app), cabin::tui::screens::rows::Target::Pod { name, .. } if name == "p-19999"));
    assert_eq!(app.state().screen().list.selected, 19_999);
    // A new snapshot without the pod keeps the position; one with a pod sorting first moves it.
    snap.pods.retain(|p| p.name != "p-19999");
    app.dispatch(Action::Engine(EngineEvent::Snapshot(Box::new(snap))));
    assert!(matches!(selected(&app), cabin::tui::screens::rows::Target::Pod { name, .. } if name == "p-19998"));
    run(&mut app, keys("/p-1234\n")).await;
    let text = screen_text(&app);
    assert!(text.contains("pods(all)</p-1234> ↑age[10]"), "{text}");
    assert_eq!(names(&app)[0], "p-12340", "youngest first");
}

/// Input like crossterm's `EventStream`: the waker of the poll that found nothing is kept
/// (by its reader thread) until input arrives; later polls do not replace it.
struct FirstWakerInput {
    rx: std::sync::mpsc::Receiver<InputEvent>,
    waker: std::sync::Arc<std::sync::Mutex<Option<std::task::Waker>>>,
}

impl futures::Stream for FirstWakerInput {
    type Item = InputEvent;

    fn poll_next(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<InputEvent>> {
        match self.rx.try_recv() {
            Ok(ev) => std::task::Poll::Ready(Some(ev)),
            Err(std::sync::mpsc::TryRecvError::Disconnected) => std::task::Poll::Ready(None),
            Err(std::sync::mpsc::TryRecvError::Empty) => {
                self.waker.lock().unwrap().get_or_insert_with(|| cx.waker().clone());
                std::task::Poll::Pending
            }
        }
    }
}

/// A key typed after the loop went quiet is read at once: the loop never leaves a no-op waker
/// with the input stream (with one there, `q` below would wait for an unrelated wake-up —
/// with the fixed clock of tests, forever).
#[tokio::test]
async fn a_key_after_a_quiet_spell_wakes_the_loop() {
    let mut app = app(false);
    let (tx, rx) = std::sync::mpsc::channel();
    let waker = std::sync::Arc::new(std::sync::Mutex::new(None::<std::task::Waker>));
    let input = FirstWakerInput { rx, waker: waker.clone() };
    let (_ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, _cmd_rx) = mpsc::channel(64);
    // The loop in a task of its own: only the input's waker can wake it.
    let looped = tokio::spawn(async move {
        app.run_with(input, ev_rx, cmd_tx).await.unwrap();
        app
    });
    for key in [keys("j"), keys("j"), keys(":q\n")] {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        for k in key {
            tx.send(k).unwrap();
        }
        // What the reader thread does when input arrives: wake the waker it holds.
        if let Some(w) = waker.lock().unwrap().take() {
            w.wake();
        }
    }
    let app = tokio::time::timeout(std::time::Duration::from_secs(5), looped).await.expect("every key was read when it arrived").unwrap();
    assert!(app.state().quit);
    assert_eq!(app.state().screen().list.selected, 2);
}
