//! `cabin` (the cockpit on a kubeconfig context) and `cabin demo` (the cockpit on an
//! in-process simulator, through the same kube-rs path).
use std::path::PathBuf;
use std::process::ExitCode;

use crate::cluster::{self, ConnectOptions};
use crate::config::{LoadOptions, Settings};
use crate::engine::EngineOptions;
pub use crate::engine::session::journal_session_start;
use crate::engine::windows_feed::{self, WindowsFeed};
use crate::model::Scope;

#[derive(Debug, Clone, Default, clap::Args)]
pub struct CockpitArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// Only this namespace.
    #[arg(short = 'n', long, value_name = "NS", conflicts_with = "all_namespaces")]
    pub namespace: Option<String>,
    /// All namespaces (the default).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Refuse every request that could change the cluster (enforced in the HTTP client).
    #[arg(long)]
    pub read_only: bool,
    /// Theme name (dark, light, high-contrast) or path to a theme file.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    /// Config file (default: the XDG config dir's cabin/config.yaml).
    #[arg(long, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub local: LocalArgs,
}

/// Local files the cockpit uses (shared by `cabin` and `cabin demo`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct LocalArgs {
    /// Audit journal file [default: $XDG_DATA_HOME/cabin/journal.jsonl].
    #[arg(long, env = "CABIN_JOURNAL", value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Argo CD AppProject manifest with sync windows (repeatable), besides the cluster's.
    #[arg(long = "project", value_name = "FILE")]
    pub projects: Vec<PathBuf>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// Scenario name (built in) or path to a scenario file.
    #[arg(long, value_name = "NAME", default_value = "demo")]
    pub scenario: String,
    /// Refuse every request that could change the cluster (enforced in the HTTP client).
    #[arg(long)]
    pub read_only: bool,
    /// Theme name (dark, light, high-contrast) or path to a theme file.
    #[arg(long, value_name = "NAME")]
    pub theme: Option<String>,
    #[command(flatten)]
    pub local: LocalArgs,
}

pub async fn run(args: CockpitArgs) -> ExitCode {
    let mut settings = load_settings(args.config.clone(), args.theme.clone());
    let _log = start_logging(&mut settings);
    let context = match cluster::resolve_context(args.kubeconfig.as_ref(), args.context.as_deref()) {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let read_only = args.read_only || settings.config.read_only_for(&context);
    let opts = ConnectOptions { kubeconfig: args.kubeconfig, context: Some(context), read_only };
    let scope = match args.namespace {
        Some(ns) if !args.all_namespaces => Scope::Namespace(ns),
        _ => Scope::All,
    };
    open(opts, scope, &settings, &args.local).await
}

pub async fn run_demo(args: DemoArgs) -> ExitCode {
    let mut settings = load_settings(None, args.theme.clone());
    let _log = start_logging(&mut settings);
    let scenario = match crate::sim::scenario::load(&args.scenario) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    // A private directory for the demo's kubeconfig, removed when the demo ends.
    let dir = std::env::temp_dir().join(format!("cabin-demo-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        return fail(&format!("cannot create {} for the demo kubeconfig: {e}", dir.display()));
    }
    let kubeconfig = dir.join("kubeconfig");
    let sim = crate::sim::SimOptions {
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        scenario,
        request_log: None,
        kubeconfig_out: Some(kubeconfig.clone()),
    };
    let handle = match crate::sim::start(sim).await {
        Ok(h) => h,
        Err(e) => return fail(&format!("cannot start the simulated cluster: {e}")),
    };
    if let Err(e) = std::fs::write(&kubeconfig, handle.kubeconfig_yaml()) {
        return fail(&format!("cannot write the demo kubeconfig {}: {e}", kubeconfig.display()));
    }
    let read_only = args.read_only || settings.config.read_only_for("sim");
    let opts = ConnectOptions { kubeconfig: Some(kubeconfig), context: None, read_only };
    let code = open(opts, Scope::All, &settings, &args.local).await;
    handle.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    code
}

fn load_settings(config_path: Option<PathBuf>, theme: Option<String>) -> Settings {
    let opts = LoadOptions { config_path, theme, config_dir: None, no_color: crate::config::no_color_from_env() };
    crate::config::load(&opts)
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
async fn open(opts: ConnectOptions, scope: Scope, settings: &Settings, local: &LocalArgs) -> ExitCode {
    let read_only = opts.read_only;
    let conn = match cluster::connect(opts).await {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    tracing::info!(context = %conn.info().context, url = %conn.info().cluster_url, read_only, "connected");
    let mut warnings = Vec::new();
    let journal = match crate::config::journal_path(local.journal.clone(), &settings.config) {
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
    let feed = load_windows(&local.projects, &mut warnings);
    let engine = EngineOptions { file_windows: feed.clone(), journal };
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
