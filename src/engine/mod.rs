//! The engine owns the cluster tasks: it turns watch notices into coalesced snapshots for the
//! UI, answers the UI's commands, and reports only through `EngineEvent` messages, so the UI
//! never waits on the network.
pub mod cab;
pub mod change_windows;
pub mod changes;
pub mod changes_feed;
mod health;
pub mod journal_feed;
pub mod preflight;
pub mod rollback;
pub mod run;
pub mod run_task;
pub mod session;
mod waiver;
pub mod windows_feed;

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cluster::applications::{self, ApplicationsSignal};
use crate::cluster::appprojects::{self, ArgoSignal, ClusterProjects, ProjectsSignal, ProjectsWatch};
use crate::cluster::watch::{self, WatchSignal, Watches};
use crate::cluster::{ClusterError, ConnectOptions, Connection, ops};
use crate::domain::windows::workload::{ArgoApp, Unreadable};
use crate::model::{Command, ConnState, EngineEvent, MessageLevel, Scope, UserMessage};
use health::Health;
use windows_feed::WindowsFeed;

/// At most one snapshot per this interval; bursts in between are coalesced.
pub const COALESCE: Duration = Duration::from_millis(50);

/// What the engine needs besides the connection.
#[derive(Debug, Clone, Default)]
pub struct EngineOptions {
    /// Windows and freezes from files (AppProject manifests, cabin's windows and freezes
    /// files); every `EngineEvent::Windows` is this feed merged with the cluster's AppProjects.
    pub file_windows: WindowsFeed,
    /// The journal to feed to the UI (read, verified, tailed); None: no journal feed.
    pub journal: Option<PathBuf>,
    /// Decides read-only for each context switched to; None: a switch keeps the current
    /// connection's setting.
    pub read_only: Option<crate::config::ReadOnlyPolicy>,
    /// Change request directories (runs from the cockpit).
    pub changes: Vec<PathBuf>,
    /// The approval policy (config `approval:`).
    pub approval: crate::domain::change::ApprovalPolicy,
    /// The change requests to load, watch and preflight (`EngineEvent::Changes`); None: no feed.
    pub change_feed: Option<changes_feed::ChangesOptions>,
}

/// Starts the engine on `conn` for `scope` with default options (no file windows, no
/// journal). Send `Command::Shutdown` (or drop the sender) to stop it.
pub fn spawn(conn: Connection, scope: Scope) -> (mpsc::Sender<Command>, mpsc::Receiver<EngineEvent>) {
    spawn_with(conn, scope, EngineOptions::default())
}

/// Starts the engine on `conn` for `scope` with `opts`.
pub fn spawn_with(conn: Connection, scope: Scope, opts: EngineOptions) -> (mpsc::Sender<Command>, mpsc::Receiver<EngineEvent>) {
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (ev_tx, ev_rx) = mpsc::channel(256);
    if let Some(path) = &opts.journal {
        journal_feed::spawn(path.clone(), ev_tx.clone());
    }
    let changes_conn = opts.change_feed.clone().map(|c| {
        let (tx, rx) = tokio::sync::watch::channel(conn.clone());
        changes_feed::spawn(rx, c, ev_tx.clone());
        tx
    });
    let mut engine = Engine::new(conn, scope, ev_tx, opts);
    engine.changes_conn = changes_conn;
    tokio::spawn(engine.run(cmd_rx));
    (cmd_tx, ev_rx)
}

struct Engine {
    conn: Connection,
    scope: Scope,
    events: mpsc::Sender<EngineEvent>,
    signals: mpsc::Receiver<WatchSignal>,
    watches: Watches,
    health: Health,
    reported: ConnState,
    dirty: bool,
    last_emit: Option<Instant>,
    /// Results of context switches, connected off the loop so snapshots keep flowing.
    switched_tx: mpsc::Sender<Result<Connection, EngineEvent>>,
    switched: mpsc::Receiver<Result<Connection, EngineEvent>>,
    windows: WindowsState,
    /// Where context switches are journalled.
    journal: Option<PathBuf>,
    read_only: Option<crate::config::ReadOnlyPolicy>,
    runs: run_task::RunSources,
    /// The live run's operator channel.
    run: Option<mpsc::Sender<run::Operator>>,
    run_started: mpsc::Receiver<mpsc::Sender<run::Operator>>,
    run_started_tx: mpsc::Sender<mpsc::Sender<run::Operator>>,
    /// The change feed follows context switches through this.
    changes_conn: Option<tokio::sync::watch::Sender<Connection>>,
    /// YAML and log answers, tagged with the generation of the connection they were asked on;
    /// the loop forwards only the current generation's, so nothing fetched from the previous
    /// context reaches the UI after it heard of the switch.
    answers_tx: mpsc::Sender<(u64, EngineEvent)>,
    answers: mpsc::Receiver<(u64, EngineEvent)>,
    /// Bumped on every context switch.
    generation: u64,
}

/// The AppProject and Application watches and what the UI last needs to hear about windows.
struct WindowsState {
    file: WindowsFeed,
    cluster: ClusterProjects,
    signals: mpsc::Receiver<ProjectsSignal>,
    _watch: ProjectsWatch,
    /// The Applications (None until the first complete list).
    apps: Option<Vec<ArgoApp>>,
    app_signals: mpsc::Receiver<ApplicationsSignal>,
    _app_watch: appprojects::ArgoWatch,
    /// Set once the AppProjects have been listed.
    listed: bool,
    dirty: bool,
    /// The last AppProject / Application watch attempt failed (the error; the user is warned
    /// once per failure streak).
    failing: Option<String>,
    apps_failing: Option<String>,
}

impl WindowsState {
    fn start(conn: &Connection, file: WindowsFeed) -> Self {
        let (tx, signals) = mpsc::channel(16);
        let watch = appprojects::watch(conn, tx);
        let (tx, app_signals) = mpsc::channel(16);
        let app_watch = applications::watch(conn, tx);
        WindowsState {
            file,
            cluster: ClusterProjects::default(),
            signals,
            _watch: watch,
            apps: None,
            app_signals,
            _app_watch: app_watch,
            listed: false,
            dirty: true,
            failing: None,
            apps_failing: None,
        }
    }

    /// The file feed merged with the cluster's AppProjects (those replace same-named ones) and
    /// Applications. What the cluster could not tell (a project that cannot be read, a watch
    /// that never listed) is a problem: the clock of what it may decide is UNKNOWN.
    fn merged(&self) -> WindowsFeed {
        let mut feed = self.file.clone();
        let mut cluster = WindowsFeed::from_projects(self.cluster.projects.iter().cloned());
        cluster.errors.extend(self.cluster.errors.iter().cloned());
        for name in &self.cluster.unreadable {
            cluster.problems.push(crate::domain::windows::workload::Problem {
                scope: Unreadable::Project(name.clone()),
                text: format!("AppProject {name}: spec.syncWindows cannot be read"),
            });
        }
        if let (false, Some(e)) = (self.listed, &self.failing) {
            cluster.problem(Unreadable::SomeProject, format!("cannot watch Argo CD AppProjects: {e}"));
        }
        match (&self.apps, &self.apps_failing) {
            (Some(apps), _) => cluster.applications.extend(apps.iter().cloned()),
            (None, Some(e)) => cluster.problem(Unreadable::Applications, format!("cannot watch Argo CD Applications: {e}")),
            (None, None) => {}
        }
        feed.merge(cluster);
        feed
    }
}

fn message(level: MessageLevel, text: String, hint: Option<&str>) -> EngineEvent {
    EngineEvent::Message(UserMessage { level, text, hint: hint.map(str::to_string) })
}

impl Engine {
    fn new(conn: Connection, scope: Scope, events: mpsc::Sender<EngineEvent>, opts: EngineOptions) -> Self {
        let (sig_tx, signals) = mpsc::channel(512);
        let watches = watch::start(&conn, &scope, sig_tx);
        let (switched_tx, switched) = mpsc::channel(4);
        let windows = WindowsState::start(&conn, opts.file_windows);
        let (run_started_tx, run_started) = mpsc::channel(2);
        let (answers_tx, answers) = mpsc::channel(16);
        Engine {
            conn,
            scope,
            events,
            signals,
            watches,
            health: Health::default(),
            reported: ConnState::Connecting,
            dirty: true,
            last_emit: None,
            switched_tx,
            switched,
            windows,
            runs: run_task::RunSources { changes: opts.changes, journal: opts.journal.clone(), approval: opts.approval.clone() },
            journal: opts.journal,
            read_only: opts.read_only,
            run: None,
            run_started,
            run_started_tx,
            changes_conn: None,
            answers_tx,
            answers,
            generation: 0,
        }
    }

    /// Replaces the watches (new scope or new connection); the old ones stop on drop.
    fn restart_watches(&mut self) {
        let (sig_tx, signals) = mpsc::channel(512);
        self.watches = watch::start(&self.conn, &self.scope, sig_tx);
        self.signals = signals;
        self.health = Health::default();
        self.dirty = true;
    }

    async fn send(&self, ev: EngineEvent) -> bool {
        self.events.send(ev).await.is_ok()
    }

    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        if !self.send(EngineEvent::Context(self.conn.info().clone())).await
            || !self.send(EngineEvent::Connection(ConnState::Connecting)).await
        {
            return;
        }
        loop {
            let due = self.last_emit.map_or_else(Instant::now, |t| t + COALESCE);
            tokio::select! {
                cmd = commands.recv() => match cmd {
                    None | Some(Command::Shutdown) => return,
                    Some(cmd) => self.command(cmd).await,
                },
                Some(sig) = self.signals.recv() => self.signal(sig).await,
                Some(result) = self.switched.recv() => self.switched(result).await,
                Some(op) = self.run_started.recv() => self.run = Some(op),
                Some((generation, answer)) = self.answers.recv() => {
                    if generation == self.generation && !self.send(answer).await {
                        return;
                    }
                }
                Some(sig) = self.windows.signals.recv() => self.projects_signal(sig).await,
                Some(sig) = self.windows.app_signals.recv() => self.applications_signal(sig).await,
                () = tokio::time::sleep_until(due), if self.dirty || self.windows.dirty => {
                    if !self.emit().await {
                        return;
                    }
                }
            }
            if self.events.is_closed() {
                return;
            }
        }
    }

    async fn signal(&mut self, sig: WatchSignal) {
        match sig {
            WatchSignal::Changed { kind, initial_done } => self.health.changed(kind, initial_done),
            WatchSignal::Failed { kind, error } => {
                tracing::warn!(kind, %error, "watch failed");
                if self.health.failed(kind, &error) {
                    let text = format!("cannot watch {kind}: {error}");
                    self.send(message(MessageLevel::Warn, text, None)).await;
                }
            }
        }
        self.dirty = true;
    }

    async fn projects_signal(&mut self, sig: ProjectsSignal) {
        match sig {
            ArgoSignal::Changed(projects) => {
                self.windows.failing = None;
                self.windows.dirty |= !std::mem::replace(&mut self.windows.listed, true);
                if projects != self.windows.cluster {
                    self.windows.cluster = projects;
                    self.windows.dirty = true;
                }
            }
            ArgoSignal::Failed(error) => {
                tracing::warn!(%error, "AppProject watch failed");
                if self.windows.failing.replace(error.to_string()).is_none() {
                    self.windows.dirty = true;
                    let text = format!("cannot watch Argo CD AppProjects (sync windows): {error}");
                    self.send(message(MessageLevel::Warn, text, None)).await;
                }
            }
        }
    }

    async fn applications_signal(&mut self, sig: ApplicationsSignal) {
        match sig {
            ArgoSignal::Changed(apps) => {
                self.windows.apps_failing = None;
                if self.windows.apps.as_ref() != Some(&apps) {
                    self.windows.apps = Some(apps);
                    self.windows.dirty = true;
                }
            }
            ArgoSignal::Failed(error) => {
                tracing::warn!(%error, "Application watch failed");
                if self.windows.apps_failing.replace(error.to_string()).is_none() {
                    self.windows.dirty = true;
                    let text = format!("cannot watch Argo CD Applications (sync windows): {error}");
                    self.send(message(MessageLevel::Warn, text, None)).await;
                }
            }
        }
    }

    /// Sends the merged windows feed when it changed, then (when the stores changed) the
    /// connection state when it changed and one snapshot of all stores.
    async fn emit(&mut self) -> bool {
        self.last_emit = Some(Instant::now());
        if std::mem::take(&mut self.windows.dirty) && !self.send(EngineEvent::Windows(Box::new(self.windows.merged()))).await {
            return false;
        }
        if !std::mem::take(&mut self.dirty) {
            return true;
        }
        let state = self.health.state();
        if state != self.reported {
            self.reported = state.clone();
            if !self.send(EngineEvent::Connection(state)).await {
                return false;
            }
        }
        self.send(EngineEvent::Snapshot(Box::new(self.watches.snapshot()))).await
    }

    async fn command(&mut self, cmd: Command) {
        match cmd {
            Command::SetScope(scope) => {
                if scope != self.scope {
                    self.scope = scope;
                    self.restart_watches();
                }
            }
            Command::SwitchContext(name) => self.switch_context(name).await,
            Command::FetchYaml(key) => {
                let (conn, answers, generation) = (self.conn.clone(), self.answers_tx.clone(), self.generation);
                tokio::spawn(async move {
                    let ev = match ops::fetch_yaml(&conn, &key).await {
                        Ok(yaml) => EngineEvent::Yaml { key, yaml },
                        Err(e) => failure(&format!("cannot fetch {} {}/{}", key.kind, key.namespace, key.name), &e),
                    };
                    let _ = answers.send((generation, ev)).await;
                });
            }
            Command::FetchLogs { namespace, pod, container } => {
                let (conn, answers, generation) = (self.conn.clone(), self.answers_tx.clone(), self.generation);
                tokio::spawn(async move {
                    let ev = match ops::fetch_logs(&conn, &namespace, &pod, container.as_deref()).await {
                        Ok(text) => EngineEvent::Logs { namespace, pod, container, text },
                        Err(e) => failure(&format!("cannot fetch the logs of {namespace}/{pod}"), &e),
                    };
                    let _ = answers.send((generation, ev)).await;
                });
            }
            Command::PlanRun(id) => {
                tokio::spawn(run_task::plan(self.conn.clone(), self.runs.clone(), id, self.events.clone()));
            }
            Command::StartRun(id) => {
                if self.run.as_ref().is_some_and(|r| !r.is_closed()) {
                    self.send(message(MessageLevel::Warn, "a run is already live: finish it first".into(), None)).await;
                    return;
                }
                let (conn, sources, events, started) =
                    (self.conn.clone(), self.runs.clone(), self.events.clone(), self.run_started_tx.clone());
                tokio::spawn(async move {
                    if let Some(op) = run_task::start(conn, sources, id, events).await {
                        let _ = started.send(op).await;
                    }
                });
            }
            Command::PlanRollback(key) => {
                tokio::spawn(run_task::plan_rollback(self.runs.clone(), key, self.events.clone()));
            }
            Command::PlanChangeRollback(id) => {
                tokio::spawn(run_task::plan_change_rollback(self.runs.clone(), id, self.events.clone()));
            }
            Command::PlanRestore(id) => {
                tokio::spawn(run_task::plan_restore(self.runs.clone(), id, self.events.clone()));
            }
            Command::RollbackChange(_) | Command::RestoreBackup(_) if self.run.as_ref().is_some_and(|r| !r.is_closed()) => {
                let text = "a run is live in this cockpit: roll it back from its run screen (U) or let it end first";
                self.send(message(MessageLevel::Warn, text.into(), None)).await;
            }
            Command::RollbackChange(id) => {
                tokio::spawn(run_task::rollback(self.conn.clone(), self.runs.clone(), id, self.events.clone()));
            }
            Command::RestoreBackup(id) => {
                tokio::spawn(run_task::restore(self.conn.clone(), self.runs.clone(), id, self.events.clone()));
            }
            Command::RunControl(c) => match &self.run {
                Some(op) if op.send(run_task::operator(c)).await.is_ok() => {}
                _ => {
                    self.send(message(MessageLevel::Warn, "no live run to control".into(), None)).await;
                }
            },
            Command::Waive { change, check, reason } => {
                let what = format!("waiver of {check} for {change}");
                let ev = match waiver::journal_waiver(self.journal.clone(), self.conn.info().clone(), change, check, reason).await {
                    Ok(()) => {
                        // The change feed re-runs the preflight, which applies journalled waivers.
                        if let Some(tx) = &self.changes_conn {
                            let _ = tx.send(self.conn.clone());
                        }
                        message(MessageLevel::Info, format!("{what} journalled"), None)
                    }
                    Err(e) => message(MessageLevel::Error, format!("{what}: {e}"), None),
                };
                self.send(ev).await;
            }
            Command::Shutdown => {}
        }
    }

    /// Connects to another context of the same kubeconfig in the background; on failure the
    /// current connection stays.
    async fn switch_context(&mut self, name: String) {
        let mut opts = ConnectOptions { context: Some(name.clone()), ..self.conn.options().clone() };
        // The target context's own readOnly (flag, global or per-context config, fail closed).
        let decision = self.read_only.as_ref().map(|p| p.decide(&name));
        if let Some(d) = &decision {
            opts.read_only = d.read_only;
        }
        let reason = decision.and_then(|d| d.reason);
        let tx = self.switched_tx.clone();
        tokio::spawn(async move {
            let result = crate::cluster::connect(opts)
                .await
                .map(|c| c.with_read_only_reason(reason))
                .map_err(|e| failure(&format!("cannot switch to context {name:?}"), &e));
            let _ = tx.send(result).await;
        });
    }

    async fn switched(&mut self, result: Result<Connection, EngineEvent>) {
        match result {
            Ok(conn) => {
                let from = std::mem::replace(&mut self.conn, conn).info().context.clone();
                self.generation += 1;
                self.journal_switch(from);
                if let Some(tx) = &self.changes_conn {
                    let _ = tx.send(self.conn.clone());
                }
                self.reported = ConnState::Connecting;
                self.send(EngineEvent::Context(self.conn.info().clone())).await;
                self.send(EngineEvent::Connection(ConnState::Connecting)).await;
                self.restart_watches();
                let file = std::mem::take(&mut self.windows.file);
                self.windows = WindowsState::start(&self.conn, file);
            }
            Err(message) => {
                self.send(message).await;
            }
        }
    }
}

impl Engine {
    /// Journals the switch to the current connection's context in the background; a failure
    /// is a warning on screen.
    fn journal_switch(&self, from: String) {
        let Some(path) = self.journal.clone() else { return };
        let (info, scope, events) = (self.conn.info().clone(), self.scope.clone(), self.events.clone());
        tokio::spawn(async move {
            let context = info.context.clone();
            let written = tokio::task::spawn_blocking(move || session::journal_context_switch(&path, &info, &scope, &from)).await;
            let error = match written {
                Ok(Ok(_)) => return,
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
            };
            let text = format!("the switch to context {context:?} was not journalled: {error}");
            let _ = events.send(message(MessageLevel::Warn, text, None)).await;
        });
    }
}

fn failure(what: &str, e: &ClusterError) -> EngineEvent {
    let hint = match e {
        ClusterError::ReadOnly(_) => Some("cabin was started with --read-only"),
        ClusterError::Unauthorized { .. } => Some("refresh your credentials or check the context"),
        ClusterError::Forbidden { .. } => Some("ask for the RBAC permission or use another context"),
        _ => None,
    };
    message(MessageLevel::Error, format!("{what}: {e}"), hint)
}
