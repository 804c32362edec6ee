//! Reusable widgets: the virtualised table, header, footer (command bar).
pub mod footer;
pub mod header;
pub mod table;

use ratatui::style::{Modifier, Style};

use crate::config::{Slot, Theme};
use crate::tui::screens::rows::Tone;

/// The style of a row tone in a theme.
pub fn tone_style(theme: &Theme, tone: Tone) -> Style {
    match tone {
        Tone::Normal => theme.fg(Slot::Fg),
        Tone::Ok => theme.fg(Slot::Ok),
        Tone::Warn => theme.fg(Slot::Warn),
        Tone::Danger => theme.danger(),
        Tone::Muted => theme.fg(Slot::Muted).add_modifier(Modifier::DIM),
    }
}
