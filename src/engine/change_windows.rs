//! "May this change run now": the window verdict of a change over all its targets (the most
//! restrictive target decides), each decided as Argo CD would through the Application that
//! manages it (`WindowsFeed::decide_change`), with the change's labels for freeze exceptions.
use chrono::{DateTime, Utc};

use crate::domain::change::{ChangeRequest, TargetRef, WindowVerdict};
use crate::domain::windows::workload::{ClusterRef, Tracking, Workload};
use crate::engine::windows_feed::WindowsFeed;

/// The verdict for every target of `change`, combined (Unknown beats Frozen beats Closed beats
/// Open: fail closed). `tracking` gives each target's Argo CD tracking label and annotation
/// (none when the cluster was not read: then cabin's own windows decide).
pub fn verdict(
    change: &ChangeRequest,
    feed: &WindowsFeed,
    tracking: &dyn Fn(&TargetRef) -> Tracking,
    cluster: &ClusterRef,
    now: DateTime<Utc>,
) -> WindowVerdict {
    decide(change, feed, tracking, cluster, now).0
}

/// As [`verdict`], with one line per target saying which Application and project (or cabin's
/// windows file) decided, and why.
pub fn decide(
    change: &ChangeRequest,
    feed: &WindowsFeed,
    tracking: &dyn Fn(&TargetRef) -> Tracking,
    cluster: &ClusterRef,
    now: DateTime<Utc>,
) -> (WindowVerdict, Vec<String>) {
    let labels = change.freeze_labels();
    let mut why = Vec::new();
    let mut verdicts = Vec::new();
    for t in &change.targets {
        let w = workload_of(&t.workload, tracking);
        let d = feed.decide_change(&w, &labels, cluster, now);
        let by = match (&d.app, &d.project) {
            (Some(app), Some(project)) => format!("Application {app}, project {project}"),
            (_, Some(project)) => format!("project {project}"),
            _ => "cabin's windows file".to_string(),
        };
        why.push(format!("{}: decided by {by}: {}", t.workload, d.reason));
        verdicts.push(WindowVerdict::from(&d.verdict));
    }
    (WindowVerdict::combine(&verdicts), why)
}

/// Each target's window verdict, decided as Argo CD would through the Application that
/// manages it (`WindowsFeed::decide_change`, with the change's labels for freeze exceptions):
/// the one place the preflight asks "may this target change now". Also the decision's target
/// (what the windows and freezes were matched against) and Application, for the freeze check
/// and the screens.
pub fn target_windows(
    change: &ChangeRequest,
    feed: &WindowsFeed,
    tracking: &dyn Fn(&TargetRef) -> Tracking,
    cluster: &ClusterRef,
    now: DateTime<Utc>,
) -> Vec<(crate::domain::change::TargetWindow, crate::domain::windows::AppTarget, Option<String>)> {
    let labels = change.freeze_labels();
    change
        .targets
        .iter()
        .map(|t| {
            let w = workload_of(&t.workload, tracking);
            let d = feed.decide_change(&w, &labels, cluster, now);
            let tw = crate::domain::change::TargetWindow {
                target: t.workload.clone(),
                source: d.reason.clone(),
                verdict: WindowVerdict::from(&d.verdict),
            };
            (tw, d.target, d.app)
        })
        .collect()
}

/// The workload a target names, with its Argo CD tracking (label and annotation).
fn workload_of(t: &TargetRef, tracking: &dyn Fn(&TargetRef) -> Tracking) -> Workload {
    Workload {
        group: "apps".into(),
        kind: t.kind.as_str().into(),
        namespace: t.namespace.clone(),
        name: t.name.clone(),
        tracking: tracking(t),
    }
}
