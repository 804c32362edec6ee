//! The journal's text search: a case-insensitive substring over every field of an entry (seq,
//! time, actor, cluster, change, kind, targets, outcome, details keys and values, prev, hash),
//! without serialising the entry — on a million entries this keeps the journal screen's `/`
//! search responsive. Fields that cannot contain the search text (a time when it has letters
//! other than `t`/`z`, hex hashes when it is not hex) are not even formatted.
use serde_json::Value;

use super::entry::{Entry, Target, format_ts};

/// A lower-cased search string and what it could match.
pub(crate) struct Needle {
    lower: String,
    ascii: bool,
    /// Only digits: could be (part of) a seq.
    seq: bool,
    /// Only characters of an RFC 3339 time.
    time: bool,
    /// Only characters of a JSON number.
    number: bool,
    /// Only lowercase hex digits: could be part of prev/hash.
    hex: bool,
    /// The first byte in both cases (ASCII needles).
    first: [u8; 2],
}

impl Needle {
    pub(crate) fn new(text: &str) -> Needle {
        let lower = text.to_lowercase();
        let only = |set: &[u8]| lower.bytes().all(|b| set.contains(&b));
        let first = lower.bytes().next().unwrap_or(0);
        Needle {
            ascii: lower.is_ascii(),
            seq: only(b"0123456789"),
            time: only(b"0123456789-:.tz"),
            number: only(b"0123456789-+.e"),
            hex: only(b"0123456789abcdef"),
            first: [first, first.to_ascii_uppercase()],
            lower,
        }
    }

    pub(crate) fn matches_entry(&self, e: &Entry) -> bool {
        let a = &e.actor;
        let strs = [
            Some(e.kind.as_str()),
            e.change.as_deref(),
            e.outcome.as_deref(),
            a.cluster_user.as_deref(),
            Some(&a.local_user),
            Some(&a.host),
        ];
        strs.into_iter().flatten().any(|s| self.in_str(s))
            || e.cluster.as_ref().is_some_and(|c| self.in_str(&c.server) || self.in_str(&c.context))
            || e.targets.iter().any(|t| target_strs(t).into_iter().flatten().any(|s| self.in_str(s)))
            || self.in_value(&e.details)
            || (self.hex && (self.in_str(&e.prev) || self.in_str(&e.hash)))
            || (self.seq && self.in_str(&e.seq.to_string()))
            || (self.time && self.in_str(&format_ts(&e.ts)))
    }

    fn in_value(&self, v: &Value) -> bool {
        match v {
            Value::String(s) => self.in_str(s),
            Value::Array(items) => items.iter().any(|i| self.in_value(i)),
            Value::Object(map) => map.iter().any(|(k, v)| self.in_str(k) || self.in_value(v)),
            Value::Number(n) => self.number && self.in_str(&n.to_string()),
            Value::Bool(b) => self.in_str(if *b { "true" } else { "false" }),
            Value::Null => self.in_str("null"),
        }
    }

    pub(crate) fn in_str(&self, hay: &str) -> bool {
        if self.lower.is_empty() {
            return true;
        }
        if !self.ascii {
            // An ASCII text lower-cases to ASCII, which cannot hold a non-ASCII needle.
            return !hay.is_ascii() && hay.to_lowercase().contains(&self.lower);
        }
        let (h, n) = (hay.as_bytes(), self.lower.as_bytes());
        let Some(last) = h.len().checked_sub(n.len()) else { return false };
        let mut i = 0;
        while let Some(at) = find2(h, i, last, self.first) {
            if h[at..at + n.len()].eq_ignore_ascii_case(n) {
                return true;
            }
            i = at + 1;
        }
        false
    }
}

fn target_strs(t: &Target) -> [Option<&str>; 6] {
    [
        Some(t.group.as_str()),
        Some(&t.kind),
        t.namespace.as_deref(),
        Some(&t.name),
        t.resource_version_before.as_deref(),
        t.resource_version_after.as_deref(),
    ]
}

/// The first index in `from..=last` where `h` holds either byte of `pair`, 8 bytes at a time.
fn find2(h: &[u8], from: usize, last: usize, pair: [u8; 2]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let (a, b) = (ONES * u64::from(pair[0]), ONES * u64::from(pair[1]));
    let mut i = from;
    while i + 8 <= last + 1 {
        let Some(chunk) = h.get(i..i + 8) else { break };
        let w = u64::from_le_bytes(chunk.try_into().ok()?);
        if has_zero(w ^ a) || has_zero(w ^ b) {
            break;
        }
        i += 8;
    }
    (i..=last).find(|&j| h[j] == pair[0] || h[j] == pair[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substring_search_is_case_insensitive_at_every_position() {
        let hay = "The Quick brown fox jumps over the lazy dog, QUICKLY";
        for (i, _) in hay.char_indices() {
            for len in 1..=6 {
                if let Some(sub) = hay.get(i..i + len) {
                    assert!(Needle::new(&sub.to_uppercase()).in_str(hay), "{sub}");
                    assert!(Needle::new(&sub.to_lowercase()).in_str(hay), "{sub}");
                }
            }
        }
        assert!(!Needle::new("quickest").in_str(hay));
        assert!(!Needle::new("dog, quickly!").in_str(hay));
        assert!(Needle::new("").in_str(""));
        assert!(!Needle::new("ä").in_str("plain ascii"));
        assert!(Needle::new("ä").in_str("MÄRZ"));
    }
}
