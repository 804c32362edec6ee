//! Journal entries, their canonical bytes and their hashes.
use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `prev` of the genesis entry (seq 0): 64 zeros.
pub const GENESIS_PREV: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// `kind` of the genesis entry.
pub const GENESIS_KIND: &str = "genesis";
/// `kind` of the entry appended after a torn tail was cut.
pub const REPAIRED_KIND: &str = "journal-repaired";
/// Format tag recorded in the genesis entry's details.
pub const FORMAT: &str = "cabin-journal/1";

/// Bytes that close every line: `,"hash":"` + 64 hex digits + `"}`.
const HASH_FIELD: &[u8] = b",\"hash\":\"";
const SUFFIX_LEN: usize = HASH_FIELD.len() + 64 + 2;

/// Who did it: the identity the cluster reports (SelfSubjectReview), the local user and host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Actor {
    pub cluster_user: Option<String>,
    pub local_user: String,
    pub host: String,
}

/// Which cluster the entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterRef {
    pub server: String,
    pub context: String,
}

/// An object the entry is about, with its resourceVersion before and after the step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Target {
    pub group: String,
    pub kind: String,
    pub namespace: Option<String>,
    pub name: String,
    pub resource_version_before: Option<String>,
    pub resource_version_after: Option<String>,
}

impl Target {
    /// `group/kind/namespace/name` (empty group for the core API group).
    pub fn path(&self) -> String {
        let ns = self.namespace.as_deref().unwrap_or("-");
        format!("{}/{}/{}/{}", self.group, self.kind, ns, self.name)
    }
}

/// One journal line. Field order here IS the canonical order (see the module docs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub seq: u64,
    #[serde(with = "ts_format")]
    pub ts: DateTime<Utc>,
    pub actor: Actor,
    pub cluster: Option<ClusterRef>,
    pub change: Option<String>,
    pub kind: String,
    pub targets: Vec<Target>,
    pub outcome: Option<String>,
    pub details: Value,
    pub prev: String,
    pub hash: String,
}

/// The entry without its hash, borrowed: what the canonical bytes are made of.
#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    #[serde(serialize_with = "ts_format::serialize_ref")]
    ts: &'a DateTime<Utc>,
    actor: &'a Actor,
    cluster: &'a Option<ClusterRef>,
    change: &'a Option<String>,
    kind: &'a str,
    targets: &'a [Target],
    outcome: &'a Option<String>,
    details: &'a Value,
    prev: &'a str,
}

/// What a caller asks to record; seq, ts, actor, cluster, prev and hash are filled in by the store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub change: Option<String>,
    pub kind: String,
    pub targets: Vec<Target>,
    pub outcome: Option<String>,
    pub details: Value,
}

impl NewEntry {
    /// A `note` with a message, as `cabin journal append` records it.
    pub fn note(change: Option<String>, message: &str) -> Self {
        Self::new(change, "note", serde_json::json!({ "message": message }))
    }

    pub fn new(change: Option<String>, kind: &str, details: Value) -> Self {
        Self { change, kind: kind.to_string(), targets: Vec::new(), outcome: None, details }
    }
}

impl Entry {
    /// Fills in `hash` from the other fields and returns the full line (with trailing newline).
    pub fn seal(&mut self) -> Result<Vec<u8>, serde_json::Error> {
        let body = Body {
            seq: self.seq,
            ts: &self.ts,
            actor: &self.actor,
            cluster: &self.cluster,
            change: &self.change,
            kind: &self.kind,
            targets: &self.targets,
            outcome: &self.outcome,
            details: &self.details,
            prev: &self.prev,
        };
        let mut bytes = serde_json::to_vec(&body)?;
        self.hash = hash_hex(&bytes);
        bytes.pop(); // the closing '}'
        bytes.reserve(SUFFIX_LEN + 1);
        bytes.extend_from_slice(HASH_FIELD);
        bytes.extend_from_slice(self.hash.as_bytes());
        bytes.extend_from_slice(b"\"}\n");
        Ok(bytes)
    }
}

/// Why a single line is not a valid entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineError {
    /// Not JSON, not an entry, or the hash field is not last.
    Unparsable(String),
    /// The stored hash is not the SHA-256 of the line's canonical bytes.
    HashMismatch,
}

/// Parses one line (without its newline) and checks its own hash.
pub fn check_line(line: &[u8]) -> Result<Entry, LineError> {
    let entry: Entry = serde_json::from_slice(line).map_err(|e| LineError::Unparsable(e.to_string()))?;
    let Some(prefix) = canonical_prefix(line) else {
        return Err(LineError::Unparsable("the hash field is not the last field".into()));
    };
    let mut h = Sha256::new();
    h.update(prefix);
    h.update(b"}");
    if hex(&h.finalize()) != entry.hash {
        return Err(LineError::HashMismatch);
    }
    Ok(entry)
}

/// The line up to (not including) `,"hash":"…"}` when the line ends that way.
fn canonical_prefix(line: &[u8]) -> Option<&[u8]> {
    let cut = line.len().checked_sub(SUFFIX_LEN)?;
    let (prefix, suffix) = line.split_at(cut);
    let digits = suffix.get(HASH_FIELD.len()..HASH_FIELD.len() + 64)?;
    let ok = suffix.starts_with(HASH_FIELD)
        && suffix.ends_with(b"\"}")
        && digits.iter().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b));
    ok.then_some(prefix)
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn hash_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// `ts` as RFC 3339 UTC with nanoseconds (`2026-11-23T16:08:51.123456789Z`).
mod ts_format {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(ts: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_ts(ts))
    }

    #[allow(clippy::trivially_copy_pass_by_ref)]
    pub fn serialize_ref<S: Serializer>(ts: &&DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        serialize(ts, s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&s).map(|t| t.with_timezone(&Utc)).map_err(serde::de::Error::custom)
    }
}

/// The journal's timestamp format: RFC 3339, UTC, nanoseconds.
pub fn format_ts(ts: &DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Nanos, true)
}
