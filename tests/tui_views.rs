//! Snapshots of every view at 80x24 and 160x48 in two themes, plus per-cell colour checks.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::cells_of;
use cluster::text;

use cabin::config::{Slot, Theme, theme};
use cabin::model::{ConnState, EngineEvent, ObjectKey};
use cabin::tui::action::Action;
use cabin::tui::{App, TuiOptions};
use ratatui::backend::TestBackend;

fn app(theme: Theme, w: u16, h: u16, read_only: bool) -> App<TestBackend> {
    let opts = TuiOptions { theme, read_only, now: Some(cluster::now()), header_extra: None, ..Default::default() };
    let mut app = App::new(TestBackend::new(w, h), opts).unwrap();
    cluster::connect(&mut app);
    app
}

fn keys(app: &mut App<TestBackend>, s: &str) {
    use cabin::tui::InputEvent;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    for c in s.chars() {
        let code = match c {
            '\n' => KeyCode::Enter,
            '\x1b' => KeyCode::Esc,
            c => KeyCode::Char(c),
        };
        let ev = InputEvent::Key(KeyEvent::new(code, KeyModifiers::NONE));
        let prompt = app.state().prompt.is_some();
        let ro = app.state().read_only();
        if let Some(a) = cabin::tui::keys::to_action(&ev, &app.state().ui.keymap, ro, prompt) {
            app.dispatch(a);
        }
    }
}

/// (name, keys to reach the view, engine event to deliver after the keys)
fn views() -> Vec<(&'static str, &'static str, Option<EngineEvent>)> {
    let yaml_key = ObjectKey { kind: "Pod".into(), namespace: "payments".into(), name: "checkout-5f7c-bbbb1".into() };
    vec![
        ("dashboard", "", None),
        ("deploy", ":deploy\n", None),
        ("sts", ":sts\n", None),
        ("pods", ":pods\n", None),
        ("events", ":events\n", None),
        ("namespaces", ":ns\n", None),
        ("workload", "j\n", None),
        ("pod", "j\n\n", None),
        (
            "yaml",
            "j\n\ny",
            Some(EngineEvent::Yaml {
                key: yaml_key,
                yaml: "apiVersion: v1\nkind: Pod\nmetadata:\n  name: checkout-5f7c-bbbb1\n  namespace: payments\n".into(),
            }),
        ),
        ("help", "?", None),
        ("filter", "/check\n", None),
    ]
}

#[test]
fn every_view_at_two_sizes_in_two_themes() {
    for theme_name in ["dark", "light"] {
        for (w, h) in [(80u16, 24u16), (160, 48)] {
            for (name, k, ev) in views() {
                let mut app = app(Theme::preset(theme_name).unwrap(), w, h, false);
                keys(&mut app, k);
                if let Some(ev) = ev {
                    app.dispatch(Action::Engine(ev));
                }
                app.draw().unwrap();
                let snap = text(app.terminal().backend().buffer());
                insta::assert_snapshot!(format!("{name}_{w}x{h}_{theme_name}"), snap);
            }
        }
    }
}

#[test]
fn read_only_header_badge() {
    let mut app = app(Theme::default(), 80, 24, true);
    app.draw().unwrap();
    let t = text(app.terminal().backend().buffer());
    assert!(t.lines().take(3).any(|l| l.contains("READ-ONLY")), "{t}");
    insta::assert_snapshot!("read_only_80x24_dark", t);
}

#[test]
fn connection_states_show_in_header() {
    let mut app = app(Theme::default(), 160, 48, false);
    app.dispatch(Action::Engine(EngineEvent::Connection(ConnState::Reconnecting { last_error: "connection refused".into() })));
    app.draw().unwrap();
    assert!(text(app.terminal().backend().buffer()).contains("◌ reconnecting: connection refused"));
    app.dispatch(Action::Engine(EngineEvent::Connection(ConnState::Lost { last_error: "401 Unauthorized: token expired".into() })));
    app.draw().unwrap();
    assert!(text(app.terminal().backend().buffer()).contains("✖ lost: 401 Unauthorized: token expired"));
}

#[test]
fn failed_rollout_is_in_the_danger_colour() {
    for name in ["dark", "light", "high-contrast"] {
        let theme = Theme::preset(name).unwrap();
        let danger = theme.color(Slot::Danger);
        let ok = theme.color(Slot::Ok);
        let mut app = app(theme, 160, 48, false);
        app.draw().unwrap();
        let buf = app.terminal().backend().buffer();
        for (x, y) in cells_of(buf, "Failed") {
            assert_eq!(buf[(x, y)].fg, danger, "{name}: Failed at ({x},{y})");
        }
        for (x, y) in cells_of(buf, "Complete") {
            assert_eq!(buf[(x, y)].fg, ok, "{name}: Complete at ({x},{y})");
        }
        assert_ne!(danger, ok);
    }
}

#[test]
fn crash_looping_pod_is_in_the_danger_colour() {
    let theme = Theme::preset("dark").unwrap();
    let danger = theme.color(Slot::Danger);
    let mut app = app(theme, 160, 48, false);
    keys(&mut app, ":pods\n");
    app.draw().unwrap();
    let buf = app.terminal().backend().buffer();
    for (x, y) in cells_of(buf, "CrashLoopBackOff") {
        assert_eq!(buf[(x, y)].fg, danger);
    }
}

#[test]
fn no_color_draws_without_colours() {
    let (theme, _) = theme::load("dark", None, true);
    let mut app = app(theme, 160, 48, false);
    app.draw().unwrap();
    let buf = app.terminal().backend().buffer();
    for (x, y) in cells_of(buf, "Failed") {
        assert_eq!(buf[(x, y)].fg, ratatui::style::Color::Reset);
        assert!(buf[(x, y)].modifier.contains(ratatui::style::Modifier::BOLD), "danger stays bold");
    }
    assert!(buf.content().iter().all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset));
}

#[test]
fn header_extra_slot_is_drawn() {
    let mut app = app(Theme::default(), 160, 48, false);
    app.state_mut().ui.header_extra = Some("window open · closes in 42m".into());
    app.draw().unwrap();
    assert!(text(app.terminal().backend().buffer()).lines().take(3).any(|l| l.contains("window open · closes in 42m")));
}
