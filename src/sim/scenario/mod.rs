//! Scenarios: the objects a simulated cluster starts with and how its kubelet behaves.
//!
//! A scenario file is one YAML document with the keys `behavior` (optional, see [`Behavior`]),
//! `objects` (a list of API objects exactly as `kubectl get -o yaml` shows them) and `faults`
//! (optional seeded fault injection, see `sim::faults::FaultPlan`).
//! Built-in scenarios (`demo`) are embedded in the binary.
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

const DEMO: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/scenarios/demo.yaml"));

/// Names of the built-in scenarios, for help texts.
pub const BUILT_IN: &[&str] = &["demo"];

#[derive(Debug, Clone, Default)]
pub struct Scenario {
    pub objects: Vec<Value>,
    pub behavior: Behavior,
    /// The scenario's `faults:` section (see `sim::faults`).
    pub faults: Option<crate::sim::faults::FaultPlan>,
}

/// How the simulated kubelet and controllers behave.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase", default)]
pub struct Behavior {
    /// Delay of each pod phase step (schedule, create containers, start, become ready), ms.
    pub pod_step_ms: u64,
    /// First crash-loop back-off, ms; doubles on every restart up to `max_backoff_ms`.
    pub backoff_ms: u64,
    pub max_backoff_ms: u64,
    /// Velero backup/restore duration, ms.
    pub velero_step_ms: u64,
    /// How long an Argo CD Application with `syncPolicy.automated.selfHeal` lets a tracked
    /// workload drift from its git state before reverting it, ms (Argo CD: 5 s).
    pub self_heal_ms: u64,
    /// Images that start and then crash (CrashLoopBackOff, never ready). An entry without a
    /// tag matches every tag of that repository.
    pub bad_images: Vec<String>,
    /// Image tags that do not exist in any registry (ErrImagePull / ImagePullBackOff). Tags
    /// containing `does-not-exist` are always unknown.
    pub unknown_tags: Vec<String>,
    /// Whether components record Events.
    pub events: bool,
}

impl Default for Behavior {
    fn default() -> Self {
        Self {
            pod_step_ms: 300,
            backoff_ms: 2_000,
            max_backoff_ms: 30_000,
            velero_step_ms: 1_500,
            self_heal_ms: 5_000,
            bad_images: Vec::new(),
            unknown_tags: Vec::new(),
            events: true,
        }
    }
}

/// What the kubelet does with an image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageVerdict {
    Good,
    /// Starts, then exits with an error: CrashLoopBackOff.
    Crashes,
    /// The tag does not exist: ErrImagePull / ImagePullBackOff.
    Unknown,
}

impl Behavior {
    /// A fast behaviour for tests: every pod step takes `step_ms`.
    pub fn fast(step_ms: u64) -> Self {
        Self {
            pod_step_ms: step_ms,
            backoff_ms: step_ms.max(1) * 4,
            max_backoff_ms: step_ms.max(1) * 40,
            velero_step_ms: step_ms,
            self_heal_ms: step_ms.max(1) * 10,
            ..Self::default()
        }
    }

    pub fn pod_step(&self) -> Duration {
        Duration::from_millis(self.pod_step_ms)
    }

    pub fn image_verdict(&self, image: &str) -> ImageVerdict {
        let (repo, tag) = split_image(image);
        if tag.contains("does-not-exist") || self.unknown_tags.iter().any(|t| t == tag) {
            return ImageVerdict::Unknown;
        }
        let bad = self.bad_images.iter().any(|b| b == image || (!has_tag(b) && b == repo));
        if bad { ImageVerdict::Crashes } else { ImageVerdict::Good }
    }
}

fn has_tag(image: &str) -> bool {
    image.rsplit('/').next().is_some_and(|last| last.contains(':') || last.contains('@'))
}

/// `repo:tag` → (repo, tag); no tag → "latest". A registry port (`host:5000/x`) is not a tag.
pub fn split_image(image: &str) -> (&str, &str) {
    let without_digest = image.split('@').next().unwrap_or(image);
    match without_digest.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => (without_digest, "latest"),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario file \"{file}\": {source} (built-in scenarios: {builtin})", builtin = BUILT_IN.join(", "))]
    Read { file: String, source: std::io::Error },
    #[error("scenario file \"{file}\": {message}")]
    Parse { file: String, message: String },
    #[error("scenario file \"{file}\": field {field}: {message}")]
    Field { file: String, field: String, message: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    #[serde(default)]
    behavior: Behavior,
    #[serde(default)]
    objects: Vec<Value>,
    #[serde(default)]
    faults: Option<crate::sim::faults::FaultPlan>,
}

/// Loads a built-in scenario by name (`demo`) or a scenario file by path.
pub fn load(spec: &str) -> Result<Scenario, ScenarioError> {
    if spec == "demo" {
        return parse("demo", DEMO);
    }
    let text = std::fs::read_to_string(Path::new(spec)).map_err(|source| ScenarioError::Read { file: spec.to_string(), source })?;
    parse(spec, &text)
}

/// Parses scenario text; `file` names it in errors.
pub fn parse(file: &str, text: &str) -> Result<Scenario, ScenarioError> {
    let parsed: ScenarioFile =
        yaml_serde::from_str(text).map_err(|e| ScenarioError::Parse { file: file.to_string(), message: e.to_string() })?;
    for (i, obj) in parsed.objects.iter().enumerate() {
        validate_object(obj).map_err(|(field, message)| ScenarioError::Field {
            file: file.to_string(),
            field: format!("objects[{i}]{field}"),
            message,
        })?;
    }
    if let Some(f) = &parsed.faults {
        f.check().map_err(|message| ScenarioError::Field { file: file.to_string(), field: "faults".into(), message })?;
    }
    Ok(Scenario { objects: parsed.objects, behavior: parsed.behavior, faults: parsed.faults })
}

fn validate_object(obj: &Value) -> Result<(), (String, String)> {
    let Some(map) = obj.as_object() else {
        return Err((String::new(), "must be a mapping (an API object)".into()));
    };
    for key in ["apiVersion", "kind"] {
        match map.get(key) {
            Some(Value::String(s)) if !s.is_empty() => {}
            Some(_) => return Err((format!(".{key}"), "must be a non-empty string".into())),
            None => return Err((format!(".{key}"), "is required".into())),
        }
    }
    match obj.pointer("/metadata/name") {
        Some(Value::String(s)) if is_dns_name(s) => Ok(()),
        Some(Value::String(s)) => {
            Err((".metadata.name".into(), format!("\"{s}\" is not a valid name (lowercase letters, digits, '-' and '.')")))
        }
        Some(_) => Err((".metadata.name".into(), "must be a string".into())),
        None => Err((".metadata.name".into(), "is required".into())),
    }
}

fn is_dns_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A generated cluster of about `pods` pods across namespaces and deployments, for scale work.
pub fn generate(pods: usize) -> Scenario {
    let replicas_per_deploy = 5usize;
    let deploys = pods.div_ceil(replicas_per_deploy).max(1);
    let namespaces = deploys.div_ceil(20).max(1);
    let nodes = pods.div_ceil(100).clamp(3, 200);
    let mut objects = Vec::with_capacity(namespaces + nodes + deploys);
    for n in 0..nodes {
        objects.push(node(&format!("node-{n:03}")));
    }
    for ns in 0..namespaces {
        objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("team-{ns:03}")}}));
    }
    let mut remaining = pods;
    for d in 0..deploys {
        let replicas = remaining.min(replicas_per_deploy);
        remaining -= replicas;
        let ns = format!("team-{:03}", d % namespaces);
        objects.push(deployment(&ns, &format!("svc-{d:04}"), "nginx:1.27", replicas));
    }
    Scenario { objects, behavior: Behavior { events: pods <= 2_000, ..Behavior::default() }, faults: None }
}

fn node(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}},
        "status": {"capacity": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}],
            "nodeInfo": {"kubeletVersion": "v1.33.1", "osImage": "cabin sim", "containerRuntimeVersion": "containerd://2.0.0"}}})
}

fn deployment(ns: &str, name: &str, image: &str, replicas: usize) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": name}},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}},
                "spec": {"containers": [{"name": "app", "image": image}]}}}})
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
