//! Full-screen resource lists (`:deploy`, `:sts`, `:pods`, `:events`, `:ns`).
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::widgets::Widget;

use super::rows::{self, Row};
use super::{ListKind, Screen};
use crate::tui::action::SortKey;
use crate::tui::screens::list::visible_offset;
use crate::tui::state::AppState;
use crate::tui::state::ClusterData;
use crate::tui::widgets::table::{NARROW, TableView, data_height};

pub const WORKLOAD_WIDTHS: [Constraint; 10] = [
    Constraint::Length(6),
    Constraint::Length(12),
    Constraint::Fill(2),
    Constraint::Length(5),
    Constraint::Length(10),
    Constraint::Length(9),
    Constraint::Length(15),
    Constraint::Length(6),
    Constraint::Length(11),
    Constraint::Length(4),
];

pub const POD_WIDTHS: [Constraint; 7] = [
    Constraint::Length(12),
    Constraint::Fill(2),
    Constraint::Length(5),
    Constraint::Length(17),
    Constraint::Length(8),
    Constraint::Fill(1),
    Constraint::Length(4),
];

const EVENT_WIDTHS: [Constraint; 7] = [
    Constraint::Length(12),
    Constraint::Length(7),
    Constraint::Length(16),
    Constraint::Length(24),
    Constraint::Fill(1),
    Constraint::Length(5),
    Constraint::Length(9),
];

const NS_WIDTHS: [Constraint; 3] = [Constraint::Fill(1), Constraint::Length(12), Constraint::Length(6)];
const CTX_WIDTHS: [Constraint; 2] = [Constraint::Fill(1), Constraint::Length(8)];

/// Narrow-terminal column sets (indices into the headers).
pub const WORKLOAD_NARROW: [usize; 7] = [0, 1, 2, 3, 6, 8, 9];
pub const POD_NARROW: [usize; 6] = [0, 1, 2, 3, 4, 6];
const EVENT_NARROW: [usize; 4] = [2, 3, 4, 6];

/// The narrow column set when `area` is narrower than [`NARROW`].
pub fn narrow_columns(area: Rect, narrow: &'static [usize]) -> Option<&'static [usize]> {
    (area.width.saturating_sub(2) < NARROW).then_some(narrow)
}

/// Headers and widths of a list kind.
pub fn columns(kind: ListKind) -> (&'static [&'static str], &'static [Constraint]) {
    match kind {
        ListKind::Deployments | ListKind::StatefulSets => (&rows::WORKLOAD_HEADERS, &WORKLOAD_WIDTHS),
        ListKind::Pods => (&rows::POD_HEADERS, &POD_WIDTHS),
        ListKind::Events => (&rows::EVENT_HEADERS, &EVENT_WIDTHS),
        ListKind::Namespaces => (&rows::NS_HEADERS, &NS_WIDTHS),
        ListKind::Contexts => (&rows::CTX_HEADERS, &CTX_WIDTHS),
    }
}

/// Title with the active filter and sort, k9s style: `pods(all)</web> ↑name`.
pub fn title_with_filter(screen: &Screen, state: &AppState) -> String {
    let mut title = screen.title(&state.cluster);
    if let Some(f) = &screen.list.filter {
        title.push_str(&format!("</{}>", f.text));
    }
    if let Some((key, desc)) = screen.list.sort {
        let name = match key {
            SortKey::Name => "name",
            SortKey::Age => "age",
            SortKey::Status => "status",
        };
        title.push_str(&format!(" {}{name}", if desc { "↓" } else { "↑" }));
    }
    title
}

/// The rows a list table drawn in `area` shows: the window that keeps the selection visible.
/// Only these rows are built.
pub struct Window {
    pub rows: Vec<Row>,
    /// The selection's index within `rows`.
    pub selected: usize,
    /// How many rows the list has.
    pub total: usize,
}

pub fn window(screen: &Screen, data: &ClusterData, now: DateTime<Utc>, area: Rect) -> Window {
    let height = data_height(area).max(1);
    let total = screen.visible_len(data, now);
    let selected = screen.list.selected.min(total.saturating_sub(1));
    let first = visible_offset(screen.list.offset, selected, height);
    Window { rows: screen.visible_window(data, now, first, height), selected: selected - first, total }
}

pub struct ListView<'a> {
    pub state: &'a AppState,
    pub screen: &'a Screen,
    pub kind: ListKind,
}

impl Widget for ListView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let w = window(self.screen, &self.state.cluster, self.state.ui.now, area);
        let (headers, widths) = columns(self.kind);
        let narrow: &'static [usize] = match self.kind {
            ListKind::Deployments | ListKind::StatefulSets => &WORKLOAD_NARROW,
            ListKind::Pods => &POD_NARROW,
            ListKind::Events => &EVENT_NARROW,
            ListKind::Namespaces => &[0, 1, 2],
            ListKind::Contexts => &[0, 1],
        };
        TableView {
            title: title_with_filter(self.screen, self.state),
            headers,
            widths,
            rows: &w.rows,
            selected: Some(w.selected),
            offset: 0,
            theme: &self.state.ui.theme,
            empty_text: "nothing here (yet): check the scope (:ns) or the filter (/)",
            columns: narrow_columns(area, narrow),
            total: Some(w.total),
        }
        .render(area, buf);
    }
}
