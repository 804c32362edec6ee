//! Rollback and restore outside a live run: `cabin change rollback` / `restore`, and the
//! cockpit's one-key rollback from a workload. Both start from the journal — the last run's
//! start holds every target's pre-change template (so this works after a crash), and the run
//! names its Velero backup — and both write only through the journalled writer, holding the
//! change's Leases while they write and watch.
use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::run::{RunUpdate, rollback_targets};
use crate::cluster::lock::LockSet;
use crate::cluster::rollout::{self, WorkloadState};
use crate::cluster::velero;
use crate::cluster::write::Writer;
use crate::domain::change::TargetRef;
use crate::domain::change::run::KIND_RUN;
use crate::journal::{Entry, NewEntry};

/// How long the targets may take to be complete again after a rollback, and a restore to end.
const WATCH_LIMIT: Duration = Duration::from_secs(600);
const POLL: Duration = Duration::from_millis(500);

/// The journalled start of the last run of a change.
fn last_start(entries: &[Entry]) -> Result<&Entry, String> {
    entries
        .iter()
        .rev()
        .find(|e| e.kind == KIND_RUN && e.outcome.as_deref() == Some("started"))
        .ok_or_else(|| "the journal has no run of this change (nothing to resume or roll back)".to_string())
}

/// Every target's pre-change state, from the last run's journalled start.
pub fn pre_change(entries: &[Entry]) -> Result<Vec<WorkloadState>, String> {
    let start = last_start(entries)?;
    let pre = start.details.get("preChange").and_then(Value::as_array).cloned().unwrap_or_default();
    pre.iter().map(|v| rollout::from_journal(v).ok_or_else(|| "the journalled pre-change state cannot be read".to_string())).collect()
}

/// The change whose last run changed `target` (the newest such run in the journal).
pub fn change_of(entries: &[Entry], target: &TargetRef) -> Option<String> {
    entries.iter().rev().filter(|e| e.kind == KIND_RUN && e.outcome.as_deref() == Some("started")).find_map(|e| {
        let pre = e.details.get("preChange")?.as_array()?;
        pre.iter().filter_map(rollout::from_journal).any(|w| &w.target == target).then(|| e.change.clone()).flatten()
    })
}

/// The Velero backup the last run of the change made, if any.
pub fn backup_of(entries: &[Entry]) -> Option<String> {
    entries.iter().rev().find_map(|e| e.details.get("backup").and_then(Value::as_str).map(str::to_string))
}

/// What a rollback sends, in words (the confirmation's body).
pub fn rollback_text(id: &str, before: &[WorkloadState]) -> String {
    let mut text = format!(
        "Roll back {id}: every target returns to the template it had before the run's first write (one JSON patch each, as `kubectl rollout undo` does: resume, template and annotations, original strategy; StatefulSets with partition 0), then the health watch continues until they are complete.\n\n"
    );
    for b in before {
        let images = b.containers.iter().map(|(c, i)| format!("{c}={i}")).collect::<Vec<_>>().join(", ");
        let revision = b.annotations.get("deployment.kubernetes.io/revision").and_then(Value::as_str).map(|r| format!(" (revision {r})"));
        text.push_str(&format!("  {} → {images}{}\n", b.target, revision.unwrap_or_default()));
    }
    text
}

/// What a restore sends, in words.
pub fn restore_text(id: &str, backup: &str) -> String {
    format!(
        "Velero restore for {id} from the pre-change backup {backup}, with existingResourcePolicy: update.\n\nThis touches data: every object in the backup is created if it is missing and OVERWRITTEN (best effort) if it exists — config maps, secrets, workloads, claims. Velero never overwrites the data of existing persistent volumes, and objects created after the backup stay. Same as:\n  {}\n",
        velero::restore_command(backup)
    )
}

/// Reports progress to the run screen or the terminal.
#[derive(Clone)]
pub struct Progress {
    change: String,
    tx: Option<mpsc::Sender<RunUpdate>>,
}

impl Progress {
    pub fn new(change: &str, tx: Option<mpsc::Sender<RunUpdate>>) -> Progress {
        Progress { change: change.into(), tx }
    }

    async fn say(&self, step: &str, event: &str, note: &str) {
        let u = RunUpdate {
            ts: Utc::now(),
            change: self.change.clone(),
            step: step.into(),
            event: event.into(),
            note: note.into(),
            details: Value::Null,
        };
        match &self.tx {
            Some(tx) => {
                let _ = tx.send(u).await;
            }
            None => println!("{} {:<12} {:<16} {}", u.ts.format("%H:%M:%S"), u.step, u.event, u.note),
        }
    }
}

async fn journal_end(writer: &Writer, id: &str, outcome: &str, details: Value) -> Result<(), String> {
    let journal = writer.journal().clone();
    let entry = NewEntry { change: Some(id.to_string()), kind: KIND_RUN.into(), targets: vec![], outcome: Some(outcome.into()), details };
    tokio::task::spawn_blocking(move || journal.append(entry)).await.map_err(|e| e.to_string())?.map(|_| ()).map_err(|e| e.to_string())
}

/// Returns every target of the change's last run to its pre-change template, holding the
/// change's Leases, and watches until they are complete at it; journals `rolled-back`.
pub async fn rollback_change(writer: &Writer, id: &str, before: &[WorkloadState], holder: &str, progress: &Progress) -> Result<(), String> {
    let mut locks = LockSet::new(id, holder);
    let targets: Vec<_> = before.iter().map(|b| b.target.clone()).collect();
    locks.acquire(writer, &targets).await.map_err(|e| format!("refused: {e}"))?;
    progress.say("rollback", "rollback", "locks held: restoring the pre-change templates").await;
    let result = async {
        rollback_targets(writer, id, before).await.map_err(|e| e.to_string())?;
        progress.say("rollback", "rollback-sent", "templates restored: watching until every target is complete").await;
        let deadline = tokio::time::Instant::now() + WATCH_LIMIT;
        loop {
            for lost in locks.renew_due(writer).await {
                progress.say("rollback", "lock-lost", &lost).await;
            }
            let mut back = true;
            for b in before {
                let now = rollout::read(writer, &b.target).await.map_err(|e| e.to_string())?;
                back &= now.is_some_and(|w| w.has_images(&b.containers) && w.complete());
            }
            if back {
                return Ok(());
            }
            if tokio::time::Instant::now() > deadline {
                return Err(format!("the targets did not become complete within {}s after the rollback", WATCH_LIMIT.as_secs()));
            }
            tokio::time::sleep(POLL).await;
        }
    }
    .await;
    for failed in locks.release(writer).await {
        progress.say("rollback", "lock-release-failed", &failed).await;
    }
    match result {
        Ok(()) => {
            let reason = "rolled back by the operator (outside a live run)";
            journal_end(writer, id, "rolled-back", json!({"step": "rollback", "reason": reason, "byGate": false})).await?;
            progress.say("rolled-back", "rolled-back", "every target is at its pre-change template and complete").await;
            Ok(())
        }
        Err(e) => {
            let _ = journal_end(writer, id, "failed", json!({"step": "rollback", "reason": e})).await;
            progress.say("failed", "failed", &e).await;
            Err(e)
        }
    }
}

/// Creates a Velero `Restore` of `backup` (existingResourcePolicy: update) after checking the
/// backup is `Completed`, and watches it to its end; returns the restore's name and phase.
pub async fn restore_backup(writer: &Writer, id: &str, backup: &str, progress: &Progress) -> Result<(String, String), String> {
    let phase = velero::backup_phase(writer, backup).await.map_err(|e| e.to_string())?;
    if phase != "Completed" {
        return Err(format!("refused: the backup {backup} is {}, not Completed", if phase.is_empty() { "New" } else { &phase }));
    }
    let name = velero::create_restore(writer, id, &velero::restore_name(id, Utc::now()), backup).await.map_err(|e| e.to_string())?;
    progress.say("restore", "restore-created", &format!("restore {name} from {backup} (existingResourcePolicy: update)")).await;
    let deadline = tokio::time::Instant::now() + WATCH_LIMIT;
    let mut seen = String::new();
    loop {
        let phase = velero::restore_phase(writer, &name).await.map_err(|e| e.to_string())?;
        if phase != seen {
            progress.say("restore", "restore-phase", &format!("restore {name}: {}", if phase.is_empty() { "New" } else { &phase })).await;
            seen = phase.clone();
        }
        if matches!(phase.as_str(), "Completed" | "PartiallyFailed" | "Failed" | "FailedValidation") {
            let outcome = if phase == "Completed" { "completed" } else { "failed" };
            let journal = writer.journal().clone();
            let entry = NewEntry {
                change: Some(id.to_string()),
                kind: "velero-restore".into(),
                targets: vec![],
                outcome: Some(outcome.into()),
                details: json!({"restore": name, "backup": backup, "phase": phase, "existingResourcePolicy": "update"}),
            };
            tokio::task::spawn_blocking(move || journal.append(entry)).await.map_err(|e| e.to_string())?.map_err(|e| e.to_string())?;
            return Ok((name, phase));
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "the restore {name} did not end within {}s (it may still finish: velero restore describe {name})",
                WATCH_LIMIT.as_secs()
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}
