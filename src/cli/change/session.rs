//! What `cabin change preflight|report` need: the change, a connection (read-only as the flag
//! and the config decide, fail closed), the journal and its writer, and the windows feed.
use std::sync::Arc;

use crate::cli::Globals;
use crate::cluster::write::Writer;
use crate::cluster::{ConnectOptions, Connection};
use crate::config::Settings;
use crate::domain::change::{ChangeRequest, ChangeSet};
use crate::engine::preflight::{PreflightEnv, PreflightRun, evaluate, windows_with_cluster};
use crate::engine::windows_feed::{self, WindowsFeed};
use crate::journal::{ClusterRef, Journal, JournalContext, SystemClock};

/// A connected session for one command.
pub struct Session {
    pub conn: Connection,
    pub writer: Option<Writer>,
    pub skip_reason: String,
    pub journal: Option<Arc<Journal>>,
    pub journal_error: Option<String>,
    pub windows: WindowsFeed,
    /// The approval policy (config `approval:`).
    pub approval: crate::domain::change::ApprovalPolicy,
}

/// The valid change `id`, or the message for exit 2 (unknown, or listed as invalid).
pub fn find_change(set: &ChangeSet, id: &str) -> Result<ChangeRequest, String> {
    if let Some(c) = set.valid.iter().find(|c| c.id == id) {
        return Ok(c.clone());
    }
    if let Some(f) = set.invalid.iter().find(|f| f.id.as_deref() == Some(id)) {
        return Err(format!("change {id} is invalid ({}): {}", f.file, f.messages.join("; ")));
    }
    let known: Vec<&str> = set.valid.iter().map(|c| c.id.as_str()).collect();
    Err(format!(
        "no change request {id:?} (known: {}); pass --changes DIR",
        if known.is_empty() { "none".into() } else { known.join(", ") }
    ))
}

/// Connects as the global flags and the config say, opens the journal (the writer needs it;
/// without it the dry run is skipped and says why), and merges the windows files with the
/// cluster's AppProjects.
pub async fn open(g: &Globals, settings: &Settings) -> Result<Session, String> {
    let context = crate::cluster::resolve_context(g.kubeconfig.as_ref(), g.context.as_deref()).map_err(|e| e.to_string())?;
    let decision = settings.config.read_only_decision(g.read_only, &context);
    let opts = ConnectOptions { kubeconfig: g.kubeconfig.clone(), context: Some(context), read_only: decision.read_only };
    let conn = crate::cluster::connect(opts).await.map_err(|e| e.to_string())?.with_read_only_reason(decision.reason.clone());
    let (journal, journal_error) = match open_journal(g, settings, &conn) {
        Ok(j) => (Some(Arc::new(j)), None),
        Err(e) => (None, Some(e)),
    };
    let (writer, skip_reason) = match (&journal, decision.read_only) {
        (_, true) => (None, format!("read-only session ({})", decision.reason.as_deref().unwrap_or("--read-only"))),
        (Some(j), false) => (Some(Writer::new(conn.clone(), j.clone())), String::new()),
        (None, false) => (None, format!("no journal, so no writer: {}", journal_error.as_deref().unwrap_or("unknown"))),
    };
    let files = windows_feed::load_with_defaults(&[], None, None);
    let windows = windows_with_cluster(&conn, &files).await;
    Ok(Session { conn, writer, skip_reason, journal, journal_error, windows, approval: settings.config.approval.clone() })
}

fn open_journal(g: &Globals, settings: &Settings, conn: &Connection) -> Result<Journal, String> {
    let path = crate::config::journal_path(g.journal.clone(), &settings.config).map_err(|e| e.to_string())?;
    let info = conn.info();
    let mut ctx = JournalContext::local();
    ctx.actor.cluster_user = Some(info.user.clone()).filter(|u| !u.is_empty());
    ctx.cluster = Some(ClusterRef { server: info.cluster_url.clone(), context: info.context.clone() });
    Journal::open(path, ctx, Box::new(SystemClock)).map(|(j, _)| j).map_err(|e| e.to_string())
}

impl Session {
    /// The preflight of `change` now.
    pub async fn preflight(&self, change: &ChangeRequest, now: chrono::DateTime<chrono::Utc>) -> PreflightRun {
        let policy = self.approval.clone();
        let env = PreflightEnv {
            conn: &self.conn,
            writer: self.writer.as_ref(),
            skip_reason: &self.skip_reason,
            windows: &self.windows,
            policy: &policy,
        };
        evaluate(env, change, now).await
    }

    /// The journal's entries (none when there is no journal or it cannot be read).
    pub fn entries(&self) -> Vec<crate::journal::Entry> {
        self.journal.as_ref().filter(|j| j.path().exists()).and_then(|j| crate::journal::read_entries(j.path()).ok()).unwrap_or_default()
    }

    /// Who waives: the cluster identity when known, else the local user.
    pub fn actor(&self) -> String {
        let user = &self.conn.info().user;
        if user.is_empty() { JournalContext::local().actor.local_user } else { user.clone() }
    }
}

/// Writes to stdout; a closed pipe (`| head`) ends the output quietly instead of panicking.
pub fn emit(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}
