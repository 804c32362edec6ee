//! The key map: action name → keys. Embedded defaults, patched per action by the user's file.
//! The help popup and the footer command bar are generated from it.
use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const DEFAULT_KEYMAP: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config/keymap.yaml"));

/// Every bindable action. `mutating` actions are hidden (and refused) in read-only mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActionId {
    Quit,
    Help,
    Command,
    Filter,
    Back,
    Enter,
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    SortName,
    SortAge,
    SortStatus,
    Yaml,
    Logs,
    Journal,
    Calendar,
    Promote,
    PauseRun,
    Rollback,
    AbortRun,
    Restore,
    Changes,
    Waive,
}

/// (action, config name, help text, mutating, shown in the footer)
const ACTIONS: [(ActionId, &str, &str, bool, bool); 26] = [
    (ActionId::Command, "command", "command mode (see COMMANDS)", false, true),
    (ActionId::Filter, "filter", "filter rows (regex, ! inverts)", false, true),
    (ActionId::Enter, "enter", "drill in", false, true),
    (ActionId::Back, "back", "back / clear filter / close", false, true),
    (ActionId::Yaml, "yaml", "show YAML", false, true),
    (ActionId::Logs, "logs", "show logs", false, true),
    (ActionId::Journal, "journal", "audit journal (timeline, filters, verification)", false, false),
    (ActionId::Calendar, "calendar", "sync-window calendar (windows, freezes, change clock)", false, false),
    (ActionId::Changes, "changes", "change requests (plans, live preflight)", false, false),
    (ActionId::Waive, "waive", "waive a failed preflight check (changes screen; journalled)", true, false),
    (ActionId::Help, "help", "help", false, true),
    (ActionId::Quit, "quit", "quit", false, true),
    (ActionId::Up, "up", "move up", false, false),
    (ActionId::Down, "down", "move down", false, false),
    (ActionId::Top, "top", "first row", false, false),
    (ActionId::Bottom, "bottom", "last row", false, false),
    (ActionId::PageUp, "page-up", "page up", false, false),
    (ActionId::PageDown, "page-down", "page down", false, false),
    (ActionId::SortName, "sort-name", "sort by name", false, false),
    (ActionId::SortAge, "sort-age", "sort by age", false, false),
    (ActionId::SortStatus, "sort-status", "sort by status", false, false),
    (ActionId::Promote, "promote", "run: skip the rest of the hold (promote now)", true, false),
    (ActionId::PauseRun, "pause-run", "run: pause / continue", true, false),
    (
        ActionId::Rollback,
        "rollback",
        "roll the run (or the selected workload's last run) back to the pre-change templates (asks first)",
        true,
        false,
    ),
    (ActionId::AbortRun, "abort-run", "run: abort (restores the targets; asks first)", true, false),
    (ActionId::Restore, "restore", "Velero restore from the run's pre-change backup (touches data; asks first)", true, false),
];

impl ActionId {
    fn entry(self) -> (ActionId, &'static str, &'static str, bool, bool) {
        ACTIONS.iter().copied().find(|e| e.0 == self).unwrap_or((self, "?", "?", false, false))
    }
    pub fn name(self) -> &'static str {
        self.entry().1
    }
    pub fn description(self) -> &'static str {
        self.entry().2
    }
    /// Would this action change the cluster? Read-only mode hides these.
    pub fn mutating(self) -> bool {
        self.entry().3
    }
    pub fn in_footer(self) -> bool {
        self.entry().4
    }
    pub fn from_name(name: &str) -> Option<ActionId> {
        ACTIONS.iter().find(|e| e.1 == name).map(|e| e.0)
    }
    /// All actions, in help order.
    pub fn all() -> impl Iterator<Item = ActionId> {
        ACTIONS.iter().map(|e| e.0)
    }
}

/// A key as the key map names it. Characters carry no SHIFT (the case says it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn new(code: KeyCode, mods: KeyModifiers) -> Key {
        let mut mods = mods & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::Char(c.to_ascii_uppercase())
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    pub fn from_event(ev: &KeyEvent) -> Key {
        Key::new(ev.code, ev.modifiers)
    }

    /// Parse `q`, `?`, `N`, `shift-n`, `ctrl-c`, `alt-x`, `enter`, `pgdn`, `f5`, …
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            let lower = rest.to_ascii_lowercase();
            let (m, len) = if lower.starts_with("ctrl-") {
                (KeyModifiers::CONTROL, 5)
            } else if lower.starts_with("alt-") {
                (KeyModifiers::ALT, 4)
            } else if lower.starts_with("shift-") {
                (KeyModifiers::SHIFT, 6)
            } else {
                break;
            };
            if rest.len() == len {
                break;
            }
            mods |= m;
            rest = &rest[len..];
        }
        let code = parse_code(rest).ok_or_else(|| format!("unknown key `{text}`"))?;
        Ok(Key::new(code, mods))
    }
}

fn parse_code(s: &str) -> Option<KeyCode> {
    let mut chars = s.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    let lower = s.to_ascii_lowercase();
    let code = match lower.as_str() {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backtab" => KeyCode::BackTab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "space" => KeyCode::Char(' '),
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pgup" | "pageup" => KeyCode::PageUp,
        "pgdn" | "pagedown" => KeyCode::PageDown,
        f if f.starts_with('f') => KeyCode::F(f[1..].parse().ok().filter(|n| (1..=12).contains(n))?),
        _ => return None,
    };
    Some(code)
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            write!(f, "ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            write!(f, "alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            write!(f, "shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "space"),
            KeyCode::Char(c) if c.is_ascii_uppercase() => write!(f, "shift-{}", c.to_ascii_lowercase()),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => write!(f, "enter"),
            KeyCode::Esc => write!(f, "esc"),
            KeyCode::Up => write!(f, "↑"),
            KeyCode::Down => write!(f, "↓"),
            KeyCode::PageUp => write!(f, "pgup"),
            KeyCode::PageDown => write!(f, "pgdn"),
            KeyCode::F(n) => write!(f, "f{n}"),
            other => write!(f, "{}", format!("{other:?}").to_ascii_lowercase()),
        }
    }
}

/// Action → keys, in a BTreeMap so help and footer are stable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyMap {
    bindings: BTreeMap<ActionId, Vec<Key>>,
}

impl KeyMap {
    /// The embedded defaults.
    pub fn defaults() -> KeyMap {
        let mut map = KeyMap { bindings: BTreeMap::new() };
        // The embedded file is covered by a test; errors here would only drop bindings.
        let _ = map.patch(DEFAULT_KEYMAP);
        map
    }

    /// Defaults patched by the user's file. A bad file → defaults + one warning. A key the
    /// file binds to an action while another action has it too is refused (one warning naming
    /// both actions): silently shadowing one of them is dangerous once keys can write.
    pub fn from_user_yaml(text: &str, origin: &str) -> (KeyMap, Vec<String>) {
        let mut map = KeyMap::defaults();
        match map.patch(text) {
            Ok(from_file) => {
                let warnings = map.refuse_conflicts(&from_file, origin);
                (map, warnings)
            }
            Err(e) => (KeyMap::defaults(), vec![format!("key map {origin}: {e}; using the default keys")]),
        }
    }

    /// Applies `text`; returns the actions it set.
    fn patch(&mut self, text: &str) -> Result<Vec<ActionId>, String> {
        let raw: Option<BTreeMap<String, Vec<String>>> = yaml_serde::from_str(text).map_err(|e| e.to_string())?;
        let mut set = Vec::new();
        for (name, keys) in raw.unwrap_or_default() {
            let action = ActionId::from_name(&name).ok_or_else(|| format!("unknown action `{name}`"))?;
            let mut keys = keys.iter().map(|k| Key::parse(k)).collect::<Result<Vec<_>, _>>()?;
            dedup_keep_order(&mut keys);
            self.bindings.insert(action, keys);
            set.push(action);
        }
        Ok(set)
    }

    /// Removes the file's bindings of keys that two actions share; an action the file left
    /// without keys gets back those of its default keys no other action uses.
    fn refuse_conflicts(&mut self, from_file: &[ActionId], origin: &str) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut owners: Vec<(Key, Vec<ActionId>)> = Vec::new();
        for (action, keys) in &self.bindings {
            for key in keys {
                match owners.iter_mut().find(|(k, _)| k == key) {
                    Some((_, actions)) => actions.push(*action),
                    None => owners.push((*key, vec![*action])),
                }
            }
        }
        for (key, actions) in owners.into_iter().filter(|(_, a)| a.len() > 1) {
            let refused: Vec<ActionId> = actions.iter().copied().filter(|a| from_file.contains(a)).collect();
            let names: Vec<String> = actions.iter().map(|a| format!("`{}`", a.name())).collect();
            let refused_names: Vec<String> = refused.iter().map(|a| format!("`{}`", a.name())).collect();
            warnings.push(format!(
                "key map {origin}: `{key}` is bound to both {}; ignoring it for {}",
                names.join(" and "),
                refused_names.join(" and ")
            ));
            for a in refused {
                if let Some(keys) = self.bindings.get_mut(&a) {
                    keys.retain(|k| *k != key);
                }
            }
        }
        let defaults = KeyMap::defaults();
        for &a in from_file {
            if !self.keys(a).is_empty() {
                continue;
            }
            let free: Vec<Key> = defaults.keys(a).iter().copied().filter(|k| self.action_for(*k, false).is_none()).collect();
            if !free.is_empty() {
                warnings.push(format!("key map {origin}: `{}` keeps its default keys", a.name()));
                self.bindings.insert(a, free);
            }
        }
        warnings
    }

    /// The action bound to `key`, if any (mutating actions are refused in read-only mode).
    pub fn action_for(&self, key: Key, read_only: bool) -> Option<ActionId> {
        ActionId::all().filter(|a| !(read_only && a.mutating())).find(|a| self.bindings.get(a).is_some_and(|ks| ks.contains(&key)))
    }

    pub fn keys(&self, action: ActionId) -> &[Key] {
        self.bindings.get(&action).map(Vec::as_slice).unwrap_or(&[])
    }

    /// (action, keys) to show: help order, mutating ones hidden in read-only, unbound hidden.
    pub fn visible(&self, read_only: bool) -> Vec<(ActionId, &[Key])> {
        visible_filter(ActionId::all(), read_only, ActionId::mutating).map(|a| (a, self.keys(a))).filter(|(_, k)| !k.is_empty()).collect()
    }
}

fn dedup_keep_order(keys: &mut Vec<Key>) {
    let mut seen = Vec::with_capacity(keys.len());
    keys.retain(|k| {
        let new = !seen.contains(k);
        seen.push(*k);
        new
    });
}

/// The read-only filter, separate so it is testable with any notion of "mutating".
pub fn visible_filter<I: Iterator<Item = ActionId>>(
    actions: I,
    read_only: bool,
    mutating: impl Fn(ActionId) -> bool,
) -> impl Iterator<Item = ActionId> {
    actions.filter(move |a| !(read_only && mutating(*a)))
}

impl Default for KeyMap {
    fn default() -> Self {
        KeyMap::defaults()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        Key::parse(s).unwrap()
    }

    #[test]
    fn the_defaults_bind_no_key_twice() {
        let map = KeyMap::defaults();
        assert!(map.clone().refuse_conflicts(&ActionId::all().collect::<Vec<_>>(), "defaults").is_empty());
    }

    #[test]
    fn a_key_taken_from_another_action_is_refused_with_both_named() {
        let (map, warnings) = KeyMap::from_user_yaml("yaml: [q, Y]\n", "keymap.yaml");
        assert_eq!(warnings, ["key map keymap.yaml: `q` is bound to both `quit` and `yaml`; ignoring it for `yaml`"]);
        assert_eq!(map.action_for(key("q"), false), Some(ActionId::Quit), "the default stays");
        assert_eq!(map.keys(ActionId::Yaml), [key("Y")]);
    }

    #[test]
    fn two_actions_of_the_file_on_one_key_are_both_refused() {
        let (map, warnings) = KeyMap::from_user_yaml("quit: [x]\nlogs: [x, L]\n", "k.yaml");
        assert_eq!(
            warnings,
            [
                "key map k.yaml: `x` is bound to both `quit` and `logs`; ignoring it for `quit` and `logs`",
                "key map k.yaml: `quit` keeps its default keys"
            ]
        );
        assert_eq!(map.action_for(key("x"), false), None);
        assert_eq!(map.keys(ActionId::Quit), [key("q"), key("ctrl-c")]);
        assert_eq!(map.keys(ActionId::Logs), [key("L")]);
    }

    #[test]
    fn moving_a_key_is_not_a_conflict() {
        let (map, warnings) = KeyMap::from_user_yaml("quit: [ctrl-q]\nyaml: [q]\n", "k.yaml");
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(map.action_for(key("q"), false), Some(ActionId::Yaml));
        assert_eq!(map.action_for(key("ctrl-q"), false), Some(ActionId::Quit));
    }
}
