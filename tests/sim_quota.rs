//! ResourceQuota `status.used` kept current, LimitRange defaults on pods, and quota admission
//! with the apiserver's "exceeded quota" message — for kubectl's own creates and for the pods
//! the ReplicaSet controller makes.
mod common;

use std::time::Duration;

use cabin::sim::scenario::{Behavior, Scenario};
use common::{TestSim, start_sim_with, text};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn deployment(name: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}})
}

fn scenario() -> Scenario {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}),
        json!({"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "defaults", "namespace": "shop"},
            "spec": {"limits": [{"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"}}]}}),
        json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute", "namespace": "shop"},
            "spec": {"hard": {"pods": "4", "requests.cpu": "1", "requests.memory": "1Gi", "limits.memory": "2Gi",
                "count/deployments.apps": "2"}}}),
        deployment("web", 3),
    ];
    Scenario { objects, behavior: Behavior::fast(20), faults: None }
}

fn get_json(sim: &TestSim, args: &[&str]) -> Value {
    let mut all = vec!["-n", "shop"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    serde_json::from_str(&sim.kubectl_ok(&all)).expect("kubectl prints JSON")
}

async fn wait_used(sim: &TestSim, want: Value) {
    let mut last = Value::Null;
    let ok = tokio::time::timeout(WAIT, async {
        loop {
            last = get_json(sim, &["get", "quota", "compute"])["status"].clone();
            if last["used"] == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ok.is_ok(), "quota used: want {want}, last status {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quota_usage_and_admission_match_the_apiserver() {
    let sim = start_sim_with(scenario()).await;
    wait_used(
        &sim,
        json!({"count/deployments.apps": "1", "limits.memory": "768Mi", "pods": "3", "requests.cpu": "300m", "requests.memory": "384Mi"}),
    )
    .await;
    let st = get_json(&sim, &["get", "quota", "compute"])["status"].clone();
    assert_eq!(st["hard"]["requests.memory"], "1Gi");
    let table = sim.kubectl_ok(&["-n", "shop", "get", "quota"]);
    assert!(table.contains("pods: 3/4") && table.contains("limits.memory: 768Mi/2Gi"), "{table}");

    let pod = &get_json(&sim, &["get", "pods", "-l", "app=web"])["items"][0];
    assert_eq!(
        pod["spec"]["containers"][0]["resources"],
        json!({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "256Mi"}})
    );
    assert_eq!(
        pod["metadata"]["annotations"]["kubernetes.io/limit-ranger"],
        "LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app"
    );

    // The ReplicaSet controller's pods pass through quota admission too.
    sim.kubectl_ok(&["-n", "shop", "scale", "deploy/web", "--replicas=6"]);
    wait_used(
        &sim,
        json!({"count/deployments.apps": "1", "limits.memory": "1Gi", "pods": "4", "requests.cpu": "400m", "requests.memory": "512Mi"}),
    )
    .await;
    let failed = tokio::time::timeout(WAIT, async {
        loop {
            let evs = get_json(&sim, &["get", "events", "--field-selector", "reason=FailedCreate"]);
            if let Some(m) = evs["items"].as_array().into_iter().flatten().find_map(|e| e["message"].as_str().map(str::to_string)) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("the ReplicaSet records FailedCreate");
    assert!(failed.starts_with("Error creating: pods \"web-"), "{failed}");
    assert!(failed.ends_with("\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=4, limited: pods=4"), "{failed}");

    // kubectl's own creates get the 403.
    let extra = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "extra", "namespace": "shop"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}});
    let f = sim.write_file("pod.json", &extra.to_string());
    let out = sim.kubectl(&["create", "-f", &f.to_string_lossy()]);
    assert!(!out.status.success());
    let want = "pods \"extra\" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=4, limited: pods=4";
    assert!(text(&out.stderr).contains(want), "{}", text(&out.stderr));

    let d2 = sim.write_file("d2.json", &deployment("api", 0).to_string());
    sim.kubectl_ok(&["create", "-f", &d2.to_string_lossy()]);
    let d3 = sim.write_file("d3.json", &deployment("batch", 0).to_string());
    let out = sim.kubectl(&["create", "-f", &d3.to_string_lossy()]);
    let want = "deployments.apps \"batch\" is forbidden: exceeded quota: compute, requested: count/deployments.apps=1, used: count/deployments.apps=2, limited: count/deployments.apps=2";
    assert!(text(&out.stderr).contains(want), "{}", text(&out.stderr));

    // Usage follows scale-downs.
    sim.kubectl_ok(&["-n", "shop", "scale", "deploy/web", "--replicas=2"]);
    wait_used(
        &sim,
        json!({"count/deployments.apps": "2", "limits.memory": "512Mi", "pods": "2", "requests.cpu": "200m", "requests.memory": "256Mi"}),
    )
    .await;
}
