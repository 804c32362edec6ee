//! Approval verdicts, derived status with the deciding rule, and the planned slot fit.

use cabin::domain::change::*;
use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;

fn t(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, m, 0).unwrap()
}

fn change(author: &str, approvers: &[&str], risk: Risk) -> ChangeRequest {
    let text = format!(
        "apiVersion: cabin.dev/v1alpha1\nkind: ChangeRequest\nmetadata: {{name: CHG-1}}\nspec:\n  title: t\n  risk: {}\n  author: {author}\n  approvedBy: [{}]\n  window: 2026-12-01T02:00:00Z/PT4H\n  targets: [{{kind: Deployment, namespace: a, name: b, images: {{app: x:1}}}}]\n",
        risk.as_str(),
        approvers.iter().map(|a| format!("'{a}'")).collect::<Vec<_>>().join(", ")
    );
    match parse_change("c.yaml", &text) {
        Ok(c) => c,
        Err(p) => panic!("{p:?}"),
    }
}

#[test]
fn approvals_are_distinct_never_the_author_and_count_per_risk() {
    let policy = ApprovalPolicy::default();
    let v = policy.verdict(&change("alice", &["sre-lead", "platform-lead"], Risk::Medium));
    assert!(v.met);
    assert_eq!(
        v.message,
        "approved: minApprovers requires 2 distinct approvers other than the author (alice), has 2 (sre-lead, platform-lead)"
    );

    let v = policy.verdict(&change("alice", &["Alice", "sre-lead", "SRE-Lead"], Risk::Low));
    assert!(!v.met);
    assert_eq!(v.counted, vec!["sre-lead"]);
    assert_eq!(
        v.message,
        "needs approval: minApprovers requires 2 distinct approvers other than the author (alice), has 1 (sre-lead); \
         'Alice' ignored: the author cannot approve their own change; 'SRE-Lead' ignored: already counted (approvers are distinct, case-insensitive)"
    );

    let high = ApprovalPolicy { min_approvers_high_risk: Some(3), ..ApprovalPolicy::default() };
    let v = high.verdict(&change("alice", &["a", "b"], Risk::High));
    assert!(!v.met);
    assert_eq!((v.required, v.rule.as_str()), (3, "minApproversHighRisk"));
    assert!(v.message.starts_with("needs approval: minApproversHighRisk for risk high requires 3 distinct approvers"), "{}", v.message);
    assert!(high.verdict(&change("alice", &["a", "b"], Risk::Medium)).met);
    // A high-risk minimum below the general one never lowers it.
    let lower = ApprovalPolicy { min_approvers_high_risk: Some(1), ..ApprovalPolicy::default() };
    assert_eq!(lower.verdict(&change("alice", &["a"], Risk::High)).required, 2);

    let allowed = ApprovalPolicy { allowed_approvers: vec!["SRE-lead".into()], min_approvers: 1, ..ApprovalPolicy::default() };
    let v = allowed.verdict(&change("alice", &["bob", "sre-lead"], Risk::Low));
    assert!(v.met);
    assert_eq!(v.ignored[0].reason, "not in allowedApprovers");
}

#[test]
fn approval_policy_reads_from_config_in_camel_case() {
    let p: ApprovalPolicy = yaml_serde::from_str("minApprovers: 3\nminApproversHighRisk: 4\n").expect("policy");
    assert_eq!(p, ApprovalPolicy { min_approvers: 3, min_approvers_high_risk: Some(4), allowed_approvers: vec![] });
    let p: ApprovalPolicy = yaml_serde::from_str("{}").expect("policy");
    assert_eq!(p, ApprovalPolicy::default());
    assert!(yaml_serde::from_str::<ApprovalPolicy>("minApprover: 3\n").is_err(), "a typo is not silently ignored");
}

/// (change, window, history, now) -> (status, rule).
type Case<'a> = (&'a ChangeRequest, WindowVerdict, RunHistory, DateTime<Utc>, ChangeStatus, &'a str);

#[test]
fn status_table_with_the_deciding_rule() {
    let approved = change("alice", &["a", "b"], Risk::Low);
    let unapproved = change("alice", &["a"], Risk::Low);
    let policy = ApprovalPolicy::default();
    let open = WindowVerdict::Open { closes_at: Some(t(6, 0)) };
    let inside = t(3, 0);
    let cases: Vec<Case<'_>> = vec![
        (
            &approved,
            open.clone(),
            RunHistory::None,
            inside,
            ChangeStatus::Ready,
            "approved, the window is open until 2026-12-01T06:00:00Z, inside its planned slot until 2026-12-01T06:00:00Z",
        ),
        (
            &approved,
            open.clone(),
            RunHistory::None,
            t(1, 0),
            ChangeStatus::WaitingForWindow,
            "the window is open until 2026-12-01T06:00:00Z, but its planned slot starts at 2026-12-01T02:00:00Z",
        ),
        (
            &approved,
            open.clone(),
            RunHistory::None,
            t(6, 0),
            ChangeStatus::WaitingForWindow,
            "its planned slot ended at 2026-12-01T06:00:00Z: plan a new slot",
        ),
        (
            &approved,
            WindowVerdict::Closed { next_open: Some(t(8, 0)) },
            RunHistory::None,
            inside,
            ChangeStatus::WaitingForWindow,
            "the sync windows are closed; next opening 2026-12-01T08:00:00Z",
        ),
        (
            &approved,
            WindowVerdict::Frozen { freeze: "year-end".into(), until: Some(t(9, 0)), exception: Some("label 'emergency'".into()) },
            RunHistory::None,
            inside,
            ChangeStatus::WaitingForWindow,
            "frozen by 'year-end' until 2026-12-01T09:00:00Z (exception: label 'emergency')",
        ),
        (
            &approved,
            WindowVerdict::Unknown { reason: "windows file unreadable".into() },
            RunHistory::None,
            inside,
            ChangeStatus::Approved,
            "approved; the windows could not be evaluated (windows file unreadable), so it is not ready",
        ),
        (
            &unapproved,
            open.clone(),
            RunHistory::None,
            inside,
            ChangeStatus::NeedsApproval,
            "needs approval: minApprovers requires 2 distinct approvers other than the author (alice), has 1 (a)",
        ),
        (
            &unapproved,
            open.clone(),
            RunHistory::Running { step: "canary".into() },
            inside,
            ChangeStatus::Running,
            "a run is in progress (step: canary)",
        ),
        (
            &approved,
            open.clone(),
            RunHistory::Interrupted { step: "50%".into() },
            inside,
            ChangeStatus::Interrupted,
            "a run stopped without finishing at step 50%: resume or roll back",
        ),
        (
            &approved,
            WindowVerdict::Closed { next_open: None },
            RunHistory::Completed { at: t(4, 0) },
            inside,
            ChangeStatus::Completed,
            "the run completed at 2026-12-01T04:00:00Z",
        ),
        (
            &approved,
            open.clone(),
            RunHistory::RolledBack { at: t(4, 0), reason: "canary crash-looped".into() },
            inside,
            ChangeStatus::RolledBack,
            "the run was rolled back at 2026-12-01T04:00:00Z: canary crash-looped",
        ),
        (
            &approved,
            open.clone(),
            RunHistory::Failed { at: t(4, 0), reason: "backup Failed".into() },
            inside,
            ChangeStatus::Failed,
            "the run failed at 2026-12-01T04:00:00Z: backup Failed",
        ),
    ];
    for (c, w, h, now, status, rule) in cases {
        let v = change_status(c, &policy.verdict(c), &w, &h, now);
        assert_eq!((v.status, v.rule.as_str()), (status, rule), "{w:?} {h:?} {now}");
    }
    let mut no_slot = approved.clone();
    no_slot.window = None;
    let v = change_status(&no_slot, &policy.verdict(&no_slot), &WindowVerdict::Open { closes_at: None }, &RunHistory::None, inside);
    assert_eq!((v.status, v.rule.as_str()), (ChangeStatus::Ready, "approved and the window is open (no planned slot)"));
}

#[test]
fn status_names_are_the_contract_words() {
    let words: Vec<String> = [
        ChangeStatus::NeedsApproval,
        ChangeStatus::Approved,
        ChangeStatus::WaitingForWindow,
        ChangeStatus::Ready,
        ChangeStatus::Running,
        ChangeStatus::Interrupted,
        ChangeStatus::Completed,
        ChangeStatus::RolledBack,
        ChangeStatus::Failed,
    ]
    .iter()
    .map(|s| {
        let json = serde_json::to_string(s).expect("json");
        assert_eq!(json, format!("\"{}\"", s.as_str()));
        s.as_str().to_string()
    })
    .collect();
    assert_eq!(words.join(" "), "needs-approval approved waiting-for-window ready running interrupted completed rolled-back failed");
}

#[test]
fn clock_states_map_to_window_verdicts_fail_closed() {
    use cabin::domain::windows::clock::ClockState;
    let next = Some(t(5, 0));
    assert_eq!(WindowVerdict::from(&ClockState::ManualOnly { next_opening: next }), WindowVerdict::Closed { next_open: next });
    assert_eq!(WindowVerdict::from(&ClockState::Invalid { error: "bad".into() }), WindowVerdict::Unknown { reason: "bad".into() });
    assert_eq!(WindowVerdict::from(&ClockState::Open { window: Some(0), closes_at: next }), WindowVerdict::Open { closes_at: next });
}

proptest! {
    /// The slot fit agrees with a brute-force comparison, and only `Inside` can be ready.
    #[test]
    fn slot_fit_matches_the_half_open_interval(offset in -600i64..600) {
        let c = change("alice", &["a", "b"], Risk::Low);
        let now = t(2, 0) + Duration::minutes(offset);
        let slot = c.window.clone().expect("slot");
        let fit = slot_fit(&c, now);
        prop_assert_eq!(matches!(fit, SlotFit::Inside { .. }), slot.contains(now));
        prop_assert_eq!(slot.contains(now), now >= t(2, 0) && now < t(6, 0));
        let v = change_status(&c, &ApprovalPolicy::default().verdict(&c), &WindowVerdict::Open { closes_at: None }, &RunHistory::None, now);
        prop_assert_eq!(v.status == ChangeStatus::Ready, slot.contains(now));
    }

    /// Whatever the window and approvals, a finished run decides the status.
    #[test]
    fn history_decides_first(which in 0usize..4, approvers in 0usize..3) {
        let names = ["a", "b", "c"];
        let c = change("alice", &names[..approvers], Risk::Low);
        let (h, want) = match which {
            0 => (RunHistory::Completed { at: t(4, 0) }, ChangeStatus::Completed),
            1 => (RunHistory::RolledBack { at: t(4, 0), reason: "r".into() }, ChangeStatus::RolledBack),
            2 => (RunHistory::Failed { at: t(4, 0), reason: "r".into() }, ChangeStatus::Failed),
            _ => (RunHistory::Running { step: "s".into() }, ChangeStatus::Running),
        };
        let v = change_status(&c, &ApprovalPolicy::default().verdict(&c), &WindowVerdict::Unknown { reason: "x".into() }, &h, t(3, 0));
        prop_assert_eq!(v.status, want);
    }
}
