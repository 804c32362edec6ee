//! The root view: header, the current screen, status line, command bar, popups on top.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::widgets::{Block, Widget};

use super::popups::PopupView;
use super::screens::ScreenKind;
use super::screens::calendar::CalendarView;
use super::screens::changes_view::{self, ChangesScreenView};
use super::screens::dashboard::DashboardView;
use super::screens::detail::{PodScreenView, WorkloadScreenView};
use super::screens::journal_view::{self, JournalScreenView};
use super::screens::table::ListView;
use super::state::AppState;
use super::widgets::footer::{CommandBar, StatusLine};
use super::widgets::header::{self, HeaderView};

/// (header, body, status line, command bar).
pub fn layout(area: Rect) -> [Rect; 4] {
    Layout::vertical([Constraint::Length(header::HEIGHT), Constraint::Fill(1), Constraint::Length(1), Constraint::Length(1)]).areas(area)
}

pub struct AppView<'a> {
    pub state: &'a AppState,
}

impl Widget for AppView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let s = self.state;
        let t = &s.ui.theme;
        Block::new().style(t.base()).render(area, buf);
        let [head, body, status, bar] = layout(area);
        HeaderView { data: &s.cluster, theme: t, read_only: s.read_only(), extra: s.ui.header_extra.as_deref() }.render(head, buf);
        let screen = s.screen();
        match &screen.kind {
            ScreenKind::Dashboard => DashboardView { state: s, screen }.render(body, buf),
            ScreenKind::List(kind) => ListView { state: s, screen, kind: *kind }.render(body, buf),
            ScreenKind::Workload(key) => WorkloadScreenView { state: s, screen, key }.render(body, buf),
            ScreenKind::Pod { namespace, name } => PodScreenView { state: s, screen, namespace, name }.render(body, buf),
            ScreenKind::Journal => JournalScreenView { journal: &s.journal, theme: t, keymap: &s.ui.keymap }.render(body, buf),
            ScreenKind::Calendar => CalendarView::new(&s.calendar, t).render(body, buf),
            ScreenKind::Run => {
                super::screens::run::RunView { run: &s.run, theme: t, read_only: s.read_only(), now: s.ui.now }.render(body, buf)
            }
            ScreenKind::Changes => ChangesScreenView { state: &s.changes, theme: t, now: s.ui.now }.render(body, buf),
        }
        let crumbs = s.screens.iter().map(|sc| sc.title(&s.cluster)).collect();
        StatusLine { prompt: s.prompt.as_ref(), message: s.status.as_ref(), crumbs, theme: t }.render(status, buf);
        CommandBar { keymap: &s.ui.keymap, read_only: s.read_only(), theme: t }.render(bar, buf);
        for popup in &s.popups {
            PopupView { popup, keymap: &s.ui.keymap, read_only: s.read_only(), theme: t }.render(body, buf);
        }
    }
}

/// The main (selectable) table's area of the current screen, for paging and mouse clicks.
pub fn main_table_area(state: &AppState, area: Rect) -> Rect {
    let [_, body, _, _] = layout(area);
    match &state.screen().kind {
        ScreenKind::Dashboard => super::screens::dashboard::areas(body)[0],
        ScreenKind::List(_) | ScreenKind::Calendar | ScreenKind::Run => body,
        ScreenKind::Workload(key) => {
            let n = state
                .cluster
                .snapshot
                .replicasets
                .iter()
                .filter(|r| r.namespace == key.namespace && r.owner.as_deref() == Some(key.name.as_str()))
                .count();
            super::screens::detail::workload_areas(body, n)[2]
        }
        ScreenKind::Pod { .. } => super::screens::detail::pod_areas(body)[1],
        ScreenKind::Journal => journal_view::areas(body)[1],
        ScreenKind::Changes => changes_view::areas(body)[0],
    }
}
