//! Settings: embedded defaults patched by the user's files (config, theme, key map).
//!
//! A bad user file never stops cabin: it becomes a warning (shown on screen) and the
//! defaults apply.
pub mod keymap;
pub mod logging;
pub mod merge;
pub mod theme;
mod user;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use keymap::{ActionId, Key, KeyMap};
pub use theme::{Slot, Theme};

/// The embedded default configuration.
pub const DEFAULT_CONFIG: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/config/default.yaml"));

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Config {
    pub read_only: bool,
    pub theme: String,
    pub log_level: String,
    pub max_events: usize,
    pub contexts: BTreeMap<String, ContextConfig>,
    /// The audit journal file (`--journal` and `CABIN_JOURNAL` win over it); None: the XDG
    /// data dir's `cabin/journal.jsonl`. A relative path is relative to the config file's
    /// directory (resolved by [`load`]).
    #[serde(default)]
    pub journal: Option<PathBuf>,
    /// Directories of change requests (besides `--changes` and `CABIN_CHANGES`).
    #[serde(default)]
    pub changes: Vec<PathBuf>,
    /// Who may approve a change: distinct approvers, never the author; more for high risk.
    #[serde(default)]
    pub approval: crate::domain::change::ApprovalPolicy,
    /// Set when the user's file was meant to say something about `readOnly` but cannot be
    /// read: the session is then read-only, and this says why (fail closed).
    #[serde(skip)]
    pub read_only_unknown: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextConfig {
    #[serde(default)]
    pub read_only: bool,
    /// As [`Config::read_only_unknown`], for this context only.
    #[serde(skip)]
    pub read_only_unknown: Option<String>,
}

/// Whether a session is read-only, and why (shown on screen and journalled).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlyDecision {
    pub read_only: bool,
    /// None when writable; otherwise what made it read-only.
    pub reason: Option<String>,
}

impl ReadOnlyDecision {
    pub fn writable() -> Self {
        Self { read_only: false, reason: None }
    }
    pub fn read_only(reason: impl Into<String>) -> Self {
        Self { read_only: true, reason: Some(reason.into()) }
    }
}

/// What decides read-only for any context: the `--read-only` flag and the config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOnlyPolicy {
    pub flag: bool,
    pub config: Config,
}

impl ReadOnlyPolicy {
    pub fn decide(&self, context: &str) -> ReadOnlyDecision {
        self.config.read_only_decision(self.flag, context)
    }
}

impl Config {
    /// Read-only if set globally or for this context; a setting that could not be read counts
    /// as read-only (fail closed).
    pub fn read_only_for(&self, context: &str) -> bool {
        self.read_only_decision(false, context).read_only
    }

    /// The decision for `context`, given the `--read-only` flag; the first reason wins.
    pub fn read_only_decision(&self, flag: bool, context: &str) -> ReadOnlyDecision {
        let ctx = self.contexts.get(context);
        if flag {
            return ReadOnlyDecision::read_only("--read-only was given");
        }
        if let Some(why) = &self.read_only_unknown {
            return ReadOnlyDecision::read_only(format!("{why}: readOnly cannot be determined, so cabin fails closed"));
        }
        if let Some(why) = ctx.and_then(|c| c.read_only_unknown.as_ref()) {
            return ReadOnlyDecision::read_only(format!(
                "{why}: readOnly for context {context:?} cannot be determined, so cabin fails closed"
            ));
        }
        if self.read_only {
            return ReadOnlyDecision::read_only("readOnly: true in the config");
        }
        if ctx.is_some_and(|c| c.read_only) {
            return ReadOnlyDecision::read_only(format!("contexts.{context}.readOnly: true in the config"));
        }
        ReadOnlyDecision::writable()
    }

    /// The embedded defaults.
    pub fn defaults() -> Config {
        match yaml_serde::from_str(DEFAULT_CONFIG) {
            Ok(c) => c,
            // The embedded file is tested; this arm exists only to avoid a panic path (and
            // fails closed).
            Err(e) => Config {
                read_only: true,
                theme: "dark".into(),
                log_level: "info".into(),
                max_events: 50,
                contexts: BTreeMap::new(),
                journal: None,
                changes: Vec::new(),
                approval: Default::default(),
                read_only_unknown: Some(format!("the built-in defaults do not parse: {e}")),
            },
        }
    }

    /// Defaults patched by `user_yaml`, key by key: a bad key is a warning naming `origin` and
    /// keeps its default; the rest of the file still applies.
    pub fn from_user_yaml(user_yaml: &str, origin: &str) -> (Config, Vec<String>) {
        let mut config = Self::defaults();
        let warnings = user::patch(&mut config, user_yaml, origin);
        (config, warnings)
    }
}

/// The journal file: the command line (`--journal`/`CABIN_JOURNAL`), else the user's config
/// `journal:` key, else the XDG data dir's `cabin/journal.jsonl`.
pub fn journal_path(cli: Option<PathBuf>, config: &Config) -> Result<PathBuf, crate::journal::JournalError> {
    match cli.or_else(|| config.journal.clone()) {
        Some(p) => Ok(p),
        None => crate::journal::default_path(),
    }
}

/// What to load; every field is optional (None = the XDG location / the config's choice).
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--config PATH`: used instead of the XDG config file.
    pub config_path: Option<PathBuf>,
    /// `--theme NAME|PATH`: wins over the config's `theme`.
    pub theme: Option<String>,
    /// Directory holding config.yaml, keymap.yaml and themes/; None = XDG config dir.
    pub config_dir: Option<PathBuf>,
    /// Force no colours; `NO_COLOR` (set and not empty) is honoured either way.
    pub no_color: bool,
}

/// Everything the cockpit needs from the user's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub config: Config,
    pub theme: Theme,
    pub keymap: KeyMap,
    /// Problems with the user's files, for the screen.
    pub warnings: Vec<String>,
}

/// `~/.config/cabin` (XDG), if the platform has a home directory.
pub fn config_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "cabin").map(|d| d.config_dir().to_path_buf())
}

/// True when the `NO_COLOR` convention asks for no colours.
pub fn no_color_from_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Load config, theme and key map. Never fails: problems become `warnings`.
pub fn load(opts: &LoadOptions) -> Settings {
    let mut warnings = Vec::new();
    let dir = opts.config_dir.clone().or_else(config_dir);
    let config_path = opts.config_path.clone().or_else(|| dir.as_ref().map(|d| d.join("config.yaml")));
    let before = warnings.len();
    let read = config_path.as_deref().and_then(|p| read_optional(p, opts.config_path.is_some(), &mut warnings));
    // A config file that exists (or was named) but cannot be read: readOnly is unknown.
    let unreadable = (warnings.len() > before).then(|| warnings[before..].join("; "));
    let config = match read {
        Some((text, origin)) => {
            let (mut c, w) = Config::from_user_yaml(&text, &origin);
            warnings.extend(w);
            // A relative `journal:` is next to the config file, wherever cabin is started from.
            if let (Some(j), Some(base)) = (c.journal.as_ref().filter(|j| j.is_relative()), config_path.as_deref().and_then(Path::parent)) {
                c.journal = Some(base.join(j));
            }
            c
        }
        None if unreadable.is_some() => {
            let mut c = Config::defaults();
            c.read_only_unknown = unreadable;
            c
        }
        None => Config::defaults(),
    };
    let theme_name = opts.theme.clone().unwrap_or_else(|| config.theme.clone());
    let (theme, tw) = theme::load(&theme_name, dir.as_deref(), opts.no_color || no_color_from_env());
    warnings.extend(tw);
    let keymap_path = dir.as_ref().map(|d| d.join("keymap.yaml"));
    let keymap = match keymap_path.as_deref().and_then(|p| read_optional(p, false, &mut warnings)) {
        Some((text, origin)) => {
            let (k, kw) = KeyMap::from_user_yaml(&text, &origin);
            warnings.extend(kw);
            k
        }
        None => KeyMap::defaults(),
    };
    Settings { config, theme, keymap, warnings }
}

/// Read a file; a missing file is silent unless `required`. Returns (text, display path).
fn read_optional(path: &Path, required: bool, warnings: &mut Vec<String>) -> Option<(String, String)> {
    match std::fs::read_to_string(path) {
        Ok(t) => Some((t, path.display().to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => None,
        Err(e) => {
            warnings.push(format!("cannot read {}: {e}; using the defaults and read-only", path.display()));
            None
        }
    }
}
