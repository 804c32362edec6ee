//! The cockpit's journal feed: reads and verifies the journal file, then tails it.
//!
//! First a full read + verify (sent with `reset: true`), then every ~500 ms a look at the file's
//! length and mtime: growth → only the new complete lines are read ([`read_since`]-style, from
//! the last offset) and their chain is checked against the last known head (their own hashes
//! recomputed, seq +1, `prev` = head hash, time not going backwards) and sent with
//! `reset: false`. Any inconsistency, a file that shrank, was replaced (new inode) or rewritten
//! in place (same length, new mtime), or a torn tail that stays torn → a full re-verify, sent
//! with `reset: true`.
//! Every 30 s, if the file changed since the last full verify, a full verify runs again and is
//! sent if the verdict differs (this catches an edit in the middle followed by an append).
//! A missing (or still empty) journal is not an error: no entries, `Verified { entries: 0 }`.
//! All file I/O runs in `spawn_blocking`; the UI only ever receives [`EngineEvent`]s.
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;

use crate::journal::entry::{self, GENESIS_PREV};
use crate::journal::parallel::verify_file;
use crate::journal::verify::{BreakReason, Head, VerifyStatus};
use crate::journal::{Entry, JournalError};
use crate::model::{EngineEvent, JournalFeed, MessageLevel, UserMessage};

/// How often the file is checked for growth.
pub const POLL: Duration = Duration::from_millis(500);
/// How often a changed file is fully re-verified even when the tail looked consistent.
pub const FULL_RECHECK: Duration = Duration::from_secs(30);

/// Starts the feed for the journal at `path`; it ends when `tx`'s receiver is dropped.
pub fn spawn(path: PathBuf, tx: Sender<EngineEvent>) -> JoinHandle<()> {
    spawn_with(path, tx, POLL, FULL_RECHECK)
}

/// [`spawn`] with explicit intervals (tests poll faster).
pub fn spawn_with(path: PathBuf, tx: Sender<EngineEvent>, poll: Duration, recheck: Duration) -> JoinHandle<()> {
    tokio::spawn(run(path, tx, poll, recheck))
}

/// What the feed knows about the file after the last look.
#[derive(Debug, Clone, Default)]
struct Tracker {
    /// Offset just after the last complete line read.
    offset: u64,
    /// File length, mtime and inode at the last look (a replaced file has a new inode).
    len: u64,
    mtime: Option<SystemTime>,
    ino: u64,
    /// Chain state after the last verified entry.
    next_seq: u64,
    head_hash: String,
    last_ts: Option<DateTime<Utc>>,
    /// The last full verify found damage: any change → full verify again.
    broken: Option<VerifyStatus>,
    /// A torn tail was already reported by a full verify (no need to repeat it).
    tail_reported: bool,
    /// The file changed since the last full verify.
    changed_since_full: bool,
}

impl Tracker {
    fn status(&self) -> VerifyStatus {
        if let Some(b) = &self.broken {
            return b.clone();
        }
        let seq = self.next_seq.saturating_sub(1);
        VerifyStatus::Verified { entries: self.next_seq, head: Head { seq, hash: self.head_hash.clone() } }
    }
}

/// What one look at the file produced.
enum Step {
    Nothing,
    Feed(JournalFeed),
}

async fn run(path: PathBuf, tx: Sender<EngineEvent>, poll: Duration, recheck: Duration) {
    let mut tracker = Tracker::default();
    let mut last_error: Option<String> = None;
    let mut first = true;
    let mut last_full = tokio::time::Instant::now();
    let mut ticker = tokio::time::interval(poll);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let full_due = first || (tracker.changed_since_full && last_full.elapsed() >= recheck);
        let p = path.clone();
        let t = tracker.clone();
        let joined = tokio::task::spawn_blocking(move || look(&p, t, full_due)).await;
        let Ok(result) = joined else { return };
        match result {
            Ok((next, step)) => {
                let was_full = full_due || matches!(&step, Step::Feed(f) if f.reset);
                if was_full {
                    last_full = tokio::time::Instant::now();
                }
                let before = tracker.status();
                tracker = next;
                last_error = None;
                let feed = match step {
                    // A periodic full verify is only worth sending when its verdict changed.
                    Step::Feed(f) if f.reset && !first && full_due && f.status == before => None,
                    Step::Feed(f) => Some(f),
                    Step::Nothing => None,
                };
                first = false;
                if let Some(f) = feed
                    && tx.send(EngineEvent::Journal(f)).await.is_err()
                {
                    return;
                }
            }
            Err(e) => {
                let text = e.to_string();
                if last_error.as_deref() != Some(text.as_str()) {
                    let msg = UserMessage { level: MessageLevel::Warn, text: format!("journal: {text}"), hint: None };
                    if tx.send(EngineEvent::Message(msg)).await.is_err() {
                        return;
                    }
                    last_error = Some(text);
                }
            }
        }
    }
}

/// One look at the file (blocking): a full read when asked or needed, else the new lines.
fn look(path: &Path, t: Tracker, force_full: bool) -> Result<(Tracker, Step), JournalError> {
    let read_err = |source| JournalError::Read { path: path.into(), source };
    let meta = match std::fs::metadata(path) {
        Ok(m) => Some(m),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(read_err(e)),
    };
    let (len, mtime, ino) = meta.map_or((0, None, 0), |m| (m.len(), m.modified().ok(), m.ino()));
    let changed = len != t.len || mtime != t.mtime || ino != t.ino;
    let replaced = ino != t.ino;
    if force_full || replaced || (changed && (t.broken.is_some() || len < t.offset || len == t.len)) {
        return full(path, len > t.offset && len == t.len && !changed);
    }
    if !changed {
        // A torn tail that did not change since the last look is not an append in progress.
        if len > t.offset && !t.tail_reported {
            return full(path, true);
        }
        return Ok((t, Step::Nothing));
    }
    grow(path, t, len, mtime)
}

/// Reads the whole file and verifies it (a streaming pass for the entries, then the parallel
/// chain check over the same length). `include_tail`: report bytes after the last newline as a truncated tail
/// (else they are taken for an append in progress).
fn full(path: &Path, include_tail: bool) -> Result<(Tracker, Step), JournalError> {
    use std::io::{BufReader, Read};
    let read_err = |source| JournalError::Read { path: path.into(), source };
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let t = Tracker::default();
            let status = t.status();
            return Ok((t, Step::Feed(JournalFeed { reset: true, entries: Vec::new(), status })));
        }
        Err(e) => return Err(JournalError::Open { path: path.into(), source: e }),
    };
    let meta = file.metadata().map_err(read_err)?;
    let (len, mtime, ino) = (meta.len(), meta.modified().ok(), meta.ino());
    let (entries, complete) = read_complete(BufReader::with_capacity(1 << 16, (&file).take(len))).map_err(read_err)?;
    let mut t = Tracker { offset: complete, len, mtime, ino, ..Tracker::default() };
    if complete > 0 {
        match verify_file(&file, complete, None, 0).map_err(read_err)? {
            VerifyStatus::Verified { entries: n, head } => {
                t.next_seq = n;
                t.head_hash = head.hash;
                t.last_ts = entries.last().map(|e| e.ts);
            }
            broken => t.broken = Some(broken),
        }
    }
    let tail = len - complete;
    if include_tail && tail > 0 {
        t.tail_reported = true;
        if t.broken.is_none() {
            let reason = BreakReason::TruncatedTail { bytes: usize::try_from(tail).unwrap_or(usize::MAX) };
            t.broken = Some(VerifyStatus::Broken { seq: t.next_seq, reason });
        }
    }
    let status = t.status();
    Ok((t, Step::Feed(JournalFeed { reset: true, entries, status })))
}

/// The parsable entries in complete lines, and the offset just after the last complete line.
fn read_complete<R: std::io::BufRead>(mut r: R) -> std::io::Result<(Vec<Entry>, u64)> {
    let (mut entries, mut complete, mut line) = (Vec::new(), 0u64, Vec::with_capacity(1024));
    loop {
        line.clear();
        let n = r.read_until(b'\n', &mut line)?;
        if n == 0 || line.last() != Some(&b'\n') {
            return Ok((entries, complete));
        }
        complete += n as u64;
        if let Ok(e) = serde_json::from_slice::<Entry>(&line[..n - 1]) {
            entries.push(e);
        }
    }
}

/// The file grew: read the new complete lines and check their chain against the head.
fn grow(path: &Path, mut t: Tracker, len: u64, mtime: Option<SystemTime>) -> Result<(Tracker, Step), JournalError> {
    use std::io::{Read, Seek, SeekFrom};
    let read_err = |source| JournalError::Read { path: path.into(), source };
    let mut file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return full(path, false),
        Err(e) => return Err(JournalError::Open { path: path.into(), source: e }),
    };
    file.seek(SeekFrom::Start(t.offset)).map_err(read_err)?;
    let mut bytes = Vec::new();
    file.take(len - t.offset).read_to_end(&mut bytes).map_err(read_err)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let mut entries = Vec::new();
    for line in bytes[..complete].split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        match chain_next(&t, line) {
            Some(e) => {
                t.next_seq += 1;
                t.head_hash.clone_from(&e.hash);
                t.last_ts = Some(e.ts);
                entries.push(e);
            }
            None => return full(path, false),
        }
    }
    t.offset += complete as u64;
    t.len = len;
    t.mtime = mtime;
    t.tail_reported = false;
    t.changed_since_full = true;
    if entries.is_empty() {
        return Ok((t, Step::Nothing));
    }
    let status = t.status();
    Ok((t, Step::Feed(JournalFeed { reset: false, entries, status })))
}

/// The entry in `line` if it validly continues the chain the tracker ends with.
fn chain_next(t: &Tracker, line: &[u8]) -> Option<Entry> {
    let e = entry::check_line(line).ok()?;
    let prev = if t.next_seq == 0 { GENESIS_PREV } else { t.head_hash.as_str() };
    let in_order = t.last_ts.is_none_or(|p| e.ts >= p);
    (e.seq == t.next_seq && e.prev == prev && in_order).then_some(e)
}
