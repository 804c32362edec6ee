//! How a journal entry reads on screen: timeline cells, tone, summary, and the detail fields.
use serde_json::Value;

use super::rows::Tone;
use crate::journal::entry::format_ts;
use crate::journal::escape::visible;
use crate::journal::{Entry, VerifyStatus};

/// Timeline headers (wide terminals); the narrow set drops ACTOR.
pub const HEADERS: [&str; 7] = ["SEQ", "TIME (UTC)", "ACTOR", "CHANGE", "KIND", "OUTCOME", "SUMMARY"];
pub const NARROW: [usize; 6] = [0, 1, 3, 4, 5, 6];

/// Entry text as the screen shows it: control characters visibly escaped (`\e`, `\n`…).
fn vis(s: &str) -> String {
    visible(s).into_owned()
}

/// The timeline cells of an entry. `narrow`: the short time format. Hand-appended entries show
/// `[by hand]` before their kind.
pub fn cells(e: &Entry, narrow: bool) -> Vec<String> {
    let time = if narrow { e.ts.format("%m-%d %H:%M") } else { e.ts.format("%Y-%m-%d %H:%M:%S") };
    vec![
        e.seq.to_string(),
        time.to_string(),
        actor_short(e),
        vis(e.change.as_deref().unwrap_or("-")),
        vis(&e.kind_label()),
        vis(e.outcome.as_deref().unwrap_or("-")),
        summary(e),
    ]
}

/// The cluster identity when known, else `user@host`.
pub fn actor_short(e: &Entry) -> String {
    match &e.actor.cluster_user {
        Some(u) => vis(u),
        None => vis(&format!("{}@{}", e.actor.local_user, e.actor.host)),
    }
}

/// Colour of a timeline row: by outcome, and by kind for the journal's own events.
pub fn tone(e: &Entry) -> Tone {
    let outcome = e.outcome.as_deref().unwrap_or("").to_ascii_lowercase();
    match outcome.as_str() {
        "failed" | "failure" | "error" | "denied" | "rejected" | "unhealthy" | "aborted" | "refused" => Tone::Danger,
        "warn" | "warning" | "waived" | "degraded" | "pending" | "skipped" | "timeout" => Tone::Warn,
        _ if matches!(e.kind.as_str(), crate::journal::entry::REPAIRED_KIND | "rollback" | "waiver") => Tone::Warn,
        "ok" | "success" | "succeeded" | "healthy" | "pass" | "passed" | "approved" | "completed" | "done" => Tone::Ok,
        _ if e.kind == crate::journal::entry::GENESIS_KIND => Tone::Muted,
        _ => Tone::Normal,
    }
}

/// A one-line summary: the message (or reason, verdict…) of the details, else the first target;
/// control characters escaped.
pub fn summary(e: &Entry) -> String {
    vis(&raw_summary(e))
}

fn raw_summary(e: &Entry) -> String {
    const KEYS: [&str; 7] = ["message", "summary", "reason", "verdict", "step", "error", "format"];
    if let Value::Object(map) = &e.details
        && let Some(s) = KEYS.iter().find_map(|k| map.get(*k).and_then(Value::as_str))
    {
        return s.to_string();
    }
    if let Some(t) = e.targets.first() {
        let more = if e.targets.len() > 1 { format!(" (+{})", e.targets.len() - 1) } else { String::new() };
        return format!("{}/{}/{}{more}", t.kind, t.namespace.as_deref().unwrap_or("-"), t.name);
    }
    match &e.details {
        Value::Null => String::new(),
        // `backup=velero/chg-1042-pre attempt=2` for flat details.
        Value::Object(m) => m
            .iter()
            .map(|(k, v)| match v {
                Value::String(s) => format!("{k}={s}"),
                other => format!("{k}={other}"),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// `3f2a9c1b2d4e…`: the first 12 hex digits.
pub fn short_hash(h: &str) -> String {
    match h.get(..12) {
        Some(p) if h.len() > 12 => format!("{p}…"),
        _ => h.to_string(),
    }
}

/// (label, value) pairs of the detail pane; values may span lines (each line escaped).
pub fn fields(e: &Entry) -> Vec<(&'static str, String)> {
    raw_fields(e).into_iter().map(|(l, v)| (l, v.lines().map(vis).collect::<Vec<_>>().join("\n"))).collect()
}

fn raw_fields(e: &Entry) -> Vec<(&'static str, String)> {
    let a = &e.actor;
    let actor = match &a.cluster_user {
        Some(u) => format!("{u} (local {}@{})", a.local_user, a.host),
        None => format!("{}@{}", a.local_user, a.host),
    };
    let cluster = e.cluster.as_ref().map_or_else(|| "-".to_string(), |c| format!("{} ({})", c.context, c.server));
    let targets = if e.targets.is_empty() {
        "-".to_string()
    } else {
        let rv = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
        let lines: Vec<String> = e
            .targets
            .iter()
            .map(|t| format!("{}  rv {} → {}", t.path(), rv(&t.resource_version_before), rv(&t.resource_version_after)))
            .collect();
        lines.join("\n")
    };
    let details = serde_json::to_string_pretty(&e.details).unwrap_or_else(|_| e.details.to_string());
    vec![
        ("seq", e.seq.to_string()),
        ("time", format_ts(&e.ts)),
        ("kind", e.kind_label()),
        ("outcome", e.outcome.clone().unwrap_or_else(|| "-".into())),
        ("change", e.change.clone().unwrap_or_else(|| "-".into())),
        ("actor", actor),
        ("cluster", cluster),
        ("targets", targets),
        ("details", details),
        ("prev", short_hash(&e.prev)),
        ("hash", short_hash(&e.hash)),
    ]
}

/// The whole detail as plain text (the `enter` popup).
pub fn detail_text(e: &Entry) -> String {
    let mut out = String::new();
    for (label, value) in fields(e).into_iter().filter(|(l, _)| !matches!(*l, "prev" | "hash")) {
        for (i, line) in value.lines().enumerate() {
            let l = if i == 0 { label } else { "" };
            out.push_str(&format!("{l:<9}{line}\n"));
        }
    }
    out.push_str(&format!("{:<9}{}\n{:<9}{}\n", "prev", e.prev, "hash", e.hash));
    out
}

/// The verification line: (text, is it broken?). None = still loading.
pub fn status_text(status: Option<&VerifyStatus>) -> (String, Option<bool>) {
    match status {
        None => ("journal: reading and verifying…".into(), None),
        Some(VerifyStatus::Verified { entries: 0, .. }) => ("✔ verified · 0 entries (no journal yet)".into(), Some(false)),
        Some(VerifyStatus::Verified { entries, head }) => {
            (format!("✔ verified · {entries} entries · head {}", short_hash(&head.hash)), Some(false))
        }
        Some(VerifyStatus::Broken { seq, reason }) => (format!("✖ BROKEN at seq {seq}: {reason}"), Some(true)),
    }
}
