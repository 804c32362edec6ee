//! Velero restores, judged with the real kubectl: without `existingResourcePolicy` an object
//! that exists is skipped; with `update` the backed-up Deployment's spec really comes back
//! (and the controller rolls the pods back); objects added after the backup stay.
mod common;

use std::time::Duration;

use cabin::sim::scenario::{Behavior, Scenario};
use common::{TestSim, start_sim_with, wait_until};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn scenario() -> Scenario {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "velero"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}),
        json!({"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": {"name": "default", "namespace": "velero"},
            "spec": {"provider": "aws", "default": true, "objectStorage": {"bucket": "b"}}, "status": {"phase": "Available"}}),
        json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": "shop"}, "data": {"LEVEL": "info"}}),
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}),
    ];
    Scenario { objects, behavior: Behavior::fast(20), faults: None }
}

fn get(sim: &TestSim, ns: &str, what: &str) -> Value {
    serde_json::from_str(&sim.kubectl_ok(&["-n", ns, "get", what, "-o", "json"])).expect("kubectl prints JSON")
}

fn image(sim: &TestSim) -> String {
    get(sim, "shop", "deploy/web")["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap_or_default().to_string()
}

async fn create_and_wait(sim: &TestSim, name: &str, obj: Value) -> Value {
    let f = sim.write_file(&format!("{name}.json"), &obj.to_string());
    sim.kubectl_ok(&["create", "-f", &f.to_string_lossy()]);
    let what = format!("{}/{name}", obj["kind"].as_str().unwrap_or_default().to_lowercase());
    wait_until(WAIT, &format!("{what} Completed"), || get(sim, "velero", &what)["status"]["phase"] == "Completed").await;
    get(sim, "velero", &what)
}

fn restore(name: &str, policy: Option<&str>) -> Value {
    let mut r = json!({"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": {"name": name, "namespace": "velero"},
        "spec": {"backupName": "pre-change-chg-1", "includedNamespaces": ["shop"]}});
    if let Some(p) = policy {
        r["spec"]["existingResourcePolicy"] = json!(p);
    }
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restore_skips_existing_objects_unless_asked_to_update() {
    let sim = start_sim_with(scenario()).await;
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    let backup = json!({"apiVersion": "velero.io/v1", "kind": "Backup",
        "metadata": {"name": "pre-change-chg-1", "namespace": "velero", "labels": {"change-id": "CHG-1"}},
        "spec": {"includedNamespaces": ["shop"], "snapshotVolumes": true, "ttl": "720h0m0s"}});
    create_and_wait(&sim, "pre-change-chg-1", backup).await;

    // The change: a new image, a deleted ConfigMap, and an object that did not exist before.
    sim.kubectl_ok(&["-n", "shop", "set", "image", "deploy/web", "app=nginx:1.28"]);
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    sim.kubectl_ok(&["-n", "shop", "delete", "configmap", "settings"]);
    sim.kubectl_ok(&["-n", "shop", "create", "configmap", "added-later", "--from-literal=x=1"]);

    let skipped = create_and_wait(&sim, "keep", restore("keep", None)).await;
    assert_eq!(image(&sim), "nginx:1.28", "a restore without existingResourcePolicy leaves an existing Deployment alone");
    assert!(skipped["status"]["warnings"].as_i64().unwrap_or(0) >= 1, "skipped objects are warnings: {}", skipped["status"]);
    let settings = get(&sim, "shop", "configmap/settings");
    assert_eq!(settings["data"]["LEVEL"], "info", "a missing object is re-created");
    assert_eq!(settings["metadata"]["labels"]["velero.io/restore-name"], "keep");

    let updated = create_and_wait(&sim, "overwrite", restore("overwrite", Some("update"))).await;
    assert!(updated["status"]["progress"]["itemsRestored"].as_i64().unwrap_or(0) >= 1, "{}", updated["status"]);
    assert_eq!(image(&sim), "nginx:1.27", "existingResourcePolicy: update overwrites the Deployment's spec");
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    wait_until(WAIT, "the pods run the backed-up image again", || {
        let pods = get(&sim, "shop", "pods");
        let items = pods["items"].as_array().cloned().unwrap_or_default();
        items.len() == 2 && items.iter().all(|p| p["spec"]["containers"][0]["image"] == "nginx:1.27")
    })
    .await;
    get(&sim, "shop", "configmap/added-later"); // a restore never removes what was added after the backup
}
