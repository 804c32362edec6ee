//! The command-line contract that reads or writes the cluster, against `cabin sim`:
//! `windows list --from-cluster`, `journal seal --to-cluster` and `journal verify --against-cluster`.
#[path = "support/cluster.rs"]
mod support;
use std::path::Path;
use std::process::Output;
use std::time::Duration;
use support::Sim;

use cabin::journal::{Journal, JournalContext, NewEntry, SystemClock};

/// The demo scenario with its default (realistic) kubelet timing.
async fn start_sim() -> Sim {
    support::start_sim_with(cabin::sim::scenario::load("demo").unwrap()).await
}

/// Runs the cabin binary with a private HOME (never the user's files), with a deadline.
async fn cabin(home: &Path, args: &[&str]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_cabin"));
    cmd.args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("KUBECONFIG")
        .env_remove("CABIN_JOURNAL")
        .kill_on_drop(true);
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("cabin {args:?} did not finish within 60s"))
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("stdout:\n{}\nstderr:\n{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn write_journal(path: &Path, notes: usize) {
    let (journal, _) = Journal::open(path, JournalContext::local(), Box::new(SystemClock)).unwrap();
    for i in 0..notes {
        journal.append(NewEntry::note(Some("CHG-7".into()), &format!("step {i}"))).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_list_from_cluster_prints_the_agenda_of_the_clusters_projects() {
    let sim = start_sim().await;
    let kc = sim.kubeconfig.to_str().unwrap();
    let o = cabin(sim.dir.path(), &["windows", "list", "--from-cluster", "--kubeconfig", kc, "--days", "7"]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("production"), "{}", text(&o));
    assert!(out.contains("allow") && out.contains("deny"), "{}", text(&o));

    // Unreachable cluster: a clear error, exit 2.
    sim.handle.shutdown().await;
    let o = cabin(sim.dir.path(), &["windows", "list", "--from-cluster", "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("cannot read the AppProjects") && err.contains("cannot reach the API server"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seal_to_cluster_then_verify_against_cluster_detects_a_rewritten_journal() {
    let sim = start_sim().await;
    let home = sim.dir.path();
    let kc = sim.kubeconfig.to_str().unwrap();
    let journal = home.join("journal.jsonl");
    let j = journal.to_str().unwrap();
    write_journal(&journal, 3);

    // No namespace `cabin` yet: the error says how to create it.
    let o = cabin(home, &["journal", "seal", "--to-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("kubectl create namespace cabin"), "{}", text(&o));
    // Nothing to verify against yet.
    let o = cabin(home, &["journal", "verify", "--against-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stderr).contains("seal --to-cluster"), "{}", text(&o));

    let ns = serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "cabin"}});
    sim.handle.store().create(ns).unwrap();
    let o = cabin(home, &["journal", "seal", "--to-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let sealed = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(sealed.starts_with("seq 3 hash "), "{sealed}");
    let o = cabin(home, &["journal", "verify", "--against-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    // The anchor write itself went through the journalled writer: intent and outcome follow.
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("ok: 6 entries"), "{}", text(&o));
    let entries = cabin::journal::read_entries(&journal).unwrap();
    let anchor: Vec<_> = entries.iter().filter(|e| e.kind == "journal-anchor").collect();
    assert_eq!(anchor.len(), 2, "{anchor:#?}");
    assert_eq!(anchor[0].outcome.as_deref(), Some("intent"));
    assert_eq!(anchor[1].outcome.as_deref(), Some("ok"));
    assert_eq!(anchor[1].details["intent"]["seq"], anchor[0].seq);

    // Appending after the seal is fine; sealing again updates the anchor (a merge patch).
    write_journal(&journal, 1);
    let o = cabin(home, &["journal", "verify", "--against-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let o = cabin(home, &["journal", "seal", "--to-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("seq 6 hash "), "{}", text(&o));

    // Tail entries deleted (a self-consistent shorter journal): detected.
    let full = std::fs::read_to_string(&journal).unwrap();
    let cut: String = full.lines().take(4).map(|l| format!("{l}\n")).collect();
    std::fs::write(&journal, &cut).unwrap();
    assert!(cabin::journal::verify_path(&journal, None).unwrap().to_string().starts_with("ok:"));
    let o = cabin(home, &["journal", "verify", "--against-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("broken at seq 6"), "{}", text(&o));

    // Rewritten from the start (a fresh genesis, as many entries): detected.
    std::fs::remove_file(&journal).unwrap();
    write_journal(&journal, 6);
    let o = cabin(home, &["journal", "verify", "--against-cluster", "--journal", j, "--kubeconfig", kc]).await;
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("rewritten"), "{}", text(&o));
    sim.handle.shutdown().await;
}
