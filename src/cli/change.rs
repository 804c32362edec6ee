//! `cabin change …` and `cabin cab`: change requests, their preflight, the CAB pack and the
//! change run. The shapes here are contracts (tests outside the project use them): names,
//! flags, JSON keys and exit codes are only ever added to.
//!
//! Exit codes: 0 success; 1 invalid / refused / failed (and `preflight` with a failing check);
//! 2 usage or I/O error; 3 (`run`) rolled back by a health gate.
use std::path::PathBuf;
use std::process::ExitCode;

use chrono::Utc;
use serde_json::json;

use super::Globals;
use crate::domain::change::ChangeSet;

pub mod preflight;
mod report;
mod session;

/// `cabin change …`
#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    #[command(subcommand)]
    pub command: ChangeCmd,
}

#[derive(Debug, clap::Subcommand)]
pub enum ChangeCmd {
    /// Check change request files (default: every file of the change directories). Exit 0 `valid`, 1 with FILE:LINE messages.
    Validate {
        /// Files to check.
        files: Vec<PathBuf>,
    },
    /// The change requests with their status.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Evaluate every preflight check of a change, with evidence. Exit 0 when none fails, 1 otherwise.
    Preflight {
        id: String,
        #[arg(long)]
        json: bool,
        /// Waive a failed check with a reason (repeatable; journalled with who waived it).
        /// Not waivable: approvals, freeze, target, containers, images, rbac, lock.
        #[arg(long, value_name = "CHECK=REASON", value_parser = preflight::parse_waive)]
        waive: Vec<preflight::WaiveArg>,
    },
    /// The CAB pack of a change: approvals, next slot, preflight evidence, backup and rollback plans, history.
    Report {
        id: String,
        #[arg(long, value_enum, default_value = "md")]
        format: ReportFormat,
    },
    /// Run a change: lock, preflight, backup, canary → staged → full with health gates, verify.
    /// Exit 0 completed, 3 rolled back by a health gate, 1 refused or failed, 2 usage.
    Run {
        id: String,
        /// Do not ask for confirmation.
        #[arg(long)]
        yes: bool,
        /// One JSON object per line (`ts`, `change`, `step`, `event`, details).
        #[arg(long)]
        json: bool,
        /// Go on when the pre-change backup ends PartiallyFailed, Failed or FailedValidation,
        /// for this reason (journalled as a waiver with who gave it).
        #[arg(long, value_name = "REASON")]
        waive_backup: Option<String>,
    },
    /// Return every target of a change to its pre-change template.
    Rollback {
        id: String,
        #[arg(long)]
        yes: bool,
    },
    /// Where a change's run stands: pending, running, interrupted, completed, rolled-back, failed.
    Status {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Continue an interrupted run from where the journal and the cluster say it stopped.
    Resume {
        id: String,
        #[arg(long)]
        yes: bool,
    },
    /// Velero restore from the pre-change backup of the change's last run
    /// (existingResourcePolicy: update — overwrites existing objects). Exit 0 Completed,
    /// 1 refused or not Completed.
    Restore {
        id: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Md,
    Json,
}

/// `cabin cab`
#[derive(Debug, clap::Args)]
pub struct CabArgs {
    /// How many days ahead the agenda looks.
    #[arg(long, default_value_t = 7)]
    pub days: u32,
    #[arg(long, value_enum, default_value = "md")]
    pub format: ReportFormat,
}

/// The change requests the global flags and the config select.
pub fn load_changes(g: &Globals, config: &crate::config::Config) -> ChangeSet {
    let dirs = crate::engine::changes::change_dirs(&g.changes, std::env::var_os("CABIN_CHANGES"), &config.changes);
    crate::engine::changes::load_dirs(&dirs)
}

pub fn run(args: ChangeArgs, g: &Globals) -> ExitCode {
    let settings = g.settings();
    let code = match args.command {
        ChangeCmd::Validate { files } => validate(&files, g, &settings.config),
        ChangeCmd::List { json } => list(json, g, &settings.config),
        ChangeCmd::Preflight { id, json, waive } => preflight::run(&id, json, &waive, g, &settings),
        ChangeCmd::Report { id, format } => report::report(&id, format, g, &settings),
        other => super::change_run::run(other, g, &settings),
    };
    code.unwrap_or_else(|msg| {
        eprintln!("cabin change: {msg}");
        ExitCode::from(2)
    })
}

type CmdResult = Result<ExitCode, String>;

fn validate(files: &[PathBuf], g: &Globals, config: &crate::config::Config) -> CmdResult {
    let set = if files.is_empty() { load_changes(g, config) } else { crate::engine::changes::load_files(files) };
    if set.valid.is_empty() && set.invalid.is_empty() {
        return Err("no change request files found: pass FILE…, --changes DIR, CABIN_CHANGES or `changes:` in the config".into());
    }
    if set.invalid.is_empty() {
        println!("valid");
        return Ok(ExitCode::SUCCESS);
    }
    for f in &set.invalid {
        for m in &f.messages {
            eprintln!("{m}");
        }
    }
    Ok(ExitCode::from(1))
}

fn list(as_json: bool, g: &Globals, config: &crate::config::Config) -> CmdResult {
    let set = load_changes(g, config);
    let rows = super::change_run::statuses(&set, g, config, Utc::now());
    if as_json {
        let mut out: Vec<serde_json::Value> = rows
            .iter()
            .map(|(c, s)| {
                json!({
                    "id": c.id, "title": c.title, "risk": c.risk.as_str(), "status": s.status.as_str(), "rule": s.rule,
                    "targets": c.targets.iter().map(|t| t.workload.to_string()).collect::<Vec<_>>(),
                    "file": c.file, "valid": true,
                })
            })
            .collect();
        out.extend(set.invalid.iter().map(|f| {
            json!({"id": f.id, "title": null, "risk": null, "status": "invalid", "targets": [], "file": f.file, "valid": false, "messages": f.messages})
        }));
        println!("{}", serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("{:<12} {:<7} {:<19} TITLE", "ID", "RISK", "STATUS");
    for (c, s) in &rows {
        println!("{:<12} {:<7} {:<19} {}", c.id, c.risk.as_str(), s.status.as_str(), c.title);
    }
    for f in &set.invalid {
        println!(
            "{:<12} {:<7} {:<19} {}",
            f.id.as_deref().unwrap_or("?"),
            "-",
            "invalid",
            f.messages.first().map(String::as_str).unwrap_or("")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `cabin cab`: the agenda of pending changes for the board.
pub fn cab(args: CabArgs, g: &Globals) -> ExitCode {
    let settings = g.settings();
    report::cab(args.days, args.format, g, &settings).unwrap_or_else(|msg| {
        eprintln!("cabin cab: {msg}");
        ExitCode::from(2)
    })
}
