//! Validation of DaemonSets, Jobs and CronJobs as the apiserver answers it: the workload rules
//! (selector, containers), a Job's pods must not restart (`Never` or `OnFailure`), and a
//! CronJob's schedule must parse.
use serde_json::Value;

use super::validate::{Cause, containers, workload};

fn restart_policy(pod_spec: &Value, field: &'static str, causes: &mut Vec<Cause>) {
    let policy = pod_spec["restartPolicy"].as_str().unwrap_or_default();
    if policy != "Never" && policy != "OnFailure" {
        let msg = if policy.is_empty() {
            "Required value: valid values: \"OnFailure\", \"Never\"".to_string()
        } else {
            format!("Unsupported value: \"{policy}\": supported values: \"OnFailure\", \"Never\"")
        };
        causes.push((if policy.is_empty() { "FieldValueRequired" } else { "FieldValueNotSupported" }, field, msg));
    }
}

pub fn validate(plural: &str, obj: &Value, causes: &mut Vec<Cause>) {
    let spec = &obj["spec"];
    match plural {
        "daemonsets" => workload(obj, causes),
        "jobs" => {
            containers(&spec["template"]["spec"], "spec.template.spec.containers", causes);
            restart_policy(&spec["template"]["spec"], "spec.template.spec.restartPolicy", causes);
        }
        "cronjobs" => {
            let pod = &spec["jobTemplate"]["spec"]["template"]["spec"];
            containers(pod, "spec.jobTemplate.spec.template.spec.containers", causes);
            restart_policy(pod, "spec.jobTemplate.spec.template.spec.restartPolicy", causes);
            match spec["schedule"].as_str() {
                None | Some("") => causes.push(("FieldValueRequired", "spec.schedule", "Required value".into())),
                Some(s) => {
                    if let Err(e) = crate::sim::controllers::cronjob::parse_schedule(obj) {
                        causes.push(("FieldValueInvalid", "spec.schedule", format!("Invalid value: {s:?}: {e}")));
                    }
                }
            }
        }
        _ => {}
    }
}
