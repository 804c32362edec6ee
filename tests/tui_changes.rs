//! The dashboard's pending-changes and windows panels and the changes screen: snapshots at
//! 80x24 and 160x48 in two themes, colours that carry meaning, keys and selection identity.
#[path = "fixtures/tui/changes.rs"]
mod changes;
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
#[path = "fixtures/tui/windows.rs"]
mod windows;

use cabin::config::{Slot, Theme};
use cabin::model::EngineEvent;
use cabin::tui::action::Action;
use cabin::tui::screens::ScreenKind;
use cabin::tui::{App, TuiOptions};
use ratatui::backend::TestBackend;

fn app(theme: &str, w: u16, h: u16, read_only: bool) -> App<TestBackend> {
    let opts = TuiOptions { theme: Theme::preset(theme).unwrap(), read_only, now: Some(cluster::now()), ..Default::default() };
    let mut app = App::new(TestBackend::new(w, h), opts).unwrap();
    cluster::connect(&mut app);
    app.dispatch(Action::Engine(EngineEvent::Windows(Box::new(windows::demo_feed()))));
    app.dispatch(Action::Engine(EngineEvent::Changes(Box::new(changes::feed(cluster::now())))));
    app
}

fn press(app: &mut App<TestBackend>, s: &str) {
    for ev in cluster::keys(s) {
        let st = app.state();
        if let Some(a) = cabin::tui::keys::to_action(&ev, &st.ui.keymap, st.read_only(), st.prompt.is_some()) {
            app.dispatch(a);
        }
    }
}

fn screen(app: &mut App<TestBackend>) -> String {
    app.draw().unwrap();
    cluster::text(app.terminal().backend().buffer())
}

#[test]
fn panels_and_screen_at_two_sizes_in_two_themes() {
    for theme in ["dark", "light"] {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            for (name, keys) in [("dashboard", ""), ("changes", "C"), ("changes_third", ":changes\njj")] {
                let mut a = app(theme, w, h, false);
                press(&mut a, keys);
                insta::assert_snapshot!(format!("{name}_{w}x{h}_{theme}"), screen(&mut a));
            }
        }
    }
}

#[test]
fn the_dashboard_shows_pending_changes_and_upcoming_windows() {
    let mut a = app("dark", 160, 48, false);
    let text = screen(&mut a);
    assert!(text.contains("pending changes[4]"), "{text}");
    assert!(text.contains("CHG-2003") && text.contains("needs-approval") && text.contains("blocked 2"), "{text}");
    assert!(text.contains("open 2h10m"), "window fit with its countdown: {text}");
    assert!(text.contains("windows & freezes") && text.contains("deny starts"), "{text}");
    // A blocked preflight is drawn in the danger colour.
    let cells = cluster::cells_of(a.terminal().backend().buffer(), "blocked 2");
    let danger = Theme::preset("dark").unwrap().fg(Slot::Danger).fg;
    assert!(cells.iter().all(|&(x, y)| a.terminal().backend().buffer()[(x, y)].fg == danger.unwrap()));
}

#[test]
fn the_changes_screen_shows_the_plans_and_the_checklist() {
    let mut a = app("dark", 160, 48, true);
    press(&mut a, "C");
    assert_eq!(a.state().screen().kind, ScreenKind::Changes, "C works in read-only: it changes nothing");
    let text = screen(&mut a);
    for part in [
        "ghcr.io/acme/payments-api:1.14.2 → ghcr.io/acme/payments-api:1.14.3",
        "1. 1 updated / 2 old, hold 20s",
        "velero backup create pre-change-chg-2001-20260301-120000",
        "returns to app=ghcr.io/acme/payments-api:1.14.2",
        "kubectl rollout undo deployment/payments-api -n payments --to-revision=3",
        "--existing-resource-policy=update",
        "PREFLIGHT  ok (checked 12s ago)",
        "✔ approvals",
    ] {
        assert!(text.contains(part), "{part} missing:\n{text}");
    }
}

#[test]
fn the_selection_follows_the_change_not_the_row() {
    let mut a = app("dark", 160, 48, false);
    press(&mut a, "Cjj");
    assert_eq!(a.state().changes.selected().map(|e| e.change.id.as_str()), Some("CHG-2003"));
    let mut feed = changes::feed(cluster::now());
    feed.changes.remove(0);
    a.dispatch(Action::Engine(EngineEvent::Changes(Box::new(feed))));
    assert_eq!(a.state().changes.selected().map(|e| e.change.id.as_str()), Some("CHG-2003"));
    press(&mut a, "\x1b");
    assert_eq!(a.state().screen().kind, ScreenKind::Dashboard);
}

/// Keys through the key map (and the prompt), collecting the engine commands.
fn press_collect(app: &mut App<TestBackend>, s: &str) -> Vec<cabin::model::Command> {
    let mut out = Vec::new();
    for ev in cluster::keys(s) {
        let st = app.state();
        if let Some(a) = cabin::tui::keys::to_action(&ev, &st.ui.keymap, st.read_only(), st.prompt.is_some()) {
            out.extend(app.dispatch(a));
        }
    }
    out
}

#[test]
fn w_waives_a_failed_check_with_a_typed_reason() {
    let mut a = app("dark", 160, 48, false);
    press(&mut a, "Cjj");
    press(&mut a, "w");
    let prompt = a.state().prompt.clone().expect("the waiver prompt");
    assert_eq!(prompt.text(), "window=", "pre-filled with the failed waivable check (approvals may not be waived)");
    let cmds = press_collect(&mut a, "agreed by the CAB\n");
    assert_eq!(
        cmds,
        vec![cabin::model::Command::Waive { change: "CHG-2003".into(), check: "window".into(), reason: "agreed by the CAB".into() }]
    );
    // A check that may not be waived is refused on the spot, nothing is sent.
    a.dispatch(Action::Prompt(cabin::tui::action::PromptMsg::Open(cabin::tui::action::PromptKind::Waive)));
    let cmds = press_collect(&mut a, "approvals=because\n");
    assert!(cmds.is_empty(), "{cmds:?}");
    assert!(a.state().status.as_ref().is_some_and(|m| m.text.contains("cannot be waived")), "{:?}", a.state().status);
}

#[test]
fn read_only_has_no_waiver_key() {
    let mut a = app("dark", 160, 48, true);
    press(&mut a, "Cjjw");
    assert!(a.state().prompt.is_none(), "w is a mutating key: refused in read-only");
}

/// A run found interrupted (cabin killed mid-run) is announced once, with what to do; on the
/// changes screen `U` plans its rollback and `R` a restore. Read-only says where it stopped only.
#[test]
fn an_interrupted_run_is_announced_and_can_be_rolled_back_from_the_changes_screen() {
    use cabin::domain::change::ChangeStatus;
    let interrupted = || {
        let mut feed = changes::feed(cluster::now());
        feed.changes[0].status.status = ChangeStatus::Interrupted;
        feed.changes[0].status.rule = "a run stopped without finishing at step hold-2: resume or roll back".into();
        feed
    };
    for read_only in [false, true] {
        let mut a = app("dark", 160, 48, read_only);
        a.dispatch(Action::Engine(EngineEvent::Changes(Box::new(interrupted()))));
        let said = a.state().status.clone().map(|m| m.text).unwrap_or_default();
        assert!(said.contains("CHG-2001") && said.contains("hold-2"), "{said}");
        assert_eq!(said.contains(":run CHG-2001"), !read_only, "{said}");
        // Once: after the message is gone, the next feed with the same state says nothing new.
        a.dispatch(Action::Prompt(cabin::tui::action::PromptMsg::Open(cabin::tui::action::PromptKind::Command)));
        a.dispatch(Action::Prompt(cabin::tui::action::PromptMsg::Cancel));
        assert!(a.state().status.is_none());
        a.dispatch(Action::Engine(EngineEvent::Changes(Box::new(interrupted()))));
        assert!(a.state().status.is_none(), "{:?}", a.state().status);
        press(&mut a, "C");
        let cmds = press_collect(&mut a, "UR");
        let expected = if read_only {
            vec![]
        } else {
            vec![cabin::model::Command::PlanChangeRollback("CHG-2001".into()), cabin::model::Command::PlanRestore("CHG-2001".into())]
        };
        assert_eq!(cmds, expected, "read-only: {read_only}");
    }
}
