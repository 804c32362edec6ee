//! The cockpit's change feed: loads the change requests, derives each one's status, runs its
//! preflight against the cluster and sends the whole set as `EngineEvent::Changes`.
//!
//! Edits are picked up by polling: every [`POLL`] (2 s) the change directories' `*.yaml` /
//! `*.yml` files are listed with their length and mtime; a difference starts a debounce, and the
//! files are re-read once two looks in a row agree (an editor's write-rename burst is read
//! once, whole). Polling a handful of small files costs nothing measurable and needs no
//! inotify crate (network and bind-mounted directories, where inotify is silent, work too).
//! The preflight is refreshed every [`REFRESH`] (15 s), after a reload, and after a context
//! switch (the engine sends the new connection).
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use super::preflight::{PreflightEnv, PreflightRun, evaluate, windows_with_cluster};
use super::windows_feed::WindowsFeed;
use crate::cluster::Connection;
use crate::cluster::write::Writer;
use crate::domain::change::{ApprovalPolicy, ChangeRequest, ChangeSet, InvalidFile, StatusVerdict, change_status};
use crate::model::EngineEvent;

/// How often the change directories are looked at.
pub const POLL: Duration = Duration::from_secs(2);
/// How often the preflight of every change is run again (the cluster moves: rollouts finish,
/// Leases are taken, PDB headroom changes).
pub const REFRESH: Duration = Duration::from_secs(15);

/// Where the change requests come from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChangeSource {
    #[default]
    None,
    /// Directories (`--changes`, `CABIN_CHANGES`, `changes:`), watched for edits.
    Dirs(Vec<PathBuf>),
    /// Built-in texts (the demo's), (display name, text).
    Embedded(Vec<(String, String)>),
}

/// What the feed needs besides the connection.
#[derive(Debug, Clone, Default)]
pub struct ChangesOptions {
    pub source: ChangeSource,
    /// The journal: run history for the statuses, and the writer for the dry run.
    pub journal: Option<PathBuf>,
    /// Windows and freezes from files (merged with the cluster's AppProjects).
    pub file_windows: WindowsFeed,
    /// The approval policy (config `approval:`).
    pub approval: ApprovalPolicy,
}

/// One change as the cockpit shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeEntry {
    pub change: ChangeRequest,
    pub status: StatusVerdict,
    /// The approvals under the configured policy.
    pub approval: crate::domain::change::ApprovalVerdict,
    /// None until the first preflight is in.
    pub preflight: Option<PreflightRun>,
}

/// The change set with statuses and preflights (`EngineEvent::Changes`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangesFeed {
    pub changes: Vec<ChangeEntry>,
    pub invalid: Vec<InvalidFile>,
    /// Where the files came from, in words (for an empty list).
    pub source: String,
    pub loaded_at: Option<DateTime<Utc>>,
    /// The preflights are being run (the ones shown may be older).
    pub checking: bool,
}

/// Starts the feed; it stops when the event receiver is dropped.
pub fn spawn(conn: watch::Receiver<Connection>, opts: ChangesOptions, tx: mpsc::Sender<EngineEvent>) -> JoinHandle<()> {
    tokio::spawn(run(conn, opts, tx))
}

type Fingerprint = Vec<(PathBuf, u64, Option<SystemTime>)>;

fn fingerprint(source: &ChangeSource) -> Fingerprint {
    let ChangeSource::Dirs(dirs) = source else { return Vec::new() };
    let mut out = Vec::new();
    for d in dirs {
        let Ok(entries) = std::fs::read_dir(d) else {
            out.push((d.clone(), 0, None));
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if matches!(p.extension().and_then(|x| x.to_str()), Some("yaml" | "yml"))
                && let Ok(m) = e.metadata()
            {
                out.push((p, m.len(), m.modified().ok()));
            }
        }
    }
    out.sort();
    out
}

fn load(source: &ChangeSource) -> (ChangeSet, String) {
    match source {
        ChangeSource::None => (ChangeSet::default(), "no change directory: pass --changes DIR, set CABIN_CHANGES or `changes:`".into()),
        ChangeSource::Dirs(dirs) => {
            let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            (super::changes::load_dirs(dirs), names.join(", "))
        }
        ChangeSource::Embedded(files) => (ChangeSet::parse(files), "the demo's change requests".into()),
    }
}

async fn run(mut conn_rx: watch::Receiver<Connection>, opts: ChangesOptions, tx: mpsc::Sender<EngineEvent>) {
    let mut seen = fingerprint(&opts.source);
    let mut pending: Option<Fingerprint> = None;
    let (mut set, mut source) = load(&opts.source);
    let mut feed = ChangesFeed::default();
    let mut poll = tokio::time::interval(POLL);
    let mut refresh = tokio::time::interval(REFRESH);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = refresh.tick() => {}
            changed = conn_rx.changed() => if changed.is_err() { return },
            _ = poll.tick() => {
                let now = fingerprint(&opts.source);
                // Debounce: reload only once two looks in a row agree on a new state.
                match pending.take() {
                    Some(p) if p == now && now != seen => {
                        seen = now;
                        (set, source) = load(&opts.source);
                    }
                    _ if now != seen => { pending = Some(now); continue; }
                    _ => continue,
                }
            }
        }
        let conn = conn_rx.borrow().clone();
        feed = statuses(&set, &source, &feed, &opts);
        if tx.send(EngineEvent::Changes(Box::new(feed.clone()))).await.is_err() {
            return;
        }
        feed = with_preflights(feed, &opts, &conn).await;
        if tx.send(EngineEvent::Changes(Box::new(feed.clone()))).await.is_err() {
            return;
        }
    }
}

/// Statuses from the files, the journal and the window verdicts (the last preflight's when
/// there is one for the change, else the files' windows); previous preflights are kept.
fn statuses(set: &ChangeSet, source: &str, old: &ChangesFeed, opts: &ChangesOptions) -> ChangesFeed {
    let now = Utc::now();
    let entries = opts.journal.as_ref().filter(|p| p.exists()).and_then(|p| crate::journal::read_entries(p).ok()).unwrap_or_default();
    let policy = &opts.approval;
    let changes = set
        .valid
        .iter()
        .map(|c| {
            let preflight = old.changes.iter().find(|e| e.change == *c).and_then(|e| e.preflight.clone());
            let history = crate::domain::change::run::history(entries.iter().filter(|e| e.change.as_deref() == Some(c.id.as_str())), now);
            let window = match &preflight {
                Some(p) => p.window.clone(),
                None => super::change_windows::verdict(c, &opts.file_windows, &|_| Default::default(), &Default::default(), now),
            };
            let approval = policy.verdict(c);
            ChangeEntry { change: c.clone(), status: change_status(c, &approval, &window, &history, now), approval, preflight }
        })
        .collect();
    ChangesFeed { changes, invalid: set.invalid.clone(), source: source.to_string(), loaded_at: Some(now), checking: !set.valid.is_empty() }
}

async fn with_preflights(mut feed: ChangesFeed, opts: &ChangesOptions, conn: &Connection) -> ChangesFeed {
    let windows = windows_with_cluster(conn, &opts.file_windows).await;
    let (writer, skip) = writer_for(conn, opts);
    let env = PreflightEnv { conn, writer: writer.as_ref(), skip_reason: &skip, windows: &windows, policy: &opts.approval };
    let entries = opts.journal.as_ref().filter(|p| p.exists()).and_then(|p| crate::journal::read_entries(p).ok()).unwrap_or_default();
    for e in &mut feed.changes {
        let mut run = evaluate(env, &e.change, Utc::now()).await;
        super::preflight::apply_journalled_waivers(&mut run.preflight, &entries, run.at);
        e.status = change_status(&e.change, &opts.approval.verdict(&e.change), &run.window, &history_of(opts, &e.change), run.at);
        e.preflight = Some(run);
    }
    feed.checking = false;
    feed
}

fn history_of(opts: &ChangesOptions, c: &ChangeRequest) -> crate::domain::change::RunHistory {
    let entries = opts.journal.as_ref().filter(|p| p.exists()).and_then(|p| crate::journal::read_entries(p).ok()).unwrap_or_default();
    crate::domain::change::run::history(entries.iter().filter(|e| e.change.as_deref() == Some(c.id.as_str())), Utc::now())
}

/// The dry run needs the journalled writer: none in a read-only session or without a journal.
fn writer_for(conn: &Connection, opts: &ChangesOptions) -> (Option<Writer>, String) {
    let info = conn.info();
    if info.read_only {
        let why = info.read_only_reason.clone().unwrap_or_else(|| "--read-only".into());
        return (None, format!("read-only session ({why})"));
    }
    let Some(path) = &opts.journal else { return (None, "no journal, so no writer".into()) };
    let mut ctx = crate::journal::JournalContext::local();
    ctx.actor.cluster_user = Some(info.user.clone()).filter(|u| !u.is_empty());
    ctx.cluster = Some(crate::journal::ClusterRef { server: info.cluster_url.clone(), context: info.context.clone() });
    match crate::journal::Journal::open(path, ctx, Box::new(crate::journal::SystemClock)) {
        Ok((j, _)) => (Some(Writer::new(conn.clone(), std::sync::Arc::new(j))), String::new()),
        Err(e) => (None, format!("the journal cannot be opened ({e}), so no writer")),
    }
}
