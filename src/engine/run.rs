//! The change run's executor: drives the pure machine (`domain::change::run`) by executing its
//! effects through the cluster layer (every write through the journalled writer), observing
//! the targets, and feeding the outcomes back as events. Every transition is journalled
//! (`run-step`), the run's start (with the pre-change templates, so a rollback works after a
//! crash) and its end (`change-run`).
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::cluster::lock::LockSet;
use crate::cluster::rollout::{self, WorkloadState};
use crate::cluster::velero;
use crate::cluster::write::{WriteStep, Writer};
use crate::domain::change::run::{Effect, Gate, KIND_RUN, KIND_STEP, RunCtx, RunEvent, RunState, transition};
use crate::domain::change::{
    ChangeRequest, HealthVerdict, IntOrPercent, RolloutPlan, WorkloadKind, WorkloadShape, backup_name, health_verdict, plan_rollout,
};
use crate::journal::{Journal, NewEntry};
use crate::model::{HealthSample, RunHold, RunStep};

/// How often the targets are read while a run is live.
const OBSERVE: Duration = Duration::from_millis(500);
/// How long a hold may wait for its pods before the gate fails.
const REACH_LIMIT: Duration = Duration::from_secs(600);

/// One line of progress (the `--json` stream and the run screen).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunUpdate {
    pub ts: DateTime<Utc>,
    pub change: String,
    pub step: String,
    pub event: String,
    pub note: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub details: Value,
}

/// What the operator may ask while a run is live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    Promote,
    Pause,
    Continue,
    Rollback(String),
    Abort(String),
}

/// A target with its plan and its pre-change state.
#[derive(Debug, Clone)]
pub struct TargetRun {
    pub before: WorkloadState,
    pub plan: RolloutPlan,
    pub images: Vec<(String, String)>,
}

impl TargetRun {
    fn hold(&self, k: usize) -> Option<&crate::domain::change::PlannedHold> {
        self.plan.holds.get(k.min(self.plan.holds.len().saturating_sub(1)))
    }
}

/// Reads every target and plans its holds; a missing target or an unplannable one is an error.
pub async fn prepare(writer: &Writer, change: &ChangeRequest) -> Result<Vec<TargetRun>, String> {
    let mut out = Vec::new();
    for t in &change.targets {
        let w = rollout::read(writer, &t.workload).await.map_err(|e| format!("cannot read {}: {e}", t.workload))?;
        let w = w.ok_or_else(|| format!("{} does not exist", t.workload))?;
        out.push(plan_for(w, t.images.clone(), change)?);
    }
    Ok(out)
}

/// Plans one target from its (pre-change) state: the same state and steps give the same plan,
/// so a resumed run re-plans from the journalled pre-change state.
pub fn plan_for(w: WorkloadState, images: Vec<(String, String)>, change: &ChangeRequest) -> Result<TargetRun, String> {
    let shape = match w.target.kind {
        WorkloadKind::Deployment => {
            let rolling = (w.strategy.get("type").and_then(Value::as_str).unwrap_or("RollingUpdate") == "RollingUpdate").then(|| {
                let p = |k: &str| w.strategy.pointer(&format!("/rollingUpdate/{k}")).and_then(int_or_percent);
                (p("maxSurge"), p("maxUnavailable"))
            });
            WorkloadShape::Deployment { replicas: w.replicas, rolling }
        }
        WorkloadKind::StatefulSet => WorkloadShape::StatefulSet { replicas: w.replicas },
    };
    let plan = plan_rollout(w.target.kind, shape, &change.rollout.steps).map_err(|e| format!("{}: {e}", w.target))?;
    Ok(TargetRun { before: w, plan, images })
}

fn int_or_percent(v: &Value) -> Option<IntOrPercent> {
    match v {
        Value::Number(n) => n.as_i64().map(IntOrPercent::Int),
        Value::String(s) => IntOrPercent::parse(s),
        _ => None,
    }
}

/// The run's context from the plans: hold k lasts as long as the longest target's hold k.
pub fn ctx_of(change: &ChangeRequest, targets: &[TargetRun]) -> RunCtx {
    let n = targets.iter().map(|t| t.plan.holds.len()).max().unwrap_or(0);
    let holds = (0..n).map(|k| targets.iter().filter_map(|t| t.plan.holds.get(k)).map(|h| h.hold).max().unwrap_or_default()).collect();
    RunCtx {
        holds,
        backup: change.backup.is_some(),
        rollback_on_failure: change.health.on_failure == crate::domain::change::OnFailure::Rollback,
        first_hold: 0,
        backup_waiver: None,
    }
}

/// The pre-change snapshots of the last run (from its journalled start), with plans, and the
/// hold the cluster says it stopped at.
pub async fn resume_targets(
    writer: &Writer,
    change: &ChangeRequest,
    entries: &[crate::journal::Entry],
) -> Result<(Vec<TargetRun>, usize), String> {
    let mut out = Vec::new();
    let mut first = usize::MAX;
    for pre in super::rollback::pre_change(entries)? {
        let images = change.targets.iter().find(|t| t.workload == pre.target).map(|t| t.images.clone()).unwrap_or_default();
        let run = plan_for(pre, images, change)?;
        let now = crate::cluster::rollout::read(writer, &run.before.target)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("{} disappeared", run.before.target))?;
        // Read the cluster before any write: resume at the first hold not yet passed.
        let at = match now.target.kind {
            crate::domain::change::WorkloadKind::Deployment => {
                crate::cluster::rollout::new_replica_set(writer, &now).await.map_err(|e| e.to_string())?.map_or(0, |(n, _)| n)
            }
            crate::domain::change::WorkloadKind::StatefulSet => now.updated,
        };
        let at = if now.has_images(&run.images) { at } else { 0 };
        let k = run.plan.holds.iter().position(|h| h.updated >= at).unwrap_or(run.plan.holds.len().saturating_sub(1));
        first = first.min(k);
        out.push(run);
    }
    Ok((out, if first == usize::MAX { 0 } else { first }))
}

/// The run screen's stepper for these targets.
pub fn steps_of(change: &ChangeRequest, targets: &[TargetRun]) -> Vec<RunStep> {
    let n = targets.iter().map(|t| t.plan.holds.len()).max().unwrap_or(0);
    let holds: Vec<(u32, u32)> =
        (0..n).filter_map(|k| targets.iter().find_map(|t| t.plan.holds.get(k).map(|h| (h.updated, t.plan.replicas)))).collect();
    crate::domain::change::run::stepper(&holds, change.backup.is_some()).into_iter().map(|(id, label)| RunStep { id, label }).collect()
}

/// The rollback plan shown before the first write and journalled with the start.
pub fn rollback_plan(targets: &[TargetRun], backup: Option<&str>) -> Value {
    json!({
        "targets": targets.iter().map(|t| json!({
            "target": t.before.target.to_string(),
            "returnsTo": t.before.containers.iter().map(|(c, i)| json!({"container": c, "image": i})).collect::<Vec<_>>(),
            "revision": t.before.annotations.get("deployment.kubernetes.io/revision"),
        })).collect::<Vec<_>>(),
        "veleroRestore": backup.map(velero::restore_command),
    })
}

/// Whether `change` may start now, read from the cluster: approvals (the default policy),
/// its run history in the journal, and the windows and freezes through the Argo CD
/// Applications that manage its targets (files plus the cluster's AppProjects). Anything that
/// cannot be read makes it not ready (fail closed).
pub async fn readiness(
    writer: &Writer,
    change: &ChangeRequest,
    entries: &[crate::journal::Entry],
    policy: &crate::domain::change::ApprovalPolicy,
    now: DateTime<Utc>,
) -> Result<(), String> {
    use crate::domain::windows::workload::{ClusterRef, Tracking};
    let conn = writer.connection();
    let mut feed = crate::engine::windows_feed::load_with_defaults(&[], None, None);
    match crate::cluster::appprojects::list(conn).await {
        Ok(p) => {
            let mut cluster = crate::engine::windows_feed::WindowsFeed::from_projects(p.projects.iter().cloned());
            cluster.errors.extend(p.errors.iter().cloned());
            feed.merge(cluster);
        }
        Err(e) => return Err(format!("the Argo CD AppProjects cannot be read ({e}): the windows are unknown")),
    }
    feed.applications = crate::cluster::applications::list(conn)
        .await
        .map_err(|e| format!("the Argo CD Applications cannot be read ({e}): the windows are unknown"))?;
    let mut tracking = Vec::new();
    for t in &change.targets {
        let w = rollout::read(writer, &t.workload).await.map_err(|e| format!("cannot read {}: {e}", t.workload))?;
        let (instance_label, tracking_id) = w.map(|w| w.tracking).unwrap_or_default();
        tracking.push((t.workload.clone(), Tracking { instance_label, tracking_id }));
    }
    let lookup = |t: &crate::domain::change::TargetRef| tracking.iter().find(|(w, _)| w == t).map(|(_, x)| x.clone()).unwrap_or_default();
    let cluster = ClusterRef { server: conn.info().cluster_url.clone(), name: conn.info().context.clone() };
    let (window, why) = crate::engine::change_windows::decide(change, &feed, &lookup, &cluster, now);
    let history = crate::domain::change::run::history(entries.iter(), now);
    let approval = policy.verdict(change);
    let verdict = crate::domain::change::change_status(change, &approval, &window, &history, now);
    if verdict.status == crate::domain::change::ChangeStatus::Ready {
        Ok(())
    } else {
        Err(format!("{} is {} ({}); {}", change.id, verdict.status.as_str(), verdict.rule, why.join("; ")))
    }
}

/// The preflight the run stands on: every check evaluated from the cluster (journalled waivers
/// honoured); a failing check refuses the run, naming it. Returns the verdict for the journal.
pub async fn preflight_gate(
    writer: &Writer,
    change: &ChangeRequest,
    policy: &crate::domain::change::ApprovalPolicy,
    now: DateTime<Utc>,
) -> Result<Value, String> {
    let p = crate::engine::preflight::preflight_for_run(writer, change, policy, now).await;
    let verdict = serde_json::to_value(&p).unwrap_or(Value::Null);
    if p.ok {
        return Ok(verdict);
    }
    let failing: Vec<String> = p
        .checks
        .iter()
        .filter(|c| c.status == crate::domain::change::CheckStatus::Fail && c.waived.is_none())
        .map(|c| format!("{}: {}", c.id.as_str(), c.summary))
        .collect();
    Err(format!(
        "preflight failed ({}); waive what may be waived with `cabin change preflight {} --waive CHECK=REASON`",
        failing.join("; "),
        change.id
    ))
}

/// A run in progress.
pub struct Runner {
    writer: Writer,
    change: ChangeRequest,
    targets: Vec<TargetRun>,
    ctx: RunCtx,
    state: RunState,
    holder: String,
    locks: LockSet,
    backup: Option<String>,
    updates: mpsc::Sender<RunUpdate>,
    operator: mpsc::Receiver<Operator>,
    last_gate: Option<Value>,
    preflight: Value,
    waiting_since: Option<tokio::time::Instant>,
    /// The last health sample and backup phase reported (each reported when it changes).
    last_sample: Option<HealthSample>,
    backup_phase: Option<String>,
    /// Whether this run (or the run it resumes) sent a write to a target.
    changed: bool,
}

impl Runner {
    pub fn new(
        writer: Writer,
        change: ChangeRequest,
        targets: Vec<TargetRun>,
        holder: String,
        updates: mpsc::Sender<RunUpdate>,
        operator: mpsc::Receiver<Operator>,
    ) -> Self {
        let ctx = ctx_of(&change, &targets);
        let locks = LockSet::new(&change.id, &holder);
        Runner {
            writer,
            change,
            targets,
            ctx,
            state: RunState::Pending,
            holder,
            locks,
            backup: None,
            updates,
            operator,
            last_gate: None,
            preflight: Value::Null,
            waiting_since: None,
            last_sample: None,
            backup_phase: None,
            changed: false,
        }
    }

    fn journal(&self) -> Arc<Journal> {
        self.writer.journal().clone()
    }

    async fn append(&self, kind: &str, outcome: &str, details: Value) -> Result<(), String> {
        let entry =
            NewEntry { change: Some(self.change.id.clone()), kind: kind.into(), targets: vec![], outcome: Some(outcome.into()), details };
        let journal = self.journal();
        tokio::task::spawn_blocking(move || journal.append(entry)).await.map_err(|e| e.to_string())?.map(|_| ()).map_err(|e| e.to_string())
    }

    async fn emit(&self, event: &str, note: &str, details: Value) {
        let u = RunUpdate {
            ts: Utc::now(),
            change: self.change.id.clone(),
            step: self.state.step(),
            event: event.into(),
            note: note.into(),
            details,
        };
        let _ = self.updates.send(u).await;
    }

    /// The preflight verdict the run stands on (journalled with its start).
    pub fn with_preflight(mut self, preflight: Value) -> Self {
        self.preflight = preflight;
        self
    }

    /// Go on when the backup does not end `Completed`, for this journalled reason.
    pub fn with_backup_waiver(mut self, reason: Option<String>) -> Self {
        self.ctx.backup_waiver = reason;
        self
    }

    /// A resumed run: no new backup, starting at hold `first_hold`.
    pub fn resuming_at(mut self, first_hold: usize) -> Self {
        self.ctx.first_hold = first_hold;
        self.ctx.backup = false;
        self.changed = true;
        self
    }

    /// Runs to a terminal state (journalling the start first: no journal, no run).
    pub async fn run(mut self) -> RunState {
        let start = json!({
            "step": "start",
            "holder": self.holder,
            "plan": self.targets.iter().map(|t| json!({"target": t.before.target.to_string(), "plan": t.plan})).collect::<Vec<_>>(),
            "preChange": self.targets.iter().map(|t| rollout::to_journal(&t.before)).collect::<Vec<_>>(),
            "rollbackPlan": rollback_plan(&self.targets, None),
            "preflight": self.preflight,
        });
        if let Err(e) = self.append(KIND_RUN, "started", start).await {
            let reason = format!("the run's start could not be journalled ({e}); nothing was sent");
            self.emit("refused", &reason, Value::Null).await;
            return RunState::Failed { reason };
        }
        self.emit("started", "run started", Value::Null).await;
        let mut queue = vec![RunEvent::Start];
        loop {
            while let Some(event) = queue.pop() {
                if let Some(more) = self.apply(event).await {
                    queue.extend(more);
                }
                if self.state.is_terminal() {
                    return self.finish().await;
                }
            }
            queue.extend(self.next_events().await);
        }
    }

    /// One transition: journal it, report it, execute its effects; returns follow-up events.
    async fn apply(&mut self, event: RunEvent) -> Option<Vec<RunEvent>> {
        let now = Utc::now();
        let t = transition(&self.state, &event, &self.ctx, now).ok()?;
        let name = serde_json::to_value(&event).ok().and_then(|v| v.get("event").cloned()).unwrap_or(Value::Null);
        let details = json!({"step": t.to.step(), "event": event, "from": self.state.step(), "note": t.note, "gate": self.last_gate});
        if let Err(e) = self.append(KIND_STEP, name.as_str().unwrap_or("event"), details).await {
            // Without its journal entry the run must not go on writing: stop where it is.
            self.state = RunState::Failed { reason: format!("the journal cannot be written ({e}); stopped before the next step") };
            return None;
        }
        self.state = t.to;
        // A hold that starts carries its span: the run screen's gauge and countdown.
        let details = match self.state {
            RunState::Holding { hold, until } => {
                json!({"hold": RunHold { index: hold, total: self.ctx.holds.len(), started: now, until }})
            }
            _ => Value::Null,
        };
        self.emit(name.as_str().unwrap_or("event"), &t.note, details).await;
        let mut follow = Vec::new();
        for effect in t.effects {
            if let Some(e) = self.execute(effect).await {
                follow.push(e);
            }
        }
        Some(follow)
    }

    async fn execute(&mut self, effect: Effect) -> Option<RunEvent> {
        match effect {
            Effect::AcquireLock => Some(self.acquire().await),
            Effect::CreateBackup => self.create_backup().await,
            Effect::Advance { hold } => {
                self.changed = true;
                self.retrying("advance", || self.advance(hold)).await.err().map(|error| RunEvent::WriteFailed { error })
            }
            Effect::Finalize => self.retrying("finalize", || self.finalize()).await.err().map(|error| RunEvent::WriteFailed { error }),
            Effect::Rollback => self.retrying("rollback", || self.rollback()).await.err().map(|error| RunEvent::RollbackFailed { error }),
            Effect::ReleaseLock => {
                self.release().await;
                None
            }
        }
    }

    /// Runs `f` again after a transient failure (5xx, 429, a timeout, a reset connection), up
    /// to 6 times with a growing pause. Every attempt reads the cluster before it writes (and
    /// writes with the resourceVersion it read), so a write whose outcome was unknown is never
    /// repeated blindly: if it landed, the next attempt sees it.
    async fn retrying<F, Fut>(&self, what: &str, f: F) -> Result<(), String>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<(), StepError>>,
    {
        let mut pause = Duration::from_millis(200);
        for attempt in 1..=6 {
            match f().await {
                Ok(()) => return Ok(()),
                Err(StepError::Transient(e)) if attempt < 6 => {
                    self.emit(
                        "retry",
                        &format!("{what}: {e}; reading the cluster again and retrying (attempt {attempt} of 6)"),
                        Value::Null,
                    )
                    .await;
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                Err(e) => return Err(e.to_string()),
            }
        }
        Err(format!("{what}: still failing after 6 attempts"))
    }

    async fn acquire(&mut self) -> RunEvent {
        let targets: Vec<_> = self.targets.iter().map(|t| t.before.target.clone()).collect();
        match self.locks.acquire(&self.writer, &targets).await {
            Ok(()) => RunEvent::LockAcquired,
            Err(reason) => RunEvent::LockRefused { reason },
        }
    }

    async fn release(&mut self) {
        for failed in self.locks.release(&self.writer).await {
            self.emit("lock-release-failed", &failed, Value::Null).await;
        }
    }

    /// Creates the backup; its phase is then watched by [`Runner::observe`].
    async fn create_backup(&mut self) -> Option<RunEvent> {
        let Some(spec) = self.change.backup.clone() else { return Some(RunEvent::BackupDone { phase: "Completed".into() }) };
        let name = match velero::create_backup(&self.writer, &self.change.id, &backup_name(&self.change.id, Utc::now()), &spec).await {
            Ok(name) => name,
            Err(e) => return Some(RunEvent::BackupFailed { reason: format!("the backup could not be created: {e}") }),
        };
        let note = format!("backup {name}; restore with: {}", velero::restore_command(&name));
        self.emit("backup-created", &note, json!({"backup": name})).await;
        self.backup = Some(name);
        let plan = rollback_plan(&self.targets, self.backup.as_deref());
        let _ = self.append(KIND_STEP, "rollback-plan", json!({"step": "backup", "backup": self.backup, "rollbackPlan": plan})).await;
        None
    }

    fn step(&self, action: &str, params: Value) -> WriteStep {
        WriteStep {
            change: Some(self.change.id.clone()),
            step: self.state.step(),
            kind: "rollout-step".into(),
            action: action.into(),
            params,
        }
    }

    /// Sends the writes that take every target to hold `k`.
    async fn advance(&self, k: usize) -> Result<(), StepError> {
        for t in self.targets.clone() {
            let Some(hold) = t.hold(k) else { continue };
            let w = rollout::read(&self.writer, &t.before.target).await?.ok_or("the target disappeared")?;
            match t.before.target.kind {
                WorkloadKind::StatefulSet => {
                    let partition = hold.partition.unwrap_or(t.plan.replicas - hold.updated);
                    let step = self
                        .step("set-partition", json!({"target": t.before.target.to_string(), "partition": partition, "images": t.images}));
                    rollout::advance_statefulset(&self.writer, &step, &w, &t.images, partition).await?;
                }
                WorkloadKind::Deployment => self.advance_deployment(&t, &w, k, hold.updated).await?,
            }
        }
        Ok(())
    }

    async fn advance_deployment(&self, t: &TargetRun, w: &WorkloadState, k: usize, updated: u32) -> Result<(), StepError> {
        let prev = if k == 0 { 0 } else { t.hold(k - 1).map_or(0, |h| h.updated) };
        let last = updated >= t.plan.replicas;
        let current = rollout::new_replica_set(&self.writer, w).await?.map_or(0, |(n, _)| n);
        if !last && w.has_images(&t.images) && w.paused && current >= updated {
            return Ok(()); // already held there (a resumed run)
        }
        let add = updated.saturating_sub(prev.max(if w.has_images(&t.images) { current.min(prev) } else { 0 }));
        let params = json!({"target": t.before.target.to_string(), "updated": updated, "maxSurge": add, "last": last, "images": t.images});
        rollout::advance_deployment(&self.writer, &self.step("advance", params), w, &t.images, add, last, &t.before.strategy).await?;
        if last {
            return Ok(());
        }
        // Hold at exactly `updated`: pause as soon as the new ReplicaSet asks for that many
        // (with maxUnavailable 0 the controller waits for those pods before going further).
        let deadline = tokio::time::Instant::now() + REACH_LIMIT;
        loop {
            let now = rollout::read(&self.writer, &t.before.target).await?.ok_or("the target disappeared")?;
            let asked = rollout::new_replica_set(&self.writer, &now).await?.map_or(0, |(n, _)| n);
            if asked >= updated {
                let params = json!({"target": t.before.target.to_string(), "newReplicaSet": asked, "planned": updated});
                rollout::pause(&self.writer, &self.step("pause", params), &now, true).await?;
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(StepError::Fatal(format!(
                    "{} did not start {updated} updated pods within {}s",
                    t.before.target,
                    REACH_LIMIT.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn finalize(&self) -> Result<(), StepError> {
        for t in self.targets.clone() {
            let w = rollout::read(&self.writer, &t.before.target).await?.ok_or("the target disappeared")?;
            let step = self.step(
                "restore-strategy",
                json!({"target": t.before.target.to_string(), "strategy": t.before.strategy, "paused": t.before.paused}),
            );
            rollout::finalize(&self.writer, &step, &w, &t.before).await?;
        }
        Ok(())
    }

    async fn rollback(&self) -> Result<(), StepError> {
        rollback_targets(&self.writer, &self.change.id, &self.targets.iter().map(|t| t.before.clone()).collect::<Vec<_>>()).await
    }

    /// Observes the targets (and the operator) and turns what it sees into events.
    async fn next_events(&mut self) -> Vec<RunEvent> {
        tokio::select! {
            op = self.operator.recv() => match op {
                Some(Operator::Promote) => vec![RunEvent::Promote],
                Some(Operator::Pause) => vec![RunEvent::Pause],
                Some(Operator::Continue) => vec![RunEvent::Continue],
                Some(Operator::Rollback(reason)) => vec![RunEvent::Rollback { reason }],
                Some(Operator::Abort(reason)) => vec![RunEvent::Abort { reason }],
                None => { tokio::time::sleep(OBSERVE).await; self.observe().await }
            },
            () = tokio::time::sleep(OBSERVE) => self.observe().await,
        }
    }

    async fn observe(&mut self) -> Vec<RunEvent> {
        self.renew().await;
        match self.observe_inner().await {
            Ok(events) => events,
            // A read that fails (5xx, timeout) is retried at the next round; the run never
            // writes on a guess.
            Err(e) => {
                self.emit("observe-failed", &format!("cannot read the targets: {e}; retrying"), Value::Null).await;
                Vec::new()
            }
        }
    }

    /// Renews the locks a third of their duration after the last renewal.
    async fn renew(&mut self) {
        for lost in self.locks.renew_due(&self.writer).await {
            self.emit("lock-lost", &lost, Value::Null).await;
        }
    }

    async fn observe_inner(&mut self) -> Result<Vec<RunEvent>, String> {
        let state = self.state.clone();
        match state {
            RunState::BackingUp => {
                let Some(name) = self.backup.clone() else { return Ok(vec![]) };
                let phase = velero::backup_phase(&self.writer, &name).await.map_err(|e| e.to_string())?;
                if self.backup_phase.as_deref() != Some(phase.as_str()) {
                    self.backup_phase = Some(phase.clone());
                    let shown = if phase.is_empty() { "New (not picked up by Velero yet)" } else { phase.as_str() };
                    self.emit("backup-phase", &format!("backup {name}: {shown}"), json!({"backup": name, "phase": phase})).await;
                }
                Ok(match phase.as_str() {
                    "Completed" | "PartiallyFailed" | "Failed" | "FailedValidation" => vec![RunEvent::BackupDone { phase }],
                    _ => vec![],
                })
            }
            RunState::Advancing { hold } => {
                let (reached, gate) = self.gate(hold).await?;
                Ok(match gate {
                    Gate::Failed { reasons } => vec![RunEvent::Health { gate: Gate::Failed { reasons } }],
                    _ if reached => vec![RunEvent::HoldReached { hold }],
                    _ => self.waited_too_long(),
                })
            }
            RunState::Holding { hold, until } => {
                let (_, gate) = self.gate(hold).await?;
                Ok(match gate {
                    Gate::Failed { reasons } => vec![RunEvent::Health { gate: Gate::Failed { reasons } }],
                    Gate::Healthy if Utc::now() >= until => vec![RunEvent::Tick],
                    _ => vec![],
                })
            }
            RunState::Verifying => {
                let last = self.ctx.holds.len().saturating_sub(1);
                let (_, gate) = self.gate(last).await?;
                let complete = self.all(|w, _| w.complete()).await?;
                Ok(match gate {
                    Gate::Failed { reasons } => vec![RunEvent::Health { gate: Gate::Failed { reasons } }],
                    Gate::Healthy if complete => vec![RunEvent::Verified],
                    _ => self.waited_too_long(),
                })
            }
            RunState::RollingBack { .. } => {
                let back = self.all(|w, t| w.has_images(&t.before.containers) && w.complete()).await?;
                Ok(if back { vec![RunEvent::RolledBack] } else { vec![] })
            }
            _ => Ok(vec![]),
        }
    }

    fn waited_too_long(&mut self) -> Vec<RunEvent> {
        let since = *self.waiting_since.get_or_insert_with(tokio::time::Instant::now);
        if since.elapsed() > REACH_LIMIT {
            self.waiting_since = None;
            let reason = format!("the targets did not become healthy within {}s", REACH_LIMIT.as_secs());
            return vec![RunEvent::Health { gate: Gate::Failed { reasons: vec![reason] } }];
        }
        vec![]
    }

    async fn all(&self, f: impl Fn(&WorkloadState, &TargetRun) -> bool) -> Result<bool, String> {
        for t in &self.targets {
            let w = rollout::read(&self.writer, &t.before.target).await.map_err(|e| e.to_string())?.ok_or("a target disappeared")?;
            if !f(&w, t) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Whether every target reached hold `k`, and the health gate over their updated pods.
    async fn gate(&mut self, k: usize) -> Result<(bool, Gate), String> {
        let mut reached = true;
        let mut reasons = Vec::new();
        let mut pending = false;
        let mut evidence = Vec::new();
        let mut sample = HealthSample::default();
        for t in self.targets.clone() {
            let Some(hold) = t.hold(k) else { continue };
            let w = rollout::read(&self.writer, &t.before.target).await.map_err(|e| e.to_string())?.ok_or("a target disappeared")?;
            reached &= match t.before.target.kind {
                WorkloadKind::Deployment if hold.updated >= t.plan.replicas => w.updated >= t.plan.replicas,
                WorkloadKind::Deployment => {
                    w.paused
                        && rollout::new_replica_set(&self.writer, &w)
                            .await
                            .map_err(|e| e.to_string())?
                            .is_some_and(|(n, _)| n >= hold.updated)
                }
                WorkloadKind::StatefulSet => w.updated >= hold.updated,
            };
            let ev = rollout::health_evidence(&self.writer, &w, hold.updated).await.map_err(|e| e.to_string())?;
            sample.expected += ev.expected_updated;
            sample.ready += u32::try_from(ev.pods.iter().filter(|p| p.ready).count()).unwrap_or(u32::MAX);
            sample.restarts += ev.pods.iter().map(|p| p.restarts).sum::<u32>();
            sample.warnings += ev.warnings.iter().map(|w| w.count.max(1)).sum::<u32>();
            let report = health_verdict(ev, &self.change.health);
            match &report.verdict {
                HealthVerdict::Failed { reasons: r } => reasons.extend(r.iter().map(|x| format!("{}: {x}", t.before.target))),
                HealthVerdict::Pending { .. } => pending = true,
                HealthVerdict::Healthy => {}
            }
            evidence.push(json!({"target": t.before.target.to_string(), "report": report}));
        }
        self.last_gate = Some(Value::Array(evidence));
        if self.last_sample != Some(sample) {
            self.last_sample = Some(sample);
            let note = format!(
                "{}/{} updated pods ready · {} restarts · {} warnings",
                sample.ready, sample.expected, sample.restarts, sample.warnings
            );
            self.emit("sample", &note, json!({"sample": sample})).await;
        }
        let gate = if !reasons.is_empty() {
            Gate::Failed { reasons }
        } else if pending {
            Gate::Pending
        } else {
            self.waiting_since = None;
            Gate::Healthy
        };
        Ok((reached, gate))
    }

    /// Journals the end and reports it.
    async fn finish(self) -> RunState {
        let (outcome, reason) = match &self.state {
            RunState::Completed => ("completed", String::new()),
            RunState::RolledBack { reason, .. } => ("rolled-back", reason.clone()),
            RunState::Aborted { reason } => ("aborted", reason.clone()),
            RunState::Failed { reason } => ("failed", reason.clone()),
            _ => ("failed", "the run stopped".to_string()),
        };
        let by_gate = matches!(self.state, RunState::RolledBack { by_gate: true, .. });
        let details = json!({"step": self.state.step(), "reason": reason, "byGate": by_gate, "backup": self.backup, "gate": self.last_gate, "changed": self.changed});
        if let Err(e) = self.append(KIND_RUN, outcome, details).await {
            self.emit("journal-failed", &format!("the end of the run could not be journalled: {e}"), Value::Null).await;
        }
        let note = if reason.is_empty() { "completed: every target runs the new version, its rollout complete" } else { &reason };
        self.emit(outcome, note, Value::Null).await;
        self.state
    }
}

/// A step's failure: worth another attempt (after reading the cluster again), or not.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Fatal(String),
}

impl From<crate::cluster::ClusterError> for StepError {
    fn from(e: crate::cluster::ClusterError) -> Self {
        if e.is_transient() { StepError::Transient(e.to_string()) } else { StepError::Fatal(e.to_string()) }
    }
}

impl From<crate::cluster::write::WriteError> for StepError {
    fn from(e: crate::cluster::write::WriteError) -> Self {
        match e {
            crate::cluster::write::WriteError::Cluster(c) => c.into(),
            other => StepError::Fatal(other.to_string()),
        }
    }
}

impl From<&str> for StepError {
    fn from(e: &str) -> Self {
        StepError::Fatal(e.to_string())
    }
}

/// Returns every target to its pre-change state (one JSON patch each; see
/// `cluster::rollout::restore`). Used by a run's rollback and by `cabin change rollback`.
pub async fn rollback_targets(writer: &Writer, change: &str, before: &[WorkloadState]) -> Result<(), StepError> {
    for b in before {
        let now = rollout::read(writer, &b.target).await?.ok_or_else(|| StepError::Fatal(format!("{} disappeared", b.target)))?;
        let step = WriteStep {
            change: Some(change.to_string()),
            step: "rollback".into(),
            kind: "rollback".into(),
            action: "restore-template".into(),
            params: json!({"target": b.target.to_string(), "images": b.containers, "revision": b.annotations.get("deployment.kubernetes.io/revision")}),
        };
        rollout::restore(writer, &step, &now, b).await?;
    }
    Ok(())
}
