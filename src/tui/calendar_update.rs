//! `update` for the sync-window calendar and the change clock in the header: opening the
//! calendar (`:cal [DAY]`, `:windows`, `W`), its own keys, the windows feed and the tick.
use chrono::{DateTime, NaiveDate, Utc};
use crossterm::event::KeyEventKind;

use super::action::{Action, InputEvent, NavMsg};
use super::screens::calendar::clock::decision_line;
use super::screens::calendar::{CalTarget, CalendarMsg, read_day};
use super::screens::rows::Target;
use super::screens::{Screen, ScreenKind};
use super::state::AppState;
use super::update::message;
use crate::domain::windows::AppTarget;
use crate::domain::windows::freeze::ChangeTarget;
use crate::domain::windows::workload::{ClusterRef, Decision, Workload};
use crate::engine::windows_feed::WindowsFeed;
use crate::model::{MessageLevel, ObjectKey, Scope, WorkloadKind};

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

/// The selected workload's windows for the calendar: its Application's project (matched
/// with the Application's name and destination), or cabin's windows; None without a workload.
fn selected_app(state: &AppState) -> Option<CalTarget> {
    let w = selected_workload_of(state)?;
    let d = decision(state, &w);
    let label = match (&d.app, &d.project) {
        (Some(app), Some(project)) => format!("app {app} · project {project}"),
        _ => format!("{}/{} · cabin windows", w.namespace, w.name),
    };
    let app = if d.target == AppTarget::default() { own_target(state, &w) } else { d.target };
    Some(CalTarget { app, project: d.project, label })
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
        match read_day(arg, state.ui.now.date_naive()) {
            Ok(d) => state.calendar.update(CalendarMsg::JumpToDay(d)),
            Err(e) => {
                let hint = Some("try :cal 2026-12-24, :cal 12-24, :cal +3, :cal fri or :cal today");
                state.status = Some(message(MessageLevel::Error, e.to_string(), hint));
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
    if state.windows.is_empty() {
        if state.clock_in_header {
            state.ui.header_extra = None;
            state.clock_in_header = false;
        }
        return;
    }
    let workload = change_workload(state);
    let d = decision(state, &workload);
    let line = decision_line(&d, &state.windows.freezes, state.ui.now, state.ui.local_zone);
    state.ui.header_extra = Some(line);
    state.clock_in_header = true;
}

/// "May this change run now" for `w`, from the feed (see `domain::windows::workload`).
pub fn decision(state: &AppState, w: &Workload) -> Decision {
    state.windows.decide(w, &cluster_ref(state), state.ui.now)
}

/// The cluster the cockpit looks at (for cabin's own windows' cluster patterns).
fn cluster_ref(state: &AppState) -> ClusterRef {
    let ctx = &state.cluster.context;
    ClusterRef { server: ctx.cluster_url.clone(), name: ctx.context.clone() }
}

/// cabin's own windows match the workload's name and namespace (and the cluster).
fn own_target(state: &AppState, w: &Workload) -> AppTarget {
    let c = cluster_ref(state);
    AppTarget { name: w.name.clone(), namespace: w.namespace.clone(), server: c.server, dest_name: c.name }
}

/// The change the header speaks about: the selected workload of the top screen below the
/// calendar (with its Argo CD tracking metadata), or with nothing selected the scope's
/// namespace (no name: only cabin's windows and freezes for that namespace apply).
pub fn change_workload(state: &AppState) -> Workload {
    selected_workload_of(state).unwrap_or_else(|| {
        let namespace = match &state.cluster.scope {
            Scope::Namespace(ns) => ns.clone(),
            Scope::All => String::new(),
        };
        Workload { namespace, ..Workload::default() }
    })
}

/// The selected workload (kind, namespace, name and tracking from the latest snapshot).
fn selected_workload_of(state: &AppState) -> Option<Workload> {
    let screen = state.screens.iter().rev().find(|s| s.kind != ScreenKind::Calendar)?;
    let key = selected_workload(state, screen)?;
    let view = state
        .cluster
        .snapshot
        .workloads
        .iter()
        .find(|w| w.namespace == key.namespace && w.name == key.name && kind_name(w.kind) == key.kind);
    Some(Workload {
        group: "apps".into(),
        kind: key.kind,
        namespace: key.namespace,
        name: key.name,
        tracking: view.map(|v| v.tracking.clone()).unwrap_or_default(),
    })
}

fn kind_name(k: WorkloadKind) -> &'static str {
    match k {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::StatefulSet => "StatefulSet",
    }
}

/// The change as a target of cabin's own windows (the selected workload, or the scope's
/// namespace), for callers that evaluate windows directly.
pub fn change_target(state: &AppState) -> ChangeTarget {
    let w = change_workload(state);
    ChangeTarget { app: own_target(state, &w), labels: Vec::new() }
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
