#![allow(clippy::unwrap_used)]
use std::time::Duration;

use chrono::TimeZone;
use proptest::prelude::*;

use super::*;

fn ctx(backup: bool, rollback: bool) -> RunCtx {
    RunCtx {
        holds: vec![Duration::from_secs(60), Duration::from_secs(60), Duration::from_secs(30)],
        backup,
        rollback_on_failure: rollback,
        first_hold: 0,
        backup_waiver: None,
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap()
}

fn step(s: &RunState, e: RunEvent, c: &RunCtx, now: DateTime<Utc>) -> Transition {
    transition(s, &e, c, now).unwrap()
}

#[test]
fn a_good_run_walks_lock_backup_holds_verify() {
    let c = ctx(true, true);
    let now = t0();
    let mut s = RunState::Pending;
    let mut effects = Vec::new();
    for e in [RunEvent::Start, RunEvent::LockAcquired, RunEvent::BackupDone { phase: "Completed".into() }] {
        let t = step(&s, e, &c, now);
        effects.extend(t.effects);
        s = t.to;
    }
    assert_eq!(s, RunState::Advancing { hold: 0 });
    assert_eq!(effects, vec![Effect::AcquireLock, Effect::CreateBackup, Effect::Advance { hold: 0 }]);
    for hold in 0..3 {
        let t = step(&s, RunEvent::HoldReached { hold }, &c, now);
        let RunState::Holding { until, .. } = t.to else { panic!("{t:?}") };
        // Before the hold ends, a tick does nothing; at the end the run advances.
        assert!(transition(&t.to, &RunEvent::Tick, &c, until - chrono::Duration::seconds(1)).is_err());
        let next = step(&t.to, RunEvent::Tick, &c, until);
        s = next.to;
    }
    assert_eq!(s, RunState::Verifying);
    let done = step(&s, RunEvent::Verified, &c, now);
    assert_eq!(done.to, RunState::Completed);
    assert_eq!(done.effects, vec![Effect::Finalize, Effect::ReleaseLock]);
}

#[test]
fn a_failed_gate_rolls_back_or_pauses_as_the_change_says() {
    let failed = RunEvent::Health { gate: Gate::Failed { reasons: vec!["pod x is waiting: CrashLoopBackOff".into()] } };
    let holding = RunState::Holding { hold: 0, until: t0() };
    let t = step(&holding, failed.clone(), &ctx(false, true), t0());
    assert!(matches!(&t.to, RunState::RollingBack { by_gate: true, reason } if reason.contains("CrashLoopBackOff")), "{t:?}");
    assert_eq!(t.effects, vec![Effect::Rollback]);
    let back = step(&t.to, RunEvent::RolledBack, &ctx(false, true), t0());
    assert!(matches!(back.to, RunState::RolledBack { by_gate: true, .. }));
    let t = step(&holding, failed, &ctx(false, false), t0());
    assert!(matches!(t.to, RunState::Paused { hold: 0, .. }), "{t:?}");
    assert!(t.effects.is_empty(), "pause sends nothing: the workload is already held");
}

#[test]
fn rollback_before_any_write_is_an_abort_and_after_is_a_rollback() {
    let c = ctx(true, true);
    let t = step(&RunState::BackingUp, RunEvent::Rollback { reason: "operator".into() }, &c, t0());
    assert!(matches!(t.to, RunState::Aborted { .. }));
    assert_eq!(t.effects, vec![Effect::ReleaseLock]);
    let t = step(&RunState::Advancing { hold: 1 }, RunEvent::Rollback { reason: "operator".into() }, &c, t0());
    assert!(matches!(t.to, RunState::RollingBack { by_gate: false, .. }));
}

#[test]
fn an_unusable_backup_stops_the_run() {
    for phase in ["PartiallyFailed", "Failed", "FailedValidation"] {
        let t = step(&RunState::BackingUp, RunEvent::BackupDone { phase: phase.into() }, &ctx(true, true), t0());
        assert!(matches!(&t.to, RunState::Failed { reason } if reason.contains(phase)), "{phase}");
        // Only a typed reason lets the run go on, and the note keeps it.
        let waived = RunCtx { backup_waiver: Some("volumes are re-creatable".into()), ..ctx(true, true) };
        let t = step(&RunState::BackingUp, RunEvent::BackupDone { phase: phase.into() }, &waived, t0());
        assert_eq!(t.to, RunState::Advancing { hold: 0 }, "{phase}");
        assert!(t.note.contains(phase) && t.note.contains("volumes are re-creatable"), "{}", t.note);
    }
}

fn any_state() -> impl Strategy<Value = RunState> {
    prop_oneof![
        Just(RunState::Pending),
        Just(RunState::Locking),
        Just(RunState::BackingUp),
        (0usize..3).prop_map(|hold| RunState::Advancing { hold }),
        (0usize..3, 0i64..120).prop_map(|(hold, s)| RunState::Holding { hold, until: t0() + chrono::Duration::seconds(s) }),
        Just(RunState::Verifying),
        (0usize..3).prop_map(|hold| RunState::Paused { hold, reason: "x".into() }),
        any::<bool>().prop_map(|by_gate| RunState::RollingBack { reason: "x".into(), by_gate }),
        Just(RunState::Completed),
        Just(RunState::RolledBack { reason: "x".into(), by_gate: true }),
        Just(RunState::Failed { reason: "x".into() }),
        Just(RunState::Aborted { reason: "x".into() }),
    ]
}

fn any_event() -> impl Strategy<Value = RunEvent> {
    prop_oneof![
        Just(RunEvent::Start),
        Just(RunEvent::LockAcquired),
        Just(RunEvent::LockRefused { reason: "held".into() }),
        prop_oneof![Just("Completed"), Just("Failed"), Just("PartiallyFailed")].prop_map(|p| RunEvent::BackupDone { phase: p.into() }),
        (0usize..3).prop_map(|hold| RunEvent::HoldReached { hold }),
        Just(RunEvent::Health { gate: Gate::Healthy }),
        Just(RunEvent::Health { gate: Gate::Failed { reasons: vec!["x".into()] } }),
        Just(RunEvent::Tick),
        Just(RunEvent::Promote),
        Just(RunEvent::Pause),
        Just(RunEvent::Continue),
        Just(RunEvent::Rollback { reason: "r".into() }),
        Just(RunEvent::Abort { reason: "a".into() }),
        Just(RunEvent::WriteFailed { error: "500".into() }),
        Just(RunEvent::Verified),
        Just(RunEvent::RolledBack),
        Just(RunEvent::RollbackFailed { error: "e".into() }),
    ]
}

proptest! {
    #[test]
    fn terminal_states_absorb_every_event(s in any_state(), e in any_event(), secs in 0i64..200) {
        let now = t0() + chrono::Duration::seconds(secs);
        let r = transition(&s, &e, &ctx(true, true), now);
        if s.is_terminal() {
            prop_assert!(r.is_err());
        }
    }

    #[test]
    fn every_transition_has_one_note_and_a_write_ahead_rollback(s in any_state(), events in proptest::collection::vec(any_event(), 0..40)) {
        let c = ctx(true, true);
        let mut state = s;
        let mut advanced = !matches!(state, RunState::Pending | RunState::Locking | RunState::BackingUp);
        for (i, e) in events.into_iter().enumerate() {
            let now = t0() + chrono::Duration::seconds(i as i64 * 30);
            if let Ok(t) = transition(&state, &e, &c, now) {
                prop_assert!(!t.note.is_empty());
                advanced |= t.effects.iter().any(|e| matches!(e, Effect::Advance { .. }));
                // Once anything was written forward, the run can only end completed or with the
                // targets restored (rolled back / aborted with a rollback), or failed saying why.
                if advanced && matches!(t.to, RunState::Aborted { .. }) {
                    prop_assert!(t.effects.contains(&Effect::Rollback));
                }
                prop_assert!(t.effects.iter().filter(|e| **e == Effect::ReleaseLock).count() <= 1);
                state = t.to;
            }
        }
    }
}

#[test]
fn the_stepper_names_the_canary_and_the_shares() {
    let labels = |holds: &[(u32, u32)], backup| stepper(holds, backup).into_iter().map(|(id, l)| format!("{id}={l}")).collect::<Vec<_>>();
    assert_eq!(
        labels(&[(1, 10), (5, 10), (10, 10)], true),
        ["preflight=preflight", "lock=lock", "backup=backup", "hold-1=canary 1/10", "hold-2=50 %", "hold-3=100 %", "verify=verify"]
    );
    // No backup; a first hold that already is everything is no canary; 2 of 3 is not a whole share.
    assert_eq!(labels(&[(3, 3)], false), ["preflight=preflight", "lock=lock", "hold-1=100 %", "verify=verify"]);
    assert_eq!(labels(&[(1, 3), (2, 3), (3, 3)], false)[3], "hold-2=2/3");
    // Zero replicas never divides by zero.
    assert_eq!(labels(&[(0, 0)], false)[2], "hold-1=100 %");
}
