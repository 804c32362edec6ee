//! The health verdict during a hold: from evidence gathered by the caller about the updated
//! pods, and the change's health policy. The evidence is kept with the verdict (journalled).

use super::model::HealthPolicy;
use serde::{Deserialize, Serialize};

/// Waiting reasons that fail a gate at once.
pub const FAILING_WAITING: [&str; 6] =
    ["CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError"];
/// Last termination reasons that fail a gate.
pub const FAILING_TERMINATION: [&str; 2] = ["OOMKilled", "ContainerCannotRun"];
/// Reasons of Warning events about updated pods that fail a gate. Others (e.g. `Unhealthy`
/// readiness probes during start-up, `FailedScheduling`) are kept as evidence and leave the
/// verdict pending: the hold's deadline decides then.
pub const FAILING_EVENTS: [&str; 5] = ["BackOff", "Failed", "OOMKilling", "Evicted", "FailedCreatePodContainer"];

/// One updated pod, as the caller saw it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodHealth {
    pub name: String,
    pub ready: bool,
    /// Sum of the containers' restartCount.
    pub restarts: u32,
    /// A container's `state.waiting.reason`, if any.
    pub waiting_reason: Option<String>,
    /// A container's `lastState.terminated.reason`, if any.
    pub last_termination_reason: Option<String>,
}

/// A Warning event about one of the updated pods.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodWarning {
    pub pod: String,
    pub reason: String,
    pub message: String,
    pub count: u32,
}

/// Everything a gate looks at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthEvidence {
    /// Updated pods the plan expects at this hold.
    pub expected_updated: u32,
    pub pods: Vec<PodHealth>,
    pub warnings: Vec<PodWarning>,
    /// Deployments: Progressing condition with reason `ProgressDeadlineExceeded`.
    pub progress_deadline_exceeded: bool,
}

/// The verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "camelCase")]
pub enum HealthVerdict {
    Healthy,
    /// Not failed, not yet all there and ready.
    Pending {
        waiting_for: String,
    },
    Failed {
        reasons: Vec<String>,
    },
}

/// A verdict with the evidence it was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    #[serde(flatten)]
    pub verdict: HealthVerdict,
    pub evidence: HealthEvidence,
}

/// Judges the evidence: any failure reason → `Failed`; else every expected updated pod
/// present and ready → `Healthy`; else `Pending`.
pub fn health_verdict(evidence: HealthEvidence, policy: &HealthPolicy) -> HealthReport {
    let reasons = failure_reasons(&evidence, policy);
    let verdict = if !reasons.is_empty() {
        HealthVerdict::Failed { reasons }
    } else {
        let ready = evidence.pods.iter().filter(|p| p.ready).count();
        let expected = evidence.expected_updated as usize;
        if evidence.pods.len() >= expected && ready == evidence.pods.len() {
            HealthVerdict::Healthy
        } else {
            let mut waiting_for = format!("{ready}/{expected} updated pods ready");
            if evidence.pods.len() < expected {
                waiting_for.push_str(&format!(" ({} of {expected} created)", evidence.pods.len()));
            }
            if let Some(w) = evidence.warnings.first() {
                waiting_for.push_str(&format!("; warning {} on {}: {}", w.reason, w.pod, w.message));
            }
            HealthVerdict::Pending { waiting_for }
        }
    };
    HealthReport { verdict, evidence }
}

fn failure_reasons(e: &HealthEvidence, policy: &HealthPolicy) -> Vec<String> {
    let mut out = Vec::new();
    if e.progress_deadline_exceeded {
        out.push("the Deployment exceeded its progress deadline (ProgressDeadlineExceeded)".to_string());
    }
    let restarts: u64 = e.pods.iter().map(|p| u64::from(p.restarts)).sum();
    if restarts > u64::from(policy.max_restarts) {
        let who: Vec<String> = e.pods.iter().filter(|p| p.restarts > 0).map(|p| format!("{} {}", p.name, p.restarts)).collect();
        out.push(format!("{restarts} restarts of updated pods, more than maxRestarts {} ({})", policy.max_restarts, who.join(", ")));
    }
    for p in &e.pods {
        if let Some(r) = p.waiting_reason.as_deref().filter(|r| FAILING_WAITING.contains(r)) {
            out.push(format!("pod {} is waiting: {r}", p.name));
        }
        if let Some(r) = p.last_termination_reason.as_deref().filter(|r| FAILING_TERMINATION.contains(r)) {
            out.push(format!("pod {} was terminated: {r}", p.name));
        }
    }
    for w in e.warnings.iter().filter(|w| FAILING_EVENTS.contains(&w.reason.as_str())) {
        out.push(format!("warning {} on pod {} (×{}): {}", w.reason, w.pod, w.count.max(1), w.message));
    }
    out
}
