//! The read-only guard: a tower layer on the kube client's HTTP stack that refuses, before
//! anything leaves the process, every request that is not a read or a SelfSubject*Review.
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use http::{Method, Request, Response};
use tower::{Layer, Service};

/// POST paths that only ask the server about the caller and change nothing.
const ALLOWED_POSTS: [&str; 3] = [
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
];

/// Whether a request with this method and path may leave a read-only cockpit.
pub fn is_allowed(method: &Method, path: &str) -> bool {
    if method == Method::GET || method == Method::HEAD {
        return true;
    }
    method == Method::POST && ALLOWED_POSTS.contains(&path.trim_end_matches('/'))
}

/// The refusal the guard returns instead of sending a mutating request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cabin is read-only: refused {method} {path} before sending it (restart without --read-only to make changes)")]
pub struct ReadOnlyRefused {
    pub method: String,
    pub path: String,
}

/// Installs [`ReadOnlyService`]; when `enabled` is false it passes everything through.
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
        if self.enabled && !is_allowed(req.method(), req.uri().path()) {
            let refused = ReadOnlyRefused { method: req.method().to_string(), path: req.uri().path().to_string() };
            tracing::warn!(%refused, "read-only guard");
            return Box::pin(async move { Err(Box::new(refused) as BoxError) });
        }
        let fut = self.inner.call(req);
        Box::pin(async move { fut.await.map_err(Into::into) })
    }
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
