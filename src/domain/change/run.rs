//! The change run as a pure state machine: `transition(state, event, ctx, now)` gives the next
//! state, the effects the engine must execute, and the one journal note that records the
//! transition. Time is a parameter; terminal states absorb every event.
//!
//! ```text
//! Pending ─Start→ Locking ─LockAcquired→ BackingUp ─BackupDone(Completed)→ Advancing(0)
//!                                   └(no backup)──────────────────────────→ Advancing(0)
//! Advancing(k) ─HoldReached→ Holding(k, until) ─Tick ≥ until ∧ healthy→ Advancing(k+1) … → Verifying
//! Verifying ─Verified→ Completed
//! any live state ─Health(Failed)→ RollingBack (onFailure: rollback) | Paused (onFailure: pause)
//! any live state ─Rollback→ RollingBack ─RolledBack→ RolledBack
//! Paused ─Continue→ Holding(k, now + hold) ; any live state ─Abort→ Aborted (targets restored)
//! ```
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::status::RunHistory;

/// What the run needs to know that does not change while it runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunCtx {
    /// Hold durations, one per hold (the longest over the targets).
    pub holds: Vec<Duration>,
    /// A Velero backup is asked for.
    pub backup: bool,
    /// `health.onFailure`: roll back (true) or pause for a decision (false).
    pub rollback_on_failure: bool,
    /// The hold to start at (0; a resumed run starts where the cluster says it stopped).
    pub first_hold: usize,
    /// A typed, journalled reason to go on when the backup does not end `Completed`.
    pub backup_waiver: Option<String>,
}

/// Where a run is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum RunState {
    Pending,
    Locking,
    BackingUp,
    /// The writes of hold `hold` are sent; waiting for the targets to reach it.
    Advancing {
        hold: usize,
    },
    Holding {
        hold: usize,
        until: DateTime<Utc>,
    },
    Verifying,
    Paused {
        hold: usize,
        reason: String,
    },
    RollingBack {
        reason: String,
        by_gate: bool,
    },
    Completed,
    RolledBack {
        reason: String,
        by_gate: bool,
    },
    Failed {
        reason: String,
    },
    Aborted {
        reason: String,
    },
}

impl RunState {
    pub fn is_terminal(&self) -> bool {
        matches!(self, RunState::Completed | RunState::RolledBack { .. } | RunState::Failed { .. } | RunState::Aborted { .. })
    }

    /// The step name used in the journal and on screen.
    pub fn step(&self) -> String {
        match self {
            RunState::Pending => "pending".into(),
            RunState::Locking => "lock".into(),
            RunState::BackingUp => "backup".into(),
            RunState::Advancing { hold } | RunState::Holding { hold, .. } | RunState::Paused { hold, .. } => format!("hold-{}", hold + 1),
            RunState::Verifying => "verify".into(),
            RunState::RollingBack { .. } => "rollback".into(),
            RunState::Completed => "completed".into(),
            RunState::RolledBack { .. } => "rolled-back".into(),
            RunState::Failed { .. } => "failed".into(),
            RunState::Aborted { .. } => "aborted".into(),
        }
    }
}

/// The health gate's verdict, as the run sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "gate", rename_all = "kebab-case")]
pub enum Gate {
    Healthy,
    Pending,
    Failed { reasons: Vec<String> },
}

/// What happened (from the engine, the cluster or the operator).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum RunEvent {
    Start,
    LockAcquired,
    LockRefused {
        reason: String,
    },
    BackupDone {
        phase: String,
    },
    BackupFailed {
        reason: String,
    },
    /// Every target has the planned number of updated pods of `hold`.
    HoldReached {
        hold: usize,
    },
    Health {
        gate: Gate,
    },
    Tick,
    /// The operator skips the rest of the current hold.
    Promote,
    Pause,
    Continue,
    Rollback {
        reason: String,
    },
    Abort {
        reason: String,
    },
    /// A write failed (the engine stops writing forward).
    WriteFailed {
        error: String,
    },
    /// The targets are complete by `kubectl rollout status` rules.
    Verified,
    /// The targets are back at their pre-change templates and healthy.
    RolledBack,
    RollbackFailed {
        error: String,
    },
}

/// What the engine must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "effect", rename_all = "kebab-case")]
pub enum Effect {
    AcquireLock,
    CreateBackup,
    /// Send the writes that take every target to hold `hold`.
    Advance {
        hold: usize,
    },
    /// Restore every target's original strategy, paused and partition (end of a good run).
    Finalize,
    /// Return every target to its pre-change template.
    Rollback,
    ReleaseLock,
}

/// A transition: the new state, the effects, and the journal note (kind `run-step`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    pub to: RunState,
    pub effects: Vec<Effect>,
    /// One line for the journal and the event stream.
    pub note: String,
}

/// An event that does not apply to the state (the state is unchanged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{event} does not apply while the run is {state}")]
pub struct Rejected {
    pub state: String,
    pub event: String,
}

fn name_of(e: &RunEvent) -> String {
    serde_json::to_value(e).ok().and_then(|v| v.get("event").and_then(|s| s.as_str()).map(str::to_string)).unwrap_or_default()
}

fn hold_end(ctx: &RunCtx, hold: usize, now: DateTime<Utc>) -> DateTime<Utc> {
    let d = ctx.holds.get(hold).copied().unwrap_or_default();
    now + chrono::Duration::from_std(d).unwrap_or_else(|_| chrono::Duration::zero())
}

/// The next state for `event` in `state`.
pub fn transition(state: &RunState, event: &RunEvent, ctx: &RunCtx, now: DateTime<Utc>) -> Result<Transition, Rejected> {
    use RunEvent as E;
    use RunState as S;
    let t = |to: S, effects: Vec<Effect>, note: String| Ok(Transition { to, effects, note });
    let reject = || Err(Rejected { state: state.step(), event: name_of(event) });
    if state.is_terminal() {
        return reject();
    }
    match (state, event) {
        (S::Pending, E::Start) => t(S::Locking, vec![Effect::AcquireLock], "run started: taking the change lock".into()),
        (S::Locking, E::LockAcquired) if ctx.backup => {
            t(S::BackingUp, vec![Effect::CreateBackup], "lock held: creating the pre-change backup".into())
        }
        (S::Locking, E::LockAcquired) => advance(ctx, ctx.first_hold, "lock held (no backup asked for): first step"),
        (S::Locking, E::LockRefused { reason }) => t(S::Failed { reason: reason.clone() }, vec![], format!("refused: {reason}")),
        (S::BackingUp, E::BackupDone { phase }) if phase == "Completed" => advance(ctx, ctx.first_hold, "backup Completed: first step"),
        (S::BackingUp, E::BackupDone { phase }) if ctx.backup_waiver.is_some() => {
            let why = ctx.backup_waiver.as_deref().unwrap_or_default();
            advance(ctx, ctx.first_hold, &format!("the pre-change backup ended {phase}; waived ({why}): first step"))
        }
        (S::BackingUp, E::BackupDone { phase }) => {
            let reason = format!("the pre-change backup ended {phase}: not a usable backup");
            t(S::Failed { reason: reason.clone() }, vec![Effect::ReleaseLock], reason)
        }
        (S::BackingUp, E::BackupFailed { reason }) => t(S::Failed { reason: reason.clone() }, vec![Effect::ReleaseLock], reason.clone()),
        (S::Advancing { hold }, E::HoldReached { hold: h }) if h == hold => {
            let until = hold_end(ctx, *hold, now);
            t(
                S::Holding { hold: *hold, until },
                vec![],
                format!("hold {} reached: watching health until {}", hold + 1, until.format("%Y-%m-%dT%H:%M:%SZ")),
            )
        }
        (S::Holding { hold, until }, E::Tick) if now >= *until => next_after_hold(ctx, *hold),
        (S::Holding { .. }, E::Tick) => reject(),
        (S::Holding { hold, .. }, E::Promote) => next_after_hold(ctx, *hold),
        (S::Advancing { hold } | S::Holding { hold, .. }, E::Pause) => {
            t(S::Paused { hold: *hold, reason: "paused by the operator".into() }, vec![], "paused by the operator".into())
        }
        (S::Paused { hold, .. }, E::Continue) => {
            let until = hold_end(ctx, *hold, now);
            t(
                S::Holding { hold: *hold, until },
                vec![],
                format!("continued: hold {} watched again until {}", hold + 1, until.format("%Y-%m-%dT%H:%M:%SZ")),
            )
        }
        (S::Advancing { .. } | S::Holding { .. } | S::Verifying, E::Health { gate: Gate::Failed { reasons } }) => {
            let reason = format!("health gate failed: {}", reasons.join("; "));
            if ctx.rollback_on_failure {
                t(S::RollingBack { reason: reason.clone(), by_gate: true }, vec![Effect::Rollback], format!("{reason}: rolling back"))
            } else {
                let hold = match state {
                    S::Advancing { hold } | S::Holding { hold, .. } => *hold,
                    _ => ctx.holds.len().saturating_sub(1),
                };
                t(S::Paused { hold, reason: reason.clone() }, vec![], format!("{reason}: paused for a decision (onFailure: pause)"))
            }
        }
        (S::Verifying, E::Verified) => {
            t(S::Completed, vec![Effect::Finalize, Effect::ReleaseLock], "verified: the rollout is complete".into())
        }
        (S::RollingBack { reason, by_gate }, E::RolledBack) => t(
            S::RolledBack { reason: reason.clone(), by_gate: *by_gate },
            vec![Effect::ReleaseLock],
            "rolled back: every target is at its pre-change template and healthy".into(),
        ),
        (S::RollingBack { reason, .. }, E::RollbackFailed { error }) => {
            let reason = format!("{reason}; the rollback failed: {error}");
            t(S::Failed { reason: reason.clone() }, vec![Effect::ReleaseLock], reason)
        }
        (S::RollingBack { .. }, _) => reject(),
        (S::Locking | S::BackingUp | S::Advancing { .. } | S::Holding { .. } | S::Verifying | S::Paused { .. }, E::Rollback { reason }) => {
            let written = !matches!(state, S::Locking | S::BackingUp);
            if written {
                t(S::RollingBack { reason: reason.clone(), by_gate: false }, vec![Effect::Rollback], format!("rollback asked: {reason}"))
            } else {
                t(S::Aborted { reason: reason.clone() }, vec![Effect::ReleaseLock], format!("stopped before any change: {reason}"))
            }
        }
        (_, E::Abort { reason }) => {
            let written = !matches!(state, S::Pending | S::Locking | S::BackingUp);
            let effects = if written { vec![Effect::Rollback, Effect::ReleaseLock] } else { vec![Effect::ReleaseLock] };
            t(S::Aborted { reason: reason.clone() }, effects, format!("aborted: {reason}"))
        }
        (S::Advancing { .. } | S::Holding { .. } | S::Verifying | S::Paused { .. }, E::WriteFailed { error }) => {
            let reason = format!("a write failed: {error}");
            t(S::RollingBack { reason: reason.clone(), by_gate: false }, vec![Effect::Rollback], format!("{reason}: rolling back"))
        }
        (S::Locking | S::BackingUp, E::WriteFailed { error }) => {
            let reason = format!("a write failed before any change: {error}");
            t(S::Failed { reason: reason.clone() }, vec![Effect::ReleaseLock], reason)
        }
        _ => reject(),
    }
}

fn advance(ctx: &RunCtx, hold: usize, note: &str) -> Result<Transition, Rejected> {
    if hold >= ctx.holds.len() {
        return Ok(Transition { to: RunState::Verifying, effects: vec![], note: format!("{note}: nothing to roll out, verifying") });
    }
    Ok(Transition { to: RunState::Advancing { hold }, effects: vec![Effect::Advance { hold }], note: note.to_string() })
}

fn next_after_hold(ctx: &RunCtx, hold: usize) -> Result<Transition, Rejected> {
    if hold + 1 < ctx.holds.len() {
        let note = format!("hold {} passed: advancing to hold {}", hold + 1, hold + 2);
        Ok(Transition { to: RunState::Advancing { hold: hold + 1 }, effects: vec![Effect::Advance { hold: hold + 1 }], note })
    } else {
        Ok(Transition { to: RunState::Verifying, effects: vec![], note: format!("hold {} passed: verifying", hold + 1) })
    }
}

/// The run screen's stepper: (step id, label) for preflight, lock, the backup when asked
/// for, each hold and verify. `holds[k]` is (updated pods, replicas) of hold k of the first
/// target that has it: the first hold below 100 % is the canary ("canary 1/10"), the others are
/// shares ("50 %", "100 %"), or pod counts when the share is not whole ("2/3").
pub fn stepper(holds: &[(u32, u32)], backup: bool) -> Vec<(String, String)> {
    let mut out = vec![("preflight".to_string(), "preflight".to_string()), ("lock".into(), "lock".into())];
    if backup {
        out.push(("backup".into(), "backup".into()));
    }
    for (k, &(updated, replicas)) in holds.iter().enumerate() {
        let label = if updated >= replicas {
            "100 %".to_string()
        } else if k == 0 {
            format!("canary {updated}/{replicas}")
        } else if (u64::from(updated) * 100) % u64::from(replicas.max(1)) == 0 {
            format!("{} %", u64::from(updated) * 100 / u64::from(replicas.max(1)))
        } else {
            format!("{updated}/{replicas}")
        };
        out.push((format!("hold-{}", k + 1), label));
    }
    out.push(("verify".into(), "verify".into()));
    out
}

/// Journal kinds of a run.
pub const KIND_RUN: &str = "change-run";
pub const KIND_STEP: &str = "run-step";

/// A change's run history from its journal entries (oldest first): the last `change-run`
/// entry decides; a run started without an end is running while its entries are fresh (within
/// `stale`), else interrupted.
pub fn history<'a, I>(entries: I, now: DateTime<Utc>) -> RunHistory
where
    I: IntoIterator<Item = &'a crate::journal::Entry>,
{
    let stale = chrono::Duration::seconds(60);
    let mut out = RunHistory::None;
    let mut last_ts = None;
    let mut step = String::from("start");
    for e in entries {
        last_ts = Some(e.ts);
        if let Some(s) = e.details.get("step").and_then(|s| s.as_str()) {
            step = s.to_string();
        }
        if e.kind != KIND_RUN {
            continue;
        }
        let reason = e.details.get("reason").and_then(|r| r.as_str()).unwrap_or_default().to_string();
        out = match e.outcome.as_deref() {
            Some("started") => RunHistory::Running { step: step.clone() },
            Some("completed") => RunHistory::Completed { at: e.ts },
            Some("rolled-back") => RunHistory::RolledBack { at: e.ts, reason },
            // A run that stopped before its first write to a target left the change as it
            // was (lock refused, backup unusable): it may run again.
            Some("failed" | "aborted") if e.details.get("changed").and_then(serde_json::Value::as_bool) == Some(false) => RunHistory::None,
            Some("failed" | "aborted") => RunHistory::Failed { at: e.ts, reason },
            _ => out,
        };
    }
    if let RunHistory::Running { .. } = out {
        let fresh = last_ts.is_some_and(|t| now - t < stale);
        return if fresh { RunHistory::Running { step } } else { RunHistory::Interrupted { step } };
    }
    out
}

#[cfg(test)]
#[path = "run_tests.rs"]
mod tests;
