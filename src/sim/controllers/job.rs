//! The Job controller: pods from the template up to `parallelism` until `completions` pods
//! have succeeded (the kubelet stand-in runs `restartPolicy: Never|OnFailure` pods to their
//! end), a failed pod counted against `backoffLimit`, and the conditions upstream sets:
//! `SuccessCriteriaMet` then `Complete` (reason `CompletionsReached`), `FailureTarget` then
//! `Failed` (reason `BackoffLimitExceeded`). `suspend: true` deletes the active pods.
//! Like the apiserver, a Job without `spec.selector` gets one naming its uid (set here on the
//! first pass, as the simulator's store assigns uids only when it stores).
use serde_json::{Value, json};

use super::events::{Ev, Recorder};
use super::obj;
use crate::sim::store_api::{SimStore, kinds};

const COMPONENT: &str = "job-controller";
const UID_LABEL: &str = "batch.kubernetes.io/controller-uid";
const NAME_LABEL: &str = "batch.kubernetes.io/job-name";

pub fn reconcile(store: &dyn SimStore, rec: &mut Recorder) {
    let jobs = store.list(kinds::JOB, None);
    if jobs.is_empty() {
        return;
    }
    for job in jobs {
        if obj::is_deleting(&job) {
            continue;
        }
        if job["spec"]["selector"].is_null() {
            let _ = store.update(with_generated_selector(&job));
            continue;
        }
        sync_one(store, rec, &job);
    }
}

/// The selector and template labels the apiserver generates for a Job (manualSelector unset).
fn with_generated_selector(job: &Value) -> Value {
    let mut next = job.clone();
    let uid = obj::uid(job).to_string();
    let name = obj::name(job).to_string();
    obj::object_at(&mut next, &["spec"])["selector"] = json!({"matchLabels": {UID_LABEL: uid}});
    let labels = obj::object_at(&mut next, &["spec", "template", "metadata", "labels"]);
    for (k, v) in [(UID_LABEL, &uid), (NAME_LABEL, &name), ("controller-uid", &uid), ("job-name", &name)] {
        labels[k] = json!(v);
    }
    next
}

pub fn is_finished(job: &Value) -> bool {
    job["status"]["conditions"]
        .as_array()
        .is_some_and(|cs| cs.iter().any(|c| (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True"))
}

fn phase(p: &Value) -> &str {
    p["status"]["phase"].as_str().unwrap_or("Pending")
}

fn condition(kind: &str, reason: &str, message: &str, now: &str) -> Value {
    json!({"type": kind, "status": "True", "reason": reason, "message": message, "lastProbeTime": now, "lastTransitionTime": now})
}

fn sync_one(store: &dyn SimStore, rec: &mut Recorder, job: &Value) {
    let ns = obj::namespace(job);
    let pods: Vec<Value> = store.list(kinds::POD, ns).into_iter().filter(|p| obj::controller_uid(p) == Some(obj::uid(job))).collect();
    let succeeded = pods.iter().filter(|p| phase(p) == "Succeeded").count();
    let failed = pods.iter().filter(|p| phase(p) == "Failed").count();
    let active: Vec<&Value> = pods.iter().filter(|p| obj::is_pod_active(p)).collect();
    let completions = job["spec"]["completions"].as_i64().unwrap_or(1).max(0);
    let parallelism = job["spec"]["parallelism"].as_i64().unwrap_or(1).max(0);
    let backoff_limit = job["spec"]["backoffLimit"].as_i64().unwrap_or(6);
    let suspended = job["spec"]["suspend"] == true;
    let as_i64 = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
    let mut status = job["status"].clone();
    if !status.is_object() {
        status = json!({});
    }
    let now = obj::now_rfc3339();
    let mut conditions: Vec<Value> = status["conditions"].as_array().cloned().unwrap_or_default();
    if !is_finished(job) {
        if as_i64(succeeded) >= completions {
            let msg = "Reached expected number of succeeded pods";
            conditions.push(condition("SuccessCriteriaMet", "CompletionsReached", msg, &now));
            conditions.push(condition("Complete", "CompletionsReached", msg, &now));
            status["completionTime"] = json!(now);
            rec.record(store, Ev::normal(job, COMPONENT, "Completed", "Job completed".into()));
        } else if as_i64(failed) > backoff_limit {
            let msg = "Job has reached the specified backoff limit";
            conditions.push(condition("FailureTarget", "BackoffLimitExceeded", msg, &now));
            conditions.push(condition("Failed", "BackoffLimitExceeded", msg, &now));
            rec.record(store, Ev::warning(job, COMPONENT, "BackoffLimitExceeded", msg.into()));
        }
    }
    let finished = conditions.iter().any(|c| (c["type"] == "Complete" || c["type"] == "Failed") && c["status"] == "True");
    let mut running = as_i64(active.len());
    if finished || suspended {
        for p in &active {
            if crate::sim::server::delete::delete_pod(store, obj::namespace(p), obj::name(p)).is_ok() {
                running -= 1;
                rec.record(store, Ev::normal(job, COMPONENT, "SuccessfulDelete", format!("Deleted pod: {}", obj::name(p))));
            }
        }
    } else {
        let want = parallelism.min(completions - as_i64(succeeded)).max(0);
        let missing = want - running;
        for _ in 0..missing {
            let pod = obj::pod_from_template(&job["spec"]["template"], job, None);
            if !super::replicaset::create_pod(store, rec, job, COMPONENT, pod) {
                break;
            }
            running += 1;
        }
        if status["startTime"].is_null() && !suspended {
            status["startTime"] = json!(now);
        }
    }
    status["active"] = json!(running.max(0));
    status["ready"] = json!(active.iter().filter(|p| obj::is_pod_ready(p)).count());
    status["succeeded"] = json!(succeeded);
    status["failed"] = json!(failed);
    status["terminating"] = json!(0);
    status["uncountedTerminatedPods"] = json!({});
    if !conditions.is_empty() {
        status["conditions"] = json!(conditions);
    }
    for key in ["active", "succeeded", "failed"] {
        if status[key] == 0
            && let Some(m) = status.as_object_mut()
        {
            m.remove(key);
        }
    }
    if job["status"] != status {
        let mut next = job.clone();
        next["status"] = status;
        let _ = store.update_status(next);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generated_selector_survives_odd_templates() {
        let job = json!({"metadata": {"name": "j", "uid": "u-1"}, "spec": {"template": {"metadata": "odd"}}});
        let next = with_generated_selector(&job);
        assert_eq!(next["spec"]["selector"], json!({"matchLabels": {UID_LABEL: "u-1"}}));
        assert_eq!(next["spec"]["template"]["metadata"]["labels"]["job-name"], "j");
    }
}
