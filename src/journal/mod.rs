//! The tamper-evident audit journal (JSON Lines, one entry per line, hash-chained).
//!
//! # Format
//! Each line is one [`Entry`]: `seq`, `ts`, `actor`, `cluster`, `change`, `kind`, `targets`,
//! `outcome`, `details`, `prev`, `hash`, in exactly that order, compact JSON, ending in `\n`.
//! Line 0 is the genesis entry (`kind` = `genesis`, `prev` = 64 zeros); every later entry's
//! `prev` is the `hash` of the entry before it and its `seq` is one more. `ts` is RFC 3339 UTC
//! with nanoseconds and never goes backwards.
//!
//! # Canonical bytes and hash
//! The canonical bytes of an entry are its compact JSON serialisation (serde_json, fields in the
//! order above, `details` keys in insertion order) WITHOUT the `hash` field — which is exactly
//! the stored line up to `,"hash":"`, closed with `}`. `hash` = lowercase hex SHA-256 of those
//! bytes, so it covers `prev` and therefore the whole history. Because `hash` is always the last
//! field, the verifier hashes the stored bytes directly and never re-serialises an entry.
//!
//! # Durability and concurrency
//! [`Journal::append`] takes an exclusive file lock, re-reads the tail (another process may have
//! appended), writes the line in one `write`, `fdatasync`s, unlocks, and only then returns. A torn
//! last line (bytes after the last newline, left by a crash) is cut on the next open/append and
//! a `journal-repaired` entry records its length and SHA-256 (never the bytes). Files are 0600.
//!
//! # Limits
//! The chain detects any edit, deletion, insertion or reordering, and a torn tail; it cannot by
//! itself detect a journal cut back to an earlier complete entry or rewritten from the start —
//! that is what the head recorded by `cabin journal seal` is for (`verify --expect-head`).
//!
//! Secrets never enter the journal: `details` go through [`scrub::scrub`] before hashing.
use std::path::{Path, PathBuf};

use thiserror::Error;

pub mod context;
pub mod entry;
pub mod escape;
pub mod export;
mod fastline;
pub mod filter;
pub mod kinds;
pub mod markdown;
pub mod parallel;
pub mod scrub;
mod search;
pub mod store;
mod tail;
pub mod verify;

pub use context::{Clock, JournalContext, SystemClock, default_path};
pub use entry::{Actor, ClusterRef, Entry, NewEntry, Target};
pub use filter::{EntryFilter, matching_indices, read_entries, read_since};
pub use kinds::is_reserved_kind;
pub use store::{Journal, OpenReport, Repair, head};
pub use verify::{BreakReason, Head, VerifyStatus, verify_path};

/// Everything that can go wrong with a journal file.
#[derive(Debug, Error)]
pub enum JournalError {
    #[error("cannot open journal {path}: {source}; check the path and its permissions")]
    Open { path: PathBuf, source: std::io::Error },
    #[error("cannot lock journal {path}: {source}")]
    Lock { path: PathBuf, source: std::io::Error },
    #[error("cannot read journal {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(
        "could not write to journal {path}: {source}; the entry was NOT recorded and nothing \
         recorded earlier was lost; fix the problem (e.g. free disk space) and retry"
    )]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "could not flush journal {path} to disk: {source}; the entry is not acknowledged; \
         run `cabin journal verify --journal {path}` and retry"
    )]
    Sync { path: PathBuf, source: std::io::Error },
    #[error(
        "journal {path} is damaged ({detail}); cabin will not append to it; \
         run `cabin journal verify --journal {path}` to locate the damage"
    )]
    Damaged { path: PathBuf, detail: String },
    #[error("cannot encode journal entry: {0}")]
    Encode(#[from] serde_json::Error),
    #[error(
        "cannot find a default journal location (no home directory); \
         pass --journal PATH or set CABIN_JOURNAL"
    )]
    NoDefaultPath,
}

/// Opens a journal for reading, with a clear error.
pub(crate) fn open_read(path: &Path) -> Result<std::fs::File, JournalError> {
    std::fs::File::open(path).map_err(|source| JournalError::Open { path: path.into(), source })
}
