//! The cockpit's own journal entries about its session: the start (`session-start`, or
//! `read-only-session` when nothing may change the cluster) and every context switch.
//! Journalling is local, so read-only sessions are journalled too.
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::journal::{ClusterRef, Entry, Journal, JournalContext, JournalError, NewEntry, SystemClock};
use crate::model::{ContextInfo, Scope};

/// Appends the session-start entry to the journal at `path`: who (cluster user from the
/// connection, local user and host), which cluster, the scope and cabin's version.
/// Blocking (lock + fdatasync): call it off the async threads.
pub fn journal_session_start(path: &Path, info: &ContextInfo, scope: &Scope, read_only: bool) -> Result<Entry, JournalError> {
    append_session(path, info, scope, read_only, Map::new())
}

/// Like [`journal_session_start`] after a context switch inside the cockpit; the details
/// name the context it switched from.
pub fn journal_context_switch(path: &Path, info: &ContextInfo, scope: &Scope, from: &str) -> Result<Entry, JournalError> {
    let extra = Map::from_iter([("switchedFrom".to_string(), Value::from(from))]);
    append_session(path, info, scope, info.read_only, extra)
}

fn append_session(
    path: &Path,
    info: &ContextInfo,
    scope: &Scope,
    read_only: bool,
    extra: Map<String, Value>,
) -> Result<Entry, JournalError> {
    let mut ctx = JournalContext::local();
    ctx.actor.cluster_user = Some(info.user.clone()).filter(|u| !u.is_empty());
    ctx.cluster = Some(ClusterRef { server: info.cluster_url.clone(), context: info.context.clone() });
    let (journal, _report) = Journal::open(path, ctx, Box::new(SystemClock))?;
    let kind = if read_only { "read-only-session" } else { "session-start" };
    let scope = match scope {
        Scope::All => "all namespaces".to_string(),
        Scope::Namespace(ns) => format!("namespace {ns}"),
    };
    let mut details = json!({
        "scope": scope,
        "readOnly": read_only,
        "cabinVersion": env!("CARGO_PKG_VERSION"),
    });
    if let Some(map) = details.as_object_mut() {
        if let Some(why) = &info.read_only_reason {
            map.insert("readOnlyReason".to_string(), Value::from(why.clone()));
        }
        map.extend(extra);
    }
    journal.append(NewEntry::new(None, kind, details))
}
