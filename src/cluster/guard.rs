//! The read-only guard: a tower layer on the kube client's HTTP stack that refuses, before
//! anything leaves the process, every request that is not a read or a SelfSubject*Review.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Method, Request, Response};
use tower::{Layer, Service};

use super::write::WritePermit;

/// POST paths that only ask the server about the caller and change nothing.
const ALLOWED_POSTS: [&str; 3] = [
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
];

/// Subresources that open a channel into pods or nodes (exec, attach, port-forward, proxy):
/// reached with GET, yet anything but read-only (the k9s leak class).
const CONNECT_SUBRESOURCES: [&str; 4] = ["exec", "attach", "portforward", "proxy"];

/// Whether a request with this method and path may leave a read-only cockpit: reads (but not
/// the connect subresources) and the SelfSubject reviews.
pub fn is_allowed(method: &Method, path: &str) -> bool {
    if method == Method::GET || method == Method::HEAD {
        return !is_connect(path);
    }
    method == Method::POST && ALLOWED_POSTS.contains(&path.trim_end_matches('/'))
}

/// `…/pods/NAME/exec`, `…/services/NAME/proxy[/…]`, `/api/v1/nodes/NAME/proxy`, the legacy
/// `/api/v1/proxy/…`: the subresource position (not just any segment: a namespace may be
/// called `proxy`) names a connect subresource.
pub fn is_connect(path: &str) -> bool {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let rest = match segments.first() {
        Some(&"api") => segments.get(2..),
        Some(&"apis") => segments.get(3..),
        _ => None,
    }
    .unwrap_or_default();
    let sub = match rest.first() {
        Some(&"proxy") => return true,
        Some(&"namespaces") if rest.len() >= 5 => rest.get(4),
        Some(&"namespaces") => None,
        Some(_) => rest.get(2),
        None => None,
    };
    sub.is_some_and(|s| CONNECT_SUBRESOURCES.contains(s))
}

/// Why the guard refused a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(transparent)]
    ReadOnly(#[from] ReadOnlyRefused),
    #[error("refused {method} {path}: cabin sends changes only through its journalled writer, and this request did not come from it")]
    NotJournalled { method: String, path: String },
}

/// What the guard decides for one request.
pub fn judge(
    read_only: bool,
    method: &Method,
    path: &str,
    query: Option<&str>,
    upgrade: bool,
    permit: Option<&WritePermit>,
) -> Result<(), Refused> {
    let mutating = upgrade || !is_allowed(method, path);
    if !mutating {
        return Ok(());
    }
    if read_only {
        return Err(ReadOnlyRefused { method: method.to_string(), path: path.to_string() }.into());
    }
    if is_connect(path) || upgrade || !permit.is_some_and(|p| p.covers(query)) {
        return Err(Refused::NotJournalled { method: method.to_string(), path: path.to_string() });
    }
    Ok(())
}

/// The refusal the guard returns instead of sending a mutating request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cabin is read-only: refused {method} {path} before sending it (restart without --read-only to make changes)")]
pub struct ReadOnlyRefused {
    pub method: String,
    pub path: String,
}

/// Installs [`ReadOnlyService`]. With `enabled` (read-only) it refuses everything but reads;
/// without, it still refuses any mutating request that did not come through the journalled
/// writer (no [`WritePermit`]) and every exec/attach/port-forward/proxy request.
#[derive(Debug, Clone, Copy)]
pub struct ReadOnlyLayer {
    pub enabled: bool,
}

impl<S> Layer<S> for ReadOnlyLayer {
    type Service = ReadOnlyService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        ReadOnlyService { inner, enabled: self.enabled }
    }
}

#[derive(Debug, Clone)]
pub struct ReadOnlyService<S> {
    inner: S,
    enabled: bool,
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> Service<Request<B>> for ReadOnlyService<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<RB>;
    type Error = BoxError;
    type Future = BoxFuture<Result<Response<RB>, BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let upgrade = req.headers().contains_key(http::header::UPGRADE);
        let permit = req.extensions().get::<WritePermit>();
        if let Err(refused) = judge(self.enabled, req.method(), req.uri().path(), req.uri().query(), upgrade, permit) {
            tracing::warn!(%refused, "write guard");
            let err: BoxError = match refused {
                Refused::ReadOnly(r) => Box::new(r),
                other => Box::new(other),
            };
            return Box::pin(async move { Err(err) });
        }
        let fut = self.inner.call(req);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
