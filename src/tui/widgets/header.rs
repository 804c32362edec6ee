//! The header: context, cluster, user, scope, connection state, READ-ONLY badge, extra slot.
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Widget};

use crate::config::{Slot, Theme};
use crate::model::{ConnState, Scope};
use crate::tui::state::ClusterData;

pub struct HeaderView<'a> {
    pub data: &'a ClusterData,
    pub theme: &'a Theme,
    pub read_only: bool,
    pub extra: Option<&'a str>,
}

/// Header height in lines.
pub const HEIGHT: u16 = 3;

fn kv<'a>(theme: &Theme, key: &'a str, value: String, style: Style) -> Line<'a> {
    Line::from(vec![Span::styled(format!("{key:<9}"), theme.fg(Slot::Header).add_modifier(Modifier::BOLD)), Span::styled(value, style)])
}

fn or_dash(s: &str) -> String {
    if s.is_empty() { "-".into() } else { s.to_string() }
}

/// Connection text and style: `● live`, `◌ reconnecting: <error>`, `✖ lost: <error>`.
pub fn conn_span(theme: &Theme, conn: &ConnState) -> (String, Style) {
    match conn {
        ConnState::Connecting => ("◌ connecting…".into(), theme.fg(Slot::Warn)),
        ConnState::Live => ("● live".into(), theme.fg(Slot::Ok)),
        ConnState::Reconnecting { last_error } => (format!("◌ reconnecting: {last_error}"), theme.fg(Slot::Warn)),
        ConnState::Lost { last_error } => (format!("✖ lost: {last_error}"), theme.danger()),
    }
}

/// (left, middle, right) columns; the right one grows to fit the extra line (up to half the width).
fn columns(area: Rect, extra: Option<&str>) -> [Rect; 3] {
    let default = Layout::horizontal([Constraint::Percentage(42), Constraint::Percentage(36), Constraint::Fill(1)]).areas(area);
    let Some(extra) = extra else { return default };
    let want = (extra.chars().count() as u16).saturating_add(1).min(area.width / 2);
    if want <= default[2].width {
        return default;
    }
    Layout::horizontal([Constraint::Fill(42), Constraint::Fill(36), Constraint::Length(want)]).areas(area)
}

impl Widget for HeaderView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let t = self.theme;
        let ctx = &self.data.context;
        let [left, mid, right] = columns(area, self.extra);
        let fg = t.fg(Slot::Fg);
        Paragraph::new(vec![
            kv(t, "Context:", or_dash(&ctx.context), fg.add_modifier(Modifier::BOLD)),
            kv(t, "Cluster:", or_dash(&ctx.cluster_url), fg),
            kv(t, "User:", or_dash(&ctx.user), fg),
        ])
        .render(left, buf);
        let scope = match &self.data.scope {
            Scope::All => "all namespaces".to_string(),
            Scope::Namespace(ns) => ns.clone(),
        };
        let (conn, conn_style) = conn_span(t, &self.data.conn);
        let snap = &self.data.snapshot;
        let counts = format!("{} workloads, {} pods", snap.workloads.len(), snap.pods.len());
        Paragraph::new(vec![
            kv(t, "Scope:", scope, t.fg(Slot::Accent)),
            kv(t, "Conn:", conn, conn_style),
            kv(t, "Objects:", counts, t.fg(Slot::Muted)),
        ])
        .render(mid, buf);
        // A long extra (the change clock on a narrow terminal) wraps at its ` · ` separators
        // onto the free first row, or (read-only) in place of the `cabin` mark.
        let extra = self.extra.map(|e| wrap_at_dots(e, usize::from(right.width))).unwrap_or_default();
        let mut lines = Vec::new();
        if self.read_only {
            let badge = t.danger().add_modifier(Modifier::REVERSED);
            lines.push(Line::from(Span::styled(" READ-ONLY ", badge)).right_aligned());
        } else if extra.len() < 2 {
            lines.push(Line::from(""));
        }
        let room = usize::from(HEIGHT).saturating_sub(lines.len());
        lines.extend(extra.into_iter().take(room).map(|l| Line::styled(l, t.fg(Slot::Title)).right_aligned()));
        if lines.len() < usize::from(HEIGHT) {
            lines.push(Line::styled("cabin", t.fg(Slot::Accent).add_modifier(Modifier::BOLD)).right_aligned());
        }
        Paragraph::new(lines).render(right, buf);
    }
}

/// `text` in lines of at most `width` columns, broken at its ` · ` separators (a part wider
/// than `width` stays whole; the paragraph cuts it).
pub fn wrap_at_dots(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for part in text.split(" · ") {
        match lines.last_mut() {
            Some(last) if last.chars().count() + 3 + part.chars().count() <= width => {
                last.push_str(" · ");
                last.push_str(part);
            }
            _ => lines.push(part.to_string()),
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::wrap_at_dots;

    #[test]
    fn long_extra_wraps_at_separators() {
        let t = "CLOSED · next opening Tue 02:00 UTC (in 3h00m)";
        assert_eq!(wrap_at_dots(t, 80), [t]);
        assert_eq!(wrap_at_dots(t, 40), ["CLOSED", "next opening Tue 02:00 UTC (in 3h00m)"]);
        assert_eq!(wrap_at_dots("a · b · c", 5), ["a · b", "c"]);
    }
}
