//! The change clock against `cabin sim` with a real Argo CD-shaped setup made by the real
//! kubectl: an Application (argoproj.io/v1alpha1, project production) and a Deployment that
//! carries Argo CD's tracking label. The engine watches both; the decision names the
//! Application and its project and matches the Application's name and destination.
#[path = "common/mod.rs"]
mod common;

use std::time::Duration;

use cabin::cluster::{ConnectOptions, connect};
use cabin::domain::windows::clock::{ClockState, change_clock};
use cabin::domain::windows::freeze::ChangeTarget;
use cabin::domain::windows::workload::{ClusterRef, Decider, Workload};
use cabin::engine::windows_feed::WindowsFeed;
use cabin::engine::{EngineOptions, spawn_with};
use cabin::model::{EngineEvent, Scope, WorkloadView};

const MANIFESTS: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: storefront}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: shop-frontend, namespace: argocd}
spec:
  project: production
  destination: {server: "https://kubernetes.default.svc", namespace: storefront}
  source: {repoURL: "https://git.example/shop.git", path: frontend, targetRevision: main}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: storefront
  labels: {app.kubernetes.io/instance: shop-frontend}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "nginx:1.27"}]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_workload_tracked_by_an_application_is_decided_by_its_project() {
    let sim = common::start_sim("demo").await;
    let file = sim.write_file("argo.yaml", MANIFESTS);
    sim.kubectl_ok(&["apply", "-f", &file.display().to_string()]);
    let got = sim.kubectl_ok(&["get", "applications.argoproj.io", "-n", "argocd", "shop-frontend", "-o", "jsonpath={.spec.project}"]);
    assert_eq!(got, "production", "the simulator serves argoproj.io Applications");

    let conn = connect(ConnectOptions { kubeconfig: Some(sim.kubeconfig.clone()), context: None, read_only: true })
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    let (_commands, mut events) = spawn_with(conn, Scope::All, EngineOptions::default());

    // Wait (with a deadline) until the engine has both the Application and the workload.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let (mut feed, mut workload): (Option<WindowsFeed>, Option<WorkloadView>) = (None, None);
    while feed.is_none() || workload.is_none() {
        let ev = tokio::time::timeout_at(deadline, events.recv()).await;
        match ev {
            Ok(Some(EngineEvent::Windows(f))) if f.applications.iter().any(|a| a.name == "shop-frontend") => feed = Some(*f),
            Ok(Some(EngineEvent::Snapshot(s))) => {
                workload = s
                    .workloads
                    .into_iter()
                    .find(|w| w.namespace == "storefront" && w.name == "web")
                    .map(std::sync::Arc::unwrap_or_clone)
                    .or(workload);
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                panic!("no Application/workload from the engine in time (feed: {}, workload: {})", feed.is_some(), workload.is_some())
            }
        }
    }
    let (feed, view) = (feed.unwrap_or_default(), workload.unwrap_or_else(|| panic!("workload")));
    assert_eq!(view.tracking.instance_label.as_deref(), Some("shop-frontend"));

    let w =
        Workload { group: "apps".into(), kind: "Deployment".into(), namespace: view.namespace, name: view.name, tracking: view.tracking };
    let now = chrono::Utc::now();
    let d = feed.decide(&w, &ClusterRef { server: sim.url(), name: "sim".into() }, now);
    assert_eq!(d.decider(), Decider::Application { app: "argocd/shop-frontend".into(), project: "production".into() });
    assert_eq!(d.target.name, "shop-frontend");
    assert_eq!(d.target.server, "https://kubernetes.default.svc");
    assert_eq!(d.target.namespace, "storefront");
    // The verdict is the project's windows evaluated for the Application (never UNKNOWN here).
    let expected =
        change_clock(feed.windows_of("production"), &feed.freezes, &ChangeTarget { app: d.target.clone(), labels: Vec::new() }, now);
    assert!(!matches!(d.verdict, ClockState::Unknown { .. }), "{:?}", d.verdict);
    assert_eq!(d.verdict, expected);
    assert!(!feed.windows_of("production").is_empty(), "the demo project has windows");
    sim.handle.shutdown().await;
}
