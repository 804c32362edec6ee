//! The Markdown report a change-advisory board reads: per change, the timeline, actors,
//! approvals, backups, rollout steps, health verdicts and rollback.
use std::collections::BTreeSet;
use std::fmt::Write as _;

use super::entry::{Entry, format_ts};
use super::escape::visible;
use super::verify::VerifyStatus;

/// Sections after the timeline: (title, kinds).
const SECTIONS: &[(&str, &[&str])] = &[
    ("Approvals and waivers", &["approval", "waiver"]),
    ("Backups", &["backup-created", "backup-completed"]),
    ("Rollout steps", &["rollout-step"]),
    ("Health verdicts", &["health-verdict"]),
    ("Rollback", &["rollback"]),
];

/// Renders the report. `source` names the journal file; `status` is its verification result.
pub fn to_markdown(entries: &[Entry], status: &VerifyStatus, source: &str) -> String {
    let mut out = String::from("# cabin change report\n\n");
    let _ = writeln!(out, "- Journal: `{source}`");
    match status {
        VerifyStatus::Verified { entries: n, head } => {
            let _ = writeln!(out, "- Verification: **verified**, {n} entries, head seq {} `{}`", head.seq, head.hash);
        }
        VerifyStatus::Broken { seq, reason } => {
            let _ = writeln!(out, "- Verification: **BROKEN at seq {seq}: {reason}**. Do not rely on this report beyond seq {seq}.");
        }
    }
    let _ = writeln!(out, "- Entries in this report: {}\n", entries.len());
    for (change, group) in group_by_change(entries) {
        match change {
            Some(id) => {
                let _ = writeln!(out, "## Change {}\n", cell(id));
            }
            None => out.push_str("## Entries without a change\n\n"),
        }
        render_change(&mut out, &group);
    }
    out
}

/// Groups by change id in order of first appearance; entries without a change come last.
fn group_by_change(entries: &[Entry]) -> Vec<(Option<&str>, Vec<&Entry>)> {
    let mut groups: Vec<(Option<&str>, Vec<&Entry>)> = Vec::new();
    let mut loose = Vec::new();
    for e in entries {
        match e.change.as_deref() {
            None => loose.push(e),
            Some(id) => match groups.iter_mut().find(|(c, _)| *c == Some(id)) {
                Some((_, g)) => g.push(e),
                None => groups.push((Some(id), vec![e])),
            },
        }
    }
    if !loose.is_empty() {
        groups.push((None, loose));
    }
    groups
}

fn render_change(out: &mut String, group: &[&Entry]) {
    if let (Some(first), Some(last)) = (group.first(), group.last()) {
        let _ = writeln!(out, "- From {} to {}", format_ts(&first.ts), format_ts(&last.ts));
        let _ =
            writeln!(out, "- Last recorded: {} ({})\n", cell(&last.kind_label()), cell(last.outcome.as_deref().unwrap_or("no outcome")));
    }
    out.push_str("### Actors\n\n");
    let actors: BTreeSet<String> = group.iter().map(|e| actor(e)).collect();
    for a in actors {
        let _ = writeln!(out, "- {}", cell(&a));
    }
    out.push_str("\n### Timeline\n\n");
    table(out, group.iter().copied());
    for (title, kinds) in SECTIONS {
        let _ = writeln!(out, "### {title}\n");
        let rows: Vec<&Entry> = group.iter().copied().filter(|e| kinds.contains(&e.kind.as_str())).collect();
        if rows.is_empty() {
            out.push_str("_None recorded._\n\n");
        } else {
            table(out, rows.into_iter());
        }
    }
}

fn table<'a>(out: &mut String, rows: impl Iterator<Item = &'a Entry>) {
    out.push_str("| seq | time (UTC) | kind | actor | targets | outcome | details |\n");
    out.push_str("|---:|---|---|---|---|---|---|\n");
    for e in rows {
        let targets: Vec<String> = e.targets.iter().map(target).collect();
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} |",
            e.seq,
            format_ts(&e.ts),
            cell(&e.kind_label()),
            cell(&actor(e)),
            cell(&targets.join(", ")),
            cell(e.outcome.as_deref().unwrap_or("")),
            cell(&summary(e)),
        );
    }
    out.push('\n');
}

/// `group/kind/ns/name (rv 41→42)`.
fn target(t: &super::entry::Target) -> String {
    let rv = |v: &Option<String>| v.clone().unwrap_or_else(|| "?".into());
    match (&t.resource_version_before, &t.resource_version_after) {
        (None, None) => t.path(),
        (before, after) => format!("{} (rv {}→{})", t.path(), rv(before), rv(after)),
    }
}

fn actor(e: &Entry) -> String {
    let a = &e.actor;
    match &a.cluster_user {
        Some(u) => format!("{u} ({}@{})", a.local_user, a.host),
        None => format!("{}@{}", a.local_user, a.host),
    }
}

/// `details.message` when present, otherwise the details as compact JSON.
fn summary(e: &Entry) -> String {
    match e.details.get("message").and_then(|m| m.as_str()) {
        Some(m) => m.to_string(),
        None if e.details.is_null() => String::new(),
        None => e.details.to_string(),
    }
}

/// Makes text safe inside a table cell: line breaks become spaces, other control characters
/// show escaped (see [`visible`]).
fn cell(s: &str) -> String {
    visible(&s.replace(['\n', '\r'], " ")).replace('\\', "\\\\").replace('|', "\\|")
}
