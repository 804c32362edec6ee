//! `pods/log` as the kubelet serves it. Each container instance (one `containerID`, from its
//! start to its end) writes a start line, a heartbeat line every `HEARTBEAT` and, when it
//! ends, a last line saying why (SIGTERM, or the crash's exit code; nothing when it was
//! killed). The current instance is the running one (or the last terminated one while the
//! container waits to restart); `previous=true` is `lastState.terminated`. `timestamps`
//! prefixes RFC 3339 nanosecond times, `tailLines`, `sinceSeconds` and `limitBytes` cut as the
//! kubelet does, and `follow=true` streams new lines until the instance stops (or the pod is
//! gone). A pod annotated `sim.cabin.dev/log` logs that text once started instead.
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::Value;
use tokio::sync::mpsc;

use super::handlers::{Ctx, fetch, name_of};
use super::route::ResRoute;
use super::status::{self, ApiError};
use super::subres::LOG_ANNOTATION;
use super::{Resp, ServerState};
use crate::sim::controllers::obj;
use crate::sim::store_api::{SimStore, kinds};

/// How often a running simulated container logs a heartbeat line.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How often a follower looks for new lines when nothing changed in the store.
const FOLLOW_TICK: Duration = Duration::from_millis(250);

/// One container instance: when it ran and how it ended.
#[derive(Debug, Clone, PartialEq)]
struct Instance {
    id: String,
    started: DateTime<Utc>,
    /// (finishedAt, exitCode) once terminated.
    ended: Option<(DateTime<Utc>, i64)>,
}

fn parse(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str().and_then(obj::parse_time)
}

fn terminated(state: &Value, fallback_id: &Value) -> Option<Instance> {
    let t = state.get("terminated")?;
    let id = t["containerID"].as_str().or(fallback_id.as_str()).unwrap_or_default().to_string();
    let started = parse(&t["startedAt"]).or_else(|| parse(&t["finishedAt"]))?;
    Some(Instance { id, started, ended: Some((parse(&t["finishedAt"]).unwrap_or(started), t["exitCode"].as_i64().unwrap_or(0))) })
}

/// The instance of `container` a request reads, or the kubelet's error.
fn instance(pod: &Value, container: &str, previous: bool) -> Result<Instance, String> {
    let pod_name = obj::name(pod);
    let cs = pod["status"]["containerStatuses"].as_array().and_then(|a| a.iter().find(|c| c["name"] == container)).cloned();
    let cs = cs.unwrap_or(Value::Null);
    if previous {
        return terminated(&cs["lastState"], &Value::Null)
            .ok_or_else(|| format!("previous terminated container \"{container}\" in pod \"{pod_name}\" not found"));
    }
    if let Some(started) = parse(&cs["state"]["running"]["startedAt"]) {
        return Ok(Instance { id: cs["containerID"].as_str().unwrap_or_default().to_string(), started, ended: None });
    }
    if let Some(done) = terminated(&cs["state"], &cs["containerID"]).or_else(|| terminated(&cs["lastState"], &Value::Null)) {
        return Ok(done);
    }
    let reason = cs["state"]["waiting"]["reason"].as_str().unwrap_or("ContainerCreating");
    Err(format!("container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"))
}

/// The lines an instance has written by `now`, with their times.
fn lines(pod: &Value, container: &str, inst: &Instance, now: DateTime<Utc>) -> Vec<(DateTime<Utc>, String)> {
    let image = pod["spec"]["containers"].as_array().and_then(|a| a.iter().find(|c| c["name"] == container)).map(|c| c["image"].clone());
    let image = image.as_ref().and_then(Value::as_str).unwrap_or_default();
    let end = inst.ended.map_or(now, |(t, _)| t.min(now).max(inst.started));
    let mut out = match obj::annotation(pod, LOG_ANNOTATION) {
        Some(text) => text.lines().map(|l| (inst.started, l.to_string())).collect(),
        None => vec![(inst.started, format!("{container}: started by the cabin simulator (image {image})"))],
    };
    let step = chrono::Duration::from_std(HEARTBEAT).unwrap_or_else(|_| chrono::Duration::seconds(5));
    let mut t = inst.started + step;
    let mut n = 1;
    while t <= end {
        out.push((t, format!("{container}: heartbeat {n}")));
        t += step;
        n += 1;
    }
    match inst.ended {
        Some((at, 0)) if at <= now => out.push((at, format!("{container}: received SIGTERM, shutting down"))),
        Some((at, 137)) if at <= now => {}
        Some((at, code)) if at <= now => out.push((at, format!("{container}: fatal error, exiting with code {code}"))),
        _ => {}
    }
    out
}

/// The query options of a log request.
struct Opts {
    container: String,
    previous: bool,
    follow: bool,
    timestamps: bool,
    tail: Option<usize>,
    since: Option<DateTime<Utc>>,
    limit: Option<usize>,
}

fn format(lines: &[(DateTime<Utc>, String)], timestamps: bool) -> String {
    lines.iter().map(|(t, l)| if timestamps { format!("{} {l}\n", t.format("%Y-%m-%dT%H:%M:%S%.9fZ")) } else { format!("{l}\n") }).collect()
}

fn options(r: &ResRoute, pod: &Value) -> Result<Opts, ApiError> {
    let q = |k: &str| r.query.get(k).map(String::as_str);
    let names: Vec<&str> = pod["spec"]["containers"].as_array().into_iter().flatten().filter_map(|c| c["name"].as_str()).collect();
    let container = match q("container") {
        Some(c) if !names.contains(&c) => return Err(status::bad_request(&format!("container {c} is not valid for pod {}", name_of(r)))),
        Some(c) => c.to_string(),
        None if names.len() > 1 => {
            let msg = format!("a container name must be specified for pod {}, choose one of: [{}]", name_of(r), names.join(" "));
            return Err(status::bad_request(&msg));
        }
        None => names.first().copied().unwrap_or_default().to_string(),
    };
    let num = |k: &str| -> Result<Option<i64>, ApiError> {
        q(k).map(|v| v.parse::<i64>().map_err(|_| status::bad_request(&format!("invalid {k} {v:?}")))).transpose()
    };
    Ok(Opts {
        container,
        previous: q("previous") == Some("true"),
        follow: q("follow") == Some("true"),
        timestamps: q("timestamps") == Some("true"),
        tail: num("tailLines")?.map(|n| usize::try_from(n.max(0)).unwrap_or(0)),
        since: num("sinceSeconds")?.map(|s| Utc::now() - chrono::Duration::seconds(s.clamp(0, 10 * 365 * 86_400))),
        limit: num("limitBytes")?.map(|n| usize::try_from(n.max(0)).unwrap_or(0)),
    })
}

fn text_resp(body: super::Body) -> Resp {
    let mut resp = Resp::new(body);
    resp.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("text/plain"));
    resp
}

pub fn serve(ctx: &Ctx<'_>, r: &ResRoute) -> Result<Resp, ApiError> {
    let pod = fetch(ctx, r)?;
    let o = options(r, &pod)?;
    let inst = instance(&pod, &o.container, o.previous).map_err(|m| status::bad_request(&m))?;
    let all = lines(&pod, &o.container, &inst, Utc::now());
    let mut now_lines = all.clone();
    if let Some(since) = o.since {
        now_lines.retain(|(t, _)| *t >= since);
    }
    if let Some(n) = o.tail {
        now_lines.drain(..now_lines.len().saturating_sub(n));
    }
    let first = format(&now_lines, o.timestamps);
    let done = inst.ended.is_some() || o.previous;
    if !o.follow || done {
        let mut text = first.into_bytes();
        if let Some(l) = o.limit {
            text.truncate(l);
        }
        return Ok(text_resp(super::full(text)));
    }
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    let state = ctx.state.clone();
    let ns = r.ns.clone();
    tokio::spawn(follow(state, ns, name_of(r).to_string(), o, inst, all.len(), first, tx));
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok(Frame::data(b)), rx)) });
    Ok(text_resp(StreamBody::new(futures::StreamExt::boxed(stream)).boxed_unsync()))
}

/// Streams the lines of `inst` after the first `sent` until it stops or the pod is gone.
#[allow(clippy::too_many_arguments)]
async fn follow(
    state: Arc<ServerState>,
    ns: Option<String>,
    name: String,
    o: Opts,
    inst: Instance,
    mut sent: usize,
    first: String,
    tx: mpsc::Sender<Bytes>,
) {
    let mut budget = o.limit.unwrap_or(usize::MAX);
    let send = |text: String, budget: &mut usize| {
        let mut b = text.into_bytes();
        b.truncate(*budget);
        *budget -= b.len();
        Bytes::from(b)
    };
    if tx.send(send(first, &mut budget)).await.is_err() {
        return;
    }
    let mut rx = state.store.subscribe();
    let mut last_seen: Option<Value> = None;
    let this_pod = |c: &crate::sim::store_api::StoreChange| {
        c.kind == kinds::POD && obj::name(&c.object) == name && obj::namespace(&c.object) == ns.as_deref()
    };
    loop {
        let current = state.store.get(kinds::POD, ns.as_deref(), &name);
        let gone = current.is_none();
        if gone {
            // The store sends a change while it holds the object, so the DELETED event is
            // already queued: take the newest change of this pod, whose final status carries
            // the container's last words (an older one would lose them).
            loop {
                match rx.try_recv() {
                    Ok(c) if this_pod(&c) => last_seen = Some(serde_json::Value::clone(&c.object)),
                    Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        }
        let Some(pod) = current.or_else(|| last_seen.take()) else { return };
        let cur = instance(&pod, &o.container, false).ok().filter(|i| i.id == inst.id);
        let now_inst = cur.unwrap_or_else(|| Instance { ended: Some((Utc::now(), 137)), ..inst.clone() });
        let all = lines(&pod, &o.container, &now_inst, Utc::now());
        if all.len() > sent {
            let text = send(format(&all[sent..], o.timestamps), &mut budget);
            sent = all.len();
            if tx.send(text).await.is_err() {
                return;
            }
        }
        if now_inst.ended.is_some() || gone || budget == 0 {
            return;
        }
        // Wake on a change of this pod (its DELETED event carries the final status) or a tick.
        let wait = tokio::time::sleep(FOLLOW_TICK);
        tokio::select! {
            change = rx.recv() => if let Ok(c) = change
                && this_pod(&c)
            {
                last_seen = Some(serde_json::Value::clone(&c.object));
            },
            () = wait => {}
        }
    }
}
