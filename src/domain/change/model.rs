//! The validated change request (the `ChangeRequest` YAML contract, flattened for use).

use super::duration::{format_go_duration, serde_go_duration};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::fmt;
use std::time::Duration;

/// `apiVersion` of the contract.
pub const API_VERSION: &str = "cabin.dev/v1alpha1";
/// `kind` of the contract.
pub const KIND: &str = "ChangeRequest";

/// A change request that passed every rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChangeRequest {
    /// The display name of the file it came from.
    pub file: String,
    /// `metadata.name`: the change id (journal, backup names, Lease, labels).
    pub id: String,
    pub title: String,
    pub ticket: Option<String>,
    pub description: Option<String>,
    pub risk: Risk,
    pub emergency: bool,
    pub labels: Vec<String>,
    pub author: String,
    pub approved_by: Vec<String>,
    pub tested: Option<String>,
    /// The slot it is planned for (`spec.window`).
    pub window: Option<Slot>,
    pub targets: Vec<Target>,
    pub rollout: Rollout,
    pub health: HealthPolicy,
    pub backup: Option<VeleroBackup>,
}

impl ChangeRequest {
    /// The labels matched against freeze exceptions: `spec.labels`, where `emergency` counts
    /// only when `spec.emergency` is true (a label alone does not make a change an emergency),
    /// plus `emergency` when `spec.emergency` is true.
    pub fn freeze_labels(&self) -> Vec<String> {
        let mut out: Vec<String> = self.labels.iter().filter(|l| l.as_str() != "emergency").cloned().collect();
        if self.emergency {
            out.push("emergency".into());
        }
        out
    }
}

/// `spec.risk`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Risk {
    Low,
    Medium,
    High,
}

impl Risk {
    pub fn parse(s: &str) -> Option<Risk> {
        match s {
            "low" => Some(Risk::Low),
            "medium" => Some(Risk::Medium),
            "high" => Some(Risk::High),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Risk::Low => "low",
            Risk::Medium => "medium",
            Risk::High => "high",
        }
    }
}

/// The planned slot: `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Slot {
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// The interval as written in the file.
    pub text: String,
}

impl Slot {
    /// Whether `now` falls in `[start, end)`.
    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.start <= now && now < self.end
    }
}

/// `targets[].kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
}

impl WorkloadKind {
    pub fn parse(s: &str) -> Option<WorkloadKind> {
        match s {
            "Deployment" => Some(WorkloadKind::Deployment),
            "StatefulSet" => Some(WorkloadKind::StatefulSet),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
        }
    }
}

/// A workload by identity: kind, namespace, name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct TargetRef {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
}

impl fmt::Display for TargetRef {
    /// `Deployment payments/payments-api`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}/{}", self.kind.as_str(), self.namespace, self.name)
    }
}

/// One target: a workload and its new images, container name -> image (file order kept;
/// serialized as a mapping).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    #[serde(flatten)]
    pub workload: TargetRef,
    #[serde(serialize_with = "ordered_map")]
    pub images: Vec<(String, String)>,
}

fn ordered_map<S: serde::Serializer>(pairs: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        m.serialize_entry(k, v)?;
    }
    m.end()
}

/// How many updated pods a step asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum StepAmount {
    Pods(u32),
    Percent(u32),
}

impl fmt::Display for StepAmount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepAmount::Pods(1) => write!(f, "1 pod"),
            StepAmount::Pods(n) => write!(f, "{n} pods"),
            StepAmount::Percent(p) => write!(f, "{p}%"),
        }
    }
}

/// One rollout step: reach `amount` updated pods, then watch them for `hold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Step {
    pub amount: StepAmount,
    #[serde(with = "serde_go_duration")]
    pub hold: Duration,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}, hold {}", self.amount, format_go_duration(self.hold))
    }
}

/// `spec.rollout`; `defaulted` when the file had none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rollout {
    pub steps: Vec<Step>,
    pub defaulted: bool,
}

/// The plan used when `spec.rollout` is absent: canary 1 pod for 2m, 50% for 2m, 100% for 1m.
pub fn default_steps() -> Vec<Step> {
    vec![
        Step { amount: StepAmount::Pods(1), hold: Duration::from_secs(120) },
        Step { amount: StepAmount::Percent(50), hold: Duration::from_secs(120) },
        Step { amount: StepAmount::Percent(100), hold: Duration::from_secs(60) },
    ]
}

/// `spec.health.onFailure`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    Rollback,
    Pause,
}

/// `spec.health`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HealthPolicy {
    /// Restarts of updated pods tolerated during a hold (in total).
    pub max_restarts: u32,
    pub on_failure: OnFailure,
}

impl Default for HealthPolicy {
    fn default() -> Self {
        HealthPolicy { max_restarts: 0, on_failure: OnFailure::Rollback }
    }
}

/// `spec.backup.velero`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VeleroBackup {
    /// Defaults to the targets' namespaces (never "everything") when absent or empty.
    pub included_namespaces: Vec<String>,
    /// None: Velero's default.
    pub snapshot_volumes: Option<bool>,
    /// Default 720h (Velero's default).
    #[serde(with = "serde_go_duration")]
    pub ttl: Duration,
    /// The BackupStorageLocation to use; None: Velero's default location.
    pub storage_location: Option<String>,
}
