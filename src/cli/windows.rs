//! `cabin windows check|validate|list`: Argo CD sync windows from an AppProject file.

use crate::cluster::ConnectOptions;
use crate::domain::windows::agenda::{ProjectWindows, render_agenda};
use crate::domain::windows::{AppTarget, WindowProject, check, parse_project, validate_windows};
use chrono::{DateTime, Utc};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `cabin windows …`
#[derive(Debug, Args)]
pub struct WindowsArgs {
    #[command(subcommand)]
    pub command: WindowsCommand,
}

#[derive(Debug, Subcommand)]
pub enum WindowsCommand {
    /// Evaluate the sync windows of an AppProject exactly as Argo CD does.
    Check(CheckArgs),
    /// Validate the sync windows of an AppProject with Argo CD's messages.
    Validate(ValidateArgs),
    /// Show the agenda of allow/deny windows for the next days.
    List(ListArgs),
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Argo CD AppProject manifest (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub project: PathBuf,
    /// Application name (metadata.name).
    #[arg(long)]
    pub app: Option<String>,
    /// Destination namespace.
    #[arg(long = "dest-namespace")]
    pub dest_namespace: Option<String>,
    /// Destination server URL.
    #[arg(long = "dest-server")]
    pub dest_server: Option<String>,
    /// Destination cluster name (wins over --dest-server for cluster patterns).
    #[arg(long = "dest-name")]
    pub dest_name: Option<String>,
    /// Evaluation instant (RFC 3339); defaults to now.
    #[arg(long)]
    pub at: Option<String>,
    /// Start of the running sync operation (RFC 3339), for syncOverrun.
    #[arg(long = "operation-start")]
    pub operation_start: Option<String>,
    /// Print JSON (the only output format).
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Argo CD AppProject manifest (YAML or JSON).
    #[arg(long, value_name = "FILE")]
    pub project: PathBuf,
}

/// `windows list --days` at most (ten years): keeps the agenda's date arithmetic in range.
pub const MAX_LIST_DAYS: i64 = 3660;

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Argo CD AppProject manifest (YAML or JSON).
    #[arg(long, value_name = "FILE", conflicts_with = "from_cluster")]
    pub project: Option<PathBuf>,
    /// Read the AppProjects from the current cluster (argoproj.io/v1alpha1).
    #[arg(long = "from-cluster")]
    pub from_cluster: bool,
    /// Number of days to show (1 to 3660).
    #[arg(long, default_value_t = 14, value_parser = clap::value_parser!(u32).range(1..=MAX_LIST_DAYS))]
    pub days: u32,
}

/// Which global flags `cabin windows …` honours: the cluster flags with `list --from-cluster`
/// (always read-only, so `--read-only` is honoured trivially).
pub fn honoured(args: &WindowsArgs) -> (&'static str, &'static [&'static str], &'static str) {
    match &args.command {
        WindowsCommand::List(l) if l.from_cluster => ("windows", &["kubeconfig", "context", "read_only", "config"], ""),
        _ => ("windows", &["read_only", "config"], "only `windows list --from-cluster` talks to a cluster"),
    }
}

/// Entry point: prints its own errors and returns the exit code.
pub fn run(args: WindowsArgs, g: &super::Globals) -> ExitCode {
    let result = match args.command {
        WindowsCommand::Check(a) => run_check(&a),
        WindowsCommand::Validate(a) => run_validate(&a),
        WindowsCommand::List(a) => run_list(&a, g),
    };
    match result {
        Ok(code) => code,
        Err(msg) => {
            eprintln!("cabin windows: {msg}");
            ExitCode::from(2)
        }
    }
}

fn load(path: &Path) -> Result<WindowProject, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read project file {}: {e}; pass an Argo CD AppProject manifest", path.display()))?;
    parse_project(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn instant(flag: &str, value: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|e| format!("--{flag} '{v}' is not an RFC 3339 instant ({e}); e.g. 2024-07-15T12:30:00Z"))
        })
        .transpose()
}

fn run_check(a: &CheckArgs) -> Result<ExitCode, String> {
    let project = load(&a.project)?;
    let at = instant("at", a.at.as_deref())?.unwrap_or_else(Utc::now);
    let op_start = instant("operation-start", a.operation_start.as_deref())?;
    let any_target = a.app.is_some() || a.dest_namespace.is_some() || a.dest_server.is_some() || a.dest_name.is_some();
    let target = any_target.then(|| AppTarget {
        name: a.app.clone().unwrap_or_default(),
        namespace: a.dest_namespace.clone().unwrap_or_default(),
        server: a.dest_server.clone().unwrap_or_default(),
        dest_name: a.dest_name.clone().unwrap_or_default(),
    });
    let report = check(&project.windows, target.as_ref(), at, op_start);
    let json = serde_json::to_string(&report).map_err(|e| format!("cannot encode report: {e}"))?;
    println!("{json}");
    Ok(ExitCode::SUCCESS)
}

fn run_validate(a: &ValidateArgs) -> Result<ExitCode, String> {
    let project = load(&a.project)?;
    match validate_windows(&project.windows) {
        Ok(()) => {
            println!("valid");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("{e}");
            Ok(ExitCode::from(1))
        }
    }
}

fn run_list(a: &ListArgs, g: &super::Globals) -> Result<ExitCode, String> {
    if a.from_cluster {
        return list_from_cluster(a, g);
    }
    let Some(path) = &a.project else {
        return Err("pass --project FILE (an Argo CD AppProject manifest)".into());
    };
    let project = load(path)?;
    let projects = [ProjectWindows { project: project.name, windows: project.windows, own: false }];
    print!("{}", render_agenda(&projects, Utc::now(), a.days));
    Ok(ExitCode::SUCCESS)
}

/// `windows list --from-cluster`: the AppProjects of all namespaces, read through a read-only
/// connection. Projects whose windows cannot be read are named on stderr; the rest is listed.
fn list_from_cluster(a: &ListArgs, g: &super::Globals) -> Result<ExitCode, String> {
    let opts = ConnectOptions { kubeconfig: g.kubeconfig.clone(), context: g.context.clone(), read_only: true };
    let runtime =
        tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let listed = runtime.block_on(async {
        let conn = crate::cluster::connect(opts).await?;
        crate::cluster::appprojects::list(&conn).await
    });
    let found = listed.map_err(|e| format!("cannot read the AppProjects from the cluster: {e}"))?;
    for e in &found.errors {
        eprintln!("cabin windows: {e}");
    }
    if found.projects.is_empty() && found.errors.is_empty() {
        eprintln!("cabin windows: no Argo CD AppProjects in the cluster (is Argo CD installed?)");
    }
    let projects: Vec<ProjectWindows> =
        found.projects.into_iter().map(|(project, windows)| ProjectWindows { project, windows, own: false }).collect();
    print!("{}", render_agenda(&projects, Utc::now(), a.days));
    Ok(ExitCode::SUCCESS)
}
