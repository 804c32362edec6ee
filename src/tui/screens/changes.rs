//! The changes screen's state and messages (`C`, `:changes`): the change set the engine sent,
//! the selected change (by id, so rows moving under the cursor keep the selection) and the
//! detail's scroll. Also the row texts shared with the dashboard's pending-changes panel.
use chrono::{DateTime, Utc};

use super::rows::{Row, Target, Tone};
use crate::domain::change::{CheckStatus, WindowVerdict};
use crate::engine::changes_feed::{ChangeEntry, ChangesFeed};
use crate::tui::action::NavMsg;

#[derive(Debug, Clone, Default)]
pub struct ChangesState {
    pub feed: ChangesFeed,
    /// A feed arrived (before: "loading").
    pub received: bool,
    pub selected: usize,
    /// The selected change's id: the selection follows it across feeds.
    pub selected_id: Option<String>,
    /// Detail scroll (lines).
    pub scroll: u16,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChangesMsg {
    Feed(Box<ChangesFeed>),
    Nav(NavMsg),
}

impl ChangesState {
    pub fn update(&mut self, msg: ChangesMsg) {
        let len = self.feed.changes.len();
        match msg {
            ChangesMsg::Feed(feed) => {
                self.feed = *feed;
                self.received = true;
                let found = self.selected_id.as_ref().and_then(|id| self.feed.changes.iter().position(|e| &e.change.id == id));
                self.selected = found.unwrap_or(self.selected.min(self.feed.changes.len().saturating_sub(1)));
            }
            ChangesMsg::Nav(NavMsg::PageDown) => self.scroll = self.scroll.saturating_add(10),
            ChangesMsg::Nav(NavMsg::PageUp) => self.scroll = self.scroll.saturating_sub(10),
            ChangesMsg::Nav(nav) => {
                let last = len.saturating_sub(1);
                self.selected = match nav {
                    NavMsg::Up => self.selected.saturating_sub(1),
                    NavMsg::Down => (self.selected + 1).min(last),
                    NavMsg::Top => 0,
                    NavMsg::Bottom => last,
                    NavMsg::Select(i) => i.min(last),
                    NavMsg::PageUp | NavMsg::PageDown => self.selected,
                };
                self.scroll = 0;
            }
        }
        self.selected_id = self.feed.changes.get(self.selected).map(|e| e.change.id.clone());
    }

    pub fn selected(&self) -> Option<&ChangeEntry> {
        self.feed.changes.get(self.selected)
    }
}

/// `1h05m`, `12m`, `40s`, `3d4h`.
pub fn countdown(from: DateTime<Utc>, to: DateTime<Utc>) -> String {
    let s = (to - from).num_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
        _ => format!("{}d{}h", s / 86_400, (s % 86_400) / 3600),
    }
}

/// The window fit of a change in a few words: `open 2h10m`, `opens in 5h`, `frozen`, `unknown`.
pub fn window_fit(window: &WindowVerdict, now: DateTime<Utc>) -> (String, Tone) {
    match window {
        WindowVerdict::Open { closes_at: Some(c) } => (format!("open {}", countdown(now, *c)), Tone::Ok),
        WindowVerdict::Open { closes_at: None } => ("open".into(), Tone::Ok),
        WindowVerdict::Closed { next_open: Some(t) } => (format!("opens in {}", countdown(now, *t)), Tone::Warn),
        WindowVerdict::Closed { next_open: None } => ("closed".into(), Tone::Warn),
        WindowVerdict::Frozen { freeze, .. } => (format!("frozen ({freeze})"), Tone::Danger),
        WindowVerdict::Unknown { .. } => ("unknown".into(), Tone::Danger),
    }
}

/// The preflight verdict in a word: `ok`, `blocked 2`, `checking…`, `-`.
pub fn preflight_word(e: &ChangeEntry, checking: bool) -> (String, Tone) {
    match &e.preflight {
        None if checking => ("checking…".into(), Tone::Muted),
        None => ("-".into(), Tone::Muted),
        Some(run) => {
            let blocking = run.preflight.checks.iter().filter(|c| c.blocks()).count();
            let warns = run.preflight.checks.iter().filter(|c| c.status == CheckStatus::Warn).count();
            match (blocking, warns) {
                (0, 0) => ("ok".into(), Tone::Ok),
                (0, w) => (format!("ok, {w} warn"), Tone::Ok),
                (b, _) => (format!("blocked {b}"), Tone::Danger),
            }
        }
    }
}

pub const CHANGE_HEADERS: [&str; 6] = ["ID", "RISK", "STATUS", "WINDOW", "PREFLIGHT", "TITLE"];

/// One row per change (the list and the dashboard panel); the tone is the worst of status
/// and preflight.
pub fn change_rows(state: &ChangesState, now: DateTime<Utc>) -> Vec<Row> {
    state
        .feed
        .changes
        .iter()
        .map(|e| {
            let (fit, fit_tone) = match &e.preflight {
                Some(p) => window_fit(&p.window, now),
                None => ("…".to_string(), Tone::Muted),
            };
            let (pf, pf_tone) = preflight_word(e, state.feed.checking);
            let tone = [fit_tone, pf_tone].into_iter().max_by_key(|t| tone_rank(*t)).unwrap_or(Tone::Normal);
            let status = e.status.status.as_str().to_string();
            Row {
                cells: vec![e.change.id.clone(), e.change.risk.as_str().into(), status.clone(), fit, pf, e.change.title.clone()],
                tone,
                target: Target::None,
                name: e.change.id.clone(),
                status,
                created: None,
            }
        })
        .collect()
}

fn tone_rank(t: Tone) -> u8 {
    match t {
        Tone::Normal | Tone::Muted => 0,
        Tone::Ok => 1,
        Tone::Warn => 2,
        Tone::Danger => 3,
    }
}
