//! Deployment status and conditions, computed as the real deployment controller does
//! (`calculateStatus`, `syncRolloutStatus`, `checkPausedConditions`, `cleanupDeployment`).
use serde_json::{Map, Value, json};

use super::deployment::{Dc, max_unavailable, replicas, revision};
use super::obj;
use crate::sim::store_api::kinds;

pub fn get_cond<'a>(status: &'a Value, kind: &str) -> Option<&'a Value> {
    status["conditions"].as_array()?.iter().find(|c| c["type"] == kind)
}

pub fn new_cond(kind: &str, status: &str, reason: &str, message: &str) -> Value {
    let now = obj::now_rfc3339();
    json!({"type": kind, "status": status, "lastUpdateTime": now, "lastTransitionTime": now, "reason": reason, "message": message})
}

/// SetDeploymentCondition: unchanged status and reason keep the old condition; the same status
/// keeps its lastTransitionTime.
pub fn set_cond(status: &mut Value, mut cond: Value) {
    if let Some(cur) = get_cond(status, cond["type"].as_str().unwrap_or_default()) {
        if cur["status"] == cond["status"] && cur["reason"] == cond["reason"] {
            return;
        }
        if cur["status"] == cond["status"] {
            cond["lastTransitionTime"] = cur["lastTransitionTime"].clone();
        }
    }
    remove_cond(status, cond["type"].as_str().unwrap_or_default());
    if !status["conditions"].is_array() {
        status["conditions"] = json!([]);
    }
    if let Some(a) = status["conditions"].as_array_mut() {
        a.push(cond);
    }
}

pub fn remove_cond(status: &mut Value, kind: &str) {
    if let Some(a) = status["conditions"].as_array_mut() {
        a.retain(|c| c["type"] != kind);
    }
}

fn has_progress_deadline(d: &Value) -> bool {
    d["spec"]["progressDeadlineSeconds"].as_i64().is_none_or(|s| s < i64::from(i32::MAX))
}

fn deadline_seconds(d: &Value) -> i64 {
    d["spec"]["progressDeadlineSeconds"].as_i64().unwrap_or(600)
}

fn st(status: &Value, key: &str) -> i64 {
    status[key].as_i64().unwrap_or(0)
}

/// DeploymentComplete.
pub fn is_complete(d: &Value, status: &Value) -> bool {
    let want = replicas(d);
    st(status, "updatedReplicas") == want
        && st(status, "replicas") == want
        && st(status, "availableReplicas") == want
        && st(status, "observedGeneration") >= obj::int(d, "/metadata/generation")
}

fn is_progressing(d: &Value, new: &Value) -> bool {
    let old = &d["status"];
    let old_old = st(old, "replicas") - st(old, "updatedReplicas");
    let new_old = st(new, "replicas") - st(new, "updatedReplicas");
    st(new, "updatedReplicas") > st(old, "updatedReplicas")
        || new_old < old_old
        || st(new, "readyReplicas") > st(old, "readyReplicas")
        || st(new, "availableReplicas") > st(old, "availableReplicas")
}

fn timed_out(d: &Value, status: &Value) -> bool {
    let Some(cond) = get_cond(status, "Progressing") else {
        return false;
    };
    match cond["reason"].as_str() {
        Some("NewReplicaSetAvailable") => false,
        Some("ProgressDeadlineExceeded") => true,
        _ => cond["lastUpdateTime"].as_str().and_then(obj::parse_time).is_some_and(|from| {
            let deadline = from + chrono::Duration::seconds(deadline_seconds(d));
            super::wake_at(deadline);
            deadline < chrono::Utc::now()
        }),
    }
}

impl Dc<'_> {
    /// calculateStatus: counters from the ReplicaSets plus the Available condition.
    pub fn calculate_status(&self, new: Option<usize>) -> Value {
        let sum = |ptr: &str| self.rss.iter().map(|r| obj::int(r, ptr)).sum::<i64>();
        let available = sum("/status/availableReplicas");
        let spec_total = sum("/spec/replicas");
        let mut m = Map::new();
        m.insert("observedGeneration".into(), json!(obj::int(&self.d, "/metadata/generation")));
        let updated = new.map(|i| obj::int(&self.rss[i], "/status/replicas")).unwrap_or(0);
        let fields = [
            ("replicas", sum("/status/replicas")),
            ("updatedReplicas", updated),
            ("readyReplicas", sum("/status/readyReplicas")),
            ("availableReplicas", available),
            ("unavailableReplicas", (spec_total - available).max(0)),
        ];
        for (k, v) in fields {
            if v != 0 {
                m.insert(k.into(), json!(v));
            }
        }
        let mut status = Value::Object(m);
        status["conditions"] = self.d["status"]["conditions"].clone();
        if !status["conditions"].is_array() {
            status["conditions"] = json!([]);
        }
        if let Some(c) = self.d["status"].get("collisionCount") {
            status["collisionCount"] = c.clone();
        }
        if available >= replicas(&self.d) - max_unavailable(&self.d) {
            set_cond(&mut status, new_cond("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability."));
        } else {
            set_cond(
                &mut status,
                new_cond("Available", "False", "MinimumReplicasAvailable", "Deployment does not have minimum availability."),
            );
        }
        status
    }

    pub fn write_status(&mut self, status: Value) {
        if self.d["status"] == status {
            return;
        }
        let mut next = self.d.clone();
        next["status"] = status;
        if let Ok(saved) = self.store.update_status(next) {
            self.d = saved;
        }
    }

    /// syncDeploymentStatus (scaling and paused paths).
    pub fn sync_status(&mut self, new: Option<usize>) {
        let status = self.calculate_status(new);
        self.write_status(status);
    }

    /// syncRolloutStatus: counters plus the Progressing condition.
    pub fn sync_rollout_status(&mut self, new: Option<usize>) {
        let mut status = self.calculate_status(new);
        if !has_progress_deadline(&self.d) {
            remove_cond(&mut status, "Progressing");
        }
        let cur = get_cond(&status, "Progressing").cloned();
        let complete_already = st(&status, "replicas") == st(&status, "updatedReplicas")
            && cur.as_ref().is_some_and(|c| c["reason"] == "NewReplicaSetAvailable");
        let rs_name = new.map(|i| obj::name(&self.rss[i]).to_string());
        if has_progress_deadline(&self.d) && !complete_already {
            if is_complete(&self.d, &status) {
                let msg = match &rs_name {
                    Some(n) => format!("ReplicaSet \"{n}\" has successfully progressed."),
                    None => "Deployment has successfully progressed.".into(),
                };
                set_cond(&mut status, new_cond("Progressing", "True", "NewReplicaSetAvailable", &msg));
            } else if is_progressing(&self.d, &status) {
                let msg = match &rs_name {
                    Some(n) => format!("ReplicaSet \"{n}\" is progressing."),
                    None => "Deployment is progressing.".into(),
                };
                let mut c = new_cond("Progressing", "True", "ReplicaSetUpdated", &msg);
                if let Some(cur) = cur.as_ref().filter(|c| c["status"] == "True") {
                    c["lastTransitionTime"] = cur["lastTransitionTime"].clone();
                }
                remove_cond(&mut status, "Progressing");
                set_cond(&mut status, c);
            } else if timed_out(&self.d, &status) {
                let msg = match &rs_name {
                    Some(n) => format!("ReplicaSet \"{n}\" has timed out progressing."),
                    None => "Deployment has timed out progressing.".into(),
                };
                set_cond(&mut status, new_cond("Progressing", "False", "ProgressDeadlineExceeded", &msg));
            }
        }
        self.write_status(status);
    }

    /// checkPausedConditions.
    pub fn check_paused_conditions(&mut self) {
        if !has_progress_deadline(&self.d) {
            return;
        }
        let cur = get_cond(&self.d["status"], "Progressing");
        if cur.is_some_and(|c| c["reason"] == "ProgressDeadlineExceeded") {
            return;
        }
        let paused_cond = cur.is_some_and(|c| c["reason"] == "DeploymentPaused");
        let paused = self.d["spec"]["paused"] == true;
        let mut status = self.d["status"].clone();
        if !status.is_object() {
            status = json!({});
        }
        if paused && !paused_cond {
            set_cond(&mut status, new_cond("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"));
        } else if !paused && paused_cond {
            set_cond(&mut status, new_cond("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed"));
        } else {
            return;
        }
        self.write_status(status);
    }

    /// cleanupDeployment: deletes the oldest zero-replica old ReplicaSets beyond revisionHistoryLimit.
    pub fn cleanup(&mut self, new: Option<usize>) -> Option<usize> {
        let new_uid = new.map(|i| obj::uid(&self.rss[i]).to_string());
        let limit = self.d["spec"]["revisionHistoryLimit"].as_i64().unwrap_or(10);
        let mut old: Vec<Value> =
            self.rss.iter().enumerate().filter(|(i, r)| Some(*i) != new && !obj::is_deleting(r)).map(|(_, r)| r.clone()).collect();
        let diff = i64::try_from(old.len()).unwrap_or(0) - limit;
        if diff <= 0 {
            return new;
        }
        old.sort_by_key(revision);
        for rs in old.iter().take(usize::try_from(diff).unwrap_or(0)) {
            let busy = obj::int(rs, "/status/replicas") != 0
                || obj::int(rs, "/spec/replicas") != 0
                || obj::int(rs, "/metadata/generation") > obj::int(rs, "/status/observedGeneration");
            if !busy && self.store.delete(kinds::REPLICA_SET, obj::namespace(rs), obj::name(rs)).is_ok() {
                let uid = obj::uid(rs).to_string();
                self.rss.retain(|r| obj::uid(r) != uid);
            }
        }
        new_uid.and_then(|u| self.rss.iter().position(|r| obj::uid(r) == u))
    }
}
