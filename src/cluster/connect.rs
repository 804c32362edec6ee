//! Client set-up from a kubeconfig: context choice, the read-only guard, and a first request
//! (SelfSubjectReview) that proves the server is reachable and the credentials work.
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{Api, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

use super::error::{ClusterError, chain};
use super::guard::ReadOnlyLayer;
use crate::model::ContextInfo;

const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Explicit kubeconfig; otherwise `KUBECONFIG`, otherwise `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// Context name; otherwise the kubeconfig's current context.
    pub context: Option<String>,
    pub read_only: bool,
}

/// A working client for one context, with what the header shows about it.
#[derive(Clone)]
pub struct Connection {
    client: Client,
    info: ContextInfo,
    opts: ConnectOptions,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection").field("info", &self.info).finish_non_exhaustive()
    }
}

impl Connection {
    pub fn client(&self) -> Client {
        self.client.clone()
    }
    pub fn info(&self) -> &ContextInfo {
        &self.info
    }
    /// Records why this connection is read-only (for the header and the journal).
    pub fn with_read_only_reason(mut self, reason: Option<String>) -> Self {
        self.info.read_only_reason = reason.filter(|_| self.opts.read_only);
        self
    }
    pub fn options(&self) -> &ConnectOptions {
        &self.opts
    }
    /// Maps a kube error in the terms of this connection.
    pub fn error(&self, err: kube::Error) -> ClusterError {
        ClusterError::from_kube(err, &self.info.context, &self.info.cluster_url)
    }
}

/// Loads the kubeconfig, builds a guarded client and checks that it is accepted.
pub async fn connect(opts: ConnectOptions) -> Result<Connection, ClusterError> {
    let (kubeconfig, source) = load_kubeconfig(opts.kubeconfig.as_ref())?;
    let context = pick_context(&kubeconfig, opts.context.as_deref())?;
    let kube_user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())
        .unwrap_or_default();
    let contexts = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let options = KubeConfigOptions { context: Some(context.clone()), ..Default::default() };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| ClusterError::BadKubeconfig { path: source.clone(), detail: chain(&e) })?;
    let url = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let client = build_client(config, opts.read_only).map_err(|e| ClusterError::BadKubeconfig { path: source, detail: chain(&e) })?;
    let user = probe_user(&client, &context, &url).await?.unwrap_or(kube_user);
    let info = ContextInfo { context, cluster_url: url, user, read_only: opts.read_only, read_only_reason: None, contexts };
    Ok(Connection { client, info, opts })
}

/// The context `connect` would use for these options (to look up per-context settings
/// such as `readOnly` before connecting).
pub fn resolve_context(kubeconfig: Option<&PathBuf>, context: Option<&str>) -> Result<String, ClusterError> {
    let (config, _) = load_kubeconfig(kubeconfig)?;
    pick_context(&config, context)
}

/// A kube client whose HTTP stack carries the read-only guard (enabled when `read_only`).
/// kube's default client-level retry of 429/503/504 is turned off: it backs off for up to
/// minutes without a word, while the watchers retry with their own backoff and report each
/// failure, so the header can say "reconnecting" at once.
pub fn build_client(mut config: Config, read_only: bool) -> Result<Client, kube::Error> {
    config.default_retry = false;
    let builder = kube::client::ClientBuilder::try_from(config)?;
    Ok(builder.with_layer(&ReadOnlyLayer { enabled: read_only }).build())
}

fn load_kubeconfig(explicit: Option<&PathBuf>) -> Result<(Kubeconfig, String), ClusterError> {
    let bad = |path: String, e: kube::config::KubeconfigError| ClusterError::BadKubeconfig { path, detail: chain(&e) };
    if let Some(path) = explicit {
        if !path.exists() {
            return Err(ClusterError::MissingKubeconfig { path: path.clone() });
        }
        let shown = path.display().to_string();
        return Kubeconfig::read_from(path).map(|k| (k, shown.clone())).map_err(|e| bad(shown, e));
    }
    if let Some(value) = std::env::var_os("KUBECONFIG").filter(|v| !v.is_empty()) {
        let shown = value.to_string_lossy().to_string();
        if let Some(missing) = std::env::split_paths(&value).find(|p| !p.as_os_str().is_empty() && !p.exists()) {
            return Err(ClusterError::MissingKubeconfig { path: missing });
        }
        return match Kubeconfig::from_env() {
            Ok(Some(k)) => Ok((k, shown)),
            Ok(None) => Err(ClusterError::MissingKubeconfig { path: PathBuf::from(shown) }),
            Err(e) => Err(bad(shown, e)),
        };
    }
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    let path = home.join(".kube").join("config");
    if !path.exists() {
        return Err(ClusterError::MissingKubeconfig { path });
    }
    let shown = path.display().to_string();
    Kubeconfig::read_from(&path).map(|k| (k, shown.clone())).map_err(|e| bad(shown, e))
}

fn pick_context(kubeconfig: &Kubeconfig, wanted: Option<&str>) -> Result<String, ClusterError> {
    let mut known: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    known.sort();
    let name = match wanted.map(str::to_string).or_else(|| kubeconfig.current_context.clone()) {
        Some(name) if !name.is_empty() => name,
        _ => return Err(ClusterError::NoContext { known }),
    };
    if known.contains(&name) { Ok(name) } else { Err(ClusterError::UnknownContext { name, known }) }
}

/// Asks the server who we are. `Ok(None)` when the server does not offer SelfSubjectReview
/// (then a namespace list proves the credentials instead).
async fn probe_user(client: &Client, context: &str, url: &str) -> Result<Option<String>, ClusterError> {
    let timeout = |what: &str| ClusterError::Unreachable {
        context: context.to_string(),
        url: url.to_string(),
        detail: format!("no answer to {what} within {}s", PROBE_TIMEOUT.as_secs()),
    };
    let api: Api<SelfSubjectReview> = Api::all(client.clone());
    let review = SelfSubjectReview::default();
    let answer =
        tokio::time::timeout(PROBE_TIMEOUT, api.create(&PostParams::default(), &review)).await.map_err(|_| timeout("SelfSubjectReview"))?;
    match answer {
        Ok(r) => Ok(r.status.and_then(|s| s.user_info).and_then(|u| u.username)),
        Err(kube::Error::Api(s)) if matches!(s.code, 403..=405) => fallback_probe(client, context, url).await.map(|()| None),
        Err(e) => Err(ClusterError::from_kube(e, context, url)),
    }
}

async fn fallback_probe(client: &Client, context: &str, url: &str) -> Result<(), ClusterError> {
    let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let params = kube::api::ListParams::default().limit(1);
    match tokio::time::timeout(PROBE_TIMEOUT, api.list_metadata(&params)).await {
        Err(_) => Err(ClusterError::Unreachable {
            context: context.to_string(),
            url: url.to_string(),
            detail: "no answer to a namespace list".to_string(),
        }),
        // Authenticated but not allowed to list namespaces: a namespaced view can still work.
        Ok(Err(kube::Error::Api(s))) if s.code == 403 => Ok(()),
        Ok(Err(e)) => Err(ClusterError::from_kube(e, context, url)),
        Ok(Ok(_)) => Ok(()),
    }
}
