//! A Velero stand-in. A Backup moves New → InProgress → Completed (keeping an in-memory copy of
//! the objects in its namespaces) unless its BackupStorageLocation is missing or not Available
//! (FailedValidation). A Restore of a Completed backup re-creates missing objects, and with
//! `existingResourcePolicy: update` overwrites existing ones; it never removes anything.
use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use serde_json::{Value, json};

use super::obj;
use crate::sim::scenario::Behavior;
use crate::sim::store_api::{ObjKind, SimStore, kinds};

/// What a backup captures (workload definitions, not their pods or ReplicaSets).
const CAPTURED: &[ObjKind] =
    &[kinds::DEPLOYMENT, kinds::STATEFUL_SET, kinds::SERVICE, kinds::CONFIG_MAP, ObjKind::new("v1", "Secret"), kinds::PDB];

type Key = (String, String);

#[derive(Default)]
pub struct Velero {
    started: HashMap<(&'static str, Key), Instant>,
    snapshots: BTreeMap<Key, Vec<Value>>,
    in_progress: bool,
}

fn key(o: &Value) -> Key {
    (obj::namespace(o).unwrap_or_default().to_string(), obj::name(o).to_string())
}

fn included(spec: &Value, ns: &str) -> bool {
    let list = |k: &str| {
        spec[k].as_array().map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect::<Vec<_>>()).unwrap_or_default()
    };
    let inc = list("includedNamespaces");
    let exc = list("excludedNamespaces");
    (inc.is_empty() || inc.iter().any(|n| n == "*" || n == ns)) && !exc.iter().any(|n| n == ns)
}

fn set_status(store: &dyn SimStore, o: &Value, patch: Value) {
    let mut next = o.clone();
    if !next["status"].is_object() {
        next["status"] = json!({});
    }
    if let (Some(st), Some(p)) = (next["status"].as_object_mut(), patch.as_object()) {
        for (k, v) in p {
            st.insert(k.clone(), v.clone());
        }
    }
    let _ = store.update_status(next);
}

impl Velero {
    pub fn busy(&self) -> bool {
        self.in_progress
    }

    pub fn reconcile(&mut self, store: &dyn SimStore, behavior: &Behavior) {
        let step = std::time::Duration::from_millis(behavior.velero_step_ms);
        self.in_progress = false;
        for b in store.list(kinds::VELERO_BACKUP, None) {
            match b["status"]["phase"].as_str().unwrap_or("New") {
                "New" | "" => self.start_backup(store, &b),
                "InProgress" if self.due("backup", &b, step) => self.finish_backup(store, &b),
                _ => {}
            }
        }
        for r in store.list(kinds::VELERO_RESTORE, None) {
            match r["status"]["phase"].as_str().unwrap_or("New") {
                "New" | "" => self.start_restore(store, &r),
                "InProgress" if self.due("restore", &r, step) => self.finish_restore(store, &r),
                _ => {}
            }
        }
    }

    fn due(&mut self, what: &'static str, o: &Value, step: std::time::Duration) -> bool {
        self.in_progress = true;
        self.started.entry((what, key(o))).or_insert_with(Instant::now).elapsed() >= step
    }

    fn captured(store: &dyn SimStore, spec: &Value) -> Vec<Value> {
        CAPTURED.iter().flat_map(|k| store.list(*k, None)).filter(|o| included(spec, obj::namespace(o).unwrap_or_default())).collect()
    }

    fn start_backup(&mut self, store: &dyn SimStore, b: &Value) {
        let bsl_name = b["spec"]["storageLocation"].as_str().unwrap_or("default");
        let bsl = store.get(kinds::VELERO_BSL, obj::namespace(b), bsl_name);
        let problem = match &bsl {
            None => Some(format!(
                "a BackupStorageLocation named \"{bsl_name}\" does not exist in namespace {}",
                obj::namespace(b).unwrap_or_default()
            )),
            Some(l) if l["status"]["phase"] != "Available" => {
                Some(format!("backup can't be created because BackupStorageLocation {bsl_name} is in Unavailable status."))
            }
            Some(_) => None,
        };
        let now = obj::now_rfc3339();
        if let Some(p) = problem {
            set_status(store, b, json!({"phase": "FailedValidation", "validationErrors": [p], "version": 1, "formatVersion": "1.1.0"}));
            return;
        }
        let total = Self::captured(store, &b["spec"]).len();
        let expiration = (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        set_status(
            store,
            b,
            json!({"phase": "InProgress", "startTimestamp": now, "expiration": expiration, "version": 1,
            "formatVersion": "1.1.0", "progress": {"totalItems": total, "itemsBackedUp": 0}}),
        );
    }

    fn finish_backup(&mut self, store: &dyn SimStore, b: &Value) {
        let items = Self::captured(store, &b["spec"]);
        let total = items.len();
        self.snapshots.insert(key(b), items);
        set_status(
            store,
            b,
            json!({"phase": "Completed", "completionTimestamp": obj::now_rfc3339(),
            "progress": {"totalItems": total, "itemsBackedUp": total}}),
        );
    }

    fn start_restore(&mut self, store: &dyn SimStore, r: &Value) {
        let name = r["spec"]["backupName"].as_str().unwrap_or_default();
        let problem = match store.get(kinds::VELERO_BACKUP, obj::namespace(r), name) {
            None => Some(format!("backup \"{name}\" not found")),
            Some(b) if b["status"]["phase"] != "Completed" => Some(format!("backup \"{name}\" is not in phase Completed")),
            Some(_) => None,
        };
        match problem {
            Some(p) => set_status(store, r, json!({"phase": "FailedValidation", "validationErrors": [p]})),
            None => set_status(store, r, json!({"phase": "InProgress", "startTimestamp": obj::now_rfc3339()})),
        }
    }

    fn finish_restore(&mut self, store: &dyn SimStore, r: &Value) {
        let backup_key =
            (obj::namespace(r).unwrap_or_default().to_string(), r["spec"]["backupName"].as_str().unwrap_or_default().to_string());
        let Some(items) = self.snapshots.get(&backup_key) else {
            set_status(
                store,
                r,
                json!({"phase": "PartiallyFailed", "completionTimestamp": obj::now_rfc3339(), "errors": 1,
                "failureReason": "the backup's contents are not in this simulator's object storage"}),
            );
            return;
        };
        let overwrite = r["spec"]["existingResourcePolicy"] == "update";
        let (mut restored, mut warnings) = (0, 0);
        for item in items.iter().filter(|o| included(&r["spec"], obj::namespace(o).unwrap_or_default())) {
            let kind = CAPTURED.iter().copied().find(|k| item["kind"] == k.kind && item["apiVersion"] == k.api_version);
            let Some(kind) = kind else { continue };
            match store.get(kind, obj::namespace(item), obj::name(item)) {
                None => restored += usize::from(store.create(fresh(item, obj::name(r))).is_ok()),
                Some(live) if overwrite => {
                    let mut next = fresh(item, obj::name(r));
                    next["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"].clone();
                    restored += usize::from(store.update(next).is_ok());
                }
                Some(_) => warnings += 1,
            }
        }
        set_status(
            store,
            r,
            json!({"phase": "Completed", "completionTimestamp": obj::now_rfc3339(), "warnings": warnings,
            "progress": {"totalItems": restored + warnings, "itemsRestored": restored}}),
        );
    }
}

/// The object as Velero re-creates it: no server-set metadata, no status.
fn fresh(item: &Value, restore: &str) -> Value {
    let mut o = item.clone();
    if let Some(meta) = o["metadata"].as_object_mut() {
        for k in ["uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "ownerReferences"] {
            meta.remove(k);
        }
    }
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
    if !o["metadata"]["labels"].is_object() {
        o["metadata"]["labels"] = json!({});
    }
    o["metadata"]["labels"]["velero.io/restore-name"] = json!(restore);
    o
}
