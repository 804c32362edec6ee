//! Messages into `update`: input events become `Action`s; screens get their own messages.
use crossterm::event::{KeyEvent, MouseEvent};

use crate::model::EngineEvent;

/// What the loop reads from the terminal (or a test's scripted stream).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputEvent {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
}

/// Moving in a list (screens' tables and scrolling popups share it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavMsg {
    Up,
    Down,
    Top,
    Bottom,
    PageUp,
    PageDown,
    /// Select a row by its index among the visible (filtered, sorted) rows.
    Select(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    Name,
    Age,
    Status,
}

/// The one-line input at the bottom: `:` command or `/` filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    Filter,
    /// `CHECK=REASON` for the selected change (changes screen).
    Waive,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptMsg {
    Open(PromptKind),
    /// An editing key for the prompt's editor (characters, backspace, arrows, ctrl-a/e, …).
    Edit(ratatui_textarea::Input),
    Submit,
    Cancel,
}

/// Everything `update` understands.
#[derive(Debug, Clone)]
pub enum Action {
    Quit,
    Help,
    /// esc: close popup, clear filter, or pop a screen.
    Back,
    /// enter: drill into the selected row.
    Enter,
    Nav(NavMsg),
    Sort(SortKey),
    Prompt(PromptMsg),
    Yaml,
    Logs,
    /// Open the audit journal screen (filters kept).
    Journal,
    /// Open the sync-window calendar.
    Calendar,
    /// Open the change requests screen.
    Changes,
    /// Waive a failed check of the selected change (prompt for CHECK=REASON).
    Waive,
    /// A key for the calendar screen (it is on top and the key is one of its own).
    CalendarKey(crate::tui::screens::calendar::CalendarMsg),
    /// The 1-second clock: `now` for the change clock in the header and the calendar.
    Tick(chrono::DateTime<chrono::Utc>),
    /// A decision for the live change run (mutating).
    Run(crate::model::RunControl),
    /// Offer a Velero restore from the change's pre-change backup (mutating; asks first).
    Restore,
    /// The answer to a confirmation popup (`y` / `n`).
    Confirm(bool),
    /// Mouse click at a terminal cell.
    Click {
        column: u16,
        row: u16,
    },
    Resize(u16, u16),
    Engine(EngineEvent),
}
