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
            s.target.as_ref().map_or("all targets".to_string(), |a| format!("target {}", a.label))
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

type Spans = Vec<(DateTime<Utc>, DateTime<Utc>)>;

fn lane_spans(items: &[CalItem]) -> BTreeMap<ItemSource, Spans> {
    let mut m: BTreeMap<ItemSource, Vec<_>> = BTreeMap::new();
    for i in items {
        if let Some(sp) = i.span {
            m.entry(i.source).or_default().push(sp);
        }
    }
    m
}

/// Where the timeline's cells are and what each covers.
struct Grid {
    x0: u16,
    cells: u32,
    /// Cells per day.
    cpd: u32,
    slot: Duration,
    from: DateTime<Utc>,
    now_col: Option<u32>,
}

impl Grid {
    fn new(s: &CalendarState, inner: Rect, label_w: u16) -> Grid {
        let room = u32::from(inner.width.saturating_sub(label_w + 1));
        let cpd = (room / s.days.max(1)).max(1);
        let cells = (cpd * s.days).min(room);
        let slot = Duration::seconds(i64::from(86_400 / cpd));
        let from = s.range_from();
        let since = (s.now - from).num_seconds();
        let now_col = (since >= 0).then(|| (since / slot.num_seconds().max(1)) as u32).filter(|c| *c < cells);
        Grid { x0: inner.x + label_w + 1, cells, cpd, slot, from, now_col }
    }
}

fn render_timeline(s: &CalendarState, t: &Theme, area: Rect, buf: &mut Buffer) {
    let block = Block::default().borders(Borders::ALL).border_style(t.fg(Slot::Border)).title(" timeline (UTC) ");
    let inner = block.inner(area);
    block.render(area, buf);
    if inner.height == 0 || inner.width < 10 {
        return;
    }
    let label_w: u16 = if inner.width >= 120 { 24 } else { 16 };
    let g = Grid::new(s, inner, label_w);
    buf.set_string(inner.x, inner.y, "day", t.fg(Slot::Muted));
    for d in 0..s.days.min(g.cells / g.cpd) {
        let day = s.start + Duration::days(i64::from(d));
        let label = if g.cpd >= 6 { day.format("%a %d").to_string() } else { day.format("%d").to_string() };
        let style = if day == s.cursor { t.fg(Slot::Accent).add_modifier(Modifier::BOLD) } else { t.fg(Slot::Header) };
        buf.set_stringn(g.x0 + (d * g.cpd) as u16, inner.y, &label, g.cpd as usize, style);
    }
    if let Some(c) = g.now_col {
        // On the top border, so it never hides a day label.
        buf.set_string(g.x0 + c as u16, area.y, "▼", t.fg(Slot::Accent).add_modifier(Modifier::BOLD));
    }
    let spans = lane_spans(s.items());
    let sel = s.selected_item().map(|i| i.source);
    let rows = usize::from(inner.height - 1);
    let sel_lane = sel.and_then(|x| s.lanes().iter().position(|l| *l == x)).unwrap_or(0);
    let offset = (sel_lane + 1).saturating_sub(rows);
    for (n, lane) in s.lanes().iter().skip(offset).take(rows).enumerate() {
        let y = inner.y + 1 + n as u16;
        let lstyle = if Some(*lane) == sel { t.selected() } else { t.fg(Slot::Fg) };
        buf.set_string(inner.x, y, short_label(s, *lane, usize::from(label_w)), lstyle);
        draw_lane(s, t, &g, *lane, spans.get(lane), y, buf);
    }
}

fn draw_lane(s: &CalendarState, t: &Theme, g: &Grid, lane: ItemSource, spans: Option<&Spans>, y: u16, buf: &mut Buffer) {
    let Some(spans) = spans else {
        let invalid = s.items().iter().any(|i| i.source == lane && i.span.is_none());
        if invalid {
            buf.set_stringn(g.x0, y, "invalid: see the detail pane", g.cells as usize, t.danger());
        }
        draw_empty_cells(buf, g, y, if invalid { 28 } else { 0 }, t);
        return;
    };
    let kind = s.items().iter().find(|i| i.source == lane).map_or(OccurrenceKind::Other, |i| i.kind);
    let fill = t.fg(kind_slot(kind));
    for c in 0..g.cells {
        let (a, b) = (g.from + g.slot * c as i32, g.from + g.slot * (c as i32 + 1));
        let x = g.x0 + c as u16;
        if spans.iter().any(|(st, en)| *st < b && *en > a) {
            buf.set_string(x, y, "█", fill);
        } else if Some(c) == g.now_col {
            buf.set_string(x, y, "│", t.fg(Slot::Accent));
        } else {
            buf.set_string(x, y, if c % g.cpd == 0 { "┊" } else { "·" }, t.fg(Slot::Muted));
        }
    }
}

/// The lane label in `width` columns, keeping the `/kind#index` end of window labels.
fn short_label(s: &CalendarState, lane: ItemSource, width: usize) -> String {
    let full = source_label(s, lane);
    if full.chars().count() <= width {
        return full;
    }
    let (head, tail) = match (lane, full.rfind('/')) {
        (ItemSource::Window { .. }, Some(i)) => full.split_at(i),
        _ => (full.as_str(), ""),
    };
    let keep = width.saturating_sub(tail.chars().count() + 1);
    format!("{}…{tail}", head.chars().take(keep).collect::<String>())
}

fn draw_empty_cells(buf: &mut Buffer, g: &Grid, y: u16, skip: u32, t: &Theme) {
    for c in skip..g.cells {
        let (sym, st) = if Some(c) == g.now_col { ("│", t.fg(Slot::Accent)) } else { ("·", t.fg(Slot::Muted)) };
        buf.set_string(g.x0 + c as u16, y, sym, st);
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
        AgendaRow::Now => {
            Line::styled(format!("  ── now {} UTC ──────────", s.now.format("%H:%M")), t.fg(Slot::Accent).add_modifier(Modifier::BOLD))
        }
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
    let st = if start.date_naive() == day { start.format("%H:%M").to_string() } else { start.format("%a %d %H:%M").to_string() };
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
