//! StatefulSet and Velero controller tests.
use serde_json::json;

use super::{cluster, deploy, pods, run_until, until};
use crate::sim::controllers::fake_store::FakeStore;
use crate::sim::controllers::{Controllers, obj};
use crate::sim::store_api::{SimStore, kinds};

fn sts_pods(s: &FakeStore) -> Vec<(String, String, bool)> {
    pods(s)
        .iter()
        .map(|p| (obj::name(p).to_string(), p["spec"]["containers"][0]["image"].as_str().unwrap().to_string(), obj::is_pod_ready(p)))
        .collect()
}

#[test]
fn statefulset_orders_pods_and_honours_partition() {
    let (s, mut c) = cluster();
    s.create(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "pg", "namespace": "shop"},
        "spec": {"replicas": 3, "serviceName": "pg", "selector": {"matchLabels": {"app": "pg"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1}},
            "template": {"metadata": {"labels": {"app": "pg"}}, "spec": {"containers": [{"name": "pg", "image": "postgres:16.4"}]}}}}))
        .unwrap();
    let mut order = Vec::new();
    run_until(
        &s,
        &mut c,
        "3 ready",
        |s| {
            for (n, _, _) in sts_pods(s) {
                if !order.contains(&n) {
                    order.push(n);
                }
            }
        },
        |s| s.get(kinds::STATEFUL_SET, Some("shop"), "pg").unwrap()["status"]["readyReplicas"] == 3,
    );
    assert_eq!(order, ["pg-0", "pg-1", "pg-2"]);
    let sts = s.get(kinds::STATEFUL_SET, Some("shop"), "pg").unwrap();
    assert_eq!(sts["status"]["currentRevision"], sts["status"]["updateRevision"]);
    let mut next = sts.clone();
    next["spec"]["template"]["spec"]["containers"][0]["image"] = json!("postgres:16.5");
    s.update(next).unwrap();
    until(&s, &mut c, "partitioned update", |s| {
        let st = s.get(kinds::STATEFUL_SET, Some("shop"), "pg").unwrap()["status"].clone();
        st["updatedReplicas"] == 2 && st["readyReplicas"] == 3
    });
    let imgs: Vec<String> = sts_pods(&s).into_iter().map(|(_, i, _)| i).collect();
    assert_eq!(imgs, ["postgres:16.4", "postgres:16.5", "postgres:16.5"]);
    let st = s.get(kinds::STATEFUL_SET, Some("shop"), "pg").unwrap()["status"].clone();
    assert_ne!(st["currentRevision"], st["updateRevision"]);
    assert_eq!(s.list(kinds::CONTROLLER_REVISION, Some("shop")).len(), 2);
}

fn velero_setup(bsl_phase: &str) -> (FakeStore, Controllers) {
    let (s, c) = cluster();
    s.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "velero"}})).unwrap();
    let bsl = s
        .create(
            json!({"apiVersion": "velero.io/v1", "kind": "BackupStorageLocation", "metadata": {"name": "default", "namespace": "velero"}}),
        )
        .unwrap();
    let mut bsl = bsl;
    bsl["status"] = json!({"phase": bsl_phase});
    s.update_status(bsl).unwrap();
    (s, c)
}

fn phase(s: &FakeStore, kind: crate::sim::store_api::ObjKind, name: &str) -> String {
    s.get(kind, Some("velero"), name).map(|o| o["status"]["phase"].as_str().unwrap_or_default().to_string()).unwrap_or_default()
}

#[test]
fn velero_backup_completes_and_restore_recreates_deleted_objects() {
    let (s, mut c) = velero_setup("Available");
    s.create(deploy("web", "nginx:1.27", 1)).unwrap();
    s.create(json!({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "pre-change", "namespace": "velero", "labels": {"change-id": "c1"}},
        "spec": {"includedNamespaces": ["shop"]}})).unwrap();
    until(&s, &mut c, "backup completed", |s| phase(s, kinds::VELERO_BACKUP, "pre-change") == "Completed");
    let b = s.get(kinds::VELERO_BACKUP, Some("velero"), "pre-change").unwrap();
    assert_eq!(b["status"]["progress"]["itemsBackedUp"], 1);
    assert!(b["status"]["startTimestamp"].is_string() && b["status"]["completionTimestamp"].is_string());
    s.delete(kinds::DEPLOYMENT, Some("shop"), "web").unwrap();
    s.create(json!({"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": {"name": "undo-c1", "namespace": "velero"},
        "spec": {"backupName": "pre-change"}}))
        .unwrap();
    until(&s, &mut c, "restore completed", |s| phase(s, kinds::VELERO_RESTORE, "undo-c1") == "Completed");
    assert!(s.get(kinds::DEPLOYMENT, Some("shop"), "web").is_some(), "deleted deployment restored");
}

#[test]
fn velero_backup_fails_validation_without_available_location() {
    let (s, mut c) = velero_setup("Unavailable");
    s.create(json!({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b1", "namespace": "velero"}, "spec": {}}))
        .unwrap();
    s.create(json!({"apiVersion": "velero.io/v1", "kind": "Backup", "metadata": {"name": "b2", "namespace": "velero"}, "spec": {"storageLocation": "nope"}})).unwrap();
    until(&s, &mut c, "failed validation", |s| {
        phase(s, kinds::VELERO_BACKUP, "b1") == "FailedValidation" && phase(s, kinds::VELERO_BACKUP, "b2") == "FailedValidation"
    });
    let b2 = s.get(kinds::VELERO_BACKUP, Some("velero"), "b2").unwrap();
    assert!(b2["status"]["validationErrors"][0].as_str().unwrap().contains("\"nope\""));
    s.create(json!({"apiVersion": "velero.io/v1", "kind": "Restore", "metadata": {"name": "r1", "namespace": "velero"}, "spec": {"backupName": "b1"}})).unwrap();
    until(&s, &mut c, "restore refused", |s| phase(s, kinds::VELERO_RESTORE, "r1") == "FailedValidation");
}

#[test]
fn argocd_application_health_follows_its_namespace() {
    let (s, mut c) = cluster();
    s.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "argocd"}})).unwrap();
    s.create(json!({"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": {"name": "shop", "namespace": "argocd"},
        "spec": {"project": "default", "destination": {"namespace": "shop"}}}))
        .unwrap();
    s.create(deploy("web", "nginx:1.27", 2)).unwrap();
    let health = |s: &FakeStore| {
        s.get(kinds::APPLICATION, Some("argocd"), "shop").unwrap()["status"]["health"]["status"].as_str().unwrap_or_default().to_string()
    };
    until(&s, &mut c, "healthy", |s| health(s) == "Healthy" && pods(s).iter().all(obj::is_pod_ready) && pods(s).len() == 2);
    let mut d = s.get(kinds::DEPLOYMENT, Some("shop"), "web").unwrap();
    d["spec"]["progressDeadlineSeconds"] = json!(1);
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("acme/crash:1");
    s.update(d).unwrap();
    until(&s, &mut c, "progressing", |s| health(s) == "Progressing");
    until(&s, &mut c, "degraded", |s| health(s) == "Degraded");
    let app = s.get(kinds::APPLICATION, Some("argocd"), "shop").unwrap();
    assert!(app["status"]["resources"][0]["health"]["message"].as_str().unwrap().contains("exceeded its progress deadline"));
}

/// The loop's idle decision: a rolled-out cluster has nothing busy and nothing due (the loop
/// sleeps until a change or the resync); pods ready but not yet available for
/// minReadySeconds ask for a round when they will be, and that round counts them available.
#[test]
fn rounds_are_due_only_when_time_can_change_something() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:1.27", 2)).unwrap();
    until(&s, &mut c, "rolled out", |s| s.get(kinds::DEPLOYMENT, Some("shop"), "web").unwrap()["status"]["availableReplicas"] == 2);
    c.round(&s, super::super::Wake::default());
    assert!(!c.busy() && c.until_due().is_none(), "a settled cluster has no timed work");

    let mut slow = deploy("slow", "nginx:1.27", 1);
    slow["spec"]["minReadySeconds"] = json!(2);
    s.create(slow).unwrap();
    let rs_of_slow = |s: &FakeStore| s.list(kinds::REPLICA_SET, Some("shop")).into_iter().find(|r| obj::name(r).starts_with("slow-"));
    until(&s, &mut c, "slow's pod ready", |s| rs_of_slow(s).is_some_and(|r| r["status"]["readyReplicas"] == 1));
    // Ready (at a whole second, at most 1 s ago) but not yet for 2 s.
    assert_eq!(rs_of_slow(&s).unwrap()["status"].get("availableReplicas"), None);
    let due = c.until_due().expect("a round is due when the pod becomes available");
    assert!(due <= std::time::Duration::from_millis(2_100), "{due:?}");
    std::thread::sleep(due);
    c.round(&s, super::super::Wake::default());
    assert_eq!(rs_of_slow(&s).unwrap()["status"]["availableReplicas"], 1);
}
