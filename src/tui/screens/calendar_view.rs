//! Drawing the calendar: a title line, a timeline (one lane per window or freeze, a column
//! per slot of the day, a now-marker) and the agenda with the detail pane. Pure: borrows the
//! state, draws only the visible rows, never reads the clock.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Widget, Wrap};

use super::detail::{detail_lines, source_label};
use super::{AgendaRow, CalItem, CalendarState, ItemSource};
use crate::config::{Slot, Theme};
use crate::domain::windows::agenda::OccurrenceKind;
use crate::domain::windows::format::format_duration;

/// The calendar screen, drawn from borrowed state.
pub struct CalendarView<'a> {
    pub state: &'a CalendarState,
    pub theme: &'a Theme,
}

impl<'a> CalendarView<'a> {
    pub fn new(state: &'a CalendarState, theme: &'a Theme) -> Self {
        CalendarView { state, theme }
    }
}

/// The theme slot of an entry kind: allow = ok, deny = danger, freeze = warn.
pub fn kind_slot(kind: OccurrenceKind) -> Slot {
    match kind {
        OccurrenceKind::Allow => Slot::Ok,
        OccurrenceKind::Deny => Slot::Danger,
        OccurrenceKind::Freeze => Slot::Warn,
        OccurrenceKind::Other => Slot::Muted,
    }
}

fn kind_word(kind: OccurrenceKind) -> &'static str {
    match kind {
        OccurrenceKind::Allow => "allow",
        OccurrenceKind::Deny => "deny",
        OccurrenceKind::Freeze => "freeze",
        OccurrenceKind::Other => "other",
    }
}

impl Widget for CalendarView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let (s, t) = (self.state, self.theme);
        buf.set_style(area, t.base());
        if area.height < 4 || area.width < 20 {
            return;
        }
        let lanes_h = (s.lanes().len() as u16 + 3).min(area.height / 3).max(4);
        let [title, timeline, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Length(lanes_h), Constraint::Min(1)]).areas(area);
        let head = format!(
            " calendar · {} days from {} · now {} UTC · {} ",
            s.days,
            s.start.format("%a %d %b %Y"),
            s.now.format("%a %H:%M"),
            s.target.as_ref().map_or("all targets".to_string(), |a| format!("target {}", a.name))
        );
        buf.set_string(title.x, title.y, head, t.fg(Slot::Title).add_modifier(Modifier::BOLD));
        render_timeline(s, t, timeline, buf);
        let (agenda, detail) = match (s.show_detail, body.width >= 120) {
            (false, _) => (body, None),
            (true, true) => {
                let [a, d] = Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
                (a, Some(d))
            }
            (true, false) => {
                let [a, d] = Layout::vertical([Constraint::Percentage(45), Constraint::Percentage(55)]).areas(body);
                (a, Some(d))
            }
        };
        render_agenda(s, t, agenda, buf);
        if let Some(d) = detail {
            let block = Block::default().borders(Borders::ALL).border_style(t.fg(Slot::Border)).title(" detail ");
            let inner = block.inner(d);
            block.render(d, buf);
            Paragraph::new(detail_lines(s, t)).wrap(Wrap { trim: false }).render(inner, buf);
        }
    }
}

fn lane_spans(items: &[CalItem]) -> BTreeMap<ItemSource, Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    let mut m: BTreeMap<ItemSource, Vec<_>> = BTreeMap::new();
    for i in items {
        if let Some(sp) = i.span {
            m.entry(i.source).or_default().push(sp);
        }
    }
    m
}

fn render_timeline(s: &CalendarState, t: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default().borders(Borders::ALL).border_style(t.fg(Slot::Border)).title(" timeline (UTC) ");
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    let label_w: u16 = if inner.width >= 120 { 24 } else { 16 };
    let cpd = ((inner.width.saturating_sub(label_w + 1)) as u32 / s.days.max(1)).max(1);
    let cells = (cpd * s.days).min(u32::from(inner.width.saturating_sub(label_w + 1)));
    let slot = Duration::seconds(i64::from(86_400 / cpd));
    let from = s.range_from();
    let x0 = inner.x + label_w + 1;
    let now_col = ((s.now - from).num_seconds() >= 0)
        .then(|| ((s.now - from).num_seconds() / slot.num_seconds().max(1)) as u32)
        .filter(|c| *c < cells);
    // Axis.
    buf.set_string(inner.x, inner.y, "day", t.fg(Slot::Muted));
    for d in 0..s.days.min(cells / cpd.max(1)) {
        let day = s.start + Duration::days(i64::from(d));
        let label = if cpd >= 6 { day.format("%a %d").to_string() } else { day.format("%d").to_string() };
        let style = if day == s.cursor { t.fg(Slot::Accent).add_modifier(Modifier::BOLD) } else { t.fg(Slot::Header) };
        let w = (cpd as usize).min(label.len());
        buf.set_string(x0 + (d * cpd) as u16, inner.y, &label[..w], style);
    }
    if let Some(c) = now_col {
        buf.set_string(x0 + c as u16, inner.y, "▼", t.fg(Slot::Accent).add_modifier(Modifier::BOLD));
    }
    let spans = lane_spans(s.items());
    let sel = s.selected_item().map(|i| i.source);
    let rows = usize::from(inner.height - 1);
    let sel_lane = sel.and_then(|x| s.lanes().iter().position(|l| *l == x)).unwrap_or(0);
    let offset = (sel_lane + 1).saturating_sub(rows);
    for (n, lane) in s.lanes().iter().skip(offset).take(rows).enumerate() {
        let y = inner.y + 1 + n as u16;
        let mut label = source_label(s, *lane);
        if label.chars().count() > usize::from(label_w) {
            label = label.chars().take(usize::from(label_w) - 1).collect::<String>() + "…";
        }
        let lstyle = if Some(*lane) == sel { t.selected() } else { t.fg(Slot::Fg) };
        buf.set_string(inner.x, y, label, lstyle);
        let kind = s.items().iter().find(|i| i.source == *lane).map(|i| i.kind);
        let Some(lane_spans) = spans.get(lane) else {
            let invalid = s.items().iter().any(|i| i.source == *lane && i.span.is_none());
            let (text, style) = if invalid { ("invalid: see the detail pane", t.danger()) } else { ("", t.fg(Slot::Muted)) };
            buf.set_stringn(x0, y, text, cells as usize, style);
            draw_empty_cells(buf, x0, y, cells, if invalid { 28 } else { 0 }, now_col, t);
            continue;
        };
        let fill = t.fg(kind_slot(kind.unwrap_or(OccurrenceKind::Other)));
        for c in 0..cells {
            let (a, b) = (from + slot * c as i32, from + slot * (c as i32 + 1));
            let on = lane_spans.iter().any(|(st, en)| *st < b && *en > a);
            let x = x0 + c as u16;
            if on {
                buf.set_string(x, y, "█", fill);
            } else if Some(c) == now_col {
                buf.set_string(x, y, "│", t.fg(Slot::Accent));
            } else {
                buf.set_string(x, y, if c % cpd == 0 { "┊" } else { "·" }, t.fg(Slot::Muted));
            }
        }
    }
}

fn draw_empty_cells(buf: &mut Buffer, x0: u16, y: u16, cells: u32, skip: u32, now_col: Option<u32>, t: &Theme) {
    for c in skip..cells {
        let (sym, st) = if Some(c) == now_col { ("│", t.fg(Slot::Accent)) } else { ("·", t.fg(Slot::Muted)) };
        buf.set_string(x0 + c as u16, y, sym, st);
    }
}

fn render_agenda(s: &CalendarState, t: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default().borders(Borders::ALL).border_style(t.fg(Slot::Border)).title(" agenda ");
    let inner = block.inner(area);
    block.render(area, buf);
    let h = usize::from(inner.height);
    if h == 0 {
        return;
    }
    let rows = s.rows();
    let sel_row = rows.iter().position(|r| *r == AgendaRow::Item(s.selected)).unwrap_or(0);
    let day_row = rows.iter().position(|r| *r == AgendaRow::Day(s.cursor)).unwrap_or(0);
    let max_off = rows.len().saturating_sub(h);
    let mut offset = day_row.min(max_off).min(sel_row);
    if sel_row >= offset + h {
        offset = sel_row + 1 - h;
    }
    for (n, row) in rows.iter().skip(offset).take(h).enumerate() {
        let y = inner.y + n as u16;
        let line = agenda_line(s, t, *row);
        let selected = *row == AgendaRow::Item(s.selected);
        let r = Rect { x: inner.x, y, width: inner.width, height: 1 };
        if selected {
            buf.set_style(r, t.selected());
        }
        buf.set_line(inner.x, y, &line, inner.width);
        if selected {
            buf.set_style(r, Style::default().add_modifier(Modifier::BOLD));
        }
    }
}

fn agenda_line(s: &CalendarState, t: &Theme, row: AgendaRow) -> Line<'static> {
    match row {
        AgendaRow::Problems => Line::styled("Problems", t.danger()),
        AgendaRow::Error(i) => Line::styled(format!("  ! {}", s.feed.errors.get(i).cloned().unwrap_or_default()), t.danger()),
        AgendaRow::Now => Line::styled(format!("  ── now {} UTC ──────────", s.now.format("%H:%M")), t.fg(Slot::Accent).add_modifier(Modifier::BOLD)),
        AgendaRow::Day(d) => {
            let empty = !s.rows().iter().any(|r| matches!(r, AgendaRow::Item(i) if s.item_day(*i) == Some(d)));
            let mark = if d == s.cursor { "▸ " } else { "  " };
            let mut spans = vec![Span::styled(format!("{mark}{}", d.format("%a %d %b")), t.fg(Slot::Header).add_modifier(Modifier::BOLD))];
            if empty {
                spans.push(Span::styled("  · nothing scheduled", t.fg(Slot::Muted)));
            }
            Line::from(spans)
        }
        AgendaRow::Item(i) => match s.items().get(i) {
            Some(item) => item_line(s, t, item),
            None => Line::default(),
        },
    }
}

fn item_line(s: &CalendarState, t: &Theme, item: &CalItem) -> Line<'static> {
    let label = source_label(s, item.source);
    let kslot = t.fg(kind_slot(item.kind));
    let Some((start, end)) = item.span else {
        return Line::from(vec![
            Span::styled("  invalid      ", t.danger()),
            Span::styled(format!("{label}  (select for the validation error)"), t.danger()),
        ]);
    };
    let day = start.max(s.range_from()).date_naive();
    let st = if start.date_naive() == day { start.format("%H:%M").to_string() } else { start.format("%d %b %H:%M").to_string() };
    let en = if end.date_naive() == day { end.format("%H:%M").to_string() } else { end.format("%a %d %H:%M").to_string() };
    let past = end <= s.now;
    let active = start <= s.now && s.now < end;
    let time_style = if past { t.fg(Slot::Muted) } else { t.fg(Slot::Fg) };
    let kind_style = if past { t.fg(Slot::Muted) } else { kslot };
    let mut spans = vec![
        Span::styled(format!("  {st}–{en} "), time_style),
        Span::styled(format!("{:>6} ", format_duration((end - start).num_seconds())), t.fg(Slot::Muted)),
        Span::styled(format!("{:<6} ", kind_word(item.kind)), kind_style.add_modifier(Modifier::BOLD)),
        Span::styled(label, kind_style),
    ];
    if active {
        spans.push(Span::styled(" ◀ now", t.fg(Slot::Accent).add_modifier(Modifier::BOLD)));
    }
    Line::from(spans)
}
