//! The journal file: locked, durable appends and repair of a torn tail.
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use serde_json::json;

use super::context::{Clock, JournalContext};
use super::entry::{self, Entry, FORMAT, GENESIS_KIND, GENESIS_PREV, NewEntry, REPAIRED_KIND};
use super::tail::{looks_torn, read_tail};
use super::verify::Head;
use super::{JournalError, open_read, scrub};

/// What was cut from a torn tail, as recorded in the `journal-repaired` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repair {
    /// Offset where the cut bytes began (the journal's length after the cut).
    pub offset: u64,
    pub cut_bytes: u64,
    /// SHA-256 of the cut bytes (the bytes themselves are never journalled).
    pub cut_sha256: String,
    /// seq of the `journal-repaired` entry.
    pub seq: u64,
}

/// What [`Journal::open`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenReport {
    /// The file was new or empty and a genesis entry was written.
    pub created: bool,
    pub repaired: Option<Repair>,
    pub head: Head,
}

/// A journal file plus the identity and clock stamped on what it appends.
pub struct Journal {
    path: PathBuf,
    ctx: JournalContext,
    clock: Box<dyn Clock>,
}

/// The state of the file under the lock, ready for the next append.
struct Prepared {
    last: Entry,
    created: bool,
    repaired: Option<Repair>,
}

type Sink<'s> = &'s dyn Fn(&File) -> Box<dyn Write + '_>;

fn file_sink(f: &File) -> Box<dyn Write + '_> {
    Box::new(f)
}

impl Journal {
    /// Opens (creating with a genesis entry if needed) and repairs a torn tail.
    pub fn open(path: impl Into<PathBuf>, ctx: JournalContext, clock: Box<dyn Clock>) -> Result<(Self, OpenReport), JournalError> {
        let journal = Self { path: path.into(), ctx, clock };
        let file = journal.lock_file()?;
        let p = journal.prepare(&file)?;
        let head = Head { seq: p.last.seq, hash: p.last.hash.clone() };
        Ok((journal, OpenReport { created: p.created, repaired: p.repaired, head }))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one entry; returns only once it is on disk (write + fdatasync).
    pub fn append(&self, new: NewEntry) -> Result<Entry, JournalError> {
        self.append_via(new, &file_sink)
    }

    fn append_via(&self, new: NewEntry, sink: Sink<'_>) -> Result<Entry, JournalError> {
        let file = self.lock_file()?;
        let p = self.prepare(&file)?;
        self.write_entry(&file, Some(&p.last), new, sink)
        // `file` is dropped here, which releases the lock.
    }

    fn lock_file(&self) -> Result<File, JournalError> {
        let open_err = |source| JournalError::Open { path: self.path.clone(), source };
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(open_err)?;
        }
        let file = OpenOptions::new().read(true).append(true).create(true).mode(0o600).open(&self.path).map_err(open_err)?;
        file.lock().map_err(|source| JournalError::Lock { path: self.path.clone(), source })?;
        Ok(file)
    }

    /// Under the lock: finds the head, writes the genesis entry if the file is empty, and cuts
    /// and records a torn tail.
    fn prepare(&self, file: &File) -> Result<Prepared, JournalError> {
        let read_err = |source| JournalError::Read { path: self.path.clone(), source };
        let len = file.metadata().map_err(read_err)?.len();
        let tail = read_tail(file, len).map_err(read_err)?;
        let last = match &tail.last_line {
            Some(line) => {
                Some(entry::check_line(line).map_err(|e| self.damaged(format!("its last complete line is not a valid entry: {e:?}")))?)
            }
            None => None,
        };
        let cut = if tail.good_end < len { Some(self.cut(file, tail.good_end, len)?) } else { None };
        let (mut last, created) = match last {
            Some(e) => (e, false),
            None => {
                let g = self.write_entry(file, None, genesis(), &file_sink)?;
                self.sync_dir()?;
                (g, true)
            }
        };
        let mut repaired = None;
        if let Some((offset, bytes, sha)) = cut {
            last = self.write_entry(file, Some(&last), repaired_entry(offset, bytes, &sha), &file_sink)?;
            repaired = Some(Repair { offset, cut_bytes: bytes, cut_sha256: sha, seq: last.seq });
        }
        Ok(Prepared { last, created, repaired })
    }

    /// Cuts the bytes after the last complete line; returns (offset, length, sha256).
    fn cut(&self, file: &File, good_end: u64, len: u64) -> Result<(u64, u64, String), JournalError> {
        let n = len - good_end;
        let mut bytes = vec![0u8; usize::try_from(n).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut bytes, good_end).map_err(|source| JournalError::Read { path: self.path.clone(), source })?;
        if !looks_torn(&bytes) {
            return Err(self.damaged(format!("the {n} bytes after the last complete line are not a torn entry; is this a cabin journal?")));
        }
        file.set_len(good_end).map_err(|source| JournalError::Write { path: self.path.clone(), source })?;
        file.sync_data().map_err(|source| JournalError::Sync { path: self.path.clone(), source })?;
        Ok((good_end, n, entry::hash_hex(&bytes)))
    }

    fn write_entry(&self, file: &File, prev: Option<&Entry>, new: NewEntry, sink: Sink<'_>) -> Result<Entry, JournalError> {
        let now = self.clock.now();
        let (seq, prev_hash, ts) = match prev {
            None => (0, GENESIS_PREV.to_string(), now),
            Some(p) => {
                // A last seq of u64::MAX cannot come from appends (it would take 2^64 of them):
                // the file was forged or damaged, and wrapping would restart the numbering.
                let seq =
                    p.seq.checked_add(1).ok_or_else(|| self.damaged(format!("its last entry has seq {}, the largest possible", p.seq)))?;
                (seq, p.hash.clone(), now.max(p.ts))
            }
        };
        let mut e = Entry {
            seq,
            ts,
            actor: self.ctx.actor.clone(),
            cluster: self.ctx.cluster.clone(),
            change: new.change,
            kind: new.kind,
            targets: new.targets,
            outcome: new.outcome,
            details: scrub::scrub(new.details),
            prev: prev_hash,
            hash: String::new(),
        };
        let line = e.seal()?;
        let write_err = |source| JournalError::Write { path: self.path.clone(), source };
        let len_before = file.metadata().map_err(write_err)?.len();
        let mut w = sink(file);
        if let Err(source) = w.write_all(&line).and_then(|()| w.flush()) {
            // Best effort: take the partial line back now; if this fails too, the next open cuts it.
            if file.set_len(len_before).is_ok() {
                let _ = file.sync_data();
            }
            return Err(write_err(source));
        }
        drop(w);
        file.sync_data().map_err(|source| JournalError::Sync { path: self.path.clone(), source })?;
        Ok(e)
    }

    /// Makes the new file's directory entry durable too.
    fn sync_dir(&self) -> Result<(), JournalError> {
        let dir = self.path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        File::open(dir).and_then(|d| d.sync_all()).map_err(|source| JournalError::Sync { path: dir.into(), source })
    }

    fn damaged(&self, detail: String) -> JournalError {
        JournalError::Damaged { path: self.path.clone(), detail }
    }
}

fn genesis() -> NewEntry {
    NewEntry::new(None, GENESIS_KIND, json!({ "format": FORMAT }))
}

fn repaired_entry(offset: u64, bytes: u64, sha: &str) -> NewEntry {
    let mut e = NewEntry::new(
        None,
        REPAIRED_KIND,
        json!({
            "reason": "torn last line (a crash during an append): the bytes after the last complete entry were cut",
            "offset": offset,
            "cutBytes": bytes,
            "cutSha256": sha,
        }),
    );
    e.outcome = Some("repaired".into());
    e
}

/// The last complete entry of the journal at `path` (read-only; does not verify the chain).
pub fn head(path: &Path) -> Result<Head, JournalError> {
    let file = open_read(path)?;
    let read_err = |source| JournalError::Read { path: path.into(), source };
    let len = file.metadata().map_err(read_err)?.len();
    let tail = read_tail(&file, len).map_err(read_err)?;
    let damaged = |detail: String| JournalError::Damaged { path: path.into(), detail };
    let line = tail.last_line.ok_or_else(|| damaged("it has no complete entry".into()))?;
    let e = entry::check_line(&line).map_err(|e| damaged(format!("its last entry is invalid: {e:?}")))?;
    Ok(Head { seq: e.seq, hash: e.hash })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
#[path = "store_tests.rs"]
mod tests;
