//! v1 Events as the real components record them, with the same aggregation: a repeat of the
//! same reason and message for the same object bumps `count` and `lastTimestamp`.
use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::obj;
use crate::sim::store_api::{SimStore, kinds};

/// One event to record.
pub struct Ev<'a> {
    pub involved: &'a Value,
    pub warning: bool,
    pub reason: &'a str,
    pub message: String,
    pub component: &'static str,
    pub host: Option<&'a str>,
    pub field_path: Option<String>,
}

impl<'a> Ev<'a> {
    pub fn normal(involved: &'a Value, component: &'static str, reason: &'a str, message: String) -> Self {
        Self { involved, warning: false, reason, message, component, host: None, field_path: None }
    }

    pub fn warning(involved: &'a Value, component: &'static str, reason: &'a str, message: String) -> Self {
        Self { warning: true, ..Self::normal(involved, component, reason, message) }
    }

    pub fn on_host(mut self, host: Option<&'a str>, field_path: Option<String>) -> Self {
        self.host = host;
        self.field_path = field_path;
        self
    }
}

type Key = (String, String, String, String);

pub struct Recorder {
    enabled: bool,
    seen: BTreeMap<Key, String>,
    seq: u64,
}

impl Recorder {
    pub fn new(enabled: bool) -> Self {
        Self { enabled, seen: BTreeMap::new(), seq: 0 }
    }

    pub fn record(&mut self, store: &dyn SimStore, ev: Ev<'_>) {
        if !self.enabled {
            return;
        }
        let ns = obj::namespace(ev.involved).unwrap_or("default").to_string();
        let key = (ns.clone(), obj::uid(ev.involved).to_string(), ev.reason.to_string(), ev.message.clone());
        let now = obj::now_rfc3339();
        if let Some(existing) = self.seen.get(&key).and_then(|n| store.get(kinds::EVENT, Some(&ns), n)) {
            let mut e = existing;
            e["count"] = json!(obj::int(&e, "/count") + 1);
            e["lastTimestamp"] = json!(now);
            if store.update(e).is_ok() {
                return;
            }
        }
        self.seq += 1;
        let nanos = chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64 + self.seq;
        let name = format!("{}.{:x}", obj::name(ev.involved), nanos);
        let mut involved = json!({
            "apiVersion": ev.involved["apiVersion"], "kind": ev.involved["kind"],
            "name": obj::name(ev.involved), "uid": obj::uid(ev.involved),
            "resourceVersion": ev.involved["metadata"]["resourceVersion"],
        });
        if let Some(n) = obj::namespace(ev.involved) {
            involved["namespace"] = json!(n);
        }
        if let Some(fp) = &ev.field_path {
            involved["fieldPath"] = json!(fp);
        }
        let mut source = json!({"component": ev.component});
        if let Some(h) = ev.host {
            source["host"] = json!(h);
        }
        let event = json!({
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved, "reason": ev.reason, "message": ev.message,
            "type": if ev.warning { "Warning" } else { "Normal" },
            "source": source, "count": 1, "firstTimestamp": now, "lastTimestamp": now,
            "eventTime": null, "reportingComponent": ev.component, "reportingInstance": ev.host.unwrap_or_default(),
        });
        if store.create(event).is_ok() {
            self.seen.insert(key, name);
        }
    }
}
