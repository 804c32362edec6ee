//! The Deployment controller, after the real one (pkg/controller/deployment): ReplicaSets named
//! `<deployment>-<pod-template-hash>`, revisions (and revision-history after an undo), rolling
//! update with maxSurge/maxUnavailable, Recreate, pause, proportional scaling and cleanup.
use serde_json::{Value, json};

use super::events::{Ev, Recorder};
use super::obj;
use crate::sim::store_api::{SimStore, kinds};

const COMPONENT: &str = "deployment-controller";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
const HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub(super) const DESIRED: &str = "deployment.kubernetes.io/desired-replicas";
pub(super) const MAX: &str = "deployment.kubernetes.io/max-replicas";
/// Deployment annotations not copied onto ReplicaSets.
const SKIP_COPY: &[&str] =
    &["kubectl.kubernetes.io/last-applied-configuration", REVISION, HISTORY, DESIRED, MAX, "deprecated.deployment.rollback.to"];

pub fn replicas(o: &Value) -> i64 {
    o["spec"]["replicas"].as_i64().unwrap_or(1)
}

pub fn revision(rs: &Value) -> i64 {
    obj::annotation(rs, REVISION).and_then(|r| r.parse().ok()).unwrap_or(0)
}

pub(super) fn is_rolling(d: &Value) -> bool {
    d["spec"]["strategy"]["type"] != "Recreate"
}

/// An intOrString (`3` or `"25%"`) scaled to `total`.
fn int_or_percent(v: &Value, total: i64, round_up: bool) -> i64 {
    if let Some(n) = v.as_i64() {
        return n;
    }
    let s = v.as_str().unwrap_or("25%");
    let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(25);
    let scaled = pct * total;
    if round_up { (scaled + 99) / 100 } else { scaled / 100 }
}

/// resolveFenceposts: (maxSurge, maxUnavailable); both zero means one unavailable.
fn fenceposts(d: &Value) -> (i64, i64) {
    let ru = &d["spec"]["strategy"]["rollingUpdate"];
    let want = replicas(d);
    let surge = int_or_percent(ru.get("maxSurge").unwrap_or(&json!("25%")), want, true);
    let unavailable = int_or_percent(ru.get("maxUnavailable").unwrap_or(&json!("25%")), want, false);
    if surge == 0 && unavailable == 0 { (0, 1) } else { (surge, unavailable) }
}

pub fn max_surge(d: &Value) -> i64 {
    if is_rolling(d) { fenceposts(d).0 } else { 0 }
}

pub fn max_unavailable(d: &Value) -> i64 {
    let want = replicas(d);
    if !is_rolling(d) || want == 0 {
        return 0;
    }
    fenceposts(d).1.min(want)
}

pub fn reconcile(store: &dyn SimStore, rec: &mut Recorder) {
    // ReplicaSets by controller uid: one pass, not one per Deployment.
    let all_rs = store.list_shared(kinds::REPLICA_SET, None);
    let mut by_owner: std::collections::HashMap<&str, Vec<&Value>> = std::collections::HashMap::new();
    for r in &all_rs {
        if let Some(uid) = obj::controller_uid(r) {
            by_owner.entry(uid).or_default().push(r);
        }
    }
    for d in store.list(kinds::DEPLOYMENT, None) {
        if obj::is_deleting(&d) || !d["spec"]["selector"].is_object() {
            continue;
        }
        let owned = by_owner.get(obj::uid(&d)).map(Vec::as_slice).unwrap_or_default();
        let mut rss: Vec<Value> = owned.iter().filter(|r| obj::namespace(r) == obj::namespace(&d)).map(|r| Value::clone(r)).collect();
        rss.sort_by(|a, b| {
            (a["metadata"]["creationTimestamp"].as_str(), obj::name(a)).cmp(&(b["metadata"]["creationTimestamp"].as_str(), obj::name(b)))
        });
        let mut dc = Dc { store, rec, d, rss };
        dc.sync();
    }
}

/// One Deployment being synced: its latest stored object and its ReplicaSets (oldest first).
pub struct Dc<'a> {
    pub store: &'a dyn SimStore,
    pub rec: &'a mut Recorder,
    pub d: Value,
    pub rss: Vec<Value>,
}

impl Dc<'_> {
    fn sync(&mut self) {
        self.check_paused_conditions();
        if self.d["spec"]["paused"] == true || self.is_scaling_event() {
            let new = self.new_rs(false);
            self.scale(new);
            let new = if self.d["spec"]["paused"] == true { self.cleanup(new) } else { new };
            self.sync_status(new);
        } else if is_rolling(&self.d) {
            self.rollout_rolling();
        } else {
            self.rollout_recreate();
        }
    }

    fn total(&self, ptr: &str) -> i64 {
        self.rss.iter().map(|r| obj::int(r, ptr)).sum()
    }

    fn find_new(&self) -> Option<usize> {
        let want = obj::template_without_hash(&self.d["spec"]["template"]);
        self.rss.iter().position(|r| obj::template_without_hash(&r["spec"]["template"]) == want)
    }

    fn is_scaling_event(&self) -> bool {
        let want = replicas(&self.d);
        self.rss
            .iter()
            .filter(|r| obj::int(r, "/spec/replicas") > 0)
            .any(|r| obj::annotation(r, DESIRED).and_then(|v| v.parse::<i64>().ok()).is_some_and(|v| v != want))
    }

    /// scaleReplicaSetAndRecordEvent; true when the size changed.
    pub(super) fn scale_rs(&mut self, i: usize, to: i64) -> bool {
        let from = obj::int(&self.rss[i], "/spec/replicas");
        let want = replicas(&self.d);
        let desired = want.to_string();
        let max = (want + max_surge(&self.d)).to_string();
        let ann_ok =
            obj::annotation(&self.rss[i], DESIRED) == Some(desired.as_str()) && obj::annotation(&self.rss[i], MAX) == Some(max.as_str());
        if from == to && ann_ok {
            return false;
        }
        let mut rs = self.rss[i].clone();
        rs["spec"]["replicas"] = json!(to);
        obj::set_annotation(&mut rs, DESIRED, Some(&desired));
        obj::set_annotation(&mut rs, MAX, Some(&max));
        let Ok(saved) = self.store.update(rs) else {
            return false;
        };
        self.rss[i] = saved;
        if from != to {
            let dir = if to > from { "up" } else { "down" };
            let msg = format!("Scaled {dir} replica set {} from {from} to {to}", obj::name(&self.rss[i]));
            self.rec.record(self.store, Ev::normal(&self.d, COMPONENT, "ScalingReplicaSet", msg));
        }
        from != to
    }

    fn update_deployment(&mut self, d: Value) {
        if let Ok(saved) = self.store.update(d) {
            self.d = saved;
        }
    }

    fn set_deployment_revision(&mut self, rev: i64) {
        let rev = rev.to_string();
        if obj::annotation(&self.d, REVISION) != Some(rev.as_str()) {
            let mut d = self.d.clone();
            obj::set_annotation(&mut d, REVISION, Some(&rev));
            self.update_deployment(d);
        }
    }

    /// Copies the Deployment's annotations and the new revision onto a ReplicaSet
    /// (SetNewReplicaSetAnnotations); true when something changed.
    fn set_new_rs_annotations(&self, rs: &mut Value, new_rev: i64, exists: bool) -> bool {
        let before = rs["metadata"]["annotations"].clone();
        if let Some(anns) = self.d["metadata"]["annotations"].as_object() {
            for (k, v) in anns.iter().filter(|(k, _)| !SKIP_COPY.contains(&k.as_str())) {
                obj::set_annotation(rs, k, v.as_str());
            }
        }
        let old = obj::annotation(rs, REVISION).map(str::to_string);
        let old_rev = old.as_deref().and_then(|r| r.parse::<i64>().ok()).unwrap_or(0);
        if old_rev < new_rev {
            obj::set_annotation(rs, REVISION, Some(&new_rev.to_string()));
            if let Some(old) = old.filter(|o| !o.is_empty()) {
                let history = match obj::annotation(rs, HISTORY).filter(|h| !h.is_empty()) {
                    Some(h) => format!("{h},{old}"),
                    None => old,
                };
                obj::set_annotation(rs, HISTORY, Some(&history));
            }
        }
        if !exists {
            let want = replicas(&self.d);
            obj::set_annotation(rs, DESIRED, Some(&want.to_string()));
            obj::set_annotation(rs, MAX, Some(&(want + max_surge(&self.d)).to_string()));
        }
        rs["metadata"]["annotations"] != before
    }

    /// getNewReplicaSet: finds (and with `create`, creates) the ReplicaSet of the current
    /// template, syncing revisions. Returns its index in `rss`.
    pub(super) fn new_rs(&mut self, create: bool) -> Option<usize> {
        let existing = self.find_new();
        let max_old = self.rss.iter().enumerate().filter(|(i, _)| Some(*i) != existing).map(|(_, r)| revision(r)).max().unwrap_or(0);
        let new_rev = max_old + 1;
        if let Some(i) = existing {
            let mut rs = self.rss[i].clone();
            let mut changed = self.set_new_rs_annotations(&mut rs, new_rev, true);
            let mrs = self.d["spec"]["minReadySeconds"].clone();
            if rs["spec"]["minReadySeconds"] != mrs && !(mrs.is_null() && rs["spec"]["minReadySeconds"] == 0) {
                rs["spec"]["minReadySeconds"] = mrs;
                changed = true;
            }
            if changed && let Ok(saved) = self.store.update(rs) {
                self.rss[i] = saved;
            }
            self.set_deployment_revision(revision(&self.rss[i]));
            if super::deployment_status::get_cond(&self.d["status"], "Progressing").is_none()
                && self.d["spec"]["progressDeadlineSeconds"].is_i64()
            {
                let mut status = self.d["status"].clone();
                let msg = format!("Found new replica set \"{}\"", obj::name(&self.rss[i]));
                super::deployment_status::set_cond(
                    &mut status,
                    super::deployment_status::new_cond("Progressing", "True", "FoundNewReplicaSet", &msg),
                );
                self.write_status(status);
            }
            return Some(i);
        }
        if !create {
            return None;
        }
        self.create_new_rs(new_rev)
    }

    fn create_new_rs(&mut self, new_rev: i64) -> Option<usize> {
        let collisions = obj::int(&self.d, "/status/collisionCount");
        let hash = obj::template_hash(&self.d["spec"]["template"], collisions);
        let mut template = self.d["spec"]["template"].clone();
        template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        let mut selector = self.d["spec"]["selector"].clone();
        selector["matchLabels"]["pod-template-hash"] = json!(hash);
        let name = format!("{}-{hash}", obj::name(&self.d));
        let mut rs = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": obj::namespace(&self.d), "labels": template["metadata"]["labels"].clone(),
                "annotations": {}, "ownerReferences": [obj::controller_ref(&self.d)]},
            "spec": {"replicas": 0, "minReadySeconds": obj::int(&self.d, "/spec/minReadySeconds"), "selector": selector, "template": template},
        });
        self.set_new_rs_annotations(&mut rs, new_rev, false);
        let count = self.new_rs_new_replicas(None);
        rs["spec"]["replicas"] = json!(count);
        match self.store.create(rs) {
            Ok(saved) => {
                self.rss.push(saved);
                let i = self.rss.len() - 1;
                if count > 0 {
                    let msg = format!("Scaled up replica set {name} from 0 to {count}");
                    self.rec.record(self.store, Ev::normal(&self.d, COMPONENT, "ScalingReplicaSet", msg));
                }
                self.set_deployment_revision(new_rev);
                let mut status = self.d["status"].clone();
                if !status.is_object() {
                    status = json!({});
                }
                let msg = format!("Created new replica set \"{name}\"");
                super::deployment_status::set_cond(
                    &mut status,
                    super::deployment_status::new_cond("Progressing", "True", "NewReplicaSetCreated", &msg),
                );
                self.write_status(status);
                Some(i)
            }
            Err(_) => {
                let mut status = self.d["status"].clone();
                status["collisionCount"] = json!(collisions + 1);
                self.write_status(status);
                None
            }
        }
    }

    /// NewRSNewReplicas.
    pub(super) fn new_rs_new_replicas_pub(&self, new: Option<usize>) -> i64 {
        self.new_rs_new_replicas(new)
    }

    fn new_rs_new_replicas(&self, new: Option<usize>) -> i64 {
        let want = replicas(&self.d);
        let cur = new.map(|i| obj::int(&self.rss[i], "/spec/replicas")).unwrap_or(0);
        if !is_rolling(&self.d) {
            return want;
        }
        let current = self.total("/spec/replicas");
        let max_total = want + max_surge(&self.d);
        if current >= max_total {
            return cur;
        }
        cur + (max_total - current).min(want - cur).max(0)
    }
}
