//! The Deployment controller's strategies: rolling update, Recreate, and (proportional)
//! scaling while paused or resized mid-rollout.
use super::deployment::{Dc, max_surge, max_unavailable, replicas};
use super::deployment_status::is_complete;
use super::obj;
use crate::sim::store_api::kinds;

impl Dc<'_> {
    fn old_indices(&self, new: Option<usize>) -> Vec<usize> {
        (0..self.rss.len()).filter(|i| Some(*i) != new).collect()
    }

    pub(super) fn rollout_rolling(&mut self) {
        let new = self.new_rs(true);
        if let Some(n) = new
            && self.reconcile_new(n)
        {
            self.sync_rollout_status(new);
            return;
        }
        if self.reconcile_old(new) {
            self.sync_rollout_status(new);
            return;
        }
        let new = if is_complete(&self.d, &self.d["status"]) { self.cleanup(new) } else { new };
        self.sync_rollout_status(new);
    }

    fn reconcile_new(&mut self, n: usize) -> bool {
        let want = replicas(&self.d);
        let cur = obj::int(&self.rss[n], "/spec/replicas");
        if cur == want {
            return false;
        }
        if cur > want {
            return self.scale_rs(n, want);
        }
        let count = self.new_rs_new_replicas_pub(Some(n));
        self.scale_rs(n, count)
    }

    fn reconcile_old(&mut self, new: Option<usize>) -> bool {
        let old = self.old_indices(new);
        let old_pods: i64 = old.iter().map(|i| obj::int(&self.rss[*i], "/spec/replicas")).sum();
        if old_pods == 0 {
            return false;
        }
        let all_pods: i64 = self.rss.iter().map(|r| obj::int(r, "/spec/replicas")).sum();
        let min_available = replicas(&self.d) - max_unavailable(&self.d);
        let new_unavailable =
            new.map(|n| obj::int(&self.rss[n], "/spec/replicas") - obj::int(&self.rss[n], "/status/availableReplicas")).unwrap_or(0);
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return false;
        }
        let mut cleaned = 0;
        for &i in &old {
            if cleaned >= max_scaled_down {
                break;
            }
            let spec = obj::int(&self.rss[i], "/spec/replicas");
            let unhealthy = spec - obj::int(&self.rss[i], "/status/availableReplicas");
            if spec == 0 || unhealthy <= 0 {
                continue;
            }
            let n = (max_scaled_down - cleaned).min(unhealthy);
            self.scale_rs(i, spec - n);
            cleaned += n;
        }
        let available: i64 = self.rss.iter().map(|r| obj::int(r, "/status/availableReplicas")).sum();
        let mut scaled = 0;
        if available > min_available {
            let total = available - min_available;
            for &i in &old {
                let spec = obj::int(&self.rss[i], "/spec/replicas");
                if scaled >= total || spec == 0 {
                    continue;
                }
                let n = spec.min(total - scaled);
                self.scale_rs(i, spec - n);
                scaled += n;
            }
        }
        cleaned + scaled > 0
    }

    pub(super) fn rollout_recreate(&mut self) {
        let new = self.new_rs(false);
        let mut scaled = false;
        for i in self.old_indices(new) {
            if obj::int(&self.rss[i], "/spec/replicas") > 0 {
                scaled |= self.scale_rs(i, 0);
            }
        }
        if scaled || self.old_pods_running(new) {
            self.sync_rollout_status(new);
            return;
        }
        let new = match new {
            Some(n) => Some(n),
            None => self.new_rs(true),
        };
        if let Some(n) = new {
            let want = replicas(&self.d);
            self.scale_rs(n, want);
        }
        let new = if is_complete(&self.d, &self.d["status"]) { self.cleanup(new) } else { new };
        self.sync_rollout_status(new);
    }

    fn old_pods_running(&self, new: Option<usize>) -> bool {
        let old_uids: Vec<&str> = self.old_indices(new).iter().map(|i| obj::uid(&self.rss[*i])).collect();
        self.store
            .list(kinds::POD, obj::namespace(&self.d))
            .iter()
            .any(|p| obj::controller_uid(p).is_some_and(|u| old_uids.contains(&u)) && obj::is_pod_active(p))
    }

    /// scale: resizes the active (or latest) ReplicaSet, or spreads a resize across several
    /// active ones (new ReplicaSet first when growing, oldest first when shrinking).
    pub(super) fn scale(&mut self, new: Option<usize>) {
        let want = replicas(&self.d);
        let active: Vec<usize> = (0..self.rss.len()).filter(|i| obj::int(&self.rss[*i], "/spec/replicas") > 0).collect();
        let target = match active.len() {
            0 => new.or_else(|| self.rss.len().checked_sub(1)),
            1 => active.first().copied(),
            _ => None,
        };
        if let Some(t) = target {
            self.scale_rs(t, want);
            return;
        }
        let saturated = new.is_some_and(|n| {
            obj::int(&self.rss[n], "/spec/replicas") == want && obj::int(&self.rss[n], "/status/availableReplicas") == want
        });
        if saturated {
            for i in self.old_indices(new) {
                self.scale_rs(i, 0);
            }
            return;
        }
        let allowed = want + max_surge(&self.d);
        let mut delta = allowed - self.rss.iter().map(|r| obj::int(r, "/spec/replicas")).sum::<i64>();
        if delta > 0 {
            let grow = new.or_else(|| active.last().copied());
            if let Some(g) = grow {
                let to = obj::int(&self.rss[g], "/spec/replicas") + delta;
                self.scale_rs(g, to);
            }
            return;
        }
        let mut order = self.old_indices(new);
        order.extend(new);
        for i in order {
            let spec = obj::int(&self.rss[i], "/spec/replicas");
            if delta >= 0 || spec == 0 {
                continue;
            }
            let n = spec.min(-delta);
            self.scale_rs(i, spec - n);
            delta += n;
        }
    }
}
