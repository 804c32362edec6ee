//! Reading entries for display, and filtering them (CLI export, cockpit journal screen).
use std::io::BufRead;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::entry::Entry;
use super::search::Needle;
use super::{JournalError, open_read};

/// Reads every parsable entry, in file order. Lines that do not parse (damage, a torn tail) are
/// skipped: use [`super::verify_path`] to learn whether the journal can be trusted.
pub fn read_entries(path: &Path) -> Result<Vec<Entry>, JournalError> {
    let file = open_read(path)?;
    read_entries_from(std::io::BufReader::new(file)).map_err(|source| JournalError::Read { path: path.into(), source })
}

/// [`read_entries`] over any reader.
pub fn read_entries_from<R: BufRead>(r: R) -> std::io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    for line in r.split(b'\n') {
        if let Ok(e) = serde_json::from_slice::<Entry>(&line?) {
            out.push(e);
        }
    }
    Ok(out)
}

/// Entries in complete lines after byte `offset` (for live tails), and the offset to continue
/// from. If the file shrank (it was replaced or repaired) reading restarts from 0.
pub fn read_since(path: &Path, offset: u64) -> Result<(Vec<Entry>, u64), JournalError> {
    use std::io::{Read, Seek, SeekFrom};
    let read_err = |source| JournalError::Read { path: path.into(), source };
    let mut file = open_read(path)?;
    let len = file.metadata().map_err(read_err)?.len();
    let offset = if len < offset { 0 } else { offset };
    file.seek(SeekFrom::Start(offset)).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(len - offset).read_to_end(&mut bytes).map_err(read_err)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let entries = read_entries_from(&bytes[..complete]).map_err(read_err)?;
    Ok((entries, offset + complete as u64))
}

/// Which entries to show. Empty fields match everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    /// Exact change (ticket) id.
    pub change: Option<String>,
    /// Substring of the cluster user, local user or host (case-insensitive).
    pub actor: Option<String>,
    /// Exact kind (`approval`, `rollout-step`, …).
    pub kind: Option<String>,
    /// Exact outcome.
    pub outcome: Option<String>,
    /// Case-insensitive search over the whole entry.
    pub text: Option<String>,
    /// Entries at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Entries at or before this time.
    pub until: Option<DateTime<Utc>>,
}

impl EntryFilter {
    pub fn matches(&self, e: &Entry) -> bool {
        self.matcher().matches(e)
    }

    /// The filter prepared for many entries (the search text lower-cased once).
    pub fn matcher(&self) -> Matcher<'_> {
        Matcher { filter: self, needle: self.text.as_deref().map(Needle::new), actor: self.actor.as_deref().map(str::to_lowercase) }
    }
}

/// Indices of the entries that pass `filter`, in order; on several threads when there are many.
pub fn matching_indices(entries: &[Entry], filter: &EntryFilter) -> Vec<usize> {
    const PER_THREAD: usize = 50_000;
    let m = filter.matcher();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8)).min(entries.len() / PER_THREAD).max(1);
    if threads == 1 {
        return entries.iter().enumerate().filter(|(_, e)| m.matches(e)).map(|(i, _)| i).collect();
    }
    let chunk = entries.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = entries
            .chunks(chunk)
            .enumerate()
            .map(|(k, part)| {
                let m = &m;
                scope.spawn(move || part.iter().enumerate().filter(|(_, e)| m.matches(e)).map(|(i, _)| k * chunk + i).collect::<Vec<_>>())
            })
            .collect();
        // A worker cannot panic (matching does not); should one, its rows are left out.
        parts.into_iter().flat_map(|h| h.join().unwrap_or_default()).collect()
    })
}

/// An [`EntryFilter`] ready to test many entries.
pub struct Matcher<'f> {
    filter: &'f EntryFilter,
    needle: Option<Needle>,
    actor: Option<String>,
}

impl Matcher<'_> {
    pub fn matches(&self, e: &Entry) -> bool {
        let f = self.filter;
        let eq = |want: &Option<String>, got: Option<&str>| want.as_deref().is_none_or(|w| Some(w) == got);
        eq(&f.change, e.change.as_deref())
            && eq(&f.kind, Some(&e.kind))
            && eq(&f.outcome, e.outcome.as_deref())
            && f.since.is_none_or(|t| e.ts >= t)
            && f.until.is_none_or(|t| e.ts <= t)
            && self.actor.as_deref().is_none_or(|a| actor_matches(e, a))
            && self.needle.as_ref().is_none_or(|n| n.matches_entry(e))
    }
}

fn actor_matches(e: &Entry, needle_lower: &str) -> bool {
    let a = &e.actor;
    [a.cluster_user.as_deref(), Some(a.local_user.as_str()), Some(a.host.as_str())]
        .into_iter()
        .flatten()
        .any(|s| s.to_lowercase().contains(needle_lower))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::journal::entry::{Actor, GENESIS_PREV};
    use chrono::TimeZone;

    fn entry(change: &str, kind: &str, user: &str, secs: i64) -> Entry {
        Entry {
            seq: 1,
            ts: Utc.timestamp_opt(1_700_000_000 + secs, 0).unwrap(),
            actor: Actor { cluster_user: Some(format!("{user}@corp")), local_user: user.into(), host: "h".into() },
            cluster: None,
            change: Some(change.into()),
            kind: kind.into(),
            targets: vec![],
            outcome: Some("ok".into()),
            details: serde_json::json!({"message": "Scaled Checkout"}),
            prev: GENESIS_PREV.into(),
            hash: String::new(),
        }
    }

    #[test]
    fn each_field_filters() {
        let e = entry("CHG-1", "approval", "alice", 10);
        assert!(EntryFilter::default().matches(&e));
        let f = |f: EntryFilter| f.matches(&e);
        assert!(f(EntryFilter { change: Some("CHG-1".into()), ..Default::default() }));
        assert!(!f(EntryFilter { change: Some("CHG-2".into()), ..Default::default() }));
        assert!(f(EntryFilter { actor: Some("ALICE@".into()), ..Default::default() }));
        assert!(!f(EntryFilter { actor: Some("bob".into()), ..Default::default() }));
        assert!(f(EntryFilter { kind: Some("approval".into()), ..Default::default() }));
        assert!(!f(EntryFilter { kind: Some("rollback".into()), ..Default::default() }));
        assert!(!f(EntryFilter { outcome: Some("failed".into()), ..Default::default() }));
        assert!(f(EntryFilter { text: Some("checkout".into()), ..Default::default() }));
        assert!(!f(EntryFilter { text: Some("payments".into()), ..Default::default() }));
        assert!(f(EntryFilter { since: Some(e.ts), until: Some(e.ts), ..Default::default() }));
        let later = e.ts + chrono::Duration::seconds(1);
        assert!(!f(EntryFilter { since: Some(later), ..Default::default() }));
    }

    #[test]
    fn text_search_covers_every_field_without_serialising() {
        let mut e = entry("CHG-1", "approval", "alice", 10);
        e.seq = 4711;
        e.details = serde_json::json!({"message": "Scaled Checkout", "nested": [{"Größe": 42, "flag": true}]});
        e.targets.push(crate::journal::Target {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: Some("payments".into()),
            name: "api".into(),
            resource_version_before: Some("1041".into()),
            resource_version_after: None,
        });
        e.hash = "3f2a9c".repeat(10) + "abcd";
        let hit = |t: &str| EntryFilter { text: Some(t.into()), ..Default::default() }.matches(&e);
        for t in [
            "scaled checkout",
            "SCALED",
            "größe",
            "GRÖẞE",
            "42",
            "flag",
            "true",
            "payments",
            "1041",
            "3F2A9C",
            "4711",
            "2023-11-14",
            "alice@corp",
            "approval",
        ] {
            assert!(hit(t), "{t}");
        }
        for t in ["rollback", "99999", "zzz", "größer"] {
            assert!(!hit(t), "{t}");
        }
    }

    #[test]
    fn read_since_returns_only_new_complete_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.jsonl");
        let mut a = entry("C", "note", "x", 1);
        let line_a = a.seal().unwrap();
        let mut b = entry("C", "note", "y", 2);
        let line_b = b.seal().unwrap();
        std::fs::write(&path, [&line_a[..], &line_b[..10]].concat()).unwrap();
        let (got, off) = read_since(&path, 0).unwrap();
        assert_eq!((got, off), (vec![a], line_a.len() as u64));
        std::fs::write(&path, [&line_a[..], &line_b[..]].concat()).unwrap();
        let (got, off2) = read_since(&path, off).unwrap();
        assert_eq!((got, off2), (vec![b], (line_a.len() + line_b.len()) as u64));
    }
}
