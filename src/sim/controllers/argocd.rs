//! A small Argo CD stand-in: each Application's `status.health` and `status.resources` follow
//! the Deployments and StatefulSets it tracks (label `app.kubernetes.io/instance: <app>` or
//! annotation `argocd.argoproj.io/tracking-id: <app>:…` in its destination namespace; when no
//! workload there carries tracking metadata, all of them), assessed the way Argo CD's health
//! checks do. Sync status and history are left as the scenario (or a client) set them.
use serde_json::{Value, json};

use std::time::Duration;

use super::argocd_sync::ArgoSync;
use super::obj;
use crate::sim::store_api::{SimStore, kinds};

/// Argo CD's health ordering, healthiest first.
const ORDER: &[&str] = &["Healthy", "Suspended", "Progressing", "Missing", "Degraded", "Unknown"];

fn rank(h: &str) -> usize {
    ORDER.iter().position(|o| *o == h).unwrap_or(0)
}

fn st(o: &Value, key: &str) -> i64 {
    o["status"][key].as_i64().unwrap_or(0)
}

/// Health of a Deployment as Argo CD assesses it.
pub fn deployment_health(d: &Value) -> (&'static str, String) {
    let want = d["spec"]["replicas"].as_i64().unwrap_or(1);
    let (updated, available) = (st(d, "updatedReplicas"), st(d, "availableReplicas"));
    let deadline = d["status"]["conditions"]
        .as_array()
        .is_some_and(|c| c.iter().any(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded"));
    let wait = "Waiting for rollout to finish:";
    if d["spec"]["paused"] == true {
        ("Suspended", "Deployment is paused".into())
    } else if st(d, "observedGeneration") < obj::int(d, "/metadata/generation") {
        ("Progressing", format!("{wait} observed deployment generation less than desired generation"))
    } else if deadline {
        ("Degraded", format!("Deployment \"{}\" exceeded its progress deadline", obj::name(d)))
    } else if updated < want {
        ("Progressing", format!("{wait} {updated} out of {want} new replicas have been updated..."))
    } else if st(d, "replicas") > updated {
        let old = st(d, "replicas") - updated;
        ("Progressing", format!("{wait} {old} old replicas are pending termination..."))
    } else if available < updated {
        ("Progressing", format!("{wait} {available} of {updated} updated replicas are available..."))
    } else {
        ("Healthy", String::new())
    }
}

fn statefulset_health(s: &Value) -> (&'static str, String) {
    let want = s["spec"]["replicas"].as_i64().unwrap_or(1);
    let partition = s["spec"]["updateStrategy"]["rollingUpdate"]["partition"].as_i64().unwrap_or(0);
    if st(s, "observedGeneration") < obj::int(s, "/metadata/generation") {
        ("Progressing", "Waiting for statefulset spec update to be observed...".into())
    } else if st(s, "readyReplicas") < want {
        ("Progressing", format!("Waiting for {} pods to be ready...", want - st(s, "readyReplicas")))
    } else if st(s, "updatedReplicas") < want - partition {
        let msg = format!(
            "Waiting for partitioned roll out to finish: {} out of {} new pods have been updated...",
            st(s, "updatedReplicas"),
            want - partition
        );
        ("Progressing", msg)
    } else {
        ("Healthy", String::new())
    }
}

/// The Application an object is tracked by: label `app.kubernetes.io/instance`, else the
/// application part of annotation `argocd.argoproj.io/tracking-id` (`app:group/Kind:ns/name`).
pub fn tracked_by(o: &Value) -> Option<&str> {
    let label = o["metadata"]["labels"]["app.kubernetes.io/instance"].as_str();
    label.or_else(|| obj::annotation(o, "argocd.argoproj.io/tracking-id").and_then(|t| t.split(':').next()))
}

/// The Deployments and StatefulSets an Application manages: those in its destination
/// namespace tracked by it, or all of them when none there carries tracking metadata.
pub fn managed(store: &dyn SimStore, app: &Value) -> Vec<Value> {
    let Some(ns) = app["spec"]["destination"]["namespace"].as_str() else { return Vec::new() };
    let mut all = store.list(kinds::DEPLOYMENT, Some(ns));
    all.extend(store.list(kinds::STATEFUL_SET, Some(ns)));
    let any_tracked = all.iter().any(|o| tracked_by(o).is_some());
    all.retain(|o| !any_tracked || tracked_by(o) == Some(obj::name(app)));
    all
}

/// One pass over the Applications: health, per-resource and overall sync status, self-heal.
pub fn reconcile(store: &dyn SimStore, sync: &mut ArgoSync, heal_after: Duration) {
    for app in store.list(kinds::APPLICATION, None) {
        let Some(ns) = app["spec"]["destination"]["namespace"].as_str() else {
            continue;
        };
        let (mut worst, mut out_of_sync) = ("Healthy", false);
        let mut resources = Vec::new();
        for o in managed(store, &app) {
            let (health, message) = if o["kind"] == "StatefulSet" { statefulset_health(&o) } else { deployment_health(&o) };
            worst = if rank(health) > rank(worst) { health } else { worst };
            let drifted = sync.check(store, &app, &o, heal_after);
            out_of_sync |= drifted;
            let mut h = json!({"status": health});
            if !message.is_empty() {
                h["message"] = json!(message);
            }
            resources.push(json!({"group": "apps", "version": "v1", "kind": o["kind"], "namespace": ns,
                "name": obj::name(&o), "status": if drifted { "OutOfSync" } else { "Synced" }, "health": h}));
        }
        write_status(store, &app, worst, out_of_sync, resources);
    }
}

fn write_status(store: &dyn SimStore, app: &Value, worst: &str, out_of_sync: bool, resources: Vec<Value>) {
    let Some(app) = store.get(kinds::APPLICATION, obj::namespace(app), obj::name(app)) else { return };
    let sync_status = if out_of_sync { "OutOfSync" } else { "Synced" };
    let same = app["status"]["health"]["status"] == worst
        && app["status"]["resources"] == json!(resources)
        && app["status"]["sync"]["status"] == sync_status;
    if same {
        return;
    }
    let mut next = app.clone();
    if !next["status"].is_object() {
        next["status"] = json!({});
    }
    if next["status"]["health"]["status"] != worst {
        next["status"]["health"] = json!({"status": worst, "lastTransitionTime": obj::now_rfc3339()});
    }
    next["status"]["sync"]["status"] = json!(sync_status);
    next["status"]["resources"] = json!(resources);
    next["status"]["reconciledAt"] = json!(obj::now_rfc3339());
    let _ = store.update_status(next);
}
