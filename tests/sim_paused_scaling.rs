//! The Deployment controller while paused, judged with the real kubectl: proportional scaling
//! still runs (sync.go `scale`, GetProportion with the max-replicas annotation, leftovers to
//! the largest ReplicaSet), a template change makes no new ReplicaSet, resume continues.
mod common;

use std::time::Duration;

use cabin::sim::scenario::{Behavior, Scenario};
use common::{TestSim, start_sim_with, wait_until};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn scenario() -> Scenario {
    let mut objects = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})];
    for n in ["node-1", "node-2"] {
        objects.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}));
    }
    objects.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"replicas": 4, "progressDeadlineSeconds": 600, "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}));
    let behavior = Behavior { bad_images: vec!["ghcr.io/acme/broken".into()], ..Behavior::fast(20) };
    Scenario { objects, behavior, faults: None }
}

fn kubectl_json(sim: &TestSim, args: &[&str]) -> Value {
    let mut all = vec!["-n", "shop"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    serde_json::from_str(&sim.kubectl_ok(&all)).expect("kubectl -o json prints JSON")
}

/// (image, spec.replicas, desired-replicas, max-replicas) per ReplicaSet, sorted by image.
fn replica_sets(sim: &TestSim) -> Vec<(String, i64, String, String)> {
    let list = kubectl_json(sim, &["get", "rs"]);
    let ann = |rs: &Value, k: &str| rs["metadata"]["annotations"][k].as_str().unwrap_or_default().to_string();
    let mut out: Vec<_> = list["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|rs| {
            (
                rs["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap_or_default().to_string(),
                rs["spec"]["replicas"].as_i64().unwrap_or(-1),
                ann(rs, "deployment.kubernetes.io/desired-replicas"),
                ann(rs, "deployment.kubernetes.io/max-replicas"),
            )
        })
        .collect();
    out.sort();
    out
}

fn sizes(sim: &TestSim) -> Vec<(String, i64)> {
    replica_sets(sim).into_iter().map(|(i, n, _, _)| (i, n)).collect()
}

async fn wait_for_sizes(sim: &TestSim, want: &[(&str, i64)]) {
    let want: Vec<(String, i64)> = want.iter().map(|(i, n)| (i.to_string(), *n)).collect();
    let what = format!("ReplicaSets sized {want:?}");
    let mut last = Vec::new();
    let ok = tokio::time::timeout(WAIT, async {
        loop {
            last = sizes(sim);
            if last == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(ok.is_ok(), "timed out waiting for {what}; last seen {last:?}");
}

const OLD: &str = "nginx:1.27";
const BAD: &str = "ghcr.io/acme/broken:2";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_deployment_scales_proportionally_like_the_real_controller() {
    let sim = start_sim_with(scenario()).await;
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    // A rollout whose new pod never becomes available holds at old 4 / new 1 (maxSurge 1,
    // maxUnavailable 0), the state the spec's worked example starts from.
    sim.kubectl_ok(&["-n", "shop", "set", "image", "deploy/web", &format!("app={BAD}")]);
    wait_for_sizes(&sim, &[(BAD, 1), (OLD, 4)]).await;
    sim.kubectl_ok(&["-n", "shop", "rollout", "pause", "deploy/web"]);
    wait_until(WAIT, "the Progressing condition says DeploymentPaused", || {
        let d = kubectl_json(&sim, &["get", "deploy", "web"]);
        d["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["reason"] == "DeploymentPaused")
    })
    .await;

    sim.kubectl_ok(&["-n", "shop", "scale", "deploy/web", "--replicas=8"]);
    wait_for_sizes(&sim, &[(BAD, 2), (OLD, 7)]).await;
    let annotated: Vec<(String, String)> = replica_sets(&sim).into_iter().map(|(_, _, d, m)| (d, m)).collect();
    assert_eq!(annotated, vec![("8".to_string(), "9".to_string()); 2], "both ReplicaSets carry the new desired/max replicas");

    // Back down while still paused: -4 spread as old -3, new -1.
    sim.kubectl_ok(&["-n", "shop", "scale", "deploy/web", "--replicas=4"]);
    wait_for_sizes(&sim, &[(BAD, 1), (OLD, 4)]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paused_template_change_makes_no_replica_set_until_resume() {
    let sim = start_sim_with(scenario()).await;
    sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    sim.kubectl_ok(&["-n", "shop", "rollout", "pause", "deploy/web"]);
    sim.kubectl_ok(&["-n", "shop", "set", "image", "deploy/web", "app=nginx:1.28"]);
    wait_until(WAIT, "the controller observed the paused template change", || {
        let d = kubectl_json(&sim, &["get", "deploy", "web"]);
        d["status"]["observedGeneration"] == d["metadata"]["generation"]
            && d["status"]["conditions"].as_array().into_iter().flatten().any(|c| c["reason"] == "DeploymentPaused")
    })
    .await;
    assert_eq!(sizes(&sim), vec![(OLD.to_string(), 4)], "a paused Deployment creates no ReplicaSet for a new template");

    sim.kubectl_ok(&["-n", "shop", "rollout", "resume", "deploy/web"]);
    let out = sim.kubectl_ok(&["-n", "shop", "rollout", "status", "deploy/web", "--timeout=60s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    wait_for_sizes(&sim, &[(OLD, 0), ("nginx:1.28", 4)]).await;
}
