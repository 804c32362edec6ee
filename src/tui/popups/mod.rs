//! Popups, a stack over the screens: help, text viewer (YAML, logs), messages.
//! The top popup gets the keys first; `esc` (or `q`) closes it.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::config::{KeyMap, Slot, Theme};
use crate::model::ObjectKey;
use crate::tui::action::NavMsg;

/// Which answer a text popup waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    Nothing,
    Yaml(ObjectKey),
    Logs { namespace: String, pod: String, container: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PopupKind {
    Help,
    /// YAML or logs: `body` is None until the engine answers.
    Text { awaiting: Awaiting, body: Option<String> },
    /// Config warnings, errors that need reading.
    Messages(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    pub title: String,
    pub kind: PopupKind,
    pub scroll: usize,
}

impl Popup {
    pub fn new(title: impl Into<String>, kind: PopupKind) -> Popup {
        Popup { title: title.into(), kind, scroll: 0 }
    }

    pub fn scroll(&mut self, msg: NavMsg, page: usize) {
        self.scroll = match msg {
            NavMsg::Up => self.scroll.saturating_sub(1),
            NavMsg::Down => self.scroll + 1,
            NavMsg::Top => 0,
            NavMsg::Bottom => usize::MAX / 2,
            NavMsg::PageUp => self.scroll.saturating_sub(page),
            NavMsg::PageDown => self.scroll + page,
            NavMsg::Select(_) => self.scroll,
        };
    }
}

/// The command-mode commands, for help.
pub const COMMANDS: [(&str, &str); 9] = [
    (":dash", "dashboard (workloads, pods, warnings, budgets)"),
    (":deploy", "deployments"),
    (":sts", "statefulsets"),
    (":pods", "pods"),
    (":events", "events"),
    (":ns [NAME|all]", "namespaces, or switch the scope"),
    (":ctx NAME", "switch kube context"),
    (":help", "this help"),
    (":q", "quit"),
];

/// Help lines from the active key map (read-only hides mutating actions).
pub fn help_lines<'a>(keymap: &KeyMap, read_only: bool, theme: &Theme) -> Vec<Line<'a>> {
    let key_style = theme.fg(Slot::Accent).add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled("KEYS", theme.fg(Slot::Title).add_modifier(Modifier::BOLD))];
    for (action, keys) in keymap.visible(read_only) {
        let keys: Vec<String> = keys.iter().map(|k| format!("<{k}>")).collect();
        lines.push(Line::from(vec![Span::styled(format!("{:<18}", keys.join(" ")), key_style), Span::raw(action.description().to_string())]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("COMMANDS", theme.fg(Slot::Title).add_modifier(Modifier::BOLD)));
    for (cmd, what) in COMMANDS {
        lines.push(Line::from(vec![Span::styled(format!("{cmd:<18}"), key_style), Span::raw(what)]));
    }
    if read_only {
        lines.push(Line::raw(""));
        lines.push(Line::styled("READ-ONLY: actions that change the cluster are hidden", theme.danger()));
    }
    lines
}

/// Where a popup is drawn inside `area`.
pub fn popup_area(area: Rect) -> Rect {
    let w = (area.width * 4 / 5).max(40.min(area.width));
    let h = (area.height * 4 / 5).max(10.min(area.height));
    let [v] = Layout::vertical([Constraint::Length(h)]).flex(Flex::Center).areas(area);
    let [r] = Layout::horizontal([Constraint::Length(w)]).flex(Flex::Center).areas(v);
    r
}

pub struct PopupView<'a> {
    pub popup: &'a Popup,
    pub keymap: &'a KeyMap,
    pub read_only: bool,
    pub theme: &'a Theme,
}

impl Widget for PopupView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let area = popup_area(area);
        Clear.render(area, buf);
        let block = Block::bordered()
            .border_style(t.fg(Slot::Accent))
            .style(t.base())
            .title(Line::styled(format!(" {} ", self.popup.title), t.fg(Slot::Title).add_modifier(Modifier::BOLD)).centered())
            .title_bottom(Line::styled(" esc close · j/k scroll ", t.fg(Slot::Muted)).centered());
        let lines: Vec<Line> = match &self.popup.kind {
            PopupKind::Help => help_lines(self.keymap, self.read_only, t),
            PopupKind::Text { body: None, .. } => vec![Line::styled("loading…", t.fg(Slot::Muted))],
            PopupKind::Text { body: Some(b), .. } => b.lines().map(|l| Line::raw(l.to_string())).collect(),
            PopupKind::Messages(m) => m.iter().map(|l| Line::styled(l.clone(), t.fg(Slot::Warn))).collect(),
        };
        let inner_h = area.height.saturating_sub(2) as usize;
        let max_scroll = lines.len().saturating_sub(inner_h);
        let scroll = self.popup.scroll.min(max_scroll);
        let visible: Vec<Line> = lines.into_iter().skip(scroll).take(inner_h).collect();
        Paragraph::new(visible).block(block).render(area, buf);
    }
}
