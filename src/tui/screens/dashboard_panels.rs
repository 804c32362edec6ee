//! The dashboard's change-management panels: pending changes (status, risk, window fit,
//! preflight verdict) and the upcoming windows and freezes (next openings and closings with
//! countdowns).
use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span as TextSpan};
use ratatui::widgets::{Block, Paragraph, Widget};

use super::changes::{ChangesState, change_rows, countdown};
use crate::config::{Slot, Theme};
use crate::domain::change::ChangeStatus;
use crate::domain::windows::agenda::{OccurrenceKind, freeze_occurrences, occurrences};
use crate::engine::windows_feed::WindowsFeed;
use crate::tui::widgets::table::TableView;

/// Pending changes: everything not completed or rolled back.
pub struct PendingChangesPanel<'a> {
    pub changes: &'a ChangesState,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
}

impl Widget for PendingChangesPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let done = |s: ChangeStatus| matches!(s, ChangeStatus::Completed | ChangeStatus::RolledBack);
        let rows: Vec<_> = change_rows(self.changes, self.now)
            .into_iter()
            .zip(&self.changes.feed.changes)
            .filter(|(_, e)| !done(e.status.status))
            .map(|(mut r, _)| {
                // ID, STATUS, WINDOW, PREFLIGHT, RISK
                r.cells = [0, 2, 3, 4, 1].iter().filter_map(|i| r.cells.get(*i).cloned()).collect();
                if let Some(risk) = r.cells.get_mut(4)
                    && risk == "medium"
                {
                    *risk = "med".into();
                }
                r
            })
            .collect();
        let empty = if self.changes.received { "no pending changes" } else { "no change feed" };
        let widths = [Constraint::Length(8), Constraint::Fill(1), Constraint::Length(13), Constraint::Length(10), Constraint::Length(4)];
        TableView {
            title: "pending changes".into(),
            headers: &["ID", "STATUS", "WINDOW", "PREFLIGHT", "RISK"],
            widths: &widths,
            rows: &rows,
            selected: None,
            offset: 0,
            theme: self.theme,
            empty_text: empty,
            columns: (area.width < 50).then_some(&[0, 1, 3][..]),
            total: None,
        }
        .render(area, buf);
    }
}

/// One upcoming opening or closing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upcoming {
    /// When it next happens (the start, or the end of what is active now).
    pub at: DateTime<Utc>,
    pub active: bool,
    pub kind: OccurrenceKind,
    pub source: String,
}

/// (start, end, kind, source, window index) of merged occurrences.
type Span = (DateTime<Utc>, DateTime<Utc>, OccurrenceKind, String, usize);

/// The next openings and closings in the coming 7 days, soonest first (windows and freezes).
/// Overlapping occurrences of one window (a `* * * * *` schedule with a 1h duration) are one
/// span: a window that stays open has one closing, not sixty.
pub fn upcoming(feed: &WindowsFeed, now: DateTime<Utc>, max: usize) -> Vec<Upcoming> {
    let from = now - Duration::days(1);
    let mut all = occurrences(&feed.projects, None, from, 8);
    all.extend(freeze_occurrences(&feed.freezes, None, from, 8));
    all.sort_by(|a, b| (&a.source, a.index, a.kind, a.start).cmp(&(&b.source, b.index, b.kind, b.start)));
    let mut spans: Vec<Span> = Vec::new();
    for o in all {
        match spans.last_mut() {
            Some(last) if last.3 == o.source && last.4 == o.index && last.2 == o.kind && o.start <= last.1 => last.1 = last.1.max(o.end),
            _ => spans.push((o.start, o.end, o.kind, o.source, o.index)),
        }
    }
    let mut out: Vec<Upcoming> = spans
        .into_iter()
        .filter(|(_, end, ..)| *end > now)
        .map(|(start, end, kind, source, _)| {
            let active = start <= now;
            Upcoming { at: if active { end } else { start }, active, kind, source }
        })
        .collect();
    out.sort_by(|a, b| (a.at, &a.source).cmp(&(b.at, &b.source)));
    out.dedup();
    out.truncate(max);
    out
}

pub struct UpcomingWindowsPanel<'a> {
    pub windows: &'a WindowsFeed,
    pub theme: &'a Theme,
    pub now: DateTime<Utc>,
}

impl Widget for UpcomingWindowsPanel<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let block = Block::bordered()
            .border_style(t.fg(Slot::Border))
            .title(Line::styled(" windows & freezes ", t.fg(Slot::Title).add_modifier(Modifier::BOLD)).centered());
        let room = usize::from(area.height.saturating_sub(2));
        let mut lines: Vec<Line> = self.windows.errors.iter().take(1).map(|e| Line::styled(format!("! {e}"), t.fg(Slot::Danger))).collect();
        for u in upcoming(self.windows, self.now, room.saturating_sub(lines.len())) {
            let (what, style) = match (u.kind, u.active) {
                (OccurrenceKind::Allow, true) => ("allow closes", t.fg(Slot::Ok)),
                (OccurrenceKind::Allow, false) => ("allow opens", t.fg(Slot::Ok)),
                (OccurrenceKind::Deny, true) => ("deny ends", t.fg(Slot::Warn)),
                (OccurrenceKind::Deny, false) => ("deny starts", t.fg(Slot::Warn)),
                (OccurrenceKind::Freeze, true) => ("freeze ends", t.fg(Slot::Danger)),
                (OccurrenceKind::Freeze, false) => ("freeze starts", t.fg(Slot::Danger)),
                (_, true) => ("window ends", t.fg(Slot::Muted)),
                (_, false) => ("window starts", t.fg(Slot::Muted)),
            };
            lines.push(Line::from(vec![
                TextSpan::styled(format!("{:>7} ", countdown(self.now, u.at)), t.fg(Slot::Fg).add_modifier(Modifier::BOLD)),
                TextSpan::styled(format!("{what:<13} "), style),
                TextSpan::styled(u.source, t.fg(Slot::Muted)),
            ]));
        }
        if lines.is_empty() {
            lines.push(Line::styled("no windows or freezes known", t.fg(Slot::Muted)));
        }
        Paragraph::new(lines).block(block).render(area, buf);
    }
}
