//! The simulated cluster: an in-memory store served over HTTPS as the Kubernetes API, with
//! controllers that behave like the real ones. Clients reach it only through HTTPS.
//!
//! Users (bearer tokens in the written kubeconfig; rules in `server::authz`, read by both
//! enforcement and SelfSubjectAccessReview): `operator` (context `sim`, may do everything),
//! `deployer` (context `sim-deployer`: reads everything, patches/updates Deployments and
//! StatefulSets, creates/updates/gets Leases, may not create Velero backups or restores) and
//! `viewer` (context `sim-viewer`, read only). Admission (`admission`) applies LimitRange
//! defaults and ResourceQuota to every create, the API's and the controllers' alike. Fault
//! injection: `faults`; a test hook on every request: `SimOptions::on_request`.
pub mod admission;
pub mod controllers;
pub mod faults;
pub mod kubeconfig;
pub mod patch;
pub mod scenario;
pub mod server;
pub mod store;
pub mod store_api;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

pub use server::reqlog::RequestRecord;
use store::MemStore;
use store_api::SimStore;

/// How to start a simulator. Construct with `..SimOptions::default()` so new fields do not
/// break callers.
pub struct SimOptions {
    pub listen: SocketAddr,
    pub scenario: scenario::Scenario,
    pub request_log: Option<PathBuf>,
    pub kubeconfig_out: Option<PathBuf>,
    /// Seeded fault injection; overrides the scenario's `faults:` section when set.
    pub faults: Option<faults::FaultPlan>,
    /// Called when a request arrives (after authentication, before anything else).
    pub on_request: Option<RequestHook>,
}

impl Default for SimOptions {
    /// 127.0.0.1:0, an empty scenario, no request log, no kubeconfig file, no faults, no hook.
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: scenario::Scenario::default(),
            request_log: None,
            kubeconfig_out: None,
            faults: None,
            on_request: None,
        }
    }
}

/// What the request hook sees: the request as it arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestSummary {
    pub method: String,
    pub path: String,
    /// The raw query string (without `?`), possibly empty.
    pub query: String,
    /// The authenticated user (`operator`, `deployer`, `viewer`), `None` if the token is bad.
    pub user: Option<String>,
    /// Header names in lower case, in arrival order.
    pub headers: Vec<(String, String)>,
}

/// A test's request hook; runs on the server's task, so it must be quick.
pub type RequestHook = Arc<dyn Fn(&RequestSummary) + Send + Sync>;

/// Faults injected for resilience tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Every request is answered with this HTTP code and a matching Status.
    Status(u16),
    /// Close every open watch now (new watches still work).
    DropWatches,
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}; pick another address or port 0")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error(transparent)]
    Tls(#[from] server::tls::TlsError),
    #[error("cannot open the request log {path}: {source}")]
    RequestLog { path: PathBuf, source: std::io::Error },
    #[error("cannot write the kubeconfig {path}: {source}")]
    Kubeconfig { path: PathBuf, source: std::io::Error },
    #[error("cannot start the controllers' thread: {0}")]
    Controllers(std::io::Error),
    #[error("scenario object {index} ({what}) cannot be stored: {source}")]
    Seed { index: usize, what: String, source: store_api::StoreError },
}

pub struct SimHandle {
    addr: SocketAddr,
    kubeconfig: String,
    store: Arc<MemStore>,
    state: Arc<server::ServerState>,
    stop: tokio::sync::watch::Sender<bool>,
    server: tokio::task::JoinHandle<()>,
    controllers: controllers::ControllersHandle,
}

fn seed(store: &MemStore, objects: Vec<serde_json::Value>) -> Result<(), SimError> {
    for (index, mut obj) in objects.into_iter().enumerate() {
        server::defaults::apply(&mut obj);
        let what = format!("{} {}", obj["kind"].as_str().unwrap_or("?"), obj["metadata"]["name"].as_str().unwrap_or("?"));
        let status = obj.get("status").cloned();
        let created = store.create(obj).map_err(|source| SimError::Seed { index, what: what.clone(), source })?;
        if let Some(st) = status
            && created.get("status") != Some(&st)
        {
            let mut o = created;
            o["status"] = st;
            store.update_status(o).map_err(|source| SimError::Seed { index, what, source })?;
        }
    }
    Ok(())
}

/// The namespaces every cluster has, unless the scenario brought them.
fn seed_system_namespaces(store: &MemStore) -> Result<(), SimError> {
    use store_api::SimStore as _;
    let missing = controllers::namespaces::SYSTEM.iter().filter(|n| store.get(store_api::kinds::NAMESPACE, None, n).is_none());
    let objects: Vec<serde_json::Value> = missing
        .map(|n| serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"kubernetes.io/metadata.name": n}}}))
        .collect();
    seed(store, objects)
}

/// Start the simulator: bind, seed, spawn controllers, serve HTTPS, write the kubeconfig.
pub async fn start(opts: SimOptions) -> Result<SimHandle, SimError> {
    let listener = tokio::net::TcpListener::bind(opts.listen).await.map_err(|source| SimError::Bind { addr: opts.listen, source })?;
    let addr = listener.local_addr().map_err(|source| SimError::Bind { addr: opts.listen, source })?;
    let pki = server::tls::generate()?;
    let tokens = server::auth::Tokens::generate();
    let log = server::reqlog::RequestLog::open(opts.request_log.as_ref())
        .map_err(|source| SimError::RequestLog { path: opts.request_log.clone().unwrap_or_default(), source })?;
    let store = Arc::new(MemStore::default());
    seed(&store, opts.scenario.objects)?;
    seed_system_namespaces(&store)?;
    let url = format!("https://{addr}");
    let kubeconfig = kubeconfig::render(&url, &pki.ca_pem, &tokens);
    let (drop_watches, _) = tokio::sync::watch::channel(0u64);
    let plan = opts.faults.or(opts.scenario.faults);
    let injector = std::sync::Mutex::new(plan.map(|p| Arc::new(faults::Injector::new(p))));
    let on_request = opts.on_request;
    let state =
        Arc::new(server::ServerState { store: store.clone(), tokens, log, fault: Default::default(), drop_watches, injector, on_request });
    let dyn_store: Arc<dyn SimStore> = store.clone();
    let controllers = controllers::spawn(dyn_store, opts.scenario.behavior, pki.ca_pem.clone()).map_err(SimError::Controllers)?;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(server::serve(listener, pki.server_config, state.clone(), stop_rx));
    if let Some(path) = &opts.kubeconfig_out {
        kubeconfig::write_atomic(path, &kubeconfig).map_err(|source| SimError::Kubeconfig { path: path.clone(), source })?;
    }
    Ok(SimHandle { addr, kubeconfig, store, state, stop, server, controllers })
}

impl SimHandle {
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn kubeconfig_yaml(&self) -> String {
        self.kubeconfig.clone()
    }

    pub fn store(&self) -> Arc<dyn SimStore> {
        self.store.clone()
    }

    /// The concrete store (resourceVersion history, consistent lists) for tests.
    pub fn mem_store(&self) -> Arc<MemStore> {
        self.store.clone()
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.log.snapshot()
    }

    pub fn set_fault(&self, fault: Option<Fault>) {
        if fault == Some(Fault::DropWatches) {
            self.state.drop_watches.send_modify(|n| *n += 1);
            return;
        }
        *self.state.fault.lock().unwrap_or_else(|p| p.into_inner()) = fault;
    }

    /// Replace the seeded fault plan (`None`: no random faults). Its `after` counts from now.
    pub fn set_fault_plan(&self, plan: Option<faults::FaultPlan>) {
        *self.state.injector.lock().unwrap_or_else(|p| p.into_inner()) = plan.map(|p| Arc::new(faults::Injector::new(p)));
    }

    /// The bearer token of `operator`, `deployer` or `viewer`.
    pub fn token(&self, user: &str) -> Option<String> {
        self.state.tokens.token_of(user).map(str::to_string)
    }

    /// Stop serving, close watches and stop the controllers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.state.drop_watches.send_modify(|n| *n += 1);
        self.controllers.abort();
        let _ = self.server.await;
    }
}
