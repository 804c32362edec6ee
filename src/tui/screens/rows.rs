//! Row builders: turn the snapshot's view types into table rows (text + tone + target).
use chrono::{DateTime, Utc};

use crate::model::{
    ClusterSnapshot, ContainerView, EventView, NamespaceView, ObjectKey, PodView, ReplicaSetView, RolloutState, WorkloadKind, WorkloadView,
};

/// How a row is coloured (the theme maps it to a colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Ok,
    Warn,
    Danger,
    Muted,
}

/// What `enter` (or `y`/`l`) on a row acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    None,
    Workload(ObjectKey),
    Pod {
        namespace: String,
        name: String,
    },
    Container {
        namespace: String,
        pod: String,
        container: String,
    },
    Namespace(String),
    /// A kubeconfig context (`:ctx` list).
    Context(String),
    Object(ObjectKey),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<String>,
    pub tone: Tone,
    pub target: Target,
    /// Sort keys.
    pub name: String,
    pub status: String,
    pub created: Option<DateTime<Utc>>,
}

/// kubectl-style age: 42s, 5m, 3h, 12d.
pub fn age(created: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    let Some(t) = created else { return "-".into() };
    let s = (now - t).num_seconds().max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// A text progress bar: `██████░░░░ 60%` (`width` cells of bar).
pub fn gauge(progress: f64, width: usize) -> String {
    let filled = ((progress.clamp(0.0, 1.0) * width as f64).round()) as usize;
    format!("{}{} {:>3}%", "█".repeat(filled), "░".repeat(width - filled.min(width)), (progress * 100.0).round() as i64)
}

pub fn kind_short(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "deploy",
        WorkloadKind::StatefulSet => "sts",
    }
}

pub fn kind_name(kind: WorkloadKind) -> &'static str {
    match kind {
        WorkloadKind::Deployment => "Deployment",
        WorkloadKind::StatefulSet => "StatefulSet",
    }
}

pub fn rollout_text(r: RolloutState) -> (&'static str, Tone) {
    match r {
        RolloutState::Complete => ("Complete", Tone::Ok),
        RolloutState::Progressing => ("Progressing", Tone::Warn),
        RolloutState::Paused => ("Paused", Tone::Muted),
        RolloutState::Failed => ("Failed", Tone::Danger),
    }
}

pub const WORKLOAD_HEADERS: [&str; 10] =
    ["KIND", "NAMESPACE", "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "ROLLOUT", "PAUSED", "STATE", "AGE"];

pub fn workload_row(w: &WorkloadView, now: DateTime<Utc>) -> Row {
    let (state, tone) = rollout_text(w.rollout);
    let cells = vec![
        kind_short(w.kind).to_string(),
        w.namespace.clone(),
        w.name.clone(),
        format!("{}/{}", w.ready, w.desired),
        w.updated.to_string(),
        w.available.to_string(),
        gauge(w.progress(), 10),
        if w.paused { "yes" } else { "no" }.to_string(),
        state.to_string(),
        age(w.created, now),
    ];
    let target = Target::Workload(ObjectKey { kind: kind_name(w.kind).into(), namespace: w.namespace.clone(), name: w.name.clone() });
    Row { cells, tone, target, name: w.name.clone(), status: state.into(), created: w.created }
}

pub const POD_HEADERS: [&str; 7] = ["NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "NODE", "AGE"];

pub fn pod_tone(p: &PodView) -> Tone {
    match p.status.as_str() {
        "Running" if p.ready_containers == p.total_containers => Tone::Normal,
        "Succeeded" | "Completed" => Tone::Muted,
        "Running" | "Pending" | "ContainerCreating" | "Terminating" | "PodInitializing" => Tone::Warn,
        _ => Tone::Danger,
    }
}

pub fn pod_row(p: &PodView, now: DateTime<Utc>) -> Row {
    let cells = vec![
        p.namespace.clone(),
        p.name.clone(),
        format!("{}/{}", p.ready_containers, p.total_containers),
        p.status.clone(),
        p.restarts.to_string(),
        p.node.clone(),
        age(p.created, now),
    ];
    let target = Target::Pod { namespace: p.namespace.clone(), name: p.name.clone() };
    Row { cells, tone: pod_tone(p), target, name: p.name.clone(), status: p.status.clone(), created: p.created }
}

pub const EVENT_HEADERS: [&str; 7] = ["NAMESPACE", "TYPE", "REASON", "OBJECT", "MESSAGE", "COUNT", "LAST SEEN"];

pub fn event_row(e: &EventView, now: DateTime<Utc>) -> Row {
    let tone = if e.type_ == "Warning" { Tone::Warn } else { Tone::Normal };
    let cells = vec![
        e.namespace.clone(),
        e.type_.clone(),
        e.reason.clone(),
        e.object.clone(),
        e.message.clone(),
        e.count.to_string(),
        age(e.last_seen, now),
    ];
    Row { cells, tone, target: Target::None, name: e.object.clone(), status: e.reason.clone(), created: e.last_seen }
}

pub const RS_HEADERS: [&str; 6] = ["NAME", "REVISION", "DESIRED", "READY", "IMAGES", "AGE"];

pub fn rs_row(r: &ReplicaSetView, now: DateTime<Utc>) -> Row {
    let tone = if r.desired == 0 {
        Tone::Muted
    } else if r.ready < r.desired {
        Tone::Warn
    } else {
        Tone::Normal
    };
    let cells =
        vec![r.name.clone(), r.revision.clone(), r.desired.to_string(), r.ready.to_string(), r.images.join(","), age(r.created, now)];
    let target = Target::Object(ObjectKey { kind: "ReplicaSet".into(), namespace: r.namespace.clone(), name: r.name.clone() });
    Row { cells, tone, target, name: r.name.clone(), status: r.revision.clone(), created: r.created }
}

pub const CONTAINER_HEADERS: [&str; 5] = ["NAME", "IMAGE", "READY", "STATE", "RESTARTS"];

pub fn container_row(namespace: &str, pod: &str, c: &ContainerView) -> Row {
    let tone = if c.ready {
        Tone::Normal
    } else if c.state.starts_with("Waiting") || c.state.starts_with("Terminated") {
        Tone::Danger
    } else {
        Tone::Warn
    };
    let cells = vec![c.name.clone(), c.image.clone(), c.ready.to_string(), c.state.clone(), c.restarts.to_string()];
    let target = Target::Container { namespace: namespace.into(), pod: pod.into(), container: c.name.clone() };
    Row { cells, tone, target, name: c.name.clone(), status: c.state.clone(), created: None }
}

pub const NS_HEADERS: [&str; 3] = ["NAME", "STATUS", "AGE"];

pub fn ns_row(n: &NamespaceView, now: DateTime<Utc>) -> Row {
    let tone = if n.phase == "Active" { Tone::Normal } else { Tone::Muted };
    let cells = vec![n.name.clone(), n.phase.clone(), age(n.created, now)];
    Row { cells, tone, target: Target::Namespace(n.name.clone()), name: n.name.clone(), status: n.phase.clone(), created: n.created }
}

pub const CTX_HEADERS: [&str; 2] = ["NAME", "CURRENT"];

pub fn ctx_row(name: &str, current: bool) -> Row {
    let tone = if current { Tone::Normal } else { Tone::Muted };
    let cells = vec![name.to_string(), if current { "*".to_string() } else { String::new() }];
    Row { cells, tone, target: Target::Context(name.to_string()), name: name.to_string(), status: String::new(), created: None }
}

/// The sort keys of a row (its `name`, `status` and `created`), read from the view without
/// building the row's cells; [`tests::sort_keys_match_the_rows`] holds them to the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKeys<'a> {
    pub name: &'a str,
    pub status: &'a str,
    pub created: Option<DateTime<Utc>>,
}

pub fn workload_keys(w: &WorkloadView) -> SortKeys<'_> {
    SortKeys { name: &w.name, status: rollout_text(w.rollout).0, created: w.created }
}

pub fn pod_keys(p: &PodView) -> SortKeys<'_> {
    SortKeys { name: &p.name, status: &p.status, created: p.created }
}

pub fn event_keys(e: &EventView) -> SortKeys<'_> {
    SortKeys { name: &e.object, status: &e.reason, created: e.last_seen }
}

pub fn ns_keys(n: &NamespaceView) -> SortKeys<'_> {
    SortKeys { name: &n.name, status: &n.phase, created: n.created }
}

pub fn ctx_keys(name: &str) -> SortKeys<'_> {
    SortKeys { name, status: "", created: None }
}

pub fn container_keys(c: &ContainerView) -> SortKeys<'_> {
    SortKeys { name: &c.name, status: &c.state, created: None }
}

/// The index range of `namespace` in a list sorted by namespace first (as snapshots are).
fn ns_range<T>(items: &[T], namespace: &str, ns_of: impl Fn(&T) -> &str) -> std::ops::Range<usize> {
    let start = items.partition_point(|x| ns_of(x) < namespace);
    let end = start + items[start..].partition_point(|x| ns_of(x) == namespace);
    start..end
}

/// Indices (into `snap.pods`) of the pods a workload owns: its selector matches their labels
/// (Deployments and StatefulSets alike). Only the workload's namespace is searched.
pub fn pod_indices_of<'a>(snap: &'a ClusterSnapshot, w: &'a WorkloadView) -> impl Iterator<Item = usize> + 'a {
    ns_range(&snap.pods, &w.namespace, |p| &p.namespace).filter(move |i| {
        let p = &snap.pods[*i];
        !w.selector.is_empty() && w.selector.iter().all(|(k, v)| p.labels.iter().any(|(pk, pv)| pk == k && pv == v))
    })
}

/// Pods a workload owns (see [`pod_indices_of`]).
pub fn pods_of<'a>(snap: &'a ClusterSnapshot, w: &'a WorkloadView) -> impl Iterator<Item = &'a PodView> + 'a {
    pod_indices_of(snap, w).map(|i| &*snap.pods[i])
}

pub fn find_workload<'a>(snap: &'a ClusterSnapshot, key: &ObjectKey) -> Option<&'a WorkloadView> {
    let range = ns_range(&snap.workloads, &key.namespace, |w| &w.namespace);
    snap.workloads[range].iter().find(|w| kind_name(w.kind) == key.kind && w.name == key.name).map(|w| &**w)
}

pub fn find_pod<'a>(snap: &'a ClusterSnapshot, namespace: &str, name: &str) -> Option<&'a PodView> {
    snap.pods[ns_range(&snap.pods, namespace, |p| &p.namespace)].iter().find(|p| p.name == name).map(|p| &**p)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_like_kubectl() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z").unwrap().with_timezone(&Utc);
        assert_eq!(age(Some(now - chrono::Duration::seconds(42)), now), "42s");
        assert_eq!(age(Some(now - chrono::Duration::minutes(5)), now), "5m");
        assert_eq!(age(Some(now - chrono::Duration::hours(3)), now), "3h");
        assert_eq!(age(Some(now - chrono::Duration::days(12)), now), "12d");
        assert_eq!(age(None, now), "-");
    }

    /// The keys a list sorts by without building rows are the rows' own.
    #[test]
    fn sort_keys_match_the_rows() {
        let now = DateTime::parse_from_rfc3339("2026-01-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let same = |r: Row, k: SortKeys<'_>| assert_eq!((r.name.as_str(), r.status.as_str(), r.created), (k.name, k.status, k.created));
        let created = Some(now - chrono::Duration::minutes(3));
        let c =
            ContainerView { name: "app".into(), image: "i".into(), ready: false, restarts: 2, state: "Waiting: CrashLoopBackOff".into() };
        let p = PodView {
            namespace: "ns".into(),
            name: "web-1".into(),
            status: "CrashLoopBackOff".into(),
            ready_containers: 0,
            total_containers: 1,
            restarts: 2,
            node: "n".into(),
            created,
            owner: None,
            labels: vec![("app".into(), "web".into())],
            containers: vec![c.clone()],
        };
        same(pod_row(&p, now), pod_keys(&p));
        same(container_row("ns", "web-1", &c), container_keys(&c));
        for rollout in [RolloutState::Complete, RolloutState::Progressing, RolloutState::Paused, RolloutState::Failed] {
            let w = WorkloadView {
                kind: WorkloadKind::Deployment,
                namespace: "ns".into(),
                name: "web".into(),
                desired: 2,
                updated: 1,
                ready: 1,
                available: 1,
                paused: false,
                rollout,
                images: vec![],
                revision: "2".into(),
                conditions: vec![],
                selector: vec![],
                created,
                tracking: Default::default(),
            };
            same(workload_row(&w, now), workload_keys(&w));
        }
        let e = EventView {
            namespace: "ns".into(),
            type_: "Warning".into(),
            reason: "BackOff".into(),
            object: "Pod/web-1".into(),
            message: "m".into(),
            count: 1,
            last_seen: created,
        };
        same(event_row(&e, now), event_keys(&e));
        let n = NamespaceView { name: "ns".into(), phase: "Terminating".into(), created };
        same(ns_row(&n, now), ns_keys(&n));
        same(ctx_row("prod", true), ctx_keys("prod"));
    }

    #[test]
    fn gauge_fills_proportionally() {
        assert_eq!(gauge(0.5, 10), "█████░░░░░  50%");
        assert_eq!(gauge(1.0, 4), "████ 100%");
    }
}
