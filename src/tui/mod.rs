//! The terminal UI. Elm-like: input → `Action` → `update(&mut AppState, Action) -> Vec<Command>`
//! → engine; engine → `EngineEvent` → `update`; views borrow the state and draw.
//!
//! Entry points: [`run`] (the real terminal) and [`app::App::run_with`] (any backend, any
//! input stream: tests feed key sequences through it).
pub mod action;
pub mod app;
pub mod calendar_update;
pub mod changes_update;
pub mod commands;
pub mod journal_update;
pub mod keys;
pub mod popups;
pub mod run_update;
pub mod screens;
pub mod state;
pub mod terminal;
pub mod update;
pub mod view;
pub mod widgets;

use chrono::{DateTime, Utc};
use thiserror::Error;
use tokio::sync::mpsc::{Receiver, Sender};

pub use action::{Action, InputEvent};
pub use app::App;

use crate::config::{KeyMap, Settings, Theme};
use crate::engine::windows_feed::WindowsFeed;
use crate::model::{Command, EngineEvent, Scope};

/// What the cockpit needs from the settings.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    pub theme: Theme,
    pub keymap: KeyMap,
    /// `--read-only` or config `readOnly` (global or for the context).
    pub read_only: bool,
    /// Problems with the user's config/theme/key map files, shown in a popup at start.
    pub config_warnings: Vec<String>,
    /// How many Warning events the dashboard lists.
    pub max_events: usize,
    /// Right-hand header slot (e.g. the change clock).
    pub header_extra: Option<String>,
    /// A fixed clock for ages (tests); None = the system clock.
    pub now: Option<DateTime<Utc>>,
    /// The scope the engine starts with (`-n NS` / `-A`), shown in the header.
    pub scope: Scope,
    /// Sync windows and freezes loaded from files at start (the engine may replace them
    /// with the live feed, `EngineEvent::Windows`). Empty: no change clock in the header.
    pub windows_feed: WindowsFeed,
    /// The user's zone for the change clock, next to UTC (None: UTC only).
    pub local_zone: Option<chrono_tz::Tz>,
}

impl TuiOptions {
    /// Options from loaded settings. `read_only`: `--read-only` or `config.read_only_for(context)`.
    pub fn from_settings(settings: &Settings, read_only: bool, scope: Scope) -> TuiOptions {
        TuiOptions {
            theme: settings.theme.clone(),
            keymap: settings.keymap.clone(),
            read_only,
            config_warnings: settings.warnings.clone(),
            max_events: settings.config.max_events,
            scope,
            local_zone: crate::engine::windows_feed::local_zone(),
            ..TuiOptions::default()
        }
    }

    /// The same options with the sync windows and freezes loaded at start.
    pub fn with_windows_feed(mut self, feed: WindowsFeed) -> TuiOptions {
        self.windows_feed = feed;
        self
    }
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            theme: Theme::default(),
            keymap: KeyMap::defaults(),
            read_only: false,
            config_warnings: Vec::new(),
            max_events: 50,
            header_extra: None,
            now: None,
            scope: Scope::All,
            windows_feed: WindowsFeed::default(),
            local_zone: None,
        }
    }
}

#[derive(Debug, Error)]
pub enum TuiError {
    #[error("terminal error: {0}; is this an interactive terminal (not a pipe)?")]
    Io(#[from] std::io::Error),
    #[error("drawing failed: {0}")]
    Backend(String),
}

impl TuiError {
    pub fn backend<E: std::fmt::Display>(e: E) -> TuiError {
        TuiError::Backend(e.to_string())
    }
}

/// Run the cockpit on the real terminal until the user quits. The terminal is restored on
/// every exit path, including errors and panics. Sends `Command::Shutdown` on quit.
pub async fn run(opts: TuiOptions, events: Receiver<EngineEvent>, commands: Sender<Command>) -> Result<(), TuiError> {
    let (backend, guard) = terminal::setup()?;
    let mut app = App::new(backend, opts)?;
    let result = app.run_with(terminal::input_stream(), events, commands).await;
    drop(app);
    drop(guard);
    result
}
