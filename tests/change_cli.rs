//! The CLI contracts of `cabin change preflight|report` and `cabin cab` against `cabin sim`:
//! exit codes, JSON keys, waivers (refused, journalled, honoured), the CAB pack's commands.
#[path = "support/cluster.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;
use support::*;

struct Env {
    sim: Sim,
    home: tempfile::TempDir,
    changes: PathBuf,
}

async fn env() -> Env {
    let sim = start_sim().await;
    let home = tempfile::tempdir().unwrap();
    let changes = home.path().join("changes");
    std::fs::create_dir_all(&changes).unwrap();
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/changes/demo");
    for f in std::fs::read_dir(demo).unwrap() {
        let p = f.unwrap().path();
        std::fs::copy(&p, changes.join(p.file_name().unwrap())).unwrap();
    }
    Env { sim, home, changes }
}

impl Env {
    fn journal(&self) -> PathBuf {
        self.home.path().join("journal.jsonl")
    }

    /// Runs the binary off the async threads: (exit code, stdout, stderr).
    async fn cabin(&self, args: &[&str]) -> (i32, String, String) {
        let mut all: Vec<String> = vec![
            "--kubeconfig".into(),
            self.sim.kubeconfig.display().to_string(),
            "--changes".into(),
            self.changes.display().to_string(),
            "--journal".into(),
            self.journal().display().to_string(),
        ];
        all.extend(args.iter().map(|s| s.to_string()));
        let home = self.home.path().to_path_buf();
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_cabin"))
            .args(&all)
            .env("HOME", &home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env_remove("CABIN_CHANGES")
            .env_remove("CABIN_JOURNAL")
            .stdin(std::process::Stdio::null())
            .output()
            .await
            .unwrap();
        let s = |b: &[u8]| String::from_utf8_lossy(b).to_string();
        (out.status.code().unwrap_or(-1), s(&out.stdout), s(&out.stderr))
    }

    async fn preflight_json(&self, id: &str, extra: &[&str]) -> (i32, Value, String) {
        let mut args = vec!["change", "preflight", id, "--json"];
        args.extend_from_slice(extra);
        let (code, out, err) = self.cabin(&args).await;
        let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}\n{err}"));
        (code, v, err)
    }

    fn waivers(&self) -> Vec<Value> {
        let Ok(text) = std::fs::read_to_string(self.journal()) else { return Vec::new() };
        text.lines().filter_map(|l| serde_json::from_str::<Value>(l).ok()).filter(|e| e["kind"] == "waiver").collect()
    }
}

fn check<'a>(v: &'a Value, id: &str) -> &'a Value {
    v["checks"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap_or_else(|| panic!("no check {id} in {v}"))
}

#[tokio::test]
async fn preflight_json_contract_and_exit_codes() {
    let e = env().await;
    let (code, v, err) = e.preflight_json("CHG-2003", &[]).await;
    assert_eq!(code, 1, "{err}");
    assert_eq!(v["change"], "CHG-2003");
    assert_eq!(v["ok"], false);
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 14);
    for c in checks {
        for key in ["id", "status", "summary", "evidence"] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
    let ids: Vec<&str> = checks.iter().map(|c| c["id"].as_str().unwrap()).collect();
    for id in ["approvals", "window", "freeze", "target", "rbac", "pdb", "quota", "backup-location", "argocd-autosync", "lock", "dry-run"] {
        assert!(ids.contains(&id), "{id} missing: {ids:?}");
    }
    assert_eq!(check(&v, "approvals")["status"], "fail");
    assert_eq!(check(&v, "approvals")["evidence"]["required"], 2);

    let (code, _, err) = e.cabin(&["change", "preflight", "CHG-0000"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("no change request \"CHG-0000\""), "{err}");
}

#[tokio::test]
async fn read_only_and_viewer_preflights() {
    let e = env().await;
    let (_, v, _) = e.preflight_json("CHG-2001", &["--read-only"]).await;
    assert_eq!(check(&v, "dry-run")["status"], "skipped");
    assert!(check(&v, "dry-run")["summary"].as_str().unwrap().contains("read-only session"));
    let (code, v, _) = e.preflight_json("CHG-2001", &["--context", "sim-viewer"]).await;
    assert_eq!(code, 1);
    assert_eq!(check(&v, "rbac")["status"], "fail");
    assert!(check(&v, "rbac")["summary"].as_str().unwrap().contains("cannot patch deployments.apps/payments-api in payments"));
}

#[tokio::test]
async fn waivers_refused_journalled_and_honoured() {
    let e = env().await;
    let (code, _, err) = e.cabin(&["change", "preflight", "CHG-2003", "--waive", "approvals=the CAB said so"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("check 'approvals' cannot be waived"), "{err}");
    assert!(e.waivers().is_empty(), "a refused waiver is not journalled");
    let (code, _, err) = e.cabin(&["change", "preflight", "CHG-2003", "--waive", "bogus=x"]).await;
    assert_eq!(code, 2, "{err}");

    // A planned slot in the past fails the (waivable) window check.
    let text = std::fs::read_to_string(e.changes.join("chg-2001-payments-api.yaml")).unwrap();
    let text = text.replace("  targets:", "  window: 2020-01-01T00:00:00Z/PT1H\n  targets:");
    std::fs::write(e.changes.join("chg-2001-payments-api.yaml"), text).unwrap();
    // Wait (with a deadline) until the simulator's initial rollout is complete.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, v, _) = e.preflight_json("CHG-2001", &[]).await;
        if check(&v, "rollout-complete")["status"] == "pass" {
            assert_eq!(check(&v, "window")["status"], "fail");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "rollout never completed: {v}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let (code, v, err) = e.preflight_json("CHG-2001", &["--waive", "window=emergency fix agreed by the CAB"]).await;
    assert_eq!(code, 0, "{v}\n{err}");
    assert_eq!(v["ok"], true);
    assert_eq!(check(&v, "window")["waived"]["reason"], "emergency fix agreed by the CAB");
    let w = e.waivers();
    assert_eq!(w.len(), 1);
    assert_eq!(w[0]["change"], "CHG-2001");
    assert_eq!(w[0]["details"]["check"], "window");
    assert_eq!(w[0]["details"]["by"], "operator", "the cluster identity waived it");
    // The journalled waiver holds for the next preflight.
    let (code, v, _) = e.preflight_json("CHG-2001", &[]).await;
    assert_eq!(code, 0, "{v}");
    assert_eq!(check(&v, "window")["waived"]["by"], "operator");
}

#[tokio::test]
async fn the_cab_pack_has_the_backup_and_rollback_commands() {
    let e = env().await;
    let (code, out, err) = e.cabin(&["change", "report", "CHG-2001", "--format", "json"]).await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["change"]["id"], "CHG-2001");
    assert_eq!(v["approvals"]["met"], true);
    for key in ["status", "nextSlot", "preflight", "backup", "rollback", "history", "targets"] {
        assert!(v.get(key).is_some(), "{key} missing");
    }
    assert_eq!(v["preflight"]["checks"].as_array().unwrap().len(), 14);
    let backup = v["backup"]["command"].as_str().unwrap();
    assert!(backup.starts_with("velero backup create pre-change-chg-2001-") && backup.contains("--labels change-id=CHG-2001"), "{backup}");
    let restore = v["rollback"]["restore"].as_str().unwrap();
    assert!(restore.contains("--from-backup pre-change-chg-2001-") && restore.contains("--existing-resource-policy=update"), "{restore}");
    assert_eq!(v["rollback"]["steps"][0]["returnsTo"], serde_json::json!([["app", "ghcr.io/acme/payments-api:1.14.2"]]));
    let (code, md, _) = e.cabin(&["change", "report", "CHG-2001", "--format", "md"]).await;
    assert_eq!(code, 0);
    for part in [
        "# CHG-2001: Upgrade payments-api to 1.14.3",
        "## Approvals",
        "## Preflight",
        "## Backup plan",
        "## Rollback plan",
        "## Journal history",
    ] {
        assert!(md.contains(part), "{part} missing:\n{md}");
    }
    assert!(md.contains("| app | ghcr.io/acme/payments-api:1.14.2 | ghcr.io/acme/payments-api:1.14.3 |"), "{md}");
}

#[tokio::test]
async fn the_cab_agenda_lists_pending_and_invalid_changes() {
    let e = env().await;
    std::fs::write(e.changes.join("broken.yaml"), "apiVersion: cabin.dev/v1alpha1\nkind: Nope\n").unwrap();
    let (code, md, err) = e.cabin(&["cab", "--days", "7", "--format", "md"]).await;
    assert_eq!(code, 0, "{err}");
    for id in ["CHG-2001", "CHG-2002", "CHG-2003", "CHG-2004"] {
        assert!(md.contains(&format!("| {id} |")), "{id} missing:\n{md}");
    }
    assert!(md.contains("| CHG-2003 | Upgrade search-api to 5.0.4 | low | needs-approval |"), "{md}");
    assert!(md.contains("## Invalid change requests") && md.contains("broken.yaml"), "{md}");
    for days in ["0", "400", "-1"] {
        let (code, _, err) = e.cabin(&["cab", "--days", days]).await;
        assert_eq!(code, 2, "--days {days}: {err}");
    }
}
