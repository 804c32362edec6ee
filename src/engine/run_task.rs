//! The cockpit's change runs: plans a run for the confirmation popup, runs it in a task of its
//! own (the engine keeps serving snapshots), forwards its progress as `EngineEvent::RunLine`,
//! and passes the operator's decisions on. A read-only connection never gets here: the
//! engine refuses, and the HTTP guard would refuse the writes anyway.
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::mpsc;

use super::run::{Operator, Runner, prepare, rollback_plan};
use crate::cluster::Connection;
use crate::cluster::write::Writer;
use crate::domain::change::ChangeRequest;
use crate::journal::{Journal, JournalContext, SystemClock};
use crate::model::{Command, EngineEvent, MessageLevel, ObjectKey, RunBackup, RunControl, RunLine, UserMessage};

/// Where runs get their changes and journal.
#[derive(Debug, Clone, Default)]
pub struct RunSources {
    pub changes: Vec<PathBuf>,
    pub journal: Option<PathBuf>,
    pub approval: crate::domain::change::ApprovalPolicy,
}

fn message(level: MessageLevel, text: String) -> EngineEvent {
    EngineEvent::Message(UserMessage { level, text, hint: None })
}

fn writer(conn: &Connection, sources: &RunSources) -> Result<Writer, String> {
    if conn.info().read_only {
        return Err("cabin is read-only: changes cannot be run from this session".into());
    }
    let path = sources.journal.clone().ok_or("no audit journal: a run cannot start without one")?;
    let mut ctx = JournalContext::local();
    ctx.actor.cluster_user = Some(conn.info().user.clone());
    let (journal, _) = Journal::open(&path, ctx, Box::new(SystemClock)).map_err(|e| e.to_string())?;
    Ok(Writer::new(conn.clone(), Arc::new(journal)))
}

fn find(sources: &RunSources, id: &str) -> Result<ChangeRequest, String> {
    let set = super::changes::load_dirs(&sources.changes);
    set.get(id).cloned().ok_or_else(|| match set.invalid.iter().find(|f| f.id.as_deref() == Some(id)) {
        Some(f) => format!("change {id} is invalid: {}", f.messages.join("; ")),
        None => format!("no change request {id} in the change directories"),
    })
}

/// A run about to start: its writer, change, targets, the preflight it stands on, and where
/// it resumes (hold, and the step the journal says it stopped at) when it continues an
/// interrupted run.
struct Prepared {
    w: Writer,
    change: ChangeRequest,
    targets: Vec<super::run::TargetRun>,
    preflight: serde_json::Value,
    resume: Option<(usize, String)>,
    /// A journalled reason to go on when the backup does not end Completed.
    backup_waiver: Option<String>,
}

/// A new run must find the change ready (approved, its windows open, no run of it yet) and its
/// preflight passed; an interrupted run resumes where the cluster says it stopped (as
/// `cabin change resume`).
async fn prepare_run(conn: &Connection, sources: &RunSources, id: &str) -> Result<Prepared, String> {
    let w = writer(conn, sources)?;
    let change = find(sources, id)?;
    let entries: Vec<_> = sources
        .journal
        .as_ref()
        .filter(|p| p.exists())
        .and_then(|p| crate::journal::read_entries(p).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.change.as_deref() == Some(change.id.as_str()))
        .collect();
    let now = chrono::Utc::now();
    let backup_waiver = super::preflight::backup_waiver(&entries, &change.id, now);
    let stopped = match crate::domain::change::run::history(entries.iter(), now) {
        crate::domain::change::RunHistory::Interrupted { step } => Some(step),
        // Fresh in the journal, yet no run of this cockpit: if every lock is free, expired or
        // ours (this cockpit was killed), the run stopped; another live holder means it runs.
        crate::domain::change::RunHistory::Running { step } => {
            let ours = format!("{}@{}", conn.info().user, JournalContext::local().actor.host);
            for pre in super::rollback::pre_change(&entries)? {
                let holder = crate::cluster::lock::live_holder(&w, &pre.target, now).await.map_err(|e| e.to_string())?;
                if let Some(h) = holder.filter(|h| *h != ours) {
                    return Err(format!("a run of {} is live elsewhere: {} is locked by {h}", change.id, pre.target));
                }
            }
            Some(step)
        }
        _ => None,
    };
    if let Some(step) = stopped {
        let (targets, first) = super::run::resume_targets(&w, &change, &entries).await?;
        return Ok(Prepared { w, change, targets, preflight: serde_json::Value::Null, resume: Some((first, step)), backup_waiver });
    }
    super::run::readiness(&w, &change, &entries, &sources.approval, now).await?;
    let preflight = super::run::preflight_gate(&w, &change, &sources.approval, now).await?;
    let targets = prepare(&w, &change).await?;
    Ok(Prepared { w, change, targets, preflight, resume: None, backup_waiver })
}

/// Plans `id` and answers with the plan text (what will be sent, and the rollback plan).
pub async fn plan(conn: Connection, sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) {
    tracing::info!(change = %id, "planning a run");
    let result = async {
        let Prepared { change, targets, resume, .. } = prepare_run(&conn, &sources, &id).await?;
        let mut text = match &resume {
            Some((k, step)) => format!(
                "{id}: {}\n\nRESUME: the last run stopped at {step} without finishing. The cluster says hold {} is next; no new backup. Will send, through the journalled writer:\n",
                change.title,
                k + 1
            ),
            None => format!("{id}: {}\n\nWill send, through the journalled writer:\n", change.title),
        };
        for t in &targets {
            text.push_str(&format!(
                "  {}: images {}\n",
                t.before.target,
                t.images.iter().map(|(c, i)| format!("{c}={i}")).collect::<Vec<_>>().join(", ")
            ));
            for (k, h) in t.plan.holds.iter().enumerate() {
                text.push_str(&format!("    hold {}: {} updated pod(s), watched for {}s\n", k + 1, h.updated, h.hold.as_secs()));
            }
        }
        if change.backup.is_some() && resume.is_none() {
            text.push_str("  a Velero Backup before the first change\n");
        }
        text.push_str(&format!("\nRollback plan: {}\n", rollback_plan(&targets, None)));
        let steps = super::run::steps_of(&change, &targets);
        let keys = targets
            .iter()
            .map(|t| ObjectKey {
                kind: t.before.target.kind.as_str().into(),
                namespace: t.before.target.namespace.clone(),
                name: t.before.target.name.clone(),
            })
            .collect();
        Ok::<_, String>((text, steps, keys, resume.is_some()))
    }
    .await;
    let ev = match result {
        Ok((text, steps, targets, resume)) => EngineEvent::RunPlan { change: id, text, steps, targets, resume },
        Err(e) => message(MessageLevel::Error, format!("cannot plan {id}: {e}")),
    };
    let _ = events.send(ev).await;
}

/// Starts the run of `id`; returns the operator channel of the live run.
pub async fn start(conn: Connection, sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) -> Option<mpsc::Sender<Operator>> {
    let Prepared { w, change, targets, preflight, resume, backup_waiver } = match prepare_run(&conn, &sources, &id).await {
        Ok(p) => p,
        Err(e) => {
            let _ = events.send(message(MessageLevel::Error, format!("cannot run {id}: {e}"))).await;
            return None;
        }
    };
    let (tx, rx) = mpsc::channel(64);
    let (op_tx, op_rx) = mpsc::channel(8);
    let holder = format!("{}@{}", conn.info().user, JournalContext::local().actor.host);
    let mut runner = Runner::new(w, change, targets, holder, tx, op_rx).with_preflight(preflight).with_backup_waiver(backup_waiver);
    if let Some((first, _)) = resume {
        runner = runner.resuming_at(first);
    }
    let forward = events.clone();
    tokio::spawn(forward_lines(rx, forward));
    tokio::spawn(runner.run());
    Some(op_tx)
}

/// Forwards a run's progress to the UI as run lines (with the hold span and health sample
/// their details carry).
async fn forward_lines(mut rx: mpsc::Receiver<super::run::RunUpdate>, events: mpsc::Sender<EngineEvent>) {
    while let Some(u) = rx.recv().await {
        let backup = u.details.get("backup").and_then(serde_json::Value::as_str).map(|name| RunBackup {
            name: name.to_string(),
            phase: u.details.get("phase").and_then(serde_json::Value::as_str).unwrap_or_default().to_string(),
        });
        let (hold, sample) = (detail(&u.details, "hold"), detail(&u.details, "sample"));
        let line = RunLine { hold, sample, backup, ts: u.ts, change: u.change, step: u.step, event: u.event, note: u.note };
        if events.send(EngineEvent::RunLine(line)).await.is_err() {
            return;
        }
    }
}

fn detail<T: serde::de::DeserializeOwned>(details: &serde_json::Value, key: &str) -> Option<T> {
    details.get(key).cloned().and_then(|v| serde_json::from_value(v).ok())
}

/// The change's journal entries (oldest first).
fn entries_of(sources: &RunSources, id: Option<&str>) -> Result<Vec<crate::journal::Entry>, String> {
    let path = sources.journal.as_ref().ok_or("no audit journal: nothing to roll back from")?;
    let all = crate::journal::read_entries(path).map_err(|e| format!("the journal cannot be read: {e}"))?;
    Ok(match id {
        Some(id) => of_change(all, id),
        None => all,
    })
}

fn of_change(entries: Vec<crate::journal::Entry>, id: &str) -> Vec<crate::journal::Entry> {
    entries.into_iter().filter(|e| e.change.as_deref().is_some_and(|c| c.eq_ignore_ascii_case(id))).collect()
}

/// One-key rollback from a workload: the last run that changed it, and its rollback plan.
pub async fn plan_rollback(sources: RunSources, key: ObjectKey, events: mpsc::Sender<EngineEvent>) {
    let result = (|| {
        let kind = crate::domain::change::WorkloadKind::parse(&key.kind).ok_or_else(|| format!("a {} cannot be rolled back", key.kind))?;
        let target = crate::domain::change::TargetRef { kind, namespace: key.namespace.clone(), name: key.name.clone() };
        let all = entries_of(&sources, None)?;
        let id = super::rollback::change_of(&all, &target)
            .ok_or_else(|| format!("no change run in the journal changed {target}: nothing to roll back to"))?;
        rollback_question(&of_change(all, &id), id)
    })();
    let ev = result.unwrap_or_else(|e| message(MessageLevel::Warn, format!("cannot roll back {}/{}: {e}", key.namespace, key.name)));
    let _ = events.send(ev).await;
}

/// Rollback of a change selected on the changes screen (e.g. an interrupted run).
pub async fn plan_change_rollback(sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) {
    let ev = entries_of(&sources, Some(&id))
        .and_then(|e| rollback_question(&e, id.clone()))
        .unwrap_or_else(|e| message(MessageLevel::Warn, format!("cannot roll back {id}: {e}")));
    let _ = events.send(ev).await;
}

fn rollback_question(entries: &[crate::journal::Entry], id: String) -> Result<EngineEvent, String> {
    let before = super::rollback::pre_change(entries)?;
    Ok(EngineEvent::Confirm {
        title: format!("roll back {id}?"),
        text: super::rollback::rollback_text(&id, &before),
        on_yes: Command::RollbackChange(id),
    })
}

/// Rolls the change's last run back, its progress on the run screen.
pub async fn rollback(conn: Connection, sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) {
    let result = async {
        let w = writer(&conn, &sources)?;
        let before = super::rollback::pre_change(&entries_of(&sources, Some(&id))?)?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(forward_lines(rx, events.clone()));
        let holder = format!("{}@{}", conn.info().user, JournalContext::local().actor.host);
        super::rollback::rollback_change(&w, &id, &before, &holder, &super::rollback::Progress::new(&id, Some(tx))).await
    }
    .await;
    let ev = match result {
        Ok(()) => message(MessageLevel::Info, format!("{id} rolled back: every target is at its pre-change template")),
        Err(e) => message(MessageLevel::Error, format!("rollback of {id}: {e}")),
    };
    let _ = events.send(ev).await;
}

/// The Velero restore offered for a change: its run's backup, and what a restore overwrites.
pub async fn plan_restore(sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) {
    let result = entries_of(&sources, Some(&id)).and_then(|entries| {
        let backup = super::rollback::backup_of(&entries).ok_or_else(|| format!("no run of {id} made a Velero backup"))?;
        Ok(EngineEvent::Confirm {
            title: format!("restore {id} from {backup}? (touches data)"),
            text: super::rollback::restore_text(&id, &backup),
            on_yes: Command::RestoreBackup(id.clone()),
        })
    });
    let ev = result.unwrap_or_else(|e| message(MessageLevel::Warn, format!("cannot restore {id}: {e}")));
    let _ = events.send(ev).await;
}

/// Creates the Velero restore and follows it on the run screen.
pub async fn restore(conn: Connection, sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) {
    let result = async {
        let w = writer(&conn, &sources)?;
        let entries = entries_of(&sources, Some(&id))?;
        let backup = super::rollback::backup_of(&entries).ok_or_else(|| format!("no run of {id} made a Velero backup"))?;
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(forward_lines(rx, events.clone()));
        super::rollback::restore_backup(&w, &id, &backup, &super::rollback::Progress::new(&id, Some(tx))).await
    }
    .await;
    let ev = match result {
        Ok((name, phase)) if phase == "Completed" => message(MessageLevel::Info, format!("restore {name} of {id}: Completed")),
        Ok((name, phase)) => message(MessageLevel::Error, format!("restore {name} of {id} ended {phase}: velero restore describe {name}")),
        Err(e) => message(MessageLevel::Error, format!("restore of {id}: {e}")),
    };
    let _ = events.send(ev).await;
}

/// The runner's view of an operator decision.
pub fn operator(c: RunControl) -> Operator {
    match c {
        RunControl::Promote => Operator::Promote,
        RunControl::Pause => Operator::Pause,
        RunControl::Continue => Operator::Continue,
        RunControl::Rollback => Operator::Rollback("rolled back by the operator".into()),
        RunControl::Abort => Operator::Abort("aborted by the operator".into()),
    }
}
