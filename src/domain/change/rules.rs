//! The rules a parsed file must keep; every violation is reported (not only the first).

use super::duration::{parse_hold, parse_interval};
use super::image::parse_image;
use super::locate::{FieldPath, locate};
use super::model::*;
use super::parse::Problem;
use super::raw::{RawFile, RawRollout, RawSpec, RawStep, RawTarget, RawVelero};
use std::time::Duration;

/// The longest hold accepted.
pub const MAX_HOLD: Duration = Duration::from_secs(24 * 3600);
/// The longest backup TTL accepted (10 years).
pub const MAX_TTL: Duration = Duration::from_secs(87_600 * 3600);
/// The most steps a rollout may have.
pub const MAX_STEPS: usize = 50;
/// The most targets, labels, approvers or images (per target) a request may list.
pub const MAX_ITEMS: usize = 100;
/// Problems reported per file; the rest are counted in one last message.
pub const MAX_PROBLEMS: usize = 50;
const DEFAULT_TTL: Duration = Duration::from_secs(720 * 3600);

struct Ctx<'a> {
    text: &'a str,
    problems: Vec<Problem>,
    more: usize,
}

impl Ctx<'_> {
    fn report(&mut self, field: &FieldPath, message: impl Into<String>) {
        if self.problems.len() >= MAX_PROBLEMS {
            self.more += 1;
            return;
        }
        self.problems.push(Problem { line: locate(self.text, field), field: field.to_string(), message: message.into() });
    }

    fn finish(mut self) -> Vec<Problem> {
        if self.more > 0 {
            let last = self.problems.last().map_or(1, |p| p.line);
            self.problems.push(Problem { line: last, field: String::new(), message: format!("{} more problem(s) not shown", self.more) });
        }
        self.problems
    }

    /// Refuses lists longer than `MAX_ITEMS`.
    fn bounded<'l, T>(&mut self, items: &'l [T], field: &FieldPath) -> &'l [T] {
        if items.len() > MAX_ITEMS {
            self.report(field, format!("at most {MAX_ITEMS} entries"));
            return &[];
        }
        items
    }

    /// A required, non-blank string.
    fn required(&mut self, value: &Option<String>, field: &FieldPath) -> String {
        match value.as_deref().map(str::trim) {
            Some(v) if !v.is_empty() => v.to_string(),
            Some(_) => {
                self.report(field, "must not be empty");
                String::new()
            }
            None => {
                self.report(field, "required");
                String::new()
            }
        }
    }
}

/// Checks every rule; the request when none is broken.
pub fn validate(file: &str, text: &str, raw: RawFile) -> Result<ChangeRequest, Vec<Problem>> {
    let mut cx = Ctx { text, problems: Vec::new(), more: 0 };
    let root = FieldPath::root();
    check_header(&mut cx, &raw);
    let id = match &raw.metadata {
        Some(m) => change_id(&mut cx, &m.name),
        None => {
            cx.report(&root.key("metadata"), "required (metadata.name is the change id)");
            String::new()
        }
    };
    let Some(spec) = &raw.spec else {
        cx.report(&root.key("spec"), "required");
        return Err(cx.finish());
    };
    let change = spec_fields(&mut cx, file, id, spec);
    if cx.problems.is_empty() { Ok(change) } else { Err(cx.finish()) }
}

fn check_header(cx: &mut Ctx<'_>, raw: &RawFile) {
    let root = FieldPath::root();
    match raw.api_version.as_deref() {
        None => cx.report(&root.key("apiVersion"), format!("required ({API_VERSION})")),
        Some(API_VERSION) => {}
        Some(v) => cx.report(&root.key("apiVersion"), format!("unsupported apiVersion \"{v}\" (expected {API_VERSION})")),
    }
    match raw.kind.as_deref() {
        None => cx.report(&root.key("kind"), format!("required ({KIND})")),
        Some(KIND) => {}
        Some(k) => cx.report(&root.key("kind"), format!("unknown kind \"{k}\" (expected {KIND})")),
    }
}

fn change_id(cx: &mut Ctx<'_>, name: &Option<String>) -> String {
    let field = FieldPath::parse("metadata.name");
    let id = cx.required(name, &field);
    if !id.is_empty() && !is_change_id(&id) {
        cx.report(
            &field,
            format!(
                "change id \"{id}\" must be letters, digits, '-' or '.', start and end with a letter or digit, \
                 at most 63 characters (it names the backup, the Lease and the change-id label)"
            ),
        );
    }
    id
}

/// `[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?`, at most 63 characters: a label value whose
/// lowercase form fits in an RFC 1123 subdomain.
pub fn is_change_id(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.')
}

/// RFC 1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// RFC 1123 subdomain: labels joined by `.`, at most 253 characters.
pub fn is_dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(is_dns_label)
}

fn spec_fields(cx: &mut Ctx<'_>, file: &str, id: String, spec: &RawSpec) -> ChangeRequest {
    let sp = FieldPath::root().key("spec");
    let title = cx.required(&spec.title, &sp.key("title"));
    let risk = match spec.risk.as_deref() {
        None => {
            cx.report(&sp.key("risk"), "required (low, medium or high)");
            Risk::High
        }
        Some(r) => Risk::parse(r).unwrap_or_else(|| {
            cx.report(&sp.key("risk"), format!("unknown risk \"{r}\" (low, medium or high)"));
            Risk::High
        }),
    };
    let author = cx.required(&spec.author, &sp.key("author"));
    let labels = non_empty_list(cx, spec.labels.as_deref().unwrap_or_default(), &sp.key("labels"), "empty label");
    let approved_by = non_empty_list(cx, spec.approved_by.as_deref().unwrap_or_default(), &sp.key("approvedBy"), "empty approver");
    let window = spec.window.as_deref().and_then(|w| match parse_interval(w.trim()) {
        Ok((start, end)) => Some(Slot { start, end, text: w.trim().to_string() }),
        Err(e) => {
            cx.report(&sp.key("window"), e);
            None
        }
    });
    let targets = targets(cx, spec.targets.as_deref(), &sp.key("targets"));
    let rollout = rollout(cx, spec.rollout.as_ref(), &sp.key("rollout"));
    let health = health(cx, spec, &sp.key("health"));
    let backup = backup(cx, spec, &targets, &sp.key("backup"));
    let opt = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    ChangeRequest {
        file: file.to_string(),
        id,
        title,
        ticket: opt(&spec.ticket),
        description: opt(&spec.description),
        risk,
        emergency: spec.emergency.unwrap_or(false),
        labels,
        author,
        approved_by,
        tested: opt(&spec.tested),
        window,
        targets,
        rollout,
        health,
        backup,
    }
}

fn non_empty_list(cx: &mut Ctx<'_>, items: &[String], field: &FieldPath, what: &str) -> Vec<String> {
    let items = cx.bounded(items, field);
    for (i, s) in items.iter().enumerate() {
        if s.trim().is_empty() {
            cx.report(&field.index(i), what);
        }
    }
    items.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn targets(cx: &mut Ctx<'_>, raw: Option<&[RawTarget]>, field: &FieldPath) -> Vec<Target> {
    let Some(raw) = raw.filter(|r| !r.is_empty()) else {
        cx.report(field, "at least one target is required");
        return Vec::new();
    };
    let raw = cx.bounded(raw, field);
    let mut out: Vec<Target> = Vec::new();
    for (i, t) in raw.iter().enumerate() {
        let Some(target) = target(cx, t, &field.index(i)) else { continue };
        if let Some(j) = out.iter().position(|o| o.workload == target.workload) {
            cx.report(&field.index(i), format!("{} is listed twice (also targets[{j}])", target.workload));
            continue;
        }
        out.push(target);
    }
    out
}

fn target(cx: &mut Ctx<'_>, t: &RawTarget, f: &FieldPath) -> Option<Target> {
    let kind = match t.kind.as_deref() {
        None => {
            cx.report(&f.key("kind"), "required (Deployment or StatefulSet)");
            None
        }
        Some(k) => WorkloadKind::parse(k).or_else(|| {
            cx.report(&f.key("kind"), format!("unknown kind \"{k}\" (Deployment or StatefulSet)"));
            None
        }),
    };
    let namespace = cx.required(&t.namespace, &f.key("namespace"));
    if !namespace.is_empty() && !is_dns_label(&namespace) {
        cx.report(&f.key("namespace"), format!("\"{namespace}\" is not a valid namespace (lowercase RFC 1123 label)"));
    }
    let name = cx.required(&t.name, &f.key("name"));
    if !name.is_empty() && !is_dns_subdomain(&name) {
        cx.report(&f.key("name"), format!("\"{name}\" is not a valid object name (lowercase RFC 1123 subdomain)"));
    }
    let images = images(cx, t, &f.key("images"));
    Some(Target { workload: TargetRef { kind: kind?, namespace, name }, images })
}

fn images(cx: &mut Ctx<'_>, t: &RawTarget, f: &FieldPath) -> Vec<(String, String)> {
    let Some(map) = t.images.as_ref().filter(|m| !m.0.is_empty()) else {
        cx.report(f, "at least one container image is required (container name: image)");
        return Vec::new();
    };
    for (container, image) in cx.bounded(&map.0, f) {
        if !is_dns_label(container) {
            cx.report(&f.key(container), format!("\"{container}\" is not a valid container name (lowercase RFC 1123 label)"));
        }
        if let Err(e) = parse_image(image) {
            cx.report(&f.key(container), format!("image \"{image}\" is not a valid reference: {e}"));
        }
    }
    map.0.clone()
}

fn rollout(cx: &mut Ctx<'_>, raw: Option<&RawRollout>, f: &FieldPath) -> Rollout {
    let Some(raw) = raw else {
        return Rollout { steps: default_steps(), defaulted: true };
    };
    let sf = f.key("steps");
    let steps = match raw.steps.as_deref() {
        None | Some([]) => {
            cx.report(&sf, "at least one step is required (or leave rollout out for the default plan)");
            return Rollout { steps: Vec::new(), defaulted: false };
        }
        Some(s) if s.len() > MAX_STEPS => {
            cx.report(&sf, format!("at most {MAX_STEPS} steps"));
            return Rollout { steps: Vec::new(), defaulted: false };
        }
        Some(s) => s,
    };
    let mut out: Vec<Step> = Vec::new();
    for (i, s) in steps.iter().enumerate() {
        if let Some(step) = step(cx, s, &sf.index(i)) {
            backwards(cx, &out, &step, &sf.index(i));
            out.push(step);
        }
    }
    Rollout { steps: out, defaulted: false }
}

fn step(cx: &mut Ctx<'_>, s: &RawStep, f: &FieldPath) -> Option<Step> {
    let amount = match (s.pods, s.percent) {
        (Some(_), Some(_)) => {
            cx.report(f, "a step has either pods or percent, not both");
            None
        }
        (None, None) => {
            cx.report(f, "a step needs pods or percent (a hold without a step)");
            None
        }
        (Some(0), None) => {
            cx.report(&f.key("pods"), "must be at least 1");
            None
        }
        (None, Some(p)) if p == 0 || p > 100 => {
            cx.report(&f.key("percent"), format!("{p} is out of range (1 to 100)"));
            None
        }
        (Some(n), None) => Some(StepAmount::Pods(n)),
        (None, Some(p)) => Some(StepAmount::Percent(p)),
    };
    let hold = match s.hold.as_deref() {
        None => Some(Duration::ZERO),
        Some(h) => parse_hold(h.trim(), MAX_HOLD).map_err(|e| cx.report(&f.key("hold"), e)).ok(),
    };
    Some(Step { amount: amount?, hold: hold? })
}

/// Steps of the same unit never go backwards (`percent: 50` after `percent: 75`).
fn backwards(cx: &mut Ctx<'_>, earlier: &[Step], step: &Step, f: &FieldPath) {
    let worse = earlier.iter().map(|e| e.amount).find(|e| match (e, step.amount) {
        (StepAmount::Pods(a), StepAmount::Pods(b)) | (StepAmount::Percent(a), StepAmount::Percent(b)) => b < *a,
        _ => false,
    });
    if let Some(e) = worse {
        let key = if matches!(step.amount, StepAmount::Pods(_)) { "pods" } else { "percent" };
        cx.report(&f.key(key), format!("{} is below an earlier step's {e}: steps never go backwards", step.amount));
    }
}

fn health(cx: &mut Ctx<'_>, spec: &RawSpec, f: &FieldPath) -> HealthPolicy {
    let mut policy = HealthPolicy::default();
    let Some(h) = &spec.health else { return policy };
    policy.max_restarts = h.max_restarts.unwrap_or(0);
    policy.on_failure = match h.on_failure.as_deref() {
        None | Some("rollback") => OnFailure::Rollback,
        Some("pause") => OnFailure::Pause,
        Some(o) => {
            cx.report(&f.key("onFailure"), format!("unknown onFailure \"{o}\" (rollback or pause)"));
            OnFailure::Rollback
        }
    };
    policy
}

fn backup(cx: &mut Ctx<'_>, spec: &RawSpec, targets: &[Target], f: &FieldPath) -> Option<VeleroBackup> {
    let b = spec.backup.as_ref()?;
    let Some(v) = &b.velero else {
        cx.report(&f.key("velero"), "required (or leave backup out: no backup)");
        return None;
    };
    Some(velero(cx, v, targets, &f.key("velero")))
}

fn velero(cx: &mut Ctx<'_>, v: &RawVelero, targets: &[Target], f: &FieldPath) -> VeleroBackup {
    let nf = f.key("includedNamespaces");
    let mut included = non_empty_list(cx, v.included_namespaces.as_deref().unwrap_or_default(), &nf, "empty namespace");
    for (i, ns) in included.iter().enumerate() {
        if !is_dns_label(ns) && ns != "*" {
            cx.report(&nf.index(i), format!("\"{ns}\" is not a valid namespace"));
        }
    }
    if included.is_empty() {
        for t in targets {
            if !included.contains(&t.workload.namespace) {
                included.push(t.workload.namespace.clone());
            }
        }
    }
    let ttl = match v.ttl.as_deref() {
        None => DEFAULT_TTL,
        Some(t) => match parse_hold(t.trim(), MAX_TTL) {
            Ok(d) if d.is_zero() => {
                cx.report(&f.key("ttl"), "must be longer than 0s");
                DEFAULT_TTL
            }
            Ok(d) => d,
            Err(e) => {
                cx.report(&f.key("ttl"), e);
                DEFAULT_TTL
            }
        },
    };
    let storage_location = v.storage_location.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    if let Some(l) = &storage_location
        && !is_dns_subdomain(l)
    {
        cx.report(&f.key("storageLocation"), format!("\"{l}\" is not a valid object name (lowercase RFC 1123 subdomain)"));
    }
    VeleroBackup { included_namespaces: included, snapshot_volumes: v.snapshot_volumes, ttl, storage_location }
}
