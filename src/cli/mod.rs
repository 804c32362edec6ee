//! Command-line entry point: parses arguments and dispatches to subcommands. Kept thin: each
//! subcommand lives in its own module and prints its own errors.
//!
//! The global flags (`--kubeconfig`, `--context`, `--read-only`, `--journal`, `--config`,
//! `--theme`, `--changes`) may stand before or after the subcommand. Each subcommand either
//! honours a global flag or refuses it with a clear error (exit 2): a flag is never dropped
//! silently (`cabin --context prod journal seal --to-cluster` must not write to another
//! context).
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

pub mod change;
pub mod change_run;
pub mod cockpit;
pub mod journal;
pub mod sim;
pub mod windows;

/// cabin — a terminal cockpit for Kubernetes change management.
///
/// Without a subcommand, opens the cockpit on the current kubeconfig context.
#[derive(Debug, Parser)]
#[command(name = "cabin", version, about, long_about = None)]
pub struct Cli {
    #[command(flatten)]
    pub global: Globals,
    #[command(flatten)]
    pub cockpit: cockpit::CockpitArgs,
    #[command(subcommand)]
    pub command: Option<Cmd>,
}

/// Flags every subcommand understands (or refuses by name).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Globals {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context (default: the current context).
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// Refuse every request that could change the cluster (enforced in the HTTP client).
    #[arg(long, global = true)]
    pub read_only: bool,
    /// Audit journal file [default: the config's `journal:`, then $XDG_DATA_HOME/cabin/journal.jsonl].
    #[arg(long, global = true, env = "CABIN_JOURNAL", value_name = "PATH")]
    pub journal: Option<PathBuf>,
    /// Config file (default: the XDG config dir's cabin/config.yaml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Theme name (dark, light, high-contrast) or path to a theme file.
    #[arg(long, global = true, value_name = "NAME")]
    pub theme: Option<String>,
    /// A directory of change requests (repeatable; also $CABIN_CHANGES, a path list, and the
    /// config's `changes:`).
    #[arg(long = "changes", global = true, value_name = "DIR")]
    pub changes: Vec<PathBuf>,
}

impl Globals {
    /// The settings these flags select (config file and theme).
    pub fn settings(&self) -> crate::config::Settings {
        crate::config::load(&crate::config::LoadOptions {
            config_path: self.config.clone(),
            theme: self.theme.clone(),
            config_dir: None,
            no_color: crate::config::no_color_from_env(),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Start the simulated cluster and open the cockpit on it (through kube-rs, like a real cluster).
    Demo(cockpit::DemoArgs),
    /// Run the simulated Kubernetes API server (real kubectl works against it).
    Sim(sim::SimArgs),
    /// Argo CD sync windows: check, validate, list.
    Windows(windows::WindowsArgs),
    /// The audit journal: verify, export, append, tail, seal.
    Journal(journal::JournalArgs),
    /// Change requests: validate, list, preflight, report, run, rollback, status, resume.
    Change(change::ChangeArgs),
    /// The agenda of pending changes for the change-advisory board.
    Cab(change::CabArgs),
}

/// The global flags' ids (clap's argument ids: field names).
const GLOBAL_IDS: [(&str, &str); 7] = [
    ("kubeconfig", "--kubeconfig"),
    ("context", "--context"),
    ("read_only", "--read-only"),
    ("journal", "--journal"),
    ("config", "--config"),
    ("theme", "--theme"),
    ("changes", "--changes"),
];

/// The cockpit's own flags, which only the cockpit (and `demo`) honours.
const COCKPIT_IDS: [(&str, &str); 3] = [("namespace", "--namespace"), ("all_namespaces", "--all-namespaces"), ("projects", "--project")];

/// Which global flags a subcommand honours, and why it refuses the others.
fn honoured(cmd: &Cmd) -> (&'static str, &'static [&'static str], &'static str) {
    match cmd {
        Cmd::Demo(_) => (
            "demo",
            &["read_only", "journal", "config", "theme", "changes", "namespace", "all_namespaces", "projects"],
            "the demo runs its own simulated cluster",
        ),
        Cmd::Sim(_) => ("sim", &[], "the simulator serves a cluster; use its contexts `sim`/`sim-viewer` from the kubeconfig it writes"),
        Cmd::Windows(w) => windows::honoured(w),
        Cmd::Journal(j) => journal::honoured(j),
        Cmd::Change(_) | Cmd::Cab(_) => ("change", &["kubeconfig", "context", "read_only", "journal", "config", "theme", "changes"], ""),
    }
}

/// Refuses a global flag given on the command line that `cmd` would not honour.
fn refuse_unhonoured(cmd: &Cmd, matches: &ArgMatches) -> Result<(), String> {
    let (name, allowed, why) = honoured(cmd);
    let sub = matches.subcommand().map(|(_, m)| m);
    for (id, flag) in GLOBAL_IDS.iter().chain(COCKPIT_IDS.iter()) {
        let given = |m: &ArgMatches| m.try_contains_id(id).unwrap_or(false) && m.value_source(id) == Some(ValueSource::CommandLine);
        let on_line = given(matches) || sub.is_some_and(given);
        if on_line && !allowed.contains(id) {
            return Err(format!("{flag} does not apply to `cabin {name}` ({why}); remove it"));
        }
    }
    Ok(())
}

pub fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => e.exit(),
    };
    if let Some(cmd) = &cli.command
        && let Err(msg) = refuse_unhonoured(cmd, &matches)
    {
        eprintln!("cabin: {msg}");
        return ExitCode::from(2);
    }
    let g = cli.global;
    match cli.command {
        Some(Cmd::Windows(args)) => windows::run(args, &g),
        Some(Cmd::Journal(args)) => journal::run(args, &g),
        Some(Cmd::Change(args)) => change::run(args, &g),
        Some(Cmd::Cab(args)) => change::cab(args, &g),
        Some(Cmd::Demo(args)) => block_on(cockpit::run_demo(args, cli.cockpit, g)),
        Some(Cmd::Sim(args)) => block_on(sim::run(args)),
        None => block_on(cockpit::run(cli.cockpit, g)),
    }
}

/// Runs a run command: `Err` prints the message and exits 1 (refused or failed).
pub(crate) fn block_on_result<F>(fut: F) -> Result<ExitCode, String>
where
    F: std::future::Future<Output = Result<ExitCode, change_run::Fail>>,
{
    Ok(block_on(async move {
        match fut.await {
            Ok(code) => code,
            Err(e) => {
                eprintln!("cabin change: {e}");
                ExitCode::from(1)
            }
        }
    }))
}

pub(crate) fn block_on<F: std::future::Future<Output = ExitCode>>(fut: F) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(fut),
        Err(e) => {
            eprintln!("cabin: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
