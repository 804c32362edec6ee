//! Export of entries as a JSON array or CSV (the Markdown report is in [`super::markdown`]).
use super::entry::{Entry, format_ts};

/// A JSON array of entries (pretty-printed, fields in journal order).
pub fn to_json(entries: &[Entry]) -> Result<String, serde_json::Error> {
    let mut s = serde_json::to_string_pretty(entries)?;
    s.push('\n');
    Ok(s)
}

/// The CSV header row.
pub const CSV_HEADER: &str = "seq,ts,change,kind,outcome,cluster_user,local_user,host,server,context,targets,details,prev,hash";

/// CSV (RFC 4180 quoting), one row per entry; `targets` joined by `;`, `details` as JSON.
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
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// One entry on one line, as `cabin journal tail` prints it.
pub fn one_line(e: &Entry) -> String {
    let actor = e.actor.cluster_user.as_deref().unwrap_or(&e.actor.local_user);
    let detail = match e.details.get("message").and_then(|m| m.as_str()) {
        Some(m) => m.replace(['\n', '\r'], " "),
        None => e.details.to_string(),
    };
    format!(
        "{:>6}  {}  {:<16}  {:<10}  {:<12}  {:<8}  {}",
        e.seq,
        format_ts(&e.ts),
        e.kind,
        e.change.as_deref().unwrap_or("-"),
        actor,
        e.outcome.as_deref().unwrap_or("-"),
        detail
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::csv_field;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
