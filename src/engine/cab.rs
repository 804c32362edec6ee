//! The CAB pack of one change (`cabin change report`) and the board's agenda (`cabin cab`):
//! the data (serialized as the JSON contract) and its Markdown. The backup and rollback
//! commands are built here so the report, the cockpit and the run print the same ones.
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::preflight::{PreflightRun, TargetPlan};
use crate::domain::change::duration::format_go_duration;
use crate::domain::change::{
    ApprovalVerdict, ChangeRequest, CheckStatus, InvalidFile, Preflight, StatusVerdict, WindowVerdict, backup_name,
};
use crate::journal::Entry;

fn ts(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The namespaces the backup covers: `includedNamespaces`, else the targets' (never all).
pub fn backup_namespaces(change: &ChangeRequest) -> Vec<String> {
    let mut ns: Vec<String> = match &change.backup {
        Some(b) if !b.included_namespaces.is_empty() => b.included_namespaces.clone(),
        _ => change.targets.iter().map(|t| t.workload.namespace.clone()).collect(),
    };
    ns.sort();
    ns.dedup();
    ns
}

/// `velero backup create …` for the pre-change backup named `name`; None without `spec.backup`.
pub fn backup_command(change: &ChangeRequest, name: &str) -> Option<String> {
    let b = change.backup.as_ref()?;
    let mut cmd = format!("velero backup create {name} --include-namespaces={}", backup_namespaces(change).join(","));
    if let Some(s) = b.snapshot_volumes {
        cmd.push_str(&format!(" --snapshot-volumes={s}"));
    }
    cmd.push_str(&format!(" --ttl {}", format_go_duration(b.ttl)));
    if let Some(loc) = &b.storage_location {
        cmd.push_str(&format!(" --storage-location {loc}"));
    }
    cmd.push_str(&format!(" --labels change-id={} --wait", change.id));
    Some(cmd)
}

/// `velero restore create --from-backup … --existing-resource-policy=update` (a restore
/// skips objects that exist unless told to update them); None without `spec.backup`.
pub fn restore_command(change: &ChangeRequest, backup: &str) -> Option<String> {
    change.backup.as_ref()?;
    Some(format!(
        "velero restore create --from-backup {backup} --include-namespaces={} --existing-resource-policy=update --wait",
        backup_namespaces(change).join(",")
    ))
}

/// One target's way back: the images it returns to and the command that does it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollbackStep {
    pub target: String,
    /// (container, image) of the current pod template: what a rollback restores.
    pub returns_to: Vec<(String, String)>,
    pub revision: Option<String>,
    pub command: String,
}

/// The rollback plan from what the preflight read.
pub fn rollback_steps(plans: &[TargetPlan]) -> Vec<RollbackStep> {
    plans
        .iter()
        .map(|p| {
            let t = &p.target;
            let kind = t.kind.as_str().to_ascii_lowercase();
            let command = match &p.revision {
                Some(r) if t.kind == crate::domain::change::WorkloadKind::Deployment => {
                    format!("kubectl rollout undo {kind}/{} -n {} --to-revision={r}", t.name, t.namespace)
                }
                _ => format!("kubectl rollout undo {kind}/{} -n {}", t.name, t.namespace),
            };
            RollbackStep { target: t.to_string(), returns_to: p.current_images.clone(), revision: p.revision.clone(), command }
        })
        .collect()
}

/// When the change may go next, in words, from its window verdict.
pub fn next_slot(window: &WindowVerdict, now: DateTime<Utc>) -> String {
    match window {
        WindowVerdict::Open { closes_at: Some(c) } => format!("now ({}), the window closes at {}", ts(&now), ts(c)),
        WindowVerdict::Open { closes_at: None } => format!("now ({})", ts(&now)),
        WindowVerdict::Closed { next_open: Some(t) } => format!("{} (the windows are closed until then)", ts(t)),
        WindowVerdict::Closed { next_open: None } => "no opening within a year".into(),
        WindowVerdict::Frozen { freeze, until, .. } => {
            format!("after the freeze '{freeze}' ends ({})", until.as_ref().map_or("no end known".to_string(), ts))
        }
        WindowVerdict::Unknown { reason } => format!("unknown: {reason}"),
    }
}

/// The CAB pack (its JSON is the `report --format json` contract).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CabPack {
    pub generated_at: String,
    pub change: ChangeRequest,
    pub status: StatusVerdict,
    pub approvals: ApprovalVerdict,
    pub next_slot: String,
    pub window: Option<WindowVerdict>,
    pub preflight: Option<Preflight>,
    /// Why there is no preflight (the cluster could not be reached).
    pub preflight_error: Option<String>,
    pub targets: Vec<TargetPlan>,
    pub backup: Value,
    pub rollback: Value,
    pub history: Vec<Value>,
}

impl CabPack {
    pub fn new(
        change: &ChangeRequest,
        status: StatusVerdict,
        approvals: ApprovalVerdict,
        run: Result<&PreflightRun, String>,
        history: &[Entry],
        now: DateTime<Utc>,
    ) -> CabPack {
        let backup = backup_name(&change.id, now);
        let (preflight, preflight_error, targets, window) = match run {
            Ok(r) => (Some(r.preflight.clone()), None, r.targets.clone(), Some(r.window.clone())),
            Err(e) => (None, Some(e), Vec::new(), None),
        };
        let next = window.as_ref().map_or_else(|| "unknown: no preflight".to_string(), |w| next_slot(w, now));
        CabPack {
            generated_at: ts(&now),
            change: change.clone(),
            status,
            approvals,
            next_slot: next,
            backup: json!({
                "planned": change.backup.is_some(),
                "name": change.backup.as_ref().map(|_| backup.clone()),
                "note": "the run names the backup with the time it starts; this name uses the report's time",
                "command": backup_command(change, &backup),
            }),
            rollback: json!({
                "steps": rollback_steps(&targets),
                "restore": restore_command(change, &backup),
            }),
            window,
            preflight,
            preflight_error,
            targets,
            history: history.iter().filter(|e| e.change.as_deref() == Some(change.id.as_str())).map(history_item).collect(),
        }
    }
}

fn history_item(e: &Entry) -> Value {
    let who = e.actor.cluster_user.clone().unwrap_or_else(|| e.actor.local_user.clone());
    json!({"seq": e.seq, "ts": ts(&e.ts), "kind": e.kind, "outcome": e.outcome, "actor": who, "details": e.details})
}

fn status_word(c: &crate::domain::change::Check) -> &'static str {
    match (c.status, c.waived.is_some()) {
        (CheckStatus::Fail, true) => "waived",
        (CheckStatus::Fail, false) => "FAIL",
        (CheckStatus::Pass, _) => "pass",
        (CheckStatus::Warn, _) => "warn",
        (CheckStatus::Skipped, _) => "skipped",
    }
}

/// A table cell: no newlines, no pipes.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// The CAB pack as Markdown.
pub fn render_pack_md(p: &CabPack) -> String {
    let c = &p.change;
    let mut out = format!("# {}: {}\n\n", c.id, cell(&c.title));
    out += &format!(
        "- Ticket: {}\n- Risk: {}{}\n",
        c.ticket.as_deref().unwrap_or("(none)"),
        c.risk.as_str(),
        if c.emergency { " (emergency)" } else { "" }
    );
    out += &format!("- Author: {}\n- Tested: {}\n", c.author, c.tested.as_deref().unwrap_or("(not stated)"));
    out += &format!("- Planned slot: {}\n", c.window.as_ref().map_or("(none)", |s| s.text.as_str()));
    out += &format!("- Status: **{}** — {}\n- Next allowed slot: {}\n", p.status.status.as_str(), p.status.rule, p.next_slot);
    out += &format!("- Generated: {}\n\n", p.generated_at);
    if let Some(d) = &c.description {
        out += &format!("{}\n\n", d.trim());
    }
    out += &format!(
        "## Approvals\n\n{} (required {}, counted: {})\n\n",
        p.approvals.message,
        p.approvals.required,
        p.approvals.counted.join(", ")
    );
    out += "## What changes\n\n| Target | Container | Current image | New image |\n|---|---|---|---|\n";
    for t in &p.targets {
        for ch in &t.containers {
            out += &format!("| {} | {} | {} | {} |\n", t.target, ch.container, ch.current.as_deref().unwrap_or("(missing)"), ch.new);
        }
    }
    out += "\n## Rollout plan\n\n";
    for t in &p.targets {
        match &t.plan {
            Ok(plan) => {
                out += &format!("{} ({} replicas):\n", t.target, plan.replicas);
                for (i, h) in plan.holds.iter().enumerate() {
                    out += &format!("{}. {} updated / {} old, hold {}\n", i + 1, h.updated, h.old, format_go_duration(h.hold));
                }
            }
            Err(e) => out += &format!("{}: no plan ({e})\n", t.target),
        }
    }
    out += &preflight_md(p);
    out += &plans_md(p);
    out += "\n## Journal history\n\n";
    if p.history.is_empty() {
        out += "No journal entries for this change.\n";
    }
    for h in &p.history {
        let s = |k: &str| h.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
        out += &format!(
            "- #{} {} {} {} by {}\n",
            h.get("seq").and_then(Value::as_u64).unwrap_or(0),
            s("ts"),
            s("kind"),
            s("outcome"),
            s("actor")
        );
    }
    out
}

fn preflight_md(p: &CabPack) -> String {
    let mut out = String::new();
    out += "\n## Preflight\n\n";
    match (&p.preflight, &p.preflight_error) {
        (Some(pf), _) => {
            out += &format!("Verdict: **{}**\n\n| Check | Status | Summary |\n|---|---|---|\n", if pf.ok { "ok" } else { "blocked" });
            for ch in &pf.checks {
                out += &format!("| {} | {} | {} |\n", ch.id.as_str(), status_word(ch), cell(&ch.summary));
            }
            out += "\nEvidence:\n\n```json\n";
            let ev: Vec<Value> = pf.checks.iter().map(|c| json!({"id": c.id, "evidence": c.evidence})).collect();
            out += &serde_json::to_string_pretty(&ev).unwrap_or_default();
            out += "\n```\n";
        }
        (None, e) => out += &format!("Not evaluated: {}\n", e.as_deref().unwrap_or("unknown")),
    }
    out
}

fn plans_md(p: &CabPack) -> String {
    let mut out = String::new();
    out += "\n## Backup plan\n\n";
    match p.backup.get("command").and_then(Value::as_str) {
        Some(cmd) => out += &format!("```sh\n{cmd}\n```\n"),
        None => out += "No pre-change backup is asked for (spec.backup is absent).\n",
    }
    out += "\n## Rollback plan\n\n";
    for s in p.rollback.get("steps").and_then(Value::as_array).into_iter().flatten() {
        let target = s.get("target").and_then(Value::as_str).unwrap_or_default();
        let images: Vec<String> = s
            .get("returnsTo")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|p| Some(format!("{}={}", p.get(0)?.as_str()?, p.get(1)?.as_str()?)))
            .collect();
        out +=
            &format!("- {target} returns to {}: `{}`\n", images.join(", "), s.get("command").and_then(Value::as_str).unwrap_or_default());
    }
    if let Some(r) = p.rollback.get("restore").and_then(Value::as_str) {
        out += &format!("\nRestore from the pre-change backup (objects added after it stay):\n\n```sh\n{r}\n```\n");
    }
    out
}

/// One agenda row.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgendaItem {
    pub id: String,
    pub title: String,
    pub risk: String,
    pub status: String,
    pub rule: String,
    pub window: WindowVerdict,
    pub next_slot: String,
    pub planned_slot: Option<String>,
    /// The next opening (or now) falls within the agenda's days.
    pub fits: bool,
    /// `ok` or `blocked N` when the cluster answered; None without a preflight.
    pub preflight: Option<String>,
}

/// The agenda: pending changes (not completed, not rolled back) and the invalid files.
pub fn render_agenda_md(items: &[AgendaItem], invalid: &[InvalidFile], days: u32, now: DateTime<Utc>) -> String {
    let mut out = format!("# CAB agenda — {} (next {days} days)\n\n", now.format("%Y-%m-%d %H:%M UTC"));
    if items.is_empty() {
        out += "No pending changes.\n";
    } else {
        out += "| Change | Title | Risk | Status | Window fit | Next slot | Preflight |\n|---|---|---|---|---|---|---|\n";
        for i in items {
            let fit = if i.fits { "fits" } else { "outside" };
            let pf = i.preflight.as_deref().unwrap_or("-");
            out += &format!("| {} | {} | {} | {} | {fit} | {} | {pf} |\n", i.id, cell(&i.title), i.risk, i.status, cell(&i.next_slot));
        }
        out += "\n";
        for i in items {
            out += &format!("- **{}**: {}\n", i.id, cell(&i.rule));
        }
    }
    if !invalid.is_empty() {
        out += "\n## Invalid change requests\n\n";
        for f in invalid {
            for m in &f.messages {
                out += &format!("- {}\n", cell(m));
            }
        }
    }
    out
}
