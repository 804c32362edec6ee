//! Read-only proof against `cabin sim`: with --read-only, the engine and attempted writes
//! produce zero mutating requests at the server.
#[path = "support/cluster.rs"]
mod support;

use cabin::cluster::ClusterError;
use cabin::model::{Command, ConnState, ObjectKey, Scope};
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, PostParams};
use support::{Ui, conn, start_sim};

fn is_read(method: &str, path: &str) -> bool {
    method == "GET" || method == "HEAD" || (method == "POST" && path.starts_with("/apis/authentication.k8s.io/v1/selfsubjectreviews"))
}

#[tokio::test]
async fn read_only_sends_no_mutating_request() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    assert!(c.info().read_only);
    let mut ui = Ui::start(c.clone(), Scope::All);
    ui.wait(20, "live", |ui| ui.conn == ConnState::Live && !ui.snapshot.workloads.is_empty()).await;

    let err = support::set_image(&c, "payments", "payments-api", "app", "x:2").await.unwrap_err();
    assert!(matches!(err, cabin::cluster::write::WriteError::Cluster(ClusterError::ReadOnly(_))), "{err:?}");
    assert!(err.to_string().contains("cabin is read-only: refused PATCH"), "{err}");

    let namespaces: Api<Namespace> = Api::all(c.client());
    let err = c.error(namespaces.delete("payments", &DeleteParams::default()).await.unwrap_err());
    assert!(matches!(err, ClusterError::ReadOnly(_)), "{err:?}");
    let mut ns = Namespace::default();
    ns.metadata.name = Some("sneaky".into());
    let err = c.error(namespaces.create(&PostParams::default(), &ns).await.unwrap_err());
    assert!(matches!(err, ClusterError::ReadOnly(_)), "{err:?}");

    let key = ObjectKey { kind: "Deployment".into(), namespace: "payments".into(), name: "payments-api".into() };
    ui.commands.send(Command::FetchYaml(key)).await.unwrap();
    ui.commands.send(Command::SetScope(Scope::Namespace("payments".into()))).await.unwrap();
    ui.wait(20, "payments scope", |ui| ui.snapshot.workloads.iter().all(|w| w.namespace == "payments")).await;
    ui.wait(10, "yaml", |ui| ui.seen.iter().any(|e| matches!(e, cabin::model::EngineEvent::Yaml { .. }))).await;

    let requests = sim.handle.requests();
    assert!(requests.len() > 10, "the sim saw only {} requests", requests.len());
    assert!(
        requests.iter().any(|r| r.method == "GET" && r.verb == "watch"),
        "no watch request reached the sim: {:?}",
        requests.iter().map(|r| (&r.verb, &r.path)).collect::<Vec<_>>()
    );
    let mutating: Vec<_> = requests.iter().filter(|r| !is_read(&r.method, &r.path)).map(|r| format!("{} {}", r.method, r.path)).collect();
    assert!(mutating.is_empty(), "mutating requests reached the sim: {mutating:?}");
    assert!(!sim.handle.requests().iter().any(|r| r.path.contains("sneaky")));
}

#[tokio::test]
async fn without_read_only_the_same_write_reaches_the_server() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    assert!(!c.info().read_only);
    support::set_image(&c, "payments", "payments-api", "app", "ghcr.io/acme/payments-api:1.15.0").await.unwrap();
    assert!(sim.handle.requests().iter().any(|r| r.method == "PATCH" && r.path.ends_with("/deployments/payments-api")));
}
