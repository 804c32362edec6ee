//! Leases as a change lock and per-user authorization, judged with the real kubectl: get /
//! describe / watch / create / replace / patch / delete of `coordination.k8s.io/v1` Leases,
//! the apiserver's exact 409 on a stale resourceVersion, and the `deployer` user whose
//! SelfSubjectAccessReview answers agree with what the server enforces.
mod common;

use std::time::Duration;

use cabin::sim::scenario::Scenario;
use common::{TestSim, http, start_sim_with, text};
use serde_json::{Value, json};

fn scenario() -> Scenario {
    let objects = ["shop", "velero"].iter().map(|n| json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}})).collect();
    Scenario { objects, ..Scenario::default() }
}

const LEASE: &str = "apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: cabin-change-chg-1
  namespace: shop
  labels:
    change-id: CHG-1
spec:
  holderIdentity: alice@laptop
  leaseDurationSeconds: 15
  acquireTime: \"2026-11-30T03:00:00.000000Z\"
  renewTime: \"2026-11-30T03:00:00.000000Z\"
  leaseTransitions: 0
";

const CONFLICT: &str = "Operation cannot be fulfilled on leases.coordination.k8s.io \"cabin-change-chg-1\": the object has been modified; please apply your changes to the latest version and try again";

/// The child's stdout lines through a channel.
fn lines_of(child: &mut std::process::Child) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn lease_json(sim: &TestSim) -> Value {
    serde_json::from_str(&sim.kubectl_ok(&["-n", "shop", "get", "lease", "cabin-change-chg-1", "-o", "json"])).expect("lease JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leases_behave_like_the_apiserver_for_kubectl() {
    let sim = start_sim_with(scenario()).await;
    let resources = sim.kubectl_ok(&["api-resources", "--api-group=coordination.k8s.io", "-o", "wide"]);
    assert!(resources.contains("leases") && resources.contains("Lease") && resources.contains("watch"), "{resources}");
    let file = sim.write_file("lease.yaml", LEASE);
    sim.kubectl_ok(&["create", "-f", &file.to_string_lossy()]);

    let table = sim.kubectl_ok(&["-n", "shop", "get", "leases"]);
    let header: Vec<&str> = table.lines().next().unwrap_or_default().split_whitespace().collect();
    assert_eq!(header, ["NAME", "HOLDER", "AGE"], "{table}");
    assert!(table.lines().nth(1).is_some_and(|l| l.starts_with("cabin-change-chg-1") && l.contains("alice@laptop")), "{table}");
    let described = sim.kubectl_ok(&["-n", "shop", "describe", "lease", "cabin-change-chg-1"]);
    assert!(described.contains("Holder Identity:") && described.contains("alice@laptop"), "{described}");
    assert!(described.contains("Lease Duration Seconds:  15"), "{described}");

    // A writer holding a stale resourceVersion gets the apiserver's 409 and must re-read.
    let stale = lease_json(&sim);
    let columns = "-o=custom-columns=HOLDER:.spec.holderIdentity";
    let mut watch = sim.spawn_kubectl(&["-n", "shop", "get", "lease", "cabin-change-chg-1", "-w", columns]);
    let lines = lines_of(&mut watch);
    let mut next = || lines.recv_timeout(Duration::from_secs(20)).ok();
    assert!(std::iter::from_fn(&mut next).any(|l| l.contains("alice@laptop")), "the watch listed the lease first");
    sim.kubectl_ok(&[
        "-n",
        "shop",
        "patch",
        "lease",
        "cabin-change-chg-1",
        "--type=merge",
        "-p",
        r#"{"spec":{"holderIdentity":"bob@ci"}}"#,
    ]);
    let mut stale_update = stale.clone();
    stale_update["spec"]["holderIdentity"] = json!("mallory@elsewhere");
    let f = sim.write_file("stale.json", &stale_update.to_string());
    let out = sim.kubectl(&["replace", "-f", &f.to_string_lossy()]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains(CONFLICT), "{}", text(&out.stderr));
    assert_eq!(lease_json(&sim)["spec"]["holderIdentity"], "bob@ci", "the stale write changed nothing");
    assert!(std::iter::from_fn(&mut next).any(|l| l.contains("bob@ci")), "the watch saw the patch");
    let _ = watch.kill();
    let _ = watch.wait();

    // Raw PUT with the current resourceVersion succeeds (release: empty holder).
    let mut fresh = lease_json(&sim);
    fresh["spec"]["holderIdentity"] = json!("");
    let path = "/apis/coordination.k8s.io/v1/namespaces/shop/leases/cabin-change-chg-1";
    let reply =
        http::request(&sim, "PUT", path, Some(&sim.token("operator")), Some("application/json"), fresh.to_string().as_bytes()).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let again =
        http::request(&sim, "PUT", path, Some(&sim.token("operator")), Some("application/json"), fresh.to_string().as_bytes()).await;
    assert_eq!((again.status, again.json()["reason"].as_str(), again.json()["message"].as_str()), (409, Some("Conflict"), Some(CONFLICT)));
    assert_eq!(again.json()["details"], json!({"name": "cabin-change-chg-1", "group": "coordination.k8s.io", "kind": "leases"}));

    let bad = sim
        .write_file("bad.yaml", &LEASE.replace("cabin-change-chg-1", "bad").replace("leaseDurationSeconds: 15", "leaseDurationSeconds: 0"));
    let out = sim.kubectl(&["create", "-f", &bad.to_string_lossy()]);
    let want = "The Lease \"bad\" is invalid: spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0";
    assert!(text(&out.stderr).contains(want), "{}", text(&out.stderr));

    sim.kubectl_ok(&["-n", "shop", "delete", "lease", "cabin-change-chg-1"]);
    let gone = sim.kubectl(&["-n", "shop", "get", "lease", "cabin-change-chg-1"]);
    assert!(text(&gone.stderr).contains("leases.coordination.k8s.io \"cabin-change-chg-1\" not found"), "{}", text(&gone.stderr));
}

fn can_i(sim: &TestSim, context: &str, args: &[&str]) -> String {
    let mut all = vec!["--context", context, "auth", "can-i"];
    all.extend_from_slice(args);
    text(&sim.kubectl(&all).stdout).trim().to_string()
}

const BACKUP: &str = "apiVersion: velero.io/v1
kind: Backup
metadata:
  name: pre-change-chg-1
  namespace: velero
spec:
  includedNamespaces: [shop]
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_reviews_agree_with_enforcement_per_user() {
    let sim = start_sim_with(scenario()).await;
    let cases: &[(&str, &[&str], &str)] = &[
        ("sim-deployer", &["patch", "deployments.apps", "-n", "shop"], "yes"),
        ("sim-deployer", &["update", "statefulsets.apps", "-n", "shop"], "yes"),
        ("sim-deployer", &["create", "leases.coordination.k8s.io", "-n", "shop"], "yes"),
        ("sim-deployer", &["update", "leases.coordination.k8s.io", "-n", "shop"], "yes"),
        ("sim-deployer", &["list", "pods", "-A"], "yes"),
        ("sim-deployer", &["create", "backups.velero.io", "-n", "velero"], "no"),
        ("sim-deployer", &["create", "restores.velero.io", "-n", "velero"], "no"),
        ("sim-deployer", &["delete", "pods", "-n", "shop"], "no"),
        ("sim-viewer", &["patch", "deployments.apps", "-n", "shop"], "no"),
        ("sim-viewer", &["watch", "leases.coordination.k8s.io", "-n", "shop"], "yes"),
        ("sim", &["create", "backups.velero.io", "-n", "velero"], "yes"),
    ];
    for (ctx, args, want) in cases {
        assert_eq!(can_i(&sim, ctx, args), *want, "kubectl --context {ctx} auth can-i {args:?}");
    }

    // The server enforces what the reviews said.
    let backup = sim.write_file("backup.yaml", BACKUP);
    let denied = sim.kubectl(&["--context", "sim-deployer", "create", "-f", &backup.to_string_lossy()]);
    assert!(!denied.status.success());
    let want = "backups.velero.io is forbidden: User \"deployer\" cannot create resource \"backups\" in API group \"velero.io\" in the namespace \"velero\"";
    assert!(text(&denied.stderr).contains(want), "{}", text(&denied.stderr));
    let lease = sim.write_file("lease.yaml", LEASE);
    sim.kubectl_ok(&["--context", "sim-deployer", "create", "-f", &lease.to_string_lossy()]);
    let no_delete = sim.kubectl(&["--context", "sim-deployer", "-n", "shop", "delete", "lease", "cabin-change-chg-1"]);
    assert!(text(&no_delete.stderr).contains("User \"deployer\" cannot delete resource \"leases\""), "{}", text(&no_delete.stderr));
    sim.kubectl_ok(&["create", "-f", &backup.to_string_lossy()]);

    // A raw review carries the RBAC reason when allowed.
    let review = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": "shop", "verb": "patch", "group": "apps", "resource": "deployments", "name": "web"}}});
    let path = "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews";
    let reply =
        http::request(&sim, "POST", path, Some(&sim.token("deployer")), Some("application/json"), review.to_string().as_bytes()).await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["status"]["allowed"], true);
    assert_eq!(
        reply.json()["status"]["reason"],
        "RBAC: allowed by ClusterRoleBinding \"cabin-sim:deployer\" of ClusterRole \"cabin-sim:deployer\" to User \"deployer\""
    );
    let rules = sim.kubectl_ok(&["--context", "sim-deployer", "auth", "can-i", "--list", "-n", "shop"]);
    assert!(rules.lines().any(|l| l.starts_with("leases.coordination.k8s.io") && l.contains("[create update get]")), "{rules}");
}
