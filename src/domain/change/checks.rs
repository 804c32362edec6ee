//! The preflight checks that need no cluster: the caller passes what it gathered.

use super::approval::ApprovalPolicy;
use super::image::parse_image;
use super::model::{ChangeRequest, TargetRef};
use super::preflight::{Check, CheckId, CheckStatus};
use super::status::{SlotFit, WindowVerdict, slot_fit, ts};
use crate::domain::windows::freeze::{ChangeTarget, Freeze};
use crate::domain::windows::window::AppTarget;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

/// `approvals`: the policy's verdict.
pub fn check_approvals(change: &ChangeRequest, policy: &ApprovalPolicy) -> Check {
    let v = policy.verdict(change);
    let status = if v.met { CheckStatus::Pass } else { CheckStatus::Fail };
    let evidence = json!({
        "author": change.author, "approvedBy": change.approved_by, "required": v.required, "rule": v.rule,
        "counted": v.counted, "ignored": v.ignored,
    });
    Check::new(CheckId::Approvals, status, v.message, evidence)
}

/// One target's window verdict and where it came from (an Argo CD Application, the windows file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetWindow {
    pub target: TargetRef,
    pub source: String,
    pub verdict: WindowVerdict,
}

/// `window`: every target's windows open now and `now` inside the planned slot, if any.
/// Closed, frozen or unknown → fail (fail closed); no target verdict given → fail.
pub fn check_window(change: &ChangeRequest, windows: &[TargetWindow], now: DateTime<Utc>) -> Check {
    let evidence = json!({
        "now": ts(&now),
        "plannedSlot": change.window.as_ref().map(|s| s.text.clone()),
        "slotFit": slot_fit(change, now),
        "targets": windows.iter().map(|w| json!({"target": w.target.to_string(), "source": w.source, "verdict": w.verdict})).collect::<Vec<_>>(),
    });
    let fail = |s: String| Check::new(CheckId::Window, CheckStatus::Fail, s, evidence.clone());
    if windows.is_empty() {
        return fail("no window verdict for any target (not evaluated): not allowed".into());
    }
    for w in windows {
        let why = match &w.verdict {
            WindowVerdict::Open { .. } => continue,
            WindowVerdict::Closed { next_open: Some(t) } => format!("closed, next opening {}", ts(t)),
            WindowVerdict::Closed { next_open: None } => "closed, no opening within a year".into(),
            WindowVerdict::Frozen { freeze, .. } => format!("frozen by '{freeze}'"),
            WindowVerdict::Unknown { reason } => format!("unknown ({reason})"),
        };
        return fail(format!("{}: window {why} ({})", w.target, w.source));
    }
    match slot_fit(change, now) {
        SlotFit::NoSlot => Check::new(CheckId::Window, CheckStatus::Pass, "windows open for every target (no planned slot)", evidence),
        SlotFit::Inside { ends_at } => Check::new(
            CheckId::Window,
            CheckStatus::Pass,
            format!("windows open for every target; inside the planned slot until {}", ts(&ends_at)),
            evidence,
        ),
        SlotFit::Before { starts_at } => fail(format!("windows open, but the planned slot starts at {}", ts(&starts_at))),
        SlotFit::After { ended_at } => fail(format!("windows open, but the planned slot ended at {}", ts(&ended_at))),
    }
}

/// `freeze`: every freeze covering a target's Application at `now` must admit the change by an
/// exception (labels from `ChangeRequest::freeze_labels`). A freeze that cannot be read and
/// covers a target fails (fail closed).
pub fn check_freeze(change: &ChangeRequest, freezes: &[Freeze], apps: &[(TargetRef, AppTarget)], now: DateTime<Utc>) -> Check {
    let labels = change.freeze_labels();
    let mut blocking = Vec::new();
    let mut admitted = Vec::new();
    for (target, app) in apps {
        let ct = ChangeTarget { app: app.clone(), labels: labels.clone() };
        for f in freezes.iter().filter(|f| f.covers(app)) {
            let until = match f.period() {
                Err(e) => {
                    blocking.push(json!({"target": target.to_string(), "freeze": f.name, "error": e.to_string()}));
                    continue;
                }
                Ok(p) => match p.frozen_until(now) {
                    Some(u) => u,
                    None => continue,
                },
            };
            let entry = json!({"target": target.to_string(), "freeze": f.name, "until": ts(&until)});
            match f.exception_for(&ct) {
                Some(ex) => admitted.push(json!({"entry": entry, "exception": ex})),
                None => blocking.push(json!({"entry": entry, "exceptions": f.exception_hints()})),
            }
        }
    }
    let evidence = json!({"now": ts(&now), "labels": labels, "emergency": change.emergency, "blocking": blocking, "admitted": admitted});
    let (status, summary) = match (blocking.len(), admitted.len()) {
        (0, 0) => (CheckStatus::Pass, "no freeze in effect for the targets".to_string()),
        (0, n) => (CheckStatus::Pass, format!("{n} freeze(s) in effect; the change is admitted by an exception")),
        (n, _) => (CheckStatus::Fail, format!("{n} freeze(s) block the change: {}", freeze_names(&blocking))),
    };
    Check::new(CheckId::Freeze, status, summary, evidence)
}

fn freeze_names(entries: &[Value]) -> String {
    let mut names: Vec<String> = entries
        .iter()
        .filter_map(|e| {
            e.get("freeze").or_else(|| e.get("entry").and_then(|x| x.get("freeze"))).and_then(Value::as_str).map(str::to_string)
        })
        .collect();
    names.dedup();
    names.join(", ")
}

/// `images`: every new image is a well-formed reference; floating ones (no digest, no tag
/// or `latest`) warn.
pub fn check_images(change: &ChangeRequest) -> Check {
    let mut bad = Vec::new();
    let mut floating = Vec::new();
    let mut all = Vec::new();
    for t in &change.targets {
        for (container, image) in &t.images {
            let item = json!({"target": t.workload.to_string(), "container": container, "image": image});
            match parse_image(image) {
                Err(e) => bad.push(format!("{container}: {e}")),
                Ok(r) if r.floating() => floating.push(format!("{container}: {image}")),
                Ok(_) => {}
            }
            all.push(item);
        }
    }
    let evidence = json!({"images": all});
    if !bad.is_empty() {
        return Check::new(CheckId::Images, CheckStatus::Fail, format!("malformed image references: {}", bad.join("; ")), evidence);
    }
    if !floating.is_empty() {
        let s = format!("images not pinned (no tag, or latest): {}", floating.join("; "));
        return Check::new(CheckId::Images, CheckStatus::Warn, s, evidence);
    }
    Check::new(CheckId::Images, CheckStatus::Pass, format!("{} image reference(s) well-formed", all.len()), evidence)
}

/// A target's live containers (name, current image); `None` when the target was not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveContainers {
    pub target: TargetRef,
    pub containers: Option<Vec<(String, String)>>,
}

/// `containers`: every container named in `images` exists in its target's pod template.
/// Evidence lists current → new image per container. A target not found is skipped here (the
/// `target` check fails it).
pub fn check_containers(change: &ChangeRequest, live: &[LiveContainers]) -> Check {
    let mut missing = Vec::new();
    let mut skipped = Vec::new();
    let mut changes = Vec::new();
    for t in &change.targets {
        let Some(containers) = live.iter().find(|l| l.target == t.workload).and_then(|l| l.containers.as_ref()) else {
            skipped.push(t.workload.to_string());
            continue;
        };
        for (name, image) in &t.images {
            match containers.iter().find(|(n, _)| n == name) {
                Some((_, current)) => {
                    changes.push(json!({"target": t.workload.to_string(), "container": name, "current": current, "new": image}))
                }
                None => {
                    let have: Vec<&str> = containers.iter().map(|(n, _)| n.as_str()).collect();
                    missing.push(format!("{}: no container '{name}' (has {})", t.workload, have.join(", ")));
                }
            }
        }
    }
    let evidence = json!({"changes": changes, "missing": missing, "notFound": skipped});
    if !missing.is_empty() {
        return Check::new(CheckId::Containers, CheckStatus::Fail, missing.join("; "), evidence);
    }
    if !skipped.is_empty() {
        let s = format!("skipped: target not found ({})", skipped.join(", "));
        return Check::new(CheckId::Containers, CheckStatus::Skipped, s, evidence);
    }
    Check::new(CheckId::Containers, CheckStatus::Pass, format!("{} container(s) found", changes.len()), evidence)
}
