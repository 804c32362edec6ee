//! The journal screen's state: every entry the feed sent, the verification state, the filter
//! (`:journal change=… actor=… kind=… outcome=…` plus `/` text search) and the selection.
//!
//! The filtered index list is kept here and updated incrementally when the feed appends, so
//! drawing never re-filters and only builds the visible rows.
//! The timeline is in journal order (oldest first); when the selection is on the last row the
//! view follows the tail as new entries arrive.
use chrono::{DateTime, Utc};

use super::list::{ListState, visible_offset};
use crate::journal::{Entry, EntryFilter, VerifyStatus, matching_indices};
use crate::model::JournalFeed;
use crate::tui::action::NavMsg;

/// The journal screen's own messages.
#[derive(Debug, Clone)]
pub enum JournalMsg {
    /// What the engine's journal feed sent.
    Feed(JournalFeed),
    /// `:journal k=v…`: new field filters (the text search is kept).
    SetFields(EntryFilter),
    /// `/text` (None or empty clears).
    Search(Option<String>),
    Nav(NavMsg),
}

#[derive(Debug, Clone, Default)]
pub struct JournalState {
    pub entries: Vec<Entry>,
    /// None until the feed's first message.
    pub status: Option<VerifyStatus>,
    pub filter: EntryFilter,
    /// Indices into `entries` that pass `filter`, in journal order.
    pub visible: Vec<usize>,
    /// Selection and scroll offset within `visible` (its filter and sort are unused).
    pub list: ListState,
}

impl JournalState {
    /// `page`: rows the timeline shows (to keep the selection visible).
    pub fn update(&mut self, msg: JournalMsg, page: usize) {
        match msg {
            JournalMsg::Feed(feed) => self.apply(feed, page),
            JournalMsg::SetFields(f) => self.set_fields(f, page),
            JournalMsg::Search(text) => self.set_text(text, page),
            JournalMsg::Nav(msg) => self.nav(msg, page),
        }
    }

    /// Applies a feed message. `page`: rows the timeline shows (to keep the selection visible).
    fn apply(&mut self, feed: JournalFeed, page: usize) {
        let first = self.status.is_none();
        self.status = Some(feed.status);
        if feed.reset {
            let follow = first || self.at_tail();
            let keep = self.selected_entry().map(|e| e.seq);
            self.entries = feed.entries;
            self.refilter(if follow { None } else { keep }, page);
            return;
        }
        let follow = self.at_tail();
        let base = self.entries.len();
        self.entries.extend(feed.entries);
        let new = matching_indices(&self.entries[base..], &self.filter).into_iter().map(|i| base + i);
        self.visible.extend(new);
        if follow {
            self.select(self.visible.len().saturating_sub(1), page);
        }
    }

    /// True when the selection is on the last row (or there are no rows): new entries are followed.
    pub fn at_tail(&self) -> bool {
        self.list.selected + 1 >= self.visible.len()
    }

    /// Replaces the field filters (change, actor, kind, outcome, since, until), keeping the text search.
    fn set_fields(&mut self, mut filter: EntryFilter, page: usize) {
        filter.text = self.filter.text.take();
        self.filter = filter;
        let keep = self.selected_entry().map(|e| e.seq);
        self.refilter(keep, page);
    }

    /// Sets (Some) or clears (None) the `/` text search.
    fn set_text(&mut self, text: Option<String>, page: usize) {
        self.filter.text = text.filter(|t| !t.is_empty());
        let keep = self.selected_entry().map(|e| e.seq);
        self.refilter(keep, page);
    }

    fn nav(&mut self, msg: NavMsg, page: usize) {
        let len = self.visible.len();
        self.list.nav(msg, len, page);
    }

    pub fn selected_entry(&self) -> Option<&Entry> {
        self.visible.get(self.list.selected).and_then(|&i| self.entries.get(i))
    }

    /// The entry on visible row `row`.
    pub fn row(&self, row: usize) -> Option<&Entry> {
        self.visible.get(row).and_then(|&i| self.entries.get(i))
    }

    /// Recomputes `visible`; selects the row of `keep_seq` (or the first later one), else the tail.
    fn refilter(&mut self, keep_seq: Option<u64>, page: usize) {
        self.visible = matching_indices(&self.entries, &self.filter);
        let last = self.visible.len().saturating_sub(1);
        let row =
            keep_seq.and_then(|seq| self.visible.iter().position(|&i| self.entries.get(i).is_some_and(|e| e.seq >= seq))).unwrap_or(last);
        self.list.offset = 0;
        self.select(row, page);
    }

    fn select(&mut self, row: usize, page: usize) {
        self.list.selected = row;
        self.list.offset = visible_offset(self.list.offset, row, page);
    }
}

/// Parses `:journal` arguments: `change=ID actor=NAME kind=KIND outcome=OUTCOME since=T until=T`
/// (times in RFC 3339). A bare word is a text search. Errors are ready for the status line.
pub fn parse_filter<'a>(args: impl Iterator<Item = &'a str>) -> Result<EntryFilter, String> {
    let mut f = EntryFilter::default();
    for arg in args {
        let Some((key, value)) = arg.split_once('=') else {
            f.text = Some(arg.to_string());
            continue;
        };
        if value.is_empty() {
            return Err(format!(":journal {key}= needs a value, e.g. {key}=X"));
        }
        let v = Some(value.to_string());
        match key.to_ascii_lowercase().as_str() {
            "change" | "ticket" | "chg" => f.change = v,
            "actor" | "user" => f.actor = v,
            "kind" => f.kind = v,
            "outcome" => f.outcome = v,
            "text" | "q" | "search" => f.text = v,
            "since" => f.since = Some(parse_time(value)?),
            "until" => f.until = Some(parse_time(value)?),
            other => {
                return Err(format!(
                    "unknown journal filter `{other}` — use change= actor= kind= outcome= since= until= (e.g. :journal change=CHG-1042 kind=rollback)"
                ));
            }
        }
    }
    Ok(f)
}

fn parse_time(value: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("bad time `{value}` ({e}); use RFC 3339, e.g. 2026-03-01T12:00:00Z"))
}

/// The active filter as the title shows it: `change=CHG-1042 kind=rollback </rollback>`.
pub fn describe(f: &EntryFilter) -> String {
    let fields = [("change", &f.change), ("actor", &f.actor), ("kind", &f.kind), ("outcome", &f.outcome)];
    let mut parts: Vec<String> = fields.iter().filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={v}"))).collect();
    if let Some(t) = f.since {
        parts.push(format!("since={}", t.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    if let Some(t) = f.until {
        parts.push(format!("until={}", t.format("%Y-%m-%dT%H:%M:%SZ")));
    }
    if let Some(t) = &f.text {
        parts.push(format!("</{t}>"));
    }
    parts.join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_journal_filters() {
        let f = parse_filter("change=CHG-1042 kind=rollback outcome=failed actor=alice".split(' ')).unwrap();
        assert_eq!(f.change.as_deref(), Some("CHG-1042"));
        assert_eq!(f.kind.as_deref(), Some("rollback"));
        assert_eq!(f.outcome.as_deref(), Some("failed"));
        assert_eq!(f.actor.as_deref(), Some("alice"));
        assert_eq!(describe(&f), "change=CHG-1042 actor=alice kind=rollback outcome=failed");
        assert!(parse_filter(["colour=red"].into_iter()).unwrap_err().starts_with("unknown journal filter `colour`"));
        assert!(parse_filter(["since=yesterday"].into_iter()).unwrap_err().starts_with("bad time `yesterday`"));
        assert_eq!(parse_filter(["checkout"].into_iter()).unwrap().text.as_deref(), Some("checkout"));
    }
}
