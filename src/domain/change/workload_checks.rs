//! Preflight checks on the targets' live state, from evidence the caller gathered: `target`,
//! `rollout-complete`, `pdb` and `quota`.

use super::model::{TargetRef, WorkloadKind};
use super::plan::RolloutPlan;
use super::preflight::{Check, CheckId, CheckStatus};
use super::quantity::{format_milli, parse_quantity};
use serde::Serialize;
use serde_json::json;

/// A target's live workload (None fields: not reported by the API).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkloadEvidence {
    pub target: Option<TargetRef>,
    pub found: bool,
    pub generation: i64,
    pub observed_generation: i64,
    /// `spec.replicas`.
    pub replicas: u32,
    /// `status.replicas`, `updatedReplicas`, `readyReplicas`, `availableReplicas`.
    pub status_replicas: u32,
    pub updated_replicas: u32,
    pub ready_replicas: u32,
    pub available_replicas: u32,
    /// Deployments: `spec.paused`; Progressing reason `ProgressDeadlineExceeded`.
    pub paused: bool,
    pub progress_deadline_exceeded: bool,
    /// StatefulSets: rolling-update partition and revisions.
    pub partition: Option<u32>,
    pub current_revision: Option<String>,
    pub update_revision: Option<String>,
    /// Pods of the workload waiting in a failing state: (pod, reason), e.g. CrashLoopBackOff.
    pub failing_pods: Vec<(String, String)>,
}

/// `target`: every target exists (not waivable).
pub fn check_target(workloads: &[WorkloadEvidence]) -> Check {
    let missing: Vec<String> = workloads.iter().filter(|w| !w.found).map(name).collect();
    let evidence = json!({"targets": workloads.iter().map(|w| json!({"target": name(w), "found": w.found})).collect::<Vec<_>>()});
    if workloads.is_empty() {
        return Check::new(CheckId::Target, CheckStatus::Fail, "no target was looked up", evidence);
    }
    if missing.is_empty() {
        return Check::new(CheckId::Target, CheckStatus::Pass, format!("{} target(s) found", workloads.len()), evidence);
    }
    Check::new(CheckId::Target, CheckStatus::Fail, format!("not found: {}", missing.join(", ")), evidence)
}

fn name(w: &WorkloadEvidence) -> String {
    w.target.as_ref().map_or("(unnamed target)".to_string(), ToString::to_string)
}

/// Why a workload's current rollout is not complete (kubectl rollout status rules), if so.
pub fn rollout_incomplete(w: &WorkloadEvidence) -> Option<String> {
    if w.progress_deadline_exceeded {
        return Some("exceeded its progress deadline".into());
    }
    if let Some((pod, reason)) = w.failing_pods.first() {
        return Some(format!("pod {pod} is {reason}"));
    }
    if w.paused {
        return Some("is paused (a rollout was left half way?)".into());
    }
    if w.observed_generation < w.generation {
        return Some(format!("the controller has not seen generation {} yet", w.generation));
    }
    let sts = w.target.as_ref().is_some_and(|t| t.kind == WorkloadKind::StatefulSet);
    if sts {
        let want = w.replicas.saturating_sub(w.partition.unwrap_or(0));
        if w.updated_replicas < want {
            return Some(format!("{} of {want} pods updated", w.updated_replicas));
        }
        if w.ready_replicas < w.replicas {
            return Some(format!("{} of {} pods ready", w.ready_replicas, w.replicas));
        }
        if w.partition.unwrap_or(0) == 0 && w.current_revision != w.update_revision {
            return Some("the current revision is not the update revision yet".into());
        }
        return None;
    }
    if w.updated_replicas < w.replicas {
        return Some(format!("{} of {} new replicas updated", w.updated_replicas, w.replicas));
    }
    if w.status_replicas > w.updated_replicas {
        return Some(format!("{} old replicas pending termination", w.status_replicas - w.updated_replicas));
    }
    if w.available_replicas < w.updated_replicas {
        return Some(format!("{} of {} updated replicas available", w.available_replicas, w.updated_replicas));
    }
    None
}

/// `rollout-complete`: no target is mid-rollout, paused, or crash-looping. Targets not found
/// are left to the `target` check.
pub fn check_rollout_complete(workloads: &[WorkloadEvidence]) -> Check {
    let found: Vec<&WorkloadEvidence> = workloads.iter().filter(|w| w.found).collect();
    let evidence = json!({"targets": found});
    let problems: Vec<String> = found.iter().filter_map(|w| rollout_incomplete(w).map(|why| format!("{} {why}", name(w)))).collect();
    if found.is_empty() {
        return Check::new(CheckId::RolloutComplete, CheckStatus::Skipped, "skipped: no target found", evidence);
    }
    if problems.is_empty() {
        return Check::new(CheckId::RolloutComplete, CheckStatus::Pass, "every target's current rollout is complete", evidence);
    }
    Check::new(CheckId::RolloutComplete, CheckStatus::Fail, problems.join("; "), evidence)
}

/// A PodDisruptionBudget selecting a target's pods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PdbEvidence {
    pub target: TargetRef,
    pub name: String,
    pub disruptions_allowed: i32,
    /// `status.observedGeneration == metadata.generation` (else the status is stale).
    pub current: bool,
}

/// Pods a plan may take down at once: `maxUnavailable` for a Deployment, one for a StatefulSet.
pub fn planned_disruptions(plan: &RolloutPlan) -> u32 {
    plan.max_unavailable.unwrap_or(1)
}

/// `pdb`: each PDB's `disruptionsAllowed` covers what the rollout takes down at once. PDBs
/// gate evictions, not the controllers' scale-downs: the rollout would still go below the
/// budget, so this fails (waivable).
pub fn check_pdb(plans: &[(TargetRef, RolloutPlan)], pdbs: &[PdbEvidence]) -> Check {
    let evidence = json!({"pdbs": pdbs, "planned": plans.iter().map(|(t, p)| json!({"target": t.to_string(), "down": planned_disruptions(p)})).collect::<Vec<_>>()});
    let mut fails = Vec::new();
    let mut stale = Vec::new();
    for (target, plan) in plans {
        let down = planned_disruptions(plan);
        for pdb in pdbs.iter().filter(|p| &p.target == target) {
            if !pdb.current {
                stale.push(format!("PDB {} status is stale", pdb.name));
            } else if down > 0 && i64::from(pdb.disruptions_allowed) < i64::from(down) {
                fails.push(format!(
                    "PDB {} allows {} disruption(s); {target} takes up to {down} pod(s) down at once",
                    pdb.name, pdb.disruptions_allowed
                ));
            }
        }
    }
    if !fails.is_empty() {
        return Check::new(CheckId::Pdb, CheckStatus::Fail, fails.join("; "), evidence);
    }
    if !stale.is_empty() {
        return Check::new(CheckId::Pdb, CheckStatus::Warn, stale.join("; "), evidence);
    }
    let summary: String = if pdbs.is_empty() {
        "no PodDisruptionBudget selects the targets' pods".into()
    } else {
        format!("{} PDB(s) have headroom", pdbs.len())
    };
    Check::new(CheckId::Pdb, CheckStatus::Pass, summary, evidence)
}

/// A target's surge: extra pods during the rollout and what one pod asks for, by quota
/// resource name (`requests.cpu`, `requests.memory`, `limits.memory`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SurgeEvidence {
    pub target: TargetRef,
    pub surge_pods: u32,
    pub per_pod: Vec<(String, String)>,
}

/// A ResourceQuota in a target's namespace: `status.hard` and `status.used`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuotaEvidence {
    pub namespace: String,
    pub name: String,
    pub hard: Vec<(String, String)>,
    pub used: Vec<(String, String)>,
}

/// `quota`: hard − used covers the surge pods × their requests for every quota resource.
pub fn check_quota(surges: &[SurgeEvidence], quotas: &[QuotaEvidence]) -> Check {
    let evidence = json!({"surges": surges, "quotas": quotas});
    let (mut fails, mut unreadable) = (Vec::new(), Vec::new());
    for s in surges.iter().filter(|s| s.surge_pods > 0) {
        for q in quotas.iter().filter(|q| q.namespace == s.target.namespace) {
            for (resource, hard) in &q.hard {
                let Some(per_pod) = per_pod_need(s, resource) else { continue };
                let used = q.used.iter().find(|(r, _)| r == resource).map_or("0", |(_, v)| v.as_str());
                let (Some(h), Some(u), Some(p)) = (parse_quantity(hard), parse_quantity(used), parse_quantity(&per_pod)) else {
                    unreadable.push(format!("quota {} {resource}", q.name));
                    continue;
                };
                let need = p.saturating_mul(i128::from(s.surge_pods));
                if h - u < need {
                    fails.push(format!(
                        "quota {} {resource}: {} free, {} surge pod(s) of {} need {}",
                        q.name,
                        format_milli(h - u),
                        s.surge_pods,
                        s.target,
                        format_milli(need)
                    ));
                }
            }
        }
    }
    if !fails.is_empty() {
        return Check::new(CheckId::Quota, CheckStatus::Fail, fails.join("; "), evidence);
    }
    if !unreadable.is_empty() {
        return Check::new(CheckId::Quota, CheckStatus::Warn, format!("cannot read {}", unreadable.join(", ")), evidence);
    }
    let summary: String = if quotas.is_empty() {
        "no ResourceQuota in the targets' namespaces".into()
    } else {
        "quota headroom covers the surge pods".into()
    };
    Check::new(CheckId::Quota, CheckStatus::Pass, summary, evidence)
}

/// What one surge pod needs of a quota resource (`pods` is one pod; `cpu`/`memory` are the
/// requests); None when the pod does not ask for it.
fn per_pod_need(s: &SurgeEvidence, resource: &str) -> Option<String> {
    if resource == "pods" || resource == "count/pods" {
        return Some("1".into());
    }
    let key = match resource {
        "cpu" => "requests.cpu",
        "memory" => "requests.memory",
        r => r,
    };
    s.per_pod.iter().find(|(r, _)| r == key).map(|(_, v)| v.clone())
}
