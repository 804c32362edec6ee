#![allow(clippy::unwrap_used)]
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::*;

/// A mock inner service that counts the requests that reach it.
#[derive(Clone)]
struct Counting(Arc<AtomicUsize>);

impl Service<Request<()>> for Counting {
    type Response = Response<()>;
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Response<()>, Self::Error>>;
    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }
    fn call(&mut self, _req: Request<()>) -> Self::Future {
        self.0.fetch_add(1, Ordering::SeqCst);
        std::future::ready(Ok(Response::new(())))
    }
}

const METHODS: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"];
const PATHS: [&str; 18] = [
    "/api/v1/namespaces",
    "/api/v1/namespaces/payments/pods/web-1",
    "/api/v1/namespaces/payments/pods/web-1/exec",
    "/api/v1/namespaces/payments/pods/web-1/attach",
    "/api/v1/namespaces/payments/pods/web-1/portforward",
    "/api/v1/namespaces/payments/pods/web-1/proxy/metrics",
    "/api/v1/namespaces/payments/services/web/proxy",
    "/api/v1/namespaces/payments/services/https:web:443/proxy/",
    "/api/v1/nodes/node-1/proxy/logs/",
    "/api/v1/proxy/namespaces/payments/pods/web-1",
    "/api/v1/namespaces/proxy/pods/exec",
    "/apis/apps/v1/namespaces/payments/deployments/web/scale",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    "/apis/authorization.k8s.io/v1/namespaces/x/localsubjectaccessreviews",
    "/apis/authorization.k8s.io/v1/subjectaccessreviews",
    "/apis/authentication.k8s.io/v1/tokenreviews",
];

fn expected(method: &str, path: &str) -> bool {
    match method {
        "GET" | "HEAD" => {
            !path.contains("/exec") && !path.contains("/attach") && !path.contains("/portforward") && !path.contains("/proxy")
                || path == "/api/v1/namespaces/proxy/pods/exec"
        }
        "POST" => path.contains("/selfsubject"),
        _ => false,
    }
}

async fn send(enabled: bool, method: &str, path: &str) -> (Result<Response<()>, BoxError>, usize) {
    send_with(enabled, method, path, None, false).await
}

async fn send_with(enabled: bool, method: &str, path: &str, query: Option<&str>, upgrade: bool) -> (Result<Response<()>, BoxError>, usize) {
    let count = Arc::new(AtomicUsize::new(0));
    let mut svc = ReadOnlyLayer { enabled }.layer(Counting(count.clone()));
    let mut req = Request::builder().method(method).uri(format!("https://k8s.example{path}?{}", query.unwrap_or("x=1")));
    if upgrade {
        req = req.header(http::header::UPGRADE, "websocket");
    }
    let req = req.body(()).unwrap();
    std::future::poll_fn(|cx| svc.poll_ready(cx)).await.unwrap();
    let res = svc.call(req).await;
    (res, count.load(Ordering::SeqCst))
}

#[tokio::test]
async fn every_method_and_path_is_decided_before_sending() {
    for method in METHODS {
        for path in PATHS {
            let (res, sent) = send(true, method, path).await;
            if expected(method, path) {
                assert!(res.is_ok(), "{method} {path} should pass");
                assert_eq!(sent, 1, "{method} {path} should reach the server");
            } else {
                let err = res.expect_err("must be refused");
                let refused = err.downcast_ref::<ReadOnlyRefused>().expect("a ReadOnlyRefused");
                assert_eq!(refused.method, method);
                assert_eq!(refused.path, path);
                assert!(err.to_string().contains("cabin is read-only"), "{err}");
                assert_eq!(sent, 0, "{method} {path} must not reach the server");
            }
        }
    }
}

#[tokio::test]
async fn without_read_only_reads_pass_and_nothing_mutates_without_the_writer() {
    for method in METHODS {
        for path in PATHS {
            let (res, sent) = send(false, method, path).await;
            if expected(method, path) {
                assert!(res.is_ok(), "{method} {path} should pass");
                assert_eq!(sent, 1);
            } else {
                let err = res.expect_err("must be refused");
                assert!(matches!(err.downcast_ref::<Refused>(), Some(Refused::NotJournalled { .. })), "{method} {path}: {err}");
                assert_eq!(sent, 0, "{method} {path} must not reach the server");
            }
        }
    }
}

#[tokio::test]
async fn an_upgrade_is_refused_even_on_a_plain_path() {
    for enabled in [true, false] {
        let (res, sent) = send_with(enabled, "GET", "/api/v1/namespaces/payments/pods/web-1", None, true).await;
        assert!(res.is_err(), "an Upgrade request opens a channel: refused (read-only {enabled})");
        assert_eq!(sent, 0);
    }
}

#[test]
fn a_dry_run_permit_covers_dry_runs_only() {
    // The permit itself can only be made by the writer; its rule is checked through `judge`
    // in tests/cluster_write.rs (a real dry run passes, a real write without permit does not).
    assert!(!is_connect("/api/v1/namespaces/proxy/pods"));
    assert!(!is_connect("/apis/apps/v1/namespaces/exec/deployments/proxy"));
    assert!(is_connect("/api/v1/namespaces/a/pods/b/exec"));
    assert!(is_connect("/apis/example.io/v1/namespaces/a/widgets/b/proxy"));
}

#[test]
fn a_trailing_slash_does_not_open_a_hole() {
    assert!(is_allowed(&Method::POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews/"));
    assert!(!is_allowed(&Method::POST, "/apis/authentication.k8s.io/v1/selfsubjectreviews/../tokenreviews"));
    assert!(!is_allowed(&Method::PUT, "/apis/authentication.k8s.io/v1/selfsubjectreviews"));
}
