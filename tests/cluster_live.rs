//! The cluster layer and the engine against `cabin sim` over real HTTPS (port 0 per test).
#[path = "support/cluster.rs"]
mod support;

use cabin::cluster::ClusterError;
use cabin::model::{Command, ConnState, EngineEvent, ObjectKey, RolloutState, Scope};
use futures::StreamExt;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams};
use kube::runtime::watcher;
use support::{Ui, conn, start_sim};

#[tokio::test]
async fn kube_client_lists_and_watches_the_sim_over_https() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    assert_eq!(c.info().context, "sim");
    assert_eq!(c.info().cluster_url, sim.handle.url());
    assert!(!c.info().user.is_empty());
    let deployments: Api<Deployment> = Api::all(c.client());
    let list = deployments.list(&Default::default()).await.unwrap();
    assert!(list.items.iter().any(|d| d.metadata.name.as_deref() == Some("payments-api")));
    let mut stream = std::pin::pin!(watcher(deployments, watcher::Config::default()));
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next()).await.unwrap();
    assert!(matches!(first, Some(Ok(watcher::Event::Init))), "{first:?}");
}

#[tokio::test]
async fn snapshot_shows_the_demo_and_a_rollout_to_completion() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let mut ui = Ui::start(c.clone(), Scope::All);
    ui.wait(20, "live with payments-api ready", |ui| {
        ui.conn == ConnState::Live
            && ui.workload("payments", "payments-api").is_some_and(|w| w.ready == 3 && w.rollout == RolloutState::Complete)
    })
    .await;
    assert!(ui.seen.iter().any(|e| matches!(e, EngineEvent::Context(i) if i.context == "sim")));
    assert!(ui.snapshot.namespaces.iter().any(|n| n.name == "payments"));
    assert!(ui.snapshot.pods.iter().any(|p| p.namespace == "payments" && p.status == "Running"));

    let image = "ghcr.io/acme/payments-api:1.15.0";
    support::set_image(&c, "payments", "payments-api", "app", image).await.unwrap();
    let mut saw_progress = false;
    ui.wait(30, "rollout complete on the new image", |ui| {
        let Some(w) = ui.workload("payments", "payments-api") else { return false };
        let on_new = w.images.first().map(String::as_str) == Some(image);
        saw_progress |= on_new && w.rollout == RolloutState::Progressing;
        on_new && w.rollout == RolloutState::Complete && w.updated == 3 && w.available == 3
    })
    .await;
    assert!(saw_progress, "the rollout was never seen in progress");
    let _ = ui.commands.send(Command::Shutdown).await;
}

#[tokio::test]
async fn a_bad_image_shows_a_crash_looping_pod() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let mut ui = Ui::start(c.clone(), Scope::Namespace("payments".into()));
    ui.wait(20, "payments-worker complete", |ui| {
        ui.workload("payments", "payments-worker").is_some_and(|w| w.rollout == RolloutState::Complete && w.ready == 2)
    })
    .await;
    let image = format!("{}:2.0.0", support::CRASHING_IMAGE_REPO);
    support::set_image(&c, "payments", "payments-worker", "app", &image).await.unwrap();
    ui.wait(30, "a CrashLoopBackOff pod on the bad image", |ui| {
        ui.snapshot.pods.iter().any(|p| p.status == "CrashLoopBackOff" && p.containers.iter().any(|c| c.image == image && c.restarts > 0))
    })
    .await;
    let w = ui.workload("payments", "payments-worker").unwrap();
    assert_ne!(w.rollout, RolloutState::Complete, "{w:?}");
}

#[tokio::test]
async fn deleted_namespace_disappears() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let mut ui = Ui::start(c.clone(), Scope::All);
    ui.wait(20, "search namespace", |ui| ui.snapshot.namespaces.iter().any(|n| n.name == "search")).await;
    let api: Api<Namespace> = Api::all(support::other_actor(&sim).await);
    api.delete("search", &DeleteParams::default()).await.unwrap();
    ui.wait(30, "search namespace gone", |ui| {
        !ui.snapshot.namespaces.iter().any(|n| n.name == "search") && !ui.snapshot.workloads.iter().any(|w| w.namespace == "search")
    })
    .await;
    assert!(ui.snapshot.namespaces.iter().any(|n| n.name == "payments"));
}

#[tokio::test]
async fn scope_yaml_and_logs_through_commands() {
    let sim = start_sim().await;
    let mut ui = Ui::start(conn(&sim, None, false).await, Scope::All);
    ui.wait(20, "live", |ui| ui.conn == ConnState::Live && !ui.snapshot.workloads.is_empty()).await;
    ui.commands.send(Command::SetScope(Scope::Namespace("payments".into()))).await.unwrap();
    ui.wait(20, "only payments workloads", |ui| {
        !ui.snapshot.workloads.is_empty() && ui.snapshot.workloads.iter().all(|w| w.namespace == "payments")
    })
    .await;
    let key = ObjectKey { kind: "Deployment".into(), namespace: "payments".into(), name: "payments-api".into() };
    ui.commands.send(Command::FetchYaml(key.clone())).await.unwrap();
    ui.wait(10, "yaml", |ui| ui.seen.iter().any(|e| matches!(e, EngineEvent::Yaml { key: k, .. } if *k == key))).await;
    let yaml = ui.seen.iter().find_map(|e| match e {
        EngineEvent::Yaml { yaml, .. } => Some(yaml.clone()),
        _ => None,
    });
    let yaml = yaml.unwrap();
    assert!(yaml.contains("name: payments-api") && !yaml.contains("managedFields"), "{yaml}");
    // The pods' watch may list after the workloads' after the scope change: wait for one whose
    // container started (the simulator answers 400 for the logs of a container still waiting).
    let running = |p: &&std::sync::Arc<cabin::model::PodView>| p.namespace == "payments" && p.status == "Running";
    ui.wait(20, "a running payments pod", |ui| ui.snapshot.pods.iter().any(|p| running(&p))).await;
    let pod = ui.snapshot.pods.iter().find(running).map(|p| p.name.clone()).unwrap();
    let logs = Command::FetchLogs { namespace: "payments".into(), pod: pod.clone(), container: None };
    ui.commands.send(logs).await.unwrap();
    ui.wait(10, "logs", |ui| ui.seen.iter().any(|e| matches!(e, EngineEvent::Logs { pod: p, .. } if *p == pod))).await;
    let missing = ObjectKey { kind: "Pod".into(), namespace: "payments".into(), name: "nope".into() };
    ui.commands.send(Command::FetchYaml(missing)).await.unwrap();
    ui.wait(10, "not-found message", |ui| {
        ui.seen.iter().any(|e| matches!(e, EngineEvent::Message(m) if m.text.contains("cannot fetch Pod payments/nope")))
    })
    .await;
}

#[tokio::test]
async fn engine_reconnects_after_watches_fail() {
    let sim = start_sim().await;
    let mut ui = Ui::start(conn(&sim, None, false).await, Scope::All);
    ui.wait(20, "live", |ui| ui.conn == ConnState::Live).await;
    sim.handle.set_fault(Some(cabin::sim::Fault::Status(503)));
    sim.handle.set_fault(Some(cabin::sim::Fault::DropWatches));
    ui.wait(30, "reconnecting", |ui| matches!(ui.conn, ConnState::Reconnecting { .. })).await;
    sim.handle.set_fault(None);
    ui.wait(60, "live again", |ui| ui.conn == ConnState::Live).await;
}

#[tokio::test]
async fn viewer_write_gets_a_clear_forbidden() {
    let sim = start_sim().await;
    let viewer = conn(&sim, Some("sim-viewer"), false).await;
    assert_eq!(viewer.info().context, "sim-viewer");
    let err = support::set_image(&viewer, "payments", "payments-api", "app", "x:1").await.unwrap_err();
    assert!(matches!(err, cabin::cluster::write::WriteError::Cluster(ClusterError::Forbidden { .. })), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("forbidden (403)") && text.contains("sim-viewer"), "{text}");
}

#[tokio::test]
async fn switch_context_reconnects_and_a_bad_name_is_a_message() {
    let sim = start_sim().await;
    let mut ui = Ui::start(conn(&sim, None, false).await, Scope::All);
    ui.wait(20, "live", |ui| ui.conn == ConnState::Live).await;
    ui.commands.send(Command::SwitchContext("nope".into())).await.unwrap();
    ui.wait(10, "unknown-context message", |ui| {
        ui.seen.iter().any(|e| matches!(e, EngineEvent::Message(m) if m.text.contains("cannot switch to context \"nope\"") && m.text.contains("sim-viewer")))
    })
    .await;
    ui.commands.send(Command::SwitchContext("sim-viewer".into())).await.unwrap();
    ui.wait(10, "viewer context", |ui| ui.seen.iter().any(|e| matches!(e, EngineEvent::Context(i) if i.context == "sim-viewer"))).await;
    ui.wait(20, "live as viewer", |ui| ui.conn == ConnState::Live && !ui.snapshot.workloads.is_empty()).await;
}

/// At scale the initial lists flood the engine's signal channel; the "listed" signals must
/// still arrive, or the header would say "connecting…" forever although all data is there.
#[tokio::test]
async fn a_large_cluster_becomes_live() {
    let mut scenario = cabin::sim::scenario::generate(2000);
    scenario.behavior = cabin::sim::scenario::Behavior::fast(20);
    let sim = support::start_sim_with(scenario).await;
    let mut ui = Ui::start(conn(&sim, None, true).await, Scope::All);
    ui.wait(90, "live with all pods", |ui| ui.conn == ConnState::Live && ui.snapshot.pods.len() >= 1800).await;
}

/// `:ctx` re-applies the target context's readOnly (flag, per-context config, fail closed),
/// in both directions, and says why.
#[tokio::test]
async fn switching_context_re_applies_its_read_only_setting() {
    let sim = start_sim().await;
    let (config, warnings) = cabin::config::Config::from_user_yaml("contexts:\n  sim-viewer:\n    readOnly: true\n", "test");
    assert!(warnings.is_empty());
    let policy = cabin::config::ReadOnlyPolicy { flag: false, config };
    let opts = cabin::engine::EngineOptions { read_only: Some(policy), ..Default::default() };
    let (commands, events) = cabin::engine::spawn_with(conn(&sim, None, false).await, Scope::All, opts);
    let mut ui = Ui { events, commands, snapshot: Default::default(), conn: ConnState::Connecting, seen: Vec::new() };
    let context = |ui: &Ui, name: &str| {
        ui.seen.iter().rev().find_map(|e| match e {
            EngineEvent::Context(i) if i.context == name => Some(i.clone()),
            _ => None,
        })
    };
    ui.commands.send(Command::SwitchContext("sim-viewer".into())).await.unwrap();
    ui.wait(10, "viewer context", |ui| context(ui, "sim-viewer").is_some()).await;
    let viewer = context(&ui, "sim-viewer").unwrap();
    assert!(viewer.read_only, "the target context's readOnly: true applies");
    assert!(viewer.read_only_reason.as_deref().unwrap_or_default().contains("contexts.sim-viewer.readOnly"), "{viewer:?}");
    ui.seen.clear();
    ui.commands.send(Command::SwitchContext("sim".into())).await.unwrap();
    ui.wait(10, "back to sim", |ui| context(ui, "sim").is_some()).await;
    let back = context(&ui, "sim").unwrap();
    assert!(!back.read_only && back.read_only_reason.is_none(), "{back:?}");
}
