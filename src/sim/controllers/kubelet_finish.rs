//! Pods that run to their end (`restartPolicy: Never` or `OnFailure`, as Jobs make them): once
//! their containers have started, the next step terminates them — `Succeeded` with exit code
//! 0 (`Completed`), or for an image that crashes under `Never`, `Failed` with exit code 1
//! (`Error`); under `OnFailure` a crashing image crash-loops like any other pod.
use serde_json::{Value, json};

use super::kubelet::Step;
use super::kubelet_containers::cond;
use super::obj;
use crate::sim::scenario::{Behavior, ImageVerdict};

fn containers(pod: &Value) -> &[Value] {
    pod["spec"]["containers"].as_array().map(Vec::as_slice).unwrap_or_default()
}

fn crashes(pod: &Value, behavior: &Behavior) -> bool {
    containers(pod).iter().any(|c| behavior.image_verdict(c["image"].as_str().unwrap_or_default()) == ImageVerdict::Crashes)
}

/// Whether a started pod terminates at its next step instead of staying up.
pub(super) fn runs_to_end(pod: &Value, behavior: &Behavior) -> bool {
    match pod["spec"]["restartPolicy"].as_str() {
        Some("Never") => true,
        Some("OnFailure") => !crashes(pod, behavior),
        _ => false,
    }
}

impl Step<'_> {
    /// Terminates every container and ends the pod in `Succeeded` or `Failed`.
    pub(super) fn finish(self, pod: &Value) {
        let now = obj::now_rfc3339();
        let failed = crashes(pod, self.behavior);
        let (code, reason, phase) = if failed { (1, "Error", "Failed") } else { (0, "Completed", "Succeeded") };
        let old = pod["status"]["containerStatuses"].as_array().cloned().unwrap_or_default();
        let statuses: Vec<Value> = old
            .iter()
            .map(|c| {
                let mut c = c.clone();
                let started = c["state"]["running"]["startedAt"].clone();
                c["state"] = json!({"terminated": {"exitCode": code, "reason": reason, "startedAt": started,
                    "finishedAt": now, "containerID": c["containerID"]}});
                c["ready"] = json!(false);
                c["started"] = json!(false);
                c
            })
            .collect();
        let mut next = pod.clone();
        let st = obj::object_at(&mut next, &["status"]);
        st["phase"] = json!(phase);
        st["containerStatuses"] = json!(statuses);
        if let Some(conds) = st["conditions"].as_array_mut() {
            for c in conds.iter_mut() {
                let kind = c["type"].as_str().unwrap_or_default().to_string();
                if matches!(kind.as_str(), "Ready" | "ContainersReady" | "PodReadyToStartContainers") {
                    *c = cond(&kind, false, &now);
                    if kind != "PodReadyToStartContainers" {
                        c["reason"] = json!(if failed { "PodFailed" } else { "PodCompleted" });
                    }
                }
            }
        }
        let _ = self.store.update_status(next);
    }
}
