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

fn image(sim: &common::TestSim, ns: &str, name: &str) -> String {
    let d: Value = serde_json::from_str(&sim.kubectl_ok(&["-n", ns, "get", "deploy", name, "-o", "json"])).unwrap_or_default();
    d["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap_or_default().to_string()
}

fn app(sim: &common::TestSim, name: &str) -> Value {
    serde_json::from_str(&sim.kubectl_ok(&["-n", "argocd", "get", "application", name, "-o", "json"])).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_heal_reverts_changes_outside_git_and_manual_apps_drift() {
    let sim = start_sim("demo").await;
    let (payments_before, checkout_before) = (image(&sim, "payments", "payments-api"), image(&sim, "checkout", "checkout-web"));
    wait_until(Duration::from_secs(30), "the Applications saw their workloads", || {
        app(&sim, "checkout")["status"]["resources"].as_array().is_some_and(|r| !r.is_empty())
            && app(&sim, "payments")["status"]["resources"].as_array().is_some_and(|r| !r.is_empty())
    })
    .await;
    // A change outside git to the manually synced app: it drifts and stays changed.
    sim.kubectl_ok(&["-n", "payments", "set", "image", "deploy/payments-api", "app=ghcr.io/acme/payments-api:1.15.0"]);
    wait_until(Duration::from_secs(30), "payments is OutOfSync", || app(&sim, "payments")["status"]["sync"]["status"] == "OutOfSync").await;
    // The same to the auto-synced, self-healing app: Argo CD puts git's template back.
    sim.kubectl_ok(&["-n", "checkout", "set", "image", "deploy/checkout-web", "app=ghcr.io/acme/checkout-web:9.9.9"]);
    wait_until(Duration::from_secs(40), "checkout-web healed back to git", || image(&sim, "checkout", "checkout-web") == checkout_before)
        .await;
    let checkout = app(&sim, "checkout");
    assert_eq!(checkout["status"]["operationState"]["phase"], "Succeeded", "{}", checkout["status"]);
    assert_eq!(checkout["status"]["operationState"]["operation"]["initiatedBy"]["automated"], true);
    wait_until(Duration::from_secs(30), "checkout Synced again", || app(&sim, "checkout")["status"]["sync"]["status"] == "Synced").await;
    // Healing checkout took longer than the self-heal delay: payments would have healed too.
    assert_ne!(image(&sim, "payments", "payments-api"), payments_before);
    assert_eq!(app(&sim, "payments")["status"]["sync"]["status"], "OutOfSync");
    let out = sim.kubectl_ok(&["-n", "checkout", "rollout", "status", "deploy/checkout-web", "--timeout=60s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
}
