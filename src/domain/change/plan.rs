//! The rollout plan: for one target, the holds with the exact number of updated pods at each.
//!
//! - `pods: n` asks for `min(n, replicas)` updated pods.
//! - `percent: p` asks for `ceil(replicas × p / 100)` updated pods — Argo Rollouts' rounding
//!   for a canary weight (`utils/replicaset/canary.go`: `math.Ceil(replicas * weight/100)`), so
//!   any non-zero percentage updates at least one pod.
//! - A step never goes backwards (it is raised to the previous count) and steps that land on the
//!   same count collapse into one hold that keeps the longest of their holds.
//! - The last hold reaches every replica: when the steps stop short, a final hold of 0s at
//!   `replicas` is added (`implicit`).
//!
//! So the holds are strictly increasing, each ≥ 1, and the last equals `replicas`. For a
//! StatefulSet each hold is also expressed as the `partition` to set (`replicas − updated`).

use super::model::{Step, StepAmount, WorkloadKind};
use serde::Serialize;
use std::time::Duration;

/// `maxSurge` / `maxUnavailable`: an absolute number or a percentage of replicas.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IntOrPercent {
    Int(i64),
    Percent(i64),
}

impl IntOrPercent {
    /// `"25%"` or `"1"`.
    pub fn parse(s: &str) -> Option<IntOrPercent> {
        match s.trim().strip_suffix('%') {
            Some(p) => p.parse().ok().map(IntOrPercent::Percent),
            None => s.trim().parse().ok().map(IntOrPercent::Int),
        }
    }

    /// The value against `replicas`; percentages round up or down; negatives count as 0.
    pub fn scaled(self, replicas: u32, round_up: bool) -> u32 {
        let v = match self {
            IntOrPercent::Int(n) => n,
            IntOrPercent::Percent(p) => {
                let num = i128::from(replicas) * i128::from(p);
                let v = if round_up { (num + 99).div_euclid(100) } else { num.div_euclid(100) };
                i64::try_from(v).unwrap_or(i64::MAX)
            }
        };
        u32::try_from(v.max(0)).unwrap_or(u32::MAX)
    }
}

/// `(maxSurge, maxUnavailable)` as the Deployment controller resolves them: surge rounds up,
/// unavailable rounds down, both 0 → unavailable 1. Absent values are Kubernetes' 25%.
pub fn resolve_surge_unavailable(replicas: u32, surge: Option<IntOrPercent>, unavailable: Option<IntOrPercent>) -> (u32, u32) {
    let s = surge.unwrap_or(IntOrPercent::Percent(25)).scaled(replicas, true);
    let u = unavailable.unwrap_or(IntOrPercent::Percent(25)).scaled(replicas, false);
    if s == 0 && u == 0 { (0, 1) } else { (s, u) }
}

/// What the plan needs to know about the live workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkloadShape {
    /// `rolling`: the RollingUpdate parameters; None for `strategy.type: Recreate`.
    Deployment {
        replicas: u32,
        rolling: Option<(Option<IntOrPercent>, Option<IntOrPercent>)>,
    },
    StatefulSet {
        replicas: u32,
    },
}

/// One hold of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedHold {
    /// Updated pods at this hold.
    pub updated: u32,
    /// Pods still on the old version (`replicas − updated`).
    pub old: u32,
    /// StatefulSets: the `partition` that holds here.
    pub partition: Option<u32>,
    #[serde(with = "super::duration::serde_go_duration")]
    pub hold: Duration,
    /// Indexes of the file's steps that landed here (empty for the implicit last hold).
    pub steps: Vec<usize>,
    pub implicit: bool,
}

/// The plan for one target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RolloutPlan {
    pub kind: WorkloadKind,
    pub replicas: u32,
    /// Deployments: resolved `maxSurge` / `maxUnavailable` and the availability they guarantee
    /// (`replicas − maxUnavailable`), which no hold may go below.
    pub max_surge: Option<u32>,
    pub max_unavailable: Option<u32>,
    pub min_available: Option<u32>,
    pub holds: Vec<PlannedHold>,
    /// What was adjusted: raised, collapsed or added holds, in words.
    pub notes: Vec<String>,
}

impl RolloutPlan {
    /// Updated pods at each of the file's steps, in order (never decreasing), followed by
    /// `replicas` when the plan added an implicit last hold. For a run that steps every target
    /// through the file's steps together (hold k = step k): a target whose steps collapsed
    /// simply stays at the same count for a hold.
    pub fn updated_by_step(&self) -> Vec<u32> {
        let mut out = Vec::new();
        for h in &self.holds {
            if h.implicit {
                out.push(h.updated);
            } else {
                out.extend(h.steps.iter().map(|_| h.updated));
            }
        }
        out
    }
}

/// Why no plan can be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the workload has 0 replicas: there is nothing to roll out step by step")]
    NoReplicas,
    #[error("the Deployment uses the Recreate strategy: it cannot be rolled out step by step")]
    Recreate,
    #[error("the rollout has no steps")]
    NoSteps,
}

/// Updated pods a step asks for, out of `replicas` (see the module docs).
pub fn step_target(amount: StepAmount, replicas: u32) -> u32 {
    match amount {
        StepAmount::Pods(n) => n.min(replicas),
        StepAmount::Percent(p) => {
            let v = (u64::from(replicas) * u64::from(p.min(100))).div_ceil(100);
            u32::try_from(v).unwrap_or(replicas).min(replicas)
        }
    }
}

/// Plans the holds of `steps` on `shape`.
pub fn plan_rollout(kind: WorkloadKind, shape: WorkloadShape, steps: &[Step]) -> Result<RolloutPlan, PlanError> {
    let (replicas, surge_unavail) = match shape {
        WorkloadShape::Deployment { rolling: None, .. } => return Err(PlanError::Recreate),
        WorkloadShape::Deployment { replicas, rolling: Some((s, u)) } => (replicas, Some(resolve_surge_unavailable(replicas, s, u))),
        WorkloadShape::StatefulSet { replicas } => (replicas, None),
    };
    if replicas == 0 {
        return Err(PlanError::NoReplicas);
    }
    if steps.is_empty() {
        return Err(PlanError::NoSteps);
    }
    let (holds, notes) = holds(kind, replicas, steps);
    Ok(RolloutPlan {
        kind,
        replicas,
        max_surge: surge_unavail.map(|(s, _)| s),
        max_unavailable: surge_unavail.map(|(_, u)| u),
        min_available: surge_unavail.map(|(_, u)| replicas.saturating_sub(u)),
        holds,
        notes,
    })
}

fn holds(kind: WorkloadKind, replicas: u32, steps: &[Step]) -> (Vec<PlannedHold>, Vec<String>) {
    let mut holds: Vec<PlannedHold> = Vec::new();
    let mut notes = Vec::new();
    let partition = |u: u32| (kind == WorkloadKind::StatefulSet).then_some(replicas - u);
    for (i, step) in steps.iter().enumerate() {
        let want = step_target(step.amount, replicas).max(1);
        let prev = holds.last().map_or(0, |h| h.updated);
        if want < prev {
            notes.push(format!(
                "step {} ({}) asks for {want} updated pods, below the {prev} already updated: held at {prev}",
                i + 1,
                step.amount
            ));
        } else if want == prev {
            notes.push(format!("step {} ({}) lands on {want} updated pods like the one before: merged", i + 1, step.amount));
        }
        match holds.last_mut() {
            Some(last) if want <= last.updated => {
                last.hold = last.hold.max(step.hold);
                last.steps.push(i);
            }
            _ => holds.push(PlannedHold {
                updated: want,
                old: replicas - want,
                partition: partition(want),
                hold: step.hold,
                steps: vec![i],
                implicit: false,
            }),
        }
    }
    if holds.last().is_some_and(|h| h.updated < replicas) {
        notes.push(format!("the steps stop short of {replicas} replicas: a last step updates them all (no hold)"));
        holds.push(PlannedHold {
            updated: replicas,
            old: 0,
            partition: partition(replicas),
            hold: Duration::ZERO,
            steps: Vec::new(),
            implicit: true,
        });
    }
    (holds, notes)
}
