//! The changes screen: the list of change requests and, for the selected one, its ticket,
//! risk, approvals, what will change (current → new image per container), the rollout plan,
//! the backup and rollback plans and the live preflight checklist with evidence.
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use super::changes::{CHANGE_HEADERS, ChangesState, change_rows, countdown, window_fit};
use super::rows::Tone;
use crate::config::{Slot, Theme};
use crate::domain::change::duration::format_go_duration;
use crate::domain::change::{Check, CheckStatus, backup_name};
use crate::engine::cab::{backup_command, next_slot, restore_command, rollback_steps};
use crate::engine::changes_feed::ChangeEntry;
use crate::tui::widgets::table::TableView;

const WIDTHS: [Constraint; 6] = [
    Constraint::Length(10),
    Constraint::Length(6),
    Constraint::Length(18),
    Constraint::Length(16),
    Constraint::Length(12),
    Constraint::Fill(1),
];

/// (list, detail) areas: side by side when wide, stacked when narrow.
pub fn areas(body: Rect) -> [Rect; 2] {
    if body.width >= 140 {
        Layout::horizontal([Constraint::Percentage(45), Constraint::Fill(1)]).areas(body)
    } else {
        Layout::vertical([Constraint::Length(8), Constraint::Fill(1)]).areas(body)
    }
}

pub struct ChangesScreenView<'a> {
    pub state: &'a ChangesState,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
}

impl Widget for ChangesScreenView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [list, detail] = areas(area);
        let rows = change_rows(self.state, self.now);
        let empty = if self.state.received { format!("no change requests ({})", self.state.feed.source) } else { "loading…".into() };
        let columns: Option<&[usize]> = match list.width {
            78.. => None,
            66..78 => Some(&[0, 1, 2, 3, 4]),
            _ => Some(&[0, 2, 3, 4]),
        };
        TableView {
            title: "changes".into(),
            headers: &CHANGE_HEADERS,
            widths: &WIDTHS,
            rows: &rows,
            selected: Some(self.state.selected),
            offset: self.state.selected.saturating_sub(usize::from(list.height.saturating_sub(4))),
            theme: self.theme,
            empty_text: &empty,
            columns,
            total: None,
        }
        .render(list, buf);
        let t = self.theme;
        let title = self.state.selected().map_or(" change ".to_string(), |e| format!(" {} ", e.change.id));
        let block =
            Block::bordered().border_style(t.fg(Slot::Border)).title(Line::styled(title, t.fg(Slot::Title).add_modifier(Modifier::BOLD)));
        let mut lines = match self.state.selected() {
            Some(e) => detail_lines(e, t, self.now, self.state.feed.checking),
            None => vec![Line::styled("select a change request", t.fg(Slot::Muted))],
        };
        for inv in &self.state.feed.invalid {
            lines.push(Line::styled(
                format!("invalid: {}", inv.messages.first().map_or(inv.file.as_str(), String::as_str)),
                t.fg(Slot::Danger),
            ));
        }
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).scroll((self.state.scroll, 0)).render(detail, buf);
    }
}

fn heading(text: &str, t: &Theme) -> Line<'static> {
    Line::styled(text.to_string(), t.fg(Slot::Header).add_modifier(Modifier::BOLD))
}

fn field(name: &str, value: String, style: Style, t: &Theme) -> Line<'static> {
    Line::from(vec![Span::styled(format!("{name:<10}"), t.fg(Slot::Muted)), Span::styled(value, style)])
}

fn tone_style(tone: Tone, t: &Theme) -> Style {
    match tone {
        Tone::Ok => t.fg(Slot::Ok),
        Tone::Warn => t.fg(Slot::Warn),
        Tone::Danger => t.fg(Slot::Danger),
        Tone::Muted => t.fg(Slot::Muted),
        Tone::Normal => t.fg(Slot::Fg),
    }
}

/// Every line of one change's detail.
pub fn detail_lines(e: &ChangeEntry, t: &Theme, now: DateTime<Utc>, checking: bool) -> Vec<Line<'static>> {
    let c = &e.change;
    let fg = t.fg(Slot::Fg);
    let mut out = vec![Line::styled(c.title.clone(), fg.add_modifier(Modifier::BOLD))];
    out.push(field("ticket", c.ticket.clone().unwrap_or_else(|| "(none)".into()), fg, t));
    let risk_style = match c.risk {
        crate::domain::change::Risk::High => t.fg(Slot::Danger),
        crate::domain::change::Risk::Medium => t.fg(Slot::Warn),
        crate::domain::change::Risk::Low => t.fg(Slot::Ok),
    };
    let emergency = if c.emergency { " · emergency" } else { "" };
    out.push(field("risk", format!("{}{emergency}", c.risk.as_str()), risk_style, t));
    out.push(field("status", format!("{} — {}", e.status.status.as_str(), e.status.rule), fg, t));
    let approvals = &e.approval;
    let a_style = if approvals.met { t.fg(Slot::Ok) } else { t.fg(Slot::Danger) };
    out.push(field(
        "approvals",
        format!("{}/{} ({}) by author {}", approvals.counted.len(), approvals.required, c.approved_by.join(", "), c.author),
        a_style,
        t,
    ));
    if let Some(slot) = &c.window {
        out.push(field("slot", slot.text.clone(), fg, t));
    }
    if let Some(run) = &e.preflight {
        let (fit, tone) = window_fit(&run.window, now);
        out.push(field("window", format!("{fit} — next: {}", next_slot(&run.window, now)), tone_style(tone, t), t));
    }
    what_changes(e, t, &mut out);
    rollout(e, t, &mut out);
    backup_and_rollback(e, t, now, &mut out);
    preflight(e, t, now, checking, &mut out);
    out
}

fn what_changes(e: &ChangeEntry, t: &Theme, out: &mut Vec<Line<'static>>) {
    out.push(heading("WHAT CHANGES", t));
    for target in &e.change.targets {
        out.push(Line::styled(format!("  {}", target.workload), t.fg(Slot::Fg)));
        let plan = e.preflight.as_ref().and_then(|p| p.targets.iter().find(|x| x.target == target.workload));
        for (name, image) in &target.images {
            let current = plan.and_then(|p| p.containers.iter().find(|c| &c.container == name)).and_then(|c| c.current.clone());
            out.push(Line::from(vec![
                Span::styled(format!("    {name}: "), t.fg(Slot::Muted)),
                Span::styled(current.unwrap_or_else(|| "?".into()), t.fg(Slot::Fg)),
                Span::styled(" → ", t.fg(Slot::Muted)),
                Span::styled(image.clone(), t.fg(Slot::Accent)),
            ]));
        }
    }
}

fn rollout(e: &ChangeEntry, t: &Theme, out: &mut Vec<Line<'static>>) {
    out.push(heading("ROLLOUT PLAN", t));
    let Some(run) = &e.preflight else {
        let steps: Vec<String> = e.change.rollout.steps.iter().map(ToString::to_string).collect();
        out.push(Line::styled(format!("  steps: {}", steps.join(" → ")), t.fg(Slot::Fg)));
        return;
    };
    for p in &run.targets {
        match &p.plan {
            Ok(plan) => {
                let surge = plan
                    .max_surge
                    .map_or(String::new(), |s| format!(", maxSurge {s}, maxUnavailable {}", plan.max_unavailable.unwrap_or(0)));
                out.push(Line::styled(format!("  {} ({} replicas{surge})", p.target, plan.replicas), t.fg(Slot::Fg)));
                for (i, h) in plan.holds.iter().enumerate() {
                    let part = h.partition.map_or(String::new(), |x| format!(", partition {x}"));
                    let text = format!("    {}. {} updated / {} old{part}, hold {}", i + 1, h.updated, h.old, format_go_duration(h.hold));
                    out.push(Line::styled(text, t.fg(Slot::Fg)));
                }
            }
            Err(err) => out.push(Line::styled(format!("  {}: no plan ({err})", p.target), t.fg(Slot::Danger))),
        }
    }
}

fn backup_and_rollback(e: &ChangeEntry, t: &Theme, now: DateTime<Utc>, out: &mut Vec<Line<'static>>) {
    let c = &e.change;
    let name = backup_name(&c.id, now);
    out.push(heading("BACKUP PLAN", t));
    match backup_command(c, &name) {
        Some(cmd) => out.push(Line::styled(format!("  {cmd}"), t.fg(Slot::Fg))),
        None => out.push(Line::styled("  no pre-change backup (spec.backup is absent)", t.fg(Slot::Warn))),
    }
    out.push(heading("ROLLBACK PLAN", t));
    if let Some(run) = &e.preflight {
        for s in rollback_steps(&run.targets) {
            let images: Vec<String> = s.returns_to.iter().map(|(c, i)| format!("{c}={i}")).collect();
            out.push(Line::styled(format!("  {} returns to {}", s.target, images.join(", ")), t.fg(Slot::Fg)));
            out.push(Line::styled(format!("    {}", s.command), t.fg(Slot::Muted)));
        }
    }
    if let Some(cmd) = restore_command(c, &name) {
        out.push(Line::styled(format!("  {cmd}"), t.fg(Slot::Muted)));
    }
}

fn check_line(ch: &Check, t: &Theme) -> Line<'static> {
    let (mark, style) = match (ch.status, ch.waived.is_some()) {
        (CheckStatus::Pass, _) => ("✔", t.fg(Slot::Ok)),
        (CheckStatus::Warn, _) => ("⚠", t.fg(Slot::Warn)),
        (CheckStatus::Fail, true) => ("≈", t.fg(Slot::Warn)),
        (CheckStatus::Fail, false) => ("✖", t.fg(Slot::Danger)),
        (CheckStatus::Skipped, _) => ("◌", t.fg(Slot::Muted)),
    };
    Line::from(vec![
        Span::styled(format!("  {mark} "), style),
        Span::styled(format!("{:<17}", ch.id.as_str()), style),
        Span::styled(ch.summary.clone(), t.fg(Slot::Fg)),
    ])
}

fn preflight(e: &ChangeEntry, t: &Theme, now: DateTime<Utc>, checking: bool, out: &mut Vec<Line<'static>>) {
    let Some(run) = &e.preflight else {
        out.push(heading(if checking { "PREFLIGHT  checking…" } else { "PREFLIGHT  not run" }, t));
        return;
    };
    let verdict = if run.preflight.ok { "ok" } else { "BLOCKED" };
    out.push(heading(&format!("PREFLIGHT  {verdict} (checked {} ago)", countdown(run.at, now)), t));
    for ch in &run.preflight.checks {
        out.push(check_line(ch, t));
        let evidence = serde_json::to_string(&ch.evidence).unwrap_or_default();
        let short: String = evidence.chars().take(400).collect();
        out.push(Line::styled(format!("      {short}"), t.fg(Slot::Muted)));
    }
}
