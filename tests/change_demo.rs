//! The demo's change requests: valid, aimed at objects of the demo scenario, and telling the
//! four stories (ready, crash-loop, missing approval, emergency during a freeze).

use cabin::domain::change::*;
use std::time::Duration;

fn demo_set() -> ChangeSet {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/changes/demo");
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .expect("demo dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| (p.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read_to_string(&p).expect("read")))
        .collect();
    files.sort();
    ChangeSet::parse(&files)
}

fn scenario() -> yaml_serde::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios/demo.yaml")).expect("scenario");
    yaml_serde::from_str(&text).expect("scenario yaml")
}

/// (replicas, container names) of the scenario object a target names.
fn live(scenario: &yaml_serde::Value, t: &TargetRef) -> Option<(u32, Vec<String>)> {
    let objects = scenario.get("objects")?.as_sequence()?;
    let o = objects.iter().find(|o| {
        o.get("kind").and_then(|k| k.as_str()) == Some(t.kind.as_str())
            && o["metadata"]["namespace"].as_str() == Some(t.namespace.as_str())
            && o["metadata"]["name"].as_str() == Some(t.name.as_str())
    })?;
    let replicas = u32::try_from(o["spec"]["replicas"].as_u64()?).ok()?;
    let containers = o["spec"]["template"]["spec"]["containers"].as_sequence()?;
    Some((replicas, containers.iter().filter_map(|c| c["name"].as_str().map(str::to_string)).collect()))
}

#[test]
fn four_valid_demo_changes_aimed_at_scenario_objects() {
    let set = demo_set();
    assert!(set.invalid.is_empty(), "{:?}", set.invalid);
    let ids: Vec<&str> = set.valid.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, vec!["CHG-2001", "CHG-2002", "CHG-2003", "CHG-2004"]);
    let sc = scenario();
    for c in &set.valid {
        assert!(c.window.is_none(), "{}: demo windows are laid relative to the demo start, not in the files", c.id);
        for t in &c.targets {
            let (replicas, containers) = live(&sc, &t.workload).unwrap_or_else(|| panic!("{}: {} not in the scenario", c.id, t.workload));
            for (name, _) in &t.images {
                assert!(containers.contains(name), "{}: no container {name} in {}", c.id, t.workload);
            }
            let plan = plan_rollout(t.workload.kind, WorkloadShape::Deployment { replicas, rolling: Some((None, None)) }, &c.rollout.steps)
                .expect("plan");
            let total: Duration = plan.holds.iter().map(|h| h.hold).sum();
            assert!(total <= Duration::from_secs(60), "{}: holds add up to {total:?}", c.id);
            assert!(plan.holds.iter().all(|h| h.hold <= Duration::from_secs(20)), "{}", c.id);
        }
    }
}

#[test]
fn the_stories_ready_crash_loop_missing_approval_emergency() {
    let set = demo_set();
    let sc = scenario();
    let bad: Vec<&str> = sc["behavior"]["badImages"].as_sequence().expect("badImages").iter().filter_map(|v| v.as_str()).collect();
    let image = |id: &str| set.get(id).expect(id).targets[0].images[0].1.clone();
    assert!(!bad.contains(&image("CHG-2001").as_str()), "the ready change's image runs");
    assert!(bad.contains(&image("CHG-2002").as_str()), "the crash-loop change uses an image the simulator crash-loops");
    assert_eq!(set.get("CHG-2002").expect("2002").health.on_failure, OnFailure::Rollback);

    let policy = ApprovalPolicy::default();
    for id in ["CHG-2001", "CHG-2002", "CHG-2004"] {
        assert!(policy.verdict(set.get(id).expect(id)).met, "{id} is approved");
    }
    let v = policy.verdict(set.get("CHG-2003").expect("2003"));
    assert!(!v.met);
    assert_eq!(v.ignored[0].reason, "the author cannot approve their own change");

    let e = set.get("CHG-2004").expect("2004");
    assert!(e.emergency);
    assert!(e.freeze_labels().contains(&"emergency".to_string()));
    assert!(e.backup.is_none());
}
