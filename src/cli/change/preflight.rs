//! `cabin change preflight ID [--json] [--waive CHECK=REASON]…`
use std::process::ExitCode;

use chrono::Utc;
use serde_json::json;

use super::session;
use crate::cli::Globals;
use crate::domain::change::{CheckId, CheckStatus, Preflight, WaiveError};
use crate::journal::NewEntry;

/// One `--waive CHECK=REASON`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaiveArg {
    pub check: CheckId,
    pub reason: String,
}

/// Parses `CHECK=REASON` (clap value parser): a known check id and a non-empty reason.
pub fn parse_waive(s: &str) -> Result<WaiveArg, String> {
    let (id, reason) =
        s.split_once('=').ok_or_else(|| "expected CHECK=REASON, e.g. --waive pdb='maintenance, traffic drained'".to_string())?;
    let check = CheckId::parse(id.trim()).ok_or_else(|| {
        let all: Vec<&str> = CheckId::ALL.iter().map(|c| c.as_str()).collect();
        format!("unknown check {id:?}: one of {}", all.join(", "))
    })?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(format!("the waiver of {id} needs a reason"));
    }
    if reason.chars().count() > 500 {
        return Err("a waiver reason is at most 500 characters".into());
    }
    Ok(WaiveArg { check, reason: reason.to_string() })
}

pub fn run(id: &str, as_json: bool, waives: &[WaiveArg], g: &Globals, settings: &crate::config::Settings) -> Result<ExitCode, String> {
    let set = crate::cli::change::load_changes(g, &settings.config);
    let change = session::find_change(&set, id)?;
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let (mut preflight, session) = runtime.block_on(async {
        let s = session::open(g, settings).await?;
        let mut run = s.preflight(&change, Utc::now()).await;
        crate::engine::preflight::apply_journalled_waivers(&mut run.preflight, &s.entries(), Utc::now());
        Ok::<_, String>((run.preflight, s))
    })?;
    for w in waives {
        match waive(&mut preflight, w, &session) {
            Ok(()) => {}
            Err(WaiverRefused::Usage(msg)) => return Err(msg),
            Err(WaiverRefused::Refused(msg)) => {
                eprintln!("cabin change preflight: {msg}");
                return Ok(ExitCode::from(1));
            }
        }
    }
    if as_json {
        session::emit(&format!("{}\n", serde_json::to_string_pretty(&preflight).map_err(|e| e.to_string())?));
    } else {
        session::emit(&text(&preflight));
    }
    Ok(if preflight.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

enum WaiverRefused {
    Usage(String),
    Refused(String),
}

/// Applies one waiver and journals it (kind `waiver`, with the actor). A check that did not
/// fail needs no waiver: a note on stderr, nothing journalled. Not journalled → not applied.
fn waive(p: &mut Preflight, w: &WaiveArg, s: &session::Session) -> Result<(), WaiverRefused> {
    let actor = s.actor();
    let mut trial = p.clone();
    match trial.waive(w.check, &actor, &w.reason) {
        Ok(()) => {}
        Err(WaiveError::NotFailed(id)) => {
            eprintln!("cabin change preflight: check {id} did not fail: the waiver is not needed (not journalled)");
            return Ok(());
        }
        Err(e @ WaiveError::Empty) => return Err(WaiverRefused::Usage(e.to_string())),
        Err(e) => return Err(WaiverRefused::Refused(format!("{e}: fix what it found instead"))),
    }
    let Some(journal) = &s.journal else {
        let why = s.journal_error.clone().unwrap_or_default();
        return Err(WaiverRefused::Refused(format!(
            "the waiver of {} cannot be journalled ({why}), so it is not applied",
            w.check.as_str()
        )));
    };
    let check = p.check(w.check).cloned();
    let details = json!({
        "check": w.check.as_str(),
        "reason": w.reason,
        "by": actor,
        "status": check.as_ref().map(|c| c.status),
        "summary": check.as_ref().map(|c| c.summary.clone()),
    });
    journal.append(NewEntry::new(Some(p.change.clone()), "waiver", details)).map_err(|e| {
        WaiverRefused::Refused(format!("the waiver of {} was not journalled ({e}), so it is not applied", w.check.as_str()))
    })?;
    *p = trial;
    Ok(())
}

fn text(p: &Preflight) -> String {
    let mut out = format!("preflight {}: {}\n", p.change, if p.ok { "ok" } else { "BLOCKED" });
    for c in &p.checks {
        let status = match (c.status, &c.waived) {
            (CheckStatus::Fail, Some(_)) => "waived",
            (CheckStatus::Pass, _) => "pass",
            (CheckStatus::Warn, _) => "warn",
            (CheckStatus::Fail, None) => "FAIL",
            (CheckStatus::Skipped, _) => "skipped",
        };
        out += &format!("  {:<8} {:<17} {}\n", status, c.id.as_str(), c.summary);
        if let Some(w) = &c.waived {
            out += &format!("  {:<8} {:<17} waived by {}: {}\n", "", "", w.by, w.reason);
        }
    }
    out
}
