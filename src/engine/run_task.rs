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
use crate::model::{EngineEvent, MessageLevel, RunControl, RunLine, UserMessage};

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

/// The change must be ready now (approved, its windows open, no run of it yet).
async fn ready(w: &Writer, change: &ChangeRequest, sources: &RunSources) -> Result<(), String> {
    let entries: Vec<_> = sources
        .journal
        .as_ref()
        .filter(|p| p.exists())
        .and_then(|p| crate::journal::read_entries(p).ok())
        .unwrap_or_default()
        .into_iter()
        .filter(|e| e.change.as_deref() == Some(change.id.as_str()))
        .collect();
    super::run::readiness(w, change, &entries, &sources.approval, chrono::Utc::now()).await
}

/// Plans `id` and answers with the plan text (what will be sent, and the rollback plan).
pub async fn plan(conn: Connection, sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) {
    tracing::info!(change = %id, "planning a run");
    let result = async {
        let w = writer(&conn, &sources)?;
        let change = find(&sources, &id)?;
        ready(&w, &change, &sources).await?;
        super::run::preflight_gate(&w, &change, &sources.approval, chrono::Utc::now()).await?;
        let targets = prepare(&w, &change).await?;
        let mut text = format!("{id}: {}\n\nWill send, through the journalled writer:\n", change.title);
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
        if change.backup.is_some() {
            text.push_str("  a Velero Backup before the first change\n");
        }
        text.push_str(&format!("\nRollback plan: {}\n", rollback_plan(&targets, None)));
        Ok::<String, String>(text)
    }
    .await;
    let ev = match result {
        Ok(text) => EngineEvent::RunPlan { change: id, text },
        Err(e) => message(MessageLevel::Error, format!("cannot plan {id}: {e}")),
    };
    let _ = events.send(ev).await;
}

/// Starts the run of `id`; returns the operator channel of the live run.
pub async fn start(conn: Connection, sources: RunSources, id: String, events: mpsc::Sender<EngineEvent>) -> Option<mpsc::Sender<Operator>> {
    let prepared = async {
        let w = writer(&conn, &sources)?;
        let change = find(&sources, &id)?;
        ready(&w, &change, &sources).await?;
        let preflight = super::run::preflight_gate(&w, &change, &sources.approval, chrono::Utc::now()).await?;
        let targets = prepare(&w, &change).await?;
        Ok::<_, String>((w, change, targets, preflight))
    }
    .await;
    let (w, change, targets, preflight) = match prepared {
        Ok(p) => p,
        Err(e) => {
            let _ = events.send(message(MessageLevel::Error, format!("cannot run {id}: {e}"))).await;
            return None;
        }
    };
    let (tx, mut rx) = mpsc::channel(64);
    let (op_tx, op_rx) = mpsc::channel(8);
    let holder = format!("{}@{}", conn.info().user, JournalContext::local().actor.host);
    let runner = Runner::new(w, change, targets, holder, tx, op_rx).with_preflight(preflight);
    let forward = events.clone();
    tokio::spawn(async move {
        while let Some(u) = rx.recv().await {
            let line = RunLine { ts: u.ts, change: u.change, step: u.step, event: u.event, note: u.note };
            if forward.send(EngineEvent::RunLine(line)).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(runner.run());
    Some(op_tx)
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
