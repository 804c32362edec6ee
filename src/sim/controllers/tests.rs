use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::deployment::REVISION;
use super::fake_store::FakeStore;
use super::{Controllers, Wake, obj};
use crate::sim::scenario::Behavior;
use crate::sim::store_api::{SimStore, kinds};

pub(super) fn cluster() -> (FakeStore, Controllers) {
    let s = FakeStore::new();
    s.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})).unwrap();
    for n in ["node-1", "node-2"] {
        s.create(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n}})).unwrap();
    }
    let b = Behavior { bad_images: vec!["acme/crash".into()], ..Behavior::fast(0) };
    (s, Controllers::new(b))
}

/// Runs rounds until `pred` holds (deadline 10 s); `each` sees the store after every round.
pub(super) fn run_until(
    s: &FakeStore,
    c: &mut Controllers,
    what: &str,
    mut each: impl FnMut(&FakeStore),
    pred: impl Fn(&FakeStore) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        c.round(s, Wake { gc: true, ..Wake::default() });
        each(s);
        if pred(s) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

pub(super) fn until(s: &FakeStore, c: &mut Controllers, what: &str, pred: impl Fn(&FakeStore) -> bool) {
    run_until(s, c, what, |_| {}, pred);
}

pub(super) fn pods(s: &FakeStore) -> Vec<Value> {
    s.list(kinds::POD, Some("shop"))
}

pub(super) fn deploy(name: &str, image: &str, replicas: i64) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
        "spec": {"replicas": replicas, "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "app", "image": image}]}}}})
}

fn get_d(s: &FakeStore, name: &str) -> Value {
    s.get(kinds::DEPLOYMENT, Some("shop"), name).unwrap()
}

fn set_image(s: &FakeStore, name: &str, image: &str) {
    let mut d = get_d(s, name);
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
    s.update(d).unwrap();
}

fn rollout_done(s: &FakeStore, name: &str) -> bool {
    let d = get_d(s, name);
    let st = &d["status"];
    let want = d["spec"]["replicas"].as_i64().unwrap();
    st["observedGeneration"].as_i64() >= d["metadata"]["generation"].as_i64()
        && st["updatedReplicas"].as_i64().unwrap_or(0) >= want
        && st["replicas"].as_i64().unwrap_or(0) <= st["updatedReplicas"].as_i64().unwrap_or(0)
        && st["availableReplicas"].as_i64().unwrap_or(0) >= st["updatedReplicas"].as_i64().unwrap_or(0)
}

fn cond<'a>(o: &'a Value, kind: &str) -> &'a Value {
    o["status"]["conditions"].as_array().and_then(|a| a.iter().find(|c| c["type"] == kind)).unwrap_or(&Value::Null)
}

fn rs_by_rev(s: &FakeStore, rev: &str) -> Value {
    s.list(kinds::REPLICA_SET, Some("shop")).into_iter().find(|r| obj::annotation(r, REVISION) == Some(rev)).unwrap()
}

fn reasons(s: &FakeStore) -> Vec<String> {
    s.list(kinds::EVENT, Some("shop")).iter().map(|e| e["reason"].as_str().unwrap().to_string()).collect()
}

#[test]
fn replicaset_creates_pods_that_become_ready() {
    let (s, mut c) = cluster();
    let tpl = json!({"metadata": {"labels": {"app": "x"}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}});
    s.create(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "x-abc", "namespace": "shop"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "x"}}, "template": tpl}}))
        .unwrap();
    until(&s, &mut c, "3 ready", |s| s.get(kinds::REPLICA_SET, Some("shop"), "x-abc").unwrap()["status"]["readyReplicas"] == 3);
    let ps = pods(&s);
    assert_eq!(ps.len(), 3);
    for p in &ps {
        assert!(obj::name(p).starts_with("x-abc-") && obj::name(p).len() == "x-abc-".len() + 5);
        assert_eq!(p["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(p["status"]["phase"], "Running");
        assert_eq!(p["status"]["containerStatuses"][0]["ready"], true);
        assert!(p["spec"]["nodeName"].as_str().unwrap().starts_with("node-"));
    }
    let r = reasons(&s);
    for want in ["SuccessfulCreate", "Scheduled", "Pulling", "Pulled", "Created", "Started"] {
        assert!(r.iter().any(|x| x == want), "missing event {want}: {r:?}");
    }
    let mut rs = s.get(kinds::REPLICA_SET, Some("shop"), "x-abc").unwrap();
    rs["spec"]["replicas"] = json!(1);
    s.update(rs).unwrap();
    until(&s, &mut c, "scaled to 1", |s| pods(s).len() == 1);
    assert!(reasons(&s).iter().any(|x| x == "SuccessfulDelete"));
}

#[test]
fn deleted_pod_is_replaced_and_gc_cascades() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:1.27", 2)).unwrap();
    until(&s, &mut c, "web available", |s| rollout_done(s, "web"));
    let victim = obj::name(&pods(&s)[0]).to_string();
    s.delete(kinds::POD, Some("shop"), &victim).unwrap();
    until(&s, &mut c, "pod replaced", |s| pods(s).len() == 2 && pods(s).iter().all(|p| obj::name(p) != victim));
    s.delete(kinds::DEPLOYMENT, Some("shop"), "web").unwrap();
    until(&s, &mut c, "rs and pods gone", |s| pods(s).is_empty() && s.list(kinds::REPLICA_SET, None).is_empty());
}

#[test]
fn namespace_deletion_removes_its_objects() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:1.27", 1)).unwrap();
    until(&s, &mut c, "pod exists", |s| !pods(s).is_empty());
    let gone = s.delete(kinds::NAMESPACE, None, "shop").unwrap();
    let wake = Wake { gc: true, deleted_namespaces: vec![obj::name(&gone).to_string()] };
    c.round(&s, wake);
    assert!(s.list(kinds::DEPLOYMENT, None).is_empty() && pods(&s).is_empty() && s.list(kinds::EVENT, None).is_empty());
}

#[test]
fn deployment_creates_hashed_replicaset_and_completes() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:1.27", 3)).unwrap();
    until(&s, &mut c, "rollout", |s| rollout_done(s, "web") && cond(&get_d(s, "web"), "Progressing")["reason"] == "NewReplicaSetAvailable");
    let rs = rs_by_rev(&s, "1");
    let hash = rs["spec"]["template"]["metadata"]["labels"]["pod-template-hash"].as_str().unwrap().to_string();
    assert_eq!(obj::name(&rs), format!("web-{hash}"));
    assert_eq!(rs["spec"]["selector"]["matchLabels"]["pod-template-hash"], hash.as_str());
    let d = get_d(&s, "web");
    assert_eq!(obj::annotation(&d, REVISION), Some("1"));
    assert_eq!(d["status"]["availableReplicas"], 3);
    assert_eq!(cond(&d, "Available")["reason"], "MinimumReplicasAvailable");
    assert_eq!(cond(&d, "Available")["status"], "True");
    assert_eq!(cond(&d, "Progressing")["message"], format!("ReplicaSet \"web-{hash}\" has successfully progressed."));
    let scaled = s.list(kinds::EVENT, Some("shop")).into_iter().find(|e| e["reason"] == "ScalingReplicaSet").unwrap();
    assert_eq!(scaled["message"], format!("Scaled up replica set web-{hash} from 0 to 3"));
    assert_eq!(scaled["source"]["component"], "deployment-controller");
}

#[test]
fn rolling_update_respects_surge_and_undo_restores_revision() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:1.27", 4)).unwrap();
    until(&s, &mut c, "v1", |s| rollout_done(s, "web"));
    set_image(&s, "web", "nginx:1.28");
    let mut max_pods = 0;
    run_until(&s, &mut c, "v2", |s| max_pods = max_pods.max(pods(s).len()), |s| rollout_done(s, "web"));
    assert!(max_pods <= 5, "surge exceeded: {max_pods} pods");
    assert!(pods(&s).iter().all(|p| p["spec"]["containers"][0]["image"] == "nginx:1.28"));
    assert_eq!(rs_by_rev(&s, "1")["spec"]["replicas"], 0);
    assert_eq!(obj::annotation(&get_d(&s, "web"), REVISION), Some("2"));
    // what `kubectl rollout undo` does: copy revision 1's template without the hash label
    let mut tpl = rs_by_rev(&s, "1")["spec"]["template"].clone();
    tpl["metadata"]["labels"].as_object_mut().unwrap().remove("pod-template-hash");
    let old_name = obj::name(&rs_by_rev(&s, "1")).to_string();
    let mut d = get_d(&s, "web");
    d["spec"]["template"] = tpl;
    s.update(d).unwrap();
    until(&s, &mut c, "undo", |s| rollout_done(s, "web") && obj::annotation(&get_d(s, "web"), REVISION) == Some("3"));
    let rs = rs_by_rev(&s, "3");
    assert_eq!(obj::name(&rs), old_name, "the old ReplicaSet is reused");
    assert_eq!(obj::annotation(&rs, "deployment.kubernetes.io/revision-history"), Some("1"));
    assert_eq!(s.list(kinds::REPLICA_SET, Some("shop")).len(), 2);
}

#[test]
fn paused_deployment_does_not_roll_until_resumed() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:1.27", 2)).unwrap();
    until(&s, &mut c, "v1", |s| rollout_done(s, "web"));
    let mut d = get_d(&s, "web");
    d["spec"]["paused"] = json!(true);
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
    s.update(d).unwrap();
    until(&s, &mut c, "paused condition", |s| cond(&get_d(s, "web"), "Progressing")["reason"] == "DeploymentPaused");
    for _ in 0..5 {
        c.round(&s, Wake::default());
    }
    assert_eq!(s.list(kinds::REPLICA_SET, Some("shop")).len(), 1, "no new ReplicaSet while paused");
    let mut d = get_d(&s, "web");
    d["spec"]["paused"] = json!(false);
    s.update(d).unwrap();
    until(&s, &mut c, "resumed rollout", |s| rollout_done(s, "web") && s.list(kinds::REPLICA_SET, Some("shop")).len() == 2);
}

#[test]
fn recreate_scales_old_to_zero_first() {
    let (s, mut c) = cluster();
    let mut d = deploy("db", "redis:7.2", 2);
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    s.create(d).unwrap();
    until(&s, &mut c, "v1", |s| rollout_done(s, "db"));
    set_image(&s, "db", "redis:7.4");
    let mut mixed = false;
    run_until(
        &s,
        &mut c,
        "v2",
        |s| {
            let imgs: std::collections::BTreeSet<String> =
                pods(s).iter().map(|p| p["spec"]["containers"][0]["image"].to_string()).collect();
            mixed |= imgs.len() > 1;
        },
        |s| rollout_done(s, "db"),
    );
    assert!(!mixed, "old and new pods never run together");
}

#[test]
fn bad_image_crash_loops_and_deadline_is_exceeded() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:1.27", 2)).unwrap();
    until(&s, &mut c, "v1", |s| rollout_done(s, "web"));
    let mut d = get_d(&s, "web");
    d["spec"]["progressDeadlineSeconds"] = json!(1);
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("acme/crash:2.0");
    s.update(d).unwrap();
    until(&s, &mut c, "deadline exceeded", |s| cond(&get_d(s, "web"), "Progressing")["reason"] == "ProgressDeadlineExceeded");
    let d = get_d(&s, "web");
    assert_eq!(cond(&d, "Progressing")["status"], "False");
    assert!(cond(&d, "Progressing")["message"].as_str().unwrap().ends_with("has timed out progressing."));
    assert_eq!(d["status"]["availableReplicas"], 2, "old pods keep serving");
    until(&s, &mut c, "restarts grow", |s| {
        pods(s).iter().any(|p| p["status"]["containerStatuses"][0]["restartCount"].as_i64().unwrap_or(0) >= 2)
    });
    assert!(reasons(&s).iter().any(|r| r == "BackOff"));
}

#[test]
fn unknown_tag_alternates_pull_errors() {
    let (s, mut c) = cluster();
    s.create(deploy("web", "nginx:does-not-exist", 1)).unwrap();
    let waiting = |s: &FakeStore, r: &str| pods(s).iter().any(|p| p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == r);
    until(&s, &mut c, "ErrImagePull", |s| waiting(s, "ErrImagePull"));
    until(&s, &mut c, "ImagePullBackOff", |s| waiting(s, "ImagePullBackOff"));
    assert!(pods(&s).iter().all(|p| !obj::is_pod_ready(p)));
    assert!(reasons(&s).iter().any(|r| r == "Failed"));
}

#[test]
fn history_limit_deletes_oldest_idle_replicasets() {
    let (s, mut c) = cluster();
    let mut d = deploy("web", "nginx:1.0", 1);
    d["spec"]["revisionHistoryLimit"] = json!(1);
    s.create(d).unwrap();
    for v in ["nginx:1.1", "nginx:1.2", "nginx:1.3"] {
        until(&s, &mut c, "rollout", |s| rollout_done(s, "web"));
        set_image(&s, "web", v);
    }
    until(&s, &mut c, "cleanup", |s| rollout_done(s, "web") && s.list(kinds::REPLICA_SET, Some("shop")).len() == 2);
    let revs: Vec<i64> = s.list(kinds::REPLICA_SET, Some("shop")).iter().map(super::deployment::revision).collect();
    assert!(revs.contains(&4) && revs.contains(&3), "{revs:?}");
}

#[path = "tests_more.rs"]
mod more;

#[test]
fn cordoned_nodes_get_no_pods_and_no_nodes_means_failed_scheduling() {
    let (s, mut c) = cluster();
    let mut n2 = s.get(kinds::NODE, None, "node-2").unwrap();
    n2["spec"] = json!({"unschedulable": true});
    s.update(n2).unwrap();
    s.create(deploy("web", "nginx:1.27", 3)).unwrap();
    until(&s, &mut c, "v1", |s| rollout_done(s, "web"));
    assert!(pods(&s).iter().all(|p| p["spec"]["nodeName"] == "node-1"));
    let mut n1 = s.get(kinds::NODE, None, "node-1").unwrap();
    n1["spec"] = json!({"unschedulable": true});
    s.update(n1).unwrap();
    let victim = obj::name(&pods(&s)[0]).to_string();
    s.delete(kinds::POD, Some("shop"), &victim).unwrap();
    until(&s, &mut c, "FailedScheduling", |s| reasons(s).iter().any(|r| r == "FailedScheduling"));
    let pending = pods(&s).into_iter().find(|p| p["spec"]["nodeName"].is_null()).unwrap();
    assert_eq!(pending["status"]["phase"], "Pending");
}
