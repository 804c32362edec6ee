//! The simulator's HTTPS front: TLS accept loop, authentication, authorization, request log,
//! fault injection, then routing to discovery, resource handlers and watches.
pub mod auth;
pub mod authz;
pub mod defaults;
pub mod delete;
pub mod discovery;
pub mod eviction;
pub mod fieldcheck;
pub mod handlers;
pub mod impersonate;
pub mod logs;
pub mod openapi;
pub mod proto;
pub mod registry;
pub mod reqlog;
pub mod route;
pub mod select;
pub mod ssa;
pub mod status;
pub mod subres;
pub mod table;
pub mod table_kinds;
pub mod tls;
pub mod token;
pub mod validate;
pub mod validate_batch;
pub mod watch;

use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, combinators::UnsyncBoxBody};
use hyper::{Request, Response, body::Incoming};
use serde_json::Value;
use tokio::net::TcpListener;

use crate::sim::faults::{Injector, Verdict};
use crate::sim::store::MemStore;
use crate::sim::{Fault, RequestHook, RequestSummary};
use route::{Route, Verb};
use status::ApiError;

pub type Body = UnsyncBoxBody<Bytes, Infallible>;
pub type Resp = Response<Body>;

/// Everything a request handler needs.
pub struct ServerState {
    pub store: Arc<MemStore>,
    pub tokens: auth::Tokens,
    pub log: reqlog::RequestLog,
    pub fault: Mutex<Option<Fault>>,
    /// Bumped to close every open watch (Fault::DropWatches, shutdown).
    pub drop_watches: tokio::sync::watch::Sender<u64>,
    /// Seeded random faults (`--faults`, a scenario's `faults:`, `SimHandle::set_fault_plan`).
    pub injector: Mutex<Option<Arc<Injector>>>,
    /// Called for every request before it is processed.
    pub on_request: Option<RequestHook>,
}

impl ServerState {
    pub fn current_fault(&self) -> Option<Fault> {
        self.fault.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn injector(&self) -> Option<Arc<Injector>> {
        self.injector.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A request the fault injector chose to answer by closing the connection.
#[derive(Debug)]
pub struct ResetConnection;

impl std::fmt::Display for ResetConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection reset by fault injection")
    }
}

impl std::error::Error for ResetConnection {}

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed_unsync()
}

pub fn json_resp(code: u16, v: &Value) -> Resp {
    serialized_resp(code, v)
}

/// A JSON response serialized from any borrowed shape (lists and tables of stored objects
/// are written from the store's objects, never copied into a `Value` first).
pub fn serialized_resp<T: serde::Serialize + ?Sized>(code: u16, v: &T) -> Resp {
    bytes_resp(code, serde_json::to_vec(v).unwrap_or_default())
}

/// A response of JSON text already written.
pub fn bytes_resp(code: u16, body: Vec<u8>) -> Resp {
    let mut r = Response::new(full(body));
    *r.status_mut() = hyper::StatusCode::from_u16(code).unwrap_or(hyper::StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    r
}

pub fn error_resp(e: &ApiError) -> Resp {
    json_resp(e.code, &e.body)
}

/// Serve TLS connections from `listener` until `stop` fires.
pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: Arc<ServerState>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(tls);
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => return,
        };
        let Ok((tcp, _)) = accepted else { continue };
        let acceptor = acceptor.clone();
        let state = state.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else { return };
            let svc = hyper::service::service_fn(move |req| {
                let state = state.clone();
                async move { handle(state, req).await }
            });
            let builder = hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new());
            let _ = builder.serve_connection(hyper_util::rt::TokioIo::new(tls), svc).await;
        });
    }
}

fn summary(req: &Request<Incoming>, user: Option<&str>) -> RequestSummary {
    RequestSummary {
        method: req.method().as_str().to_string(),
        path: req.uri().path().to_string(),
        query: req.uri().query().unwrap_or_default().to_string(),
        user: user.map(str::to_string),
        headers: req.headers().iter().map(|(k, v)| (k.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned())).collect(),
    }
}

/// The resource plural a request is for, or "discovery" for everything else (fault exemptions).
fn fault_subject(route: &Route) -> &'static str {
    match route {
        Route::Resource(r) => r.res.plural,
        _ => "discovery",
    }
}

async fn handle(state: Arc<ServerState>, req: Request<Incoming>) -> Result<Resp, ResetConnection> {
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let header = |n: &str| req.headers().get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    let auth_header = header("authorization");
    let route = route::parse(&method, &path, req.uri().query().unwrap_or_default());
    let verb = route.verb_name();
    let user = state.tokens.authenticate(auth_header.as_deref());
    if let Some(hook) = &state.on_request {
        hook(&summary(&req, user));
    }
    let Some(authenticated) = user else {
        let resp = error_resp(&status::unauthorized());
        state.log.record("system:anonymous", &verb, &method, &path, 401);
        return Ok(resp);
    };
    let who = match impersonate::resolve(authenticated, req.headers()) {
        Ok(who) => who,
        Err(e) => {
            state.log.record(authenticated, &verb, &method, &path, e.code);
            return Ok(error_resp(&e));
        }
    };
    let user = who.user.as_str();
    let injected = state.injector().filter(|i| !i.exempt(fault_subject(&route), &verb));
    let decision = injected.map(|i| i.decide(matches!(&route, Route::Resource(r) if r.verb == Verb::Watch)));
    if let Some(delay) = decision.and_then(|d| d.delay) {
        tokio::time::sleep(delay).await;
    }
    let resp = match (state.current_fault(), decision.map(|d| d.verdict)) {
        (Some(Fault::Status(code)), _) | (_, Some(Verdict::Error(code))) => {
            error_resp(&status::status(code, fault_reason(code), "injected fault", None))
        }
        (_, Some(Verdict::Throttle(secs))) => status::throttled(secs),
        (_, Some(Verdict::Reset)) => {
            state.log.record(user, &verb, &method, &path, 0);
            return Err(ResetConnection);
        }
        (_, Some(Verdict::Lost)) => {
            let resp = dispatch(&state, &who, route, req, None).await;
            state.log.record(user, &verb, &method, &path, resp.status().as_u16());
            return Err(ResetConnection);
        }
        _ => dispatch(&state, &who, route, req, decision.and_then(|d| d.drop_watch_after)).await,
    };
    state.log.record(user, &verb, &method, &path, resp.status().as_u16());
    Ok(resp)
}

fn fault_reason(code: u16) -> &'static str {
    match code {
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

async fn dispatch(
    state: &Arc<ServerState>,
    who: &impersonate::Identity,
    route: Route,
    req: Request<Incoming>,
    drop_after: Option<std::time::Duration>,
) -> Resp {
    let accept = req.headers().get("accept").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let ctype = req.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let agent = req.headers().get("user-agent").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    match route {
        Route::Discovery(d) => discovery::serve(&d, &accept),
        Route::NotFound(p) => error_resp(&status::plain_not_found(&p)),
        Route::Resource(r) => {
            let verb_name = r.verb.name();
            let attrs = authz::Attrs { verb: verb_name, group: r.res.group, resource: r.res.plural, subresource: r.sub.as_deref() };
            let user = who.user.as_str();
            if !impersonate::authorize(who, &attrs).allowed {
                let e = status::forbidden(user, verb_name, r.res, r.sub.as_deref(), r.ns.as_deref(), r.name.as_deref());
                return error_resp(&e);
            }
            let body = match req.into_body().collect().await {
                Ok(b) => b.to_bytes(),
                Err(e) => return error_resp(&status::bad_request(&format!("cannot read the request body: {e}"))),
            };
            let ctx = handlers::Ctx { state, user, groups: &who.groups, accept: &accept, ctype: &ctype, agent: &agent, body: &body };
            let result = match r.verb {
                Verb::Watch => watch::start(state, &r, &accept, drop_after),
                _ => handlers::handle(&ctx, &r),
            };
            result.unwrap_or_else(|e| error_resp(&e))
        }
    }
}
