//! JSON shapes of a change request (for `change list --json` and the CAB pack), and a few
//! rules on added fields and ids.

use cabin::domain::change::*;
use serde_json::json;

fn demo_text(name: &str) -> String {
    std::fs::read_to_string(format!("{}/assets/changes/demo/{name}", env!("CARGO_MANIFEST_DIR"))).expect("demo file")
}

#[test]
fn change_request_json_shape() {
    let c = parse_change("chg-2001.yaml", &demo_text("chg-2001-payments-api.yaml")).expect("valid");
    let v = serde_json::to_value(&c).expect("json");
    assert_eq!(v["id"], json!("CHG-2001"));
    assert_eq!(v["risk"], json!("medium"));
    assert_eq!(v["approvedBy"], json!(["sre-lead", "platform-lead"]));
    assert_eq!(
        v["targets"],
        json!([{"kind": "Deployment", "namespace": "payments", "name": "payments-api", "images": {"app": "ghcr.io/acme/payments-api:1.14.3"}}])
    );
    assert_eq!(
        v["rollout"],
        json!({"steps": [
            {"amount": {"pods": 1}, "hold": "20s"},
            {"amount": {"percent": 50}, "hold": "15s"},
            {"amount": {"percent": 100}, "hold": "10s"},
        ], "defaulted": false})
    );
    assert_eq!(v["health"], json!({"maxRestarts": 0, "onFailure": "rollback"}));
    assert_eq!(v["backup"], json!({"includedNamespaces": ["payments"], "snapshotVolumes": true, "ttl": "72h", "storageLocation": null}));
    assert_eq!(v["window"], json!(null));
}

#[test]
fn durations_format_like_go() {
    use cabin::domain::change::duration::format_go_duration;
    use std::time::Duration;
    for (secs, ms, want) in
        [(0, 0, "0s"), (90, 0, "1m30s"), (5400, 0, "1h30m"), (2_592_000, 0, "720h"), (0, 500, "500ms"), (1, 500, "1.500s")]
    {
        assert_eq!(format_go_duration(Duration::from_secs(secs) + Duration::from_millis(ms)), want);
    }
}

#[test]
fn storage_location_is_an_object_name() {
    let text = demo_text("chg-2001-payments-api.yaml").replace("ttl: 72h}", "ttl: 72h, storageLocation: Primary_S3}");
    let problems = parse_change("c.yaml", &text).expect_err("invalid");
    assert_eq!(
        problems.iter().map(|p| p.render("c.yaml")).collect::<Vec<_>>(),
        vec!["c.yaml:32: spec.backup.velero.storageLocation: \"Primary_S3\" is not a valid object name (lowercase RFC 1123 subdomain)"]
    );
    let ok = parse_change("c.yaml", &text.replace("Primary_S3", "primary-s3")).expect("valid");
    assert_eq!(ok.backup.and_then(|b| b.storage_location).as_deref(), Some("primary-s3"));
}

#[test]
fn ids_differing_only_in_case_are_duplicates() {
    let a = demo_text("chg-2003-search-api.yaml");
    let b = a.replace("name: CHG-2003", "name: chg-2003");
    let set = ChangeSet::parse(&[("a.yaml", a.as_str()), ("b.yaml", b.as_str())]);
    assert!(set.valid.is_empty());
    assert_eq!(set.invalid[1].messages, vec!["b.yaml:6: metadata.name: duplicate change id \"chg-2003\" (also in a.yaml)"]);
}

#[test]
fn long_lists_and_many_problems_are_bounded() {
    let base = demo_text("chg-2003-search-api.yaml");
    let many_labels = format!("[{}]", (0..101).map(|i| format!("l{i}")).collect::<Vec<_>>().join(", "));
    let text = base.replace("labels: [search]", &format!("labels: {many_labels}"));
    let msgs: Vec<String> = parse_change("c.yaml", &text).expect_err("invalid").iter().map(|p| p.render("c.yaml")).collect();
    assert_eq!(msgs, vec!["c.yaml:13: spec.labels: at most 100 entries"]);

    let images: String = (0..80).map(|i| format!("        c{i}: Bad{i}\n")).collect();
    let text = base.replace("      images: {app: ghcr.io/acme/search-api:5.0.4}\n", &format!("      images:\n{images}"));
    let problems = parse_change("c.yaml", &text).expect_err("invalid");
    assert_eq!(problems.len(), 51);
    assert_eq!(
        problems[0].render("c.yaml"),
        "c.yaml:22: spec.targets[0].images.c0: image \"Bad0\" is not a valid reference: repository name (Bad0) must be lowercase"
    );
    assert_eq!(problems[49].line, 71);
    assert_eq!(problems[50].render("c.yaml"), "c.yaml:71: 30 more problem(s) not shown");
}

/// Every key of the contract (and of the fields added to it), so the typed parser and the
/// unknown-key schema cannot drift apart: a key only one of them knows fails this test.
const EVERY_KEY: &str = "apiVersion: cabin.dev/v1alpha1
kind: ChangeRequest
metadata:
  name: CHG-1
  labels: {team: payments}
  annotations: {note: x}
spec:
  title: t
  ticket: T-1
  description: d
  risk: low
  emergency: false
  labels: [a]
  author: alice
  approvedBy: [b, c]
  tested: staging
  window: 2026-12-01T02:00:00Z/PT4H
  targets:
  - {kind: Deployment, namespace: a, name: b, images: {app: x:1}}
  rollout:
    steps:
    - {pods: 1, percent: null, hold: 1m}
  health: {maxRestarts: 1, onFailure: pause}
  backup:
    velero: {includedNamespaces: [a], snapshotVolumes: false, ttl: 1h, storageLocation: s3}
";

#[test]
fn every_key_of_the_contract_is_known_to_both_parsers() {
    let c = parse_change("c.yaml", EVERY_KEY).expect("valid");
    assert_eq!(c.health.on_failure, OnFailure::Pause);
}

#[test]
fn every_unknown_key_is_reported_at_once() {
    let text = EVERY_KEY
        .replace("  tested: staging\n", "  tested: staging\n  reviewer: zoe\n")
        .replace("{pods: 1, percent: null, hold: 1m}", "{pods: 1, hold: 1m, pause: true}")
        .replace("  name: CHG-1\n", "  name: CHG-1\n  namespace: x\n")
        .replace("    velero:", "    restic: {}\n    velero:");
    let msgs: Vec<String> = parse_change("c.yaml", &text).expect_err("invalid").iter().map(|p| p.render("c.yaml")).collect();
    assert_eq!(
        msgs,
        vec![
            "c.yaml:5: metadata.namespace: unknown field `namespace`, expected one of `name`, `labels`, `annotations`",
            "c.yaml:18: spec.reviewer: unknown field `reviewer`, expected one of `title`, `ticket`, `description`, `risk`, `emergency`, `labels`, `author`, `approvedBy`, `tested`, `window`, `targets`, `rollout`, `health`, `backup`",
            "c.yaml:24: spec.rollout.steps[0].pause: unknown field `pause`, expected one of `pods`, `percent`, `hold`",
            "c.yaml:27: spec.backup.restic: unknown field `restic`, expected `velero`",
        ]
    );
}
