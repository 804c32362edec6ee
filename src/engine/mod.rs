//! The engine owns the cluster tasks: it turns watch notices into coalesced snapshots for the
//! UI, answers the UI's commands, and reports only through `EngineEvent` messages, so the UI
//! never waits on the network.
mod health;
pub mod journal_feed;
pub mod windows_feed;

use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::cluster::watch::{self, WatchSignal, Watches};
use crate::cluster::{ClusterError, ConnectOptions, Connection, ops};
use crate::model::{Command, ConnState, EngineEvent, MessageLevel, Scope, UserMessage};
use health::Health;

/// At most one snapshot per this interval; bursts in between are coalesced.
pub const COALESCE: Duration = Duration::from_millis(50);

/// Starts the engine on `conn` for `scope`. Send `Command::Shutdown` (or drop the sender)
/// to stop it.
pub fn spawn(conn: Connection, scope: Scope) -> (mpsc::Sender<Command>, mpsc::Receiver<EngineEvent>) {
    let (cmd_tx, cmd_rx) = mpsc::channel(64);
    let (ev_tx, ev_rx) = mpsc::channel(256);
    tokio::spawn(Engine::new(conn, scope, ev_tx).run(cmd_rx));
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
}

fn message(level: MessageLevel, text: String, hint: Option<&str>) -> EngineEvent {
    EngineEvent::Message(UserMessage { level, text, hint: hint.map(str::to_string) })
}

impl Engine {
    fn new(conn: Connection, scope: Scope, events: mpsc::Sender<EngineEvent>) -> Self {
        let (sig_tx, signals) = mpsc::channel(512);
        let watches = watch::start(&conn, &scope, sig_tx);
        let (switched_tx, switched) = mpsc::channel(4);
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
                () = tokio::time::sleep_until(due), if self.dirty => {
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

    /// Sends the connection state when it changed, then one snapshot of all stores.
    async fn emit(&mut self) -> bool {
        self.dirty = false;
        self.last_emit = Some(Instant::now());
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
                let (conn, events) = (self.conn.clone(), self.events.clone());
                tokio::spawn(async move {
                    let ev = match ops::fetch_yaml(&conn, &key).await {
                        Ok(yaml) => EngineEvent::Yaml { key, yaml },
                        Err(e) => failure(&format!("cannot fetch {} {}/{}", key.kind, key.namespace, key.name), &e),
                    };
                    let _ = events.send(ev).await;
                });
            }
            Command::FetchLogs { namespace, pod, container } => {
                let (conn, events) = (self.conn.clone(), self.events.clone());
                tokio::spawn(async move {
                    let ev = match ops::fetch_logs(&conn, &namespace, &pod, container.as_deref()).await {
                        Ok(text) => EngineEvent::Logs { namespace, pod, container, text },
                        Err(e) => failure(&format!("cannot fetch the logs of {namespace}/{pod}"), &e),
                    };
                    let _ = events.send(ev).await;
                });
            }
            Command::Shutdown => {}
        }
    }

    /// Connects to another context of the same kubeconfig in the background; on failure the
    /// current connection stays.
    async fn switch_context(&mut self, name: String) {
        let opts = ConnectOptions { context: Some(name.clone()), ..self.conn.options().clone() };
        let tx = self.switched_tx.clone();
        tokio::spawn(async move {
            let result = crate::cluster::connect(opts)
                .await
                .map_err(|e| failure(&format!("cannot switch to context {name:?}"), &e));
            let _ = tx.send(result).await;
        });
    }

    async fn switched(&mut self, result: Result<Connection, EngineEvent>) {
        match result {
            Ok(conn) => {
                self.conn = conn;
                self.reported = ConnState::Connecting;
                self.send(EngineEvent::Context(self.conn.info().clone())).await;
                self.send(EngineEvent::Connection(ConnState::Connecting)).await;
                self.restart_watches();
            }
            Err(message) => {
                self.send(message).await;
            }
        }
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
