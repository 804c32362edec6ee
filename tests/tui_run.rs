//! The run screen and its keys through the real app: `:run ID` asks the engine for the plan,
//! the plan comes back in a confirmation popup, `y` sends StartRun, the lines fill the
//! stepper; rollback asks first. Snapshots at two sizes in two themes.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::{keys, text};

use cabin::config::Theme;
use cabin::model::{Command, EngineEvent, RunControl, RunLine};
use cabin::tui::action::Action;
use cabin::tui::{App, TuiOptions};
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

fn app(theme: Theme, w: u16, h: u16, read_only: bool) -> App<TestBackend> {
    let opts = TuiOptions { theme, read_only, now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(w, h), opts).unwrap();
    cluster::connect(&mut app);
    app
}

async fn run(app: &mut App<TestBackend>, input: Vec<cabin::tui::InputEvent>) -> Vec<Command> {
    let (_ev_tx, ev_rx) = mpsc::channel(16);
    let (cmd_tx, mut cmd_rx) = mpsc::channel(64);
    app.run_with(futures::stream::iter(input), ev_rx, cmd_tx).await.unwrap();
    let mut out = Vec::new();
    while let Ok(c) = cmd_rx.try_recv() {
        out.push(c);
    }
    out
}

fn line(step: &str, event: &str, note: &str, secs: i64) -> EngineEvent {
    EngineEvent::RunLine(RunLine {
        ts: cluster::now() + chrono::Duration::seconds(secs),
        change: "CHG-2002".into(),
        step: step.into(),
        event: event.into(),
        note: note.into(),
    })
}

fn plan() -> EngineEvent {
    EngineEvent::RunPlan {
        change: "CHG-2002".into(),
        text: "CHG-2002: Try payments-api 1.15.0-rc1\n\nWill send, through the journalled writer:\n  Deployment payments/payments-api: images app=ghcr.io/acme/payments-api:1.15.0-rc1\n    hold 1: 1 updated pod(s), watched for 20s\n\nRollback plan: Deployment payments/payments-api returns to app=ghcr.io/acme/payments-api:1.14.2".into(),
    }
}

fn story() -> Vec<EngineEvent> {
    vec![
        line("pending", "started", "run started", 0),
        line("lock", "start", "run started: taking the change lock", 0),
        line("backup", "lock-acquired", "lock held: creating the pre-change backup", 1),
        line("hold-1", "backup-done", "backup Completed: first step", 3),
        line("hold-1", "hold-reached", "hold 1 reached: watching health until 02:00:24", 4),
        line("rollback", "health", "health gate failed: pod payments-api-66465d7f9f-vctph is waiting: CrashLoopBackOff: rolling back", 6),
        line("rolled-back", "rolled-back", "rolled back: every target is at its pre-change template and healthy", 8),
    ]
}

#[tokio::test]
async fn run_asks_first_then_starts_and_rollback_asks_too() {
    let mut a = app(Theme::default(), 160, 48, false);
    let sent = run(&mut a, keys(":run CHG-2002\n")).await;
    assert_eq!(sent, vec![Command::PlanRun("CHG-2002".into())]);
    a.dispatch(Action::Engine(plan()));
    a.draw().unwrap();
    let screen = text(a.terminal().backend().buffer());
    assert!(screen.contains("run CHG-2002?") && screen.contains("Rollback plan") && screen.contains("y: yes"), "{screen}");
    // Any other key does nothing while the question is open; n sends nothing; y starts.
    assert!(run(&mut a, keys("qUn")).await.is_empty());
    a.dispatch(Action::Engine(plan()));
    assert_eq!(run(&mut a, keys("y")).await, vec![Command::StartRun("CHG-2002".into())]);
    for ev in story().into_iter().take(5) {
        a.dispatch(Action::Engine(ev));
    }
    assert_eq!(run(&mut a, keys("P")).await, vec![Command::RunControl(RunControl::Promote)]);
    assert_eq!(run(&mut a, keys("H")).await, vec![Command::RunControl(RunControl::Pause)]);
    // Rollback: a confirmation with the plan first, then the command.
    assert!(run(&mut a, keys("U")).await.is_empty());
    a.draw().unwrap();
    assert!(text(a.terminal().backend().buffer()).contains("roll back CHG-2002?"));
    assert_eq!(run(&mut a, keys("y")).await, vec![Command::RunControl(RunControl::Rollback)]);
}

#[tokio::test]
async fn read_only_has_no_run() {
    let mut a = app(Theme::default(), 160, 48, true);
    assert!(run(&mut a, keys(":run CHG-2002\n")).await.is_empty());
    a.dispatch(Action::Engine(plan()));
    assert!(a.state().popups.is_empty(), "no confirmation in read-only");
    let sent = run(&mut a, keys("PHUXy")).await;
    assert!(!sent.iter().any(|c| matches!(c, Command::PlanRun(_) | Command::StartRun(_) | Command::RunControl(_))), "{sent:?}");
}

#[test]
fn run_screen_snapshots() {
    for (name, theme) in [("dark", Theme::preset("dark").unwrap()), ("light", Theme::preset("light").unwrap())] {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            let mut a = app(theme.clone(), w, h, false);
            a.dispatch(Action::Engine(plan()));
            a.dispatch(Action::Confirm(true));
            for ev in story() {
                a.dispatch(Action::Engine(ev));
            }
            a.draw().unwrap();
            let t = text(a.terminal().backend().buffer());
            assert!(t.contains("✖ rolled-back") && t.contains("✔ hold-1"), "{t}");
            insta::assert_snapshot!(format!("run_{w}x{h}_{name}"), t);
        }
    }
}
