//! After `:ctx`, nothing of the previous cluster stays on screen: its rows go until the new
//! cluster's first snapshot, and YAML/log popups asked of it close instead of filling later.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::{keys, text};

use cabin::config::Theme;
use cabin::model::{Command, ContextInfo, EngineEvent, ObjectKey};
use cabin::tui::action::Action;
use cabin::tui::{App, InputEvent, TuiOptions};
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

async fn run(app: &mut App<TestBackend>, input: Vec<InputEvent>) -> Vec<Command> {
    let (_ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, mut cmd_rx) = mpsc::channel(64);
    app.run_with(futures::stream::iter(input), ev_rx, cmd_tx).await.unwrap();
    let mut cmds = Vec::new();
    while let Ok(c) = cmd_rx.try_recv() {
        cmds.push(c);
    }
    cmds
}

fn screen(app: &App<TestBackend>) -> String {
    text(app.terminal().backend().buffer())
}

fn prod() -> ContextInfo {
    ContextInfo { context: "prod".into(), cluster_url: "https://prod.example:6443".into(), ..cluster::context() }
}

#[tokio::test]
async fn the_previous_clusters_rows_and_pending_popups_go_with_the_switch() {
    let opts = TuiOptions { theme: Theme::default(), now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(160, 48), opts).unwrap();
    cluster::connect(&mut app);
    run(&mut app, vec![]).await;
    assert!(screen(&app).contains("checkout"), "the fixture cluster is on screen");

    // The switch connects in the background; meanwhile a YAML popup is asked of the old cluster.
    let cmds = run(&mut app, keys(":ctx prod\n")).await;
    assert_eq!(cmds, [Command::SwitchContext("prod".into())]);
    let cmds = run(&mut app, keys("y")).await;
    let Some(Command::FetchYaml(key)) = cmds.first().cloned() else { panic!("no yaml fetch: {cmds:?}") };
    assert!(screen(&app).contains("loading…"));
    app.dispatch(Action::Engine(EngineEvent::Context(prod())));
    run(&mut app, vec![]).await;
    let after = screen(&app);
    assert!(after.contains("prod"), "{after}");
    assert!(!after.contains("checkout"), "old cluster's rows under the new header:\n{after}");
    assert!(!after.contains("loading…") && app.state().popups.is_empty(), "old popup still open:\n{after}");
    // An answer for the old request (however late) fills nothing.
    app.dispatch(Action::Engine(EngineEvent::Yaml { key: key.clone(), yaml: "kind: Deployment\nmetadata:\n  name: old-cluster\n".into() }));
    run(&mut app, vec![]).await;
    assert!(!screen(&app).contains("old-cluster"), "{}", screen(&app));

    // The new cluster's first snapshot brings rows back.
    app.dispatch(Action::Engine(EngineEvent::Snapshot(Box::new(cluster::snapshot()))));
    run(&mut app, vec![]).await;
    assert!(screen(&app).contains("checkout"));
    let _: ObjectKey = key;
}

#[tokio::test]
async fn filled_log_popups_of_the_old_cluster_close_too() {
    let opts = TuiOptions { theme: Theme::default(), now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(160, 48), opts).unwrap();
    cluster::connect(&mut app);
    run(&mut app, keys(":ctx prod\n")).await;
    let cmds = run(&mut app, keys("j\n\nl")).await;
    let Some(Command::FetchLogs { namespace, pod, container }) = cmds.last().cloned() else { panic!("no logs fetch: {cmds:?}") };
    app.dispatch(Action::Engine(EngineEvent::Logs { namespace, pod, container, text: "line from the old cluster\n".into() }));
    run(&mut app, vec![]).await;
    assert!(screen(&app).contains("line from the old cluster"));
    app.dispatch(Action::Engine(EngineEvent::Context(prod())));
    run(&mut app, vec![]).await;
    assert!(!screen(&app).contains("line from the old cluster"), "{}", screen(&app));
}
