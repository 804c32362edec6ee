//! The run screen, in the spirit of `kubectl argo rollouts get rollout --watch`: the planned
//! stepper (preflight ✔, lock ✔, backup ◷, canary 1/10, 50 %, 100 %, verify) with ✔ done,
//! ◷ now, ◌ to come, ✖ failed; the live note; the hold's gauge and countdown; the health
//! panel (ready / restarts / warnings over time as sparklines) and the backup's phase; the
//! run's lines; and the keys.
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, Paragraph, Sparkline, Widget, Wrap};

use crate::config::{Slot, Theme};
use crate::model::HealthSample;
use crate::tui::run_update::RunScreenState;

pub struct RunView<'a> {
    pub run: &'a RunScreenState,
    pub theme: &'a Theme,
    pub read_only: bool,
    /// The UI clock (the countdown and the sparklines' time axis).
    pub now: DateTime<Utc>,
}

/// A health row: label, colour, the value it plots, the top of its scale (None: the data's).
type Spark = (String, Slot, fn(&HealthSample) -> u64, Option<u64>);

/// A stepper entry: icon, label, colour.
type Step = (&'static str, String, Slot);

const FAILED: [&str; 4] = ["failed", "rolled-back", "aborted", "refused"];

/// The planned steps with their state; without a plan (a rollback or restore from a
/// workload), the steps seen so far.
fn stepper(run: &RunScreenState) -> Vec<Step> {
    let ended = run.ended();
    let outcome = run.lines.last().map(|l| l.event.as_str()).unwrap_or_default();
    let failed = ended && FAILED.contains(&outcome);
    if run.steps.is_empty() {
        let mut seen: Vec<&str> = Vec::new();
        for l in &run.lines {
            if !seen.contains(&l.step.as_str()) && l.step != "pending" {
                seen.push(&l.step);
            }
        }
        return seen
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let (icon, slot) = match (i + 1 == seen.len(), ended, failed) {
                    (true, true, true) => ("✖", Slot::Danger),
                    (true, false, _) => ("◷", Slot::Warn),
                    _ => ("✔", Slot::Ok),
                };
                (icon, (*s).to_string(), slot)
            })
            .collect();
    }
    let at = run.lines.iter().filter_map(|l| run.steps.iter().position(|s| s.id == l.step)).max();
    let mut out: Vec<Step> = run
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (icon, slot) = match at {
                _ if outcome == "completed" => ("✔", Slot::Ok),
                Some(c) if i < c => ("✔", Slot::Ok),
                Some(c) if i == c && failed => ("✖", Slot::Danger),
                Some(c) if i == c => ("◷", Slot::Warn),
                None if i == 0 && !run.lines.is_empty() => ("✔", Slot::Ok),
                None if i == 0 => ("◷", Slot::Warn),
                None if i == 1 && !run.lines.is_empty() && !failed => ("◷", Slot::Warn),
                _ => ("◌", Slot::Muted),
            };
            (icon, s.label.clone(), slot)
        })
        .collect();
    if run.lines.iter().any(|l| l.step == "rollback") {
        let (icon, slot) = match outcome {
            "rolled-back" | "aborted" => ("✔", Slot::Ok),
            "failed" => ("✖", Slot::Danger),
            _ => ("◷", Slot::Warn),
        };
        out.push((icon, "↩ rollback".into(), slot));
    }
    out
}

/// One value per column over the time since the first sample: the last sample at or before
/// each column's time.
fn series(samples: &[(DateTime<Utc>, HealthSample)], now: DateTime<Utc>, width: usize, f: impl Fn(&HealthSample) -> u64) -> Vec<u64> {
    let Some(&(start, _)) = samples.first() else { return Vec::new() };
    let span = (now - start).num_milliseconds().max(1);
    let mut out = Vec::with_capacity(width);
    let mut next = 0;
    let mut last = 0;
    for col in 0..width {
        let t =
            start + chrono::Duration::milliseconds(span * i64::try_from(col + 1).unwrap_or(i64::MAX) / i64::try_from(width).unwrap_or(1));
        while let Some((_, s)) = samples.get(next).filter(|(ts, _)| *ts <= t) {
            last = f(s);
            next += 1;
        }
        out.push(last);
    }
    out
}

impl RunView<'_> {
    fn gauge(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let Some(h) = self.run.hold.filter(|_| !self.run.ended()) else {
            let text = if self.run.ended() { "no hold: the run ended" } else { "no hold yet" };
            Line::styled(text, t.fg(Slot::Muted)).render(area, buf);
            return;
        };
        let total = (h.until - h.started).num_milliseconds().max(1);
        let done = (self.now - h.started).num_milliseconds().clamp(0, total);
        #[allow(clippy::cast_precision_loss)]
        let ratio = done as f64 / total as f64;
        let paused = if self.run.paused() { " · paused" } else { "" };
        let label = format!(
            "hold {}/{} · {} left of {}{paused}",
            h.index + 1,
            h.total,
            super::changes::countdown(self.now, h.until),
            super::changes::countdown(h.started, h.until)
        );
        Gauge::default().ratio(ratio.clamp(0.0, 1.0)).label(label).gauge_style(t.fg(Slot::Accent)).render(area, buf);
    }

    fn health(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let rows = Layout::vertical([Constraint::Length(1); 4]).split(area);
        let last = self.run.samples.last().map(|(_, s)| *s).unwrap_or_default();
        // The time axis ends now while the run lives, at its end once it ended.
        let latest = self.run.samples.last().map_or(self.now, |(ts, _)| *ts);
        let end = match self.run.lines.last() {
            Some(l) if self.run.ended() => l.ts.max(latest),
            _ => self.now.max(latest),
        };
        let max_ready = self.run.samples.iter().map(|(_, s)| u64::from(s.expected.max(s.ready))).max().unwrap_or(1);
        let lines: [Spark; 3] = [
            (format!("ready {}/{}", last.ready, last.expected), Slot::Ok, |s| u64::from(s.ready), Some(max_ready.max(1))),
            (format!("restarts {}", last.restarts), if last.restarts > 0 { Slot::Warn } else { Slot::Ok }, |s| u64::from(s.restarts), None),
            (
                format!("warnings {}", last.warnings),
                if last.warnings > 0 { Slot::Danger } else { Slot::Ok },
                |s| u64::from(s.warnings),
                None,
            ),
        ];
        for (i, (label, slot, f, max)) in lines.into_iter().enumerate() {
            let [name, spark] = Layout::horizontal([Constraint::Length(16), Constraint::Fill(1)]).areas(rows[i]);
            Line::styled(label, t.fg(slot)).render(name, buf);
            let data = series(&self.run.samples, end, usize::from(spark.width), f);
            let mut s = Sparkline::default().data(&data).style(t.fg(slot));
            if let Some(m) = max {
                s = s.max(m);
            }
            s.render(spark, buf);
        }
        let backup = match &self.run.backup {
            Some(b) => format!("backup {} · {}", b.name, if b.phase.is_empty() { "New" } else { &b.phase }),
            None if self.run.steps.iter().any(|s| s.id == "backup") => "backup: not created yet".into(),
            None => "backup: none (the change asks for no Velero backup)".into(),
        };
        let slot = match self.run.backup.as_ref().map(|b| b.phase.as_str()) {
            Some("Completed") => Slot::Ok,
            Some("PartiallyFailed" | "Failed" | "FailedValidation") => Slot::Danger,
            _ => Slot::Muted,
        };
        Line::styled(backup, t.fg(slot)).render(rows[3], buf);
    }
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
        let [stepper_area, note, gauge, health, lines, keys] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(2),
            Constraint::Length(1),
            Constraint::Length(4),
            Constraint::Fill(1),
            Constraint::Length(1),
        ])
        .areas(inner);
        let ended = self.run.ended();
        let failed = ended && self.run.lines.last().is_some_and(|l| FAILED.contains(&l.event.as_str()));
        let mut spans: Vec<Span> =
            stepper(self.run).into_iter().map(|(icon, label, slot)| Span::styled(format!("{icon} {label}  "), t.fg(slot))).collect();
        if spans.is_empty() {
            spans.push(Span::styled("◌ not started", t.fg(Slot::Muted)));
        }
        Line::from(spans).render(stepper_area, buf);
        let now = self.run.lines.iter().rev().find(|l| l.event != "sample").map(|l| l.note.clone()).unwrap_or_default();
        Paragraph::new(now).wrap(Wrap { trim: true }).style(t.fg(if failed { Slot::Danger } else { Slot::Accent })).render(note, buf);
        self.gauge(gauge, buf);
        self.health(health, buf);
        let shown: Vec<_> = self.run.lines.iter().filter(|l| l.event != "sample").collect();
        let height = usize::from(lines.height);
        let start = shown.len().saturating_sub(height);
        let rows: Vec<Line> = shown[start..]
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
            ":run CHANGE-ID plans a run · R Velero restore (asks) · esc back".to_string()
        } else {
            "P promote · H pause/continue · U rollback · X abort · esc back".to_string()
        };
        Line::styled(help, t.fg(Slot::Muted)).render(keys, buf);
    }
}
