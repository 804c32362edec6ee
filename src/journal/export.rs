//! Export of entries as a JSON array or CSV (the Markdown report is in [`super::markdown`]).
use super::entry::{Entry, format_ts};
use super::escape::{csv_cell, visible};

/// A JSON array of entries (pretty-printed, fields in journal order).
pub fn to_json(entries: &[Entry]) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(entries)?;
    s.push('\n');
    Ok(s)
}

/// The CSV header row.
pub const CSV_HEADER: &str = "seq,ts,change,kind,origin,outcome,cluster_user,local_user,host,server,context,targets,details,prev,hash";

/// CSV (RFC 4180 quoting), one row per entry; `targets` joined by `;`, `details` as JSON;
/// `origin` is `hand` for entries appended by hand, else `cabin`. Cells that a spreadsheet would
/// take for a formula are neutralised ([`csv_cell`]).
pub fn to_csv(entries: &[Entry]) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    for e in entries {
        let targets: Vec<String> = e.targets.iter().map(|t| t.path()).collect();
        let (server, context) = e.cluster.as_ref().map_or(("", ""), |c| (c.server.as_str(), c.context.as_str()));
        let fields = [
            e.seq.to_string(),
            format_ts(&e.ts),
            e.change.clone().unwrap_or_default(),
            e.kind.clone(),
            if e.by_hand() { "hand" } else { "cabin" }.to_string(),
            e.outcome.clone().unwrap_or_default(),
            e.actor.cluster_user.clone().unwrap_or_default(),
            e.actor.local_user.clone(),
            e.actor.host.clone(),
            server.to_string(),
            context.to_string(),
            targets.join(";"),
            e.details.to_string(),
            e.prev.clone(),
            e.hash.clone(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_cell(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// One entry on one line, as `cabin journal tail` prints it: control characters are shown
/// escaped (`\e`, `\n`…), never sent to the terminal.
pub fn one_line(e: &Entry) -> String {
    let actor = e.actor.cluster_user.as_deref().unwrap_or(&e.actor.local_user);
    let detail = match e.details.get("message").and_then(|m| m.as_str()) {
        Some(m) => visible(m).into_owned(),
        None => visible(&e.details.to_string()).into_owned(),
    };
    let (kind, change, outcome) = (e.kind_label(), e.change.as_deref().unwrap_or("-"), e.outcome.as_deref().unwrap_or("-"));
    format!(
        "{:>6}  {}  {:<16}  {:<10}  {:<12}  {:<8}  {}",
        e.seq,
        format_ts(&e.ts),
        visible(&kind),
        visible(change),
        visible(actor),
        visible(outcome),
        detail
    )
}
