//! The simulated cluster: an in-memory store served over HTTPS as the Kubernetes API, with
//! controllers that behave like the real ones. Clients reach it only through HTTPS.
pub mod controllers;
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

pub struct SimOptions {
    pub listen: SocketAddr,
    pub scenario: scenario::Scenario,
    pub request_log: Option<PathBuf>,
    pub kubeconfig_out: Option<PathBuf>,
}

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
    controllers: tokio::task::JoinHandle<()>,
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
    let url = format!("https://{addr}");
    let kubeconfig = kubeconfig::render(&url, &pki.ca_pem, &tokens);
    let (drop_watches, _) = tokio::sync::watch::channel(0u64);
    let state = Arc::new(server::ServerState { store: store.clone(), tokens, log, fault: Default::default(), drop_watches });
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let server = tokio::spawn(server::serve(listener, pki.server_config, state.clone(), stop_rx));
    let dyn_store: Arc<dyn SimStore> = store.clone();
    let controllers = controllers::spawn(dyn_store, opts.scenario.behavior);
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

    /// Stop serving, close watches and stop the controllers.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        self.state.drop_watches.send_modify(|n| *n += 1);
        self.controllers.abort();
        let _ = self.server.await;
    }
}
