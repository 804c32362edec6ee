//! The simulator's in-memory object store: BTreeMaps keyed by kind then (namespace, name), one
//! global strictly increasing resourceVersion, and a bounded history of changes per kind so a
//! watch can resume from a recent resourceVersion (older ones get `TooOld`, served as 410
//! Gone). Live watches read the same history (woken by the newest resourceVersion), so the
//! history is the only place old object versions are kept, and a watch that falls further
//! behind than it is closed (the client re-lists), as with the apiserver's watch cache. Per
//! kind, as there: churn of pods does not expire the resourceVersion of a quiet kind's watch.
//!
//! Stored objects are immutable `Arc<Value>`s: the history, the change feed and lists share
//! them instead of copying, so a retained change costs a reference, not an object.
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use serde_json::{Map, Value, json};
use tokio::sync::broadcast;

use super::store_api::{ObjKind, SimStore, StoreChange, StoreError};

/// How many changes of each kind are kept for watches that resume from a resourceVersion
/// (and for live watches that fall behind).
pub const DEFAULT_HISTORY: usize = 2_048;

/// How many changes the controllers' feed ([`SimStore::subscribe`]) buffers; a controller that
/// lags re-lists (`RecvError::Lagged`).
const FEED: usize = 1_024;

type ObjKey = (String, String);

/// A stored object with its JSON text, written the first time a list needs it and dropped
/// with the object at its next write: lists of unchanged objects copy bytes instead of
/// serializing the same objects again (a cockpit starting on 50,000 pods lists them all).
#[derive(Clone)]
struct Slot {
    obj: Arc<Value>,
    json: Arc<OnceLock<Box<[u8]>>>,
}

impl Slot {
    fn new(obj: Arc<Value>) -> Self {
        Self { obj, json: Arc::default() }
    }
}

/// An object of a list page, with its JSON text at hand.
pub struct Listed {
    pub obj: Arc<Value>,
    json: Arc<OnceLock<Box<[u8]>>>,
}

impl Listed {
    /// The object as JSON (serialized once per stored version).
    pub fn json(&self) -> &[u8] {
        self.json.get_or_init(|| serde_json::to_vec(&*self.obj).unwrap_or_default().into_boxed_slice())
    }
}

/// One page of a list read from the store (see [`MemStore::list_page`]).
pub struct ListPage {
    pub items: Vec<Listed>,
    /// The store's resourceVersion when the page was read.
    pub rv: u64,
    /// Whether more matching objects follow the page.
    pub more: bool,
    /// How many objects follow the page (counted only when `keep` is None).
    pub remaining: Option<usize>,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<ObjKind, BTreeMap<ObjKey, Slot>>,
    rv: u64,
    uid_seq: u64,
    history: BTreeMap<ObjKind, History>,
}

/// The retained changes of one kind.
#[derive(Default)]
struct History {
    changes: VecDeque<(u64, StoreChange)>,
    /// The resourceVersion of the newest change dropped (0: none yet).
    dropped_upto: u64,
}

/// The resourceVersion asked for is older than the retained history.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("too old resource version: {requested} ({oldest})")]
pub struct TooOld {
    pub requested: u64,
    pub oldest: u64,
}

/// What a watch starting at some resourceVersion must send: the retained changes after it
/// (in order), then, each time `rx` changes, [`MemStore::changes_after`] the last one sent.
pub struct WatchStart {
    pub backlog: Vec<(u64, StoreChange)>,
    /// The newest resourceVersion; it changes after every commit.
    pub rx: tokio::sync::watch::Receiver<u64>,
}

pub struct MemStore {
    inner: Mutex<Inner>,
    tx: broadcast::Sender<StoreChange>,
    newest: tokio::sync::watch::Sender<u64>,
    history_cap: usize,
}

impl Default for MemStore {
    fn default() -> Self {
        Self::new(DEFAULT_HISTORY)
    }
}

fn ns_name(obj: &Value) -> (String, String) {
    let meta = &obj["metadata"];
    let ns = meta["namespace"].as_str().unwrap_or_default().to_string();
    let name = meta["name"].as_str().unwrap_or_default().to_string();
    (ns, name)
}

/// The resourceVersion of an object as a number (0 when absent or not a number).
pub fn object_rv(obj: &Value) -> u64 {
    obj["metadata"]["resourceVersion"].as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl MemStore {
    pub fn new(history_cap: usize) -> Self {
        let (tx, _) = broadcast::channel(FEED);
        let (newest, _) = tokio::sync::watch::channel(0);
        Self { inner: Mutex::new(Inner::default()), tx, newest, history_cap: history_cap.max(1) }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The newest resourceVersion handed out so far.
    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// A consistent list: the objects and the resourceVersion they were read at.
    pub fn list_at(&self, kind: ObjKind, namespace: Option<&str>) -> (Vec<Arc<Value>>, u64) {
        let inner = self.lock();
        (list_locked(&inner, kind, namespace), inner.rv)
    }

    /// A page of the objects of `kind` (in `namespace`, if given) whose (namespace, name)
    /// comes after `after`, in that order: at most `limit` of those `keep` accepts (all, when
    /// None, and then how many follow is counted too). Reading starts at `after` and stops at
    /// the page's end, so a page costs what it returns, not the whole list before or after it.
    pub fn list_page(
        &self,
        kind: ObjKind,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        limit: usize,
        keep: Option<&dyn Fn(&Value) -> bool>,
    ) -> ListPage {
        use std::ops::Bound;
        let inner = self.lock();
        let rv = inner.rv;
        let Some(m) = inner.objects.get(&kind) else { return ListPage { items: Vec::new(), rv, more: false, remaining: None } };
        let start = match (after, namespace) {
            // A token from another namespace's list starts at this namespace's first object.
            (Some((a, _)), Some(ns)) if a < ns => Bound::Included((ns.to_string(), String::new())),
            (Some((a, name)), _) => Bound::Excluded((a.to_string(), name.to_string())),
            (None, Some(ns)) => Bound::Included((ns.to_string(), String::new())),
            (None, None) => Bound::Unbounded,
        };
        let mut range =
            m.range((start, Bound::Unbounded)).take_while(|((n, _), _)| namespace.is_none_or(|ns| n == ns)).map(|(_, slot)| slot);
        let listed = |s: &Slot| Listed { obj: s.obj.clone(), json: s.json.clone() };
        match keep {
            None => {
                let items: Vec<Listed> = range.by_ref().take(limit).map(listed).collect();
                let remaining = range.count();
                ListPage { items, rv, more: remaining > 0, remaining: Some(remaining) }
            }
            Some(keep) => {
                let mut matching = range.filter(|s| keep(&s.obj));
                let items: Vec<Listed> = matching.by_ref().take(limit).map(listed).collect();
                ListPage { items, rv, more: matching.next().is_some(), remaining: None }
            }
        }
    }

    /// Whether the retained history of `kind` still reaches back to `rv` (a watch or a list
    /// continued from it sees every change since).
    pub fn history_covers(&self, kind: ObjKind, rv: u64) -> bool {
        self.lock().history.get(&kind).is_none_or(|h| rv >= h.dropped_upto)
    }

    /// Start a watch of `kind` after `rv`: the retained backlog plus a live receiver, with no gap.
    pub fn watch_from(&self, kind: ObjKind, rv: u64) -> Result<WatchStart, TooOld> {
        let inner = self.lock();
        // Subscribed under the lock: every commit after the backlog changes `rx`.
        let rx = self.newest.subscribe();
        Ok(WatchStart { backlog: changes_locked(&inner, kind, rv)?, rx })
    }

    /// The retained changes of `kind` after `rv`, in order (`TooOld` when some were dropped).
    pub fn changes_after(&self, kind: ObjKind, rv: u64) -> Result<Vec<(u64, StoreChange)>, TooOld> {
        changes_locked(&self.lock(), kind, rv)
    }

    fn commit(&self, inner: &mut Inner, kind: ObjKind, event_type: &'static str, object: Arc<Value>) {
        let rv = inner.rv;
        let change = StoreChange { kind, event_type, object };
        let history = inner.history.entry(kind).or_default();
        history.changes.push_back((rv, change.clone()));
        while history.changes.len() > self.history_cap {
            if let Some((dropped, _)) = history.changes.pop_front() {
                history.dropped_upto = dropped;
            }
        }
        self.newest.send_replace(rv);
        // No receiver is not an error: nobody is watching yet.
        let _ = self.tx.send(change);
    }

    fn write_checked(&self, obj: Value, status_only: bool) -> Result<Value, StoreError> {
        let kind = kind_of(&obj)?;
        let key = ns_name(&obj);
        let mut inner = self.lock();
        let stored = inner.objects.get(&kind).and_then(|m| m.get(&key)).map(|s| s.obj.clone()).ok_or_else(|| not_found(kind, &key.1))?;
        let stored = Value::clone(&stored);
        let asked = object_rv(&obj);
        if obj["metadata"]["resourceVersion"].is_string() && asked != object_rv(&stored) {
            return Err(StoreError::Conflict { kind: plural_hint(kind), name: key.1 });
        }
        let mut next = if status_only {
            let mut s = stored.clone();
            set_field(&mut s, "status", obj.get("status").cloned());
            s
        } else {
            merge_update(&stored, obj)
        };
        if next == stored {
            return Ok(stored);
        }
        inner.rv += 1;
        let rv = inner.rv;
        if let Some(meta) = next.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), json!(rv.to_string()));
        }
        let shared = Arc::new(next.clone());
        inner.objects.entry(kind).or_default().insert(key, Slot::new(shared.clone()));
        self.commit(&mut inner, kind, "MODIFIED", shared);
        Ok(next)
    }
}

fn set_field(obj: &mut Value, field: &str, v: Option<Value>) {
    if let Some(map) = obj.as_object_mut() {
        match v {
            Some(v) => {
                map.insert(field.into(), v);
            }
            None => {
                map.remove(field);
            }
        }
    }
}

/// New object from an update: the caller's metadata and body, with the server-owned
/// metadata and the stored status kept; generation bumped when the spec changed.
fn merge_update(stored: &Value, mut obj: Value) -> Value {
    let smeta = &stored["metadata"];
    let generation = smeta["generation"].as_i64().unwrap_or(1);
    let spec_changed = stored.get("spec") != obj.get("spec");
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in ["uid", "creationTimestamp", "resourceVersion"] {
            if let Some(v) = smeta.get(k) {
                meta.insert(k.into(), v.clone());
            }
        }
        let g = if spec_changed { generation + 1 } else { generation };
        meta.insert("generation".into(), json!(g));
    }
    if let Some(status) = stored.get("status") {
        set_field(&mut obj, "status", Some(status.clone()));
    }
    obj
}

fn changes_locked(inner: &Inner, kind: ObjKind, rv: u64) -> Result<Vec<(u64, StoreChange)>, TooOld> {
    let Some(history) = inner.history.get(&kind) else { return Ok(Vec::new()) };
    if rv < history.dropped_upto {
        return Err(TooOld { requested: rv, oldest: history.dropped_upto });
    }
    // The history is in resourceVersion order: skip to the first change after `rv`.
    let first = history.changes.partition_point(|(v, _)| *v <= rv);
    Ok(history.changes.range(first..).cloned().collect())
}

fn list_locked(inner: &Inner, kind: ObjKind, namespace: Option<&str>) -> Vec<Arc<Value>> {
    let Some(m) = inner.objects.get(&kind) else { return Vec::new() };
    match namespace {
        Some(ns) => m.range((ns.to_string(), String::new())..).take_while(|((n, _), _)| n == ns).map(|(_, s)| s.obj.clone()).collect(),
        None => m.values().map(|s| s.obj.clone()).collect(),
    }
}

fn not_found(kind: ObjKind, name: &str) -> StoreError {
    StoreError::NotFound { kind: plural_hint(kind), name: name.to_string() }
}

/// The resource name the real apiserver puts in messages ("deployments.apps", "pods").
pub fn plural_hint(kind: ObjKind) -> String {
    super::server::registry::by_kind(kind).map(|r| r.qualified_name()).unwrap_or_else(|| kind.kind.to_lowercase())
}

/// The ObjKind for an object's apiVersion + kind, if the simulator serves it.
pub fn kind_of(obj: &Value) -> Result<ObjKind, StoreError> {
    let av = obj["apiVersion"].as_str().unwrap_or_default();
    let k = obj["kind"].as_str().unwrap_or_default();
    super::server::registry::lookup_kind(av, k)
        .map(|r| r.obj_kind())
        .ok_or_else(|| StoreError::Invalid(format!("unknown apiVersion/kind {av:?}/{k:?}")))
}

impl SimStore for MemStore {
    fn list(&self, kind: ObjKind, namespace: Option<&str>) -> Vec<Value> {
        // Copied outside the lock: the writers do not wait for the copies.
        let shared = list_locked(&self.lock(), kind, namespace);
        shared.iter().map(|v| Value::clone(v)).collect()
    }

    fn list_shared(&self, kind: ObjKind, namespace: Option<&str>) -> Vec<Arc<Value>> {
        list_locked(&self.lock(), kind, namespace)
    }

    fn get(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Option<Value> {
        self.get_shared(kind, namespace, name).map(Arc::unwrap_or_clone)
    }

    fn get_shared(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Option<Arc<Value>> {
        let inner = self.lock();
        let key = (namespace.unwrap_or_default().to_string(), name.to_string());
        inner.objects.get(&kind).and_then(|m| m.get(&key)).map(|s| s.obj.clone())
    }

    fn create(&self, mut obj: Value) -> Result<Value, StoreError> {
        let kind = kind_of(&obj)?;
        let mut inner = self.lock();
        inner.uid_seq += 1;
        let seq = inner.uid_seq;
        let meta =
            obj.get_mut("metadata").and_then(Value::as_object_mut).ok_or_else(|| StoreError::Invalid("metadata: Required value".into()))?;
        fill_name(meta, seq)?;
        let mut key = (String::new(), String::new());
        key.0 = meta.get("namespace").and_then(Value::as_str).unwrap_or_default().to_string();
        key.1 = meta.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        if inner.objects.get(&kind).is_some_and(|m| m.contains_key(&key)) {
            return Err(StoreError::AlreadyExists { kind: plural_hint(kind), name: key.1 });
        }
        inner.rv += 1;
        let rv = inner.rv;
        meta.insert("uid".into(), json!(make_uid(seq)));
        meta.insert("resourceVersion".into(), json!(rv.to_string()));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        meta.insert("generation".into(), json!(1));
        let shared = Arc::new(obj.clone());
        inner.objects.entry(kind).or_default().insert(key, Slot::new(shared.clone()));
        self.commit(&mut inner, kind, "ADDED", shared);
        Ok(obj)
    }

    fn update(&self, obj: Value) -> Result<Value, StoreError> {
        self.write_checked(obj, false)
    }

    fn update_status(&self, obj: Value) -> Result<Value, StoreError> {
        self.write_checked(obj, true)
    }

    fn delete(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Result<Value, StoreError> {
        let mut inner = self.lock();
        let key = (namespace.unwrap_or_default().to_string(), name.to_string());
        let removed = inner.objects.get_mut(&kind).and_then(|m| m.remove(&key)).ok_or_else(|| not_found(kind, name))?;
        let mut obj = Arc::unwrap_or_clone(removed.obj);
        inner.rv += 1;
        let rv = inner.rv;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), json!(rv.to_string()));
        }
        self.commit(&mut inner, kind, "DELETED", Arc::new(obj.clone()));
        Ok(obj)
    }

    fn subscribe(&self) -> broadcast::Receiver<StoreChange> {
        self.tx.subscribe()
    }
}

fn fill_name(meta: &mut Map<String, Value>, seq: u64) -> Result<(), StoreError> {
    let has_name = meta.get("name").and_then(Value::as_str).is_some_and(|n| !n.is_empty());
    if has_name {
        return Ok(());
    }
    match meta.get("generateName").and_then(Value::as_str) {
        Some(prefix) if !prefix.is_empty() => {
            let suffix = suffix_from(seq);
            meta.insert("name".into(), json!(format!("{prefix}{suffix}")));
            Ok(())
        }
        _ => Err(StoreError::Invalid("metadata.name: Required value: name or generateName is required".into())),
    }
}

/// Five lowercase alphanumerics derived from a sequence number (like the apiserver's suffixes).
fn suffix_from(seq: u64) -> String {
    const ALPHA: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut x = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5bd1_e995;
    (0..5)
        .map(|_| {
            let c = ALPHA[(x % ALPHA.len() as u64) as usize] as char;
            x /= ALPHA.len() as u64;
            c
        })
        .collect()
}

fn make_uid(seq: u64) -> String {
    let h = seq.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    format!("{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}", (h >> 32) as u32, (h >> 16) & 0xffff, h & 0xfff, seq & 0xfff, seq)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
