//! Config, theme and key map loading against valid and invalid fixture files: a bad file is a
//! warning with an exact text, and the defaults apply.
use std::path::PathBuf;

use cabin::config::{self, ActionId, Config, Key, KeyMap, LoadOptions, Slot, Theme, keymap, theme};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::style::Color;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tui").join(rel)
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(fixture(rel)).unwrap()
}

#[test]
fn embedded_defaults_parse() {
    let c = Config::defaults();
    assert_eq!(c.theme, "dark");
    assert!(!c.read_only);
    assert_eq!(c.max_events, 50);
    let raw: cabin::config::Config = yaml_serde::from_str(config::DEFAULT_CONFIG).unwrap();
    assert_eq!(raw, c);
    for name in theme::PRESETS {
        assert!(Theme::preset(name).is_some(), "{name}");
    }
    assert_eq!(KeyMap::defaults().keys(ActionId::Quit), &[Key::parse("q").unwrap(), Key::parse("ctrl-c").unwrap()]);
}

#[test]
fn valid_config_patches_defaults() {
    let (c, w) = Config::from_user_yaml(&read("config/valid.yaml"), "valid.yaml");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(c.theme, "light");
    assert_eq!(c.max_events, 10);
    assert_eq!(c.log_level, "info", "untouched keys keep their defaults");
}

#[test]
fn read_only_per_context() {
    let (c, w) = Config::from_user_yaml(&read("config/per-context.yaml"), "x");
    assert!(w.is_empty(), "{w:?}");
    assert!(c.read_only_for("prod"));
    assert!(!c.read_only_for("dev"));
}

#[test]
fn a_bad_key_costs_only_that_key_and_read_only_fails_closed() {
    // (file, exact warning, read-only for context "dev", what else must survive)
    let cases = [
        (
            "config/unknown-key.yaml",
            "config unknown-key.yaml: unknown key `readonly` (did you mean `readOnly`?); the session is read-only until it is fixed",
            true,
        ),
        (
            "config/bad-type.yaml",
            "config bad-type.yaml: maxEvents: expected a number from 1 to 10000, found the string \"lots\"; keeping 50",
            false,
        ),
        (
            "config/bad-syntax.yaml",
            "config bad-syntax.yaml: did not find expected ',' or ']' at line 2 column 1, while parsing a flow sequence at line 1 column 8; using the defaults and read-only (fix the file and restart)",
            true,
        ),
        (
            "config/bad-read-only-type.yaml",
            "config bad-read-only-type.yaml: readOnly: expected true or false, found the string \"yes please\"; the session is read-only until it is fixed",
            true,
        ),
        (
            "config/bad-context.yaml",
            "config bad-context.yaml: contexts.dev.readOnly: expected true or false, found the number 1; context \"dev\" is read-only until it is fixed",
            true,
        ),
    ];
    for (file, expected, read_only) in cases {
        let origin = file.trim_start_matches("config/");
        let (c, w) = Config::from_user_yaml(&read(file), origin);
        assert_eq!(w, vec![expected.to_string()], "{file}");
        assert_eq!(c.read_only_for("dev"), read_only, "{file}");
        let decision = c.read_only_decision(false, "dev");
        assert_eq!(decision.read_only, read_only, "{file}");
        assert_eq!(decision.reason.is_some(), read_only, "a read-only session says why: {file}");
    }
}

#[test]
fn the_rest_of_a_file_with_a_mistake_still_applies() {
    let (c, w) = Config::from_user_yaml(&read("config/unknown-key.yaml"), "x");
    assert_eq!(c.theme, "light", "theme: light in the same file is kept");
    assert_eq!(w.len(), 1);
    let (c, w) = Config::from_user_yaml(&read("config/bad-context.yaml"), "x");
    assert!(c.read_only_for("dev"));
    assert!(!c.read_only_for("staging"), "another context's valid setting is kept");
    assert!(c.read_only_for("prod"));
    assert_eq!(c.max_events, 7);
    assert_eq!(w.len(), 1);
    let (c, w) = Config::from_user_yaml("surprise: 1\nmaxEvents: 3\n", "x");
    assert_eq!(c.max_events, 3);
    assert!(!c.read_only_for("any"), "an unrelated unknown key does not make the session read-only");
    assert_eq!(
        w,
        vec![
            "config x: unknown key `surprise` ignored (known: readOnly, theme, logLevel, maxEvents, contexts, journal, changes, approval)"
                .to_string()
        ]
    );
}

#[test]
fn the_flag_always_wins_and_says_so() {
    let c = Config::defaults();
    assert_eq!(c.read_only_decision(true, "x").reason.as_deref(), Some("--read-only was given"));
    assert!(!c.read_only_decision(false, "x").read_only);
    let (c, _) = Config::from_user_yaml("readOnly: true\n", "x");
    assert_eq!(c.read_only_decision(false, "x").reason.as_deref(), Some("readOnly: true in the config"));
}

#[test]
fn a_config_file_that_cannot_be_read_means_read_only() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the file should be: unreadable for root too.
    std::fs::create_dir(dir.path().join("config.yaml")).unwrap();
    let s = config::load(&LoadOptions { config_dir: Some(dir.path().to_path_buf()), ..Default::default() });
    assert!(s.config.read_only_for("any"));
    let reason = s.config.read_only_decision(false, "any").reason.unwrap();
    assert!(reason.contains("config.yaml"), "{reason}");
    assert!(reason.contains("fails closed"), "{reason}");
}

#[test]
fn load_uses_config_path_and_reports_a_missing_one() {
    let s = config::load(&LoadOptions {
        config_path: Some(fixture("config/valid.yaml")),
        config_dir: Some(fixture("nowhere")),
        ..Default::default()
    });
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.theme.name, "light");
    let missing = fixture("config/missing.yaml");
    let s = config::load(&LoadOptions { config_path: Some(missing.clone()), config_dir: Some(fixture("nowhere")), ..Default::default() });
    assert_eq!(s.warnings.len(), 1);
    assert!(s.warnings[0].starts_with(&format!("cannot read {}: ", missing.display())), "{}", s.warnings[0]);
    assert!(s.config.read_only_for("any"), "a named config that cannot be read: read-only (fail closed)");
}

#[test]
fn user_dir_files_are_found() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), "readOnly: true\ntheme: mine\n").unwrap();
    std::fs::write(dir.path().join("keymap.yaml"), "quit: [Q]\n").unwrap();
    std::fs::create_dir(dir.path().join("themes")).unwrap();
    std::fs::write(dir.path().join("themes/mine.yaml"), "danger: \"#123456\"\n").unwrap();
    let s = config::load(&LoadOptions { config_dir: Some(dir.path().to_path_buf()), ..Default::default() });
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert!(s.config.read_only);
    assert_eq!(s.theme.color(Slot::Danger), Color::Rgb(0x12, 0x34, 0x56));
    assert_eq!(s.theme.color(Slot::Ok), Theme::preset("dark").unwrap().color(Slot::Ok), "a user theme patches dark");
    assert_eq!(s.keymap.keys(ActionId::Quit), &[Key::new(KeyCode::Char('Q'), KeyModifiers::NONE)]);
}

#[test]
fn themes_load_patch_and_fail_softly() {
    let (t, w) = theme::load(fixture("themes/custom.yaml").to_str().unwrap(), None, false);
    assert!(w.is_empty(), "{w:?}");
    assert_eq!(t.color(Slot::Danger), Color::Rgb(255, 0, 0));
    let bad = fixture("themes/bad-color.yaml");
    let (t, w) = theme::load(bad.to_str().unwrap(), None, false);
    assert_eq!(
        w,
        vec![format!(
            "theme {}: slot `danger`: `blurple` is not a colour (use a name, #rrggbb or 0-255); using the built-in `dark` theme",
            bad.display()
        )]
    );
    assert_eq!(t, Theme::preset("dark").unwrap());
    let (t, w) = theme::load("solarized", None, false);
    assert_eq!(w, vec!["unknown theme `solarized`: not a built-in (dark, light, high-contrast) nor a file; using `dark`".to_string()]);
    assert_eq!(t.name, "dark");
}

#[test]
fn no_color_strips_colours_but_keeps_modifiers() {
    let (t, _) = theme::load("dark", None, true);
    assert_eq!(t.fg(Slot::Danger).fg, None);
    assert!(t.danger().add_modifier.contains(ratatui::style::Modifier::BOLD));
    assert!(t.selected().add_modifier.contains(ratatui::style::Modifier::REVERSED));
}

#[test]
fn keymaps_rebind_and_fail_softly() {
    let (k, w) = KeyMap::from_user_yaml(&read("keymap/valid.yaml"), "valid.yaml");
    assert!(w.is_empty());
    assert_eq!(k.action_for(Key::parse("Q").unwrap(), false), Some(ActionId::Quit));
    assert_eq!(k.action_for(Key::parse("q").unwrap(), false), None, "rebinding replaces the keys");
    assert_eq!(k.action_for(Key::parse("f1").unwrap(), false), Some(ActionId::Help));
    assert_eq!(k.action_for(Key::parse("j").unwrap(), false), Some(ActionId::Down), "other actions keep defaults");
    let cases = [
        ("keymap/unknown-action.yaml", "key map unknown-action.yaml: unknown action `explode`; using the default keys"),
        ("keymap/bad-key.yaml", "key map bad-key.yaml: unknown key `ctrl-banana`; using the default keys"),
    ];
    for (file, expected) in cases {
        let (k, w) = KeyMap::from_user_yaml(&read(file), file.trim_start_matches("keymap/"));
        assert_eq!(w, vec![expected.to_string()]);
        assert_eq!(k, KeyMap::defaults());
    }
}

#[test]
fn key_parsing_normalises_shift() {
    let shifted = Key::new(KeyCode::Char('n'), KeyModifiers::SHIFT);
    assert_eq!(Key::parse("N").unwrap(), shifted);
    assert_eq!(Key::parse("shift-n").unwrap(), shifted);
    assert_eq!(Key::new(KeyCode::Char('N'), KeyModifiers::SHIFT), shifted);
    assert_eq!(Key::parse("ctrl-c").unwrap(), Key::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(shifted.to_string(), "shift-n");
}

#[test]
fn read_only_filter_hides_mutating_actions() {
    let all: Vec<ActionId> = ActionId::all().collect();
    let mutating = |a: ActionId| a == ActionId::Logs;
    let ro: Vec<ActionId> = keymap::visible_filter(all.iter().copied(), true, mutating).collect();
    assert!(!ro.contains(&ActionId::Logs));
    assert_eq!(ro.len(), all.len() - 1);
    let rw: Vec<ActionId> = keymap::visible_filter(all.iter().copied(), false, mutating).collect();
    assert_eq!(rw, all);
}

#[test]
fn logging_goes_to_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/cabin.log");
    let guard = config::logging::init(&path, "info").unwrap();
    tracing::info!("hello from the log test");
    tracing::debug!("below the filter");
    drop(guard);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("hello from the log test"), "{text}");
    assert!(!text.contains("below the filter"));
    let err = config::logging::init(&path, "info").unwrap_err();
    assert!(err.to_string().starts_with("a global logger is already installed"), "{err}");
}

#[test]
fn a_log_file_that_cannot_be_opened_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // A directory where the log file should be: cannot be opened for append, by root either.
    let path = dir.path().join("cabin.log");
    std::fs::create_dir(&path).unwrap();
    let err = config::logging::init(&path, "info").unwrap_err();
    assert!(err.to_string().starts_with(&format!("cannot open the log file {}", path.display())), "{err}");
}

#[test]
fn journal_path_from_flag_then_config_then_xdg() {
    use cabin::config::{Config, journal_path};
    use std::path::PathBuf;
    let (cfg, warning) = Config::from_user_yaml("journal: /srv/audit/cabin.jsonl\n", "test");
    assert!(warning.is_empty());
    assert_eq!(journal_path(None, &cfg).unwrap(), PathBuf::from("/srv/audit/cabin.jsonl"));
    assert_eq!(journal_path(Some("/tmp/j.jsonl".into()), &cfg).unwrap(), PathBuf::from("/tmp/j.jsonl"));
    let defaults = Config::defaults();
    assert_eq!(defaults.journal, None);
    assert!(journal_path(None, &defaults).unwrap().ends_with("cabin/journal.jsonl"));
}

#[test]
fn the_approval_policy_comes_from_the_config_and_a_bad_one_keeps_the_default() {
    let (c, w) = Config::from_user_yaml("approval:\n  minApprovers: 3\n  minApproversHighRisk: 4\n", "x");
    assert!(w.is_empty(), "{w:?}");
    assert_eq!((c.approval.min_approvers, c.approval.min_approvers_high_risk), (3, Some(4)));
    let (c, w) = Config::from_user_yaml("approval:\n  minApprover: 3\n", "x");
    assert_eq!(c.approval, cabin::domain::change::ApprovalPolicy::default());
    assert_eq!(w.len(), 1);
    assert!(w[0].starts_with("config x: approval: ") && w[0].contains("keeping the default policy"), "{}", w[0]);
}

#[test]
fn cabin_change_list_applies_the_configured_policy() {
    let dir = tempfile::tempdir().unwrap();
    let changes = dir.path().join("changes");
    std::fs::create_dir(&changes).unwrap();
    std::fs::write(
        changes.join("c.yaml"),
        "apiVersion: cabin.dev/v1alpha1\nkind: ChangeRequest\nmetadata:\n  name: CHG-1\nspec:\n  title: t\n  risk: low\n  author: alice\n  approvedBy: [bob, carol]\n  targets:\n    - kind: Deployment\n      namespace: a\n      name: b\n      images: {app: x:1}\n",
    )
    .unwrap();
    let list = |config: &str| {
        let cfg = dir.path().join("config.yaml");
        std::fs::write(&cfg, config).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cabin"))
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .args(["change", "list", "--json", "--config"])
            .arg(&cfg)
            .arg("--changes")
            .arg(&changes)
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v[0]["status"].as_str().unwrap_or_default().to_string()
    };
    assert_ne!(list("theme: dark\n"), "needs-approval", "two approvers meet the default policy");
    assert_eq!(list("approval:\n  minApprovers: 3\n"), "needs-approval");
}
