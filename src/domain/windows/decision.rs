//! List evaluation over the matched windows W: `Active`, `InactiveAllows`, `CanSync`.

use super::window::{AppTarget, CompiledWindow, SyncWindow, WindowError};
use chrono::{DateTime, Utc};

/// Why CanSync could not decide (text: `invalid sync windows: …`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid sync windows: {0}")]
pub struct InvalidWindows(pub WindowError);

/// Indices of the windows that apply to `app` (order kept).
pub fn matching_indices(windows: &[SyncWindow], app: &AppTarget) -> Vec<usize> {
    (0..windows.len()).filter(|&i| windows[i].matches(app)).collect()
}

/// The matched list W, borrowed and with each window compiled lazily.
#[derive(Debug, Clone)]
pub struct WindowList<'a> {
    /// (index in the project, window).
    pub items: Vec<(usize, &'a SyncWindow)>,
}

impl<'a> WindowList<'a> {
    /// All windows, without matching.
    pub fn all(windows: &'a [SyncWindow]) -> Self {
        WindowList { items: windows.iter().enumerate().collect() }
    }

    /// Only the windows that match `app`.
    pub fn matching(windows: &'a [SyncWindow], app: &AppTarget) -> Self {
        WindowList { items: windows.iter().enumerate().filter(|(_, w)| w.matches(app)).collect() }
    }

    /// `hasDeny()`: the list holds a `deny` window.
    pub fn has_deny(&self) -> bool {
        self.items.iter().any(|(_, w)| w.is_deny())
    }

    /// `hasAllow()`: the list holds an `allow` window.
    pub fn has_allow(&self) -> bool {
        self.items.iter().any(|(_, w)| w.is_allow())
    }

    /// There are deny windows and each satisfies `flag` (`manualSync`: `hasDeny()`'s
    /// "manual enabled"; `syncOverrun`: "deny allows overrun").
    pub fn denies_all(&self, flag: impl Fn(&SyncWindow) -> bool) -> bool {
        self.has_deny() && self.items.iter().filter(|(_, w)| w.is_deny()).all(|(_, w)| flag(w))
    }

    /// `Active(t)`: indices of active windows; the first parse error (list order) aborts.
    pub fn active(&self, t: DateTime<Utc>) -> Result<Vec<usize>, WindowError> {
        let mut out = Vec::new();
        for (i, w) in &self.items {
            if w.compile()?.active_at(t) {
                out.push(*i);
            }
        }
        Ok(out)
    }

    /// `InactiveAllows(t)`: allow windows not active at `t`; errors of allow windows abort.
    pub fn inactive_allows(&self, t: DateTime<Utc>) -> Result<Vec<usize>, WindowError> {
        let mut out = Vec::new();
        for (i, w) in self.items.iter().filter(|(_, w)| w.is_allow()) {
            if !w.compile()?.active_at(t) {
                out.push(*i);
            }
        }
        Ok(out)
    }

    /// `CanSync(isManual, operationStartTime)` evaluated at `now`.
    pub fn can_sync(&self, manual: bool, op_start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Result<bool, InvalidWindows> {
        let compiled =
            self.items.iter().map(|(_, w)| w.compile().map(|c| (*w, c))).collect::<Result<Vec<_>, _>>().map_err(InvalidWindows)?;
        Ok(decide(&compiled, manual, op_start, now))
    }
}

/// CanSync over already compiled windows (no parse errors possible).
pub fn decide(w: &[(&SyncWindow, CompiledWindow)], manual: bool, op_start: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let flags: Vec<bool> = w.iter().map(|(_, c)| c.active_at(now)).collect();
    decide_with_flags(w, &flags, manual, op_start, &|t| {
        let later: Vec<bool> = w.iter().map(|(_, c)| c.active_at(t)).collect();
        decide_with_flags(w, &later, manual, None, &|_| false)
    })
}

/// CanSync given the active flag of each window of W; `was_allowed` evaluates at the
/// operation start (without overrun checks).
pub fn decide_with_flags(
    w: &[(&SyncWindow, CompiledWindow)],
    active: &[bool],
    manual: bool,
    op_start: Option<DateTime<Utc>>,
    was_allowed: &dyn Fn(DateTime<Utc>) -> bool,
) -> bool {
    if w.is_empty() {
        return true;
    }
    let act = || w.iter().zip(active).filter(|(_, a)| **a).map(|((s, _), _)| *s);
    if act().any(|s| s.is_deny()) {
        let denies = || act().filter(|s| s.is_deny());
        if manual && denies().all(|s| s.manual_sync) {
            return true;
        }
        return match op_start {
            Some(t) if denies().all(|s| s.sync_overrun) => was_allowed(t),
            _ => false,
        };
    }
    if act().any(|s| s.is_allow()) {
        return true;
    }
    let allows: Vec<&SyncWindow> = w.iter().map(|(s, _)| *s).filter(|s| s.is_allow()).collect();
    if allows.is_empty() {
        return true;
    }
    if manual && allows.iter().all(|s| s.manual_sync) {
        return true;
    }
    match op_start {
        Some(t) if allows.iter().all(|s| s.sync_overrun) => was_allowed(t),
        _ => false,
    }
}
