//! The one door for writes, against `cabin sim`: every mutating request goes through the
//! journalled writer (intent on disk first, outcome naming its intent and step), carries a
//! resourceVersion precondition, and nothing else can send one — the HTTP layer refuses it.
#[path = "support/cluster.rs"]
mod support;

use std::sync::Arc;

use cabin::cluster::ClusterError;
use cabin::cluster::mutate::set_image;
use cabin::cluster::write::{DEPLOYMENT, Mutation, ObjRef, PatchBody, Precondition, WriteError, WriteStep, Writer};
use cabin::journal::{Journal, JournalContext, SystemClock, read_entries};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use support::{conn, start_sim};

fn count(sim: &support::Sim, method: &str) -> usize {
    sim.handle.requests().iter().filter(|r| r.method == method).count()
}

fn journal_at(path: &std::path::Path) -> Arc<Journal> {
    Arc::new(Journal::open(path, JournalContext::local(), Box::new(SystemClock)).unwrap().0)
}

fn step(change: &str, step: &str) -> WriteStep {
    WriteStep {
        change: Some(change.to_string()),
        step: step.to_string(),
        kind: "rollout-step".to_string(),
        action: "set-image".to_string(),
        params: serde_json::json!({ "container": "app" }),
    }
}

async fn deployment_rv(c: &cabin::cluster::Connection, ns: &str, name: &str) -> String {
    let api: Api<Deployment> = Api::namespaced(c.client(), ns);
    api.get(name).await.unwrap().metadata.resource_version.unwrap()
}

#[tokio::test]
async fn outcome_names_its_intent_step_and_resource_versions() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let path = sim.dir.path().join("journal.jsonl");
    let writer = Writer::new(c.clone(), journal_at(&path));
    let before = deployment_rv(&c, "payments", "payments-api").await;
    let image = "ghcr.io/acme/payments-api:1.15.0";
    let written = set_image(&writer, &step("CHG-7", "canary"), "payments", "payments-api", "app", image).await.unwrap();
    // A 409 from a status-only update (controllers write status all the time) is retried with
    // the new resourceVersion: one PATCH lands, each attempt is journalled.
    let landed = sim.handle.requests().iter().filter(|r| r.method == "PATCH" && r.status == 200).count();
    assert_eq!(landed, 1);
    let after = written.resource_version.clone().unwrap();
    assert_ne!(before, after);

    let entries = read_entries(&path).unwrap();
    let mine: Vec<_> = entries.iter().filter(|e| e.change.as_deref() == Some("CHG-7")).collect();
    assert_eq!(mine.len(), 2 * count(&sim, "PATCH"), "an intent and an outcome per attempt: {mine:#?}");
    let (intent, outcome) = (mine[mine.len() - 2], mine[mine.len() - 1]);
    assert_eq!(intent.outcome.as_deref(), Some("intent"));
    assert_eq!(intent.details["step"], "canary");
    // The first attempt names the resourceVersion the writer read (the simulator's are numbers:
    // not older than the one this test read just before).
    let first: u64 = mine[0].targets[0].resource_version_before.as_deref().unwrap().parse().unwrap();
    assert!(first >= before.parse::<u64>().unwrap(), "decided on {first}, older than {before}");
    assert_eq!(outcome.outcome.as_deref(), Some("ok"));
    assert_eq!(outcome.details["step"], "canary");
    assert_eq!(outcome.details["intent"]["seq"], intent.seq);
    assert_eq!(outcome.details["intent"]["hash"], intent.hash.as_str());
    assert_eq!(written.intent, (intent.seq, intent.hash.clone()));
    assert_eq!(outcome.targets[0].resource_version_before, intent.targets[0].resource_version_before);
    assert_eq!(outcome.targets[0].resource_version_after.as_deref(), Some(after.as_str()));
    let api: Api<Deployment> = Api::namespaced(c.client(), "payments");
    let d = api.get("payments-api").await.unwrap();
    let image_now = d.spec.unwrap().template.spec.unwrap().containers[0].image.clone();
    assert_eq!(image_now.as_deref(), Some(image));
}

#[tokio::test]
async fn a_changed_object_is_never_overwritten() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let path = sim.dir.path().join("journal.jsonl");
    let writer = Writer::new(c.clone(), journal_at(&path));
    let api: Api<Deployment> = Api::namespaced(c.client(), "payments");
    let meta = api.get("payments-api").await.unwrap().metadata;
    let stale = (meta.resource_version.unwrap(), meta.generation);
    // Someone else changes it (through the writer too: nothing else may write).
    set_image(&writer, &step("OTHER", "x"), "payments", "payments-api", "app", "ghcr.io/acme/payments-api:9.9.9").await.unwrap();
    for patch in [
        PatchBody::Strategic(serde_json::json!({"spec": {"replicas": 7}})),
        PatchBody::Merge(serde_json::json!({"spec": {"replicas": 7}})),
        PatchBody::Json(serde_json::json!([{"op": "replace", "path": "/spec/replicas", "value": 7}])),
    ] {
        let pre = Precondition::spec(stale.0.clone(), stale.1);
        let m = Mutation::Patch { target: ObjRef::new(DEPLOYMENT, "payments", "payments-api"), patch, pre };
        let err = writer.apply(&step("CHG-9", "scale"), m).await.unwrap_err();
        assert!(matches!(err, WriteError::Conflict { .. }), "{err}");
        assert!(err.to_string().contains("changed under you"), "{err}");
    }
    let api: Api<Deployment> = Api::namespaced(c.client(), "payments");
    assert_ne!(api.get("payments-api").await.unwrap().spec.unwrap().replicas, Some(7), "no silent overwrite");
    let failed = read_entries(&path)
        .unwrap()
        .into_iter()
        .filter(|e| e.change.as_deref() == Some("CHG-9") && e.outcome.as_deref() == Some("failed"))
        .count();
    assert_eq!(failed, 3, "each refused write is journalled as failed");
}

#[tokio::test]
async fn setting_the_image_of_a_missing_container_is_refused() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let path = sim.dir.path().join("journal.jsonl");
    let writer = Writer::new(c.clone(), journal_at(&path));
    let err = set_image(&writer, &step("CHG-1", "canary"), "payments", "payments-api", "sidecar", "x:1").await.unwrap_err();
    assert!(err.to_string().contains("unable to find container named \"sidecar\""), "{err}");
    assert_eq!(count(&sim, "PATCH"), 0);
    let api: Api<Deployment> = Api::namespaced(c.client(), "payments");
    assert_eq!(api.get("payments-api").await.unwrap().spec.unwrap().template.spec.unwrap().containers.len(), 1);
}

#[tokio::test]
async fn no_journal_no_write() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let path = sim.dir.path().join("journal.jsonl");
    let journal = journal_at(&path);
    // Make the journal unwritable from now on (root too): replace the file by a directory.
    std::fs::remove_file(&path).unwrap();
    std::fs::create_dir(&path).unwrap();
    let err = set_image(&Writer::new(c, journal), &step("CHG-2", "canary"), "payments", "payments-api", "app", "x:2").await.unwrap_err();
    assert!(matches!(err, WriteError::NotJournalled(_)), "{err}");
    assert!(err.to_string().starts_with("not sent"), "{err}");
    assert_eq!(count(&sim, "PATCH"), 0, "nothing may reach the cluster without its journal entry");
}

#[tokio::test]
async fn refused_write_is_journalled_as_failed() {
    let sim = start_sim().await;
    let c = conn(&sim, None, true).await;
    let path = sim.dir.path().join("journal.jsonl");
    let err = set_image(&Writer::new(c, journal_at(&path)), &step("CHG-8", "canary"), "payments", "payments-api", "app", "x:2")
        .await
        .unwrap_err();
    assert!(matches!(err, WriteError::Cluster(ClusterError::ReadOnly(_))), "{err}");
    assert_eq!(count(&sim, "PATCH"), 0);
    let entries = read_entries(&path).unwrap();
    let outcome = entries.iter().rfind(|e| e.change.as_deref() == Some("CHG-8")).unwrap();
    assert_eq!(outcome.outcome.as_deref(), Some("failed"));
    assert!(outcome.details["error"].as_str().unwrap().contains("read-only"), "{:?}", outcome.details);
}

#[tokio::test]
async fn a_write_around_the_writer_never_leaves_the_process() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let api: Api<Deployment> = Api::namespaced(c.client(), "payments");
    let patch = serde_json::json!({"spec": {"replicas": 9}});
    let err = api.patch("payments-api", &PatchParams::default(), &Patch::Merge(&patch)).await.unwrap_err();
    let err = c.error(err);
    assert!(matches!(err, ClusterError::Unjournalled(_)), "{err}");
    assert!(err.to_string().contains("only through its journalled writer"), "{err}");
    let deleted = api.delete("payments-api", &Default::default()).await.unwrap_err();
    assert!(matches!(c.error(deleted), ClusterError::Unjournalled(_)));
    assert_eq!(count(&sim, "PATCH") + count(&sim, "DELETE"), 0);
    assert!(api.get("payments-api").await.is_ok(), "reads still work");
}

#[tokio::test]
async fn a_dry_run_sends_dry_run_only() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let path = sim.dir.path().join("journal.jsonl");
    let writer = Writer::new(c.clone(), journal_at(&path));
    let api: Api<Deployment> = Api::namespaced(c.client(), "payments");
    let meta = api.get("payments-api").await.unwrap().metadata;
    let rv = meta.resource_version.clone().unwrap();
    let m = Mutation::Patch {
        target: ObjRef::new(DEPLOYMENT, "payments", "payments-api"),
        patch: PatchBody::Strategic(serde_json::json!({"spec": {"replicas": 5}})),
        pre: Precondition::spec(rv.clone(), meta.generation),
    };
    let would_be = writer.dry_run(&m).await.unwrap();
    assert_eq!(would_be["spec"]["replicas"], 5);
    let now = api.get("payments-api").await.unwrap();
    assert_eq!(now.metadata.generation, meta.generation, "nothing persisted");
    assert_ne!(now.spec.unwrap().replicas, Some(5));
    let intents = read_entries(&path).unwrap().into_iter().filter(|e| e.outcome.as_deref() == Some("intent")).count();
    assert_eq!(intents, 0, "a dry run is not a write to journal");
}

/// The intent is on disk when the request arrives: a simulator hook reads the journal file at
/// the moment the PATCH reaches the server (not a timestamp comparison after the fact), and
/// every write carries `fieldManager=cabin`.
#[tokio::test]
async fn the_intent_is_on_disk_when_the_request_arrives() {
    use std::sync::{Arc as StdArc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let seen: StdArc<Mutex<Vec<(String, String, bool)>>> = StdArc::default();
    let (hook_seen, hook_path) = (seen.clone(), path.clone());
    let hook: cabin::sim::RequestHook = StdArc::new(move |r: &cabin::sim::RequestSummary| {
        if r.method == "PATCH" || r.method == "POST" && !r.path.contains("selfsubject") {
            let on_disk = std::fs::read_to_string(&hook_path).unwrap_or_default();
            let intent_there = on_disk.lines().any(|l| l.contains("\"outcome\":\"intent\"") && l.contains("\"CHG-77\""));
            hook_seen.lock().unwrap().push((r.method.clone(), r.query.clone(), intent_there));
        }
    });
    let mut scenario = cabin::sim::scenario::load("demo").unwrap();
    scenario.behavior = cabin::sim::scenario::Behavior::fast(40);
    let opts = cabin::sim::SimOptions { listen: "127.0.0.1:0".parse().unwrap(), scenario, on_request: Some(hook), ..Default::default() };
    let handle = cabin::sim::start(opts).await.unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, handle.kubeconfig_yaml()).unwrap();
    let c = cabin::cluster::connect(cabin::cluster::ConnectOptions { kubeconfig: Some(kubeconfig), context: None, read_only: false })
        .await
        .unwrap();
    let writer = Writer::new(c, journal_at(&path));
    set_image(&writer, &step("CHG-77", "canary"), "payments", "payments-api", "app", "ghcr.io/acme/payments-api:1.15.0").await.unwrap();
    let seen = seen.lock().unwrap().clone();
    let patches: Vec<_> = seen.iter().filter(|(m, _, _)| m == "PATCH").collect();
    // One PATCH, or more when a status-only conflict was retried: each one's intent was on disk.
    assert!(!patches.is_empty(), "{seen:?}");
    for p in &patches {
        assert!(p.2, "the intent entry was on disk when the PATCH arrived: {seen:?}");
        assert!(p.1.split('&').any(|q| q == "fieldManager=cabin"), "query: {}", p.1);
    }
    handle.shutdown().await;
}

/// Two backups (or restores) of a change within the same second: the second one gets `-2`
/// instead of failing on AlreadyExists.
#[tokio::test]
async fn a_taken_backup_or_restore_name_gets_a_suffix() {
    let sim = start_sim().await;
    let c = conn(&sim, None, false).await;
    let writer = Writer::new(c, journal_at(&sim.dir.path().join("journal.jsonl")));
    let spec = cabin::domain::change::VeleroBackup {
        included_namespaces: vec!["payments".into()],
        snapshot_volumes: None,
        ttl: std::time::Duration::from_secs(3600),
        storage_location: None,
    };
    let base = "pre-change-chg-9-20261130-080000";
    let first = cabin::cluster::velero::create_backup(&writer, "CHG-9", base, &spec).await.unwrap();
    let second = cabin::cluster::velero::create_backup(&writer, "CHG-9", base, &spec).await.unwrap();
    assert_eq!((first.as_str(), second.as_str()), (base, "pre-change-chg-9-20261130-080000-2"));
    let r1 = cabin::cluster::velero::create_restore(&writer, "CHG-9", "restore-chg-9-x", base).await.unwrap();
    let r2 = cabin::cluster::velero::create_restore(&writer, "CHG-9", "restore-chg-9-x", base).await.unwrap();
    assert_eq!((r1.as_str(), r2.as_str()), ("restore-chg-9-x", "restore-chg-9-x-2"));
}
