//! Argo CD's sync status and self-heal for the simulator: the first pod template seen for each
//! tracked workload stands for what git says. A workload whose template differs is OutOfSync
//! (so is its Application); an Application with `syncPolicy.automated.selfHeal: true` puts the
//! git template back once the drift has lasted `Behavior::self_heal_ms`, records the sync in
//! `status.operationState`, and is Synced again — which is why a change made outside git to
//! such a workload does not last.
use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::obj;
use crate::sim::store_api::{SimStore, kinds};

/// (application, kind, namespace, name)
type Key = (String, String, String, String);

#[derive(Default)]
pub struct ArgoSync {
    git: HashMap<Key, Value>,
    drift_since: HashMap<Key, Instant>,
}

fn key(app: &Value, o: &Value) -> Key {
    let s = |v: &str| v.to_string();
    (s(obj::name(app)), s(o["kind"].as_str().unwrap_or_default()), s(obj::namespace(o).unwrap_or_default()), s(obj::name(o)))
}

pub fn self_heals(app: &Value) -> bool {
    app["spec"]["syncPolicy"]["automated"]["selfHeal"] == true
}

impl ArgoSync {
    /// Whether a self-heal is pending (the controllers then tick faster).
    pub fn busy(&self) -> bool {
        !self.drift_since.is_empty()
    }

    /// Whether `o` (tracked by `app`) differs from its git state; heals it when due.
    pub fn check(&mut self, store: &dyn SimStore, app: &Value, o: &Value, heal_after: Duration) -> bool {
        let k = key(app, o);
        let live = &o["spec"]["template"];
        let git = self.git.entry(k.clone()).or_insert_with(|| live.clone()).clone();
        if *live == git {
            self.drift_since.remove(&k);
            return false;
        }
        if !self_heals(app) {
            return true;
        }
        let since = *self.drift_since.entry(k.clone()).or_insert_with(Instant::now);
        if since.elapsed() < heal_after {
            return true;
        }
        let mut healed = o.clone();
        healed["spec"]["template"] = git;
        if store.update(healed).is_ok() {
            self.drift_since.remove(&k);
            record_sync(store, app, o);
            return false;
        }
        true
    }
}

/// The automated sync Argo CD records after a self-heal.
fn record_sync(store: &dyn SimStore, app: &Value, o: &Value) {
    let Some(mut fresh) = store.get(kinds::APPLICATION, obj::namespace(app), obj::name(app)) else { return };
    let now = obj::now_rfc3339();
    let revision = fresh["status"]["sync"]["revision"].clone();
    if !fresh["status"].is_object() {
        fresh["status"] = json!({});
    }
    fresh["status"]["operationState"] = json!({
        "operation": {"sync": {"revision": revision}, "initiatedBy": {"automated": true}, "retry": {"limit": 5}},
        "phase": "Succeeded", "message": "successfully synced (all tasks run)", "startedAt": now, "finishedAt": now,
        "syncResult": {"revision": revision, "resources": [{"group": "apps", "version": "v1", "kind": o["kind"],
            "namespace": obj::namespace(o), "name": obj::name(o), "status": "Synced", "message": format!("{} configured", obj::name(o)),
            "hookPhase": "Running", "syncPhase": "Sync"}]},
    });
    let _ = store.update_status(fresh);
}
