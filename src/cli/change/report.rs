//! `cabin change report ID --format md|json` (the CAB pack) and `cabin cab [--days N]` (the
//! board's agenda).
use std::process::ExitCode;

use chrono::{Duration, Utc};

use super::session;
use crate::cli::Globals;
use crate::cli::change::{ReportFormat, load_changes};
use crate::config::Settings;
use crate::domain::change::{ChangeRequest, ChangeStatus, WindowVerdict, change_status};
use crate::engine::cab::{AgendaItem, CabPack, next_slot, render_agenda_md, render_pack_md};
use crate::engine::preflight::{PreflightRun, apply_journalled_waivers};

/// The most days `cabin cab --days` looks ahead.
pub const MAX_DAYS: u32 = 366;

fn journal_entries(g: &Globals, settings: &Settings) -> Result<Vec<crate::journal::Entry>, String> {
    let path = crate::config::journal_path(g.journal.clone(), &settings.config).map_err(|e| e.to_string())?;
    if !path.exists() {
        return Ok(Vec::new());
    }
    crate::journal::read_entries(&path).map_err(|e| format!("cannot read the journal {}: {e}", path.display()))
}

pub fn report(id: &str, format: ReportFormat, g: &Globals, settings: &Settings) -> Result<ExitCode, String> {
    let set = load_changes(g, &settings.config);
    let change = session::find_change(&set, id)?;
    let now = Utc::now();
    let history = journal_entries(g, settings)?;
    let approvals = settings.config.approval.verdict(&change);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let run = runtime.block_on(async {
        let s = session::open(g, settings).await?;
        let mut run = s.preflight(&change, now).await;
        apply_journalled_waivers(&mut run.preflight, &history, now);
        Ok::<_, String>(run)
    });
    // The status from the preflight's window verdict (the cluster's windows); without a
    // cluster, from the files alone (and the pack says the preflight is missing).
    let status = match &run {
        Ok(r) => {
            let h = crate::domain::change::run::history(history.iter().filter(|e| e.change.as_deref() == Some(change.id.as_str())), now);
            change_status(&change, &approvals, &r.window, &h, now)
        }
        Err(_) => crate::cli::change_run::statuses(&set, g, &settings.config, now)
            .into_iter()
            .find(|(c, _)| c.id == change.id)
            .map(|(_, s)| s)
            .ok_or_else(|| format!("change {id}: no status"))?,
    };
    let pack =
        CabPack::new(&change, status, approvals, run.as_ref().map_err(|e| format!("the cluster could not be asked: {e}")), &history, now);
    match format {
        ReportFormat::Md => session::emit(&render_pack_md(&pack)),
        ReportFormat::Json => session::emit(&format!("{}\n", serde_json::to_string_pretty(&pack).map_err(|e| e.to_string())?)),
    }
    Ok(ExitCode::SUCCESS)
}

/// Each change's preflight when the cluster answers (windows through the Applications and
/// AppProjects), else why not.
fn preflights(
    changes: &[ChangeRequest],
    g: &Globals,
    settings: &Settings,
    history: &[crate::journal::Entry],
) -> Result<Vec<PreflightRun>, String> {
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime.block_on(async {
        let s = session::open(g, settings).await?;
        let mut out = Vec::new();
        for c in changes {
            let mut run = s.preflight(c, Utc::now()).await;
            apply_journalled_waivers(&mut run.preflight, history, Utc::now());
            out.push(run);
        }
        Ok(out)
    })
}

pub fn cab(days: u32, format: ReportFormat, g: &Globals, settings: &Settings) -> Result<ExitCode, String> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(format!("--days {days} is out of range: 1 to {MAX_DAYS}"));
    }
    let set = load_changes(g, &settings.config);
    let now = Utc::now();
    let horizon = now + Duration::days(i64::from(days));
    let feed = crate::engine::windows_feed::load_with_defaults(&[], None, None);
    let history = journal_entries(g, settings)?;
    let runs = preflights(&set.valid, g, settings, &history);
    let policy = settings.config.approval.clone();
    let items: Vec<AgendaItem> = set
        .valid
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let run = runs.as_ref().ok().and_then(|r| r.get(i));
            let window = run.map_or_else(
                || crate::engine::change_windows::verdict(c, &feed, &|_| Default::default(), &Default::default(), now),
                |r| r.window.clone(),
            );
            let h = crate::domain::change::run::history(history.iter().filter(|e| e.change.as_deref() == Some(c.id.as_str())), now);
            (c.clone(), change_status(c, &policy.verdict(c), &window, &h, now), window, run)
        })
        .filter(|(_, s, _, _)| !matches!(s.status, ChangeStatus::Completed | ChangeStatus::RolledBack))
        .map(|(c, s, window, run)| {
            let fits = match &window {
                WindowVerdict::Open { .. } => true,
                WindowVerdict::Closed { next_open } => next_open.is_some_and(|t| t <= horizon),
                WindowVerdict::Frozen { until, .. } => until.is_some_and(|t| t <= horizon),
                WindowVerdict::Unknown { .. } => false,
            } && c.window.as_ref().is_none_or(|slot| slot.start <= horizon && slot.end > now);
            AgendaItem {
                id: c.id.clone(),
                title: c.title.clone(),
                risk: c.risk.as_str().to_string(),
                status: s.status.as_str().to_string(),
                rule: s.rule,
                next_slot: next_slot(&window, now),
                window,
                planned_slot: c.window.as_ref().map(|w| w.text.clone()),
                fits,
                preflight: run.map(|r| {
                    if r.preflight.ok {
                        "ok".to_string()
                    } else {
                        format!("blocked {}", r.preflight.checks.iter().filter(|c| c.blocks()).count())
                    }
                }),
            }
        })
        .collect();
    match format {
        ReportFormat::Md => {
            let mut text = render_agenda_md(&items, &set.invalid, days, now);
            if let Err(e) = &runs {
                text += &format!("\nThe cluster could not be asked ({e}): windows from files only, no preflight.\n");
            }
            session::emit(&text);
        }
        ReportFormat::Json => {
            let v = serde_json::json!({"generatedAt": now.to_rfc3339(), "days": days, "changes": items, "invalid": set.invalid, "clusterError": runs.as_ref().err()});
            session::emit(&format!("{}\n", serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?));
        }
    }
    Ok(ExitCode::SUCCESS)
}
