//! The dashboard: workloads (focused) over the selected workload's pods, recent Warning
//! events, and the PDB / quota headroom of the selected namespace.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::Screen;
use super::dashboard_panels::{PendingChangesPanel, UpcomingWindowsPanel};
use super::rows::{self, Row, Target};
use super::table::{POD_WIDTHS, WORKLOAD_NARROW, WORKLOAD_WIDTHS, narrow_columns, title_with_filter, window};
use crate::config::{Slot, Theme};
use crate::model::{ClusterSnapshot, Scope};
use crate::tui::state::AppState;
use crate::tui::widgets::table::TableView;

/// (workloads, pods, events, budget, pending changes, windows) areas of the dashboard body.
pub fn areas(body: Rect) -> [Rect; 6] {
    if body.width < 120 {
        let [top, mid, bottom] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(30), Constraint::Fill(1)]).areas(body);
        let [pods, changes] = Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(mid);
        let [events, budget, windows] =
            Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(30), Constraint::Fill(1)]).areas(bottom);
        return [top, pods, events, budget, changes, windows];
    }
    let [top, bottom] = Layout::vertical([Constraint::Percentage(50), Constraint::Fill(1)]).areas(body);
    let [workloads, side] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(56)]).areas(top);
    let [changes, windows] = Layout::vertical([Constraint::Fill(1), Constraint::Length(7)]).areas(side);
    let [pods, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Fill(1)]).areas(bottom);
    let [events, budget] = Layout::vertical([Constraint::Fill(1), Constraint::Length(6)]).areas(right);
    [workloads, pods, events, budget, changes, windows]
}

pub struct DashboardView<'a> {
    pub state: &'a AppState,
    pub screen: &'a Screen,
}

impl Widget for DashboardView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let now = state.ui.now;
        let theme = &state.ui.theme;
        let [top, pods_area, events_area, budget_area, changes_area, windows_area] = areas(area);
        let w = window(self.screen, &state.cluster, now, top);
        TableView {
            title: title_with_filter(self.screen, state),
            headers: &rows::WORKLOAD_HEADERS,
            widths: &WORKLOAD_WIDTHS,
            rows: &w.rows,
            selected: Some(w.selected),
            offset: 0,
            theme,
            empty_text: "no workloads in scope",
            columns: narrow_columns(top, &WORKLOAD_NARROW),
            total: Some(w.total),
        }
        .render(top, buf);
        let snap = &state.cluster.snapshot;
        let selected = w.rows.get(w.selected).map(|r| r.target.clone());
        let (pod_title, pod_rows) = selected_pods(snap, selected.as_ref(), now);
        TableView {
            title: pod_title,
            headers: &rows::POD_HEADERS[1..],
            widths: &POD_WIDTHS[1..],
            rows: &pod_rows,
            selected: None,
            offset: 0,
            theme,
            empty_text: "no pods",
            columns: narrow_columns(pods_area, &[0, 1, 2, 3, 5]),
            total: None,
        }
        .render(pods_area, buf);
        let events = warning_rows(state);
        TableView {
            title: "warnings".into(),
            headers: &["REASON", "OBJECT", "MESSAGE", "AGE"],
            widths: &[Constraint::Length(14), Constraint::Length(18), Constraint::Fill(1), Constraint::Length(4)],
            rows: &events,
            selected: None,
            offset: 0,
            theme,
            empty_text: "no warnings",
            columns: (events_area.width < 50).then_some(&[0, 1, 3][..]),
            total: None,
        }
        .render(events_area, buf);
        let ns = match (&state.cluster.scope, selected) {
            (_, Some(Target::Workload(k))) => Some(k.namespace),
            (Scope::Namespace(ns), _) => Some(ns.clone()),
            _ => None,
        };
        BudgetView { snap, namespace: ns.as_deref(), theme }.render(budget_area, buf);
        PendingChangesPanel { changes: &state.changes, theme, now }.render(changes_area, buf);
        UpcomingWindowsPanel { windows: &state.windows, theme, now }.render(windows_area, buf);
    }
}

/// Recent Warning events in scope, as (reason, object, message, age) rows.
fn warning_rows(state: &AppState) -> Vec<Row> {
    state
        .cluster
        .snapshot
        .events
        .iter()
        .filter(|e| e.type_ == "Warning" && state.cluster.in_scope(&e.namespace))
        .take(state.ui.max_events)
        .map(|e| rows::event_row(e, state.ui.now))
        .map(|mut r| {
            r.cells = [2, 3, 4, 6].iter().filter_map(|i| r.cells.get(*i).cloned()).collect();
            r
        })
        .collect()
}

fn selected_pods(snap: &ClusterSnapshot, target: Option<&Target>, now: chrono::DateTime<chrono::Utc>) -> (String, Vec<Row>) {
    let Some(Target::Workload(key)) = target else { return ("pods".into(), Vec::new()) };
    let Some(w) = rows::find_workload(snap, key) else { return ("pods".into(), Vec::new()) };
    let rows = rows::pods_of(snap, w).map(|p| rows::pod_row(p, now)).map(|mut r| {
        r.cells.remove(0);
        r
    });
    (format!("pods({}/{})", w.namespace, w.name), rows.collect())
}

/// PDBs and quota headroom of one namespace.
struct BudgetView<'a> {
    snap: &'a ClusterSnapshot,
    namespace: Option<&'a str>,
    theme: &'a Theme,
}

impl Widget for BudgetView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let title = match self.namespace {
            Some(ns) => format!(" budgets({ns}) "),
            None => " budgets ".to_string(),
        };
        let block = Block::bordered()
            .border_style(t.fg(Slot::Border))
            .title(Line::styled(title, t.fg(Slot::Title).add_modifier(Modifier::BOLD)).centered());
        let mut lines = Vec::new();
        if let Some(ns) = self.namespace {
            for p in self.snap.pdbs.iter().filter(|p| p.namespace == ns) {
                let style = if p.disruptions_allowed > 0 { t.fg(Slot::Ok) } else { t.fg(Slot::Warn) };
                lines.push(Line::from(vec![
                    Span::styled(format!("pdb {} ", p.name), t.fg(Slot::Fg)),
                    Span::styled(format!("healthy {}/{} allowed {}", p.current_healthy, p.desired_healthy, p.disruptions_allowed), style),
                ]));
            }
            for q in self.snap.quotas.iter().filter(|q| q.namespace == ns) {
                let used: Vec<String> = q.resources.iter().map(|(r, u, h)| format!("{r} {u}/{h}")).collect();
                lines.push(Line::from(vec![
                    Span::styled(format!("quota {} ", q.name), t.fg(Slot::Fg)),
                    Span::styled(used.join("  "), t.fg(Slot::Muted)),
                ]));
            }
        }
        if lines.is_empty() {
            let text = if self.namespace.is_some() { "no PDB or quota" } else { "select a workload" };
            lines.push(Line::styled(text, t.fg(Slot::Muted)));
        }
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
