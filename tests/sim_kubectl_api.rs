//! The real kubectl against `cabin sim`: API-level conformance (discovery, tables, get/-o,
//! describe, create, apply, patch, label, annotate, events, watch, logs, auth).
//! Rollout behaviour is tested in sim_kubectl_rollout.rs.
mod common;

use std::time::Duration;

use common::{TestSim, start_sim, text};

const NS: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: conf
";

fn deployment(image: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: conf
  labels: {{app: web}}
spec:
  replicas: 2
  selector:
    matchLabels: {{app: web}}
  template:
    metadata:
      labels: {{app: web}}
    spec:
      containers:
      - name: web
        image: {image}
        ports:
        - containerPort: 8080
"
    )
}

const EXTRA: &str = "apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: conf
spec:
  replicas: 1
  serviceName: db
  selector:
    matchLabels: {app: db}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
      - name: db
        image: postgres:16
---
apiVersion: v1
kind: Pod
metadata:
  name: solo
  namespace: conf
  labels: {app: solo}
spec:
  containers:
  - name: main
    image: busybox:1.36
---
apiVersion: v1
kind: Event
metadata:
  name: solo.1
  namespace: conf
involvedObject: {kind: Pod, name: solo, namespace: conf}
reason: Scheduled
message: Successfully assigned conf/solo to sim-node-1
type: Normal
";

async fn sim_with_objects() -> TestSim {
    let sim = start_sim("demo").await;
    let ns = sim.write_file("ns.yaml", NS);
    sim.kubectl_ok(&["create", "-f", ns.to_str().unwrap()]);
    let d = sim.write_file("deploy.yaml", &deployment("nginx:1.25"));
    sim.kubectl_ok(&["apply", "-f", d.to_str().unwrap()]);
    let e = sim.write_file("extra.yaml", EXTRA);
    sim.kubectl_ok(&["apply", "-f", e.to_str().unwrap()]);
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_tables_yaml_jsonpath_and_describe() {
    let sim = sim_with_objects().await;
    let ns = sim.kubectl_ok(&["get", "ns"]);
    assert!(ns.lines().next().unwrap().starts_with("NAME"), "{ns}");
    assert!(ns.lines().any(|l| l.starts_with("conf ") && l.contains("Active")), "{ns}");
    let all = sim.kubectl_ok(&["get", "deploy,sts,rs,pods", "-A"]);
    for want in ["NAMESPACE", "deployment.apps/web", "statefulset.apps/db", "pod/solo", "UP-TO-DATE", "RESTARTS"] {
        assert!(all.contains(want), "missing {want} in:\n{all}");
    }
    let y: serde_json::Value = yaml_serde::from_str(&sim.kubectl_ok(&["get", "deploy", "web", "-n", "conf", "-o", "yaml"])).unwrap();
    assert_eq!(y["spec"]["replicas"], 2);
    assert_eq!(y["spec"]["strategy"]["type"], "RollingUpdate");
    assert!(y["metadata"]["uid"].as_str().is_some_and(|u| !u.is_empty()));
    let img = sim.kubectl_ok(&["get", "deploy", "web", "-n", "conf", "-o", "jsonpath={.spec.template.spec.containers[0].image}"]);
    assert_eq!(img, "nginx:1.25");
    let d = sim.kubectl_ok(&["describe", "deploy", "web", "-n", "conf"]);
    for want in ["Name:                   web", "Namespace:              conf", "RollingUpdate", "nginx:1.25", "8080/TCP"] {
        assert!(d.contains(want), "describe lacks {want:?}:\n{d}");
    }
    let ev = sim.kubectl_ok(&["get", "events", "-n", "conf"]);
    assert!(ev.contains("Scheduled") && ev.contains("pod/solo"), "{ev}");
    // As on a real cluster, a container still being created has no logs yet (400): wait for it.
    sim.kubectl_ok(&["wait", "--for=condition=Ready", "pod/solo", "-n", "conf", "--timeout=60s"]);
    let logs = sim.kubectl_ok(&["logs", "solo", "-n", "conf"]);
    assert!(!logs.trim().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_apply_patch_label_annotate() {
    let sim = sim_with_objects().await;
    let d = sim.write_file("deploy.yaml", &deployment("nginx:1.25"));
    let again = sim.kubectl(&["create", "-f", d.to_str().unwrap()]);
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("AlreadyExists"), "{}", text(&again.stderr));
    let d2 = sim.write_file("deploy.yaml", &deployment("nginx:1.26"));
    let out = sim.kubectl_ok(&["apply", "-f", d2.to_str().unwrap()]);
    assert!(out.contains("deployment.apps/web configured"), "{out}");
    let get = |path: &str| sim.kubectl_ok(&["get", "deploy", "web", "-n", "conf", "-o", &format!("jsonpath={path}")]);
    assert_eq!(get("{.spec.template.spec.containers[0].image}"), "nginx:1.26");
    assert_eq!(get("{.metadata.generation}"), "2");
    sim.kubectl_ok(&["patch", "deploy", "web", "-n", "conf", "--type=merge", "-p", r#"{"spec":{"replicas":3}}"#]);
    assert_eq!(get("{.spec.replicas}"), "3");
    sim.kubectl_ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "conf",
        "--type=json",
        "-p",
        r#"[{"op":"replace","path":"/spec/replicas","value":4}]"#,
    ]);
    assert_eq!(get("{.spec.replicas}"), "4");
    sim.kubectl_ok(&[
        "patch",
        "deploy",
        "web",
        "-n",
        "conf",
        "-p",
        r#"{"spec":{"template":{"spec":{"containers":[{"name":"web","env":[{"name":"MODE","value":"x"}]}]}}}}"#,
    ]);
    assert_eq!(get("{.spec.template.spec.containers[0].env[0].value}"), "x");
    assert_eq!(get("{.spec.template.spec.containers[0].image}"), "nginx:1.26");
    sim.kubectl_ok(&["label", "deploy", "web", "-n", "conf", "tier=frontend"]);
    sim.kubectl_ok(&["annotate", "deploy", "web", "-n", "conf", "owner=team-a"]);
    assert_eq!(get("{.metadata.labels.tier}"), "frontend");
    assert_eq!(get("{.metadata.annotations.owner}"), "team-a");
    let sel = sim.kubectl_ok(&["get", "deploy", "-n", "conf", "-l", "tier=frontend", "-o", "name"]);
    assert_eq!(sel.trim(), "deployment.apps/web");
    let bad = sim.kubectl(&["patch", "deploy", "web", "-n", "conf", "--type=json", "-p", r#"[{"op":"remove","path":"/nope"}]"#]);
    assert!(!bad.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_pods_watch_receives_new_pods() {
    let sim = sim_with_objects().await;
    let mut lines = common::Lines::new(sim.spawn_kubectl(&["get", "pods", "-n", "conf", "-w"]));
    // kubectl lists first and prints the table, then watches from the list's resourceVersion:
    // once the header is out, a pod created now reaches the watch (no sleeping and hoping).
    assert!(lines.until(Duration::from_secs(15), |l| l.starts_with("NAME")), "no table from kubectl get -w:\n{}", lines.all);
    let extra = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: late-arrival\n  namespace: conf\nspec:\n  containers:\n  - name: c\n    image: busybox:1.36\n";
    let f = sim.write_file("late.yaml", extra);
    sim.kubectl_ok(&["create", "-f", &f.display().to_string()]);
    let found = lines.until(Duration::from_secs(15), |l| l.starts_with("late-arrival"));
    assert!(found, "kubectl get -w did not show the new pod; output:\n{}", lines.all);
    assert!(lines.all.starts_with("NAME"), "{}", lines.all);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_can_i_and_viewer_is_forbidden_to_write() {
    let sim = sim_with_objects().await;
    assert_eq!(sim.kubectl_ok(&["auth", "can-i", "delete", "pods", "-n", "conf"]).trim(), "yes");
    assert_eq!(sim.kubectl_ok(&["auth", "can-i", "list", "deployments", "--context", "sim-viewer"]).trim(), "yes");
    let no = sim.kubectl_as_viewer(&["auth", "can-i", "patch", "deployments", "-n", "conf"]);
    assert_eq!(text(&no.stdout).trim(), "no");
    let who = sim.kubectl_ok(&["auth", "whoami"]);
    assert!(who.contains("operator"), "{who}");
    let w = sim.kubectl_as_viewer(&["scale", "deploy", "web", "-n", "conf", "--replicas=5"]);
    assert!(!w.status.success());
    let err = text(&w.stderr);
    assert!(err.contains("Forbidden") && err.contains("User \"viewer\" cannot patch resource \"deployments/scale\""), "{err}");
    let d = sim.kubectl_as_viewer(&["delete", "pod", "solo", "-n", "conf"]);
    assert!(text(&d.stderr).contains("Error from server (Forbidden)"), "{}", text(&d.stderr));
    assert!(sim.kubectl_as_viewer(&["get", "pods", "-n", "conf"]).status.success());
    let log = sim.handle.requests();
    assert!(log.iter().any(|r| r.user == "viewer" && r.verb == "delete" && r.status == 403));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imperative_creates_and_server_dry_run() {
    let sim = sim_with_objects().await;
    // kubectl's typed clients send these as protobuf.
    sim.kubectl_ok(&["create", "namespace", "imperative"]);
    sim.kubectl_ok(&["create", "configmap", "c1", "-n", "imperative", "--from-literal=greeting=hello"]);
    sim.kubectl_ok(&["create", "secret", "generic", "s1", "-n", "imperative", "--from-literal=password=pw"]);
    assert_eq!(sim.kubectl_ok(&["get", "cm", "c1", "-n", "imperative", "-o", "jsonpath={.data.greeting}"]), "hello");
    assert_eq!(sim.kubectl_ok(&["get", "secret", "s1", "-n", "imperative", "-o", "jsonpath={.data.password}"]), "cHc=");
    let labels = sim.kubectl_ok(&["get", "ns", "imperative", "-o", "jsonpath={.metadata.labels}"]);
    assert!(labels.contains("kubernetes.io/metadata.name"), "{labels}");
    // Server-side dry runs change nothing.
    let out = sim.kubectl_ok(&["scale", "deploy", "web", "-n", "conf", "--replicas=9", "--dry-run=server"]);
    assert!(out.contains("server dry run"), "{out}");
    sim.kubectl_ok(&["delete", "deploy", "web", "-n", "conf", "--dry-run=server"]);
    assert_eq!(sim.kubectl_ok(&["get", "deploy", "web", "-n", "conf", "-o", "jsonpath={.spec.replicas}"]), "2");
    // Server-side apply (simplified: no field ownership) creates, then updates.
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n  namespace: conf\ndata:\n  k: one\n";
    let f = sim.write_file("ssa.yaml", cm);
    assert!(sim.kubectl_ok(&["apply", "--server-side", "-f", f.to_str().unwrap()]).contains("serverside-applied"));
    let f = sim.write_file("ssa.yaml", &cm.replace("one", "two"));
    sim.kubectl_ok(&["apply", "--server-side", "-f", f.to_str().unwrap()]);
    assert_eq!(sim.kubectl_ok(&["get", "cm", "ssa", "-n", "conf", "-o", "jsonpath={.data.k}"]), "two");
}
