//! The run screen, in the spirit of `kubectl argo rollouts get rollout --watch`: a stepper
//! (lock, backup, each hold, verify) with ✔ done, ◷ now, ◌ to come, ✖ failed; the live note;
//! and the run's lines.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Widget, Wrap};

use crate::config::{Slot, Theme};
use crate::tui::run_update::RunScreenState;

pub struct RunView<'a> {
    pub run: &'a RunScreenState,
    pub theme: &'a Theme,
    pub read_only: bool,
}

/// The steps seen so far, in order, and whether the run failed at the last one.
fn steps(run: &RunScreenState) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for l in &run.lines {
        if !out.contains(&l.step) && !matches!(l.step.as_str(), "pending") {
            out.push(l.step.clone());
        }
    }
    out
}

impl Widget for RunView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let title = match &self.run.change {
            Some(c) => format!(" run {c} "),
            None => " run (start one with :run CHANGE-ID) ".to_string(),
        };
        let block =
            Block::bordered().title(Line::styled(title, t.fg(Slot::Title).add_modifier(Modifier::BOLD))).border_style(t.fg(Slot::Border));
        let inner = block.inner(area);
        block.render(area, buf);
        let [stepper, note, lines, keys] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(2), Constraint::Fill(1), Constraint::Length(1)]).areas(inner);
        let seen = steps(self.run);
        let ended = self.run.ended();
        let failed = self.run.lines.last().is_some_and(|l| matches!(l.event.as_str(), "failed" | "rolled-back" | "aborted" | "refused"));
        let mut spans = Vec::new();
        for (i, s) in seen.iter().enumerate() {
            let last = i + 1 == seen.len();
            let (icon, slot) = match (last, ended, failed) {
                (true, true, true) => ("✖", Slot::Danger),
                (true, false, _) => ("◷", Slot::Warn),
                _ => ("✔", Slot::Ok),
            };
            spans.push(Span::styled(format!("{icon} {s}  "), t.fg(slot)));
        }
        if spans.is_empty() {
            spans.push(Span::styled("◌ not started", t.fg(Slot::Muted)));
        }
        Line::from(spans).render(stepper, buf);
        let now = self.run.lines.last().map(|l| l.note.clone()).unwrap_or_default();
        Paragraph::new(now).wrap(Wrap { trim: true }).style(t.fg(if failed { Slot::Danger } else { Slot::Accent })).render(note, buf);
        let height = usize::from(lines.height);
        let start = self.run.lines.len().saturating_sub(height);
        let rows: Vec<Line> = self.run.lines[start..]
            .iter()
            .map(|l| {
                Line::from(vec![
                    Span::styled(l.ts.format("%H:%M:%S ").to_string(), t.fg(Slot::Muted)),
                    Span::styled(format!("{:<12} {:<15} ", l.step, l.event), t.fg(Slot::Header)),
                    Span::raw(l.note.clone()),
                ])
            })
            .collect();
        Paragraph::new(rows).render(lines, buf);
        let help = if self.read_only {
            "read-only: runs are not available".to_string()
        } else if ended || self.run.lines.is_empty() {
            ":run CHANGE-ID plans a run · esc back".to_string()
        } else {
            "P promote · H pause/continue · U rollback · X abort · esc back".to_string()
        };
        Line::styled(help, t.fg(Slot::Muted)).render(keys, buf);
    }
}
