//! Streaming watches: `resourceVersion` resume (an ERROR event with a 410 Expired Status when
//! too old, as the real apiserver sends), label/field selectors, `allowWatchBookmarks`,
//! `sendInitialEvents`, `timeoutSeconds`, and Table-shaped events for `kubectl get -w`.
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::route::ResRoute;
use super::select::{FieldSelector, LabelSelector};
use super::status::{self, ApiError};
use super::{Resp, ServerState, handlers, table};
use crate::sim::store::object_rv;
use crate::sim::store_api::StoreChange;

const BOOKMARK_EVERY: Duration = Duration::from_secs(2);
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);

type Key = (String, String);

fn key_of(o: &Value) -> Key {
    let m = &o["metadata"];
    (m["namespace"].as_str().unwrap_or_default().to_string(), m["name"].as_str().unwrap_or_default().to_string())
}

struct Filter {
    route: ResRoute,
    labels: LabelSelector,
    fields: FieldSelector,
    table: bool,
}

impl Filter {
    fn has_selector(&self) -> bool {
        self.labels != LabelSelector::default() || self.fields != FieldSelector::default()
    }

    /// The event type this watcher must see for a change, like the apiserver decides it from
    /// the old and new object: an object that starts matching is ADDED, one that stops
    /// matching is DELETED. `seen` holds the keys the client currently believes match.
    fn translate(&self, seen: &mut BTreeSet<Key>, c: &StoreChange) -> Option<&'static str> {
        if c.kind != self.route.res.obj_kind() {
            return None;
        }
        let key = key_of(&c.object);
        let (before, now) = (seen.contains(&key), self.matches_obj(&c.object));
        match (c.event_type, before, now) {
            ("ADDED", _, true) => {
                seen.insert(key);
                Some("ADDED")
            }
            ("DELETED", b, m) => {
                seen.remove(&key);
                (b || m).then_some("DELETED")
            }
            ("MODIFIED", true, true) => Some("MODIFIED"),
            ("MODIFIED", true, false) => {
                seen.remove(&key);
                Some("DELETED")
            }
            ("MODIFIED", false, true) => {
                seen.insert(key);
                Some(if self.has_selector() { "ADDED" } else { "MODIFIED" })
            }
            _ => None,
        }
    }

    fn matches_obj(&self, o: &Value) -> bool {
        let m = &o["metadata"];
        self.route.ns.as_deref().is_none_or(|ns| m["namespace"].as_str() == Some(ns))
            && self.route.name.as_deref().is_none_or(|n| m["name"].as_str() == Some(n))
            && self.labels.matches(o)
            && self.fields.matches(o)
    }

    fn event(&self, event_type: &str, obj: &Value) -> Bytes {
        /// One watch event line, serialized from a borrowed object (no copy per event).
        #[derive(serde::Serialize)]
        struct Line<'a> {
            #[serde(rename = "type")]
            event_type: &'a str,
            object: &'a Value,
        }
        let table;
        let object = if self.table && event_type != "BOOKMARK" && event_type != "ERROR" {
            table = table::table(self.route.res, std::slice::from_ref(obj), &object_rv(obj).to_string(), true);
            &table
        } else {
            obj
        };
        let mut line = serde_json::to_vec(&Line { event_type, object }).unwrap_or_default();
        line.push(b'\n');
        Bytes::from(line)
    }
}

/// Starts a watch; `drop_after` (fault injection) ends it early.
pub fn start(state: &Arc<ServerState>, r: &ResRoute, accept: &str, drop_after: Option<Duration>) -> Result<Resp, ApiError> {
    let q = |k: &str| r.query.get(k).map(String::as_str).unwrap_or_default();
    let labels = LabelSelector::parse(q("labelSelector")).map_err(|e| status::bad_request(&e))?;
    let fields = FieldSelector::parse(q("fieldSelector")).map_err(|e| status::bad_request(&e))?;
    let filter = Filter { route: r.clone(), labels, fields, table: handlers::wants_table(accept) };
    let timeout = q("timeoutSeconds").parse::<u64>().map(Duration::from_secs).unwrap_or(DEFAULT_TIMEOUT);
    let timeout = drop_after.map_or(timeout, |d| d.min(timeout));
    let bookmarks = q("allowWatchBookmarks") == "true";
    let initial = q("sendInitialEvents") == "true";
    let rv_param = q("resourceVersion").to_string();
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let state2 = state.clone();
    tokio::spawn(async move {
        run(state2, filter, rv_param, initial, bookmarks, timeout, tx).await;
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|b| (Ok(Frame::data(b)), rx)) });
    let mut resp = Resp::new(StreamBody::new(stream.boxed()).boxed_unsync());
    resp.headers_mut().insert("content-type", hyper::header::HeaderValue::from_static("application/json"));
    Ok(resp)
}

async fn run(
    state: Arc<ServerState>,
    f: Filter,
    rv_param: String,
    initial: bool,
    bookmarks: bool,
    timeout: Duration,
    tx: mpsc::Sender<Bytes>,
) {
    let store = &state.store;
    let from_list = rv_param.is_empty() || rv_param == "0" || initial;
    let (items, list_rv) = store.list_at(f.route.res.obj_kind(), f.route.ns.as_deref());
    let mut seen: BTreeSet<Key> = items.iter().filter(|o| f.matches_obj(o)).map(|o| key_of(o)).collect();
    let (start_objects, start_rv) = if from_list { (items, list_rv) } else { (Vec::new(), rv_param.parse::<u64>().unwrap_or(0)) };
    let ws = match store.watch_from(f.route.res.obj_kind(), start_rv) {
        Ok(ws) => ws,
        Err(e) => {
            let st = status::gone(&e.to_string()).body;
            let _ = tx.send(f.event("ERROR", &st)).await;
            return;
        }
    };
    for o in start_objects.iter().filter(|o| f.matches_obj(o)) {
        if tx.send(f.event("ADDED", o)).await.is_err() {
            return;
        }
    }
    let mut last_rv = start_rv;
    if initial {
        let mark = json!({"kind": f.route.res.kind, "apiVersion": f.route.res.api_version(),
            "metadata": {"resourceVersion": last_rv.to_string(), "annotations": {"k8s.io/initial-events-end": "true"}}});
        if tx.send(f.event("BOOKMARK", &mark)).await.is_err() {
            return;
        }
    }
    for (rv, c) in ws.backlog {
        last_rv = rv;
        if let Some(t) = f.translate(&mut seen, &c)
            && tx.send(f.event(t, &c.object)).await.is_err()
        {
            return;
        }
    }
    live(&state, &f, ws.rx, (last_rv, seen), bookmarks, timeout, &tx).await;
}

/// Sends the changes after `last_rv` that this watch sees; false when the watch must end (the
/// client went away, or it fell behind the retained history: the client re-lists).
async fn send_changes(state: &ServerState, f: &Filter, last_rv: &mut u64, seen: &mut BTreeSet<Key>, tx: &mpsc::Sender<Bytes>) -> bool {
    let Ok(changes) = state.store.changes_after(f.route.res.obj_kind(), *last_rv) else { return false };
    for (rv, c) in changes {
        *last_rv = rv;
        if let Some(t) = f.translate(seen, &c)
            && tx.send(f.event(t, &c.object)).await.is_err()
        {
            return false;
        }
    }
    true
}

async fn live(
    state: &ServerState,
    f: &Filter,
    mut rx: tokio::sync::watch::Receiver<u64>,
    pos: (u64, BTreeSet<Key>),
    bookmarks: bool,
    timeout: Duration,
    tx: &mpsc::Sender<Bytes>,
) {
    let (mut last_rv, mut seen) = pos;
    let deadline = tokio::time::Instant::now() + timeout;
    let mut drop_rx = state.drop_watches.subscribe();
    let mut tick = tokio::time::interval(BOOKMARK_EVERY);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return,
            _ = drop_rx.changed() => return,
            _ = tx.closed() => return,
            _ = tick.tick(), if bookmarks => {
                let mark = json!({"kind": f.route.res.kind, "apiVersion": f.route.res.api_version(), "metadata": {"resourceVersion": last_rv.to_string()}});
                if tx.send(f.event("BOOKMARK", &mark)).await.is_err() { return; }
            }
            changed = rx.changed() => {
                // A watcher behind the retained history is closed: the client re-lists.
                if changed.is_err() || !send_changes(state, f, &mut last_rv, &mut seen, tx).await { return; }
            }
        }
    }
}
