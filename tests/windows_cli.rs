//! Every case of the Argo CD sample fixture through the `cabin windows` binary.

#[path = "support/windows.rs"]
mod support;

use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn write_project(dir: &Path, case_no: usize, windows: &[Value]) -> std::path::PathBuf {
    let manifest = json!({
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": format!("case-{case_no}"), "namespace": "argocd"},
        "spec": {"syncWindows": windows},
    });
    let path = dir.join(format!("case-{case_no}.yaml"));
    std::fs::write(&path, yaml_serde::to_string(&manifest).unwrap()).unwrap();
    path
}

fn cabin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_cabin"))
}

fn run_check(case: &Value, path: &Path) -> Value {
    let mut cmd = cabin();
    cmd.args(["windows", "check", "--project"]).arg(path).args(["--at", &support::now(case), "--json"]);
    if let Some([name, ns, server, dest_name]) = support::target(case) {
        cmd.args(["--app", &name, "--dest-namespace", &ns, "--dest-server", &server, "--dest-name", &dest_name]);
    }
    if let Some(op) = case["operationStartTime"].as_str() {
        cmd.args(["--operation-start", op]);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}: {}", case["name"], String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_validate(path: &Path) -> Result<(), String> {
    let out = cabin().args(["windows", "validate", "--project"]).arg(path).output().unwrap();
    match out.status.code() {
        Some(0) => {
            assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "valid");
            Ok(())
        }
        Some(1) => Err(String::from_utf8_lossy(&out.stderr).trim().to_string()),
        other => panic!("validate exit {other:?}: {}", String::from_utf8_lossy(&out.stderr)),
    }
}

#[test]
fn every_sample_case_passes_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for (i, case) in support::load_cases().iter().enumerate() {
        let path = write_project(dir.path(), i, &support::windows_json(case));
        let report = run_check(case, &path);
        let validation = run_validate(&path);
        // The helper predicates are not in the CLI's JSON contract (judged in windows_fixtures.rs).
        let mut case = case.clone();
        if let Some(exp) = case["expect"].as_object_mut() {
            exp.retain(|k, _| !support::HELPER_KEYS.contains(&k.as_str()));
        }
        let fails = support::verify(&case, &report, &validation);
        if !fails.is_empty() {
            failures.push(format!("{}: {}", case["name"], fails.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} failing case(s):\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn check_json_has_the_contract_keys_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let w = json!([{"kind": "allow", "schedule": "0 10 * * *", "duration": "1h", "applications": ["web"]},
                   {"kind": "deny", "schedule": "0 22 * * *", "duration": "1h", "namespaces": ["prod"]}]);
    let path = write_project(dir.path(), 0, w.as_array().unwrap());
    let out = cabin()
        .args(["windows", "check", "--project"])
        .arg(&path)
        .args(["--app", "web", "--at", "2024-07-15T10:30:00Z", "--json"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        text.trim(),
        r#"{"windows":[{"index":0,"kind":"allow","matches":true,"active":true,"error":null},{"index":1,"kind":"deny","matches":false,"active":false,"error":null}],"matching":[0],"active":[0],"inactive_allows":[],"auto_sync_allowed":true,"manual_sync_allowed":true,"status":"Sync Allowed","error":null}"#
    );
}

#[test]
fn invalid_schedule_reports_the_can_sync_error_and_exits_zero() {
    let dir = tempfile::tempdir().unwrap();
    let w = json!([{"kind": "deny", "schedule": "* 10 * * 7", "duration": "2h", "applications": ["*"]}]);
    let path = write_project(dir.path(), 0, w.as_array().unwrap());
    let out = cabin().args(["windows", "check", "--project"]).arg(&path).args(["--at", "2024-07-15T11:00:00Z", "--json"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["error"], "invalid sync windows: cannot parse schedule '* 10 * * 7': end of range (7) above maximum (6): 7");
    assert_eq!(v["auto_sync_allowed"], false);
    assert_eq!(v["status"], "Sync Allowed");
    let val = run_validate(&path);
    assert_eq!(val, Err("cannot parse schedule '* 10 * * 7': end of range (7) above maximum (6): 7".into()));
}

#[test]
fn unusable_input_exits_two_with_a_message() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.yaml");
    let not_yaml = dir.path().join("bad.yaml");
    std::fs::write(&not_yaml, "kind: [unclosed").unwrap();
    let not_project = dir.path().join("cm.yaml");
    std::fs::write(&not_project, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n").unwrap();
    for (path, needle) in [(&missing, "cannot read"), (&not_yaml, "YAML"), (&not_project, "AppProject")] {
        for sub in ["check", "validate"] {
            let out = cabin().args(["windows", sub, "--project"]).arg(path).output().unwrap();
            assert_eq!(out.status.code(), Some(2), "{sub} {}", path.display());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.contains(needle), "{sub}: {err}");
        }
    }
    let out = cabin().args(["windows", "check", "--project"]).arg(&not_project).args(["--at", "yesterday"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_prints_an_agenda() {
    let dir = tempfile::tempdir().unwrap();
    let w = json!([{"kind": "allow", "schedule": "0 2 * * 2,4", "duration": "4h", "applications": ["*"]}]);
    let path = write_project(dir.path(), 0, w.as_array().unwrap());
    let out = cabin().args(["windows", "list", "--project"]).arg(&path).args(["--days", "7"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("at 02:00 on Tuesday and Thursday, for 4h, UTC"), "{text}");
    let n = text.matches("Allow case-0[0]").count();
    assert!((2..=3).contains(&n), "{text}");
}

#[test]
fn list_days_out_of_range_is_a_message_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_project(dir.path(), 0, &[json!({"kind": "allow", "schedule": "0 2 * * *", "duration": "1h", "applications": ["*"]})]);
    for days in ["4000000000", "3661", "0"] {
        let out = cabin().args(["windows", "list", "--project"]).arg(&path).args(["--days", days]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "--days {days}: {err}");
        assert!(err.contains("--days") && !err.contains("panicked"), "--days {days}: {err}");
    }
    let out = cabin().args(["windows", "list", "--project"]).arg(&path).args(["--days", "4000000000"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("4000000000 is not in 1..=3660"), "{}", String::from_utf8_lossy(&out.stderr));
    // The largest allowed value still renders.
    let out = cabin().args(["windows", "list", "--project"]).arg(&path).args(["--days", "3660"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}
