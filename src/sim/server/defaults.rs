//! Server-side defaulting, as the real apiserver does before storing (what `kubectl describe`
//! and `-o yaml` show: strategy, protocols, pull policies, namespace phase, ...). Idempotent.
use serde_json::{Value, json};

/// Sets `key` when it is absent or null (nothing happens when `obj` is not an object).
pub(crate) fn set_default(obj: &mut Value, key: &str, v: Value) {
    if let Some(m) = obj.as_object_mut()
        && m.get(key).is_none_or(Value::is_null)
    {
        m.insert(key.to_string(), v);
    }
}

fn container(c: &mut Value) {
    let image = c["image"].as_str().unwrap_or_default();
    let tag = image.rsplit('/').next().unwrap_or_default();
    let policy = if !tag.contains(':') || tag.ends_with(":latest") { "Always" } else { "IfNotPresent" };
    set_default(c, "imagePullPolicy", json!(policy));
    set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
    set_default(c, "terminationMessagePolicy", json!("File"));
    set_default(c, "resources", json!({}));
    if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            set_default(p, "protocol", json!("TCP"));
        }
    }
}

pub fn pod_spec(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    for (k, v) in [
        ("restartPolicy", json!("Always")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
        ("schedulerName", json!("default-scheduler")),
        ("securityContext", json!({})),
    ] {
        set_default(spec, k, v);
    }
    for list in ["containers", "initContainers"] {
        if let Some(cs) = spec.get_mut(list).and_then(Value::as_array_mut) {
            cs.iter_mut().for_each(container);
        }
    }
}

fn workload(obj: &mut Value, kind: &str) {
    let spec = &mut obj["spec"];
    if !spec.is_object() {
        return;
    }
    set_default(spec, "replicas", json!(1));
    set_default(spec, "revisionHistoryLimit", json!(10));
    match kind {
        "Deployment" => {
            set_default(spec, "strategy", json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}));
            set_default(spec, "progressDeadlineSeconds", json!(600));
        }
        "StatefulSet" => {
            set_default(spec, "podManagementPolicy", json!("OrderedReady"));
            set_default(spec, "updateStrategy", json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}));
        }
        _ => {}
    }
    if kind == "ReplicaSet"
        && let Some(m) = spec.as_object_mut()
    {
        m.remove("revisionHistoryLimit");
    }
    pod_spec(&mut obj["spec"]["template"]["spec"]);
}

/// Jobs (also a CronJob's job template), CronJobs and DaemonSets, as the apiserver defaults them.
fn batch_and_daemon(obj: &mut Value, kind: &str) {
    match kind {
        "CronJob" => {
            if let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) {
                for (k, v) in [("concurrencyPolicy", json!("Allow")), ("suspend", json!(false))] {
                    set_default(spec, k, v);
                }
                set_default(spec, "successfulJobsHistoryLimit", json!(3));
                set_default(spec, "failedJobsHistoryLimit", json!(1));
            }
        }
        "DaemonSet" => {
            if let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) {
                set_default(spec, "revisionHistoryLimit", json!(10));
                set_default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}}),
                );
            }
        }
        _ => {
            if let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) {
                let completions = spec["completions"].clone();
                let both_unset = completions.is_null() && spec["parallelism"].is_null();
                for (k, v) in [("backoffLimit", json!(6)), ("completionMode", json!("NonIndexed")), ("suspend", json!(false))] {
                    set_default(spec, k, v);
                }
                set_default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
                set_default(spec, "parallelism", json!(1));
                if both_unset {
                    set_default(spec, "completions", json!(1));
                }
            }
        }
    }
    if let Some(pod) = obj.pointer_mut("/spec/template/spec") {
        pod_spec(pod);
    }
    if let Some(pod) = obj.pointer_mut("/spec/jobTemplate/spec/template/spec") {
        pod_spec(pod);
    }
}

/// Apply the defaults for `obj` (by its kind) in place.
pub fn apply(obj: &mut Value) {
    let kind = obj["kind"].as_str().unwrap_or_default().to_string();
    match kind.as_str() {
        "Deployment" | "StatefulSet" | "ReplicaSet" => workload(obj, &kind),
        "Pod" => pod_spec(&mut obj["spec"]),
        "Namespace" => {
            let name = obj["metadata"]["name"].as_str().unwrap_or_default().to_string();
            set_default(&mut obj["metadata"], "labels", json!({}));
            set_default(&mut obj["metadata"]["labels"], "kubernetes.io/metadata.name", json!(name));
            set_default(obj, "spec", json!({"finalizers": ["kubernetes"]}));
            set_default(obj, "status", json!({"phase": "Active"}));
        }
        "Job" | "CronJob" | "DaemonSet" => batch_and_daemon(obj, &kind),
        "Service" => {
            set_default(&mut obj["spec"], "type", json!("ClusterIP"));
            if let Some(ports) = obj.pointer_mut("/spec/ports").and_then(Value::as_array_mut) {
                for p in ports {
                    set_default(p, "protocol", json!("TCP"));
                    let port = p["port"].clone();
                    set_default(p, "targetPort", port);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deployment_defaults_are_idempotent() {
        let mut d = json!({"kind": "Deployment", "spec": {"template": {"spec": {"containers": [{"name": "a", "image": "nginx", "ports": [{"containerPort": 80}]}]}}}});
        apply(&mut d);
        assert_eq!(d["spec"]["strategy"]["type"], "RollingUpdate");
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "Always");
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["ports"][0]["protocol"], "TCP");
        let once = d.clone();
        apply(&mut d);
        assert_eq!(d, once);
    }
}
