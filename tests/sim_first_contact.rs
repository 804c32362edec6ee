//! What a new kubectl user meets first: the system namespaces, `kube-root-ca.crt` and the
//! `default` ServiceAccount in every namespace, a clear "not supported by cabin sim" for exec /
//! attach / port-forward / proxy (Forbidden first for the viewer), and error Statuses that
//! carry `details` like a real apiserver's.
mod common;

use std::time::Duration;

use cabin::sim::scenario::{Behavior, Scenario};
use common::{TestSim, http, start_sim_with, text, wait_until};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn scenario() -> Scenario {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}),
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "box", "namespace": "shop"},
            "spec": {"containers": [{"name": "c", "image": "busybox:1.36"}]}}),
    ];
    Scenario { objects, behavior: Behavior::fast(20), faults: None }
}

fn names(sim: &TestSim, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let v: Value = serde_json::from_str(&sim.kubectl_ok(&all)).expect("JSON");
    v["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| {
            format!("{}/{}", o["metadata"]["namespace"].as_str().unwrap_or_default(), o["metadata"]["name"].as_str().unwrap_or_default())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_cluster_has_system_namespaces_ca_and_default_service_accounts() {
    let sim = start_sim_with(scenario()).await;
    let ns = names(&sim, &["get", "namespaces"]);
    for n in ["/default", "/kube-system", "/kube-public", "/kube-node-lease", "/shop"] {
        assert!(ns.contains(&n.to_string()), "{n} in {ns:?}");
    }
    sim.kubectl_ok(&["create", "namespace", "later"]);
    let all_ns = ["default", "kube-system", "kube-public", "kube-node-lease", "shop", "later"];
    wait_until(WAIT, "kube-root-ca.crt and the default ServiceAccount in every namespace", || {
        let cms = names(&sim, &["get", "configmaps", "-A", "--field-selector", "metadata.name=kube-root-ca.crt"]);
        let sas = names(&sim, &["get", "serviceaccounts", "-A"]);
        all_ns.iter().all(|n| cms.contains(&format!("{n}/kube-root-ca.crt")) && sas.contains(&format!("{n}/default")))
    })
    .await;
    let cm: Value = serde_json::from_str(&sim.kubectl_ok(&["-n", "later", "get", "cm", "kube-root-ca.crt", "-o", "json"])).expect("JSON");
    assert_eq!(cm["data"]["ca.crt"].as_str(), Some(sim.ca_pem().as_str()), "the CA the kubeconfig trusts");
    // The contexts' namespace is `default`: creating there without -n works.
    let f = sim.write_file("cm.json", &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "hello"}}).to_string());
    let out = sim.kubectl_ok(&["apply", "-f", &f.to_string_lossy()]);
    assert!(out.contains("configmap/hello created"), "{out}");
    let sa_table = sim.kubectl_ok(&["-n", "shop", "get", "sa"]);
    assert!(sa_table.lines().next().is_some_and(|h| h.split_whitespace().collect::<Vec<_>>() == ["NAME", "SECRETS", "AGE"]), "{sa_table}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_subresources_say_they_are_not_supported() {
    let sim = start_sim_with(scenario()).await;
    wait_until(WAIT, "the pod runs", || sim.kubectl_ok(&["-n", "shop", "get", "pod", "box"]).contains("Running")).await;
    let exec = sim.kubectl(&["-n", "shop", "exec", "box", "--", "ls"]);
    assert!(!exec.status.success());
    assert!(text(&exec.stderr).contains("pods/exec is not supported by cabin sim"), "{}", text(&exec.stderr));
    let viewer = sim.kubectl_as_viewer(&["-n", "shop", "exec", "box", "--", "ls"]);
    assert!(text(&viewer.stderr).contains("User \"viewer\" cannot create resource \"pods/exec\""), "{}", text(&viewer.stderr));
    let attach = sim.kubectl(&["-n", "shop", "attach", "box"]);
    assert!(text(&attach.stderr).contains("not supported by cabin sim"), "{}", text(&attach.stderr));
    let pf = sim.kubectl(&["-n", "shop", "port-forward", "pod/box", "18080:80"]);
    assert!(text(&pf.stderr).contains("pods/portforward is not supported by cabin sim"), "{}", text(&pf.stderr));
    let proxy = sim.kubectl(&["get", "--raw", "/api/v1/nodes/node-1/proxy/stats/summary"]);
    assert!(text(&proxy.stderr).contains("nodes/proxy is not supported by cabin sim"), "{}", text(&proxy.stderr));
    let viewer_proxy = sim.kubectl_as_viewer(&["get", "--raw", "/api/v1/namespaces/shop/pods/box/proxy/"]);
    assert!(text(&viewer_proxy.stderr).contains("cannot get resource \"pods/proxy\""), "{}", text(&viewer_proxy.stderr));

    // Error Statuses carry details.
    let token = sim.token("operator");
    let unknown = http::request(&sim, "GET", "/api/v1/bogus", Some(&token), None, b"").await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.json()["message"], "the server could not find the requested resource");
    assert!(unknown.json()["details"].is_object(), "{}", unknown.body);
    let missing = http::request(&sim, "GET", "/api/v1/namespaces/shop/pods/nope", Some(&token), None, b"").await;
    assert_eq!(missing.json()["details"], json!({"name": "nope", "group": "", "kind": "pods"}));
}
