//! A change's status, derived from the request, the approval verdict, the window verdict and
//! the run history, with the rule that decided it; and the fit of `now` in the planned slot.

use super::approval::ApprovalVerdict;
use super::model::ChangeRequest;
use crate::domain::windows::clock::ClockState;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

/// Whether the change may go ahead now, as the windows and freezes say (gathered by the
/// caller for the change's targets; the most restrictive target's verdict).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum WindowVerdict {
    Open {
        closes_at: Option<DateTime<Utc>>,
    },
    Closed {
        next_open: Option<DateTime<Utc>>,
    },
    Frozen {
        freeze: String,
        until: Option<DateTime<Utc>>,
        exception: Option<String>,
    },
    /// The windows could not be read or evaluated: never treated as open.
    Unknown {
        reason: String,
    },
}

impl WindowVerdict {
    /// The verdict for a change from its targets' verdicts: the most restrictive wins
    /// (Unknown, then Frozen, then Closed, then Open). Open closes at the earliest close;
    /// Closed opens, at the soonest, at the latest of the next openings (every target must be
    /// open). No verdict at all is Unknown.
    pub fn combine(verdicts: &[WindowVerdict]) -> WindowVerdict {
        let rank = |v: &WindowVerdict| match v {
            WindowVerdict::Unknown { .. } => 0,
            WindowVerdict::Frozen { .. } => 1,
            WindowVerdict::Closed { .. } => 2,
            WindowVerdict::Open { .. } => 3,
        };
        let Some(worst) = verdicts.iter().min_by_key(|v| rank(v)) else {
            return WindowVerdict::Unknown { reason: "no window verdict for any target".into() };
        };
        match worst {
            WindowVerdict::Open { .. } => {
                let closes =
                    verdicts.iter().filter_map(|v| if let WindowVerdict::Open { closes_at } = v { *closes_at } else { None }).min();
                WindowVerdict::Open { closes_at: closes }
            }
            WindowVerdict::Closed { .. } => {
                let nexts: Vec<Option<DateTime<Utc>>> = verdicts
                    .iter()
                    .filter_map(|v| if let WindowVerdict::Closed { next_open } = v { Some(*next_open) } else { None })
                    .collect();
                let next = if nexts.contains(&None) { None } else { nexts.into_iter().flatten().max() };
                WindowVerdict::Closed { next_open: next }
            }
            other => other.clone(),
        }
    }
}

impl From<&ClockState> for WindowVerdict {
    /// `ManualOnly` is `Closed` (a change run is not an Argo CD manual sync); `Invalid` is
    /// `Unknown` (Argo CD denies every sync then).
    fn from(c: &ClockState) -> Self {
        match c {
            ClockState::Open { closes_at, .. } => WindowVerdict::Open { closes_at: *closes_at },
            ClockState::Closed { next_opening } | ClockState::ManualOnly { next_opening } => {
                WindowVerdict::Closed { next_open: *next_opening }
            }
            ClockState::Frozen { freeze, until, exception } => {
                WindowVerdict::Frozen { freeze: freeze.clone(), until: Some(*until), exception: exception.clone() }
            }
            ClockState::Invalid { error } => WindowVerdict::Unknown { reason: error.clone() },
            ClockState::Unknown { reason } => WindowVerdict::Unknown { reason: reason.clone() },
        }
    }
}

/// What the journal says about the change's runs (the latest run).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RunHistory {
    None,
    Running {
        step: String,
    },
    Completed {
        at: DateTime<Utc>,
    },
    RolledBack {
        at: DateTime<Utc>,
        reason: String,
    },
    Failed {
        at: DateTime<Utc>,
        reason: String,
    },
    /// A run stopped without a final entry (a crash): resume or roll back.
    Interrupted {
        step: String,
    },
}

/// The status shown for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeStatus {
    NeedsApproval,
    Approved,
    WaitingForWindow,
    Ready,
    Running,
    /// A run stopped half way (crash): it needs a resume or a rollback.
    Interrupted,
    Completed,
    RolledBack,
    Failed,
}

impl ChangeStatus {
    /// `needs-approval`, `ready`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeStatus::NeedsApproval => "needs-approval",
            ChangeStatus::Approved => "approved",
            ChangeStatus::WaitingForWindow => "waiting-for-window",
            ChangeStatus::Ready => "ready",
            ChangeStatus::Running => "running",
            ChangeStatus::Interrupted => "interrupted",
            ChangeStatus::Completed => "completed",
            ChangeStatus::RolledBack => "rolled-back",
            ChangeStatus::Failed => "failed",
        }
    }
}

/// A status and the rule that decided it (a sentence).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusVerdict {
    pub status: ChangeStatus,
    pub rule: String,
}

/// Where `now` falls against the planned slot (`spec.window`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "fit", rename_all = "kebab-case")]
pub enum SlotFit {
    /// No slot planned.
    NoSlot,
    Before {
        starts_at: DateTime<Utc>,
    },
    Inside {
        ends_at: DateTime<Utc>,
    },
    After {
        ended_at: DateTime<Utc>,
    },
}

/// The planned slot fit at `now` (`[start, end)`).
pub fn slot_fit(change: &ChangeRequest, now: DateTime<Utc>) -> SlotFit {
    match &change.window {
        None => SlotFit::NoSlot,
        Some(s) if now < s.start => SlotFit::Before { starts_at: s.start },
        Some(s) if now < s.end => SlotFit::Inside { ends_at: s.end },
        Some(s) => SlotFit::After { ended_at: s.end },
    }
}

pub(crate) fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The status of `change` at `now`. Order: the run history first (a run in progress or
/// finished decides), then approvals, then the windows and freezes, then the planned slot.
pub fn change_status(
    change: &ChangeRequest,
    approval: &ApprovalVerdict,
    window: &WindowVerdict,
    history: &RunHistory,
    now: DateTime<Utc>,
) -> StatusVerdict {
    let v = |status, rule: String| StatusVerdict { status, rule };
    match history {
        RunHistory::Running { step } => return v(ChangeStatus::Running, format!("a run is in progress (step: {step})")),
        RunHistory::Interrupted { step } => {
            return v(ChangeStatus::Interrupted, format!("a run stopped without finishing at step {step}: resume or roll back"));
        }
        RunHistory::Completed { at } => return v(ChangeStatus::Completed, format!("the run completed at {}", ts(at))),
        RunHistory::RolledBack { at, reason } => {
            return v(ChangeStatus::RolledBack, format!("the run was rolled back at {}: {reason}", ts(at)));
        }
        RunHistory::Failed { at, reason } => return v(ChangeStatus::Failed, format!("the run failed at {}: {reason}", ts(at))),
        RunHistory::None => {}
    }
    if !approval.met {
        return v(ChangeStatus::NeedsApproval, approval.message.clone());
    }
    window_status(change, window, now)
}

fn window_status(change: &ChangeRequest, window: &WindowVerdict, now: DateTime<Utc>) -> StatusVerdict {
    let v = |status, rule: String| StatusVerdict { status, rule };
    let waiting = ChangeStatus::WaitingForWindow;
    let closes = match window {
        WindowVerdict::Unknown { reason } => {
            return v(ChangeStatus::Approved, format!("approved; the windows could not be evaluated ({reason}), so it is not ready"));
        }
        WindowVerdict::Frozen { freeze, until, exception } => {
            let until = until.as_ref().map_or("further notice".to_string(), ts);
            let hint = exception.as_ref().map_or(String::new(), |e| format!(" (exception: {e})"));
            return v(waiting, format!("frozen by '{freeze}' until {until}{hint}"));
        }
        WindowVerdict::Closed { next_open } => {
            let next = next_open.as_ref().map_or("no opening within a year".to_string(), |t| format!("next opening {}", ts(t)));
            return v(waiting, format!("the sync windows are closed; {next}"));
        }
        WindowVerdict::Open { closes_at } => closes_at,
    };
    let open = closes.as_ref().map_or("the window is open".to_string(), |t| format!("the window is open until {}", ts(t)));
    match slot_fit(change, now) {
        SlotFit::NoSlot => v(ChangeStatus::Ready, format!("approved and {open} (no planned slot)")),
        SlotFit::Inside { ends_at } => v(ChangeStatus::Ready, format!("approved, {open}, inside its planned slot until {}", ts(&ends_at))),
        SlotFit::Before { starts_at } => v(waiting, format!("{open}, but its planned slot starts at {}", ts(&starts_at))),
        SlotFit::After { ended_at } => v(waiting, format!("its planned slot ended at {}: plan a new slot", ts(&ended_at))),
    }
}
