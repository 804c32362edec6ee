//! Typed errors of the cluster layer: each message says what happened and what to do next.
use std::path::PathBuf;

use super::guard::{ReadOnlyRefused, Refused};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("no kubeconfig found at {path}: pass --kubeconfig PATH, set KUBECONFIG, or create ~/.kube/config")]
    MissingKubeconfig { path: PathBuf },
    #[error("cannot read the kubeconfig {path}: {detail}; fix the file or pass another with --kubeconfig")]
    BadKubeconfig { path: String, detail: String },
    #[error("the kubeconfig has no current context: pass --context NAME (known contexts: {})", list(.known))]
    NoContext { known: Vec<String> },
    #[error("unknown context {name:?}: known contexts are {}; pick one with --context", list(.known))]
    UnknownContext { name: String, known: Vec<String> },
    #[error("cannot reach the API server {url}: {detail}; check that the cluster is up and the context {context:?} points at it")]
    Unreachable { context: String, url: String, detail: String },
    #[error(
        "the API server rejected the credentials of context {context:?} (401 Unauthorized: {detail}); the token may be expired or wrong: refresh your credentials or check the context"
    )]
    Unauthorized { context: String, detail: String },
    #[error(
        "forbidden (403): {detail}; the user of context {context:?} lacks the RBAC permission for this, ask for access or use another context"
    )]
    Forbidden { context: String, detail: String },
    #[error("{0}")]
    ReadOnly(ReadOnlyRefused),
    #[error("{0}")]
    Unjournalled(Refused),
    #[error("not found: {detail}")]
    NotFound { detail: String },
    #[error("the API server answered {code} {reason}: {detail}")]
    Api { code: u16, reason: String, detail: String },
    #[error("the request to the API server failed: {detail}")]
    Request { detail: String },
}

fn list(names: &[String]) -> String {
    if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
}

impl ClusterError {
    /// Maps a kube-rs error to a clear, typed error for `context` at `url`.
    pub fn from_kube(err: kube::Error, context: &str, url: &str) -> Self {
        let context = context.to_string();
        match err {
            kube::Error::Api(status) => {
                let detail = if status.message.is_empty() { status.reason.clone() } else { status.message.clone() };
                match status.code {
                    401 => Self::Unauthorized { context, detail },
                    403 => Self::Forbidden { context, detail },
                    404 => Self::NotFound { detail },
                    code => Self::Api { code, reason: status.reason.clone(), detail },
                }
            }
            kube::Error::Service(e) => match e.downcast::<ReadOnlyRefused>() {
                Ok(refused) => Self::ReadOnly(*refused),
                Err(e) => match e.downcast::<Refused>() {
                    Ok(refused) => Self::Unjournalled(*refused),
                    Err(e) => Self::Unreachable { context, url: url.to_string(), detail: chain(e.as_ref()) },
                },
            },
            kube::Error::HyperError(e) => Self::Unreachable { context, url: url.to_string(), detail: chain(&e) },
            kube::Error::Auth(e) => Self::Unauthorized { context, detail: chain(&e) },
            other => Self::Request { detail: chain(&other) },
        }
    }

    /// True for a failure that may pass on its own: 429, 5xx, an unreachable server or a
    /// broken connection (the caller re-reads the cluster before trying again).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api { code, .. } => matches!(code, 429 | 500 | 502 | 503 | 504),
            Self::Unreachable { .. } => true,
            _ => false,
        }
    }

    /// True when the problem needs the user (credentials, permissions) rather than a retry.
    pub fn needs_user(&self) -> bool {
        matches!(self, Self::Unauthorized { .. } | Self::Forbidden { .. } | Self::ReadOnly(_) | Self::Unjournalled(_))
    }
}

/// An error with its sources, "outer: inner: innermost".
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}
