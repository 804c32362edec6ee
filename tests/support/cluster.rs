//! Shared helpers of the cluster_* integration tests: a simulator per test (port 0, HTTPS)
//! and waiting on engine state with deadlines.
#![allow(dead_code)]
use std::path::PathBuf;
use std::time::Duration;

use cabin::cluster::{ConnectOptions, Connection, connect};
use cabin::model::{ClusterSnapshot, ConnState, EngineEvent, Scope};
use cabin::sim::{SimHandle, SimOptions};
use tokio::sync::mpsc;

/// Every tag of this repository starts and then crashes in the simulator.
pub const CRASHING_IMAGE_REPO: &str = "ghcr.io/acme/crashy";

pub struct Sim {
    pub handle: SimHandle,
    pub kubeconfig: PathBuf,
    pub dir: tempfile::TempDir,
}

/// Starts the demo scenario with a fast kubelet.
pub async fn start_sim() -> Sim {
    let mut scenario = cabin::sim::scenario::load("demo").unwrap();
    scenario.behavior = cabin::sim::scenario::Behavior::fast(40);
    scenario.behavior.bad_images.push(CRASHING_IMAGE_REPO.to_string());
    start_sim_with(scenario).await
}

/// Starts the simulator with any scenario (e.g. `scenario::generate(n)` for scale).
pub async fn start_sim_with(scenario: cabin::sim::scenario::Scenario) -> Sim {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let opts =
        SimOptions { listen: "127.0.0.1:0".parse().unwrap(), scenario, request_log: None, kubeconfig_out: None, ..Default::default() };
    let handle = cabin::sim::start(opts).await.unwrap();
    std::fs::write(&kubeconfig, handle.kubeconfig_yaml()).unwrap();
    Sim { handle, kubeconfig, dir }
}

pub fn opts(sim: &Sim, context: Option<&str>, read_only: bool) -> ConnectOptions {
    ConnectOptions { kubeconfig: Some(sim.kubeconfig.clone()), context: context.map(str::to_string), read_only }
}

pub async fn conn(sim: &Sim, context: Option<&str>, read_only: bool) -> Connection {
    connect(opts(sim, context, read_only)).await.unwrap()
}

/// The engine's latest state, as the UI would hold it.
pub struct Ui {
    pub events: mpsc::Receiver<EngineEvent>,
    pub commands: mpsc::Sender<cabin::model::Command>,
    pub snapshot: ClusterSnapshot,
    pub conn: ConnState,
    pub seen: Vec<EngineEvent>,
}

impl Ui {
    pub fn start(conn: Connection, scope: Scope) -> Ui {
        let (commands, events) = cabin::engine::spawn(conn, scope);
        Ui { events, commands, snapshot: ClusterSnapshot::default(), conn: ConnState::Connecting, seen: Vec::new() }
    }

    /// Applies engine events until `done` holds or `secs` pass (then panics with the state).
    pub async fn wait(&mut self, secs: u64, what: &str, mut done: impl FnMut(&Ui) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while !done(self) {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(ev)) => self.apply(ev),
                Ok(None) => panic!("engine stopped while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}; conn {:?}; workloads {:#?}", self.conn, self.snapshot.workloads),
            }
        }
    }

    fn apply(&mut self, ev: EngineEvent) {
        match &ev {
            EngineEvent::Snapshot(s) => self.snapshot = (**s).clone(),
            EngineEvent::Connection(c) => self.conn = c.clone(),
            _ => {}
        }
        self.seen.push(ev);
    }

    pub fn workload(&self, ns: &str, name: &str) -> Option<&cabin::model::WorkloadView> {
        self.snapshot.workloads.iter().find(|w| w.namespace == ns && w.name == name).map(|w| &**w)
    }
}

/// `kubectl set image` through the journalled writer, with a throwaway journal.
pub async fn set_image(
    c: &Connection,
    ns: &str,
    name: &str,
    container: &str,
    image: &str,
) -> Result<cabin::cluster::write::Written, cabin::cluster::write::WriteError> {
    let dir = tempfile::tempdir().unwrap();
    let journal = cabin::journal::Journal::open(
        dir.path().join("journal.jsonl"),
        cabin::journal::JournalContext::local(),
        Box::new(cabin::journal::SystemClock),
    )
    .unwrap()
    .0;
    let writer = cabin::cluster::write::Writer::new(c.clone(), std::sync::Arc::new(journal));
    let step = cabin::cluster::write::WriteStep {
        change: None,
        step: "test".into(),
        kind: "rollout-step".into(),
        action: "set-image".into(),
        params: serde_json::json!({ "container": container, "image": image }),
    };
    cabin::cluster::mutate::set_image(&writer, &step, ns, name, container, image).await
}

/// A plain kube client on the simulator, without cabin's guard: "someone else" changing the
/// cluster under cabin (kubectl, a controller, a colleague).
pub async fn other_actor(sim: &Sim) -> kube::Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(&sim.kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.unwrap();
    kube::Client::try_from(config).unwrap()
}
