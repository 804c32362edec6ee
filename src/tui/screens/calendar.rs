//! The calendar screen: the next N days of allow windows, deny windows and freezes per project
//! and target, as a timeline and an agenda, with a detail pane for the selected entry.
//!
//! Self-contained (DESIGN.md: each screen owns its state and its message enum):
//! [`CalendarState`] + [`CalendarMsg`] + [`CalendarView`]. The state never reads the clock:
//! `now` arrives with [`CalendarMsg::Tick`], the windows with [`CalendarMsg::Feed`].

#[path = "calendar_clock.rs"]
pub mod clock;
#[path = "calendar_day.rs"]
pub mod day;
#[path = "calendar_detail.rs"]
pub mod detail;
#[path = "calendar_view.rs"]
pub mod view;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::domain::windows::agenda::{OccurrenceKind, ProjectWindows, window_intervals};
use crate::domain::windows::{AppTarget, SyncWindow, WindowError};
use crate::engine::windows_feed::WindowsFeed;

pub use clock::header_clock;
pub use day::{DayError, MAX_DAY_OFFSET, parse_day, read_day};
pub use view::CalendarView;

/// Days shown by default.
pub const DEFAULT_DAYS: u32 = 14;

/// What a calendar entry belongs to (indices into the feed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ItemSource {
    Window { project: usize, index: usize },
    Freeze(usize),
}

/// One entry: an interval on the calendar, or (span `None`) a window or freeze that cannot
/// be placed because it does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalItem {
    pub source: ItemSource,
    pub kind: OccurrenceKind,
    pub span: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// One line of the agenda.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgendaRow {
    /// "Problems" heading (feed errors and invalid entries follow).
    Problems,
    /// `feed.errors[i]`.
    Error(usize),
    Day(NaiveDate),
    /// `items()[i]`.
    Item(usize),
    /// The now-marker.
    Now,
}

/// Whose windows the calendar shows: what they are matched against, and where they come
/// from (an AppProject, or cabin's own windows file when `project` is None).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalTarget {
    pub app: AppTarget,
    pub project: Option<String>,
    /// For the title: `app argocd/web · project production`, `shop/api · cabin windows`.
    pub label: String,
}

impl CalTarget {
    /// Whether a project's windows can apply to this target.
    pub fn includes(&self, p: &ProjectWindows) -> bool {
        match &self.project {
            Some(name) => !p.own && p.project == *name,
            None => p.own,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum CalendarMsg {
    Up,
    Down,
    NextDay,
    PrevDay,
    JumpToDay(NaiveDate),
    Today,
    ToggleDetail,
    Tick(DateTime<Utc>),
    Feed(WindowsFeed),
    SetDays(u32),
    SetTarget(Option<CalTarget>),
}

#[derive(Debug, Clone)]
pub struct CalendarState {
    pub now: DateTime<Utc>,
    pub days: u32,
    /// First day shown (UTC).
    pub start: NaiveDate,
    /// The range follows today's date on `Tick`.
    pub follow_today: bool,
    /// The focused day.
    pub cursor: NaiveDate,
    /// Index into `items()`.
    pub selected: usize,
    pub show_detail: bool,
    /// Only entries applying to this target (None = every window and freeze).
    pub target: Option<CalTarget>,
    pub feed: WindowsFeed,
    items: Vec<CalItem>,
    rows: Vec<AgendaRow>,
    lanes: Vec<ItemSource>,
}

impl CalendarState {
    pub fn new(now: DateTime<Utc>, feed: WindowsFeed) -> CalendarState {
        let today = now.date_naive();
        let mut s = CalendarState {
            now,
            days: DEFAULT_DAYS,
            start: today,
            follow_today: true,
            cursor: today,
            selected: 0,
            show_detail: true,
            target: None,
            feed,
            items: Vec::new(),
            rows: Vec::new(),
            lanes: Vec::new(),
        };
        s.rebuild();
        s.go_to_day(today);
        s
    }

    pub fn items(&self) -> &[CalItem] {
        &self.items
    }
    pub fn rows(&self) -> &[AgendaRow] {
        &self.rows
    }
    /// Timeline lanes: every window (project order) then every freeze, filtered by target.
    pub fn lanes(&self) -> &[ItemSource] {
        &self.lanes
    }
    pub fn selected_item(&self) -> Option<&CalItem> {
        self.items.get(self.selected)
    }
    /// Start of the range (midnight UTC of `start`).
    pub fn range_from(&self) -> DateTime<Utc> {
        self.start.and_time(chrono::NaiveTime::MIN).and_utc()
    }
    pub fn range_to(&self) -> DateTime<Utc> {
        self.range_from() + Duration::days(i64::from(self.days))
    }

    pub fn update(&mut self, msg: CalendarMsg) {
        match msg {
            CalendarMsg::Up => self.select(self.selected.saturating_sub(1)),
            CalendarMsg::Down => self.select(self.selected + 1),
            CalendarMsg::NextDay => self.go_to_day(self.cursor + Duration::days(1)),
            CalendarMsg::PrevDay => self.go_to_day(self.cursor - Duration::days(1)),
            CalendarMsg::JumpToDay(d) => self.go_to_day(d),
            CalendarMsg::Today => self.go_to_day(self.now.date_naive()),
            CalendarMsg::ToggleDetail => self.show_detail = !self.show_detail,
            CalendarMsg::Tick(t) => {
                self.now = t;
                if self.follow_today && self.start != t.date_naive() {
                    let keep = self.selected_item().cloned();
                    self.start = t.date_naive();
                    self.rebuild();
                    match keep.and_then(|k| self.items.iter().position(|i| *i == k)) {
                        Some(i) => self.select(i),
                        None => self.go_to_day(self.cursor.max(self.start)),
                    }
                } else {
                    self.rebuild_rows();
                }
            }
            CalendarMsg::Feed(feed) => {
                let keep = self.selected_item().cloned();
                self.feed = feed;
                self.rebuild();
                self.selected = keep.and_then(|k| self.items.iter().position(|i| *i == k)).unwrap_or(self.selected);
                self.select(self.selected);
            }
            CalendarMsg::SetDays(n) => {
                self.days = n.clamp(1, 366);
                self.rebuild();
                self.go_to_day(self.cursor);
            }
            CalendarMsg::SetTarget(t) => {
                self.target = t;
                self.rebuild();
                self.go_to_day(self.cursor);
            }
        }
    }

    /// The message for a key on this screen (None: not a calendar key).
    pub fn key_msg(&self, key: &KeyEvent) -> Option<CalendarMsg> {
        if key.modifiers.intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) {
            return None;
        }
        Some(match key.code {
            KeyCode::Up | KeyCode::Char('k') => CalendarMsg::Up,
            KeyCode::Down | KeyCode::Char('j') => CalendarMsg::Down,
            KeyCode::Right | KeyCode::Char('l') => CalendarMsg::NextDay,
            KeyCode::Left | KeyCode::Char('h') => CalendarMsg::PrevDay,
            KeyCode::Char(']') | KeyCode::PageDown => CalendarMsg::JumpToDay(self.cursor + Duration::days(7)),
            KeyCode::Char('[') | KeyCode::PageUp => CalendarMsg::JumpToDay(self.cursor - Duration::days(7)),
            KeyCode::Char('t') | KeyCode::Home => CalendarMsg::Today,
            KeyCode::Enter | KeyCode::Char('d') => CalendarMsg::ToggleDetail,
            _ => return None,
        })
    }

    /// The day an item is listed under (its start, clamped to the range).
    pub fn item_day(&self, i: usize) -> Option<NaiveDate> {
        let (start, _) = self.items.get(i)?.span?;
        Some(start.max(self.range_from()).date_naive())
    }

    fn select(&mut self, i: usize) {
        self.selected = i.min(self.items.len().saturating_sub(1));
        if let Some(d) = self.item_day(self.selected) {
            self.cursor = d;
        }
    }

    /// Focus day `d` (moving the range when `d` is outside it) and select its first entry.
    fn go_to_day(&mut self, d: NaiveDate) {
        let last = self.start + Duration::days(i64::from(self.days) - 1);
        let start = if d < self.start {
            d
        } else if d > last {
            d - Duration::days(i64::from(self.days) - 1)
        } else {
            self.start
        };
        let today = self.now.date_naive();
        let start = if start < today && d >= today { today } else { start };
        if start != self.start {
            self.start = start;
            self.rebuild();
        }
        self.follow_today = self.start == today;
        self.cursor = d;
        let first = (0..self.items.len()).find(|i| self.item_day(*i).is_some_and(|x| x >= d));
        let last_dated = (0..self.items.len()).rev().find(|i| self.item_day(*i).is_some());
        if let Some(i) = first.or(last_dated) {
            self.selected = i;
        }
    }

    fn rebuild(&mut self) {
        self.build_items();
        self.selected = self.selected.min(self.items.len().saturating_sub(1));
        self.rebuild_rows();
    }

    fn build_items(&mut self) {
        let (from, to) = (self.range_from(), self.range_to());
        let (mut items, mut lanes) = (Vec::new(), Vec::new());
        for (pi, p) in self.feed.projects.iter().enumerate() {
            if self.target.as_ref().is_some_and(|t| !t.includes(p)) {
                continue;
            }
            for (wi, w) in p.windows.iter().enumerate() {
                if self.target.as_ref().is_some_and(|t| !w.matches(&t.app)) {
                    continue;
                }
                let source = ItemSource::Window { project: pi, index: wi };
                lanes.push(source);
                let kind = match w.kind.as_str() {
                    "allow" => OccurrenceKind::Allow,
                    "deny" => OccurrenceKind::Deny,
                    _ => OccurrenceKind::Other,
                };
                match day_by_day(w, from, self.days) {
                    Ok(spans) => items.extend(spans.into_iter().map(|s| CalItem { source, kind, span: Some(s) })),
                    Err(_) => items.push(CalItem { source, kind, span: None }),
                }
            }
        }
        for (fi, f) in self.feed.freezes.iter().enumerate() {
            if self.target.as_ref().is_some_and(|t| !f.covers(&t.app)) {
                continue;
            }
            let source = ItemSource::Freeze(fi);
            lanes.push(source);
            let kind = OccurrenceKind::Freeze;
            match f.period() {
                Ok(p) => items.extend(p.intervals(from, to).into_iter().map(|s| CalItem { source, kind, span: Some(s) })),
                Err(_) => items.push(CalItem { source, kind, span: None }),
            }
        }
        items.sort_by_key(|i| (i.span.is_some(), i.span.map(|s| s.0), i.kind, i.source));
        self.items = items;
        self.lanes = lanes;
    }

    fn rebuild_rows(&mut self) {
        let mut rows = Vec::new();
        let invalid: Vec<usize> = (0..self.items.len()).filter(|i| self.items[*i].span.is_none()).collect();
        if !self.feed.errors.is_empty() || !invalid.is_empty() {
            rows.push(AgendaRow::Problems);
            rows.extend((0..self.feed.errors.len()).map(AgendaRow::Error));
            rows.extend(invalid.iter().map(|i| AgendaRow::Item(*i)));
        }
        let mut next = invalid.len();
        for n in 0..self.days {
            let day = self.start + Duration::days(i64::from(n));
            rows.push(AgendaRow::Day(day));
            let now_today = self.now.date_naive() == day;
            let mut now_done = !now_today;
            while next < self.items.len() && self.item_day(next) == Some(day) {
                let starts_later = self.items[next].span.is_some_and(|s| s.0 > self.now);
                if !now_done && starts_later {
                    rows.push(AgendaRow::Now);
                    now_done = true;
                }
                rows.push(AgendaRow::Item(next));
                next += 1;
            }
            if !now_done {
                rows.push(AgendaRow::Now);
            }
        }
        self.rows = rows;
    }
}

type Span = (DateTime<Utc>, DateTime<Utc>);

/// A window's intervals over `days` days from `from`, computed one day at a time (so that
/// windows firing every minute are not cut short) and merged across days.
fn day_by_day(w: &SyncWindow, from: DateTime<Utc>, days: u32) -> Result<Vec<Span>, WindowError> {
    let mut out: Vec<Span> = Vec::new();
    for d in 0..days {
        let a = from + Duration::days(i64::from(d));
        for (s, e) in window_intervals(w, a, a + Duration::days(1))? {
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
    }
    Ok(out)
}
