use super::*;

fn of_kind<'a>(s: &'a Scenario, kind: &str) -> Vec<&'a Value> {
    s.objects.iter().filter(|o| o["kind"] == kind).collect()
}

#[test]
fn demo_has_the_promised_cluster() {
    let s = load("demo").unwrap();
    let ns: Vec<&str> = of_kind(&s, "Namespace").iter().map(|o| o["metadata"]["name"].as_str().unwrap()).collect();
    assert_eq!(ns, ["payments", "checkout", "search", "platform", "velero", "argocd"]);
    assert_eq!(of_kind(&s, "Node").len(), 3);
    let deploys = of_kind(&s, "Deployment").len();
    assert!((10..=16).contains(&deploys), "{deploys} deployments");
    assert_eq!(of_kind(&s, "StatefulSet").len(), 1);
    assert!(!of_kind(&s, "PodDisruptionBudget").is_empty());
    assert!(!of_kind(&s, "ResourceQuota").is_empty());
    assert!(!of_kind(&s, "LimitRange").is_empty());
    let bsl = of_kind(&s, "BackupStorageLocation");
    assert_eq!(bsl[0]["metadata"]["name"], "default");
    assert_eq!(bsl[0]["status"]["phase"], "Available");
}

#[test]
fn demo_project_holds_the_three_sync_windows() {
    let s = load("demo").unwrap();
    let proj = of_kind(&s, "AppProject").into_iter().find(|p| p["metadata"]["name"] == "production").unwrap();
    let w = &proj["spec"]["syncWindows"];
    assert_eq!(w[0], json!({"kind": "allow", "schedule": "0 2 * * 2,4", "duration": "4h", "timeZone": "UTC", "applications": ["*"]}));
    assert_eq!(w[1], json!({"kind": "deny", "schedule": "0 8 * * 1-5", "duration": "10h", "applications": ["*"]}));
    assert_eq!(
        w[2],
        json!({"kind": "allow", "schedule": "* * * * *", "duration": "1h", "applications": ["security-*"], "manualSync": true})
    );
    assert_eq!(w.as_array().unwrap().len(), 3);
}

#[test]
fn demo_marks_the_canary_image_bad() {
    let s = load("demo").unwrap();
    assert_eq!(s.behavior.image_verdict("ghcr.io/acme/payments-api:1.15.0-rc1"), ImageVerdict::Crashes);
    assert_eq!(s.behavior.image_verdict("ghcr.io/acme/payments-api:1.14.2"), ImageVerdict::Good);
    assert_eq!(s.behavior.image_verdict("nginx:does-not-exist"), ImageVerdict::Unknown);
    assert_eq!(s.behavior.pod_step_ms, 300);
}

#[test]
fn image_rules() {
    let b = Behavior { bad_images: vec!["registry:5000/bad".into()], unknown_tags: vec!["9.9.9".into()], ..Behavior::default() };
    assert_eq!(split_image("registry:5000/app"), ("registry:5000/app", "latest"));
    assert_eq!(split_image("nginx:1.27@sha256:abc"), ("nginx", "1.27"));
    assert_eq!(b.image_verdict("registry:5000/bad:1.0"), ImageVerdict::Crashes);
    assert_eq!(b.image_verdict("nginx:9.9.9"), ImageVerdict::Unknown);
    assert_eq!(b.image_verdict("nginx:1.27"), ImageVerdict::Good);
}

#[test]
fn bad_file_names_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.yaml");
    std::fs::write(&path, "objects:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: {}\n").unwrap();
    let err = load(path.to_str().unwrap()).unwrap_err().to_string();
    assert!(err.contains("broken.yaml"), "{err}");
    assert!(err.contains("objects[0].metadata.name"), "{err}");
    assert!(err.contains("is required"), "{err}");
}

#[test]
fn bad_behavior_field_is_named() {
    let err = parse("s.yaml", "behavior:\n  podStepMillis: 5\n").unwrap_err().to_string();
    assert!(err.contains("s.yaml") && err.contains("podStepMillis"), "{err}");
    let err = parse("s.yaml", "behavior:\n  podStepMs: soon\n").unwrap_err().to_string();
    assert!(err.contains("podStepMs"), "{err}");
}

#[test]
fn missing_kind_and_bad_name() {
    let err = parse("x.yaml", "objects:\n  - {apiVersion: v1, metadata: {name: a}}\n").unwrap_err().to_string();
    assert!(err.contains("objects[0].kind"), "{err}");
    let err = parse("x.yaml", "objects:\n  - {apiVersion: v1, kind: Namespace, metadata: {name: a}}\n  - {apiVersion: v1, kind: Namespace, metadata: {name: Bad_Name}}\n").unwrap_err().to_string();
    assert!(err.contains("objects[1].metadata.name") && err.contains("Bad_Name"), "{err}");
}

#[test]
fn missing_file_is_a_clear_error() {
    let err = load("/nonexistent/scenario.yaml").unwrap_err().to_string();
    assert!(err.contains("/nonexistent/scenario.yaml") && err.contains("demo"), "{err}");
}

#[test]
fn generate_makes_about_n_pods() {
    let s = generate(1000);
    let pods: u64 = of_kind(&s, "Deployment").iter().map(|d| d["spec"]["replicas"].as_u64().unwrap()).sum();
    assert_eq!(pods, 1000);
    assert!(of_kind(&s, "Namespace").len() >= 2);
    assert!(of_kind(&s, "Node").len() >= 3);
    let names: std::collections::BTreeSet<_> = s
        .objects
        .iter()
        .map(|o| (o["kind"].to_string(), o["metadata"]["namespace"].to_string(), o["metadata"]["name"].to_string()))
        .collect();
    assert_eq!(names.len(), s.objects.len(), "names are unique");
}
