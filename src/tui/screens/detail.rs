//! Drill-in screens: a workload (summary, ReplicaSets, pods) and a pod (summary, containers).
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::Screen;
use super::rows::{self, Row};
use super::table::{POD_WIDTHS, title_with_filter};
use crate::config::{ActionId, Slot, Theme};
use crate::model::{ObjectKey, PodView, WorkloadView};
use crate::tui::state::AppState;
use crate::tui::widgets::table::TableView;

const RS_WIDTHS: [Constraint; 6] =
    [Constraint::Fill(1), Constraint::Length(8), Constraint::Length(7), Constraint::Length(5), Constraint::Fill(1), Constraint::Length(4)];
const CONTAINER_WIDTHS: [Constraint; 5] =
    [Constraint::Length(14), Constraint::Fill(1), Constraint::Length(5), Constraint::Fill(1), Constraint::Length(8)];

/// (summary, replicasets, pods) areas of a workload screen.
pub fn workload_areas(body: Rect, rs_count: usize) -> [Rect; 3] {
    let rs_height = if rs_count == 0 { 0 } else { (rs_count as u16 + 3).min(body.height / 3) };
    Layout::vertical([Constraint::Length(5), Constraint::Length(rs_height), Constraint::Fill(1)]).areas(body)
}

/// (summary, containers) areas of a pod screen.
pub fn pod_areas(body: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Length(6), Constraint::Fill(1)]).areas(body)
}

fn label<'a>(t: &Theme, k: &'a str) -> Span<'a> {
    Span::styled(k, t.fg(Slot::Header).add_modifier(Modifier::BOLD))
}

fn summary_block<'a>(t: &Theme, title: String) -> Block<'a> {
    Block::bordered()
        .border_style(t.fg(Slot::Border))
        .title(Line::styled(format!(" {title} "), t.fg(Slot::Title).add_modifier(Modifier::BOLD)).centered())
}

pub struct WorkloadScreenView<'a> {
    pub state: &'a AppState,
    pub screen: &'a Screen,
    pub key: &'a ObjectKey,
}

impl Widget for WorkloadScreenView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let t = &state.ui.theme;
        let snap = &state.cluster.snapshot;
        let now = state.ui.now;
        let rs: Vec<Row> = snap
            .replicasets
            .iter()
            .filter(|r| r.namespace == self.key.namespace && r.owner.as_deref() == Some(self.key.name.as_str()))
            .map(|r| rows::rs_row(r, now))
            .collect();
        let [summary, rs_area, pods_area] = workload_areas(area, rs.len());
        let w = rows::find_workload(snap, self.key);
        workload_summary(t, self.key, w).render(summary, buf);
        if !rs.is_empty() {
            TableView {
                title: "replicasets".into(),
                headers: &rows::RS_HEADERS,
                widths: &RS_WIDTHS,
                rows: &rs,
                selected: None,
                offset: 0,
                theme: t,
                empty_text: "",
                columns: None,
                total: None,
            }
            .render(rs_area, buf);
        }
        let pods = super::table::window(self.screen, &state.cluster, now, pods_area);
        TableView {
            title: title_with_filter(self.screen, state),
            headers: &rows::POD_HEADERS,
            widths: &POD_WIDTHS,
            rows: &pods.rows,
            selected: Some(pods.selected),
            offset: 0,
            theme: t,
            empty_text: "no pods match this workload's selector",
            columns: super::table::narrow_columns(pods_area, &super::table::POD_NARROW),
            total: Some(pods.total),
        }
        .render(pods_area, buf);
    }
}

fn workload_summary<'a>(t: &Theme, key: &ObjectKey, w: Option<&WorkloadView>) -> Paragraph<'a> {
    let block = summary_block(t, format!("{} {}/{}", key.kind, key.namespace, key.name));
    let Some(w) = w else {
        return Paragraph::new(Line::styled("this workload is gone from the cluster (esc to go back)", t.fg(Slot::Warn))).block(block);
    };
    let (state, tone) = rows::rollout_text(w.rollout);
    let conds: Vec<String> = w.conditions.iter().map(|c| format!("{}={} {}", c.type_, c.status, c.reason)).collect();
    let failing = w.conditions.iter().find(|c| c.reason == "ProgressDeadlineExceeded").map(|c| c.message.clone());
    let mut lines = vec![
        Line::from(vec![
            label(t, "Rollout: "),
            Span::styled(format!("{state} {}", rows::gauge(w.progress(), 20)), crate::tui::widgets::tone_style(t, tone)),
            label(t, "  Revision: "),
            Span::raw(w.revision.clone()),
            label(t, "  Paused: "),
            Span::raw(if w.paused { "yes" } else { "no" }),
        ]),
        Line::from(vec![label(t, "Images:  "), Span::raw(w.images.join(", "))]),
        Line::from(vec![label(t, "Conds:   "), Span::styled(conds.join("  "), t.fg(Slot::Muted))]),
    ];
    if let Some(msg) = failing {
        lines[2] = Line::from(vec![label(t, "Failed:  "), Span::styled(msg, t.danger())]);
    }
    Paragraph::new(lines).block(block).wrap(Wrap { trim: true })
}

pub struct PodScreenView<'a> {
    pub state: &'a AppState,
    pub screen: &'a Screen,
    pub namespace: &'a str,
    pub name: &'a str,
}

impl Widget for PodScreenView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let state = self.state;
        let t = &state.ui.theme;
        let [summary, containers] = pod_areas(area);
        let pod = rows::find_pod(&state.cluster.snapshot, self.namespace, self.name);
        let km = &state.ui.keymap;
        let key = |a: ActionId| km.keys(a).first().map(|k| format!("<{k}>")).unwrap_or_else(|| "(unbound)".into());
        let hint =
            format!("{} YAML   {} logs of the selected container   {} back", key(ActionId::Yaml), key(ActionId::Logs), key(ActionId::Back));
        pod_summary(t, self.namespace, self.name, pod, hint).render(summary, buf);
        let rows = self.screen.visible_rows(&state.cluster, state.ui.now);
        TableView {
            title: title_with_filter(self.screen, state),
            headers: &rows::CONTAINER_HEADERS,
            widths: &CONTAINER_WIDTHS,
            rows: &rows,
            selected: Some(self.screen.list.selected),
            offset: self.screen.list.offset,
            theme: t,
            empty_text: "no containers",
            columns: None,
            total: None,
        }
        .render(containers, buf);
    }
}

fn pod_summary<'a>(t: &Theme, ns: &str, name: &str, pod: Option<&PodView>, hint: String) -> Paragraph<'a> {
    let block = summary_block(t, format!("Pod {ns}/{name}"));
    let Some(p) = pod else {
        return Paragraph::new(Line::styled("this pod is gone from the cluster (esc to go back)", t.fg(Slot::Warn))).block(block);
    };
    let owner = p.owner.as_ref().map(|(k, n)| format!("{k}/{n}")).unwrap_or_else(|| "-".into());
    let labels: Vec<String> = p.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    Paragraph::new(vec![
        Line::from(vec![
            label(t, "Status:   "),
            Span::styled(p.status.clone(), crate::tui::widgets::tone_style(t, rows::pod_tone(p))),
            label(t, "  Ready: "),
            Span::raw(format!("{}/{}", p.ready_containers, p.total_containers)),
            label(t, "  Restarts: "),
            Span::raw(p.restarts.to_string()),
        ]),
        Line::from(vec![label(t, "Node:     "), Span::raw(p.node.clone()), label(t, "  Owner: "), Span::raw(owner)]),
        Line::from(vec![label(t, "Labels:   "), Span::styled(labels.join(" "), t.fg(Slot::Muted))]),
        Line::styled(hint, t.fg(Slot::Muted)),
    ])
    .block(block)
    .wrap(Wrap { trim: true })
}
