//! `cabin sim`: run the simulated Kubernetes API server until SIGINT/SIGTERM.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::sim::faults::FaultPlan;
use crate::sim::{self, SimOptions, scenario};

#[derive(Debug, clap::Args)]
pub struct SimArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Where to write the kubeconfig (CA, URL, users operator, deployer and viewer; contexts
    /// sim, sim-deployer and sim-viewer).
    #[arg(long)]
    pub kubeconfig_out: Option<PathBuf>,
    /// Built-in scenario name (e.g. demo) or a scenario file.
    #[arg(long, default_value = "demo")]
    pub scenario: String,
    /// Generate a cluster of about N pods instead of a scenario.
    #[arg(long)]
    pub pods: Option<usize>,
    /// Append one JSON line per request to this file.
    #[arg(long)]
    pub request_log: Option<PathBuf>,
    /// Seeded fault injection, e.g. `seed=7,error=0.1,throttle=0.05,latency=0.1,latency-ms=300,
    /// drop-watch=0.2,reset=0.02,after=5s,exempt=discovery/selfsubjectreviews`; replaces the
    /// scenario's `faults:` section.
    #[arg(long, value_name = "SPEC", value_parser = parse_faults)]
    pub faults: Option<FaultPlan>,
}

fn parse_faults(spec: &str) -> Result<FaultPlan, String> {
    FaultPlan::parse(spec)
}

pub async fn run(args: SimArgs) -> ExitCode {
    let scenario = match args.pods {
        Some(n) => scenario::generate(n),
        None => match scenario::load(&args.scenario) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("cabin sim: {e}");
                return ExitCode::FAILURE;
            }
        },
    };
    let opts = SimOptions {
        listen: args.listen,
        scenario,
        request_log: args.request_log,
        kubeconfig_out: args.kubeconfig_out,
        faults: args.faults,
        on_request: None,
    };
    let handle = match sim::start(opts).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cabin sim: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("cabin sim listening on {}", handle.url());
    wait_for_signal().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cabin sim: cannot listen for SIGTERM ({e}); stop with Ctrl-C");
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
