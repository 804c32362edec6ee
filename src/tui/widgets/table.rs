//! A bordered, virtualised table: only the visible rows are turned into cells.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Modifier;
use ratatui::text::Line;
use ratatui::widgets::{Block, Cell, Paragraph, Row as TRow, Table, Widget};

use super::tone_style;
use crate::config::{Slot, Theme};
use crate::tui::screens::list::visible_offset;
use crate::tui::screens::rows::Row;

pub struct TableView<'a> {
    pub title: String,
    pub headers: &'a [&'a str],
    pub widths: &'a [Constraint],
    pub rows: &'a [Row],
    /// None: no selection bar (a panel that is not focused).
    pub selected: Option<usize>,
    pub offset: usize,
    pub theme: &'a Theme,
    pub empty_text: &'a str,
    /// Column indices to show (narrow terminals); None = all.
    pub columns: Option<&'a [usize]>,
    /// How many rows the table has when `rows` is only the visible window of them (the title
    /// counts them); None: `rows` are all of them.
    pub total: Option<usize>,
}

/// Below this inner width, tables show their narrow column set.
pub const NARROW: u16 = 100;

fn pick<T: Clone>(items: &[T], columns: Option<&[usize]>) -> Vec<T> {
    match columns {
        Some(keep) => keep.iter().filter_map(|i| items.get(*i).cloned()).collect(),
        None => items.to_vec(),
    }
}

/// Rows of data that fit in a table drawn in `area` (borders and header excluded).
pub fn data_height(area: Rect) -> usize {
    area.height.saturating_sub(3) as usize
}

impl Widget for TableView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let theme = self.theme;
        let border = if self.selected.is_some() { Slot::Accent } else { Slot::Border };
        let block = Block::bordered().border_style(theme.fg(border)).title(
            Line::styled(
                format!(" {}[{}] ", self.title, self.total.unwrap_or(self.rows.len())),
                theme.fg(Slot::Title).add_modifier(Modifier::BOLD),
            )
            .centered(),
        );
        let inner = block.inner(area);
        block.render(area, buf);
        let headers = pick(self.headers, self.columns);
        let widths = pick(self.widths, self.columns);
        if self.rows.is_empty() {
            let header = TRow::new(headers.iter().map(|h| Cell::from(*h))).style(theme.fg(Slot::Header).add_modifier(Modifier::BOLD));
            Table::new(Vec::<TRow>::new(), widths).header(header).render(inner, buf);
            let msg = Rect { y: inner.y.saturating_add(1), height: inner.height.saturating_sub(1), ..inner };
            Paragraph::new(self.empty_text).style(theme.fg(Slot::Muted)).centered().render(msg, buf);
            return;
        }
        let height = data_height(area).max(1);
        let selected = self.selected.unwrap_or(0).min(self.rows.len() - 1);
        let offset = visible_offset(self.offset, selected, height);
        let rows = self.rows.iter().enumerate().skip(offset).take(height).map(|(i, r)| {
            let mut style = tone_style(theme, r.tone);
            if self.selected == Some(i) {
                style = style.patch(theme.selected());
            }
            TRow::new(pick(&r.cells, self.columns).into_iter().map(Cell::from)).style(style)
        });
        let header = TRow::new(headers.iter().map(|h| Cell::from(*h))).style(theme.fg(Slot::Header).add_modifier(Modifier::BOLD));
        Table::new(rows, widths).header(header).column_spacing(1).render(inner, buf);
    }
}
