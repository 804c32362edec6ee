//! Change request files: parsing, rules and exact `FILE:LINE: field: message` texts.

use cabin::domain::change::*;
use chrono::{TimeZone, Utc};
use std::time::Duration;

/// The contract's example from issue 9, verbatim.
const GOOD: &str = r#"apiVersion: cabin.dev/v1alpha1
kind: ChangeRequest
metadata:
  name: CHG-1042                      # the change id: journal, backup names, Lease, labels
spec:
  title: Upgrade payments-api to 2.5.0
  ticket: https://tracker.example.com/CHG-1042   # optional
  description: Fixes the refund rounding bug.     # optional
  risk: medium                        # low | medium | high
  emergency: false                    # only freezes with an `emergency` exception admit it
  labels: [payments]                  # matched against freeze exceptions
  author: alice
  approvedBy: [sre-lead, platform-lead]
  tested: staging-us-east 2026-11-20  # optional
  window: 2026-12-01T02:00:00Z/PT4H   # optional: the slot it is planned for (ISO 8601 interval)
  targets:
    - kind: Deployment                # Deployment | StatefulSet
      namespace: payments
      name: payments-api
      images: {api: registry.example.com/payments-api:2.5.0}   # container name -> new image
  rollout:                            # optional; a sensible default when absent
    steps:
      - {pods: 1, hold: 2m}           # canary: this many updated pods, watched for `hold`
      - {percent: 50, hold: 2m}
      - {percent: 100, hold: 1m}
  health:                             # optional; defaults as below
    maxRestarts: 0                    # restarts of updated pods tolerated during a hold
    onFailure: rollback               # rollback | pause
  backup:                             # optional; absent = no Velero backup (preflight warns)
    velero: {includedNamespaces: [payments], snapshotVolumes: true, ttl: 720h}
"#;

/// A block-style request (no flow collections) with two targets.
const BLOCK: &str = "apiVersion: cabin.dev/v1alpha1
kind: ChangeRequest
metadata:
  name: CHG-7
spec:
  title: Two targets
  risk: high
  author: bob
  approvedBy:
  - carol
  - dave
  targets:
  - kind: Deployment
    namespace: shop
    name: web
    images:
      web: ghcr.io/acme/web:1.2.3
      sidecar: envoyproxy/envoy:v1.31.0
  - kind: StatefulSet
    namespace: shop
    name: db
    images:
      db: postgres:16.4
  rollout:
    steps:
    - pods: 1
      hold: 30s
    - percent: 100
";

fn messages(text: &str) -> Vec<String> {
    match parse_change("c.yaml", text) {
        Ok(c) => panic!("expected problems, got a valid change {}", c.id),
        Err(p) => p.iter().map(|p| p.render("c.yaml")).collect(),
    }
}

fn ok(text: &str) -> ChangeRequest {
    match parse_change("c.yaml", text) {
        Ok(c) => c,
        Err(p) => panic!("unexpected problems: {:?}", p.iter().map(|p| p.render("c.yaml")).collect::<Vec<_>>()),
    }
}

#[test]
fn the_contract_example_parses_into_every_field() {
    let c = ok(GOOD);
    assert_eq!(c.id, "CHG-1042");
    assert_eq!(c.file, "c.yaml");
    assert_eq!(c.title, "Upgrade payments-api to 2.5.0");
    assert_eq!(c.ticket.as_deref(), Some("https://tracker.example.com/CHG-1042"));
    assert_eq!(c.description.as_deref(), Some("Fixes the refund rounding bug."));
    assert_eq!(c.risk, Risk::Medium);
    assert!(!c.emergency);
    assert_eq!(c.labels, vec!["payments"]);
    assert_eq!(c.author, "alice");
    assert_eq!(c.approved_by, vec!["sre-lead", "platform-lead"]);
    assert_eq!(c.tested.as_deref(), Some("staging-us-east 2026-11-20"));
    let slot = c.window.clone().expect("window");
    assert_eq!(slot.start, Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap());
    assert_eq!(slot.end, Utc.with_ymd_and_hms(2026, 12, 1, 6, 0, 0).unwrap());
    assert_eq!(c.targets.len(), 1);
    let t = &c.targets[0];
    assert_eq!(t.workload, TargetRef { kind: WorkloadKind::Deployment, namespace: "payments".into(), name: "payments-api".into() });
    assert_eq!(t.images, vec![("api".to_string(), "registry.example.com/payments-api:2.5.0".to_string())]);
    assert!(!c.rollout.defaulted);
    assert_eq!(
        c.rollout.steps,
        vec![
            Step { amount: StepAmount::Pods(1), hold: Duration::from_secs(120) },
            Step { amount: StepAmount::Percent(50), hold: Duration::from_secs(120) },
            Step { amount: StepAmount::Percent(100), hold: Duration::from_secs(60) },
        ]
    );
    assert_eq!(c.health, HealthPolicy { max_restarts: 0, on_failure: OnFailure::Rollback });
    let b = c.backup.expect("backup");
    assert_eq!(b.included_namespaces, vec!["payments"]);
    assert_eq!(b.snapshot_volumes, Some(true));
    assert_eq!(b.ttl, Duration::from_secs(720 * 3600));
}

#[test]
fn defaults_when_optional_sections_are_absent() {
    let text = BLOCK.replace("  rollout:\n    steps:\n    - pods: 1\n      hold: 30s\n    - percent: 100\n", "");
    let c = ok(&text);
    assert!(c.rollout.defaulted);
    assert_eq!(c.rollout.steps, default_steps());
    assert_eq!(c.health, HealthPolicy { max_restarts: 0, on_failure: OnFailure::Rollback });
    assert_eq!(c.backup, None);
    assert_eq!(c.window, None);
    assert!(!c.emergency);
    assert_eq!(c.targets[0].images[1], ("sidecar".to_string(), "envoyproxy/envoy:v1.31.0".to_string()));
    assert_eq!(c.targets[1].workload.kind, WorkloadKind::StatefulSet);
}

#[test]
fn a_step_without_hold_holds_zero_and_velero_namespaces_default_to_the_targets() {
    let text = format!("{BLOCK}  backup:\n    velero: {{}}\n");
    let c = ok(&text);
    assert_eq!(c.rollout.steps[1], Step { amount: StepAmount::Percent(100), hold: Duration::ZERO });
    let b = c.backup.expect("backup");
    assert_eq!(b.included_namespaces, vec!["shop"]);
    assert_eq!(b.ttl, Duration::from_secs(720 * 3600));
    assert_eq!(b.snapshot_volumes, None);
}

/// (edit of GOOD, exact messages).
#[test]
fn rule_violations_in_the_flow_style_example() {
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            GOOD.replace("kind: ChangeRequest", "kind: ChangeReq"),
            vec!["c.yaml:2: kind: unknown kind \"ChangeReq\" (expected ChangeRequest)"],
        ),
        (
            GOOD.replace("cabin.dev/v1alpha1", "cabin.dev/v2"),
            vec!["c.yaml:1: apiVersion: unsupported apiVersion \"cabin.dev/v2\" (expected cabin.dev/v1alpha1)"],
        ),
        (
            GOOD.replace("{pods: 1, hold: 2m}", "{hold: 2m}"),
            vec!["c.yaml:23: spec.rollout.steps[0]: a step needs pods or percent (a hold without a step)"],
        ),
        (
            GOOD.replace("{pods: 1, hold: 2m}", "{pods: 1, percent: 5, hold: 2m}"),
            vec!["c.yaml:23: spec.rollout.steps[0]: a step has either pods or percent, not both"],
        ),
        (
            GOOD.replace("{percent: 50, hold: 2m}", "{percent: 150, hold: 2m}"),
            vec!["c.yaml:24: spec.rollout.steps[1].percent: 150 is out of range (1 to 100)"],
        ),
        (
            GOOD.replace("{percent: 50, hold: 2m}", "{percent: 0, hold: 2m}"),
            vec!["c.yaml:24: spec.rollout.steps[1].percent: 0 is out of range (1 to 100)"],
        ),
        (GOOD.replace("{pods: 1, hold: 2m}", "{pods: 0, hold: 2m}"), vec!["c.yaml:23: spec.rollout.steps[0].pods: must be at least 1"]),
        (
            GOOD.replace("{pods: 1, hold: 2m}", "{pods: 1, hold: 2 minutes}"),
            vec!["c.yaml:23: spec.rollout.steps[0].hold: time: unknown unit \" minutes\" in duration \"2 minutes\""],
        ),
        (
            GOOD.replace("{pods: 1, hold: 2m}", "{pods: 1, hold: 25h}"),
            vec!["c.yaml:23: spec.rollout.steps[0].hold: duration \"25h\" is longer than 24h"],
        ),
        (
            GOOD.replace("{pods: 1, hold: 2m}", "{pods: 1, hold: -2m}"),
            vec!["c.yaml:23: spec.rollout.steps[0].hold: duration \"-2m\" is negative"],
        ),
        (
            GOOD.replace("{percent: 100, hold: 1m}", "{percent: 40, hold: 1m}"),
            vec!["c.yaml:25: spec.rollout.steps[2].percent: 40% is below an earlier step's 50%: steps never go backwards"],
        ),
        (GOOD.replace("ttl: 720h", "ttl: 30d"), vec!["c.yaml:30: spec.backup.velero.ttl: time: unknown unit \"d\" in duration \"30d\""]),
        (
            GOOD.replace("{api: registry.example.com/payments-api", "{api: registry.example.com/Payments-api"),
            vec![
                "c.yaml:20: spec.targets[0].images.api: image \"registry.example.com/Payments-api:2.5.0\" is not a valid reference: repository name (Payments-api) must be lowercase",
            ],
        ),
        (
            GOOD.replace("{api: registry.example.com/payments-api:2.5.0}", "{}"),
            vec!["c.yaml:20: spec.targets[0].images: at least one container image is required (container name: image)"],
        ),
        (
            GOOD.replace("approvedBy: [sre-lead, platform-lead]", "approvedBy: [sre-lead, '']"),
            vec!["c.yaml:13: spec.approvedBy[1]: empty approver"],
        ),
        (GOOD.replace("risk: medium ", "risk: severe "), vec!["c.yaml:9: spec.risk: unknown risk \"severe\" (low, medium or high)"]),
        (
            GOOD.replace("onFailure: rollback ", "onFailure: retry    "),
            vec!["c.yaml:28: spec.health.onFailure: unknown onFailure \"retry\" (rollback or pause)"],
        ),
        (
            GOOD.replace("kind: Deployment ", "kind: DaemonSet  "),
            vec!["c.yaml:17: spec.targets[0].kind: unknown kind \"DaemonSet\" (Deployment or StatefulSet)"],
        ),
        (
            GOOD.replace("namespace: payments\n", "namespace: Payments\n"),
            vec!["c.yaml:18: spec.targets[0].namespace: \"Payments\" is not a valid namespace (lowercase RFC 1123 label)"],
        ),
        (
            GOOD.replace("name: CHG-1042 ", "name: CHG_1042 "),
            vec![
                "c.yaml:4: metadata.name: change id \"CHG_1042\" must be letters, digits, '-' or '.', start and end with a letter or digit, at most 63 characters (it names the backup, the Lease and the change-id label)",
            ],
        ),
        (GOOD.replace("  title: Upgrade payments-api to 2.5.0\n", "  title: '  '\n"), vec!["c.yaml:6: spec.title: must not be empty"]),
        (GOOD.replace("  author: alice\n", ""), vec!["c.yaml:5: spec.author: required"]),
        (
            GOOD.replace("2026-12-01T02:00:00Z/PT4H", "2026-12-01T02:00:00/PT4H"),
            vec!["c.yaml:15: spec.window: \"2026-12-01T02:00:00\" is not an RFC 3339 time with a zone (e.g. 2026-12-01T02:00:00Z)"],
        ),
        (
            GOOD.replace("2026-12-01T02:00:00Z/PT4H", "2026-12-01T02:00:00Z/P1M"),
            vec![
                "c.yaml:15: spec.window: \"P1M\" is not an ISO 8601 duration (years and months are not supported; use weeks, days or hours)",
            ],
        ),
        (
            GOOD.replace("2026-12-01T02:00:00Z/PT4H", "2026-12-01T02:00:00Z/2026-12-01T01:00:00Z"),
            vec!["c.yaml:15: spec.window: interval \"2026-12-01T02:00:00Z/2026-12-01T01:00:00Z\" is empty: its end is not after its start"],
        ),
        (
            GOOD.replace("2026-12-01T02:00:00Z/PT4H", "tonight"),
            vec!["c.yaml:15: spec.window: \"tonight\" is not an interval: use START/DURATION (2026-12-01T02:00:00Z/PT4H) or START/END"],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(messages(&text), want, "for:\n{text}");
    }
}

#[test]
fn rule_violations_in_block_style_point_at_the_exact_line() {
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            BLOCK.replace(
                "  - kind: StatefulSet\n    namespace: shop\n    name: db\n",
                "  - kind: Deployment\n    namespace: shop\n    name: web\n",
            ),
            vec!["c.yaml:19: spec.targets[1]: Deployment shop/web is listed twice (also targets[0])"],
        ),
        (
            BLOCK.replace("      sidecar: envoyproxy/envoy:v1.31.0", "      sidecar: envoyproxy/envoy:-bad"),
            vec![
                "c.yaml:18: spec.targets[0].images.sidecar: image \"envoyproxy/envoy:-bad\" is not a valid reference: invalid tag \"-bad\" (letters, digits, '_', '.', '-'; not starting with '.' or '-')",
            ],
        ),
        (
            BLOCK.replace("    - percent: 100\n", "    - hold: 1m\n"),
            vec!["c.yaml:28: spec.rollout.steps[1]: a step needs pods or percent (a hold without a step)"],
        ),
        (
            BLOCK.replace("      hold: 30s\n", "      hold: 30\n"),
            vec!["c.yaml:27: spec.rollout.steps[0].hold: time: missing unit in duration \"30\""],
        ),
        (BLOCK.replace("  - dave\n", "  - ''\n"), vec!["c.yaml:11: spec.approvedBy[1]: empty approver"]),
        (BLOCK.replace("    name: db\n", ""), vec!["c.yaml:19: spec.targets[1].name: required"]),
        (
            BLOCK.replace("  targets:\n", "  targets: []\n  x:\n"),
            vec![
                "c.yaml:13: spec.x: unknown field `x`, expected one of `title`, `ticket`, `description`, `risk`, `emergency`, `labels`, `author`, `approvedBy`, `tested`, `window`, `targets`, `rollout`, `health`, `backup`",
            ],
        ),
        (
            BLOCK.replace("  rollout:\n    steps:\n    - pods: 1\n      hold: 30s\n    - percent: 100\n", "  rollout: {}\n"),
            vec!["c.yaml:24: spec.rollout.steps: at least one step is required (or leave rollout out for the default plan)"],
        ),
    ];
    for (text, want) in cases {
        assert_eq!(messages(&text), want, "for:\n{text}");
    }
}

#[test]
fn every_violation_is_reported_not_only_the_first() {
    let text = GOOD
        .replace("kind: ChangeRequest", "kind: Change")
        .replace("{pods: 1, hold: 2m}", "{hold: 2m}")
        .replace("{percent: 50, hold: 2m}", "{percent: 101, hold: 2m}")
        .replace("  author: alice\n", "");
    assert_eq!(
        messages(&text),
        vec![
            "c.yaml:2: kind: unknown kind \"Change\" (expected ChangeRequest)",
            "c.yaml:5: spec.author: required",
            "c.yaml:22: spec.rollout.steps[0]: a step needs pods or percent (a hold without a step)",
            "c.yaml:23: spec.rollout.steps[1].percent: 101 is out of range (1 to 100)",
        ]
    );
}

#[test]
fn syntax_and_type_errors_use_the_yaml_location() {
    let cases: Vec<(String, Vec<&str>)> = vec![
        (
            GOOD.replace("  ticket:", "  tickt:"),
            vec![
                "c.yaml:7: spec.tickt: unknown field `tickt`, expected one of `title`, `ticket`, `description`, `risk`, `emergency`, `labels`, `author`, `approvedBy`, `tested`, `window`, `targets`, `rollout`, `health`, `backup`",
            ],
        ),
        (
            GOOD.replace("    onFailure: rollback", "    onFailure: rollback\n    extra: 1"),
            vec!["c.yaml:29: spec.health.extra: unknown field `extra`, expected `maxRestarts` or `onFailure`"],
        ),
        (
            GOOD.replace("maxRestarts: 0", "maxRestarts: -1"),
            vec!["c.yaml:27: spec.health.maxRestarts: invalid type: integer `-1`, expected u32"],
        ),
        (
            GOOD.replace("emergency: false", "emergency: maybe"),
            vec!["c.yaml:10: spec.emergency: invalid type: string \"maybe\", expected a boolean"],
        ),
        (GOOD.replace("{api: registry", "{api: x, api: registry"), vec!["c.yaml:20: spec.targets[0].images.api: duplicate key `api`"]),
        (GOOD.replace("  title: Upgrade", "  title: a\n  title: Upgrade"), vec!["c.yaml:7: spec.title: duplicate field `title`"]),
        (BLOCK.replace("      sidecar:", "      web:"), vec!["c.yaml:18: spec.targets[0].images.web: duplicate key `web`"]),
        ("- a\n- b\n".into(), vec!["c.yaml:1: invalid type: sequence, expected a mapping"]),
        (
            "spec:\n  title: 'x\n".into(),
            vec!["c.yaml:3: found unexpected end of stream, while scanning a quoted scalar at line 2 column 10"],
        ),
        ("spec:\n  title: x\n bad\n".into(), vec!["c.yaml:3: did not find expected key, while parsing a block mapping"]),
        ("kind: a: b\n".into(), vec!["c.yaml:1: mapping values are not allowed in this context"]),
        ("".into(), vec!["c.yaml:1: the file is empty (no change request)"]),
        ("# nothing\n\n".into(), vec!["c.yaml:1: the file is empty (no change request)"]),
    ];
    for (text, want) in cases {
        assert_eq!(messages(&text), want, "for:\n{text}");
    }
}

#[test]
fn change_set_lists_invalid_files_and_duplicate_ids() {
    let other = GOOD.replace("payments-api\n", "payments-worker\n");
    let broken = GOOD.replace("kind: ChangeRequest", "kind: Nope");
    let block = BLOCK.to_string();
    let files = vec![("a.yaml", GOOD.to_string()), ("b.yaml", other), ("c.yaml", block), ("d.yaml", broken)];
    let set = ChangeSet::parse(&files);
    assert_eq!(set.valid.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), vec!["CHG-7"]);
    assert_eq!(set.get("CHG-7").map(|c| c.file.as_str()), Some("c.yaml"));
    assert!(set.get("CHG-1042").is_none());
    let invalid: Vec<(&str, Vec<String>)> = set.invalid.iter().map(|f| (f.file.as_str(), f.messages.clone())).collect();
    assert_eq!(
        invalid,
        vec![
            ("a.yaml", vec!["a.yaml:4: metadata.name: duplicate change id \"CHG-1042\" (also in b.yaml)".to_string()]),
            ("b.yaml", vec!["b.yaml:4: metadata.name: duplicate change id \"CHG-1042\" (also in a.yaml)".to_string()]),
            ("d.yaml", vec!["d.yaml:2: kind: unknown kind \"Nope\" (expected ChangeRequest)".to_string()]),
        ]
    );
    assert_eq!(set.invalid[2].id.as_deref(), Some("CHG-1042"));
}

#[test]
fn freeze_labels_admit_emergency_only_when_the_change_is_one() {
    let mut c = ok(GOOD);
    c.labels = vec!["payments".into(), "emergency".into()];
    assert_eq!(c.freeze_labels(), vec!["payments"]);
    c.emergency = true;
    assert_eq!(c.freeze_labels(), vec!["payments", "emergency"]);
}

#[test]
fn windows_accept_start_duration_start_end_and_duration_end() {
    for (w, hours) in [
        ("2026-12-01T02:00:00Z/PT4H", 4),
        ("2026-12-01T02:00:00Z/PT3H60M", 4),
        ("2026-12-01T02:00:00Z/2026-12-01T06:00:00Z", 4),
        ("2026-12-01T03:00:00+01:00/2026-12-01T06:00:00Z", 4),
        ("PT4H/2026-12-01T06:00:00Z", 4),
        ("2026-12-01T02:00:00Z/P1D", 24),
        ("2026-12-01T02:00:00Z/P1W", 168),
        ("2026-12-01T02:00:00Z/P1DT2H", 26),
    ] {
        let c = ok(&GOOD.replace("2026-12-01T02:00:00Z/PT4H", w));
        let s = c.window.expect("window");
        assert_eq!(s.start, Utc.with_ymd_and_hms(2026, 12, 1, 2, 0, 0).unwrap(), "{w}");
        assert_eq!((s.end - s.start).num_hours(), hours, "{w}");
    }
    for w in [
        "2026-12-01T02:00:00Z/PT",
        "2026-12-01T02:00:00Z/P",
        "2026-12-01T02:00:00Z/P400D",
        "2026-12-01T02:00:00Z/PT4",
        "2026-12-01T02:00:00Z/P1Y",
    ] {
        assert!(parse_change("c.yaml", &GOOD.replace("2026-12-01T02:00:00Z/PT4H", w)).is_err(), "{w}");
    }
}
