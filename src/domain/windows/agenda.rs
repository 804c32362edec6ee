//! Calendar view-model: occurrences of allow/deny windows in a range, next occurrences of a
//! window, the schedule in words, and a plain-text agenda (used by `cabin windows list`).

use super::format::{format_duration, schedule_in_words};
use super::window::{AppTarget, CompiledWindow, SyncWindow, WindowError};
use chrono::{DateTime, Duration, Utc};
use std::fmt::Write as _;

/// A half-open interval `[start, end)` in UTC.
pub type Interval = (DateTime<Utc>, DateTime<Utc>);

/// The windows of one project (from a file or the cluster).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectWindows {
    pub project: String,
    pub windows: Vec<SyncWindow>,
    /// From cabin's own windows file (for workloads no Argo CD Application manages), not an
    /// Argo CD AppProject.
    pub own: bool,
}

/// What an interval on the calendar is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OccurrenceKind {
    Allow,
    Deny,
    Freeze,
    Other,
}

/// One interval on the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    pub kind: OccurrenceKind,
    /// Project name (or freeze name for freezes).
    pub source: String,
    /// Window index in the project (0 for freezes).
    pub index: usize,
    pub label: String,
}

const MAX_STEPS: usize = 20_000;

/// Active intervals of a window overlapping `[from, to)`, overlapping firings merged.
pub fn window_intervals(w: &SyncWindow, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Interval>, WindowError> {
    Ok(compiled_intervals(&w.compile()?, from, to))
}

/// Active intervals of a compiled window overlapping `[from, to)`, overlaps merged.
pub fn compiled_intervals(c: &CompiledWindow, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let dur = Duration::nanoseconds(c.duration_ns);
    let mut out: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::new();
    if c.duration_ns <= 0 {
        return out;
    }
    let mut cursor = from - dur - Duration::seconds(1);
    for _ in 0..MAX_STEPS {
        let Some(start) = c.next_start(cursor) else { break };
        if start >= to {
            break;
        }
        let end = start + dur;
        match out.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ if end > from => out.push((start, end)),
            _ => {}
        }
        cursor = start;
    }
    out
}

/// The next `n` occurrences (start, end) of a window starting after `after`.
pub fn next_occurrences(w: &SyncWindow, after: DateTime<Utc>, n: usize) -> Result<Vec<Interval>, WindowError> {
    let c = w.compile()?;
    let dur = Duration::nanoseconds(c.duration_ns.max(0));
    let mut out = Vec::with_capacity(n);
    let mut cursor = after;
    while out.len() < n {
        let Some(start) = c.next_start(cursor) else { break };
        out.push((start, start + dur));
        cursor = start;
    }
    Ok(out)
}

fn kind_of(w: &SyncWindow) -> OccurrenceKind {
    match w.kind.as_str() {
        "allow" => OccurrenceKind::Allow,
        "deny" => OccurrenceKind::Deny,
        _ => OccurrenceKind::Other,
    }
}

/// All window occurrences in `[from, from + days)`, for `target` (`None` = every window),
/// sorted by start, then kind, project and index. Windows that fail to parse are skipped.
pub fn occurrences(projects: &[ProjectWindows], target: Option<&AppTarget>, from: DateTime<Utc>, days: u32) -> Vec<Occurrence> {
    let to = from + Duration::days(i64::from(days));
    let mut out = Vec::new();
    for p in projects {
        for (index, w) in p.windows.iter().enumerate() {
            if target.is_some_and(|t| !w.matches(t)) {
                continue;
            }
            for (start, end) in window_intervals(w, from, to).unwrap_or_default() {
                out.push(Occurrence { start, end, kind: kind_of(w), source: p.project.clone(), index, label: schedule_in_words(w) });
            }
        }
    }
    out.sort_by(|a, b| (a.start, a.kind, &a.source, a.index).cmp(&(b.start, b.kind, &b.source, b.index)));
    out
}

/// Plain-text agenda for `days` days from `now` (UTC).
pub fn render_agenda(projects: &[ProjectWindows], now: DateTime<Utc>, days: u32) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "Sync windows from {} for {days} day(s), times in UTC", now.format("%a %Y-%m-%d %H:%M"));
    for p in projects {
        for (i, w) in p.windows.iter().enumerate() {
            let state = match w.active_at(now) {
                Ok(true) => "Active".to_string(),
                Ok(false) => "Inactive".to_string(),
                Err(e) => format!("Invalid: {e}"),
            };
            let _ = writeln!(s, "  {}[{i}] {} {} — {}", p.project, w.kind, schedule_in_words(w), state);
        }
    }
    let occ = occurrences(projects, None, now, days);
    let mut day = String::new();
    for o in &occ {
        let d = o.start.max(now).format("%a %Y-%m-%d").to_string();
        if d != day {
            let _ = writeln!(s, "\n{d}");
            day = d;
        }
        let len = format_duration((o.end - o.start).num_seconds());
        let marker = if o.start <= now && now < o.end { " ◀ now" } else { "" };
        let _ = writeln!(
            s,
            "  {}–{} ({len}) {:?} {}[{}]{marker}",
            o.start.format("%H:%M"),
            o.end.format("%m-%d %H:%M"),
            o.kind,
            o.source,
            o.index
        );
    }
    if occ.is_empty() {
        let _ = writeln!(s, "\n  (no window occurrences in range)");
    }
    s
}

/// Freeze intervals in `[from, from + days)` covering `target` (`None` = every freeze),
/// as calendar occurrences (kind `Freeze`, source = freeze name). Invalid freezes are skipped.
pub fn freeze_occurrences(
    freezes: &[super::freeze::Freeze],
    target: Option<&AppTarget>,
    from: DateTime<Utc>,
    days: u32,
) -> Vec<Occurrence> {
    let to = from + Duration::days(i64::from(days));
    let mut out = Vec::new();
    for f in freezes.iter().filter(|f| target.is_none_or(|t| f.covers(t))) {
        let Ok(period) = f.period() else { continue };
        for (start, end) in period.intervals(from, to) {
            let label = if f.description.is_empty() { f.name.clone() } else { f.description.clone() };
            out.push(Occurrence { start, end, kind: OccurrenceKind::Freeze, source: f.name.clone(), index: 0, label });
        }
    }
    out.sort_by(|a, b| (a.start, &a.source).cmp(&(b.start, &b.source)));
    out
}

/// Window and freeze occurrences together, sorted by start then kind.
pub fn calendar(
    projects: &[ProjectWindows],
    freezes: &[super::freeze::Freeze],
    target: Option<&AppTarget>,
    from: DateTime<Utc>,
    days: u32,
) -> Vec<Occurrence> {
    let mut all = occurrences(projects, target, from, days);
    all.extend(freeze_occurrences(freezes, target, from, days));
    all.sort_by(|a, b| (a.start, a.kind, &a.source, a.index).cmp(&(b.start, b.kind, &b.source, b.index)));
    all
}
