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
    let labels = change.freeze_labels();
    let verdicts: Vec<WindowVerdict> = change
        .targets
        .iter()
        .map(|t| {
            let w = Workload {
                group: "apps".into(),
                kind: t.workload.kind.as_str().into(),
                namespace: t.workload.namespace.clone(),
                name: t.workload.name.clone(),
                tracking: tracking(&t.workload),
            };
            WindowVerdict::from(&feed.decide_change(&w, &labels, cluster, now).verdict)
        })
        .collect();
    WindowVerdict::combine(&verdicts)
}
