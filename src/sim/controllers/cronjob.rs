//! The CronJob controller: at each scheduled minute (robfig/cron syntax with the `@hourly`-style
//! descriptors, `spec.timeZone`) a Job `<cronjob>-<minutes since the epoch>` from
//! `jobTemplate`; of several missed times only the latest runs, as upstream. Honours
//! `suspend`, `concurrencyPolicy` (Allow, Forbid, Replace), `startingDeadlineSeconds`, the
//! history limits, and reports `active`, `lastScheduleTime` and `lastSuccessfulTime`.
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::events::{Ev, Recorder};
use super::{job, obj};
use crate::domain::windows::cron::Schedule;
use crate::sim::store_api::{SimStore, kinds};

const COMPONENT: &str = "cronjob-controller";
const SCHEDULED_AT: &str = "batch.kubernetes.io/cronjob-scheduled-timestamp";

pub fn reconcile(store: &dyn SimStore, rec: &mut Recorder) {
    let cronjobs = store.list(kinds::CRON_JOB, None);
    if cronjobs.is_empty() {
        return;
    }
    let now = Utc::now();
    for cj in cronjobs.iter().filter(|c| !obj::is_deleting(c)) {
        let jobs: Vec<Value> =
            store.list(kinds::JOB, obj::namespace(cj)).into_iter().filter(|j| obj::controller_uid(j) == Some(obj::uid(cj))).collect();
        sync_one(store, rec, cj, &jobs, now);
    }
}

/// The schedule in the 5-field form, descriptors expanded, with the time zone in front.
pub fn parse_schedule(cj: &Value) -> Result<Schedule, String> {
    let raw = cj["spec"]["schedule"].as_str().unwrap_or_default().trim();
    let five = match raw {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        other => other,
    };
    let spec = match cj["spec"]["timeZone"].as_str() {
        Some(tz) if !tz.is_empty() => format!("CRON_TZ={tz} {five}"),
        _ => five.to_string(),
    };
    Schedule::parse(&spec).map_err(|e| e.to_string())
}

/// The latest scheduled time in (`since`, `now`], if any (at most 100 steps, as upstream warns).
fn latest_missed(s: &Schedule, since: DateTime<Utc>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut latest = None;
    let mut t = since;
    for _ in 0..100 {
        match s.next_after(t) {
            Some(n) if n <= now => {
                latest = Some(n);
                t = n;
            }
            _ => break,
        }
    }
    latest
}

fn job_ref(j: &Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "Job", "name": obj::name(j), "namespace": obj::namespace(j), "uid": obj::uid(j),
        "resourceVersion": j["metadata"]["resourceVersion"]})
}

fn sync_one(store: &dyn SimStore, rec: &mut Recorder, cj: &Value, jobs: &[Value], now: DateTime<Utc>) {
    let mut status = if cj["status"].is_object() { cj["status"].clone() } else { json!({}) };
    let mut active: Vec<&Value> = jobs.iter().filter(|j| !job::is_finished(j)).collect();
    let schedule = parse_schedule(cj);
    let since =
        status["lastScheduleTime"].as_str().or(cj["metadata"]["creationTimestamp"].as_str()).and_then(obj::parse_time).unwrap_or(now);
    let due = schedule.as_ref().ok().and_then(|s| latest_missed(s, since, now));
    // The loop runs a round at the next scheduled time even if nothing changes.
    if let Some(next) = schedule.as_ref().ok().filter(|_| cj["spec"]["suspend"] != true).and_then(|s| s.next_after(now)) {
        super::wake_at(next);
    }
    let deadline_ok =
        |t: DateTime<Utc>| cj["spec"]["startingDeadlineSeconds"].as_i64().is_none_or(|d| t + chrono::Duration::seconds(d) >= now);
    if let Some(t) = due.filter(|_| cj["spec"]["suspend"] != true) {
        let policy = cj["spec"]["concurrencyPolicy"].as_str().unwrap_or("Allow");
        if policy == "Forbid" && !active.is_empty() {
            // Upstream leaves lastScheduleTime alone and tries again next time.
        } else if deadline_ok(t) {
            if policy == "Replace" {
                for j in active.drain(..) {
                    let _ = store.delete(kinds::JOB, obj::namespace(j), obj::name(j));
                }
            }
            match store.create(new_job(cj, t)) {
                Ok(j) => {
                    rec.record(store, Ev::normal(cj, COMPONENT, "SuccessfulCreate", format!("Created job {}", obj::name(&j))));
                    status["lastScheduleTime"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
                    let created = j;
                    let mut refs: Vec<Value> = active.iter().map(|j| job_ref(j)).collect();
                    refs.push(job_ref(&created));
                    status["active"] = json!(refs);
                    return write(store, cj, status);
                }
                Err(e) => rec.record(store, Ev::warning(cj, COMPONENT, "FailedCreate", format!("Error creating job: {e}"))),
            }
        } else {
            status["lastScheduleTime"] = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        }
    }
    if let Some(t) = jobs.iter().filter(|j| is_complete(j)).filter_map(|j| j["status"]["completionTime"].as_str()).max() {
        status["lastSuccessfulTime"] = json!(t);
    }
    let refs: Vec<Value> = active.iter().map(|j| job_ref(j)).collect();
    if let Some(m) = status.as_object_mut() {
        if refs.is_empty() {
            m.remove("active");
        } else {
            m.insert("active".into(), json!(refs));
        }
    }
    prune(store, cj, jobs);
    write(store, cj, status);
}

fn is_complete(j: &Value) -> bool {
    j["status"]["conditions"].as_array().is_some_and(|cs| cs.iter().any(|c| c["type"] == "Complete" && c["status"] == "True"))
}

fn new_job(cj: &Value, t: DateTime<Utc>) -> Value {
    let tmpl = &cj["spec"]["jobTemplate"];
    let mut meta = json!({"name": format!("{}-{}", obj::name(cj), t.timestamp() / 60), "namespace": obj::namespace(cj),
        "ownerReferences": [obj::controller_ref(cj)]});
    if tmpl["metadata"]["labels"].is_object() {
        meta["labels"] = tmpl["metadata"]["labels"].clone();
    }
    let mut annotations = tmpl["metadata"]["annotations"].as_object().cloned().unwrap_or_default();
    annotations.insert(SCHEDULED_AT.into(), json!(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)));
    meta["annotations"] = Value::Object(annotations);
    let mut job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta, "spec": tmpl["spec"].clone()});
    crate::sim::server::defaults::apply(&mut job);
    job
}

/// Deletes the oldest finished Jobs beyond `successfulJobsHistoryLimit` / `failedJobsHistoryLimit`.
fn prune(store: &dyn SimStore, cj: &Value, jobs: &[Value]) {
    let limits = [
        (true, cj["spec"]["successfulJobsHistoryLimit"].as_i64().unwrap_or(3)),
        (false, cj["spec"]["failedJobsHistoryLimit"].as_i64().unwrap_or(1)),
    ];
    for (complete, limit) in limits {
        let mut done: Vec<&Value> = jobs.iter().filter(|j| job::is_finished(j) && is_complete(j) == complete).collect();
        done.sort_by_key(|j| j["metadata"]["creationTimestamp"].as_str().unwrap_or_default().to_string());
        let excess = done.len().saturating_sub(usize::try_from(limit.max(0)).unwrap_or(0));
        for j in done.into_iter().take(excess) {
            let _ = store.delete(kinds::JOB, obj::namespace(j), obj::name(j));
        }
    }
}

fn write(store: &dyn SimStore, cj: &Value, status: Value) {
    let unchanged = cj["status"] == status || (cj["status"].is_null() && status.as_object().is_some_and(Map::is_empty));
    if !unchanged {
        let mut next = cj.clone();
        next["status"] = status;
        let _ = store.update_status(next);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::sim::controllers::fake_store::FakeStore;

    fn at(s: &str) -> DateTime<Utc> {
        obj::parse_time(s).unwrap()
    }

    fn cronjob(store: &FakeStore, schedule: &str, policy: &str) -> Value {
        let cj = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "tick", "namespace": "ops"},
            "spec": {"schedule": schedule, "concurrencyPolicy": policy, "jobTemplate": {"spec": {"template": {"spec": {
                "restartPolicy": "OnFailure", "containers": [{"name": "c", "image": "busybox:1.36"}]}}}}}});
        // The fake store stamps creation at 2026-01-01T00:00:00.<rv>Z.
        store.create(cj).unwrap()
    }

    fn jobs(store: &FakeStore) -> Vec<Value> {
        store.list(kinds::JOB, Some("ops"))
    }

    #[test]
    fn runs_the_latest_missed_time_once_and_honours_forbid() {
        let store = FakeStore::new();
        let mut rec = Recorder::new(false);
        let cj = cronjob(&store, "*/5 * * * *", "Forbid");
        sync_one(&store, &mut rec, &cj, &[], at("2026-01-01T00:02:00Z"));
        assert!(jobs(&store).is_empty(), "nothing due before 00:05");
        assert!(store.get(kinds::CRON_JOB, Some("ops"), "tick").unwrap()["status"].is_null(), "no write when nothing changed");
        sync_one(&store, &mut rec, &cj, &[], at("2026-01-01T00:12:00Z"));
        let made = jobs(&store);
        let ten_past = at("2026-01-01T00:10:00Z").timestamp() / 60;
        assert_eq!(made.iter().map(|j| obj::name(j).to_string()).collect::<Vec<_>>(), vec![format!("tick-{ten_past}")], "00:05 is skipped");
        assert_eq!(made[0]["metadata"]["annotations"][SCHEDULED_AT], "2026-01-01T00:10:00Z");
        assert_eq!(made[0]["spec"]["backoffLimit"], 6, "the Job is defaulted like an API-created one");
        let cj = store.get(kinds::CRON_JOB, Some("ops"), "tick").unwrap();
        assert_eq!(cj["status"]["lastScheduleTime"], "2026-01-01T00:10:00Z");
        assert_eq!(cj["status"]["active"][0]["name"], obj::name(&made[0]));
        // Forbid: the next time comes while that Job still runs.
        sync_one(&store, &mut rec, &cj, &made, at("2026-01-01T00:16:00Z"));
        assert_eq!(jobs(&store).len(), 1);
    }

    #[test]
    fn descriptors_and_time_zones_parse() {
        let cj = json!({"spec": {"schedule": "@daily", "timeZone": "Europe/Berlin"}});
        let s = parse_schedule(&cj).unwrap();
        assert_eq!(s.next_after(at("2026-01-05T10:00:00Z")), Some(at("2026-01-05T23:00:00Z")));
        assert!(parse_schedule(&json!({"spec": {"schedule": "61 * * * *"}})).is_err());
    }
}
