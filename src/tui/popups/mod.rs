//! Popups, a stack over the screens: help, text viewer (YAML, logs), messages.
//! The top popup gets the keys first; `esc` (or `q`) closes it.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Widget};

use crate::config::{ActionId, KeyMap, Slot, Theme};
use crate::model::ObjectKey;
use crate::tui::action::NavMsg;

/// Which answer a text popup waits for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Awaiting {
    Nothing,
    Yaml(ObjectKey),
    Logs { namespace: String, pod: String, container: Option<String> },
}

#[derive(Debug, Clone, PartialEq)]
pub enum PopupKind {
    Help,
    /// YAML or logs: `body` is None until the engine answers.
    Text {
        awaiting: Awaiting,
        body: Option<String>,
    },
    /// Config warnings, errors that need reading.
    Messages(Vec<String>),
    /// "Do this?": the exact plan, `y` sends `on_yes`, `n`/esc closes.
    Confirm {
        body: String,
        on_yes: crate::model::Command,
    },
}

#[derive(Debug, Clone, PartialEq)]
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
pub const COMMANDS: [(&str, &str); 12] = [
    (":dash", "dashboard (workloads, pods, warnings, budgets, pending changes, windows)"),
    (":deploy", "deployments"),
    (":sts", "statefulsets"),
    (":pods", "pods"),
    (":events", "events"),
    (":ns [NAME|all]", "namespaces, or switch the scope"),
    (":ctx [NAME]", "kube contexts (enter switches) / switch to NAME"),
    (":journal [k=v]", "audit journal; filters change= actor= kind= outcome="),
    (":cal [DAY|all]", "windows of the selected workload (a: all); DAY: 12-24, +3, fri"),
    (":changes", "change requests: plans, live preflight (j/k select, pgup/pgdn scroll)"),
    (":help", "this help"),
    (":q", "quit"),
];

/// Help lines from the active key map (read-only hides mutating actions).
pub fn help_lines<'a>(keymap: &KeyMap, read_only: bool, theme: &Theme) -> Vec<Line<'a>> {
    let key_style = theme.fg(Slot::Accent).add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled("KEYS", theme.fg(Slot::Title).add_modifier(Modifier::BOLD))];
    for (action, keys) in keymap.visible(read_only) {
        let keys: Vec<String> = keys.iter().map(|k| format!("<{k}>")).collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{:<18}", keys.join(" ")), key_style),
            Span::raw(action.description().to_string()),
        ]));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("COMMANDS", theme.fg(Slot::Title).add_modifier(Modifier::BOLD)));
    for (cmd, what) in COMMANDS {
        lines.push(Line::from(vec![Span::styled(format!("{cmd:<18}"), key_style), Span::raw(what)]));
    }
    if read_only {
        // First, so it is seen even when the help is longer than the popup.
        lines.insert(0, Line::styled("READ-ONLY: actions that change the cluster are hidden", theme.danger()));
        lines.insert(1, Line::raw(""));
    }
    lines
}

/// ` esc close · j/k scroll ` from the active key map.
fn footer_hint(keymap: &KeyMap) -> String {
    let first = |a: ActionId| keymap.keys(a).first().map(ToString::to_string).unwrap_or_else(|| "-".into());
    format!(" {} close · {}/{} scroll ", first(ActionId::Back), first(ActionId::Down), first(ActionId::Up))
}

/// Where a popup is drawn inside `area`.
pub fn popup_area(area: Rect) -> Rect {
    // Small terminals: use (almost) all of it; large ones: 80 %.
    let w = if area.width < 120 { area.width.saturating_sub(2) } else { area.width * 4 / 5 };
    let h = if area.height < 30 { area.height } else { area.height * 4 / 5 };
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
            .title_bottom(Line::styled(footer_hint(self.keymap), t.fg(Slot::Muted)).centered());
        let inner_h = area.height.saturating_sub(2) as usize;
        let window = |total: usize| self.popup.scroll.min(total.saturating_sub(inner_h));
        let visible: Vec<Line> = match &self.popup.kind {
            // Long logs: only the visible lines become `Line`s.
            PopupKind::Text { body: Some(b), .. } => {
                let scroll = window(b.lines().count());
                b.lines().skip(scroll).take(inner_h).map(|l| Line::raw(l.to_string())).collect()
            }
            other => {
                let lines: Vec<Line> = match other {
                    PopupKind::Help => help_lines(self.keymap, self.read_only, t),
                    PopupKind::Messages(m) => m.iter().map(|l| Line::styled(l.clone(), t.fg(Slot::Warn))).collect(),
                    PopupKind::Text { .. } => vec![Line::styled("loading…", t.fg(Slot::Muted))],
                    PopupKind::Confirm { body, .. } => {
                        let mut l: Vec<Line> = body.lines().map(|x| Line::raw(x.to_string())).collect();
                        l.push(Line::raw(""));
                        l.push(Line::styled("y: yes, send it · n / esc: no, send nothing", t.fg(Slot::Warn).add_modifier(Modifier::BOLD)));
                        l
                    }
                };
                let scroll = window(lines.len());
                lines.into_iter().skip(scroll).take(inner_h).collect()
            }
        };
        Paragraph::new(visible).block(block).render(area, buf);
    }
}
