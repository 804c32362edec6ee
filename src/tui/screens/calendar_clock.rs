//! The change-clock line of the cockpit header: one merged state for a target, with a
//! countdown, in UTC and (when it differs) the user's zone.

use chrono::{DateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

use crate::domain::windows::SyncWindow;
use crate::domain::windows::clock::{ClockState, change_clock};
use crate::domain::windows::format::format_duration;
use crate::domain::windows::freeze::{ChangeTarget, Freeze};
use crate::domain::windows::workload::{Decider, Decision};
use crate::engine::windows_feed::WindowsFeed;

/// The header line for `change` at `now`, e.g.
/// `OPEN production/allow#0 · closes 04:00 UTC (in 1h12m)`,
/// `CLOSED · next opening Tue 02:00 UTC (in 16h03m)`,
/// `FROZEN black-friday until Mon 17:00 UTC (in 2d05h) · emergency passes`, `MANUAL ONLY · …`.
/// `project`: the AppProject of the change's Application; `None` (no Application manages it)
/// = the windows of every project of cabin's own windows file together.
/// `local_tz`: the user's zone, shown next to UTC when its offset is not zero.
pub fn header_clock(feed: &WindowsFeed, project: Option<&str>, change: &ChangeTarget, now: DateTime<Utc>, local_tz: Option<Tz>) -> String {
    let (windows, names) = windows_for(feed, project);
    let state = change_clock(&windows, &feed.freezes, change, now);
    let by = match &state {
        ClockState::Open { window: Some(i), .. } => windows.get(*i).zip(names.get(*i)).map(|(w, (p, i))| format!("{p}/{}#{i}", w.kind)),
        _ => None,
    };
    state_line(&state, by.as_deref(), &feed.freezes, now, local_tz)
}

/// The header line for a workload's [`Decision`]: the state, then who decided, e.g.
/// `CLOSED · next opening Tue 02:00 UTC (in 3h00m) · app argocd/web · project production`,
/// `OPEN · no sync window restricts it · cabin windows`, `UNKNOWN · <reason>`.
pub fn decision_line(d: &Decision, freezes: &[Freeze], now: DateTime<Utc>, local_tz: Option<Tz>) -> String {
    let state = state_line(&d.verdict, d.opened_by.as_deref(), freezes, now, local_tz);
    match (&d.verdict, d.decider()) {
        (ClockState::Unknown { .. }, _) => state,
        (_, Decider::Application { app, project }) => format!("{state} · app {app} · project {project}"),
        (_, Decider::Cabin) => format!("{state} · cabin windows"),
    }
}

/// One clock state as header text; `by` names the window that opens it.
fn state_line(state: &ClockState, by: Option<&str>, freezes: &[Freeze], now: DateTime<Utc>, local_tz: Option<Tz>) -> String {
    let at = |t: DateTime<Utc>| when(t, now, local_tz);
    match state {
        ClockState::Open { window, closes_at } => {
            let by = match by {
                Some(name) => format!("OPEN {name}"),
                None => "OPEN · no sync window restricts it".to_string(),
            };
            match closes_at {
                Some(t) => format!("{by} · closes {}", at(*t)),
                None if window.is_some() => format!("{by} · no close within a year"),
                None => by,
            }
        }
        ClockState::Closed { next_opening } => match next_opening {
            Some(t) => format!("CLOSED · next opening {}", at(*t)),
            None => "CLOSED · no opening within a year".to_string(),
        },
        ClockState::ManualOnly { next_opening } => match next_opening {
            Some(t) => format!("MANUAL ONLY · automatic sync from {}", at(*t)),
            None => "MANUAL ONLY · no automatic sync within a year".to_string(),
        },
        ClockState::Frozen { freeze, until, .. } => {
            let passes = freezes.iter().find(|f| f.name == *freeze).map(passes).unwrap_or_default();
            if *until == DateTime::<Utc>::MAX_UTC {
                return format!("FROZEN {freeze} until further notice{passes}");
            }
            let countdown = format_duration((*until - now).num_seconds());
            format!("FROZEN {freeze} until {} (in {countdown}){passes}", stamps(*until, now, local_tz))
        }
        ClockState::Invalid { error } => format!("SYNC DENIED · {error}"),
        ClockState::Unknown { reason } => format!("UNKNOWN · {reason}"),
    }
}

/// The windows to evaluate, with (project, index in project) for each.
fn windows_for(feed: &WindowsFeed, project: Option<&str>) -> (Vec<SyncWindow>, Vec<(String, usize)>) {
    let (mut windows, mut names) = (Vec::new(), Vec::new());
    // A project name: that AppProject; None: every project of cabin's windows file.
    for p in feed.projects.iter().filter(|p| project.map_or(p.own, |n| !p.own && n == p.project)) {
        for (i, w) in p.windows.iter().enumerate() {
            windows.push(w.clone());
            names.push((p.project.clone(), i));
        }
    }
    (windows, names)
}

/// ` · emergency or security-* passes`, or "" when the freeze has no exception.
fn passes(f: &Freeze) -> String {
    let names: Vec<&str> = f.exceptions.iter().flat_map(|x| x.labels.iter().chain(x.applications.iter())).map(String::as_str).collect();
    if names.is_empty() { String::new() } else { format!(" · {} passes", names.join(" or ")) }
}

/// `04:00 UTC (in 1h12m)`, `Tue 02:00 UTC · Mon 21:00 EST (in 16h03m)`: the weekday only
/// when the day differs from today's in that zone; the date too when a week or more ahead.
pub fn when(t: DateTime<Utc>, now: DateTime<Utc>, local_tz: Option<Tz>) -> String {
    format!("{} (in {})", stamps(t, now, local_tz), format_duration((t - now).num_seconds()))
}

/// `Tue 02:00 UTC`, or `Tue 02:00 UTC · Mon 21:00 EST` when the user's zone is not UTC.
pub fn stamps(t: DateTime<Utc>, now: DateTime<Utc>, local_tz: Option<Tz>) -> String {
    let utc = format!("{} UTC", stamp(&t, &now));
    let local = local_tz.filter(|tz| {
        tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc() != 0
            || tz.offset_from_utc_datetime(&now.naive_utc()).fix().local_minus_utc() != 0
    });
    match local {
        Some(tz) => {
            let (lt, ln) = (t.with_timezone(&tz), now.with_timezone(&tz));
            format!("{utc} · {} {}", stamp(&lt, &ln), lt.format("%Z"))
        }
        None => utc,
    }
}

fn stamp<Z: TimeZone>(t: &DateTime<Z>, now: &DateTime<Z>) -> String
where
    Z::Offset: std::fmt::Display,
{
    let days = (t.date_naive() - now.date_naive()).num_days();
    if days == 0 {
        t.format("%H:%M").to_string()
    } else if days < 7 {
        t.format("%a %H:%M").to_string()
    } else {
        t.format("%a %d %b %H:%M").to_string()
    }
}
