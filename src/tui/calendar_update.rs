//! `update` for the sync-window calendar and the change clock in the header: opening the
//! calendar (`:cal [DAY]`, `:windows`, `W`), its own keys, the windows feed and the tick.
use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::KeyEventKind;

use super::action::{Action, InputEvent, NavMsg};
use super::screens::calendar::{CalendarMsg, header_clock, parse_day};
use super::screens::rows::Target;
use super::screens::{Screen, ScreenKind};
use super::state::AppState;
use super::update::message;
use crate::domain::windows::AppTarget;
use crate::domain::windows::freeze::ChangeTarget;
use crate::engine::windows_feed::WindowsFeed;
use crate::model::{MessageLevel, ObjectKey, Scope};

/// Is the calendar screen on top?
pub fn active(state: &AppState) -> bool {
    state.screen().kind == ScreenKind::Calendar
}

/// The calendar's own message for a key, when the calendar is on top and neither the prompt
/// nor a popup takes the keys. Other keys go through the key map (esc, `:`, `q`, `?`).
pub fn key_action(state: &AppState, ev: &InputEvent) -> Option<Action> {
    let InputEvent::Key(k) = ev else { return None };
    if k.kind == KeyEventKind::Release || state.prompt.is_some() || !state.popups.is_empty() || !active(state) {
        return None;
    }
    if k.code == crossterm::event::KeyCode::Char('a') && k.modifiers.is_empty() {
        // `a`: all targets ⇄ the selected workload's.
        let target = match state.calendar.target {
            Some(_) => None,
            None => selected_app(state),
        };
        return Some(Action::CalendarKey(CalendarMsg::SetTarget(target)));
    }
    state.calendar.key_msg(k).map(Action::CalendarKey)
}

/// The selected workload as an Argo CD-style target, if a workload is selected.
fn selected_app(state: &AppState) -> Option<AppTarget> {
    Some(change_target(state).app).filter(|a| !a.name.is_empty())
}

/// Key-map navigation (mouse wheel, `g`/`G`, pgup/pgdn) on the calendar.
pub fn nav(state: &mut AppState, msg: NavMsg) {
    let cursor = state.calendar.cursor;
    let msg = match msg {
        NavMsg::Up => CalendarMsg::Up,
        NavMsg::Down => CalendarMsg::Down,
        NavMsg::Top => CalendarMsg::Today,
        NavMsg::Bottom => CalendarMsg::JumpToDay(state.calendar.start + chrono::Duration::days(i64::from(state.calendar.days) - 1)),
        NavMsg::PageUp => CalendarMsg::JumpToDay(cursor - chrono::Duration::days(7)),
        NavMsg::PageDown => CalendarMsg::JumpToDay(cursor + chrono::Duration::days(7)),
        NavMsg::Select(_) => return,
    };
    state.calendar.update(msg);
}

/// Opens the calendar on top of the first screen (like the other view commands).
/// `day`: jump to it (`2026-12-24`, `12-24`, `+3`, `fri`, `today`; `all`: every target);
/// unreadable → status error.
pub fn open(state: &mut AppState, day: Option<&str>) {
    // From another screen the calendar shows the selected workload's windows; `:cal all` (or
    // `a` on the calendar) shows every window and freeze.
    if !active(state) || day == Some("all") {
        let target = if day == Some("all") { None } else { selected_app(state) };
        state.calendar.update(CalendarMsg::SetTarget(target));
    }
    if let Some(arg) = day.filter(|d| *d != "all") {
        match parse_day(arg, state.ui.now.date_naive()) {
            Some(d) => state.calendar.update(CalendarMsg::JumpToDay(d)),
            None => {
                let hint = Some("try :cal 2026-12-24, :cal 12-24, :cal +3, :cal fri or :cal today");
                state.status = Some(message(MessageLevel::Error, format!("cannot read the day `{arg}`"), hint));
                return;
            }
        }
    }
    state.screens.truncate(1);
    if state.screens[0].kind != ScreenKind::Calendar {
        state.screens.push(Screen::new(ScreenKind::Calendar));
    }
}

/// A new feed (files at start, or the engine's live one): the calendar and header follow.
pub fn apply_feed(state: &mut AppState, feed: WindowsFeed) {
    state.windows = feed.clone();
    state.calendar.update(CalendarMsg::Feed(feed));
    refresh_header(state);
}

/// The clock: `now` for the views, the header's change clock and the calendar.
pub fn tick(state: &mut AppState, now: DateTime<Utc>) {
    state.ui.now = now;
    refresh_header(state);
    state.calendar.update(CalendarMsg::Tick(now));
}

/// What a tick can change on screen: the header text and, when the calendar is on top, its
/// minute, first day and rows. The loop redraws after a tick only when this changed.
pub fn visible_clock(state: &AppState) -> (Option<String>, Option<(i64, NaiveDate, usize)>) {
    let cal = &state.calendar;
    let calendar = active(state).then(|| (cal.now.timestamp().div_euclid(60), cal.start, cal.rows().len()));
    (state.ui.header_extra.clone(), calendar)
}

/// Recomputes the change clock in the header's extra slot. An empty feed leaves the slot
/// alone (it may hold the engine's `HeaderClock` line), clearing only our own old line.
pub fn refresh_header(state: &mut AppState) {
    let w = &state.windows;
    if w.projects.is_empty() && w.freezes.is_empty() && w.errors.is_empty() {
        if state.clock_in_header {
            state.ui.header_extra = None;
            state.clock_in_header = false;
        }
        return;
    }
    let target = change_target(state);
    let line = header_clock(&state.windows, None, &target, state.ui.now, state.ui.local_zone);
    state.ui.header_extra = Some(line);
    state.clock_in_header = true;
}

/// The change the header speaks about: the selected workload of the top screen below the
/// calendar (app = its name, namespace = its namespace, server = the cluster URL), or with
/// nothing selected the scope's namespace.
pub fn change_target(state: &AppState) -> ChangeTarget {
    let server = state.cluster.context.cluster_url.clone();
    let screen = state.screens.iter().rev().find(|s| s.kind != ScreenKind::Calendar);
    let app = match screen.and_then(|s| selected_workload(state, s)) {
        Some(k) => AppTarget { name: k.name, namespace: k.namespace, server, ..AppTarget::default() },
        None => {
            let namespace = match &state.cluster.scope {
                Scope::Namespace(ns) => ns.clone(),
                Scope::All => String::new(),
            };
            AppTarget { namespace, server, ..AppTarget::default() }
        }
    };
    ChangeTarget { app, labels: Vec::new() }
}

fn selected_workload(state: &AppState, screen: &Screen) -> Option<ObjectKey> {
    if let ScreenKind::Workload(k) = &screen.kind {
        return Some(k.clone());
    }
    match screen.selected_target(&state.cluster, state.ui.now) {
        Target::Workload(k) => Some(k),
        _ => None,
    }
}
