//! Pods, with kubectl's STATUS column logic.
use k8s_openapi::api::core::v1::{ContainerState, ContainerStatus, Pod, PodStatus};

use super::{created, name, namespace, pairs};
use crate::model::{ContainerView, PodView};

fn terminated_reason(state: &ContainerState, prefix: &str) -> Option<String> {
    let t = state.terminated.as_ref()?;
    let reason = match t.reason.as_deref() {
        Some(r) if !r.is_empty() => r.to_string(),
        _ if t.signal.unwrap_or(0) != 0 => format!("Signal:{}", t.signal.unwrap_or(0)),
        _ => format!("ExitCode:{}", t.exit_code),
    };
    Some(format!("{prefix}{reason}"))
}

/// The init containers' verdict, if they are still running or failed ("Init:1/2", "Init:Error").
fn init_status(pod: &Pod) -> Option<String> {
    let status = pod.status.as_ref()?;
    let inits = status.init_container_statuses.as_deref().unwrap_or_default();
    let total = pod.spec.as_ref().and_then(|s| s.init_containers.as_ref()).map_or(inits.len(), Vec::len);
    let none = ContainerState::default();
    for (i, c) in inits.iter().enumerate() {
        let state = c.state.as_ref().unwrap_or(&none);
        if let Some(t) = &state.terminated {
            if t.exit_code == 0 {
                continue;
            }
            return terminated_reason(state, "Init:");
        }
        if let Some(w) = &state.waiting
            && let Some(r) = w.reason.as_deref().filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            return Some(format!("Init:{r}"));
        }
        return Some(format!("Init:{i}/{total}"));
    }
    None
}

/// kubectl's STATUS: a waiting or terminated reason wins over the phase; init containers
/// first; "Terminating" once a deletion timestamp is set.
pub fn pod_status(pod: &Pod) -> String {
    let unknown = PodStatus::default();
    let status = pod.status.as_ref().unwrap_or(&unknown);
    let mut reason = status.reason.clone().or(status.phase.clone()).unwrap_or_else(|| "Unknown".to_string());
    let mut has_running = false;
    if let Some(init) = init_status(pod) {
        reason = init;
    } else {
        let none = ContainerState::default();
        for c in status.container_statuses.iter().flatten().rev() {
            let state = c.state.as_ref().unwrap_or(&none);
            if let Some(r) = state.waiting.as_ref().and_then(|w| w.reason.clone()).filter(|r| !r.is_empty()) {
                reason = r;
            } else if let Some(r) = terminated_reason(state, "") {
                reason = r;
            } else if c.ready && state.running.is_some() {
                has_running = true;
            }
        }
        if reason == "Completed" && has_running {
            reason = "Running".to_string();
        }
    }
    if pod.metadata.deletion_timestamp.is_some() {
        reason = if status.reason.as_deref() == Some("NodeLost") { "Unknown" } else { "Terminating" }.to_string();
    }
    reason
}

fn container_state(c: &ContainerStatus) -> String {
    let Some(state) = c.state.as_ref() else { return "Unknown".to_string() };
    if let Some(w) = &state.waiting {
        return format!("Waiting: {}", w.reason.as_deref().unwrap_or_default()).trim_end_matches(": ").to_string();
    }
    if state.terminated.is_some() {
        return terminated_reason(state, "Terminated: ").unwrap_or_default();
    }
    if state.running.is_some() { "Running".to_string() } else { "Unknown".to_string() }
}

/// kubectl counts the init containers' restarts while they run, else the containers'.
fn restarts(pod: &Pod, statuses: &[ContainerStatus]) -> i32 {
    if init_status(pod).is_some() {
        let inits = pod.status.as_ref().and_then(|s| s.init_container_statuses.as_ref());
        return inits.map_or(0, |i| i.iter().map(|s| s.restart_count).sum());
    }
    statuses.iter().map(|s| s.restart_count).sum()
}

pub fn pod_view(pod: &Pod) -> PodView {
    let statuses = pod.status.as_ref().and_then(|s| s.container_statuses.as_deref()).unwrap_or_default();
    let spec_containers = pod.spec.as_ref().map(|s| s.containers.as_slice()).unwrap_or_default();
    let containers: Vec<ContainerView> = spec_containers
        .iter()
        .map(|sc| {
            let st = statuses.iter().find(|s| s.name == sc.name);
            ContainerView {
                name: sc.name.clone(),
                image: sc.image.clone().unwrap_or_default(),
                ready: st.is_some_and(|s| s.ready),
                restarts: st.map_or(0, |s| s.restart_count),
                state: st.map_or_else(|| "Waiting".to_string(), container_state),
            }
        })
        .collect();
    let owner = pod.metadata.owner_references.iter().flatten().next().map(|o| (o.kind.clone(), o.name.clone()));
    PodView {
        namespace: namespace(&pod.metadata),
        name: name(&pod.metadata),
        status: pod_status(pod),
        ready_containers: statuses.iter().filter(|s| s.ready).count() as i32,
        total_containers: spec_containers.len() as i32,
        restarts: restarts(pod, statuses),
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default(),
        created: created(&pod.metadata),
        owner,
        labels: pairs(pod.metadata.labels.as_ref()),
        containers,
    }
}
