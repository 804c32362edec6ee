//! `cabin` (the cockpit on a kubeconfig context) and `cabin demo` (the cockpit on an
//! in-process simulator, through the same kube-rs path).
use std::path::PathBuf;
use std::process::ExitCode;

use super::Globals;

pub mod demo;
use crate::cluster::{self, ConnectOptions};
use crate::config::Settings;
use crate::engine::EngineOptions;
use crate::engine::changes_feed::{ChangeSource, ChangesOptions};
pub use crate::engine::session::journal_session_start;
use crate::engine::windows_feed::{self, WindowsFeed};
use crate::model::Scope;

/// The cockpit's own flags (top level; `demo` honours them too).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CockpitArgs {
    /// Only this namespace.
    #[arg(short = 'n', long, value_name = "NS", conflicts_with = "all_namespaces")]
    pub namespace: Option<String>,
    /// All namespaces (the default).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Argo CD AppProject manifest with sync windows (repeatable), besides the cluster's.
    #[arg(long = "project", value_name = "FILE")]
    pub projects: Vec<PathBuf>,
}

impl CockpitArgs {
    fn scope(&self) -> Scope {
        match &self.namespace {
            Some(ns) if !self.all_namespaces => Scope::Namespace(ns.clone()),
            _ => Scope::All,
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Scenario name (built in) or path to a scenario file.
    #[arg(long, value_name = "NAME", default_value = "demo")]
    pub scenario: String,
    /// Argo CD AppProject manifest with sync windows (repeatable), besides the cluster's.
    #[arg(long = "project", value_name = "FILE")]
    pub projects: Vec<PathBuf>,
}

pub async fn run(args: CockpitArgs, g: Globals) -> ExitCode {
    let mut settings = g.settings();
    let _log = start_logging(&mut settings);
    let context = match cluster::resolve_context(g.kubeconfig.as_ref(), g.context.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let decision = settings.config.read_only_decision(g.read_only, &context);
    let opts = ConnectOptions { kubeconfig: g.kubeconfig.clone(), context: Some(context), read_only: decision.read_only };
    let changes = change_source(&g, &settings);
    open(opts, decision.reason, args.scope(), &settings, &g, &args.projects, (changes, WindowsFeed::default())).await
}

/// The change directories the flags, `CABIN_CHANGES` and the config name (none: no feed).
fn change_source(g: &Globals, settings: &Settings) -> ChangeSource {
    let dirs = crate::engine::changes::change_dirs(&g.changes, std::env::var_os("CABIN_CHANGES"), &settings.config.changes);
    if dirs.is_empty() { ChangeSource::None } else { ChangeSource::Dirs(dirs) }
}

pub async fn run_demo(args: DemoArgs, cockpit: CockpitArgs, g: Globals) -> ExitCode {
    let mut settings = g.settings();
    let _log = start_logging(&mut settings);
    let mut scenario = match crate::sim::scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let start = chrono::Utc::now();
    demo::relay_windows(&mut scenario.objects, start);
    // A private directory (new, 0700, unguessable name) for the demo's kubeconfig, which holds
    // the operator token; removed when the demo ends.
    let dir = match crate::sim::kubeconfig::private_dir("cabin-demo") {
        Ok(d) => d,
        Err(e) => return fail(&format!("cannot create a private directory for the demo kubeconfig: {e}")),
    };
    let kubeconfig = dir.join("kubeconfig");
    let sim = crate::sim::SimOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        scenario,
        request_log: None,
        kubeconfig_out: Some(kubeconfig.clone()),
        ..Default::default()
    };
    let handle = match crate::sim::start(sim).await {
        Ok(h) => h,
        Err(e) => return fail(&format!("cannot start the simulated cluster: {e}")),
    };
    if let Err(e) = crate::sim::kubeconfig::write_atomic(&kubeconfig, &handle.kubeconfig_yaml()) {
        return fail(&format!("cannot write the demo kubeconfig {}: {e}", kubeconfig.display()));
    }
    let decision = settings.config.read_only_decision(g.read_only, "sim");
    let opts = ConnectOptions { kubeconfig: Some(kubeconfig), context: None, read_only: decision.read_only };
    let projects: Vec<PathBuf> = cockpit.projects.iter().chain(&args.projects).cloned().collect();
    // The demo's own change requests unless --changes (or CABIN_CHANGES, `changes:`) names
    // some: written from the binary into the demo's private directory, so the change feed
    // (which watches it: edit them during the demo) and `:run` read the same files.
    let mut g = g;
    let changes = match change_source(&g, &settings) {
        ChangeSource::None => match demo::write_changes(&dir.join("changes")) {
            Ok(path) => {
                g.changes = vec![path.clone()];
                ChangeSource::Dirs(vec![path])
            }
            Err(e) => {
                tracing::warn!("demo change requests not written ({e}): shown, but :run cannot find them");
                ChangeSource::Embedded(demo::changes())
            }
        },
        dirs => dirs,
    };
    let code = open(opts, decision.reason, cockpit.scope(), &settings, &g, &projects, (changes, demo::freeze(start))).await;
    handle.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    code
}

/// Logs go to a file (the terminal belongs to the TUI); a failure is a warning on screen.
fn start_logging(settings: &mut Settings) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = crate::config::logging::default_log_path()?;
    match crate::config::logging::init(&path, &settings.config.log_level) {
        Ok(guard) => Some(guard),
        Err(e) => {
            settings.warnings.push(format!("logging to {} is off: {e}", path.display()));
            None
        }
    }
}

/// Connects (printing a clear error before the terminal is touched), journals the session
/// start, starts the engine and hands the terminal to the TUI.
async fn open(
    opts: ConnectOptions,
    reason: Option<String>,
    scope: Scope,
    settings: &Settings,
    g: &Globals,
    projects: &[PathBuf],
    (changes, extra_windows): (ChangeSource, WindowsFeed),
) -> ExitCode {
    let read_only = opts.read_only;
    let conn = match cluster::connect(opts).await {
        Ok(c) => c.with_read_only_reason(reason),
        Err(e) => return fail(&e),
    };
    tracing::info!(context = %conn.info().context, url = %conn.info().cluster_url, read_only, "connected");
    let mut warnings = Vec::new();
    let journal = match crate::config::journal_path(g.journal.clone(), &settings.config) {
        Ok(path) => {
            let (p, info, s) = (path.clone(), conn.info().clone(), scope.clone());
            let written = tokio::task::spawn_blocking(move || journal_session_start(&p, &info, &s, read_only)).await;
            match written {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => warnings.push(format!("the session start was not journalled: {e}")),
                Err(e) => warnings.push(format!("the session start was not journalled: {e}")),
            }
            Some(path)
        }
        Err(e) => {
            warnings.push(format!("no audit journal: {e}"));
            None
        }
    };
    let mut feed = load_windows(projects, &mut warnings);
    feed.merge(extra_windows);
    if let Some(why) = &conn.info().read_only_reason {
        tracing::info!("read-only: {why}");
    }
    let policy = crate::config::ReadOnlyPolicy { flag: g.read_only, config: settings.config.clone() };
    let run_dirs = crate::engine::changes::change_dirs(&g.changes, std::env::var_os("CABIN_CHANGES"), &settings.config.changes);
    let change_feed = ChangesOptions {
        source: changes,
        journal: journal.clone(),
        file_windows: feed.clone(),
        approval: settings.config.approval.clone(),
    };
    let engine = EngineOptions {
        file_windows: feed.clone(),
        journal,
        read_only: Some(policy),
        changes: run_dirs,
        change_feed: Some(change_feed),
        approval: settings.config.approval.clone(),
    };
    let (commands, events) = crate::engine::spawn_with(conn, scope.clone(), engine);
    let mut tui = crate::tui::TuiOptions::from_settings(settings, read_only, scope).with_windows_feed(feed);
    tui.config_warnings.extend(warnings);
    match crate::tui::run(tui, events, commands).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e),
    }
}

/// AppProject files plus cabin's windows and freezes files (XDG defaults); problems become
/// warnings on screen (the feed's `errors` also show on the calendar).
fn load_windows(projects: &[PathBuf], warnings: &mut Vec<String>) -> WindowsFeed {
    let feed = windows_feed::load_with_defaults(projects, None, None);
    warnings.extend(feed.errors.iter().map(|e| format!("sync windows: {e}")));
    feed
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    tracing::error!("{e}");
    eprintln!("cabin: {e}");
    ExitCode::FAILURE
}
