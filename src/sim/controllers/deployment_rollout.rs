//! The Deployment controller's strategies: rolling update, Recreate, and (proportional)
//! scaling while paused or resized mid-rollout.
use super::deployment::{DESIRED, Dc, MAX, is_rolling, max_surge, max_unavailable, replicas};
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
            .list_shared(kinds::POD, obj::namespace(&self.d))
            .iter()
            .any(|p| obj::controller_uid(p).is_some_and(|u| old_uids.contains(&u)) && obj::is_pod_active(p))
    }

    /// sync.go `scale`: one active (or the latest) ReplicaSet takes the whole size; a saturated
    /// new ReplicaSet scales the old ones to 0; otherwise (RollingUpdate) the difference to
    /// `replicas + maxSurge` is spread proportionally, leftovers to the largest ReplicaSet.
    pub(super) fn scale(&mut self, new: Option<usize>) {
        let want = replicas(&self.d);
        if let Some(t) = self.active_or_latest(new) {
            if obj::int(&self.rss[t], "/spec/replicas") != want {
                self.scale_rs(t, want);
            }
            return;
        }
        if new.is_some_and(|n| self.is_saturated(n)) {
            for i in self.old_indices(new) {
                if obj::int(&self.rss[i], "/spec/replicas") > 0 {
                    self.scale_rs(i, 0);
                }
            }
            return;
        }
        if is_rolling(&self.d) {
            self.scale_proportionally();
        }
    }

    /// FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active;
    /// `None` when several are active.
    fn active_or_latest(&self, new: Option<usize>) -> Option<usize> {
        let active: Vec<usize> = (0..self.rss.len()).filter(|i| obj::int(&self.rss[*i], "/spec/replicas") > 0).collect();
        match active.as_slice() {
            [] => new.or_else(|| self.rss.len().checked_sub(1)),
            [one] => Some(*one),
            _ => None,
        }
    }

    /// IsSaturated: the new ReplicaSet has (and is annotated with) the full size, all available.
    fn is_saturated(&self, n: usize) -> bool {
        let want = replicas(&self.d);
        let rs = &self.rss[n];
        let desired = obj::annotation(rs, DESIRED).and_then(|v| v.parse::<i64>().ok());
        obj::int(rs, "/spec/replicas") == want && desired == Some(want) && obj::int(rs, "/status/availableReplicas") == want
    }

    fn scale_proportionally(&mut self) {
        let want = replicas(&self.d);
        let mut active: Vec<usize> = (0..self.rss.len()).filter(|i| obj::int(&self.rss[*i], "/spec/replicas") > 0).collect();
        let current: i64 = active.iter().map(|i| obj::int(&self.rss[*i], "/spec/replicas")).sum();
        let allowed = if want > 0 { want + max_surge(&self.d) } else { 0 };
        let to_add = allowed - current;
        // rss is oldest first, so a stable sort by size keeps "newer first" by reversing first.
        let size = |i: &usize| obj::int(&self.rss[*i], "/spec/replicas");
        if to_add > 0 {
            active.reverse();
            active.sort_by_key(|i| std::cmp::Reverse(size(i)));
        } else if to_add < 0 {
            active.sort_by_key(|i| std::cmp::Reverse(size(i)));
        }
        let mut added = 0;
        let mut sizes: Vec<i64> = Vec::with_capacity(active.len());
        for &i in &active {
            let p = if to_add != 0 { self.proportion(i, to_add, added) } else { 0 };
            sizes.push(size(&i) + p);
            added += p;
        }
        if let Some(first) = sizes.first_mut()
            && to_add != 0
        {
            *first = (*first + to_add - added).max(0);
        }
        for (&i, &to) in active.iter().zip(&sizes) {
            self.scale_rs(i, to);
        }
    }

    /// GetProportion with getReplicaSetFraction: this ReplicaSet's share of `to_add`.
    fn proportion(&self, i: usize, to_add: i64, added: i64) -> i64 {
        let rs = &self.rss[i];
        let size = obj::int(rs, "/spec/replicas");
        if size == 0 || to_add == added {
            return 0;
        }
        let want = replicas(&self.d);
        let fraction = if want == 0 {
            -size
        } else {
            let max_now = want + max_surge(&self.d);
            let before = obj::annotation(rs, MAX).and_then(|v| v.parse::<i64>().ok()).filter(|m| *m != 0);
            let before = before.unwrap_or_else(|| obj::int(&self.d, "/status/replicas"));
            if before == 0 {
                0
            } else {
                // integer.RoundToInt32: round half away from zero.
                ((size * max_now) as f64 / before as f64).round() as i64 - size
            }
        };
        let allowed = to_add - added;
        if to_add > 0 { fraction.min(allowed) } else { fraction.max(allowed) }
    }
}
