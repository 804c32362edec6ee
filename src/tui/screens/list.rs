//! A list's own state: selection, scroll offset, filter, sort. Shared by every table screen.
use regex::Regex;

use super::rows::{Row, SortKeys, Target};
use crate::tui::action::{NavMsg, SortKey};

/// `/` filter: a regex over the row's text; a leading `!` keeps the rows that do NOT match.
/// Smart case: a pattern without capitals ignores case.
#[derive(Debug, Clone)]
pub struct Filter {
    pub text: String,
    regex: Regex,
    invert: bool,
    ignore_case: bool,
}

impl Filter {
    /// Parse the user's filter text. Errors are the regex error, for the status line.
    pub fn parse(text: &str) -> Result<Filter, String> {
        let (invert, pattern) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let regex = Regex::new(pattern)
            .map_err(|e| format!("invalid filter /{text}: {}", e.to_string().lines().last().unwrap_or("bad regex").trim()))?;
        let ignore_case = !pattern.chars().any(char::is_uppercase);
        Ok(Filter { text: text.to_string(), regex, invert, ignore_case })
    }

    pub fn keeps(&self, row: &Row) -> bool {
        let hit = row.cells.iter().any(|c| if self.ignore_case { self.regex.is_match(&c.to_lowercase()) } else { self.regex.is_match(c) });
        hit != self.invert
    }
}

/// A list screen's own messages.
#[derive(Debug, Clone)]
pub enum ListMsg {
    /// Move within `len` rows, `page` rows per page.
    Nav {
        msg: NavMsg,
        len: usize,
        page: usize,
    },
    Sort(SortKey),
    /// Set (Some) or clear (None) the filter; the selection goes back to the top.
    Filter(Option<Filter>),
    /// The rows changed (new snapshot, scope): keep the selection within `len`.
    Clamp(usize),
    /// Back to the first row.
    Reset,
}

#[derive(Debug, Clone, Default)]
pub struct ListState {
    pub selected: usize,
    pub offset: usize,
    pub filter: Option<Filter>,
    /// (key, descending)
    pub sort: Option<(SortKey, bool)>,
    /// The selected object's identity: when rows come and go (a rollout adds and removes
    /// pods), the selection follows the object, never the row index.
    pub anchor: Option<Target>,
}

impl ListState {
    pub fn update(&mut self, msg: ListMsg) {
        match msg {
            ListMsg::Nav { msg, len, page } => self.nav(msg, len, page),
            ListMsg::Sort(key) => self.toggle_sort(key),
            ListMsg::Filter(f) => {
                self.filter = f;
                self.selected = 0;
                self.offset = 0;
            }
            ListMsg::Clamp(len) => self.clamp(len),
            ListMsg::Reset => {
                self.selected = 0;
                self.offset = 0;
                self.anchor = None;
            }
        }
    }

    /// Filter and sort `rows` as this list shows them.
    pub fn apply(&self, mut rows: Vec<Row>) -> Vec<Row> {
        if let Some(f) = &self.filter {
            rows.retain(|r| f.keeps(r));
        }
        if let Some(sort) = self.sort {
            rows.sort_by(|a, b| compare(sort, &row_keys(a), &row_keys(b)));
        }
        rows
    }

    /// Sorting by the same key again flips the direction.
    pub fn toggle_sort(&mut self, key: SortKey) {
        self.sort = match self.sort {
            Some((k, desc)) if k == key => Some((key, !desc)),
            _ => Some((key, false)),
        };
    }

    /// Move the selection within `len` rows, `page` rows per page, and keep it visible.
    pub fn nav(&mut self, msg: NavMsg, len: usize, page: usize) {
        let last = len.saturating_sub(1);
        let page = page.max(1);
        self.selected = match msg {
            NavMsg::Up => self.selected.saturating_sub(1),
            NavMsg::Down => (self.selected + 1).min(last),
            NavMsg::Top => 0,
            NavMsg::Bottom => last,
            NavMsg::PageUp => self.selected.saturating_sub(page),
            NavMsg::PageDown => (self.selected + page).min(last),
            NavMsg::Select(i) => i.min(last),
        };
        self.offset = visible_offset(self.offset, self.selected, page);
    }

    /// Clamp after the rows changed (new snapshot, new filter).
    pub fn clamp(&mut self, len: usize) {
        self.selected = self.selected.min(len.saturating_sub(1));
    }

    /// Remember the object at the selected row (after the user moved the selection).
    pub fn anchor_at(&mut self, targets: &[Target]) {
        self.anchor = targets.get(self.selected).cloned();
    }

    /// The rows changed under the selection: select the anchored object where it is now; if it
    /// is gone, stay at the same position (clamped) and anchor the object found there.
    pub fn follow(&mut self, targets: &[Target]) {
        match self.anchor.as_ref().and_then(|a| targets.iter().position(|t| t == a)) {
            Some(i) => self.selected = i,
            None => {
                self.clamp(targets.len());
                self.anchor_at(targets);
            }
        }
    }
}

/// The first visible row so that `selected` is on screen, moving `offset` as little as possible.
pub fn visible_offset(offset: usize, selected: usize, height: usize) -> usize {
    let height = height.max(1);
    if selected < offset {
        selected
    } else if selected >= offset + height {
        selected + 1 - height
    } else {
        offset
    }
}

fn row_keys(r: &Row) -> SortKeys<'_> {
    SortKeys { name: &r.name, status: &r.status, created: r.created }
}

/// The order of two rows under `(key, descending)`.
pub fn compare((key, desc): (SortKey, bool), a: &SortKeys<'_>, b: &SortKeys<'_>) -> std::cmp::Ordering {
    let ord = match key {
        SortKey::Name => a.name.cmp(b.name),
        // Age ascending = youngest first, like k9s.
        SortKey::Age => b.created.cmp(&a.created),
        SortKey::Status => a.status.cmp(b.status).then_with(|| a.name.cmp(b.name)),
    };
    if desc { ord.reverse() } else { ord }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn invalid_regex_is_an_error_not_a_panic() {
        let err = Filter::parse("web(").unwrap_err();
        assert!(err.starts_with("invalid filter /web(:"), "{err}");
    }

    #[test]
    fn offset_follows_selection() {
        assert_eq!(visible_offset(0, 12, 10), 3);
        assert_eq!(visible_offset(5, 2, 10), 2);
        assert_eq!(visible_offset(3, 7, 10), 3);
    }
}
