//! PodDisruptionBudget status as the disruption controller computes it and `pods/eviction`
//! honouring it, judged with the real kubectl (`get pdb`, `drain`) and raw evictions.
mod common;

use std::time::Duration;

use cabin::sim::scenario::{Behavior, Scenario};
use common::{TestSim, http, start_sim_with, text, wait_until};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);
const VIOLATES: &str = "Cannot evict pod as it would violate the pod's disruption budget.";

fn deployment(name: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}})
}

fn pdb(name: &str, budget: Value) -> Value {
    let mut spec = budget;
    spec["selector"] = json!({"matchLabels": {"app": name}});
    json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": "shop"}, "spec": spec})
}

fn scenario() -> Scenario {
    let mut objects = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})];
    for n in ["node-1", "node-2", "node-3"] {
        objects.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}));
    }
    objects.extend([deployment("web", 3), deployment("api", 4), deployment("half", 3), deployment("strict", 2)]);
    objects.push(pdb("web", json!({"minAvailable": 2})));
    objects.push(pdb("api", json!({"maxUnavailable": "25%"})));
    objects.push(pdb("half", json!({"minAvailable": "50%"})));
    objects.push(pdb("strict", json!({"minAvailable": 2})));
    Scenario { objects, behavior: Behavior::fast(20), faults: None }
}

fn pdb_status(sim: &TestSim, name: &str) -> Value {
    let o: Value = serde_json::from_str(&sim.kubectl_ok(&["-n", "shop", "get", "pdb", name, "-o", "json"])).expect("JSON");
    o["status"].clone()
}

/// (expectedPods, desiredHealthy, currentHealthy, disruptionsAllowed)
fn numbers(st: &Value) -> (i64, i64, i64, i64) {
    let n = |k: &str| st[k].as_i64().unwrap_or(-1);
    (n("expectedPods"), n("desiredHealthy"), n("currentHealthy"), n("disruptionsAllowed"))
}

async fn wait_numbers(sim: &TestSim, name: &str, want: (i64, i64, i64, i64)) {
    let mut last = Value::Null;
    let ok = tokio::time::timeout(WAIT, async {
        loop {
            last = pdb_status(sim, name);
            if numbers(&last) == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ok.is_ok(), "PDB {name}: want (expected, desired, current, allowed) = {want:?}, last status {last}");
}

fn pods_of(sim: &TestSim, app: &str) -> Vec<Value> {
    let l: Value =
        serde_json::from_str(&sim.kubectl_ok(&["-n", "shop", "get", "pods", "-l", &format!("app={app}"), "-o", "json"])).expect("JSON");
    l["items"].as_array().cloned().unwrap_or_default()
}

async fn evict(sim: &TestSim, pod: &str) -> http::Reply {
    let body = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": pod, "namespace": "shop"}});
    let path = format!("/api/v1/namespaces/shop/pods/{pod}/eviction");
    http::request(sim, "POST", &path, Some(&sim.token("operator")), Some("application/json"), body.to_string().as_bytes()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_report_status_and_gate_evictions() {
    let sim = start_sim_with(scenario()).await;
    wait_numbers(&sim, "web", (3, 2, 3, 1)).await;
    wait_numbers(&sim, "api", (4, 3, 4, 1)).await;
    wait_numbers(&sim, "half", (3, 2, 3, 1)).await;
    wait_numbers(&sim, "strict", (2, 2, 2, 0)).await;
    let st = pdb_status(&sim, "web");
    assert_eq!(st["observedGeneration"], 1);
    assert_eq!(st["conditions"][0]["type"], "DisruptionAllowed");
    assert_eq!((st["conditions"][0]["status"].as_str(), st["conditions"][0]["reason"].as_str()), (Some("True"), Some("SufficientPods")));
    let table = sim.kubectl_ok(&["-n", "shop", "get", "pdb", "strict"]);
    assert!(table.lines().nth(1).is_some_and(|l| l.split_whitespace().collect::<Vec<_>>()[..4] == ["strict", "2", "N/A", "0"]), "{table}");

    // The budget allows one eviction: the first one takes it, the second gets the 429.
    let pods = pods_of(&sim, "web");
    let names: Vec<&str> = pods.iter().filter_map(|p| p["metadata"]["name"].as_str()).collect();
    let first = evict(&sim, names[0]).await;
    assert_eq!(first.status, 201, "{}", first.body);
    let second = evict(&sim, names[1]).await;
    assert_eq!(second.status, 429, "{}", second.body);
    let body = second.json();
    assert_eq!((body["reason"].as_str(), body["message"].as_str()), (Some("TooManyRequests"), Some(VIOLATES)));
    let cause = body["details"]["causes"][0].clone();
    assert_eq!(cause["reason"], "DisruptionBudget");
    assert!(cause["message"].as_str().is_some_and(|m| m.starts_with("The disruption budget web needs 2 healthy pods and has")), "{cause}");
    assert!(pods_of(&sim, "web").iter().any(|p| p["metadata"]["name"] == names[1]), "a refused eviction deletes nothing");
    // The ReplicaSet replaces the evicted pod; the budget recovers.
    wait_numbers(&sim, "web", (3, 2, 3, 1)).await;

    // The viewer may not evict.
    let path = format!("/api/v1/namespaces/shop/pods/{}/eviction", names[1]);
    let denied = http::request(&sim, "POST", &path, Some(&sim.token("viewer")), Some("application/json"), b"{}").await;
    assert_eq!(denied.status, 403, "{}", denied.body);
}

fn node_of(sim: &TestSim, app: &str) -> String {
    pods_of(sim, app).first().and_then(|p| p["spec"]["nodeName"].as_str()).unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_drain_respects_budgets() {
    let sim = start_sim_with(scenario()).await;
    wait_numbers(&sim, "strict", (2, 2, 2, 0)).await;
    wait_numbers(&sim, "web", (3, 2, 3, 1)).await;
    let node = node_of(&sim, "strict");
    assert!(!node.is_empty(), "strict's pods are scheduled");
    let blocked = sim.kubectl(&["drain", &node, "--ignore-daemonsets", "--timeout=3s"]);
    assert!(!blocked.status.success(), "drain must not pass a budget that allows no disruption");
    assert!(text(&blocked.stderr).contains(VIOLATES), "{}", text(&blocked.stderr));
    assert!(pods_of(&sim, "strict").iter().any(|p| p["spec"]["nodeName"] == node.as_str()), "strict's pod is still on {node}");

    // Relax the budget: the drain completes, every pod leaves the node, the budgets end healthy.
    sim.kubectl_ok(&["-n", "shop", "patch", "pdb", "strict", "--type=merge", "-p", r#"{"spec":{"minAvailable":1}}"#]);
    wait_numbers(&sim, "strict", (2, 1, 2, 1)).await;
    let out = sim.kubectl_ok(&["drain", &node, "--ignore-daemonsets", "--timeout=90s"]);
    assert!(out.contains("drained"), "{out}");
    wait_until(WAIT, "no pod left on the drained node", || {
        ["web", "api", "half", "strict"].iter().all(|a| pods_of(&sim, a).iter().all(|p| p["spec"]["nodeName"] != node.as_str()))
    })
    .await;
    wait_numbers(&sim, "strict", (2, 1, 2, 1)).await;
    wait_numbers(&sim, "web", (3, 2, 3, 1)).await;
}
