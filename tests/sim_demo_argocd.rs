//! The demo's Argo CD Applications, read with the real kubectl: workloads carry the tracking
//! label of the Application that manages them; `checkout` is auto-synced with prune and
//! self-heal, `payments` (the demo's ready change target) is not.
mod common;

use std::time::Duration;

use common::{start_sim, wait_until};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_applications_track_their_workloads() {
    let sim = start_sim("demo").await;
    let table = sim.kubectl_ok(&["-n", "argocd", "get", "applications.argoproj.io"]);
    let header: Vec<&str> = table.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["NAME", "SYNC", "STATUS", "HEALTH", "STATUS", "AGE"], "{table}");
    let apps: Value = serde_json::from_str(&sim.kubectl_ok(&["-n", "argocd", "get", "applications", "-o", "json"])).expect("JSON");
    let app = |name: &str| apps["items"].as_array().into_iter().flatten().find(|a| a["metadata"]["name"] == name).cloned();
    let checkout = app("checkout").expect("Application checkout");
    assert_eq!(checkout["spec"]["syncPolicy"]["automated"], serde_json::json!({"prune": true, "selfHeal": true}));
    assert_eq!(checkout["spec"]["destination"]["server"], "https://kubernetes.default.svc");
    let payments = app("payments").expect("Application payments");
    assert!(payments["spec"]["syncPolicy"]["automated"].is_null(), "payments must not be auto-synced");
    assert_eq!(payments["spec"]["project"], "production");

    for (ns, want) in [("payments", "payments"), ("checkout", "checkout"), ("search", "search"), ("platform", "platform")] {
        let list: Value = serde_json::from_str(&sim.kubectl_ok(&["-n", ns, "get", "deploy,sts", "-o", "json"])).expect("JSON");
        for o in list["items"].as_array().into_iter().flatten() {
            assert_eq!(o["metadata"]["labels"]["app.kubernetes.io/instance"], want, "{ns}/{}", o["metadata"]["name"]);
        }
    }
    let selected = sim.kubectl_ok(&["get", "deploy", "-A", "-l", "app.kubernetes.io/instance=checkout", "-o", "name"]);
    let names: Vec<&str> = selected.lines().collect();
    assert_eq!(
        names,
        ["deployment.apps/cart", "deployment.apps/checkout-api", "deployment.apps/checkout-web", "deployment.apps/redis"],
        "{selected}"
    );

    // Health follows the tracked workloads only: security-patches tracks none in platform.
    wait_until(Duration::from_secs(30), "Application payments lists its Deployments", || {
        let a: Value =
            serde_json::from_str(&sim.kubectl_ok(&["-n", "argocd", "get", "application", "payments", "-o", "json"])).unwrap_or_default();
        let names: Vec<&str> = a["status"]["resources"].as_array().into_iter().flatten().filter_map(|r| r["name"].as_str()).collect();
        names.contains(&"payments-api") && !names.contains(&"checkout-web")
    })
    .await;
    let sec: Value =
        serde_json::from_str(&sim.kubectl_ok(&["-n", "argocd", "get", "application", "security-patches", "-o", "json"])).expect("JSON");
    assert!(sec["status"]["resources"].as_array().is_none_or(|r| r.is_empty()), "{}", sec["status"]);
}
