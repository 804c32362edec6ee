//! The detail pane of the calendar: what the selected window or freeze is, in words and as
//! source YAML, when it next applies, what it applies to, and whether it is valid.

use chrono::{DateTime, Utc};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

use super::{CalendarState, ItemSource};
use crate::config::{Slot, Theme};
use crate::domain::windows::SyncWindow;
use crate::domain::windows::agenda::next_occurrences;
use crate::domain::windows::format::schedule_in_words;
use crate::domain::windows::freeze::{Freeze, FreezePeriod};
use crate::domain::windows::validate::{validate_window, validate_windows};

type Lines = Vec<Line<'static>>;

/// The title of an entry: `production/allow#0`, `freeze black-friday`.
pub fn source_label(state: &CalendarState, source: ItemSource) -> String {
    match source {
        ItemSource::Window { project, index } => {
            let p = state.feed.projects.get(project);
            let kind = p.and_then(|p| p.windows.get(index)).map_or("?", |w| w.kind.as_str());
            format!("{}/{kind}#{index}", p.map_or("?", |p| p.project.as_str()))
        }
        ItemSource::Freeze(i) => format!("freeze {}", state.feed.freezes.get(i).map_or("?", |f| f.name.as_str())),
    }
}

/// The lines of the detail pane for the selected entry (empty when nothing is selected).
pub fn detail_lines(state: &CalendarState, theme: &Theme) -> Lines {
    let Some(item) = state.selected_item() else {
        return vec![Line::styled("No window or freeze in this range.", theme.fg(Slot::Muted))];
    };
    let title = Line::styled(source_label(state, item.source), theme.fg(Slot::Title).add_modifier(Modifier::BOLD));
    let mut out = vec![title];
    match item.source {
        ItemSource::Window { project, index } => {
            let Some(p) = state.feed.projects.get(project) else { return out };
            let Some(w) = p.windows.get(index) else { return out };
            let origin = state.feed.origins.get(&p.project).cloned().unwrap_or_default();
            let ctx = Ctx { now: state.now, range_to: state.range_to(), active_end: active_end(state, item.source) };
            window_lines(&mut out, &ctx, w, &p.windows, &origin, theme);
        }
        ItemSource::Freeze(i) => {
            if let Some(f) = state.feed.freezes.get(i) {
                let ctx = Ctx { now: state.now, range_to: state.range_to(), active_end: active_end(state, item.source) };
                freeze_lines(&mut out, &ctx, f, theme);
            }
        }
    }
    out
}

/// What the detail pane needs to know besides the window.
struct Ctx {
    now: DateTime<Utc>,
    range_to: DateTime<Utc>,
    /// End of the merged interval of this entry that contains `now`.
    active_end: Option<DateTime<Utc>>,
}

fn active_end(state: &CalendarState, source: ItemSource) -> Option<DateTime<Utc>> {
    state
        .items()
        .iter()
        .filter(|i| i.source == source)
        .find_map(|i| i.span.filter(|(s, e)| *s <= state.now && state.now < *e).map(|(_, e)| e))
}

fn field(out: &mut Lines, theme: &Theme, name: &str, value: String) {
    out.push(Line::from(vec![Span::styled(format!("{name:<9} "), theme.fg(Slot::Muted)), Span::styled(value, theme.fg(Slot::Fg))]));
}

fn list(v: &[String]) -> String {
    if v.is_empty() { "—".to_string() } else { v.join(", ") }
}

fn span_text(s: DateTime<Utc>, e: DateTime<Utc>) -> String {
    let end = if s.date_naive() == e.date_naive() { e.format("%H:%M") } else { e.format("%a %d %b %H:%M") };
    format!("{}–{end} UTC", s.format("%a %d %b %H:%M"))
}

fn next_lines(out: &mut Lines, theme: &Theme, spans: &[(DateTime<Utc>, DateTime<Utc>)]) {
    if spans.is_empty() {
        field(out, theme, "Next", "none within the search horizon".into());
    }
    for (n, (s, e)) in spans.iter().enumerate() {
        field(out, theme, if n == 0 { "Next" } else { "" }, span_text(*s, *e));
    }
}

fn validity(out: &mut Lines, theme: &Theme, error: Option<String>) {
    match error {
        None => out.push(Line::from(vec![
            Span::styled(format!("{:<9} ", "Valid"), theme.fg(Slot::Muted)),
            Span::styled("✓ valid", theme.fg(Slot::Ok)),
        ])),
        Some(e) => out.push(Line::from(vec![
            Span::styled(format!("{:<9} ", "Invalid"), theme.fg(Slot::Muted)),
            Span::styled(format!("✗ {e}"), theme.danger()),
        ])),
    }
}

fn yaml_lines(out: &mut Lines, theme: &Theme, heading: String, map: yaml_serde::Mapping) {
    out.push(Line::styled(heading, theme.fg(Slot::Muted)));
    let text = yaml_serde::to_string(&yaml_serde::Value::Mapping(map)).unwrap_or_default();
    out.extend(text.lines().map(|l| Line::styled(format!("  {l}"), theme.fg(Slot::Accent))));
}

fn put<V: Into<yaml_serde::Value>>(m: &mut yaml_serde::Mapping, key: &str, v: V) {
    m.insert(yaml_serde::Value::String(key.to_string()), v.into());
}

fn put_list(m: &mut yaml_serde::Mapping, key: &str, v: &[String]) {
    if !v.is_empty() {
        let seq: Vec<yaml_serde::Value> = v.iter().map(|s| yaml_serde::Value::String(s.clone())).collect();
        put(m, key, yaml_serde::Value::Sequence(seq));
    }
}

/// The window as it would appear in `spec.syncWindows` (empty fields left out).
pub fn window_yaml(w: &SyncWindow) -> yaml_serde::Mapping {
    let mut m = yaml_serde::Mapping::new();
    for (k, v) in [("kind", &w.kind), ("schedule", &w.schedule), ("duration", &w.duration), ("timeZone", &w.time_zone)] {
        if !v.is_empty() {
            put(&mut m, k, v.as_str());
        }
    }
    put_list(&mut m, "applications", &w.applications);
    put_list(&mut m, "namespaces", &w.namespaces);
    put_list(&mut m, "clusters", &w.clusters);
    for (k, v) in [("manualSync", w.manual_sync), ("andOperator", w.and_operator), ("syncOverrun", w.sync_overrun)] {
        if v {
            put(&mut m, k, true);
        }
    }
    if !w.description.is_empty() {
        put(&mut m, "description", w.description.as_str());
    }
    m
}

fn window_error(w: &SyncWindow, all: &[SyncWindow]) -> Option<String> {
    if let Err(e) = validate_window(w) {
        return Some(e.to_string());
    }
    if w.applications.is_empty() && w.namespaces.is_empty() && w.clusters.is_empty() {
        return Some(format!("window '{}':'{}':'{}' requires one of application, cluster or namespace", w.kind, w.schedule, w.duration));
    }
    validate_windows(all).err().map(|e| format!("project: {e}"))
}

fn window_lines(out: &mut Lines, ctx: &Ctx, w: &SyncWindow, all: &[SyncWindow], origin: &str, theme: &Theme) {
    if !w.description.is_empty() {
        out.push(Line::styled(w.description.clone(), theme.fg(Slot::Fg)));
    }
    let state = match (w.compile(), ctx.active_end) {
        (Err(_), _) => format!("{} · cannot be evaluated", w.kind),
        (Ok(_), Some(e)) if e >= ctx.range_to => format!("{} · active now, beyond the calendar's range", w.kind),
        (Ok(_), Some(e)) => format!("{} · active now, until {}", w.kind, e.format("%a %d %b %H:%M UTC")),
        (Ok(_), None) => format!("{} · inactive now", w.kind),
    };
    field(out, theme, "State", state);
    field(out, theme, "Schedule", schedule_in_words(w));
    let join = if w.and_operator { "all listed must match" } else { "any listed matches" };
    field(
        out,
        theme,
        "Applies",
        format!("apps {} · namespaces {} · clusters {} ({join})", list(&w.applications), list(&w.namespaces), list(&w.clusters)),
    );
    let yn = |b: bool| if b { "yes" } else { "no" };
    field(out, theme, "Options", format!("manualSync: {} · syncOverrun: {}", yn(w.manual_sync), yn(w.sync_overrun)));
    validity(out, theme, window_error(w, all));
    let next = next_occurrences(w, ctx.now, 5).unwrap_or_default();
    if next.windows(2).any(|p| p[1].0 < p[0].1) {
        field(out, theme, "Next", "firings overlap: active continuously".into());
    } else {
        next_lines(out, theme, &next);
    }
    let from = if origin.is_empty() { String::new() } else { format!(" ({origin})") };
    yaml_lines(out, theme, format!("Source{from}"), window_yaml(w));
}

fn freeze_next(f: &Freeze, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    match f.period() {
        Ok(FreezePeriod::Absolute { start, end }) if end > now => vec![(start, end)],
        Ok(FreezePeriod::Recurring(c)) => {
            let dur = chrono::Duration::nanoseconds(c.duration_ns.max(0));
            let mut out = Vec::new();
            let mut cursor = now;
            while out.len() < 5 {
                let Some(s) = c.next_start(cursor) else { break };
                out.push((s, s + dur));
                cursor = s;
            }
            out
        }
        _ => Vec::new(),
    }
}

fn freeze_lines(out: &mut Lines, ctx: &Ctx, f: &Freeze, theme: &Theme) {
    if !f.description.is_empty() {
        out.push(Line::styled(f.description.clone(), theme.fg(Slot::Fg)));
    }
    let state = match ctx.active_end {
        Some(e) if e >= ctx.range_to => "in effect now, beyond the calendar's range".to_string(),
        Some(e) => format!("in effect now, until {}", e.format("%a %d %b %H:%M UTC")),
        None => "not in effect now".to_string(),
    };
    field(out, theme, "State", state);
    let period = match (&f.schedule, &f.duration) {
        (Some(s), Some(d)) => {
            let w = SyncWindow { schedule: s.clone(), duration: d.clone(), time_zone: f.time_zone.clone(), ..SyncWindow::default() };
            schedule_in_words(&w)
        }
        _ => format!("{} → {} {}", f.start.clone().unwrap_or_default(), f.end.clone().unwrap_or_default(), f.time_zone),
    };
    field(out, theme, "Period", period.trim_end().to_string());
    let everything = f.scope.applications.is_empty() && f.scope.namespaces.is_empty() && f.scope.clusters.is_empty();
    if everything {
        field(out, theme, "Covers", "every target".into());
    } else {
        field(out, theme, "Apps", list(&f.scope.applications));
        field(out, theme, "Spaces", list(&f.scope.namespaces));
        field(out, theme, "Clusters", list(&f.scope.clusters));
    }
    let hints = f.exception_hints();
    field(out, theme, "Passes", if hints.is_empty() { "nothing".into() } else { hints.join(", ") });
    validity(out, theme, f.period().err().map(|e| e.to_string()));
    next_lines(out, theme, &freeze_next(f, ctx.now));
    let mut m = yaml_serde::Mapping::new();
    put(&mut m, "name", f.name.as_str());
    for (k, v) in [("start", &f.start), ("end", &f.end), ("schedule", &f.schedule), ("duration", &f.duration)] {
        if let Some(v) = v {
            put(&mut m, k, v.as_str());
        }
    }
    if !f.time_zone.is_empty() {
        put(&mut m, "timeZone", f.time_zone.as_str());
    }
    yaml_lines(out, theme, "Source (freezes file)".into(), m);
}
