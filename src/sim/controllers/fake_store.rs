//! A minimal in-memory `SimStore` for controller unit tests.
use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Value, json};
use tokio::sync::broadcast;

use crate::sim::store_api::{ObjKind, SimStore, StoreChange, StoreError};

type Key = (ObjKind, String, String);

pub struct FakeStore {
    inner: Mutex<(BTreeMap<Key, Value>, u64)>,
    tx: broadcast::Sender<StoreChange>,
}

impl FakeStore {
    pub fn new() -> Self {
        Self { inner: Mutex::new((BTreeMap::new(), 0)), tx: broadcast::channel(100_000).0 }
    }
}

fn kind_of(o: &Value) -> ObjKind {
    let av: &'static str = Box::leak(o["apiVersion"].as_str().unwrap().to_string().into_boxed_str());
    let k: &'static str = Box::leak(o["kind"].as_str().unwrap().to_string().into_boxed_str());
    ObjKind::new(av, k)
}

fn key(o: &Value) -> Key {
    let ns = o["metadata"]["namespace"].as_str().unwrap_or_default().to_string();
    (kind_of(o), ns, o["metadata"]["name"].as_str().unwrap_or_default().to_string())
}

impl SimStore for FakeStore {
    fn list(&self, kind: ObjKind, namespace: Option<&str>) -> Vec<Value> {
        let g = self.inner.lock().unwrap();
        g.0.iter().filter(|((k, ns, _), _)| *k == kind && namespace.is_none_or(|n| n == ns)).map(|(_, v)| v.clone()).collect()
    }
    fn get(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Option<Value> {
        let g = self.inner.lock().unwrap();
        g.0.get(&(kind, namespace.unwrap_or_default().to_string(), name.to_string())).cloned()
    }
    fn create(&self, mut obj: Value) -> Result<Value, StoreError> {
        let mut g = self.inner.lock().unwrap();
        g.1 += 1;
        let rv = g.1;
        if obj["metadata"]["name"].is_null() {
            let prefix = obj["metadata"]["generateName"].as_str().unwrap().to_string();
            let alpha = b"bcdfghjklmnpqrstvwxz2456789";
            let mut x = rv.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            let suffix: String = (0..5)
                .map(|_| {
                    let c = alpha[(x % 27) as usize] as char;
                    x /= 27;
                    c
                })
                .collect();
            obj["metadata"]["name"] = json!(format!("{prefix}{suffix}"));
        }
        let k = key(&obj);
        if g.0.contains_key(&k) {
            return Err(StoreError::AlreadyExists { kind: k.0.kind.into(), name: k.2 });
        }
        obj["metadata"]["uid"] = json!(format!("uid-{rv}"));
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        obj["metadata"]["generation"] = json!(1);
        obj["metadata"]["creationTimestamp"] = json!(format!("2026-01-01T00:00:00.{rv:09}Z"));
        g.0.insert(k.clone(), obj.clone());
        let _ = self.tx.send(StoreChange { kind: k.0, event_type: "ADDED", object: std::sync::Arc::new(obj.clone()) });
        Ok(obj)
    }
    fn update(&self, obj: Value) -> Result<Value, StoreError> {
        self.write(obj, false)
    }
    fn update_status(&self, obj: Value) -> Result<Value, StoreError> {
        self.write(obj, true)
    }
    fn delete(&self, kind: ObjKind, namespace: Option<&str>, name: &str) -> Result<Value, StoreError> {
        let mut g = self.inner.lock().unwrap();
        let old = g.0.remove(&(kind, namespace.unwrap_or_default().to_string(), name.to_string()));
        let old = old.ok_or(StoreError::NotFound { kind: kind.kind.into(), name: name.into() })?;
        let _ = self.tx.send(StoreChange { kind, event_type: "DELETED", object: std::sync::Arc::new(old.clone()) });
        Ok(old)
    }
    fn subscribe(&self) -> broadcast::Receiver<StoreChange> {
        self.tx.subscribe()
    }
}

impl FakeStore {
    fn write(&self, mut obj: Value, status: bool) -> Result<Value, StoreError> {
        let mut g = self.inner.lock().unwrap();
        let k = key(&obj);
        let cur = g.0.get(&k).cloned().ok_or(StoreError::NotFound { kind: k.0.kind.into(), name: k.2.clone() })?;
        let stale = obj["metadata"]["resourceVersion"].as_str().is_some_and(|rv| Some(rv) != cur["metadata"]["resourceVersion"].as_str());
        if stale {
            return Err(StoreError::Conflict { kind: k.0.kind.into(), name: k.2 });
        }
        g.1 += 1;
        if status {
            let st = obj["status"].clone();
            obj = cur.clone();
            obj["status"] = st;
        } else {
            obj["status"] = cur["status"].clone();
            obj["metadata"]["uid"] = cur["metadata"]["uid"].clone();
            obj["metadata"]["creationTimestamp"] = cur["metadata"]["creationTimestamp"].clone();
            let generation = cur["metadata"]["generation"].as_i64().unwrap_or(1);
            obj["metadata"]["generation"] = json!(if obj["spec"] != cur["spec"] { generation + 1 } else { generation });
        }
        obj["metadata"]["resourceVersion"] = json!(g.1.to_string());
        g.0.insert(k.clone(), obj.clone());
        let _ = self.tx.send(StoreChange { kind: k.0, event_type: "MODIFIED", object: std::sync::Arc::new(obj.clone()) });
        Ok(obj)
    }
}
