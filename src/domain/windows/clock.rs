//! The change clock: one merged state for a target at an instant (freezes first, then the
//! sync windows of its project), with the next transition.

use super::decision::decide_with_flags;
use super::format::format_duration;
use super::freeze::{ChangeTarget, Freeze};
use super::window::{CompiledWindow, Matcher, SyncWindow};
use chrono::{DateTime, Duration, Utc};

/// How far ahead transitions are searched.
pub const HORIZON_DAYS: i64 = 366;
const MAX_STEPS: usize = 5_000;

/// The merged state of the change clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClockState {
    /// Automatic sync allowed; `window` = index of the active allow window (None: no window
    /// restricts this target); `closes_at` = when it stops (None: not within the horizon).
    Open { window: Option<usize>, closes_at: Option<DateTime<Utc>> },
    /// Nothing may sync; `next_opening` = when automatic sync is next allowed.
    Closed { next_opening: Option<DateTime<Utc>> },
    /// Only manual syncs (manualSync windows); `next_opening` for automatic sync.
    ManualOnly { next_opening: Option<DateTime<Utc>> },
    /// A freeze blocks the change until `until`; `exception` names what would let it pass.
    Frozen { freeze: String, until: DateTime<Utc>, exception: Option<String> },
    /// The windows cannot be parsed (`invalid sync windows: …`): Argo CD denies every sync.
    Invalid { error: String },
    /// Something that could decide cannot be read (a freezes or windows file, a freeze's
    /// period, a project): fail closed, never "no restriction".
    Unknown { reason: String },
}

/// A project's windows compiled once, reusable for many targets and instants.
pub struct ProjectClock<'a> {
    pub windows: &'a [SyncWindow],
    compiled: Vec<Result<CompiledWindow, String>>,
    matchers: Vec<Matcher>,
}

impl<'a> ProjectClock<'a> {
    pub fn new(windows: &'a [SyncWindow]) -> Self {
        let compiled = windows.iter().map(|w| w.compile().map_err(|e| format!("invalid sync windows: {e}"))).collect();
        let matchers = windows.iter().map(SyncWindow::matcher).collect();
        ProjectClock { windows, compiled, matchers }
    }

    /// Active flag of every window at `t` (false for windows that fail to parse); computed
    /// once per instant and shared by all targets.
    pub fn active_flags(&self, t: DateTime<Utc>) -> Vec<bool> {
        self.compiled.iter().map(|c| c.as_ref().is_ok_and(|c| c.active_at(t))).collect()
    }

    /// The matched windows of one target; the first parse error among them is returned.
    pub fn target(&self, change: &ChangeTarget) -> Result<TargetWindows<'a>, String> {
        let (mut indices, mut pairs) = (Vec::new(), Vec::new());
        for (i, w) in self.windows.iter().enumerate() {
            if !self.matchers[i].matches(&change.app) {
                continue;
            }
            let c = self.compiled[i].clone()?;
            indices.push(i);
            pairs.push((w, c));
        }
        Ok(TargetWindows { indices, pairs })
    }
}

/// The matched, compiled windows of one target.
pub struct TargetWindows<'a> {
    /// Project indices of the matched windows.
    pub indices: Vec<usize>,
    /// The matched windows, compiled (same order as `indices`).
    pub pairs: Vec<(&'a SyncWindow, CompiledWindow)>,
}

impl<'a> TargetWindows<'a> {
    /// Matches and compiles; the first parse error is returned as Argo CD words it.
    pub fn new(windows: &'a [SyncWindow], change: &ChangeTarget) -> Result<Self, String> {
        ProjectClock::new(windows).target(change)
    }

    /// (automatic, manual) CanSync at `t` (no operation in progress).
    pub fn can_sync(&self, t: DateTime<Utc>) -> (bool, bool) {
        let flags: Vec<bool> = self.pairs.iter().map(|(_, c)| c.active_at(t)).collect();
        let no = |_| false;
        (decide_with_flags(&self.pairs, &flags, false, None, &no), decide_with_flags(&self.pairs, &flags, true, None, &no))
    }

    /// (automatic, manual) CanSync from the project-wide flags of `ProjectClock::active_flags`.
    pub fn can_sync_with(&self, all_flags: &[bool]) -> (bool, bool) {
        let flags: Vec<bool> = self.indices.iter().map(|i| all_flags.get(*i).copied().unwrap_or(false)).collect();
        let no = |_| false;
        (decide_with_flags(&self.pairs, &flags, false, None, &no), decide_with_flags(&self.pairs, &flags, true, None, &no))
    }

    /// Next instant after `t` where some window opens or closes.
    fn next_event(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.pairs.iter().flat_map(|(_, c)| [c.next_start(t), c.active_until(t).filter(|e| *e > t)]).flatten().min()
    }

    /// First instant after `now` (within the horizon) where automatic sync becomes `want`.
    pub fn next_auto_change(&self, now: DateTime<Utc>, want: bool) -> Option<DateTime<Utc>> {
        let horizon = now + Duration::days(HORIZON_DAYS);
        let mut cursor = now;
        for _ in 0..MAX_STEPS {
            let c = self.next_event(cursor)?;
            if c > horizon {
                return None;
            }
            // Windows are open at both ends: the state right after `c` counts as well.
            if self.can_sync(c).0 == want || self.can_sync(c + Duration::seconds(1)).0 == want {
                return Some(c);
            }
            cursor = c;
        }
        None
    }

    /// Index of the first active allow window at `t`.
    fn open_by(&self, t: DateTime<Utc>) -> Option<usize> {
        let pos = self.pairs.iter().position(|(w, c)| w.is_allow() && c.active_at(t))?;
        Some(self.indices[pos])
    }
}

/// The change clock for `change` at `now`.
pub fn change_clock(windows: &[SyncWindow], freezes: &[Freeze], change: &ChangeTarget, now: DateTime<Utc>) -> ClockState {
    for f in freezes.iter().filter(|f| f.covers(&change.app)) {
        let period = match f.period() {
            Ok(p) => p,
            Err(e) => return ClockState::Unknown { reason: e.to_string() },
        };
        let Some(until) = period.frozen_until(now) else { continue };
        if f.exception_for(change).is_some() {
            continue;
        }
        let hints = f.exception_hints();
        let exception = (!hints.is_empty()).then(|| hints.join(" or "));
        return ClockState::Frozen { freeze: f.name.clone(), until, exception };
    }
    let tw = match TargetWindows::new(windows, change) {
        Ok(tw) => tw,
        Err(error) => return ClockState::Invalid { error },
    };
    match tw.can_sync(now) {
        (true, _) => ClockState::Open { window: tw.open_by(now), closes_at: tw.next_auto_change(now, false) },
        (false, true) => ClockState::ManualOnly { next_opening: tw.next_auto_change(now, true) },
        (false, false) => ClockState::Closed { next_opening: tw.next_auto_change(now, true) },
    }
}

/// One line for a header: `OPEN by window 0, closes in 1h12m (14:00 UTC)`.
pub fn describe(state: &ClockState, now: DateTime<Utc>) -> String {
    let when = |t: &DateTime<Utc>| format!("{} UTC, in {}", t.format("%a %H:%M"), format_duration((*t - now).num_seconds()));
    match state {
        ClockState::Open { window, closes_at } => {
            let by = window.map_or("no window restricts it".to_string(), |i| format!("window {i}"));
            let until = closes_at.as_ref().map_or("no close within a year".into(), |t| format!("closes {}", when(t)));
            format!("OPEN by {by}, {until}")
        }
        ClockState::Closed { next_opening } => {
            format!("CLOSED, {}", next_opening.as_ref().map_or("no opening within a year".into(), |t| format!("next opening {}", when(t))))
        }
        ClockState::ManualOnly { next_opening } => format!(
            "MANUAL ONLY, {}",
            next_opening.as_ref().map_or("no automatic opening within a year".into(), |t| format!("automatic from {}", when(t)))
        ),
        ClockState::Frozen { freeze, until, exception } => {
            let ex = exception.as_ref().map_or(String::new(), |e| format!(", exception: {e}"));
            format!("FROZEN by '{freeze}' until {}{ex}", when(until))
        }
        ClockState::Invalid { error } => format!("SYNC DENIED: {error}"),
        ClockState::Unknown { reason } => format!("UNKNOWN: {reason}"),
    }
}
