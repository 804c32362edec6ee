//! The user's config file, read key by key so that one mistake costs only that key.
//!
//! Safety settings fail closed: when `readOnly` (global or for a context) cannot be
//! determined — the file does not parse, the value is not a boolean, a near-miss spelling such
//! as `readonly` — the setting is recorded as *unknown*, which every reader treats as
//! read-only, with the reason.
use std::path::PathBuf;

use yaml_serde::{Mapping, Value};

use super::{Config, ContextConfig};

/// Largest `maxEvents` accepted (the dashboard lists at most this many warnings).
pub const MAX_EVENTS_LIMIT: usize = 10_000;

/// Patches `cfg` with the user's YAML; returns the warnings (each names `origin`).
pub fn patch(cfg: &mut Config, text: &str, origin: &str) -> Vec<String> {
    let mut p = Patcher { cfg, origin, warnings: Vec::new() };
    match yaml_serde::from_str::<Value>(text) {
        Ok(Value::Null) => {}
        Ok(Value::Mapping(map)) => p.top(map),
        Ok(other) => p.unreadable(format!("expected a mapping of settings, found {}", describe(&other))),
        Err(e) => p.unreadable(e.to_string()),
    }
    p.warnings
}

struct Patcher<'a> {
    cfg: &'a mut Config,
    origin: &'a str,
    warnings: Vec<String>,
}

impl Patcher<'_> {
    /// The whole file could not be read: nothing is patched and read-only is unknown.
    fn unreadable(&mut self, why: String) {
        self.cfg.read_only_unknown = Some(format!("config {} cannot be read ({why})", self.origin));
        self.warn(format!("{why}; using the defaults and read-only (fix the file and restart)"));
    }

    fn warn(&mut self, text: String) {
        self.warnings.push(format!("config {}: {text}", self.origin));
    }

    fn top(&mut self, map: Mapping) {
        for (key, value) in map {
            let Some(key) = key.as_str().map(str::to_string) else {
                self.warn(format!("key {} is not a string; ignored", describe(&key)));
                continue;
            };
            self.top_key(&key, value);
        }
    }

    fn top_key(&mut self, key: &str, value: Value) {
        match key {
            "readOnly" => match value.as_bool() {
                Some(b) => self.cfg.read_only = b,
                None => {
                    let why = format!("readOnly: expected true or false, found {}", describe(&value));
                    self.cfg.read_only_unknown = Some(format!("config {}: {why}", self.origin));
                    self.warn(format!("{why}; the session is read-only until it is fixed"));
                }
            },
            "theme" => self.string(key, &value, |c, s| c.theme = s),
            "logLevel" => self.string(key, &value, |c, s| c.log_level = s),
            "maxEvents" => match value.as_u64().and_then(|n| usize::try_from(n).ok()).filter(|n| (1..=MAX_EVENTS_LIMIT).contains(n)) {
                Some(n) => self.cfg.max_events = n,
                None => self.warn(format!(
                    "maxEvents: expected a number from 1 to {MAX_EVENTS_LIMIT}, found {}; keeping {}",
                    describe(&value),
                    self.cfg.max_events
                )),
            },
            "journal" => match &value {
                Value::Null => self.cfg.journal = None,
                Value::String(s) if !s.is_empty() => self.cfg.journal = Some(PathBuf::from(s)),
                other => self.warn(format!("journal: expected a file path, found {}; ignored", describe(other))),
            },
            "changes" => self.changes(value),
            "approval" => match yaml_serde::from_value(value) {
                Ok(policy) => self.cfg.approval = policy,
                Err(e) => self.warn(format!("approval: {e}; keeping the default policy (two distinct approvers, never the author)")),
            },
            "contexts" => self.contexts(value),
            other if is_read_only_lookalike(other) => {
                self.cfg.read_only_unknown = Some(format!("config {}: unknown key `{other}`", self.origin));
                self.warn(format!("unknown key `{other}` (did you mean `readOnly`?); the session is read-only until it is fixed"));
            }
            other => self.warn(format!("unknown key `{other}` ignored (known: {})", TOP_KEYS.join(", "))),
        }
    }

    fn string(&mut self, key: &str, value: &Value, set: impl FnOnce(&mut Config, String)) {
        match value.as_str() {
            Some(s) => set(self.cfg, s.to_string()),
            None => self.warn(format!("{key}: expected a string, found {}; keeping the default", describe(value))),
        }
    }

    fn changes(&mut self, value: Value) {
        let list = match value {
            Value::Null => Vec::new(),
            Value::String(s) => vec![s],
            Value::Sequence(items) => {
                let mut out = Vec::new();
                for item in items {
                    match item.as_str() {
                        Some(s) => out.push(s.to_string()),
                        None => self.warn(format!("changes: entry {} is not a directory path; ignored", describe(&item))),
                    }
                }
                out
            }
            other => {
                self.warn(format!("changes: expected a list of directories, found {}; ignored", describe(&other)));
                return;
            }
        };
        self.cfg.changes = list.into_iter().map(PathBuf::from).collect();
    }

    fn contexts(&mut self, value: Value) {
        let map = match value {
            Value::Null => return,
            Value::Mapping(m) => m,
            other => {
                let why = format!("contexts: expected a mapping of context names, found {}", describe(&other));
                self.cfg.read_only_unknown = Some(format!("config {}: {why}", self.origin));
                self.warn(format!("{why}; the session is read-only until it is fixed"));
                return;
            }
        };
        for (name, settings) in map {
            let Some(name) = name.as_str().map(str::to_string) else {
                let why = format!("contexts: key {} is not a context name", describe(&name));
                self.cfg.read_only_unknown = Some(format!("config {}: {why}", self.origin));
                self.warn(format!("{why}; the session is read-only until it is fixed"));
                continue;
            };
            let ctx = self.context(&name, settings);
            self.cfg.contexts.insert(name, ctx);
        }
    }

    fn context(&mut self, name: &str, settings: Value) -> ContextConfig {
        let mut ctx = self.cfg.contexts.get(name).cloned().unwrap_or_default();
        let map = match settings {
            Value::Null => return ctx,
            Value::Mapping(m) => m,
            other => {
                let why = format!("contexts.{name}: expected a mapping, found {}", describe(&other));
                ctx.read_only_unknown = Some(format!("config {}: {why}", self.origin));
                self.warn(format!("{why}; context {name:?} is read-only until it is fixed"));
                return ctx;
            }
        };
        for (key, value) in map {
            let key = key.as_str().map(str::to_string).unwrap_or_else(|| describe(&key));
            if key == "readOnly" {
                match value.as_bool() {
                    Some(b) => ctx.read_only = b,
                    None => {
                        let why = format!("contexts.{name}.readOnly: expected true or false, found {}", describe(&value));
                        ctx.read_only_unknown = Some(format!("config {}: {why}", self.origin));
                        self.warn(format!("{why}; context {name:?} is read-only until it is fixed"));
                    }
                }
            } else if is_read_only_lookalike(&key) {
                ctx.read_only_unknown = Some(format!("config {}: contexts.{name}: unknown key `{key}`", self.origin));
                self.warn(format!(
                    "contexts.{name}: unknown key `{key}` (did you mean `readOnly`?); context {name:?} is read-only until it is fixed"
                ));
            } else {
                self.warn(format!("contexts.{name}: unknown key `{key}` ignored (known: readOnly)"));
            }
        }
        ctx
    }
}

const TOP_KEYS: [&str; 8] = ["readOnly", "theme", "logLevel", "maxEvents", "contexts", "journal", "changes", "approval"];

/// `readonly`, `read_only`, `read-only`, `ReadOnly`…: someone meant `readOnly`.
fn is_read_only_lookalike(key: &str) -> bool {
    let squashed: String = key.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
    squashed == "readonly" || squashed == "ro"
}

/// A short description of a YAML value for messages.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "nothing".to_string(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::Sequence(_) => "a list".to_string(),
        Value::Mapping(_) => "a mapping".to_string(),
        Value::Tagged(t) => format!("a value tagged {}", t.tag),
    }
}
