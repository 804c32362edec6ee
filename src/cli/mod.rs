//! Command-line entry point: parses arguments and dispatches to subcommands. Kept thin: each
//! subcommand lives in its own module and prints its own errors.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    pub cockpit: cockpit::CockpitArgs,
    #[command(subcommand)]
    pub command: Option<Cmd>,
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
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Some(Cmd::Windows(args)) => windows::run(args),
        Some(Cmd::Journal(args)) => journal::run(args),
        Some(Cmd::Demo(args)) => block_on(cockpit::run_demo(args)),
        Some(Cmd::Sim(args)) => block_on(sim::run(args)),
        None => block_on(cockpit::run(cli.cockpit)),
    }
}

fn block_on<F: std::future::Future<Output = ExitCode>>(fut: F) -> ExitCode {
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt.block_on(fut),
        Err(e) => {
            eprintln!("cabin: cannot start the async runtime: {e}");
            ExitCode::FAILURE
        }
    }
}
