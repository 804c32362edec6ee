//! The run screen and its keys through the real app: `:run ID` asks the engine for the plan,
//! the plan comes back in a confirmation popup, `y` sends StartRun, the lines fill the
//! stepper; rollback asks first. Snapshots at two sizes in two themes.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::{keys, text};

use cabin::config::Theme;
use cabin::model::{Command, EngineEvent, HealthSample, ObjectKey, RunBackup, RunControl, RunHold, RunLine, RunStep};
use cabin::tui::action::Action;
use cabin::tui::popups::PopupKind;
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
        ..Default::default()
    })
}

/// A line with extra fields (a hold's span, a health sample, a backup phase).
fn with(ev: EngineEvent, f: impl FnOnce(&mut RunLine)) -> EngineEvent {
    let EngineEvent::RunLine(mut l) = ev else { unreachable!("a run line") };
    f(&mut l);
    EngineEvent::RunLine(l)
}

fn sample(ready: u32, restarts: u32, warnings: u32, secs: i64) -> EngineEvent {
    with(line("hold-1", "sample", "", secs), |l| l.sample = Some(HealthSample { ready, expected: 1, restarts, warnings }))
}

fn target() -> ObjectKey {
    ObjectKey { kind: "Deployment".into(), namespace: "payments".into(), name: "payments-api".into() }
}

fn plan() -> EngineEvent {
    EngineEvent::RunPlan {
        change: "CHG-2002".into(),
        text: "CHG-2002: Try payments-api 1.15.0-rc1\n\nWill send, through the journalled writer:\n  Deployment payments/payments-api: images app=ghcr.io/acme/payments-api:1.15.0-rc1\n    hold 1: 1 updated pod(s), watched for 20s\n\nRollback plan: Deployment payments/payments-api returns to app=ghcr.io/acme/payments-api:1.14.2".into(),
        steps: [("preflight", "preflight"), ("lock", "lock"), ("backup", "backup"), ("hold-1", "canary 1/4"), ("hold-2", "100 %"), ("verify", "verify")]
            .into_iter()
            .map(|(id, label)| RunStep { id: id.into(), label: label.into() })
            .collect(),
        targets: vec![target()],
        resume: false,
    }
}

fn backup(phase: &str, secs: i64) -> EngineEvent {
    let name = "pre-change-chg-2002-20260301-120001";
    with(line("backup", "backup-phase", &format!("backup {name}: {phase}"), secs), |l| {
        l.backup = Some(RunBackup { name: name.into(), phase: phase.into() })
    })
}

/// Up to the hold: 20 s, reached 4 s after the start (the UI clock is 10 s after the start).
fn to_the_hold() -> Vec<EngineEvent> {
    let at = cluster::now() + chrono::Duration::seconds(4);
    vec![
        line("pending", "started", "run started", 0),
        line("lock", "start", "run started: taking the change lock", 0),
        line("backup", "lock-acquired", "lock held: creating the pre-change backup", 1),
        backup("InProgress", 2),
        backup("Completed", 3),
        line("hold-1", "backup-done", "backup Completed: first step", 3),
        sample(0, 0, 0, 3),
        with(line("hold-1", "hold-reached", "hold 1 reached: watching health until 12:00:24", 4), |l| {
            l.hold = Some(RunHold { index: 0, total: 2, started: at, until: at + chrono::Duration::seconds(20) })
        }),
        sample(1, 0, 0, 4),
        sample(0, 1, 0, 6),
        sample(0, 3, 2, 8),
    ]
}

fn story() -> Vec<EngineEvent> {
    let mut out = to_the_hold();
    out.extend([
        line("rollback", "health", "health gate failed: pod payments-api-66465d7f9f-vctph is waiting: CrashLoopBackOff: rolling back", 9),
        line("rolled-back", "rolled-back", "rolled back: every target is at its pre-change template and healthy", 10),
    ]);
    out
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
    for ev in to_the_hold() {
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
    let sent = run(&mut a, keys("PHUXRy")).await;
    assert!(!sent.iter().any(writes), "{sent:?}");
    // Nor from a workload, nor an engine question.
    a.dispatch(Action::Engine(EngineEvent::Confirm {
        title: "roll back?".into(),
        text: String::new(),
        on_yes: Command::RollbackChange("X".into()),
    }));
    assert!(!a.state().popups.iter().any(|p| matches!(p.kind, PopupKind::Confirm { .. })), "no confirmation in read-only");
    let sent = run(&mut a, keys("\x1b/ledger\nURy")).await;
    assert!(!sent.iter().any(writes), "{sent:?}");
}

/// Commands that lead to writes (everything but reads and navigation).
fn writes(c: &Command) -> bool {
    matches!(
        c,
        Command::PlanRun(_)
            | Command::StartRun(_)
            | Command::RunControl(_)
            | Command::PlanRollback(_)
            | Command::PlanChangeRollback(_)
            | Command::RollbackChange(_)
            | Command::PlanRestore(_)
            | Command::RestoreBackup(_)
            | Command::Waive { .. }
    )
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
            assert!(t.contains("✔ backup") && t.contains("✖ canary 1/4") && t.contains("◌ 100 %") && t.contains("✔ ↩ rollback"), "{t}");
            assert!(t.contains("restarts 3") && t.contains("warnings 2") && t.contains("Completed"), "{t}");
            insta::assert_snapshot!(format!("run_{w}x{h}_{name}"), t);
        }
    }
}

#[test]
fn a_hold_shows_its_gauge_countdown_and_health_over_time() {
    let mut a = app(Theme::default(), 120, 40, false);
    a.dispatch(Action::Engine(plan()));
    a.dispatch(Action::Confirm(true));
    for ev in to_the_hold() {
        a.dispatch(Action::Engine(ev));
    }
    // Half-way through the 20 s hold.
    a.tick(cluster::now() + chrono::Duration::seconds(14));
    a.draw().unwrap();
    let t = text(a.terminal().backend().buffer());
    assert!(t.contains("hold 1/2 · 10s left of 20s"), "{t}");
    assert!(t.contains("✔ preflight") && t.contains("✔ lock") && t.contains("✔ backup") && t.contains("◷ canary 1/4"), "{t}");
    assert!(t.contains("◌ 100 %") && t.contains("◌ verify"), "{t}");
    assert!(t.contains("backup pre-change-chg-2002-20260301-120001 · Completed"), "{t}");
    // The sparklines: restarts went 0 → 1 → 3, so its row has more than one bar height.
    let row = t.lines().find(|l| l.contains("restarts 3")).unwrap_or_default().to_string();
    let bars: std::collections::BTreeSet<char> = row.chars().filter(|c| ('▁'..='█').contains(c)).collect();
    assert!(bars.len() >= 2, "restarts over time: {row}");
    assert!(t.contains("ready 0/1") && t.contains("warnings 2"), "{t}");
    // Later: the countdown follows the clock.
    a.tick(cluster::now() + chrono::Duration::seconds(21));
    a.draw().unwrap();
    assert!(text(a.terminal().backend().buffer()).contains("hold 1/2 · 3s left of 20s"));
}

#[tokio::test]
async fn rollback_from_a_workload_asks_with_the_plan_then_sends() {
    let mut a = app(Theme::default(), 160, 48, false);
    // On the workloads, the selected ledger-db: U asks the engine for the plan of its last run.
    let sent = run(&mut a, keys("/ledger\nU")).await;
    let ledger = ObjectKey { kind: "StatefulSet".into(), namespace: "payments".into(), name: "ledger-db".into() };
    assert_eq!(sent, vec![Command::PlanRollback(ledger)]);
    a.dispatch(Action::Engine(EngineEvent::Confirm {
        title: "roll back CHG-7?".into(),
        text: "Roll back CHG-7: …\n  StatefulSet payments/ledger-db → db=postgres:16.3".into(),
        on_yes: Command::RollbackChange("CHG-7".into()),
    }));
    a.draw().unwrap();
    let screen = text(a.terminal().backend().buffer());
    assert!(screen.contains("roll back CHG-7?") && screen.contains("ledger-db → db=postgres:16.3"), "{screen}");
    assert!(run(&mut a, keys("n")).await.is_empty(), "n sends nothing");
    a.dispatch(Action::Engine(EngineEvent::Confirm {
        title: "roll back CHG-7?".into(),
        text: "…".into(),
        on_yes: Command::RollbackChange("CHG-7".into()),
    }));
    assert_eq!(run(&mut a, keys("y")).await, vec![Command::RollbackChange("CHG-7".into())]);
    // Its progress opens the run screen, without a plan: the steps seen.
    a.dispatch(Action::Engine(with(line("rollback", "rollback", "locks held: restoring the pre-change templates", 1), |l| {
        l.change = "CHG-7".into()
    })));
    a.draw().unwrap();
    let screen = text(a.terminal().backend().buffer());
    assert!(screen.contains("run CHG-7") && screen.contains("◷ rollback"), "{screen}");
}

#[tokio::test]
async fn rollback_of_a_live_runs_target_is_the_runs_rollback() {
    let mut a = app(Theme::default(), 160, 48, false);
    a.dispatch(Action::Engine(plan()));
    a.dispatch(Action::Confirm(true));
    for ev in to_the_hold() {
        a.dispatch(Action::Engine(ev));
    }
    // Back on the dashboard, a workload row of the run is selected: U is the run's rollback.
    a.dispatch(Action::Engine(EngineEvent::Snapshot(Box::new({
        let mut s = cluster::snapshot();
        std::sync::Arc::make_mut(&mut s.workloads[0]).name = "payments-api".into();
        s
    }))));
    let sent = run(&mut a, keys("\x1b/payments-api\nU")).await;
    assert!(sent.is_empty(), "asks first: {sent:?}");
    assert_eq!(run(&mut a, keys("y")).await, vec![Command::RunControl(RunControl::Rollback)]);
}

#[tokio::test]
async fn restore_is_offered_only_when_no_run_is_live_and_asks_first() {
    let mut a = app(Theme::default(), 160, 48, false);
    a.dispatch(Action::Engine(plan()));
    a.dispatch(Action::Confirm(true));
    for ev in to_the_hold() {
        a.dispatch(Action::Engine(ev));
    }
    assert!(run(&mut a, keys("R")).await.is_empty(), "a live run: no restore");
    a.draw().unwrap();
    assert!(text(a.terminal().backend().buffer()).contains("the run is live"));
    for ev in story().into_iter().skip(to_the_hold().len()) {
        a.dispatch(Action::Engine(ev));
    }
    assert_eq!(run(&mut a, keys("R")).await, vec![Command::PlanRestore("CHG-2002".into())]);
    a.dispatch(Action::Engine(EngineEvent::Confirm {
        title: "restore CHG-2002 from pre-change-chg-2002-20260301-120001? (touches data)".into(),
        text: "… OVERWRITTEN …".into(),
        on_yes: Command::RestoreBackup("CHG-2002".into()),
    }));
    assert_eq!(run(&mut a, keys("y")).await, vec![Command::RestoreBackup("CHG-2002".into())]);
}

/// The prompt is a text editor (ratatui-textarea): the cursor moves, text is inserted where it
/// stands, ctrl-a / end jump, ctrl-w deletes the word before the cursor.
#[tokio::test]
async fn the_prompt_edits_where_the_cursor_is() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let key = |code, mods| cabin::tui::InputEvent::Key(KeyEvent::new(code, mods));
    let mut a = app(Theme::default(), 120, 30, false);
    let mut input = keys(":rn CHG-2002");
    input.extend([key(KeyCode::Char('a'), KeyModifiers::CONTROL), key(KeyCode::Right, KeyModifiers::NONE)]);
    input.extend(keys("u"));
    input.extend([key(KeyCode::End, KeyModifiers::NONE), key(KeyCode::Char('w'), KeyModifiers::CONTROL)]);
    input.extend(keys("2003"));
    input.extend([key(KeyCode::Left, KeyModifiers::NONE), key(KeyCode::Backspace, KeyModifiers::NONE)]);
    input.extend(keys("1\n"));
    assert_eq!(run(&mut a, input).await, vec![Command::PlanRun("CHG-2013".into())]);
}
