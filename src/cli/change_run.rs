//! `cabin change run|rollback|restore|status|resume` and the status of every change for `list`.
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Globals;
use super::change::ChangeCmd;
use crate::cluster::write::Writer;
use crate::config::{Config, Settings};
use crate::domain::change::run::RunState;
use crate::domain::change::{ChangeRequest, ChangeSet, RunHistory, StatusVerdict, change_status};
use crate::engine::rollback;

/// Each valid change with its status, from the files, the journal and the clock.
pub fn statuses(set: &ChangeSet, g: &Globals, config: &Config, now: DateTime<Utc>) -> Vec<(ChangeRequest, StatusVerdict)> {
    let entries = journal_entries(g, config);
    let feed = crate::engine::windows_feed::load_with_defaults(&[], None, None);
    let policy = config.approval.clone();
    set.valid
        .iter()
        .map(|c| {
            let history = crate::domain::change::run::history(entries.iter().filter(|e| e.change.as_deref() == Some(c.id.as_str())), now);
            let window = crate::engine::change_windows::verdict(c, &feed, &|_| Default::default(), &Default::default(), now);
            let approval = policy.verdict(c);
            (c.clone(), change_status(c, &approval, &window, &history, now))
        })
        .collect()
}

/// The journal's entries (empty when there is no journal yet).
fn journal_entries(g: &Globals, config: &Config) -> Vec<crate::journal::Entry> {
    crate::config::journal_path(g.journal.clone(), config)
        .ok()
        .filter(|p| p.exists())
        .and_then(|p| crate::journal::read_entries(&p).ok())
        .unwrap_or_default()
}

pub fn run(cmd: ChangeCmd, g: &Globals, settings: &Settings) -> Result<ExitCode, String> {
    match cmd {
        ChangeCmd::Status { id, json } => status(&id, json, g, &settings.config),
        ChangeCmd::Run { id, yes, json, waive_backup } => {
            let how = How { yes, as_json: json, resume: false, waive_backup };
            super::block_on_result(run_change(id, how, g.clone(), settings.config.clone()))
        }
        ChangeCmd::Resume { id, yes } => {
            let how = How { yes, as_json: false, resume: true, waive_backup: None };
            super::block_on_result(run_change(id, how, g.clone(), settings.config.clone()))
        }
        ChangeCmd::Rollback { id, yes } => super::block_on_result(rollback(id, yes, g.clone(), settings.config.clone())),
        ChangeCmd::Restore { id, yes } => super::block_on_result(restore(id, yes, g.clone(), settings.config.clone())),
        other => Err(format!("{other:?} is not a run command")),
    }
}

/// `state` of `cabin change status`: pending, running, interrupted, completed, rolled-back, failed.
fn state_of(h: &RunHistory) -> &'static str {
    match h {
        RunHistory::None => "pending",
        RunHistory::Running { .. } => "running",
        RunHistory::Interrupted { .. } => "interrupted",
        RunHistory::Completed { .. } => "completed",
        RunHistory::RolledBack { .. } => "rolled-back",
        RunHistory::Failed { .. } => "failed",
    }
}

fn status(id: &str, as_json: bool, g: &Globals, config: &Config) -> Result<ExitCode, String> {
    let entries: Vec<_> = journal_entries(g, config).into_iter().filter(|e| e.change.as_deref() == Some(id)).collect();
    let history = crate::domain::change::run::history(entries.iter(), Utc::now());
    let last = entries.iter().rev().find(|e| e.kind == crate::domain::change::run::KIND_STEP);
    let step = last.and_then(|e| e.details.get("step")).and_then(|s| s.as_str()).unwrap_or("-");
    if as_json {
        let v = serde_json::json!({"change": id, "state": state_of(&history), "history": history, "step": step, "entries": entries.len()});
        println!("{}", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?);
    } else {
        println!("{id}: {} (step {step}; {} journal entries)", state_of(&history), entries.len());
    }
    Ok(ExitCode::SUCCESS)
}

/// The change `id` from the change directories: invalid or unknown → an error for exit 1.
fn find_change(id: &str, g: &Globals, config: &Config) -> Result<ChangeRequest, String> {
    let set = super::change::load_changes(g, config);
    if let Some(c) = set.get(id) {
        return Ok(c.clone());
    }
    match set.invalid.iter().find(|f| f.id.as_deref() == Some(id)) {
        Some(f) => Err(format!("change {id} is invalid:\n{}", f.messages.join("\n"))),
        None => Err(format!("no change request {id} in the change directories (--changes DIR, CABIN_CHANGES, `changes:` in the config)")),
    }
}

/// A writable connection and the journalled writer, or the reason it may not write (exit 1).
async fn writer_for(g: &Globals, config: &Config) -> Result<Writer, String> {
    let context = crate::cluster::resolve_context(g.kubeconfig.as_ref(), g.context.as_deref()).map_err(|e| e.to_string())?;
    let decision = config.read_only_decision(g.read_only, &context);
    if decision.read_only {
        return Err(format!("refused: the session is read-only ({}); nothing was sent", decision.reason.unwrap_or_default()));
    }
    let opts = crate::cluster::ConnectOptions { kubeconfig: g.kubeconfig.clone(), context: Some(context), read_only: false };
    let conn = crate::cluster::connect(opts).await.map_err(|e| e.to_string())?;
    let path = crate::config::journal_path(g.journal.clone(), config).map_err(|e| e.to_string())?;
    let mut ctx = crate::journal::JournalContext::local();
    ctx.actor.cluster_user = Some(conn.info().user.clone());
    let (journal, _) = crate::journal::Journal::open(&path, ctx, Box::new(crate::journal::SystemClock)).map_err(|e| e.to_string())?;
    Ok(Writer::new(conn, std::sync::Arc::new(journal)))
}

fn holder(writer: &Writer) -> String {
    let host = crate::journal::JournalContext::local().actor.host;
    format!("{}@{host}", writer.connection().info().user)
}

/// Asks on the terminal: the operator types the change id.
fn confirm(id: &str, what: &str) -> bool {
    eprint!("{what}\nType the change id ({id}) to go ahead, anything else to stop: ");
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).is_ok() && line.trim() == id
}

/// How a run command was asked for.
struct How {
    yes: bool,
    as_json: bool,
    resume: bool,
    waive_backup: Option<String>,
}

async fn run_change(id: String, how: How, g: Globals, config: Config) -> Result<ExitCode, Fail> {
    let How { yes, as_json, resume, waive_backup } = how;
    if let Some(r) = &waive_backup
        && (r.trim().is_empty() || r.chars().count() > 500)
    {
        return Err(Fail::Refused("refused: --waive-backup needs a reason of 1 to 500 characters".into()));
    }
    let change = find_change(&id, &g, &config).map_err(Fail::Refused)?;
    let entries: Vec<_> = journal_entries(&g, &config).into_iter().filter(|e| e.change.as_deref() == Some(id.as_str())).collect();
    let history = crate::domain::change::run::history(entries.iter(), Utc::now());
    let now = Utc::now();
    if resume && !matches!(history, RunHistory::Interrupted { .. } | RunHistory::Running { .. }) {
        return Err(Fail::Refused(format!("refused: {id} has no interrupted run to resume (it is {})", state_of(&history))));
    }
    let writer = writer_for(&g, &config).await.map_err(Fail::Refused)?;
    if !resume {
        crate::engine::run::readiness(&writer, &change, &entries, &config.approval, now)
            .await
            .map_err(|e| Fail::Refused(format!("refused: {e}")))?;
    }
    let preflight = if resume {
        serde_json::Value::Null
    } else {
        crate::engine::run::preflight_gate(&writer, &change, &config.approval, now)
            .await
            .map_err(|e| Fail::Refused(format!("refused: {e}")))?
    };
    let (targets, first_hold) = if resume {
        crate::engine::run::resume_targets(&writer, &change, &entries).await.map_err(Fail::Refused)?
    } else {
        (crate::engine::run::prepare(&writer, &change).await.map_err(Fail::Refused)?, 0)
    };
    let plan = crate::engine::run::rollback_plan(&targets, None);
    let summary = format!(
        "{} {id}: {}\nplan: {}\nrollback plan: {}",
        if resume { "resume" } else { "run" },
        change.title,
        serde_json::to_string(
            &targets.iter().map(|t| serde_json::json!({"target": t.before.target.to_string(), "holds": t.plan.holds})).collect::<Vec<_>>()
        )
        .unwrap_or_default(),
        serde_json::to_string(&plan).unwrap_or_default()
    );
    if !yes && !confirm(&id, &summary) {
        return Err(Fail::Refused("stopped: not confirmed; nothing was sent".into()));
    }
    if let Some(reason) = &waive_backup {
        let by = writer.connection().info().user.clone();
        let entry = crate::journal::NewEntry::new(
            Some(id.clone()),
            "waiver",
            serde_json::json!({"check": crate::engine::preflight::BACKUP_WAIVER, "reason": reason.trim(), "by": by, "from": "cli"}),
        );
        let journal = writer.journal().clone();
        tokio::task::spawn_blocking(move || journal.append(entry))
            .await
            .map_err(|e| Fail::Refused(e.to_string()))?
            .map_err(|e| Fail::Refused(format!("refused: the backup waiver could not be journalled ({e}); nothing was sent")))?;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let (_op_tx, op_rx) = tokio::sync::mpsc::channel(4);
    let mut runner = crate::engine::run::Runner::new(writer.clone(), change, targets, holder(&writer), tx, op_rx)
        .with_preflight(preflight)
        .with_backup_waiver(waive_backup.map(|r| r.trim().to_string()));
    if resume {
        runner = runner.resuming_at(first_hold);
    }
    let printer = tokio::spawn(async move {
        while let Some(u) = rx.recv().await {
            if as_json {
                println!("{}", serde_json::to_string(&u).unwrap_or_default());
            } else {
                println!("{} {:<12} {:<16} {}", u.ts.format("%H:%M:%S"), u.step, u.event, u.note);
            }
        }
    });
    let end = runner.run().await;
    let _ = printer.await;
    Ok(match end {
        RunState::Completed => ExitCode::SUCCESS,
        RunState::RolledBack { by_gate: true, .. } => ExitCode::from(3),
        _ => ExitCode::from(1),
    })
}

/// `cabin change rollback ID`: every target back to the template journalled before the run's
/// first write (works after a crash), holding the change's locks, then watched until complete.
async fn rollback(id: String, yes: bool, g: Globals, config: Config) -> Result<ExitCode, Fail> {
    let entries: Vec<_> = journal_entries(&g, &config).into_iter().filter(|e| e.change.as_deref() == Some(id.as_str())).collect();
    let before = rollback::pre_change(&entries).map_err(Fail::Refused)?;
    let writer = writer_for(&g, &config).await.map_err(Fail::Refused)?;
    if !yes && !confirm(&id, &rollback::rollback_text(&id, &before)) {
        return Err(Fail::Refused("stopped: not confirmed; nothing was sent".into()));
    }
    rollback::rollback_change(&writer, &id, &before, &holder(&writer), &rollback::Progress::new(&id, None)).await.map_err(Fail::Failed)?;
    println!("{id}: rolled back; every target is at its pre-change template and complete");
    Ok(ExitCode::SUCCESS)
}

/// `cabin change restore ID`: a Velero `Restore` of the last run's pre-change backup with
/// existingResourcePolicy: update, after the operator typed the change id.
async fn restore(id: String, yes: bool, g: Globals, config: Config) -> Result<ExitCode, Fail> {
    let entries: Vec<_> = journal_entries(&g, &config).into_iter().filter(|e| e.change.as_deref() == Some(id.as_str())).collect();
    let backup = rollback::backup_of(&entries).ok_or_else(|| Fail::Refused(format!("refused: no run of {id} made a Velero backup")))?;
    let writer = writer_for(&g, &config).await.map_err(Fail::Refused)?;
    if !yes && !confirm(&id, &rollback::restore_text(&id, &backup)) {
        return Err(Fail::Refused("stopped: not confirmed; nothing was sent".into()));
    }
    let (name, phase) = rollback::restore_backup(&writer, &id, &backup, &rollback::Progress::new(&id, None)).await.map_err(Fail::Failed)?;
    if phase == "Completed" {
        println!("{id}: restore {name} from {backup} Completed");
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Fail::Failed(format!("the restore {name} ended {phase}: velero restore describe {name}")))
    }
}

/// Why a run command stopped: refused (exit 1, nothing sent) or failed (exit 1).
#[derive(Debug)]
pub enum Fail {
    Refused(String),
    Failed(String),
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Refused(m) | Fail::Failed(m) => f.write_str(m),
        }
    }
}
