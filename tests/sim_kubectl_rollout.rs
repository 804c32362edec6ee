//! Real `kubectl` against `cabin sim`: rollouts, history, undo, pause/resume, scale, pod and
//! deployment deletion, `wait`, and a rollout to a bad image exceeding its progress deadline.
//! The simulator's controllers must leave objects exactly as the real ones do.
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use cabin::sim::scenario::{Behavior, Scenario};
use cabin::sim::{SimHandle, SimOptions};
use serde_json::{Value, json};

struct Sim {
    _handle: SimHandle,
    _rt: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

fn scenario() -> Scenario {
    let mut objects = vec![json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})];
    for n in ["node-1", "node-2"] {
        objects.push(json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": n},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}));
    }
    objects.push(
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
        "spec": {"replicas": 3, "progressDeadlineSeconds": 600, "revisionHistoryLimit": 10,
            "selector": {"matchLabels": {"app": "web"}},
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}),
    );
    objects.push(json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "db", "namespace": "shop"},
        "spec": {"replicas": 2, "serviceName": "db", "selector": {"matchLabels": {"app": "db"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
            "template": {"metadata": {"labels": {"app": "db"}}, "spec": {"containers": [{"name": "pg", "image": "postgres:16.4"}]}}}}));
    let behavior = Behavior { bad_images: vec!["ghcr.io/acme/broken".into()], ..Behavior::fast(20) };
    Scenario { objects, behavior, faults: None }
}

fn start() -> Sim {
    assert!(
        Command::new("kubectl").arg("version").arg("--client").output().is_ok_and(|o| o.status.success()),
        "kubectl is not installed or not on PATH: these tests use the real kubectl as the judge; install it and rerun"
    );
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let opts = SimOptions {
        listen: "127.0.0.1:0".parse().unwrap(),
        scenario: scenario(),
        request_log: None,
        kubeconfig_out: Some(kubeconfig.clone()),
        ..Default::default()
    };
    let handle = rt.block_on(cabin::sim::start(opts)).unwrap();
    Sim { _handle: handle, _rt: rt, _dir: dir, kubeconfig }
}

impl Sim {
    fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl").arg("--kubeconfig").arg(&self.kubeconfig).args(["-n", "shop"]).args(args).output().unwrap()
    }

    /// Runs kubectl, asserts success, returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        let stdout = String::from_utf8_lossy(&out.stdout).to_string();
        assert!(out.status.success(), "kubectl {args:?} failed: {}{stdout}", String::from_utf8_lossy(&out.stderr));
        stdout
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    fn replicasets(&self) -> Vec<Value> {
        self.json(&["get", "rs"])["items"].as_array().cloned().unwrap_or_default()
    }

    /// The pods of Deployment `web`.
    fn pods(&self) -> Vec<Value> {
        self.pods_of("app=web")
    }

    fn pods_of(&self, selector: &str) -> Vec<Value> {
        self.json(&["get", "pods", "-l", selector])["items"].as_array().cloned().unwrap_or_default()
    }

    fn rollout_done(&self) {
        let out = self.ok(&["rollout", "status", "deploy/web", "--timeout=60s"]);
        assert!(out.contains("successfully rolled out"), "{out}");
    }
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn revision(o: &Value) -> &str {
    o["metadata"]["annotations"]["deployment.kubernetes.io/revision"].as_str().unwrap_or_default()
}

#[test]
fn set_image_history_and_undo_end_like_the_real_controller() {
    let sim = start();
    sim.rollout_done();
    sim.ok(&["set", "image", "deploy/web", "app=nginx:1.28"]);
    sim.rollout_done();
    let pods = sim.pods();
    assert_eq!(pods.len(), 3);
    assert!(pods.iter().all(|p| p["spec"]["containers"][0]["image"] == "nginx:1.28"));
    let history = sim.ok(&["rollout", "history", "deploy/web"]);
    let revs: Vec<&str> = history.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(revs.contains(&"1") && revs.contains(&"2"), "{history}");
    let rev1 = sim.ok(&["rollout", "history", "deploy/web", "--revision=1"]);
    assert!(rev1.contains("nginx:1.27") && !rev1.contains("nginx:1.28"), "{rev1}");

    let out = sim.ok(&["rollout", "undo", "deploy/web"]);
    assert!(out.contains("rolled back"), "{out}");
    sim.rollout_done();
    let d = sim.json(&["get", "deploy/web"]);
    assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
    assert!(d["spec"]["template"]["metadata"]["labels"].get("pod-template-hash").is_none());
    wait_until("revision 3", || revision(&sim.json(&["get", "deploy/web"])) == "3");
    let rss = sim.replicasets();
    let templates: Vec<String> = rss.iter().map(|r| r["spec"]["template"].to_string()).collect();
    assert_eq!(rss.len(), 2, "undo reuses the old ReplicaSet: {templates:#?} deploy {}", d["spec"]["template"]);
    let back = rss.iter().find(|r| revision(r) == "3").unwrap();
    assert_eq!(back["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
    assert_eq!(back["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"], "1");
    assert_eq!(back["spec"]["replicas"], 3);
    let other = rss.iter().find(|r| revision(r) == "2").unwrap();
    assert_eq!(other["spec"]["replicas"], 0);
    let history = sim.ok(&["rollout", "history", "deploy/web"]);
    let revs: Vec<&str> = history.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(revs.contains(&"2") && revs.contains(&"3") && !revs.contains(&"1"), "{history}");
}

#[test]
fn pause_holds_the_rollout_until_resume() {
    let sim = start();
    sim.rollout_done();
    sim.ok(&["rollout", "pause", "deploy/web"]);
    sim.ok(&["set", "image", "deploy/web", "app=nginx:1.29"]);
    wait_until("paused condition", || {
        let d = sim.json(&["get", "deploy/web"]);
        d["status"]["conditions"].as_array().is_some_and(|c| c.iter().any(|c| c["reason"] == "DeploymentPaused"))
    });
    assert_eq!(sim.replicasets().len(), 1, "no new ReplicaSet while paused");
    assert!(sim.pods().iter().all(|p| p["spec"]["containers"][0]["image"] == "nginx:1.27"));
    sim.ok(&["rollout", "resume", "deploy/web"]);
    sim.rollout_done();
    assert!(sim.pods().iter().all(|p| p["spec"]["containers"][0]["image"] == "nginx:1.29"));
    assert_eq!(sim.replicasets().len(), 2);
}

#[test]
fn scale_replace_deleted_pod_and_cascade_delete() {
    let sim = start();
    let out = sim.ok(&["wait", "--for=condition=Available", "deploy/web", "--timeout=60s"]);
    assert!(out.contains("condition met"), "{out}");
    sim.ok(&["scale", "deploy/web", "--replicas=5"]);
    wait_until("5 ready", || sim.json(&["get", "deploy/web"])["status"]["readyReplicas"] == 5);
    let victim = sim.pods()[0]["metadata"]["name"].as_str().unwrap().to_string();
    sim.ok(&["delete", "pod", &victim, "--wait=false"]);
    wait_until("replacement pod", || {
        let pods = sim.pods();
        pods.len() == 5 && pods.iter().all(|p| p["metadata"]["name"] != victim.as_str())
    });
    sim.rollout_done();
    sim.ok(&["delete", "deploy", "web", "--wait=false"]);
    wait_until("ReplicaSets and pods gone", || sim.replicasets().is_empty() && sim.pods().is_empty());
    assert_eq!(sim.pods_of("app=db").len(), 2, "other workloads untouched");
}

#[test]
fn bad_image_rollout_exceeds_progress_deadline() {
    let sim = start();
    sim.rollout_done();
    sim.ok(&["patch", "deploy/web", "--type=merge", "-p", r#"{"spec":{"progressDeadlineSeconds":2}}"#]);
    sim.ok(&["set", "image", "deploy/web", "app=ghcr.io/acme/broken:2.0"]);
    let out = sim.kubectl(&["rollout", "status", "deploy/web", "--timeout=60s"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "rollout to a crashing image must fail");
    assert!(stderr.contains("exceeded its progress deadline"), "{stderr}");
    let d = sim.json(&["get", "deploy/web"]);
    let progressing = d["status"]["conditions"].as_array().unwrap().iter().find(|c| c["type"] == "Progressing").unwrap().clone();
    assert_eq!(progressing["status"], "False");
    assert_eq!(progressing["reason"], "ProgressDeadlineExceeded");
    wait_until("crash loop", || {
        sim.pods().iter().any(|p| p["status"]["containerStatuses"][0]["state"]["waiting"]["reason"] == "CrashLoopBackOff")
    });
}

#[test]
fn statefulset_rollout_history_and_undo() {
    let sim = start();
    let sts_images = || -> Vec<String> {
        let mut v: Vec<(String, String)> = sim
            .pods_of("app=db")
            .iter()
            .map(|p| {
                (p["metadata"]["name"].as_str().unwrap().to_string(), p["spec"]["containers"][0]["image"].as_str().unwrap().to_string())
            })
            .collect();
        v.sort();
        v.into_iter().map(|(n, i)| format!("{n}={i}")).collect()
    };
    let done = |out: String| assert!(out.contains("roll out complete"), "{out}");
    done(sim.ok(&["rollout", "status", "sts/db", "--timeout=60s"]));
    assert_eq!(sts_images(), ["db-0=postgres:16.4", "db-1=postgres:16.4"]);
    sim.ok(&["set", "image", "sts/db", "pg=postgres:16.5"]);
    done(sim.ok(&["rollout", "status", "sts/db", "--timeout=60s"]));
    assert_eq!(sts_images(), ["db-0=postgres:16.5", "db-1=postgres:16.5"]);
    let history = sim.ok(&["rollout", "history", "sts/db"]);
    let revs: Vec<&str> = history.lines().filter_map(|l| l.split_whitespace().next()).collect();
    assert!(revs.contains(&"1") && revs.contains(&"2"), "{history}");
    sim.ok(&["rollout", "undo", "sts/db"]);
    done(sim.ok(&["rollout", "status", "sts/db", "--timeout=60s"]));
    wait_until("old image back", || sts_images() == ["db-0=postgres:16.4", "db-1=postgres:16.4"]);
    let sts = sim.json(&["get", "sts/db"]);
    assert_eq!(sts["status"]["currentRevision"], sts["status"]["updateRevision"]);
    assert_eq!(sts["spec"]["template"]["spec"]["containers"][0]["image"], "postgres:16.4");
}
