//! The journal screen: verification line, a virtualised timeline, and the selected entry's detail.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row as TRow, Table, Widget, Wrap};

use super::journal::{JournalState, describe};
use super::journal_detail::{self as jd, HEADERS, NARROW};
use super::list::visible_offset;
use crate::config::{ActionId, KeyMap, Slot, Theme};
use crate::journal::Entry;
use crate::tui::widgets::table::data_height;
use crate::tui::widgets::tone_style;

/// Side-by-side timeline and detail from this body width on (else the detail is below).
const WIDE: u16 = 200;

/// (verification line, timeline, detail) areas of the journal screen body.
pub fn areas(body: Rect) -> [Rect; 3] {
    let [status, rest] = Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(body);
    let [timeline, detail] = if body.width >= WIDE {
        Layout::horizontal([Constraint::Percentage(60), Constraint::Fill(1)]).areas(rest)
    } else {
        let detail_h = (rest.height * 2 / 5).max(5).min(rest.height);
        Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_h)]).areas(rest)
    };
    [status, timeline, detail]
}

/// Rows of the timeline that fit in the body (for paging and following the tail).
pub fn page(body: Rect) -> usize {
    data_height(areas(body)[1]).max(1)
}

pub struct JournalScreenView<'a> {
    pub journal: &'a JournalState,
    pub theme: &'a Theme,
    pub keymap: &'a KeyMap,
}

impl Widget for JournalScreenView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let [status, timeline, detail] = areas(area);
        self.status_line(status, buf);
        self.timeline(timeline, buf);
        DetailView { entry: self.journal.selected_entry(), theme: self.theme, keymap: self.keymap }.render(detail, buf);
    }
}

impl JournalScreenView<'_> {
    fn status_line(&self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let (text, broken) = jd::status_text(self.journal.status.as_ref());
        let style = match broken {
            Some(true) => t.danger(),
            Some(false) => t.fg(Slot::Ok).add_modifier(Modifier::BOLD),
            None => t.fg(Slot::Muted),
        };
        let key = |a: ActionId| self.keymap.keys(a).first().map(|k| format!("<{k}>")).unwrap_or_else(|| "-".into());
        let follow = if self.journal.at_tail() {
            Span::styled("● following the tail", t.fg(Slot::Accent))
        } else {
            Span::styled(format!("{} follows the tail", key(ActionId::Bottom)), t.fg(Slot::Muted))
        };
        // The verification state has priority: the follow hint only shows when both fit.
        let (text_w, follow_w) = (text.chars().count() as u16, follow.width() as u16);
        let hint_w = if text_w + follow_w + 2 <= area.width { follow_w } else { 0 };
        let [left, right] = Layout::horizontal([Constraint::Fill(1), Constraint::Length(hint_w)]).areas(area);
        Paragraph::new(Line::styled(text, style)).render(left, buf);
        Paragraph::new(Line::from(follow).right_aligned()).render(right, buf);
    }

    fn timeline(&self, area: Rect, buf: &mut Buffer) {
        let (t, j) = (self.theme, self.journal);
        let filter = describe(&j.filter);
        let title = format!(" journal[{}/{}]{}{filter} ", j.visible.len(), j.entries.len(), if filter.is_empty() { "" } else { " " });
        let key = |a: ActionId| self.keymap.keys(a).first().map(ToString::to_string).unwrap_or_else(|| "-".into());
        let hint = format!(" {} search · :journal change= actor= kind= outcome= ", key(ActionId::Filter));
        let block = Block::bordered()
            .border_style(t.fg(Slot::Accent))
            .title(Line::styled(title, t.fg(Slot::Title).add_modifier(Modifier::BOLD)).centered())
            .title_bottom(Line::styled(hint, t.fg(Slot::Muted)).centered());
        let inner = block.inner(area);
        block.render(area, buf);
        let narrow = inner.width < 100;
        let keep: Vec<usize> = if narrow { NARROW.to_vec() } else { (0..HEADERS.len()).collect() };
        let seq_width = j.entries.last().map_or(3, |e| e.seq.to_string().len().max(3)) as u16;
        let widths = widths(narrow, seq_width);
        let header_style = t.fg(Slot::Header).add_modifier(Modifier::BOLD);
        let header = TRow::new(keep.iter().filter_map(|i| HEADERS.get(*i).map(|h| Cell::from(*h)))).style(header_style);
        if j.visible.is_empty() {
            Table::new(Vec::<TRow>::new(), widths).header(header).render(inner, buf);
            let msg = if j.entries.is_empty() {
                "no journal entries (yet)"
            } else {
                "no entries match the filter (esc clears the search, :journal clears all)"
            };
            let at = Rect { y: inner.y.saturating_add(1), height: inner.height.saturating_sub(1), ..inner };
            Paragraph::new(msg).style(t.fg(Slot::Muted)).centered().render(at, buf);
            return;
        }
        let height = data_height(area).max(1);
        let selected = j.list.selected.min(j.visible.len() - 1);
        let offset = visible_offset(j.list.offset, selected, height);
        // Only the visible rows become cells.
        let rows = (offset..(offset + height).min(j.visible.len())).filter_map(|row| {
            let e = j.row(row)?;
            Some(timeline_row(e, &keep, narrow, row == selected, t))
        });
        Table::new(rows, widths).header(header).column_spacing(1).render(inner, buf);
    }
}

fn widths(narrow: bool, seq: u16) -> Vec<Constraint> {
    use Constraint::{Fill, Length};
    if narrow {
        vec![Length(seq), Length(11), Length(10), Length(16), Length(9), Fill(1)]
    } else {
        vec![Length(seq), Length(19), Length(20), Length(10), Length(17), Length(9), Fill(1)]
    }
}

fn timeline_row<'a>(e: &Entry, keep: &[usize], narrow: bool, selected: bool, t: &Theme) -> TRow<'a> {
    let cells = jd::cells(e, narrow);
    let mut style = tone_style(t, jd::tone(e));
    if selected {
        style = style.patch(t.selected());
    }
    TRow::new(keep.iter().filter_map(|i| cells.get(*i).cloned()).map(Cell::from)).style(style)
}

/// The detail pane of the selected entry.
struct DetailView<'a> {
    entry: Option<&'a Entry>,
    theme: &'a Theme,
    keymap: &'a KeyMap,
}

impl Widget for DetailView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let key = |a: ActionId| self.keymap.keys(a).first().map(|k| format!("<{k}>")).unwrap_or_else(|| "-".into());
        let title = self.entry.map_or_else(|| " entry ".to_string(), |e| format!(" entry seq {} ", e.seq));
        let block = Block::bordered()
            .border_style(t.fg(Slot::Border))
            .title(Line::styled(title, t.fg(Slot::Title).add_modifier(Modifier::BOLD)).centered())
            .title_bottom(Line::styled(format!(" {} full entry ", key(ActionId::Enter)), t.fg(Slot::Muted)).centered());
        let Some(e) = self.entry else {
            Paragraph::new(Line::styled("nothing selected", t.fg(Slot::Muted))).block(block).render(area, buf);
            return;
        };
        let label_style = t.fg(Slot::Header).add_modifier(Modifier::BOLD);
        let field = |label: &str, value: String, style: Style| -> Vec<Line<'static>> {
            value
                .lines()
                .enumerate()
                .map(|(i, v)| {
                    let l = if i == 0 { label } else { "" };
                    Line::from(vec![Span::styled(format!("{l:<9}"), label_style), Span::styled(v.to_string(), style)])
                })
                .collect()
        };
        let all = jd::fields(e);
        let get = |name: &str| all.iter().find(|(l, _)| *l == name).map(|(_, v)| v.clone()).unwrap_or_default();
        let mut lines = vec![Line::from(vec![
            Span::styled(format!("#{} ", e.seq), label_style),
            Span::styled(format!("{}  ", get("time")), t.fg(Slot::Fg)),
            Span::styled(format!("{}  ", get("kind")), t.fg(Slot::Fg).add_modifier(Modifier::BOLD)),
            Span::styled(format!("{}  ", get("outcome")), tone_style(t, jd::tone(e))),
            Span::styled(get("change"), t.fg(Slot::Accent)),
        ])];
        lines.extend(field("actor", get("actor"), t.fg(Slot::Fg)));
        lines.extend(field("cluster", get("cluster"), t.fg(Slot::Fg)));
        lines.extend(field("targets", get("targets"), t.fg(Slot::Fg)));
        lines.extend(field("chain", format!("prev {} → hash {}", get("prev"), get("hash")), t.fg(Slot::Muted)));
        lines.extend(field("details", get("details"), t.fg(Slot::Fg)));
        Paragraph::new(lines).block(block).wrap(Wrap { trim: false }).render(area, buf);
    }
}
