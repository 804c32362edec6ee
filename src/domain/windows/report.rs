//! The `cabin windows check` report: per-window and list evaluation plus CanSync and the
//! status line `argocd app get` prints.

use super::decision::WindowList;
use super::window::{AppTarget, SyncWindow};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// One window evaluated alone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WindowReport {
    pub index: usize,
    pub kind: String,
    pub matches: bool,
    pub active: bool,
    pub error: Option<String>,
}

/// The whole check, in the JSON key order of the CLI contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    pub windows: Vec<WindowReport>,
    pub matching: Vec<usize>,
    pub active: Vec<usize>,
    pub inactive_allows: Vec<usize>,
    pub auto_sync_allowed: bool,
    pub manual_sync_allowed: bool,
    pub status: String,
    pub error: Option<String>,
    // Argo CD's helper predicates (not part of the CLI's JSON contract).
    /// Argo CD's `hasDeny()` over the evaluated list: some window is a `deny`.
    #[serde(skip)]
    pub has_deny: bool,
    /// `hasAllow()`: some window is an `allow`.
    #[serde(skip)]
    pub has_allow: bool,
    /// `hasDeny()`'s second value: there are denies and every one has `manualSync`.
    #[serde(skip)]
    pub manual_enabled: bool,
    /// `hasDeny()`'s third value: there are denies and every one has `syncOverrun`.
    #[serde(skip)]
    pub deny_allows_overrun: bool,
}

/// Evaluates `windows` for `target` (`None` = no matching) at `at`.
pub fn check(windows: &[SyncWindow], target: Option<&AppTarget>, at: DateTime<Utc>, op_start: Option<DateTime<Utc>>) -> CheckReport {
    let list = match target {
        Some(app) => WindowList::matching(windows, app),
        None => WindowList::all(windows),
    };
    let matching: Vec<usize> = list.items.iter().map(|(i, _)| *i).collect();
    let reports = windows
        .iter()
        .enumerate()
        .map(|(index, w)| {
            let alone = w.active_at(at);
            WindowReport {
                index,
                kind: w.kind.clone(),
                matches: matching.contains(&index),
                active: alone.as_ref().is_ok_and(|a| *a),
                error: alone.err().map(|e| e.to_string()),
            }
        })
        .collect();
    let active = list.active(at);
    let inactive = list.inactive_allows(at);
    let auto = list.can_sync(false, op_start, at);
    let manual = list.can_sync(true, op_start, at);
    let status = status_line(windows, &list, at);
    CheckReport {
        windows: reports,
        matching,
        active: active.unwrap_or_default(),
        inactive_allows: inactive.unwrap_or_default(),
        auto_sync_allowed: auto.as_ref().is_ok_and(|a| *a),
        manual_sync_allowed: manual.as_ref().is_ok_and(|a| *a),
        status: status.to_string(),
        error: auto.err().map(|e| e.to_string()),
        has_deny: list.has_deny(),
        has_allow: list.has_allow(),
        manual_enabled: list.denies_all(|w| w.manual_sync),
        deny_allows_overrun: list.denies_all(|w| w.sync_overrun),
    }
}

/// `argocd app get`'s `SyncWindow:` value: `Sync Allowed`, `Manual Allowed` or `Sync Denied`.
pub fn status_line(all: &[SyncWindow], list: &WindowList<'_>, at: DateTime<Utc>) -> &'static str {
    if list.items.is_empty() {
        return "Sync Allowed";
    }
    let (mut allow, mut deny) = (false, false);
    if let Ok(active) = list.active(at) {
        for i in active {
            if all[i].is_deny() { deny = true } else { allow = true }
        }
    }
    let inactive_allows = list.inactive_allows(at).is_ok_and(|v| !v.is_empty());
    if deny || (!allow && inactive_allows) {
        if list.can_sync(true, None, at).is_ok_and(|a| a) { "Manual Allowed" } else { "Sync Denied" }
    } else {
        "Sync Allowed"
    }
}
