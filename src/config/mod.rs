//! Settings: embedded defaults patched by the user's files (config, theme, key map).
//!
//! A bad user file never stops cabin: it becomes a warning (shown on screen) and the
//! defaults apply.
pub mod keymap;
pub mod logging;
pub mod merge;
pub mod theme;

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
    /// data dir's `cabin/journal.jsonl`.
    #[serde(default)]
    pub journal: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContextConfig {
    #[serde(default)]
    pub read_only: bool,
}

impl Config {
    /// Read-only if set globally or for this context.
    pub fn read_only_for(&self, context: &str) -> bool {
        self.read_only || self.contexts.get(context).is_some_and(|c| c.read_only)
    }

    /// The embedded defaults.
    pub fn defaults() -> Config {
        match yaml_serde::from_str(DEFAULT_CONFIG) {
            Ok(c) => c,
            // The embedded file is tested; this arm exists only to avoid a panic path.
            Err(_) => Config {
                read_only: false,
                theme: "dark".into(),
                log_level: "info".into(),
                max_events: 50,
                contexts: BTreeMap::new(),
                journal: None,
            },
        }
    }

    /// Defaults patched by `user_yaml`. On any error: the defaults and a warning naming `origin`.
    pub fn from_user_yaml(user_yaml: &str, origin: &str) -> (Config, Option<String>) {
        match Self::try_from_user_yaml(user_yaml) {
            Ok(c) => (c, None),
            Err(e) => (Self::defaults(), Some(format!("config {origin}: {e}; using the defaults (fix the file and restart)"))),
        }
    }

    fn try_from_user_yaml(user_yaml: &str) -> Result<Config, String> {
        let mut base: yaml_serde::Value = yaml_serde::from_str(DEFAULT_CONFIG).map_err(|e| e.to_string())?;
        let patch: yaml_serde::Value = yaml_serde::from_str(user_yaml).map_err(|e| e.to_string())?;
        merge::deep_merge(&mut base, patch);
        yaml_serde::from_value(base).map_err(|e| e.to_string())
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
    let config = match config_path.as_deref().and_then(|p| read_optional(p, opts.config_path.is_some(), &mut warnings)) {
        Some((text, origin)) => {
            let (c, w) = Config::from_user_yaml(&text, &origin);
            warnings.extend(w);
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
            warnings.push(format!("cannot read {}: {e}; using the defaults", path.display()));
            None
        }
    }
}
