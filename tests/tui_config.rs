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
    assert_eq!(w, None);
    assert_eq!(c.theme, "light");
    assert_eq!(c.max_events, 10);
    assert_eq!(c.log_level, "info", "untouched keys keep their defaults");
}

#[test]
fn read_only_per_context() {
    let (c, w) = Config::from_user_yaml(&read("config/per-context.yaml"), "x");
    assert_eq!(w, None);
    assert!(c.read_only_for("prod"));
    assert!(!c.read_only_for("dev"));
}

#[test]
fn invalid_configs_warn_with_exact_text_and_fall_back() {
    let cases = [
        (
            "config/unknown-key.yaml",
            "config unknown-key.yaml: unknown field `readonly`, expected one of `readOnly`, `theme`, `logLevel`, `maxEvents`, `contexts`, `journal`; using the defaults (fix the file and restart)",
        ),
        (
            "config/bad-type.yaml",
            "config bad-type.yaml: invalid type: string \"lots\", expected usize; using the defaults (fix the file and restart)",
        ),
        (
            "config/bad-syntax.yaml",
            "config bad-syntax.yaml: did not find expected ',' or ']' at line 2 column 1, while parsing a flow sequence at line 1 column 8; using the defaults (fix the file and restart)",
        ),
    ];
    for (file, expected) in cases {
        let origin = file.trim_start_matches("config/");
        let (c, w) = Config::from_user_yaml(&read(file), origin);
        assert_eq!(w.as_deref(), Some(expected), "{file}");
        assert_eq!(c, Config::defaults(), "{file}");
    }
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
    assert_eq!(s.config, Config::defaults());
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
fn journal_path_from_flag_then_config_then_xdg() {
    use cabin::config::{Config, journal_path};
    use std::path::PathBuf;
    let (cfg, warning) = Config::from_user_yaml("journal: /srv/audit/cabin.jsonl\n", "test");
    assert_eq!(warning, None);
    assert_eq!(journal_path(None, &cfg).unwrap(), PathBuf::from("/srv/audit/cabin.jsonl"));
    assert_eq!(journal_path(Some("/tmp/j.jsonl".into()), &cfg).unwrap(), PathBuf::from("/tmp/j.jsonl"));
    let defaults = Config::defaults();
    assert_eq!(defaults.journal, None);
    assert!(journal_path(None, &defaults).unwrap().ends_with("cabin/journal.jsonl"));
}
