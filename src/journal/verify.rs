//! Streaming verification of a whole journal: every line's hash, the chain, seq and time order.
use std::fmt;
use std::io::BufRead;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::entry::{self, GENESIS_PREV, LineError};
use super::{JournalError, open_read};

/// The last entry of a journal: what `cabin journal seal` anchors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: String,
}

impl fmt::Display for Head {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {} hash {}", self.seq, self.hash)
    }
}

/// Why verification stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BreakReason {
    HashMismatch,
    BrokenChain,
    Unparsable(String),
    SeqGap {
        expected: u64,
        found: u64,
    },
    TimeBackwards {
        previous: String,
        ts: String,
    },
    TruncatedTail {
        bytes: usize,
    },
    Empty,
    /// The journal does not contain the anchored head (`--expect-head`).
    AnchorMissing {
        last: Option<u64>,
    },
    /// The entry at the anchored seq has a different hash than the anchor.
    AnchorMismatch {
        found: String,
    },
}

impl fmt::Display for BreakReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::HashMismatch => write!(f, "hash mismatch (the entry was changed after it was written)"),
            Self::BrokenChain => write!(f, "broken chain (prev is not the hash of the entry before)"),
            Self::Unparsable(e) => write!(f, "unparsable line ({e})"),
            Self::SeqGap { expected, found } => {
                write!(f, "seq gap (expected seq {expected}, found seq {found})")
            }
            Self::TimeBackwards { previous, ts } => {
                write!(f, "time going backwards ({ts} is before the previous entry's {previous})")
            }
            Self::TruncatedTail { bytes } => {
                write!(f, "truncated tail ({bytes} bytes after the last complete line)")
            }
            Self::Empty => write!(f, "empty journal (no genesis entry)"),
            Self::AnchorMissing { last: Some(last) } => {
                write!(f, "truncated: the anchored head is missing (the journal ends at seq {last})")
            }
            Self::AnchorMissing { last: None } => write!(f, "truncated: the anchored head is missing"),
            Self::AnchorMismatch { found } => {
                write!(f, "rewritten: the entry has hash {found}, not the anchored hash")
            }
        }
    }
}

/// The verification state of a journal (also shown in the cockpit's journal header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyStatus {
    Verified { entries: u64, head: Head },
    Broken { seq: u64, reason: BreakReason },
}

impl fmt::Display for VerifyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Verified { entries, head } => write!(f, "ok: {entries} entries, head {}", head.hash),
            Self::Broken { seq, reason } => write!(f, "broken at seq {seq}: {reason}"),
        }
    }
}

/// Verifies the journal file at `path` (in parallel, see [`super::parallel`]; same verdict as
/// [`verify_reader`]).
pub fn verify_path(path: &Path, anchor: Option<&Head>) -> Result<VerifyStatus, JournalError> {
    let file = open_read(path)?;
    let read_err = |source| JournalError::Read { path: path.into(), source };
    let len = file.metadata().map_err(read_err)?.len();
    super::parallel::verify_file(&file, len, anchor, 0).map_err(read_err)
}

/// Verifies a journal stream, one line after the other (the reference the parallel verifier is
/// tested against). With `anchor` (a head recorded by `seal`), the journal must contain
/// that exact entry, which also detects a journal cut back to an earlier, self-consistent state.
pub fn verify_reader<R: BufRead>(mut r: R, anchor: Option<&Head>) -> std::io::Result<VerifyStatus> {
    let mut line = Vec::with_capacity(1024);
    let mut expected: u64 = 0;
    let mut prev_hash = GENESIS_PREV.to_string();
    let mut prev_ts: Option<DateTime<Utc>> = None;
    let broken = |seq, reason| Ok(VerifyStatus::Broken { seq, reason });
    loop {
        line.clear();
        if r.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        if line.pop() != Some(b'\n') {
            return broken(expected, BreakReason::TruncatedTail { bytes: line.len() + 1 });
        }
        let e = match entry::check_line(&line) {
            Ok(e) => e,
            Err(LineError::Unparsable(msg)) => return broken(expected, BreakReason::Unparsable(msg)),
            Err(LineError::HashMismatch) => return broken(expected, BreakReason::HashMismatch),
        };
        if e.seq != expected {
            return broken(expected, BreakReason::SeqGap { expected, found: e.seq });
        }
        if e.prev != prev_hash {
            return broken(expected, BreakReason::BrokenChain);
        }
        if let Some(p) = prev_ts.filter(|p| e.ts < *p) {
            let (previous, ts) = (entry::format_ts(&p), entry::format_ts(&e.ts));
            return broken(expected, BreakReason::TimeBackwards { previous, ts });
        }
        if let Some(a) = anchor.filter(|a| a.seq == e.seq && a.hash != e.hash) {
            return broken(a.seq, BreakReason::AnchorMismatch { found: e.hash });
        }
        prev_ts = Some(e.ts);
        prev_hash = e.hash;
        expected += 1;
    }
    if expected == 0 {
        return broken(0, BreakReason::Empty);
    }
    if let Some(a) = anchor.filter(|a| a.seq >= expected) {
        return broken(a.seq, BreakReason::AnchorMissing { last: Some(expected - 1) });
    }
    Ok(VerifyStatus::Verified { entries: expected, head: Head { seq: expected - 1, hash: prev_hash } })
}
