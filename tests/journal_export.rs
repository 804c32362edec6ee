//! Export snapshots (md/csv/json) of a deterministic fixture journal, plus export filters.
use std::path::Path;
use std::sync::Mutex;

use cabin::journal::export::{to_csv, to_json};
use cabin::journal::markdown::to_markdown;
use cabin::journal::{Actor, Clock, ClusterRef, EntryFilter, Journal, JournalContext, NewEntry, Target, read_entries, verify_path};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::json;

/// A clock that returns the times it is given, in order (the last one forever).
struct Script(Mutex<Vec<DateTime<Utc>>>);

impl Clock for Script {
    fn now(&self) -> DateTime<Utc> {
        let mut times = self.0.lock().unwrap();
        if times.len() > 1 { times.remove(0) } else { times[0] }
    }
}

fn at(min: u32, nanos: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 14, min, 0).unwrap() + chrono::Duration::nanoseconds(nanos.into())
}

fn deployment(rv_before: &str, rv_after: Option<&str>) -> Target {
    Target {
        group: "apps".into(),
        kind: "Deployment".into(),
        namespace: Some("payments".into()),
        name: "checkout".into(),
        resource_version_before: Some(rv_before.into()),
        resource_version_after: rv_after.map(String::from),
    }
}

fn entry(change: Option<&str>, kind: &str, outcome: Option<&str>, details: serde_json::Value) -> NewEntry {
    let mut e = NewEntry::new(change.map(String::from), kind, details);
    e.outcome = outcome.map(String::from);
    e
}

/// Writes the fixture journal: a full change with approval, backup, rollout, verdict and rollback.
fn fixture(path: &Path) {
    let times = (0..14).map(|i| at(i, 123_456_789)).collect();
    let ctx = JournalContext {
        actor: Actor { cluster_user: Some("alice@corp.example".into()), local_user: "alice".into(), host: "laptop-7".into() },
        cluster: Some(ClusterRef { server: "https://10.0.0.1:6443".into(), context: "prod-eu".into() }),
    };
    let (j, _) = Journal::open(path, ctx, Box::new(Script(Mutex::new(times)))).unwrap();
    let c = Some("CHG-1042");
    let mut step = entry(c, "rollout-step", Some("done"), json!({"message": "canary 25%", "step": 1}));
    step.targets = vec![deployment("4411", Some("4412"))];
    let mut rollback = entry(c, "rollback", Some("done"), json!({"message": "rollout undo to revision 6"}));
    rollback.targets = vec![deployment("4415", Some("4419"))];
    let entries = [
        entry(None, "session-start", Some("ok"), json!({"mode": "read-write"})),
        entry(c, "preflight-check", Some("pass"), json!({"message": "sync window open", "token": "must-not-leak"})),
        entry(c, "approval", Some("approved"), json!({"message": "CAB approved", "approver": "bob"})),
        entry(c, "backup-created", Some("started"), json!({"backup": "velero/chg-1042-pre"})),
        entry(c, "backup-completed", Some("Completed"), json!({"backup": "velero/chg-1042-pre"})),
        step,
        entry(c, "health-verdict", Some("unhealthy"), json!({"message": "error rate 7% > 2%"})),
        rollback,
        entry(c, "health-verdict", Some("healthy"), json!({"message": "error rate back to 0.1%"})),
        entry(Some("CHG-7"), "waiver", Some("granted"), json!({"message": "freeze waived | urgent fix"})),
        entry(Some("CHG-7"), "note", None, json!({"message": "line one\nline two, with \"quotes\""})),
    ];
    for e in entries {
        j.append(e).unwrap();
    }
}

fn fixture_entries() -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    fixture(&path);
    (dir, path)
}

#[test]
fn markdown_report() {
    let (_d, path) = fixture_entries();
    let status = verify_path(&path, None).unwrap();
    let md = to_markdown(&read_entries(&path).unwrap(), &status, "journal.jsonl");
    assert!(!md.contains("must-not-leak"));
    insta::assert_snapshot!("journal_export_md", md);
}

#[test]
fn csv_export() {
    let (_d, path) = fixture_entries();
    insta::assert_snapshot!("journal_export_csv", to_csv(&read_entries(&path).unwrap()));
}

#[test]
fn json_export() {
    let (_d, path) = fixture_entries();
    let text = to_json(&read_entries(&path).unwrap()).unwrap();
    let parsed: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed.len(), 12);
    insta::assert_snapshot!("journal_export_json", text);
}

#[test]
fn cli_export_filters_by_change_and_time() {
    let (_d, path) = fixture_entries();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_cabin"))
            .args(["journal", "export", "--journal"])
            .arg(&path)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Vec<serde_json::Value>>(&out.stdout).unwrap()
    };
    let seqs = |v: Vec<serde_json::Value>| v.iter().map(|e| e["seq"].as_u64().unwrap()).collect::<Vec<_>>();
    assert_eq!(seqs(run(&["--format", "json", "--change", "CHG-7"])), vec![10, 11]);
    let since = at(3, 0).to_rfc3339();
    let until = at(5, 123_456_789).to_rfc3339();
    assert_eq!(seqs(run(&["--format", "json", "--since", &since, "--until", &until])), vec![3, 4, 5]);
    assert_eq!(run(&["--format", "json", "--since", "2026-11-24"]).len(), 0);
    assert_eq!(run(&["--format", "json", "--until", "2026-11-23"]).len(), 12);
    let f = EntryFilter { change: Some("CHG-1042".into()), ..Default::default() };
    assert_eq!(read_entries(&path).unwrap().iter().filter(|e| f.matches(e)).count(), 8);
}
