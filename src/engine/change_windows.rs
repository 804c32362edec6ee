//! "May this change run now": the window verdict of a change from the sync windows and
//! freezes, over all its targets (the most restrictive target decides).
use chrono::{DateTime, Utc};

use crate::domain::change::{ChangeRequest, WindowVerdict};
use crate::domain::windows::AppTarget;
use crate::domain::windows::clock::change_clock;
use crate::domain::windows::freeze::ChangeTarget;
use crate::engine::windows_feed::WindowsFeed;

/// The verdict for every target of `change`, combined: Unknown beats Frozen beats Closed beats
/// Open (fail closed). A feed with errors (a file that cannot be read) is Unknown.
pub fn verdict(change: &ChangeRequest, feed: &WindowsFeed, now: DateTime<Utc>) -> WindowVerdict {
    if let Some(e) = feed.errors.first() {
        return WindowVerdict::Unknown { reason: format!("the windows cannot all be read: {e}") };
    }
    let windows: Vec<_> = feed.projects.iter().flat_map(|p| p.windows.iter().cloned()).collect();
    let mut worst = WindowVerdict::Open { closes_at: None };
    for t in &change.targets {
        let target = ChangeTarget {
            app: AppTarget {
                name: t.workload.name.clone(),
                namespace: t.workload.namespace.clone(),
                server: "https://kubernetes.default.svc".to_string(),
                dest_name: "in-cluster".to_string(),
            },
            labels: change.freeze_labels(),
        };
        let v = WindowVerdict::from(&change_clock(&windows, &feed.freezes, &target, now));
        if rank(&v) > rank(&worst) {
            worst = v;
        }
    }
    worst
}

fn rank(v: &WindowVerdict) -> u8 {
    match v {
        WindowVerdict::Open { .. } => 0,
        WindowVerdict::Closed { .. } => 1,
        WindowVerdict::Frozen { .. } => 2,
        WindowVerdict::Unknown { .. } => 3,
    }
}
