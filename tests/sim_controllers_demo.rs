//! The `demo` scenario comes alive under the controllers: every Deployment but the crash-looping
//! canary becomes Available, the postgres StatefulSet gets its three ordered pods, and the
//! canary's pod shows CrashLoopBackOff with a growing restartCount.
use std::time::{Duration, Instant};

use cabin::sim::scenario::{Behavior, load};
use cabin::sim::store_api::{SimStore, kinds};
use cabin::sim::{SimOptions, start};
use serde_json::{Value, json};

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn available(d: &Value) -> bool {
    d["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["type"] == "Available" && c["status"] == "True"))
        && d["status"]["availableReplicas"] == d["spec"]["replicas"]
}

#[test]
fn demo_cluster_settles_with_one_unhealthy_canary() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let mut scenario = load("demo").unwrap();
    scenario.behavior = Behavior { bad_images: scenario.behavior.bad_images.clone(), ..Behavior::fast(10) };
    let opts =
        SimOptions { listen: "127.0.0.1:0".parse().unwrap(), scenario, request_log: None, kubeconfig_out: None, ..Default::default() };
    let handle = rt.block_on(start(opts)).unwrap();
    let store = handle.store();
    let deploys = || store.list(kinds::DEPLOYMENT, None);
    wait_until("all but the canary available", || {
        deploys().iter().filter(|d| d["metadata"]["name"] != "payments-api-canary").all(available)
    });
    wait_until("postgres ready", || {
        store.get(kinds::STATEFUL_SET, Some("platform"), "postgres").is_some_and(|s| s["status"]["readyReplicas"] == 3)
    });
    let pg: Vec<String> = store
        .list(kinds::POD, Some("platform"))
        .iter()
        .filter_map(|p| p["metadata"]["name"].as_str().map(str::to_string))
        .filter(|n| n.starts_with("postgres-"))
        .collect();
    assert_eq!(pg, ["postgres-0", "postgres-1", "postgres-2"]);
    wait_until("canary crash-loops", || {
        store.list(kinds::POD, Some("payments")).iter().any(|p| {
            p["metadata"]["name"].as_str().is_some_and(|n| n.starts_with("payments-api-canary-"))
                && p["status"]["containerStatuses"][0]["restartCount"].as_i64().unwrap_or(0) >= 2
        })
    });
    let canary = store.get(kinds::DEPLOYMENT, Some("payments"), "payments-api-canary").unwrap();
    assert!(!available(&canary));
    let warnings = store.list(kinds::EVENT, Some("payments")).iter().filter(|e| e["type"] == "Warning" && e["reason"] == "BackOff").count();
    assert!(warnings >= 1, "BackOff warning recorded");
    backup_and_restore(&*store);
    rt.block_on(handle.shutdown());
}

fn phase(store: &dyn SimStore, kind: cabin::sim::store_api::ObjKind, name: &str) -> String {
    store.get(kind, Some("velero"), name).and_then(|o| o["status"]["phase"].as_str().map(str::to_string)).unwrap_or_default()
}

/// Velero against the real store: a backup of `payments` completes, and a restore brings back
/// a Deployment deleted after it.
fn backup_and_restore(store: &dyn SimStore) {
    let backup = json!({"apiVersion": "velero.io/v1", "kind": "Backup",
        "metadata": {"name": "pre-change-1", "namespace": "velero", "labels": {"change-id": "1"}},
        "spec": {"includedNamespaces": ["payments"], "storageLocation": "default"}});
    store.create(backup).unwrap();
    wait_until("backup completed", || phase(store, kinds::VELERO_BACKUP, "pre-change-1") == "Completed");
    store.delete(kinds::DEPLOYMENT, Some("payments"), "ledger").unwrap();
    let restore = json!({"apiVersion": "velero.io/v1", "kind": "Restore",
        "metadata": {"name": "undo-1", "namespace": "velero"}, "spec": {"backupName": "pre-change-1"}});
    store.create(restore).unwrap();
    wait_until("restore completed", || phase(store, kinds::VELERO_RESTORE, "undo-1") == "Completed");
    wait_until("ledger back and available", || store.get(kinds::DEPLOYMENT, Some("payments"), "ledger").is_some_and(|d| available(&d)));
}
