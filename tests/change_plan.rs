//! The rollout plan: exact updated counts per hold, rounding, partitions, and the invariants
//! (strictly increasing, each ≥ 1, ends at replicas) as properties.

use cabin::domain::change::*;
use proptest::prelude::*;
use std::time::Duration;

fn step(amount: StepAmount, secs: u64) -> Step {
    Step { amount, hold: Duration::from_secs(secs) }
}

fn deploy(replicas: u32) -> WorkloadShape {
    WorkloadShape::Deployment { replicas, rolling: Some((None, None)) }
}

fn updated(plan: &RolloutPlan) -> Vec<u32> {
    plan.holds.iter().map(|h| h.updated).collect()
}

#[test]
fn percent_rounds_up_like_argo_rollouts_set_weight() {
    // (replicas, percent, updated pods)
    for (replicas, p, want) in
        [(4, 50, 2), (3, 50, 2), (10, 5, 1), (10, 10, 1), (10, 11, 2), (1, 1, 1), (7, 100, 7), (3, 33, 1), (3, 34, 2), (200, 99, 198)]
    {
        assert_eq!(step_target(StepAmount::Percent(p), replicas), want, "{p}% of {replicas}");
    }
    assert_eq!(step_target(StepAmount::Pods(1), 4), 1);
    assert_eq!(step_target(StepAmount::Pods(9), 4), 4);
}

#[test]
fn the_contract_example_on_four_replicas() {
    let steps = [step(StepAmount::Pods(1), 120), step(StepAmount::Percent(50), 120), step(StepAmount::Percent(100), 60)];
    let plan = plan_rollout(WorkloadKind::Deployment, deploy(4), &steps).expect("plan");
    assert_eq!(updated(&plan), vec![1, 2, 4]);
    assert_eq!(plan.holds.iter().map(|h| h.old).collect::<Vec<_>>(), vec![3, 2, 0]);
    assert_eq!(plan.holds.iter().map(|h| h.hold.as_secs()).collect::<Vec<_>>(), vec![120, 120, 60]);
    assert!(plan.holds.iter().all(|h| h.partition.is_none() && !h.implicit));
    assert_eq!((plan.max_surge, plan.max_unavailable, plan.min_available), (Some(1), Some(1), Some(3)));
    assert!(plan.notes.is_empty());
}

#[test]
fn default_steps_on_small_workloads_collapse() {
    let plan = plan_rollout(WorkloadKind::Deployment, deploy(1), &default_steps()).expect("plan");
    assert_eq!(updated(&plan), vec![1]);
    assert_eq!(plan.holds[0].hold, Duration::from_secs(120), "the longest hold of the merged steps");
    assert_eq!(plan.holds[0].steps, vec![0, 1, 2]);
    let plan = plan_rollout(WorkloadKind::Deployment, deploy(2), &default_steps()).expect("plan");
    assert_eq!(updated(&plan), vec![1, 2]);
    assert_eq!(plan.holds[0].steps, vec![0, 1]);
    assert_eq!(plan.updated_by_step(), vec![1, 1, 2]);
    assert_eq!(plan.notes, vec!["step 2 (50%) lands on 1 updated pods like the one before: merged".to_string()]);
    let plan = plan_rollout(WorkloadKind::Deployment, deploy(3), &default_steps()).expect("plan");
    assert_eq!(updated(&plan), vec![1, 2, 3]);
}

#[test]
fn statefulsets_hold_by_partition() {
    let plan = plan_rollout(WorkloadKind::StatefulSet, WorkloadShape::StatefulSet { replicas: 3 }, &default_steps()).expect("plan");
    assert_eq!(updated(&plan), vec![1, 2, 3]);
    assert_eq!(plan.holds.iter().map(|h| h.partition).collect::<Vec<_>>(), vec![Some(2), Some(1), Some(0)]);
    assert_eq!((plan.max_surge, plan.max_unavailable, plan.min_available), (None, None, None));
}

#[test]
fn backwards_steps_are_held_and_a_short_plan_gets_a_last_step() {
    let steps = [step(StepAmount::Pods(3), 10), step(StepAmount::Percent(50), 40)];
    let plan = plan_rollout(WorkloadKind::Deployment, deploy(8), &steps).expect("plan");
    assert_eq!(updated(&plan), vec![3, 4, 8]);
    let plan = plan_rollout(WorkloadKind::Deployment, deploy(4), &steps).expect("plan");
    assert_eq!(updated(&plan), vec![3, 4]);
    assert_eq!(plan.holds[0].hold, Duration::from_secs(40));
    assert!(plan.holds[1].implicit && plan.holds[1].hold.is_zero() && plan.holds[1].steps.is_empty());
    assert_eq!(
        plan.notes,
        vec![
            "step 2 (50%) asks for 2 updated pods, below the 3 already updated: held at 3".to_string(),
            "the steps stop short of 4 replicas: a last step updates them all (no hold)".to_string(),
        ]
    );
}

#[test]
fn surge_and_unavailable_round_like_the_deployment_controller() {
    use IntOrPercent::*;
    // (replicas, maxSurge, maxUnavailable) -> (surge, unavailable)
    let cases = [
        (4, Some(Percent(25)), Some(Percent(25)), (1, 1)),
        (3, Some(Percent(25)), Some(Percent(25)), (1, 0)),
        (10, Some(Percent(25)), Some(Percent(25)), (3, 2)),
        (1, None, None, (1, 0)),
        (4, Some(Int(0)), Some(Int(0)), (0, 1)),
        (3, Some(Percent(0)), Some(Percent(10)), (0, 1)),
        (4, Some(Int(1)), Some(Int(0)), (1, 0)),
        (4, Some(Int(-2)), Some(Percent(50)), (0, 2)),
    ];
    for (r, s, u, want) in cases {
        assert_eq!(resolve_surge_unavailable(r, s, u), want, "{r} {s:?} {u:?}");
    }
    assert_eq!(IntOrPercent::parse("25%"), Some(Percent(25)));
    assert_eq!(IntOrPercent::parse("2"), Some(Int(2)));
    assert_eq!(IntOrPercent::parse("x%"), None);
}

#[test]
fn no_plan_for_zero_replicas_recreate_or_no_steps() {
    assert_eq!(plan_rollout(WorkloadKind::Deployment, deploy(0), &default_steps()), Err(PlanError::NoReplicas));
    let recreate = WorkloadShape::Deployment { replicas: 3, rolling: None };
    assert_eq!(plan_rollout(WorkloadKind::Deployment, recreate, &default_steps()), Err(PlanError::Recreate));
    assert_eq!(plan_rollout(WorkloadKind::Deployment, deploy(3), &[]), Err(PlanError::NoSteps));
}

fn arb_step() -> impl Strategy<Value = Step> {
    let amount = prop_oneof![(1u32..500).prop_map(StepAmount::Pods), (1u32..=100).prop_map(StepAmount::Percent)];
    (amount, 0u64..3600).prop_map(|(a, s)| step(a, s))
}

proptest! {
    #[test]
    fn plans_are_monotone_end_at_replicas_and_never_empty(
        replicas in 1u32..300,
        steps in proptest::collection::vec(arb_step(), 1..12),
        statefulset in any::<bool>(),
    ) {
        let (kind, shape) = if statefulset {
            (WorkloadKind::StatefulSet, WorkloadShape::StatefulSet { replicas })
        } else {
            (WorkloadKind::Deployment, deploy(replicas))
        };
        let plan = plan_rollout(kind, shape, &steps).expect("plan");
        let u = updated(&plan);
        prop_assert!(u.iter().all(|&n| n >= 1 && n <= replicas));
        prop_assert!(u.windows(2).all(|w| w[0] < w[1]), "strictly increasing: {u:?}");
        prop_assert_eq!(u.last().copied(), Some(replicas));
        for h in &plan.holds {
            prop_assert_eq!(h.old, replicas - h.updated);
            prop_assert_eq!(h.partition, statefulset.then_some(replicas - h.updated));
        }
        // Step by step: never decreasing, one entry per file step (+1 for an implicit last hold).
        let by_step = plan.updated_by_step();
        let implicit = plan.holds.last().is_some_and(|h| h.implicit);
        prop_assert_eq!(by_step.len(), steps.len() + usize::from(implicit));
        prop_assert!(by_step.windows(2).all(|w| w[0] <= w[1]));
        prop_assert_eq!(by_step.last().copied(), Some(replicas));
        // Every file step lands in exactly one hold, in order; no hold is shorter than its steps.
        let landed: Vec<usize> = plan.holds.iter().flat_map(|h| h.steps.clone()).collect();
        prop_assert_eq!(landed, (0..steps.len()).collect::<Vec<_>>());
        for h in &plan.holds {
            for &i in &h.steps {
                prop_assert!(h.hold >= steps[i].hold);
            }
        }
    }

    #[test]
    fn surge_and_unavailable_match_the_controller_formula(replicas in 0u32..1000, s in 0i64..=100, u in 0i64..=100) {
        let (surge, unavail) = resolve_surge_unavailable(replicas, Some(IntOrPercent::Percent(s)), Some(IntOrPercent::Percent(u)));
        let exact_s = (f64::from(replicas) * s as f64 / 100.0).ceil() as u32;
        let exact_u = (f64::from(replicas) * u as f64 / 100.0).floor() as u32;
        if exact_s == 0 && exact_u == 0 {
            prop_assert_eq!((surge, unavail), (0, 1));
        } else {
            prop_assert_eq!((surge, unavail), (exact_s, exact_u));
        }
    }
}
