//! The application state: cluster data from the engine, UI settings, the screen stack,
//! the popup stack and the prompt. Views borrow it; only `update` changes it.
use chrono::{DateTime, Utc};

use super::popups::Popup;
use super::screens::calendar::CalendarState;
use super::screens::changes::ChangesState;
use super::screens::journal::JournalState;
use super::screens::{Screen, ScreenKind};
use crate::config::{KeyMap, Theme};
use crate::engine::windows_feed::WindowsFeed;
use crate::model::{ClusterSnapshot, ConnState, ContextInfo, Scope, UserMessage};
use crate::tui::action::PromptKind;

/// What the engine told us about the cluster.
#[derive(Debug, Clone)]
pub struct ClusterData {
    pub context: ContextInfo,
    pub conn: ConnState,
    pub snapshot: ClusterSnapshot,
    pub scope: Scope,
    /// Bumped whenever `snapshot` or `context` is replaced: screens keep their visible rows
    /// until it changes.
    pub generation: u64,
}

impl ClusterData {
    pub fn in_scope(&self, namespace: &str) -> bool {
        match &self.scope {
            Scope::All => true,
            Scope::Namespace(ns) => ns == namespace,
        }
    }
}

/// Settings and facts the views need that are not cluster data.
#[derive(Debug, Clone)]
pub struct UiContext {
    pub theme: Theme,
    pub keymap: KeyMap,
    /// From the options (`--read-only`, config) or the context info.
    pub read_only: bool,
    /// The clock for ages: set by the loop, fixed in tests. Views never read the system clock.
    pub now: DateTime<Utc>,
    /// Right-hand header slot (e.g. the change clock), filled by the coordinator.
    pub header_extra: Option<String>,
    /// Terminal size (columns, rows): `update` needs it for paging and mouse clicks.
    pub size: (u16, u16),
    pub max_events: usize,
    /// The user's zone for the change clock (None: UTC only).
    pub local_zone: Option<chrono_tz::Tz>,
}

/// The one-line input (`:`, `/`, the waiver): a ratatui-textarea editor (cursor keys, home/end,
/// ctrl-a/e, word moves and deletes, undo), kept to one line (enter submits).
#[derive(Debug, Clone)]
pub struct Prompt {
    pub kind: PromptKind,
    pub editor: ratatui_textarea::TextArea<'static>,
}

impl Prompt {
    /// A prompt holding `text`, the cursor at its end.
    pub fn new(kind: PromptKind, text: &str) -> Prompt {
        let mut editor = ratatui_textarea::TextArea::new(vec![text.to_string()]);
        editor.move_cursor(ratatui_textarea::CursorMove::End);
        editor.set_cursor_line_style(ratatui::style::Style::default());
        Prompt { kind, editor }
    }

    /// What was typed.
    pub fn text(&self) -> String {
        self.editor.lines().concat()
    }
}

impl PartialEq for Prompt {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.text() == other.text()
    }
}

#[derive(Debug, Clone)]
pub struct AppState {
    pub cluster: ClusterData,
    pub ui: UiContext,
    /// Never empty: the bottom one is the first screen.
    pub screens: Vec<Screen>,
    /// The top popup gets the keys first.
    pub popups: Vec<Popup>,
    pub prompt: Option<Prompt>,
    /// The audit journal as the feed sent it, with the journal screen's filter and selection.
    pub journal: JournalState,
    /// The sync windows and freezes (files at start, then the engine's live feed).
    pub windows: WindowsFeed,
    /// The calendar screen's state (its own copy of the feed, days, selection).
    pub calendar: CalendarState,
    /// The change requests the engine sent, with the changes screen's selection.
    pub changes: ChangesState,
    /// The header's extra slot holds the change clock computed from `windows`.
    pub clock_in_header: bool,
    /// The change run screen's state.
    pub run: crate::tui::run_update::RunScreenState,
    /// The last message for the status line.
    pub status: Option<UserMessage>,
    pub quit: bool,
}

impl AppState {
    pub fn new(ui: UiContext) -> AppState {
        let calendar = CalendarState::new(ui.now, WindowsFeed::default());
        AppState {
            cluster: ClusterData {
                context: ContextInfo::default(),
                conn: ConnState::Connecting,
                snapshot: ClusterSnapshot::default(),
                scope: Scope::All,
                generation: 0,
            },
            ui,
            screens: vec![Screen::new(ScreenKind::Dashboard)],
            popups: Vec::new(),
            prompt: None,
            journal: JournalState::default(),
            windows: WindowsFeed::default(),
            calendar,
            changes: ChangesState::default(),
            clock_in_header: false,
            run: Default::default(),
            status: None,
            quit: false,
        }
    }

    pub fn screen(&self) -> &Screen {
        // `screens` is never empty (back never pops the last one).
        &self.screens[self.screens.len() - 1]
    }

    pub fn screen_mut(&mut self) -> &mut Screen {
        let last = self.screens.len() - 1;
        &mut self.screens[last]
    }

    pub fn read_only(&self) -> bool {
        self.ui.read_only || self.cluster.context.read_only
    }
}
