//! The bottom two lines: a status line (prompt, message or breadcrumbs) and the command bar
//! generated from the active key map.
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::config::{ActionId, KeyMap, Slot, Theme};
use crate::model::{MessageLevel, UserMessage};
use crate::tui::action::PromptKind;
use crate::tui::state::Prompt;

pub struct StatusLine<'a> {
    pub prompt: Option<&'a Prompt>,
    pub message: Option<&'a UserMessage>,
    pub crumbs: Vec<String>,
    pub theme: &'a Theme,
}

impl Widget for StatusLine<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let line = if let Some(p) = self.prompt {
            let sigil = match p.kind {
                PromptKind::Command => ":",
                PromptKind::Filter => "/",
                PromptKind::Waive => "waive CHECK=REASON: ",
            };
            // The sigil, then the editor with its cursor.
            let style = t.fg(Slot::Accent).add_modifier(Modifier::BOLD);
            let sigil = Line::styled(sigil, style);
            let used = u16::try_from(sigil.width()).unwrap_or(u16::MAX).min(area.width);
            sigil.render(area, buf);
            let mut editor = p.editor.clone();
            editor.set_style(style);
            editor.set_cursor_style(t.fg(Slot::Accent).add_modifier(Modifier::REVERSED));
            let rest = Rect { x: area.x + used, width: area.width - used, height: area.height.min(1), ..area };
            editor.render(rest, buf);
            return;
        } else if let Some(m) = self.message {
            let style = match m.level {
                MessageLevel::Info => t.fg(Slot::Ok),
                MessageLevel::Warn => t.fg(Slot::Warn),
                MessageLevel::Error => t.danger(),
            };
            let hint = m.hint.as_deref().map(|h| format!(" — {h}")).unwrap_or_default();
            Line::styled(format!("{}{hint}", m.text), style)
        } else {
            Line::from(
                self.crumbs
                    .into_iter()
                    .flat_map(|c| [Span::styled(format!(" <{c}> "), t.fg(Slot::Title).add_modifier(Modifier::REVERSED)), Span::raw(" ")])
                    .collect::<Vec<_>>(),
            )
        };
        Paragraph::new(line).render(area, buf);
    }
}

/// The key hints: `<:>command <\/>filter …`, only footer actions, mutating ones hidden in read-only.
pub struct CommandBar<'a> {
    pub keymap: &'a KeyMap,
    pub read_only: bool,
    pub theme: &'a Theme,
}

impl Widget for CommandBar<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let mut spans = Vec::new();
        for (action, keys) in self.keymap.visible(self.read_only) {
            if !action.in_footer() {
                continue;
            }
            let Some(key) = keys.first() else { continue };
            spans.push(Span::styled(format!("<{key}>"), t.fg(Slot::Accent).add_modifier(Modifier::BOLD)));
            spans.push(Span::styled(format!("{} ", short_label(action)), t.fg(Slot::Muted)));
        }
        Paragraph::new(Line::from(spans)).render(area, buf);
    }
}

fn short_label(a: ActionId) -> &'static str {
    match a {
        ActionId::Command => "cmd",
        ActionId::Enter => "open",
        other => other.name(),
    }
}
