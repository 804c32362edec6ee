//! Small view types and the messages between the engine and the UI. No kube, no ratatui:
//! the cluster layer converts API objects into these, the TUI only borrows them.
use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Which namespaces the cockpit looks at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Namespace(String),
}

/// Where the cockpit is connected and as whom.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextInfo {
    pub context: String,
    pub cluster_url: String,
    /// From SelfSubjectReview when the server offers it, else the kubeconfig user name.
    pub user: String,
    pub read_only: bool,
    /// Why the session is read-only (flag, config, or a setting that could not be read).
    pub read_only_reason: Option<String>,
    /// Every context of the kubeconfig, in file order (`:ctx` lists them).
    pub contexts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnState {
    Connecting,
    Live,
    /// Watches are retrying; `last_error` says why.
    Reconnecting {
        last_error: String,
    },
    /// Gave up or cannot proceed without the user (401, 403 on everything, …).
    Lost {
        last_error: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceView {
    pub name: String,
    pub phase: String,
    pub created: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WorkloadKind {
    Deployment,
    StatefulSet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RolloutState {
    /// Everything updated and available (kubectl rollout status would say "successfully rolled out").
    Complete,
    Progressing,
    Paused,
    /// Progressing=False with reason ProgressDeadlineExceeded.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionView {
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadView {
    pub kind: WorkloadKind,
    pub namespace: String,
    pub name: String,
    pub desired: i32,
    pub updated: i32,
    pub ready: i32,
    pub available: i32,
    pub paused: bool,
    pub rollout: RolloutState,
    /// Images of the pod template, in container order.
    pub images: Vec<String>,
    /// `deployment.kubernetes.io/revision` or the StatefulSet's update revision.
    pub revision: String,
    pub conditions: Vec<ConditionView>,
    pub selector: Vec<(String, String)>,
    pub created: Option<DateTime<Utc>>,
    /// Argo CD tracking metadata (which Application manages it), for the change clock.
    pub tracking: crate::domain::windows::workload::Tracking,
}

impl WorkloadView {
    /// Rollout progress in [0, 1]: updated-and-available over desired.
    pub fn progress(&self) -> f64 {
        if self.desired <= 0 {
            return 1.0;
        }
        let done = self.updated.min(self.available).max(0) as f64;
        (done / self.desired as f64).clamp(0.0, 1.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaSetView {
    pub namespace: String,
    pub name: String,
    /// Owning Deployment name, if any.
    pub owner: Option<String>,
    pub revision: String,
    pub desired: i32,
    pub ready: i32,
    pub images: Vec<String>,
    pub created: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerView {
    pub name: String,
    pub image: String,
    pub ready: bool,
    pub restarts: i32,
    /// "Running", "Waiting: CrashLoopBackOff", "Terminated: Error", …
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodView {
    pub namespace: String,
    pub name: String,
    /// Pod phase, or the more telling waiting reason (CrashLoopBackOff, ImagePullBackOff,
    /// ContainerCreating) as kubectl's STATUS column shows it.
    pub status: String,
    pub ready_containers: i32,
    pub total_containers: i32,
    pub restarts: i32,
    pub node: String,
    pub created: Option<DateTime<Utc>>,
    /// Owner (kind, name), e.g. ("ReplicaSet", "web-7d9c…").
    pub owner: Option<(String, String)>,
    pub labels: Vec<(String, String)>,
    pub containers: Vec<ContainerView>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventView {
    pub namespace: String,
    /// "Warning" or "Normal".
    pub type_: String,
    pub reason: String,
    /// "Pod/web-abc" style.
    pub object: String,
    pub message: String,
    pub count: i32,
    pub last_seen: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdbView {
    pub namespace: String,
    pub name: String,
    pub min_available: Option<String>,
    pub max_unavailable: Option<String>,
    pub current_healthy: i32,
    pub desired_healthy: i32,
    pub disruptions_allowed: i32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaView {
    pub namespace: String,
    pub name: String,
    /// (resource, used, hard), sorted by resource.
    pub resources: Vec<(String, String, String)>,
}

/// Everything the dashboard shows, as one consistent snapshot. Lists are sorted by
/// (namespace, name) so rendering never depends on hash order. The large lists hold their
/// views by `Arc`: a snapshot shares the unchanged ones with the previous snapshot and with
/// the watchers' stores, so sending one costs a reference count per object, not a copy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterSnapshot {
    pub namespaces: Vec<NamespaceView>,
    pub workloads: Vec<Arc<WorkloadView>>,
    pub replicasets: Vec<Arc<ReplicaSetView>>,
    pub pods: Vec<Arc<PodView>>,
    /// Most recent first.
    pub events: Vec<EventView>,
    pub pdbs: Vec<PdbView>,
    pub quotas: Vec<QuotaView>,
}

/// A message for the user: what happened and what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMessage {
    pub level: MessageLevel,
    pub text: String,
    pub hint: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageLevel {
    Info,
    Warn,
    Error,
}

/// Engine → UI.
#[derive(Debug, Clone)]
pub enum EngineEvent {
    Context(ContextInfo),
    Connection(ConnState),
    Snapshot(Box<ClusterSnapshot>),
    /// Answer to `Command::FetchYaml`.
    Yaml {
        key: ObjectKey,
        yaml: String,
    },
    /// Answer to `Command::FetchLogs`.
    Logs {
        namespace: String,
        pod: String,
        container: Option<String>,
        text: String,
    },
    Message(UserMessage),
    /// Journal entries appended since the last feed (all of them on the first feed, with
    /// `reset: true`) and the journal's verification state.
    Journal(JournalFeed),
    /// The change-clock line for the header, e.g. "OPEN · production allow · closes in 1h12m".
    HeaderClock(String),
    /// Sync windows and freezes from every source (cluster AppProjects, files), merged.
    Windows(Box<crate::engine::windows_feed::WindowsFeed>),
    /// What a run of `change` will send, and its rollback plan (answer to `PlanRun`).
    RunPlan {
        change: String,
        text: String,
        /// The stepper to show: preflight, lock, backup, each hold, verify.
        steps: Vec<RunStep>,
        /// The workloads the run changes.
        targets: Vec<ObjectKey>,
        /// It continues an interrupted run.
        resume: bool,
    },
    /// What a rollback or restore outside a live run will send (answer to `PlanRollback` /
    /// `PlanRestore`); `on_yes` is the command the confirmation sends.
    Confirm {
        title: String,
        text: String,
        on_yes: Command,
    },
    /// Progress of the live run.
    RunLine(RunLine),
    /// The change requests with their statuses and preflights.
    Changes(Box<crate::engine::changes_feed::ChangesFeed>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct JournalFeed {
    pub reset: bool,
    pub entries: Vec<crate::journal::Entry>,
    pub status: crate::journal::VerifyStatus,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ObjectKey {
    /// "Deployment", "StatefulSet", "ReplicaSet", "Pod", …
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// UI → engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    SetScope(Scope),
    SwitchContext(String),
    FetchYaml(ObjectKey),
    FetchLogs {
        namespace: String,
        pod: String,
        container: Option<String>,
    },
    /// Read a change's targets and plan its run (answered by `EngineEvent::RunPlan`).
    PlanRun(String),
    /// Run a change (after the operator confirmed the plan).
    StartRun(String),
    /// The operator's decision for the live run.
    RunControl(RunControl),
    /// One-key rollback from a workload: find the last run that changed it and plan returning
    /// every target of that run to its pre-change template (answered by `EngineEvent::Confirm`).
    PlanRollback(ObjectKey),
    /// Plan the rollback of a change's last run (the changes screen's `U`).
    PlanChangeRollback(String),
    /// Roll a change's last run back (after the operator confirmed), outside a live run.
    RollbackChange(String),
    /// Plan a Velero restore from the change's pre-change backup (answered by `Confirm`).
    PlanRestore(String),
    /// Create the Velero `Restore` (existingResourcePolicy: update) after confirmation.
    RestoreBackup(String),
    /// Journal a waiver of a failed preflight check (kind `waiver`), then re-run the preflight.
    Waive {
        change: String,
        check: String,
        reason: String,
    },
    Shutdown,
}

/// What the operator may decide while a run is live (each one a mutating action).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunControl {
    /// Skip the rest of the current hold.
    Promote,
    Pause,
    Continue,
    Rollback,
    Abort,
}

/// One line of a run's progress, for the run screen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunLine {
    pub ts: DateTime<Utc>,
    pub change: String,
    pub step: String,
    pub event: String,
    pub note: String,
    /// Set when a hold starts: the gauge and countdown follow it.
    pub hold: Option<RunHold>,
    /// The updated pods' health when it changed (the sparklines).
    pub sample: Option<HealthSample>,
    /// The run's Velero backup when it was created or its phase changed.
    pub backup: Option<RunBackup>,
}

/// A run's Velero backup and its `status.phase` ("" until Velero picks it up).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunBackup {
    pub name: String,
    pub phase: String,
}

/// One step of the run screen's stepper: the run's step id ("lock", "hold-2", …) and its
/// label ("canary 1/10", "50 %").
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunStep {
    pub id: String,
    pub label: String,
}

/// A hold of the live run: which one, and when it started and ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunHold {
    /// 0-based.
    pub index: usize,
    pub total: usize,
    pub started: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// The updated pods of every target at one observation.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HealthSample {
    pub ready: u32,
    pub expected: u32,
    pub restarts: u32,
    pub warnings: u32,
}
