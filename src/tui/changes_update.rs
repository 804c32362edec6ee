//! `update` for the changes screen: opening it (`C`, `:changes`) and waiving a failed check
//! of the selected change (`w`, a typed `CHECK=REASON`; journalled by the engine).
use super::action::PromptKind;
use super::screens::{Screen, ScreenKind};
use super::state::{AppState, Prompt};
use super::update::message;
use crate::domain::change::CheckId;
use crate::model::{Command, MessageLevel};

/// The most characters a typed waiver reason may have.
pub const MAX_REASON: usize = 500;

/// Opens the changes screen on top of the first one (like the other view commands).
pub fn open(state: &mut AppState) {
    state.screens.truncate(1);
    if state.screens[0].kind != ScreenKind::Changes {
        state.screens.push(Screen::new(ScreenKind::Changes));
    }
}

/// `w` on the changes screen: the prompt, pre-filled with the first failed waivable check.
pub fn open_waiver(state: &mut AppState) {
    let first = state
        .changes
        .selected()
        .and_then(|e| e.preflight.as_ref())
        .and_then(|r| r.preflight.checks.iter().find(|c| c.blocks() && c.waivable));
    match (state.screen().kind == ScreenKind::Changes, first) {
        (false, _) => state.status = Some(message(MessageLevel::Warn, "waive: open the changes screen (C) and select a change", None)),
        (true, None) => state.status = Some(message(MessageLevel::Info, "nothing to waive: no failed check that may be waived", None)),
        (true, Some(c)) => state.prompt = Some(Prompt::new(PromptKind::Waive, &format!("{}=", c.id.as_str()))),
    }
}

/// Checks the typed `CHECK=REASON` against the selected change's preflight (the CLI's rules:
/// failed, waivable, a reason) and asks the engine to journal it; the preflight then re-runs
/// and shows the check waived.
pub fn waive(state: &mut AppState, input: &str) -> Vec<Command> {
    let Some(entry) = state.changes.selected() else { return Vec::new() };
    let Some((id, reason)) = input.split_once('=').map(|(i, r)| (i.trim(), r.trim())) else {
        state.status = Some(message(MessageLevel::Error, "type CHECK=REASON, e.g. pdb=traffic drained for the window", None));
        return Vec::new();
    };
    if id == crate::engine::preflight::BACKUP_WAIVER {
        // Not a preflight check: it lets this change's next run go on when its pre-change
        // backup does not end Completed.
        if reason.is_empty() || reason.chars().count() > MAX_REASON {
            state.status = Some(message(MessageLevel::Error, format!("a waiver needs a reason of 1 to {MAX_REASON} characters"), None));
            return Vec::new();
        }
        let change = entry.change.id.clone();
        state.status = Some(message(MessageLevel::Info, format!("waiving an unusable backup for the next run of {change}…"), None));
        return vec![Command::Waive { change, check: id.to_string(), reason: reason.to_string() }];
    }
    let Some(check) = CheckId::parse(id) else {
        state.status = Some(message(MessageLevel::Error, format!("no check {id:?}"), None));
        return Vec::new();
    };
    let Some(run) = &entry.preflight else { return Vec::new() };
    let user = &state.cluster.context.user;
    let by = if user.is_empty() { "cockpit" } else { user.as_str() };
    let verdict = if reason.chars().count() > MAX_REASON {
        Err(format!("a waiver reason is at most {MAX_REASON} characters"))
    } else {
        run.preflight.clone().waive(check, by, reason).map_err(|e| e.to_string())
    };
    if let Err(e) = verdict {
        state.status = Some(message(MessageLevel::Error, e, None));
        return Vec::new();
    }
    state.status = Some(message(MessageLevel::Info, format!("waiving {} of {}…", check.as_str(), entry.change.id), None));
    vec![Command::Waive { change: entry.change.id.clone(), check: check.as_str().to_string(), reason: reason.to_string() }]
}
