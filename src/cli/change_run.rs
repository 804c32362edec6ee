//! `cabin change run|rollback|status|resume` and the status of every change for `list`.
use std::process::ExitCode;

use chrono::{DateTime, Utc};

use super::Globals;
use super::change::ChangeCmd;
use crate::config::{Config, Settings};
use crate::domain::change::approval::ApprovalPolicy;
use crate::domain::change::{ChangeRequest, ChangeSet, RunHistory, StatusVerdict, WindowVerdict, change_status};

/// Each valid change with its status, from the files, the journal and the clock.
pub fn statuses(set: &ChangeSet, g: &Globals, config: &Config, now: DateTime<Utc>) -> Vec<(ChangeRequest, StatusVerdict)> {
    let entries = journal_entries(g, config);
    let feed = crate::engine::windows_feed::load_with_defaults(&[], None, None);
    let policy = ApprovalPolicy::default();
    set.valid
        .iter()
        .map(|c| {
            let history = crate::domain::change::run::history(entries.iter().filter(|e| e.change.as_deref() == Some(c.id.as_str())), now);
            let window = crate::engine::change_windows::verdict(c, &feed, now);
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

pub fn run(cmd: ChangeCmd, _g: &Globals, _settings: &Settings) -> Result<ExitCode, String> {
    let _ = (RunHistory::None, WindowVerdict::Unknown { reason: String::new() });
    Err(format!("{cmd:?}: the change run is being built (issue 10)"))
}
