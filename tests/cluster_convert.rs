//! Table tests: API objects (YAML fixtures in tests/fixtures/cluster/) → view types.
use cabin::cluster::convert;
use cabin::model::RolloutState;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod, ResourceQuota};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use serde::Deserialize;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/cluster/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn rollout(s: &str) -> RolloutState {
    match s {
        "Complete" => RolloutState::Complete,
        "Progressing" => RolloutState::Progressing,
        "Paused" => RolloutState::Paused,
        "Failed" => RolloutState::Failed,
        other => panic!("bad rollout {other}"),
    }
}

#[derive(Deserialize)]
struct WorkloadCase<K> {
    case: String,
    rollout: String,
    #[serde(default)]
    paused: bool,
    object: K,
}

#[test]
fn deployment_rollout_follows_kubectl_rollout_status() {
    let cases: Vec<WorkloadCase<Deployment>> = yaml_serde::from_str(&fixture("deployments.yaml")).unwrap();
    assert!(cases.len() >= 8);
    for c in cases {
        let view = convert::deployment_view(&c.object);
        assert_eq!(view.rollout, rollout(&c.rollout), "case {:?}", c.case);
        assert_eq!(view.paused, c.paused, "case {:?}", c.case);
    }
}

#[test]
fn deployment_view_fields() {
    let cases: Vec<WorkloadCase<Deployment>> = yaml_serde::from_str(&fixture("deployments.yaml")).unwrap();
    let v = convert::deployment_view(&cases[0].object);
    assert_eq!((v.namespace.as_str(), v.name.as_str()), ("payments", "web"));
    assert_eq!((v.desired, v.updated, v.ready, v.available), (3, 3, 3, 3));
    assert_eq!(v.images, vec!["registry.example/web:1.4.2".to_string()]);
    assert_eq!(v.revision, "3");
    assert_eq!(v.selector, vec![("app".to_string(), "web".to_string())]);
    assert_eq!(v.conditions.len(), 2);
    assert_eq!(v.conditions[1].reason, "NewReplicaSetAvailable");
    let failed = convert::deployment_view(&cases[5].object);
    assert!(failed.conditions[0].message.contains("timed out progressing"));
}

#[test]
fn statefulset_rollout() {
    let cases: Vec<WorkloadCase<StatefulSet>> = yaml_serde::from_str(&fixture("statefulsets.yaml")).unwrap();
    assert!(cases.len() >= 4);
    for c in cases {
        let view = convert::statefulset_view(&c.object);
        assert_eq!(view.rollout, rollout(&c.rollout), "case {:?}", c.case);
        assert_eq!(view.kind, cabin::model::WorkloadKind::StatefulSet);
    }
}

#[derive(Deserialize)]
struct PodCase {
    case: String,
    status: String,
    ready: i32,
    restarts: i32,
    object: Pod,
}

#[test]
fn pod_status_matches_kubectl() {
    let cases: Vec<PodCase> = yaml_serde::from_str(&fixture("pods.yaml")).unwrap();
    assert!(cases.len() >= 10);
    for c in cases {
        let view = convert::pod_view(&c.object);
        assert_eq!(view.status, c.status, "case {:?}", c.case);
        assert_eq!(view.ready_containers, c.ready, "case {:?}", c.case);
        assert_eq!(view.restarts, c.restarts, "case {:?}", c.case);
    }
}

#[test]
fn pod_view_details() {
    let cases: Vec<PodCase> = yaml_serde::from_str(&fixture("pods.yaml")).unwrap();
    let running = convert::pod_view(&cases[0].object);
    assert_eq!(running.node, "node-a");
    assert_eq!(running.owner, Some(("ReplicaSet".to_string(), "web-7d9c".to_string())));
    assert_eq!(running.containers[0].state, "Running");
    let crash = convert::pod_view(&cases[1].object);
    assert_eq!(crash.containers[0].state, "Waiting: CrashLoopBackOff");
    assert_eq!(crash.total_containers, 1);
    let oom = convert::pod_view(&cases[9].object);
    assert_eq!(oom.containers[0].state, "Terminated: OOMKilled");
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Misc {
    namespace: Namespace,
    event: Event,
    pdb: PodDisruptionBudget,
    pdb_percent: PodDisruptionBudget,
    quota: ResourceQuota,
    replicaset: ReplicaSet,
}

fn s(x: &str) -> String {
    x.to_string()
}

#[test]
fn namespace_event_pdb_quota_replicaset() {
    let m: Misc = yaml_serde::from_str(&fixture("misc.yaml")).unwrap();
    let ns = convert::namespace_view(&m.namespace);
    assert_eq!((ns.name.as_str(), ns.phase.as_str()), ("payments", "Terminating"));
    assert_eq!(ns.created.map(|t| t.to_rfc3339()), Some(s("2026-11-20T08:00:00+00:00")));

    let ev = convert::event_view(&m.event);
    assert_eq!((ev.type_.as_str(), ev.reason.as_str(), ev.object.as_str()), ("Warning", "BackOff", "Pod/api-1"));
    assert_eq!(ev.count, 12);
    assert_eq!(ev.last_seen.map(|t| t.to_rfc3339()), Some(s("2026-11-23T10:15:30+00:00")));

    let pdb = convert::pdb_view(&m.pdb);
    assert_eq!((pdb.min_available.clone(), pdb.max_unavailable.clone()), (Some(s("2")), None));
    assert_eq!((pdb.current_healthy, pdb.desired_healthy, pdb.disruptions_allowed), (3, 2, 1));
    let pct = convert::pdb_view(&m.pdb_percent);
    assert_eq!(pct.max_unavailable, Some(s("25%")));

    let q = convert::quota_view(&m.quota);
    assert_eq!(
        q.resources,
        vec![(s("limits.memory"), s("0"), s("16Gi")), (s("pods"), s("7"), s("20")), (s("requests.cpu"), s("2500m"), s("8")),]
    );

    let rs = convert::replicaset_view(&m.replicaset);
    assert_eq!(rs.owner, Some(s("web")));
    assert_eq!((rs.revision.as_str(), rs.desired, rs.ready), ("3", 3, 2));
    assert_eq!(rs.images, vec![s("web:1.4"), s("side:2")]);
    assert_eq!(rs.created.map(|t| t.timestamp_subsec_millis()), Some(500));
}

#[test]
fn yaml_strips_managed_fields() {
    let mut m: Misc = yaml_serde::from_str(&fixture("misc.yaml")).unwrap();
    m.replicaset.metadata.managed_fields = Some(vec![Default::default()]);
    let yaml = cabin::cluster::ops::to_yaml(&m.replicaset).unwrap();
    assert!(!yaml.contains("managedFields"), "{yaml}");
    assert!(yaml.contains("name: web-7d9c"), "{yaml}");
}
