//! Container state transitions of the kubelet stand-in: image pulls (good, unknown tag),
//! starts, crashes into CrashLoopBackOff, and the pod conditions that follow.
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::kubelet::{Stage, Step, backoff};
use super::obj;
use crate::sim::scenario::ImageVerdict;

pub(super) fn hex(input: &str) -> String {
    Sha256::digest(input.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

pub(super) fn cond(kind: &str, status: bool, now: &str) -> Value {
    json!({"type": kind, "status": if status { "True" } else { "False" }, "lastProbeTime": null, "lastTransitionTime": now})
}

/// One container's step: what it was (`prev`) and the spec it runs.
struct Ctr<'a> {
    pod: &'a Value,
    c: &'a Value,
    prev: &'a Value,
    image: &'a str,
    name: &'a str,
    restarts: i64,
    last: Value,
}

impl Step<'_> {
    fn say(&mut self, k: &Ctr<'_>, warning: bool, reason: &'static str, message: String) {
        self.event(k.pod, warning, reason, message, Some(k.name));
    }

    pub(super) fn container_step(&mut self, pod: &Value, c: &Value, prev: &Value, stage: Stage) -> Value {
        let image = c["image"].as_str().unwrap_or_default();
        let k = Ctr {
            pod,
            c,
            prev,
            image,
            name: c["name"].as_str().unwrap_or_default(),
            restarts: obj::int(prev, "/restartCount"),
            last: prev.get("lastState").cloned().unwrap_or_else(|| json!({})),
        };
        match (stage, self.behavior.image_verdict(image)) {
            (Stage::Creating | Stage::PullBackOff, ImageVerdict::Unknown) => self.pull_failed(&k),
            (Stage::PullError, ImageVerdict::Unknown) => {
                let msg = format!("Back-off pulling image \"{image}\"");
                self.say(&k, false, "BackOff", msg.clone());
                self.say(&k, true, "Failed", "Error: ImagePullBackOff".into());
                waiting_cs(c, "ImagePullBackOff", Some(&msg), k.restarts, &k.last)
            }
            (Stage::Creating, _) => {
                self.say(&k, false, "Pulling", format!("Pulling image \"{image}\""));
                let msg =
                    format!("Successfully pulled image \"{image}\" in 1.204s (1.204s including waiting). Image size: 48293012 bytes.");
                self.say(&k, false, "Pulled", msg);
                self.start(pod, c, k.restarts, &k.last)
            }
            (Stage::CrashBackOff, ImageVerdict::Crashes) => {
                self.say(&k, false, "Pulled", format!("Container image \"{image}\" already present on machine"));
                self.start(pod, c, k.restarts, &k.last)
            }
            (Stage::Starting, ImageVerdict::Crashes) if !prev["state"]["running"].is_null() => self.crash(&k),
            (Stage::Starting, _) => {
                let mut cs = prev.clone();
                cs["ready"] = json!(!prev["state"]["running"].is_null());
                cs
            }
            _ => prev.clone(),
        }
    }

    fn pull_failed(&mut self, k: &Ctr<'_>) -> Value {
        let image = k.image;
        self.say(k, false, "Pulling", format!("Pulling image \"{image}\""));
        let msg = format!("failed to pull and unpack image \"{image}\": not found");
        self.say(k, true, "Failed", format!("Failed to pull image \"{image}\": {msg}"));
        self.say(k, true, "Failed", "Error: ErrImagePull".into());
        let detail = format!("rpc error: code = NotFound desc = {msg}");
        waiting_cs(k.c, "ErrImagePull", Some(&detail), k.restarts, &k.last)
    }

    fn crash(&mut self, k: &Ctr<'_>) -> Value {
        let pod_ref = format!("{}_{}({})", obj::name(k.pod), obj::namespace(k.pod).unwrap_or_default(), obj::uid(k.pod));
        let cname = k.name;
        self.say(k, true, "BackOff", format!("Back-off restarting failed container {cname} in pod {pod_ref}"));
        let started = k.prev["state"]["running"]["startedAt"].clone();
        let last = json!({"terminated": {"exitCode": 1, "reason": "Error", "startedAt": started,
            "finishedAt": obj::now_rfc3339(), "containerID": k.prev["containerID"]}});
        let wait = backoff(self.behavior, k.restarts + 1).as_secs().max(1);
        let msg = format!("back-off {wait}s restarting failed container={cname} pod={pod_ref}");
        let mut cs = waiting_cs(k.c, "CrashLoopBackOff", Some(&msg), k.restarts + 1, &last);
        cs["imageID"] = k.prev["imageID"].clone();
        cs
    }

    fn start(&mut self, pod: &Value, c: &Value, restarts: i64, last: &Value) -> Value {
        let cname = c["name"].as_str().unwrap_or_default();
        self.event(pod, false, "Created", format!("Created container: {cname}"), Some(cname));
        self.event(pod, false, "Started", format!("Started container {cname}"), Some(cname));
        let image = c["image"].as_str().unwrap_or_default();
        let (repo, _) = crate::sim::scenario::split_image(image);
        let full_repo = if repo.contains('/') { repo.to_string() } else { format!("docker.io/library/{repo}") };
        json!({"name": cname, "image": image, "imageID": format!("{full_repo}@sha256:{}", hex(image)),
            "containerID": format!("containerd://{}", hex(&format!("{}{cname}{restarts}", obj::uid(pod)))),
            "ready": false, "started": true, "restartCount": restarts, "lastState": last,
            "state": {"running": {"startedAt": obj::now_rfc3339()}}})
    }
}

pub(super) fn waiting_cs(c: &Value, reason: &str, message: Option<&str>, restarts: i64, last: &Value) -> Value {
    let mut waiting = json!({"reason": reason});
    if let Some(m) = message {
        waiting["message"] = json!(m);
    }
    json!({"name": c["name"], "image": c["image"], "imageID": "", "ready": false, "started": false,
        "restartCount": restarts, "lastState": last, "state": {"waiting": waiting}})
}

pub(super) fn not_ready(pod: &Value, now: &str, kind: &str) -> Value {
    let names: Vec<&str> =
        pod["spec"]["containers"].as_array().map(|a| a.iter().filter_map(|c| c["name"].as_str()).collect()).unwrap_or_default();
    let mut c = cond(kind, false, now);
    c["reason"] = json!("ContainersNotReady");
    c["message"] = json!(format!("containers with unready status: [{}]", names.join(" ")));
    c
}

pub(super) fn set_ready(pod: &mut Value, ready: bool, running: bool, now: &str) {
    let snapshot = pod.clone();
    let Some(conds) = pod["status"]["conditions"].as_array_mut() else {
        return;
    };
    for c in conds.iter_mut() {
        let kind = c["type"].as_str().unwrap_or_default().to_string();
        let want = match kind.as_str() {
            "Ready" | "ContainersReady" => ready,
            "PodReadyToStartContainers" => running || c["status"] == "True",
            _ => continue,
        };
        let was = c["status"] == "True";
        if was != want {
            *c = if want {
                cond(&kind, true, now)
            } else if kind == "PodReadyToStartContainers" {
                cond(&kind, false, now)
            } else {
                not_ready(&snapshot, now, &kind)
            };
        }
    }
}
