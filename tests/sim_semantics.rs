//! Semantics a change process relies on, judged by the real kubectl against `cabin sim`:
//! graceful deletion, finalizers and cascading policies; validation (immutable fields, strict
//! field validation, type errors); server-side apply with managedFields; impersonation; and
//! `kubectl logs` follow / timestamps / previous / tail.
mod common;

use std::time::Duration;

use cabin::sim::scenario::{Behavior, Scenario};
use cabin::sim::store_api::StoreChange;
use common::{Lines, TestSim, start_sim_with, text, wait_until};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(30);

fn scenario() -> Scenario {
    let objects = vec![
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "sem"}}),
        json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady"}]}}),
    ];
    Scenario { objects, behavior: Behavior::fast(20), faults: None }
}

fn pod(name: &str, annotations: Value, grace: i64) -> String {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "sem", "annotations": annotations},
        "spec": {"terminationGracePeriodSeconds": grace, "containers": [{"name": "main", "image": "busybox:1.36"}]}})
    .to_string()
}

fn deployment(name: &str, replicas: i64) -> String {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "sem"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "web", "image": "nginx:1.25"}]}}}})
    .to_string()
}

impl Apply for TestSim {
    fn create(&self, name: &str, manifest: &str) {
        let f = self.write_file(&format!("{name}.json"), manifest);
        self.kubectl_ok(&["create", "-f", &f.to_string_lossy()]);
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["-n", "sem"];
        all.extend_from_slice(args);
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.kubectl_ok(&all)).expect("kubectl -o json prints JSON")
    }

    fn sem(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["-n", "sem"];
        all.extend_from_slice(args);
        self.kubectl(&all)
    }
}

trait Apply {
    fn create(&self, name: &str, manifest: &str);
    fn json(&self, args: &[&str]) -> Value;
    fn sem(&self, args: &[&str]) -> std::process::Output;
}

async fn running(sim: &TestSim, pod: &str) {
    wait_until(WAIT, &format!("pod {pod} is Running"), || sim.json(&["get", "pod", pod])["status"]["phase"] == "Running").await;
}

fn not_found(out: &std::process::Output) -> bool {
    !out.status.success() && text(&out.stderr).contains("NotFound")
}

/// Store changes (in order) of one kind and name prefix, as "EVENT name" lines.
fn drain(rx: &mut tokio::sync::broadcast::Receiver<StoreChange>, seen: &mut Vec<(String, String, Value)>) {
    while let Ok(c) = rx.try_recv() {
        let name = c.object["metadata"]["name"].as_str().unwrap_or_default().to_string();
        seen.push((c.event_type.to_string(), format!("{}/{name}", c.kind.kind), serde_json::Value::clone(&c.object)));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pods_terminate_gracefully_and_force_deletes_at_once() {
    let sim = start_sim_with(scenario()).await;
    sim.create("quick", &pod("quick", json!({}), 30));
    sim.create("slow", &pod("slow", json!({"sim.cabin.dev/ignore-sigterm": "true"}), 30));
    sim.create("stuck", &pod("stuck", json!({"sim.cabin.dev/ignore-sigterm": "true"}), 600));
    for p in ["quick", "slow", "stuck"] {
        running(&sim, p).await;
    }
    let fmt = "jsonpath={.type} {.object.metadata.name} grace={.object.metadata.deletionGracePeriodSeconds} \
               exit={.object.status.containerStatuses[0].state.terminated.exitCode}{\"\\n\"}";
    let mut watch = Lines::new(sim.spawn_kubectl(&["-n", "sem", "get", "pods", "-w", "--output-watch-events", "-o", fmt]));
    assert!(watch.until(WAIT, |l| l.starts_with("ADDED stuck")), "no initial list from the watch:\n{}", watch.all);

    // kubectl delete waits until the pod is gone: first Terminating (deletionTimestamp, the
    // pod's grace period), then its containers exit on SIGTERM and the pod is removed.
    let out = sim.sem(&["delete", "pod", "quick"]);
    assert!(out.status.success() && text(&out.stdout).contains("pod \"quick\" deleted"), "{}", text(&out.stderr));
    assert!(not_found(&sim.sem(&["get", "pod", "quick"])));
    assert!(watch.until(WAIT, |l| l.starts_with("DELETED quick")), "{}", watch.all);
    assert!(watch.all.contains("MODIFIED quick grace=30 exit=\n"), "no Terminating state before the deletion:\n{}", watch.all);
    assert!(watch.all.contains("DELETED quick grace=30 exit=0"), "containers did not exit cleanly:\n{}", watch.all);

    // A container that ignores SIGTERM is killed when the grace period ends (exit code 137).
    sim.kubectl_ok(&["-n", "sem", "delete", "pod", "slow", "--grace-period=1"]);
    assert!(watch.until(WAIT, |l| l.starts_with("DELETED slow")), "{}", watch.all);
    assert!(watch.all.contains("MODIFIED slow grace=1 exit=\n"), "{}", watch.all);
    assert!(watch.all.contains("DELETED slow grace=1 exit=137"), "{}", watch.all);
    let table = sim.kubectl_ok(&["-n", "sem", "get", "events", "--field-selector", "involvedObject.name=slow"]);
    assert!(table.contains("Killing") && table.contains("Stopping container main"), "{table}");

    // --grace-period=0 --force removes a pod at once, whatever its grace period.
    let forced = sim.sem(&["delete", "pod", "stuck", "--grace-period=0", "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    assert!(text(&forced.stdout).contains("pod \"stuck\" force deleted"), "{}", text(&forced.stdout));
    assert!(not_found(&sim.sem(&["get", "pod", "stuck"])), "a force-deleted pod is still there");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finalizers_hold_objects_until_removed() {
    let sim = start_sim_with(scenario()).await;
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "held", "namespace": "sem", "finalizers": ["example.com/hold"]}, "data": {"k": "v"}});
    sim.create("held", &cm.to_string());
    sim.kubectl_ok(&["-n", "sem", "delete", "cm", "held", "--wait=false"]);
    let held = sim.json(&["get", "cm", "held"]);
    assert!(held["metadata"]["deletionTimestamp"].is_string(), "{held}");
    assert_eq!(held["metadata"]["finalizers"], json!(["example.com/hold"]));
    // An update can change the object but cannot take the deletion back.
    sim.kubectl_ok(&["-n", "sem", "label", "cm", "held", "still=here"]);
    assert!(sim.json(&["get", "cm", "held"])["metadata"]["deletionTimestamp"].is_string());
    let more = sim.sem(&[
        "patch",
        "cm",
        "held",
        "--type=json",
        "-p",
        r#"[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]"#,
    ]);
    assert!(
        text(&more.stderr).contains(
            "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/more\"}"
        ),
        "{}",
        text(&more.stderr)
    );
    sim.kubectl_ok(&["-n", "sem", "patch", "cm", "held", "--type=merge", "-p", r#"{"metadata":{"finalizers":null}}"#]);
    assert!(not_found(&sim.sem(&["get", "cm", "held"])), "the object outlived its last finalizer");

    // A pod with a finalizer terminates but stays until the finalizer goes.
    let mut p: Value = serde_json::from_str(&pod("kept", json!({}), 30)).expect("JSON");
    p["metadata"]["finalizers"] = json!(["example.com/hold"]);
    sim.create("kept", &p.to_string());
    running(&sim, "kept").await;
    sim.kubectl_ok(&["-n", "sem", "delete", "pod", "kept", "--wait=false"]);
    wait_until(WAIT, "the finalized pod's containers stopped", || {
        let p = sim.json(&["get", "pod", "kept"]);
        p["metadata"]["deletionGracePeriodSeconds"] == 0 && p["status"]["phase"] == "Succeeded"
    })
    .await;
    sim.kubectl_ok(&["-n", "sem", "patch", "pod", "kept", "--type=json", "-p", r#"[{"op":"remove","path":"/metadata/finalizers"}]"#]);
    assert!(not_found(&sim.sem(&["get", "pod", "kept"])));
}

/// Pods of a Deployment (through its ReplicaSet), once ready.
async fn ready_deployment(sim: &TestSim, name: &str, replicas: i64) -> (Value, Vec<Value>) {
    sim.create(name, &deployment(name, replicas));
    let ready = |n: &Value| n == &json!(replicas);
    wait_until(WAIT, &format!("deployment {name} is ready"), || ready(&sim.json(&["get", "deploy", name])["status"]["readyReplicas"]))
        .await;
    let pods = sim.json(&["get", "pods", "-l", &format!("app={name}")])["items"].as_array().cloned().unwrap_or_default();
    (sim.json(&["get", "deploy", name]), pods)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cascading_orphan_foreground_and_background() {
    let sim = start_sim_with(scenario()).await;
    let (web, pods) = ready_deployment(&sim, "web", 2).await;
    let uid = web["metadata"]["uid"].as_str().expect("uid").to_string();
    sim.kubectl_ok(&["-n", "sem", "delete", "deploy", "web", "--cascade=orphan"]);
    assert!(not_found(&sim.sem(&["get", "deploy", "web"])));
    // Let the garbage collector see a deletion and the controllers finish a pod after it:
    // rounds run in order, so the orphans below have been through a collection.
    sim.create("probe", &pod("probe", json!({}), 30));
    sim.kubectl_ok(&["-n", "sem", "delete", "pod", "probe"]);
    sim.create("probe2", &pod("probe2", json!({}), 30));
    running(&sim, "probe2").await;
    let rs = sim.json(&["get", "rs", "-l", "app=web"]);
    let rs = rs["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(rs.len(), 1, "the ReplicaSet was not left in place");
    assert!(rs[0]["metadata"]["ownerReferences"].as_array().is_none_or(|r| r.iter().all(|r| r["uid"] != uid.as_str())), "{}", rs[0]);
    let left = sim.json(&["get", "pods", "-l", "app=web"]);
    let names = |v: &[Value]| {
        let mut n: Vec<String> = v.iter().map(|p| p["metadata"]["name"].as_str().unwrap_or_default().to_string()).collect();
        n.sort();
        n
    };
    assert_eq!(names(left["items"].as_array().map(Vec::as_slice).unwrap_or_default()), names(&pods), "the pods were not left in place");

    // Foreground: pods go first, then the ReplicaSet, then the Deployment, which meanwhile
    // carries the foregroundDeletion finalizer.
    ready_deployment(&sim, "fg", 2).await;
    let mut rx = sim.store().subscribe();
    sim.kubectl_ok(&["-n", "sem", "delete", "deploy", "fg", "--cascade=foreground"]);
    let mut seen = Vec::new();
    drain(&mut rx, &mut seen);
    let order: Vec<&str> =
        seen.iter().filter(|(e, _, _)| e == "DELETED").map(|(_, k, _)| k.split('/').next().unwrap_or_default()).collect();
    let order: Vec<&str> = order.into_iter().filter(|k| *k != "Event").collect();
    assert_eq!(order, ["Pod", "Pod", "ReplicaSet", "Deployment"], "foreground deletion order: {seen:?}");
    assert!(
        seen.iter()
            .any(|(e, k, o)| e == "MODIFIED" && k == "Deployment/fg" && o["metadata"]["finalizers"] == json!(["foregroundDeletion"])),
        "no foregroundDeletion finalizer on the owner"
    );

    // Background (the default): the Deployment goes at once, the garbage collector deletes the
    // ReplicaSet and then the pods (gracefully).
    ready_deployment(&sim, "bg", 1).await;
    let mut rx = sim.store().subscribe();
    sim.kubectl_ok(&["-n", "sem", "delete", "deploy", "bg"]);
    wait_until(WAIT, "the background-deleted pods are gone", || sim.json(&["get", "pods", "-l", "app=bg"])["items"] == json!([])).await;
    let mut seen = Vec::new();
    drain(&mut rx, &mut seen);
    let order: Vec<&str> = seen
        .iter()
        .filter(|(e, k, _)| e == "DELETED" && !k.starts_with("Event"))
        .map(|(_, k, _)| k.split('/').next().unwrap_or_default())
        .collect();
    assert_eq!(order, ["Deployment", "ReplicaSet", "Pod"], "background deletion order: {seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn impersonation_is_honoured_or_forbidden() {
    let sim = start_sim_with(scenario()).await;
    sim.create("web", &deployment("web", 1));
    let patch = ["-n", "sem", "patch", "deploy", "web", "--type=merge", "-p", r#"{"spec":{"replicas":2}}"#];
    let as_viewer = [&["--as=viewer"][..], &patch[..]].concat();
    let out = sim.kubectl(&as_viewer);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("User \"viewer\" cannot patch resource \"deployments\" in API group \"apps\" in the namespace \"sem\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(sim.json(&["get", "deploy", "web"])["spec"]["replicas"], 1);
    let can_i = sim.kubectl(&["--as=viewer", "auth", "can-i", "patch", "deployments", "-n", "sem"]);
    assert_eq!(text(&can_i.stdout).trim(), "no");
    assert!(sim.kubectl_ok(&["--as=viewer", "auth", "whoami"]).contains("viewer"));
    assert!(sim.kubectl(&["--as=viewer", "-n", "sem", "get", "deploy", "web"]).status.success());

    // The deployer may not impersonate anybody: 403, never silently ignored.
    let denied = sim.kubectl(&["--context", "sim-deployer", "--as=operator", "-n", "sem", "get", "pods"]);
    assert!(!denied.status.success());
    assert!(
        text(&denied.stderr).contains(
            "users \"operator\" is forbidden: User \"deployer\" cannot impersonate resource \"users\" in API group \"\" at the cluster scope"
        ),
        "{}",
        text(&denied.stderr)
    );
    let groups = sim.kubectl(&["--context", "sim-viewer", "--as=viewer", "--as-group=system:masters", "-n", "sem", "get", "pods"]);
    assert!(text(&groups.stderr).contains("cannot impersonate resource \"users\""), "{}", text(&groups.stderr));

    // Impersonating the system:masters group gives every permission.
    let masters = [&["--as=alice", "--as-group=system:masters"][..], &patch[..]].concat();
    sim.kubectl_ok(&masters);
    assert_eq!(sim.json(&["get", "deploy", "web"])["spec"]["replicas"], 2);
    let who = sim.kubectl_ok(&["--as=alice", "--as-group=system:masters", "auth", "whoami", "-o", "json"]);
    let who: Value = serde_json::from_str(&who).expect("JSON");
    assert_eq!(who["status"]["userInfo"]["username"], "alice");
    assert_eq!(who["status"]["userInfo"]["groups"], json!(["system:masters", "system:authenticated"]));
    assert!(sim.handle.requests().iter().any(|r| r.user == "alice" && r.verb == "patch" && r.status == 200));
}

fn owner_of(obj: &Value, manager: &str) -> Value {
    obj["metadata"]["managedFields"].as_array().into_iter().flatten().find(|e| e["manager"] == manager).cloned().unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_side_apply_tracks_managers_conflicts_and_removals() {
    let sim = start_sim_with(scenario()).await;
    let manifest = |replicas: i64, labels: Value| {
        let mut d: Value = serde_json::from_str(&deployment("ssa", replicas)).expect("JSON");
        d["metadata"]["labels"] = labels;
        d.to_string()
    };
    let apply = |who: &str, file: &str, body: &str, force: bool| {
        let f = sim.write_file(file, body);
        let mut args = vec!["-n", "sem", "apply", "--server-side", "--field-manager", who, "-f"];
        let path = f.to_string_lossy().to_string();
        args.push(&path);
        if force {
            args.push("--force-conflicts");
        }
        sim.kubectl(&args)
    };
    let get = || sim.json(&["get", "deploy", "ssa", "--show-managed-fields"]);
    let out = apply("team-a", "a.json", &manifest(2, json!({"app": "ssa", "owner": "team-a"})), false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("deployment.apps/ssa serverside-applied"), "{}", text(&out.stdout));
    let d = get();
    let a = owner_of(&d, "team-a");
    assert_eq!(a["operation"], "Apply");
    assert_eq!(a["fieldsV1"]["f:spec"]["f:replicas"], json!({}));
    assert_eq!(a["fieldsV1"]["f:metadata"]["f:labels"]["f:owner"], json!({}));

    // Another manager changing a field team-a owns conflicts, and nothing changes.
    let b_body = manifest(3, json!({"app": "ssa"}));
    let out = apply("team-b", "b.json", &b_body, false);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("Apply failed with 1 conflict: conflict with \"team-a\": .spec.replicas"), "{err}");
    assert_eq!(get()["spec"]["replicas"], 2);
    // --force-conflicts takes the field over; managedFields say so.
    let out = apply("team-b", "b.json", &b_body, true);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let d = get();
    assert_eq!(d["spec"]["replicas"], 3);
    assert_eq!(owner_of(&d, "team-b")["fieldsV1"]["f:spec"]["f:replicas"], json!({}));
    assert!(owner_of(&d, "team-a")["fieldsV1"]["f:spec"].get("f:replicas").is_none(), "{}", owner_of(&d, "team-a"));

    // team-a stops applying its label and replicas: the label goes (nobody else owns it),
    // replicas stay (team-b owns them), the shared `app` label stays.
    let out = apply("team-a", "a2.json", &manifest(3, json!({"app": "ssa"})).replace("\"replicas\":3,", ""), false);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let d = get();
    assert!(d["metadata"]["labels"].get("owner").is_none(), "{}", d["metadata"]["labels"]);
    assert_eq!(d["metadata"]["labels"]["app"], "ssa");
    assert_eq!(d["spec"]["replicas"], 3);

    // An update (cabin's run engine patches with fieldManager=cabin) takes the field from the
    // appliers; the next apply of another value conflicts with it.
    sim.kubectl_ok(&["-n", "sem", "patch", "deploy", "ssa", "--field-manager=cabin", "--type=merge", "-p", r#"{"spec":{"replicas":4}}"#]);
    let d = get();
    assert_eq!(owner_of(&d, "cabin")["operation"], "Update");
    assert_eq!(owner_of(&d, "cabin")["fieldsV1"], json!({"f:spec": {"f:replicas": {}}}));
    let out = apply("team-b", "b.json", &b_body, false);
    let err = text(&out.stderr);
    assert!(err.contains("conflict with \"cabin\" using apps/v1: .spec.replicas"), "{err}");
    assert_eq!(get()["spec"]["replicas"], 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validation_rejects_unknown_fields_type_errors_and_immutable_changes() {
    let sim = start_sim_with(scenario()).await;
    let with = |name: &str, edit: &dyn Fn(&mut Value)| {
        let mut d: Value = serde_json::from_str(&deployment("val", 1)).expect("JSON");
        edit(&mut d);
        sim.write_file(name, &d.to_string()).to_string_lossy().to_string()
    };
    let stderr = |args: &[&str]| {
        let out = sim.sem(args);
        assert!(!out.status.success(), "kubectl {args:?} succeeded:\n{}", text(&out.stdout));
        text(&out.stderr)
    };
    // kubectl validates strictly by default (fieldValidation=Strict): nothing is created.
    let unknown = with("unknown.json", &|d| d["spec"]["foo"] = json!("bar"));
    let err = stderr(&["apply", "-f", &unknown]);
    assert!(
        err.contains("Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.foo\""),
        "{err}"
    );
    assert!(not_found(&sim.sem(&["get", "deploy", "val"])));
    let typed = with("typed.json", &|d| d["spec"]["replicas"] = json!("3"));
    let err = stderr(&["create", "-f", &typed]);
    assert!(err.contains("json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"), "{err}");
    assert!(not_found(&sim.sem(&["get", "deploy", "val"])));

    let good = with("good.json", &|_| {});
    sim.kubectl_ok(&["-n", "sem", "apply", "-f", &good]);
    let before = sim.json(&["get", "deploy", "val"]);
    // On an existing object (kubectl apply sends a strategic merge patch).
    let nested = with("nested.json", &|d| d["spec"]["template"]["spec"]["containers"][0]["requests"] = json!({"cpu": "1"}));
    let err = stderr(&["apply", "-f", &nested]);
    assert!(err.contains("strict decoding error: unknown field \"spec.template.spec.containers[0].requests\""), "{err}");
    let err = stderr(&["apply", "-f", &typed]);
    assert!(err.contains("The request is invalid: patch: Invalid value: ") && err.contains("unrecognized type: int32"), "{err}");
    let err = stderr(&["apply", "--server-side", "-f", &unknown]);
    assert!(
        err.contains("failed to create typed patch object (sem/val; apps/v1, Kind=Deployment): .spec.foo: field not declared in schema"),
        "{err}"
    );
    let err = stderr(&["apply", "--server-side", "-f", &typed]);
    assert!(err.contains(".spec.replicas: expected numeric (int or float), got string"), "{err}");
    let moved = with("moved.json", &|d| {
        d["spec"]["selector"]["matchLabels"]["app"] = json!("other");
        d["spec"]["template"]["metadata"]["labels"]["app"] = json!("other");
    });
    let err = stderr(&["apply", "-f", &moved]);
    assert!(
        err.contains(
            "The Deployment \"val\" is invalid: spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{\"app\":\"other\"}, \
             MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable"
        ),
        "{err}"
    );
    let after = sim.json(&["get", "deploy", "val"]);
    assert_eq!(after["spec"], before["spec"], "a rejected write changed the object");
    assert_eq!(after["metadata"]["generation"], before["metadata"]["generation"]);
    assert_eq!(after["metadata"]["annotations"], before["metadata"]["annotations"]);

    // --validate=false (fieldValidation=Ignore): the unknown field is dropped, the rest applies.
    let ignored = with("ignored.json", &|d| {
        d["spec"]["foo"] = json!("bar");
        d["spec"]["replicas"] = json!(2);
    });
    sim.kubectl_ok(&["-n", "sem", "apply", "--validate=false", "-f", &ignored]);
    let d = sim.json(&["get", "deploy", "val"]);
    assert_eq!(d["spec"]["replicas"], 2);
    assert!(d["spec"].get("foo").is_none(), "{}", d["spec"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logs_follow_timestamps_previous_and_tail() {
    let mut sc = scenario();
    sc.behavior.bad_images = vec!["crashy".into()];
    let sim = start_sim_with(sc).await;
    sim.create("logger", &pod("logger", json!({}), 30));
    let crasher = pod("crasher", json!({}), 30).replace("busybox:1.36", "crashy:1.0");
    sim.create("crasher", &crasher);
    running(&sim, "logger").await;

    let plain = sim.kubectl_ok(&["-n", "sem", "logs", "logger"]);
    assert_eq!(plain.lines().next(), Some("main: started by the cabin simulator (image busybox:1.36)"), "{plain}");
    let stamped = sim.kubectl_ok(&["-n", "sem", "logs", "logger", "--timestamps"]);
    let first = stamped.lines().next().unwrap_or_default();
    let (ts, rest) = first.split_once(' ').unwrap_or_default();
    assert!(chrono::DateTime::parse_from_rfc3339(ts).is_ok() && ts.len() == "2024-01-01T00:00:00.000000000Z".len(), "{first}");
    assert_eq!(rest, "main: started by the cabin simulator (image busybox:1.36)");
    assert_eq!(sim.kubectl_ok(&["-n", "sem", "logs", "logger", "--tail=1"]).lines().count(), 1);
    let prev = sim.sem(&["logs", "logger", "--previous"]);
    assert!(text(&prev.stderr).contains("previous terminated container \"main\" in pod \"logger\" not found"), "{}", text(&prev.stderr));

    // A crashed container's logs stay readable with --previous.
    wait_until(WAIT, "the crasher restarted", || {
        sim.json(&["get", "pod", "crasher"])["status"]["containerStatuses"][0]["restartCount"].as_i64() >= Some(1)
    })
    .await;
    let crashed = sim.kubectl_ok(&["-n", "sem", "logs", "crasher", "--previous"]);
    assert!(crashed.starts_with("main: started by the cabin simulator (image crashy:1.0)\n"), "{crashed}");
    assert!(crashed.trim_end().ends_with("main: fatal error, exiting with code 1"), "{crashed}");

    // -f follows until the container stops: deleting the pod ends the stream after the
    // container's last words.
    let mut follow = Lines::new(sim.spawn_kubectl(&["-n", "sem", "logs", "-f", "logger"]));
    assert!(follow.until(WAIT, |l| l.contains("started by the cabin simulator")), "{}", follow.all);
    sim.kubectl_ok(&["-n", "sem", "delete", "pod", "logger"]);
    assert!(follow.ends_within(WAIT), "kubectl logs -f did not end when the container stopped:\n{}", follow.all);
    assert!(follow.all.trim_end().ends_with("main: received SIGTERM, shutting down"), "{}", follow.all);
}
