//! The change run end to end: the real binary (`cabin change run|rollback|resume|status`)
//! against `cabin sim`, with real kubectl as the judge of the cluster at each hold and after.
#[path = "support/cluster.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::{CRASHING_IMAGE_REPO, Sim, start_sim};

const NEW_IMAGE: &str = "ghcr.io/acme/payments-api:1.14.9";

/// The demo's AppProject `production` decides payments-api (through its Application): open a
/// sync window for the test, as an operator would schedule one.
fn open_window(sim: &Sim) {
    // The preflight refuses a target whose rollout is not complete: wait for the demo's.
    rollout_complete(sim);
    let patch = r#"{"spec":{"syncWindows":[{"kind":"allow","schedule":"* * * * *","duration":"24h","applications":["*"],"namespaces":["*"],"clusters":["*"],"manualSync":true}]}}"#;
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(["-n", "argocd", "patch", "appproject", "production", "--type", "merge", "-p", patch])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

fn change_file(dir: &Path, id: &str, image: &str, steps: &str, backup: bool) -> PathBuf {
    let changes = dir.join("changes");
    std::fs::create_dir_all(&changes).unwrap();
    let backup = if backup { "  backup:\n    velero: {includedNamespaces: [payments], ttl: 1h}\n" } else { "" };
    let text = format!(
        "apiVersion: cabin.dev/v1alpha1\nkind: ChangeRequest\nmetadata:\n  name: {id}\nspec:\n  title: test {id}\n  risk: low\n  author: alice\n  approvedBy: [bob, carol]\n  targets:\n    - kind: Deployment\n      namespace: payments\n      name: payments-api\n      images: {{app: {image}}}\n  rollout:\n    steps:\n{steps}  health:\n    maxRestarts: 0\n    onFailure: rollback\n{backup}"
    );
    std::fs::write(changes.join(format!("{id}.yaml")), text).unwrap();
    changes
}

const STEPS: &str = "      - {pods: 1, hold: 2s}\n      - {percent: 50, hold: 2s}\n      - {percent: 100, hold: 1s}\n";

fn cabin(sim: &Sim, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cabin"));
    let home = sim.dir.path().join("home");
    c.env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_STATE_HOME", home.join("state"));
    c.env_remove("CABIN_JOURNAL").env_remove("CABIN_CHANGES");
    c.arg("--kubeconfig").arg(&sim.kubeconfig).arg("--journal").arg(sim.dir.path().join("journal.jsonl"));
    c.arg("--changes").arg(sim.dir.path().join("changes")).args(args);
    c
}

fn run_to_end(sim: &Sim, args: &[&str]) -> Output {
    cabin(sim, args).output().unwrap()
}

fn kubectl(sim: &Sim, args: &[&str]) -> String {
    let out = Command::new("kubectl").arg("--kubeconfig").arg(&sim.kubeconfig).args(["-n", "payments"]).args(args).output().unwrap();
    assert!(out.status.success(), "kubectl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn deployment(sim: &Sim) -> serde_json::Value {
    serde_json::from_str(&kubectl(sim, &["get", "deployment", "payments-api", "-o", "json"])).unwrap()
}

/// Replicas each ReplicaSet of payments-api asks for, by image.
fn replica_sets(sim: &Sim) -> Vec<(String, u64)> {
    let v: serde_json::Value =
        serde_json::from_str(&kubectl(sim, &["get", "rs", "-l", "app.kubernetes.io/name=payments-api", "-o", "json"])).unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|rs| {
            (
                rs["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap().to_string(),
                rs["spec"]["replicas"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn image(sim: &Sim) -> String {
    deployment(sim)["spec"]["template"]["spec"]["containers"][0]["image"].as_str().unwrap().to_string()
}

fn rollout_complete(sim: &Sim) {
    kubectl(sim, &["rollout", "status", "deployment/payments-api", "--timeout=60s"]);
}

fn journal_ok(sim: &Sim) {
    let out = Command::new(env!("CARGO_BIN_EXE_cabin"))
        .args(["journal", "verify", "--journal"])
        .arg(sim.dir.path().join("journal.jsonl"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_holds_at_each_planned_step_and_completes() {
    let sim = start_sim().await;
    open_window(&sim);
    change_file(sim.dir.path(), "CHG-1", NEW_IMAGE, STEPS, true);
    let before = deployment(&sim);
    let old_image = image(&sim);
    let mut child = cabin(&sim, &["change", "run", "CHG-1", "--yes", "--json"]).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut holds = Vec::new();
    let mut events = Vec::new();
    for line in stdout.lines() {
        let line = line.unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        for key in ["ts", "change", "step", "event"] {
            assert!(v.get(key).is_some(), "{key} missing in {line}");
        }
        events.push(v["event"].as_str().unwrap().to_string());
        if v["event"] == "hold-reached" {
            // kubectl judges the hold: the new ReplicaSet asks for exactly the planned pods and
            // the old one was not scaled below the original availability.
            let rs = replica_sets(&sim);
            let new: u64 = rs.iter().filter(|(i, _)| i == NEW_IMAGE).map(|(_, n)| *n).sum();
            let old: u64 = rs.iter().filter(|(i, _)| *i == old_image).map(|(_, n)| *n).sum();
            holds.push((v["step"].as_str().unwrap().to_string(), new, old, deployment(&sim)["spec"]["paused"].as_bool()));
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "events: {events:?}");
    assert_eq!(holds.len(), 3, "{holds:?}");
    assert_eq!((holds[0].1, holds[0].2, holds[0].3), (1, 3, Some(true)), "canary: 1 updated pod, 3 old, paused: {holds:?}");
    assert_eq!((holds[1].1, holds[1].3), (2, Some(true)), "50% of 3 = 2 updated pods (rounded up): {holds:?}");
    assert!(holds[1].2 >= 2, "never below the original availability: {holds:?}");
    assert_eq!(holds[2].1, 3, "{holds:?}");
    rollout_complete(&sim);
    let after = deployment(&sim);
    assert_eq!(image(&sim), NEW_IMAGE);
    assert_eq!(after["spec"]["strategy"], before["spec"]["strategy"], "the original strategy is restored");
    assert!(!after["spec"]["paused"].as_bool().unwrap_or(false));
    let lease: serde_json::Value =
        serde_json::from_str(&kubectl(&sim, &["get", "lease", "cabin-lock-deployment-payments-api", "-o", "json"])).unwrap();
    assert_eq!(lease["spec"]["holderIdentity"].as_str().unwrap_or(""), "", "the lock is released");
    let backups = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(["-n", "velero", "get", "backups.velero.io", "-l", "change-id=CHG-1", "-o", "name"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&backups.stdout).contains("pre-change-chg-1-"), "{}", String::from_utf8_lossy(&backups.stdout));
    journal_ok(&sim);
    let out = run_to_end(&sim, &["change", "status", "CHG-1", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "completed");
    assert!(events.iter().any(|e| e == "sample") && events.iter().any(|e| e == "backup-phase"), "{events:?}");

    // After a good run the operator still may go back: to the pre-change template (revision).
    let out = run_to_end(&sim, &["change", "rollback", "CHG-1", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    rollout_complete(&sim);
    assert_eq!(image(&sim), old_image);
    assert_eq!(deployment(&sim)["spec"]["strategy"], before["spec"]["strategy"]);
    let out = run_to_end(&sim, &["change", "status", "CHG-1", "--json"]);
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["state"], "rolled-back");

    // The data restore is separate and explicit: a Velero Restore that overwrites.
    let out = cabin(&sim, &["change", "restore", "CHG-1"]).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "not confirmed: {}", String::from_utf8_lossy(&out.stderr));
    let out = run_to_end(&sim, &["change", "restore", "CHG-1", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let restores = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(["-n", "velero", "get", "restores.velero.io", "-l", "change-id=CHG-1", "-o", "json"])
        .output()
        .unwrap();
    let restores: serde_json::Value = serde_json::from_slice(&restores.stdout).unwrap();
    let items = restores["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "exactly one restore (none from the unconfirmed attempt): {restores}");
    assert_eq!(items[0]["spec"]["existingResourcePolicy"], "update");
    assert!(items[0]["spec"]["backupName"].as_str().unwrap().starts_with("pre-change-chg-1-"));
    assert_eq!(items[0]["status"]["phase"], "Completed");
    journal_ok(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crash_looping_canary_rolls_back_by_itself() {
    let sim = start_sim().await;
    open_window(&sim);
    let bad = format!("{CRASHING_IMAGE_REPO}:2.0");
    change_file(sim.dir.path(), "CHG-2", &bad, STEPS, false);
    let old_image = image(&sim);
    let out = run_to_end(&sim, &["change", "run", "CHG-2", "--yes"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "rolled back by a health gate: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("health gate failed"), "{}", String::from_utf8_lossy(&out.stdout));
    rollout_complete(&sim);
    assert_eq!(image(&sim), old_image, "back at the pre-change template");
    let rs = replica_sets(&sim);
    assert!(rs.iter().filter(|(i, _)| *i == bad).all(|(_, n)| *n == 0), "{rs:?}");
    assert!(!deployment(&sim)["spec"]["paused"].as_bool().unwrap_or(false));
    journal_ok(&sim);
    let entries = std::fs::read_to_string(sim.dir.path().join("journal.jsonl")).unwrap();
    assert!(entries.lines().any(|l| l.contains("\"kind\":\"change-run\"") && l.contains("\"outcome\":\"rolled-back\"")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_refuses_and_sends_nothing() {
    let sim = start_sim().await;
    open_window(&sim);
    change_file(sim.dir.path(), "CHG-3", NEW_IMAGE, STEPS, true);
    let before = sim.handle.requests().len();
    let out = run_to_end(&sim, &["--read-only", "change", "run", "CHG-3", "--yes"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("read-only"), "{}", String::from_utf8_lossy(&out.stderr));
    assert_ne!(image(&sim), NEW_IMAGE);
    let after_read_only_run = sim.handle.requests().len();
    // After a real run (with its backup), read-only can neither roll it back nor restore.
    let out = run_to_end(&sim, &["change", "run", "CHG-3", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    rollout_complete(&sim);
    let after_run = sim.handle.requests().len();
    for args in [vec!["change", "rollback", "CHG-3", "--yes", "--read-only"], vec!["--read-only", "change", "restore", "CHG-3", "--yes"]] {
        let out = run_to_end(&sim, &args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stderr).contains("read-only"), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let mutating = |from: usize, to: usize| -> Vec<String> {
        sim.handle.requests()[from..to]
            .iter()
            .filter(|r| r.method != "GET" && r.method != "HEAD" && !r.path.contains("selfsubject"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    };
    let read_only_writes = mutating(before, after_read_only_run);
    assert!(read_only_writes.is_empty(), "{read_only_writes:?}");
    let read_only_writes = mutating(after_run, sim.handle.requests().len());
    assert!(read_only_writes.is_empty(), "{read_only_writes:?}");
    assert_eq!(image(&sim), NEW_IMAGE, "not rolled back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lock_held_by_another_change_refuses_naming_it() {
    let sim = start_sim().await;
    open_window(&sim);
    change_file(sim.dir.path(), "CHG-4", NEW_IMAGE, STEPS, false);
    let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let lease = format!(
        "apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: cabin-lock-deployment-payments-api\n  namespace: payments\nspec:\n  holderIdentity: dave@other-host\n  leaseDurationSeconds: 600\n  acquireTime: {now}\n  renewTime: {now}\n"
    );
    let path = sim.dir.path().join("lease.yaml");
    std::fs::write(&path, lease).unwrap();
    kubectl(&sim, &["create", "-f", path.to_str().unwrap()]);
    let out = run_to_end(&sim, &["change", "run", "CHG-4", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("dave@other-host") && text.contains(&now[..16]), "{text}");
    assert_ne!(image(&sim), NEW_IMAGE, "nothing was changed");
}

/// Kills the run once it holds at the canary; returns the child's output so far.
fn kill_at_first_hold(sim: &Sim, id: &str) {
    let mut child = cabin(sim, &["change", "run", id, "--yes", "--json"]).stdout(Stdio::piped()).spawn().unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut reached = false;
    for line in stdout.lines() {
        let line = line.unwrap();
        if line.contains("\"event\":\"hold-reached\"") {
            reached = true;
            break;
        }
        assert!(Instant::now() < deadline, "no hold reached");
    }
    assert!(reached, "the run ended before its first hold");
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_run_a_rollback_restores_the_pre_change_template() {
    let sim = start_sim().await;
    open_window(&sim);
    change_file(sim.dir.path(), "CHG-5", NEW_IMAGE, "      - {pods: 1, hold: 60s}\n      - {percent: 100, hold: 1s}\n", false);
    let old_image = image(&sim);
    kill_at_first_hold(&sim, "CHG-5");
    assert_eq!(image(&sim), NEW_IMAGE, "the run had changed the template");
    let out = run_to_end(&sim, &["change", "status", "CHG-5", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(matches!(v["state"].as_str(), Some("running" | "interrupted")), "{v}");
    let out = run_to_end(&sim, &["change", "rollback", "CHG-5", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    rollout_complete(&sim);
    assert_eq!(image(&sim), old_image);
    assert!(!deployment(&sim)["spec"]["paused"].as_bool().unwrap_or(false), "resumed");
    journal_ok(&sim);
    let out = run_to_end(&sim, &["change", "status", "CHG-5", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "rolled-back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_run_a_resume_finishes_at_the_new_version() {
    let sim = start_sim().await;
    open_window(&sim);
    change_file(sim.dir.path(), "CHG-6", NEW_IMAGE, "      - {pods: 1, hold: 60s}\n      - {percent: 100, hold: 1s}\n", false);
    kill_at_first_hold(&sim, "CHG-6");
    // Shorten the journalled plan's hold by editing the change file: a resume re-plans from
    // the journalled pre-change state and the file's steps.
    change_file(sim.dir.path(), "CHG-6", NEW_IMAGE, "      - {pods: 1, hold: 1s}\n      - {percent: 100, hold: 1s}\n", false);
    let out = run_to_end(&sim, &["change", "resume", "CHG-6", "--yes"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    rollout_complete(&sim);
    assert_eq!(image(&sim), NEW_IMAGE);
    journal_ok(&sim);
}

/// Under seeded faults (5xx, 429, resets, latency, dropped watches) a run either completes or
/// rolls back cleanly — never stops half way without saying so — and its journal verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_a_run_completes_or_rolls_back_cleanly() {
    for seed in [7u64, 21] {
        let mut scenario = cabin::sim::scenario::load("demo").unwrap();
        scenario.behavior = cabin::sim::scenario::Behavior::fast(40);
        let plan = cabin::sim::faults::FaultPlan::parse(&format!(
            "seed={seed},error=0.08,throttle=0.05,reset=0.03,latency=0.1,latency-ms=150,drop-watch=0.05,after=1s"
        ))
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        let opts = cabin::sim::SimOptions { listen: "127.0.0.1:0".parse().unwrap(), scenario, faults: Some(plan), ..Default::default() };
        let handle = cabin::sim::start(opts).await.unwrap();
        std::fs::write(&kubeconfig, handle.kubeconfig_yaml()).unwrap();
        let sim = Sim { handle, kubeconfig, dir };
        open_window_eventually(&sim);
        change_file(sim.dir.path(), "CHG-9", NEW_IMAGE, STEPS, false);
        let old_image = image_eventually(&sim);
        let out = run_to_end(&sim, &["change", "run", "CHG-9", "--yes"]);
        let text = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        let end = image_eventually(&sim);
        match out.status.code() {
            Some(0) => assert_eq!(end, NEW_IMAGE, "seed {seed}: completed means the new version\n{text}"),
            Some(1 | 3) => assert_eq!(end, old_image, "seed {seed}: not completed means back at the old template\n{text}"),
            other => panic!("seed {seed}: exit {other:?}\n{text}"),
        }
        journal_ok(&sim);
    }
}

fn open_window_eventually(sim: &Sim) {
    for _ in 0..50 {
        let patch = r#"{"spec":{"syncWindows":[{"kind":"allow","schedule":"* * * * *","duration":"24h","applications":["*"],"namespaces":["*"],"clusters":["*"]}]}}"#;
        let ok = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&sim.kubeconfig)
            .args(["-n", "argocd", "patch", "appproject", "production", "--type", "merge", "-p", patch])
            .output()
            .unwrap()
            .status
            .success();
        if ok {
            return;
        }
    }
    panic!("kubectl never got through the faults");
}

/// The Deployment's image, read with retries (the simulator answers some requests with faults).
fn image_eventually(sim: &Sim) -> String {
    for _ in 0..50 {
        let out = Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(&sim.kubeconfig)
            .args(["-n", "payments", "get", "deployment", "payments-api", "-o", "jsonpath={.spec.template.spec.containers[0].image}"])
            .output()
            .unwrap();
        if out.status.success() {
            return String::from_utf8_lossy(&out.stdout).to_string();
        }
    }
    panic!("kubectl never got through the faults");
}

/// A closed window refuses the run before anything is written, naming the rule that decided.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_window_refuses_the_run() {
    let sim = start_sim().await;
    let patch = r#"{"spec":{"syncWindows":[{"kind":"deny","schedule":"* * * * *","duration":"24h","applications":["*"],"namespaces":["*"],"clusters":["*"]}]}}"#;
    kubectl(&sim, &["patch", "appproject", "production", "-n", "argocd", "--type", "merge", "-p", patch]);
    change_file(sim.dir.path(), "CHG-10", NEW_IMAGE, STEPS, false);
    let before = sim.handle.requests().len();
    let out = run_to_end(&sim, &["change", "run", "CHG-10", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("waiting-for-window") && err.contains("production"), "{err}");
    let writes = sim.handle.requests()[before..].iter().filter(|r| r.method != "GET" && !r.path.contains("selfsubject")).count();
    assert_eq!(writes, 0);
}

/// Crash at every step of a run (SIGKILL right after each kind of event), then resume or roll
/// back: each target ends either fully at the new version or at its pre-change template —
/// never in between — the journal says which, and it verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_at_every_step_ends_all_new_or_all_old() {
    let steps = "      - {pods: 1, hold: 30s}\n      - {percent: 100, hold: 1s}\n";
    for (i, event) in ["start", "lock-acquired", "backup-created", "backup-done", "hold-reached"].into_iter().enumerate() {
        let sim = start_sim().await;
        open_window(&sim);
        change_file(sim.dir.path(), "CHG-11", NEW_IMAGE, steps, true);
        let old_image = image(&sim);
        let mut child = cabin(&sim, &["change", "run", "CHG-11", "--yes", "--json"]).stdout(Stdio::piped()).spawn().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut seen = false;
        for line in stdout.lines() {
            if line.unwrap().contains(&format!("\"event\":\"{event}\"")) {
                seen = true;
                break;
            }
        }
        assert!(seen, "the run never reported {event}");
        child.kill().unwrap();
        let _ = child.wait();
        let resume = i % 2 == 0;
        let out = if resume {
            run_to_end(&sim, &["change", "resume", "CHG-11", "--yes"])
        } else {
            run_to_end(&sim, &["change", "rollback", "CHG-11", "--yes"])
        };
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.status.code(), Some(0), "killed after {event}, {}: {text}", if resume { "resume" } else { "rollback" });
        rollout_complete(&sim);
        let status: serde_json::Value =
            serde_json::from_slice(&run_to_end(&sim, &["change", "status", "CHG-11", "--json"]).stdout).unwrap();
        if resume {
            assert_eq!(image(&sim), NEW_IMAGE, "killed after {event}, resumed: all new");
            assert_eq!(status["state"], "completed", "{status}");
        } else {
            assert_eq!(image(&sim), old_image, "killed after {event}, rolled back: all old");
            assert_eq!(status["state"], "rolled-back", "{status}");
        }
        let rs = replica_sets(&sim);
        let live: Vec<_> = rs.iter().filter(|(_, n)| *n > 0).collect();
        assert_eq!(live.len(), 1, "one ReplicaSet left running after {event}: {rs:?}");
        assert!(!deployment(&sim)["spec"]["paused"].as_bool().unwrap_or(false));
        journal_ok(&sim);
    }
}

/// The next update of `event` from the run (the run's other updates are kept in `seen`).
async fn next_event(
    rx: &mut tokio::sync::mpsc::Receiver<cabin::engine::run::RunUpdate>,
    event: &str,
    seen: &mut Vec<String>,
) -> cabin::engine::run::RunUpdate {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let u = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {event} within 120 s; seen {seen:?}"))
            .unwrap_or_else(|| panic!("the run ended before {event}; seen {seen:?}"));
        seen.push(format!("{}:{}", u.step, u.event));
        if u.event == event {
            return u;
        }
    }
}

/// The operator's keys against the simulator, through the engine the cockpit uses: pause holds
/// the rollout where it is, continue watches the hold again, promote skips the rest of a
/// 5-minute hold, abort returns the target to its pre-change template and releases the lock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pause_continue_promote_and_abort_act_on_the_cluster() {
    use cabin::engine::run::{Operator, Runner, prepare};
    let sim = start_sim().await;
    open_window(&sim);
    let old_image = image(&sim);
    let steps = "      - {pods: 1, hold: 5m}\n      - {percent: 100, hold: 5m}\n";
    let dir = change_file(sim.dir.path(), "CHG-20", NEW_IMAGE, steps, false);
    let change = cabin::engine::changes::load_dirs(&[dir]).get("CHG-20").cloned().unwrap();
    let journal_path = sim.dir.path().join("journal.jsonl");
    let (journal, _) =
        cabin::journal::Journal::open(&journal_path, cabin::journal::JournalContext::local(), Box::new(cabin::journal::SystemClock))
            .unwrap();
    let writer = cabin::cluster::write::Writer::new(support::conn(&sim, None, false).await, std::sync::Arc::new(journal));
    let targets = prepare(&writer, &change).await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let (op, op_rx) = tokio::sync::mpsc::channel(8);
    let run = tokio::spawn(Runner::new(writer, change, targets, "tester@host".into(), tx, op_rx).run());
    let mut seen = Vec::new();

    let reached = next_event(&mut rx, "hold-reached", &mut seen).await;
    let hold: cabin::model::RunHold = serde_json::from_value(reached.details["hold"].clone()).unwrap();
    assert_eq!((hold.index, hold.total, (hold.until - hold.started).num_seconds()), (0, 2, 300), "{:?}", reached.details);
    op.send(Operator::Pause).await.unwrap();
    assert_eq!(next_event(&mut rx, "pause", &mut seen).await.step, "hold-1");
    let rs = replica_sets(&sim);
    assert_eq!(rs.iter().filter(|(i, _)| i == NEW_IMAGE).map(|(_, n)| n).sum::<u64>(), 1, "paused at the canary: {rs:?}");
    assert_eq!(deployment(&sim)["spec"]["paused"], true);
    op.send(Operator::Continue).await.unwrap();
    next_event(&mut rx, "continue", &mut seen).await;
    // The hold is 5 minutes: only promote takes the run to the next hold within the deadline.
    op.send(Operator::Promote).await.unwrap();
    next_event(&mut rx, "promote", &mut seen).await;
    let second = next_event(&mut rx, "hold-reached", &mut seen).await;
    assert_eq!(second.step, "hold-2", "{seen:?}");
    let rs = replica_sets(&sim);
    assert_eq!(rs.iter().filter(|(i, _)| i == NEW_IMAGE).map(|(_, n)| n).sum::<u64>(), 3, "all pods updated at 100 %: {rs:?}");
    // Samples report the updated pods' health as it changes.
    assert!(seen.iter().any(|s| s.ends_with(":sample")), "{seen:?}");
    op.send(Operator::Abort("enough for today".into())).await.unwrap();
    let end = run.await.unwrap();
    assert!(matches!(end, cabin::domain::change::run::RunState::Aborted { .. }), "{end:?}");
    rollout_complete(&sim);
    assert_eq!(image(&sim), old_image, "abort restores the pre-change template");
    assert!(!deployment(&sim)["spec"]["paused"].as_bool().unwrap_or(false), "resumed");
    let lease: serde_json::Value =
        serde_json::from_str(&kubectl(&sim, &["get", "lease", "cabin-lock-deployment-payments-api", "-o", "json"])).unwrap();
    assert_eq!(lease["spec"]["holderIdentity"].as_str().unwrap_or(""), "", "the lock is released");
    journal_ok(&sim);
    let out = run_to_end(&sim, &["change", "status", "CHG-20", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "failed", "aborted runs count as failed in the status contract: {v}");
}

/// A backup that does not end Completed stops the run before any change; only a typed,
/// journalled reason (`--waive-backup`) lets it go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unusable_backup_stops_the_run_unless_waived_with_a_reason() {
    let sim = start_sim().await;
    open_window(&sim);
    let old_image = image(&sim);
    change_file(sim.dir.path(), "CHG-21", NEW_IMAGE, STEPS, true);
    // Velero's storage is down: backups end FailedValidation.
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&sim.kubeconfig)
        .args(["-n", "velero", "patch", "backupstoragelocation", "default", "--subresource=status", "--type=merge"])
        .args(["-p", r#"{"status":{"phase":"Unavailable"}}"#])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // The preflight says so first; the operator waives that check knowingly…
    let out = run_to_end(&sim, &["change", "preflight", "CHG-21", "--waive", "backup-location=velero storage is being repaired"]);
    assert_eq!(out.status.code(), Some(0), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    // …but the backup itself fails, and without a backup waiver the run stops before any change.
    let out = run_to_end(&sim, &["change", "run", "CHG-21", "--yes"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("FailedValidation"), "{text}");
    assert_eq!(image(&sim), old_image, "nothing changed");
    let out = run_to_end(&sim, &["change", "status", "CHG-21", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["state"], "pending", "a run that changed nothing leaves the change as it was: {v}");
    let out = run_to_end(&sim, &["change", "run", "CHG-21", "--yes", "--waive-backup", "  "]);
    assert_eq!(out.status.code(), Some(1), "an empty reason is refused");
    let out = run_to_end(&sim, &["change", "run", "CHG-21", "--yes", "--waive-backup", "stateless service, config in git"]);
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("waived (stateless service, config in git)"), "{text}");
    assert_eq!(image(&sim), NEW_IMAGE);
    let journal = std::fs::read_to_string(sim.dir.path().join("journal.jsonl")).unwrap();
    let waiver = journal
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|e| e["kind"] == "waiver" && e["details"]["check"] == "backup")
        .expect("the backup waiver is journalled");
    assert_eq!(waiver["details"]["reason"], "stateless service, config in git");
    journal_ok(&sim);
}

/// The cockpit restarted after a crash mid-run: `:run` finds the unfinished run (journal fresh,
/// its locks ours), plans a resume from where the cluster says it stopped, and finishes it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cockpit_resumes_a_run_it_lost_in_a_crash() {
    use cabin::engine::run::{Runner, prepare};
    use cabin::engine::run_task::{self, RunSources};
    use cabin::model::EngineEvent;
    let sim = start_sim().await;
    open_window(&sim);
    let steps = "      - {pods: 1, hold: 5m}\n      - {percent: 100, hold: 1s}\n";
    let dir = change_file(sim.dir.path(), "CHG-22", NEW_IMAGE, steps, false);
    let journal_path = sim.dir.path().join("journal.jsonl");
    let conn = support::conn(&sim, None, false).await;
    let ours = format!("{}@{}", conn.info().user, cabin::journal::JournalContext::local().actor.host);
    {
        let change = cabin::engine::changes::load_dirs(std::slice::from_ref(&dir)).get("CHG-22").cloned().unwrap();
        let (journal, _) =
            cabin::journal::Journal::open(&journal_path, cabin::journal::JournalContext::local(), Box::new(cabin::journal::SystemClock))
                .unwrap();
        let writer = cabin::cluster::write::Writer::new(conn.clone(), std::sync::Arc::new(journal));
        let targets = prepare(&writer, &change).await.unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(256);
        let (_op, op_rx) = tokio::sync::mpsc::channel(8);
        let run = tokio::spawn(Runner::new(writer, change, targets, ours.clone(), tx, op_rx).run());
        next_event(&mut rx, "hold-reached", &mut Vec::new()).await;
        // The crash: the run stops between two statements, its end never journalled.
        run.abort();
        let _ = run.await;
    }
    let sources = RunSources { changes: vec![dir], journal: Some(journal_path), approval: Default::default() };
    let (events, mut rx) = tokio::sync::mpsc::channel(256);
    run_task::plan(conn.clone(), sources.clone(), "CHG-22".into(), events.clone()).await;
    match rx.recv().await {
        Some(EngineEvent::RunPlan { resume, text, .. }) => {
            assert!(resume, "{text}");
            assert!(text.contains("RESUME") && text.contains("hold-1") && text.contains("hold 1 is next"), "{text}");
        }
        other => panic!("no resume plan: {other:?}"),
    }
    let op = run_task::start(conn, sources, "CHG-22".into(), events).await.expect("the resumed run starts");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    let mut seen = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(EngineEvent::RunLine(l))) => {
                seen.push(format!("{}:{}", l.step, l.event));
                if l.event == "hold-reached" && l.step == "hold-1" {
                    // Still the 5-minute canary: promote it as the operator would.
                    let _ = op.send(cabin::engine::run::Operator::Promote).await;
                }
                if matches!(l.event.as_str(), "completed" | "failed" | "rolled-back" | "aborted" | "refused") {
                    assert_eq!(l.event, "completed", "{seen:?}");
                    break;
                }
            }
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => panic!("the resumed run did not end: {seen:?}"),
        }
    }
    assert!(!seen.iter().any(|s| s.starts_with("backup")), "a resume makes no new backup: {seen:?}");
    rollout_complete(&sim);
    assert_eq!(image(&sim), NEW_IMAGE);
    journal_ok(&sim);
}
