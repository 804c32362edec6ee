//! Verification of a journal file in parallel, with the same verdict as the streaming
//! [`verify_reader`](super::verify::verify_reader).
//!
//! The chain only needs each line's own hash and its link, so the file is cut into segments
//! (on line starts) that worker threads check on their own — every line's hash, and the links
//! between consecutive lines of the segment — while the calling thread stitches the segments
//! together in order (the first line of a segment must continue the last line of the one before)
//! and reports the first break in file order. Lines are checked by the strict fast scanner
//! ([`super::fastline`]) and, when it declines, by [`check_line`](super::entry::check_line).
//!
//! Why the verdict is the same: `verify_reader` numbers a line by how many lines precede it
//! (`expected`). When every line before line *i* is valid, line *i − 1* has seq *i − 1*, so a
//! worker can use `seq + 1` of the previous line as `expected`; and a segment's findings after
//! an earlier break are never reported.
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::entry::{self, LineError, format_ts};
use super::fastline::{self, Facts, Fast};
use super::verify::{BreakReason, Head, VerifyStatus};

/// Segment length for worker threads.
pub const SEGMENT: u64 = 4 << 20;
/// How much of a segment one read brings in.
const READ: u64 = 128 << 10;
/// Below this size the file is checked on the calling thread.
const PARALLEL_FROM: u64 = 2 << 20;

/// How a segment went: its first and last valid line, how many valid lines, and the first
/// problem (at index `valid` within the segment).
#[derive(Debug, Default)]
struct Segment {
    first: Option<Facts>,
    last: Option<Facts>,
    valid: u64,
    fault: Option<Fault>,
}

#[derive(Debug)]
enum Fault {
    /// The line itself is bad.
    Line(BreakReason),
    /// The line does not continue the previous line of the segment (reason computed with
    /// `expected` = previous seq + 1, see the module docs).
    Link(BreakReason),
}

/// Verifies the complete lines of `file` up to `len` bytes; bytes after the last newline are a
/// truncated tail. `threads` = 0: as many as the machine has (at most 8).
pub fn verify_file(file: &File, len: u64, anchor: Option<&Head>, threads: usize) -> std::io::Result<VerifyStatus> {
    verify_file_with(file, len, anchor, threads, SEGMENT)
}

/// [`verify_file`] with an explicit segment length (tests use tiny ones).
#[doc(hidden)]
pub fn verify_file_with(file: &File, len: u64, anchor: Option<&Head>, threads: usize, segment: u64) -> std::io::Result<VerifyStatus> {
    let good_end = end_of_last_line(file, len)?;
    let segment = segment.max(1);
    let count = usize::try_from(good_end.div_ceil(segment)).unwrap_or(usize::MAX);
    let threads = match threads {
        0 => std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
        n => n,
    };
    let results: Vec<Mutex<Option<std::io::Result<Segment>>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        let mut buf = Vec::new();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = results.get(k) else { return };
            let start = k as u64 * segment;
            let r = check_segment(file, start, (start + segment).min(good_end), good_end, anchor, &mut buf);
            if let Ok(mut s) = slot.lock() {
                *s = Some(r);
            }
        }
    };
    if threads <= 1 || good_end < PARALLEL_FROM {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(work);
            }
        });
    }
    let segments = results.into_iter().map(|m| m.into_inner().ok().flatten().unwrap_or_else(|| Err(std::io::Error::other("lost segment"))));
    stitch(segments, len - good_end, anchor)
}

/// Joins the segments in order; reports the first break.
fn stitch(segments: impl Iterator<Item = std::io::Result<Segment>>, tail: u64, anchor: Option<&Head>) -> std::io::Result<VerifyStatus> {
    let mut expected: u64 = 0;
    let mut last: Option<Facts> = None;
    let broken = |seq, reason| Ok(VerifyStatus::Broken { seq, reason });
    for seg in segments {
        let seg = seg?;
        if let Some(first) = &seg.first
            && let Some(reason) = link(last.as_ref(), first, expected)
        {
            return broken(expected, reason);
        }
        if let Some(first) = &seg.first
            && let Some(reason) = anchor_fault(first, anchor)
        {
            return broken(first.seq, reason);
        }
        if let Some(Fault::Line(reason) | Fault::Link(reason)) = seg.fault {
            return broken(expected + seg.valid, reason);
        }
        expected += seg.valid;
        if seg.last.is_some() {
            last = seg.last;
        }
    }
    if tail > 0 {
        return broken(expected, BreakReason::TruncatedTail { bytes: usize::try_from(tail).unwrap_or(usize::MAX) });
    }
    let Some(last) = last else { return broken(0, BreakReason::Empty) };
    if let Some(a) = anchor.filter(|a| a.seq >= expected) {
        return broken(a.seq, BreakReason::AnchorMissing { last: Some(expected - 1) });
    }
    Ok(VerifyStatus::Verified { entries: expected, head: Head { seq: last.seq, hash: hex(&last.hash) } })
}

/// Does `e` (line number `expected`) continue `prev` (None: `e` must be the genesis line)?
fn link(prev: Option<&Facts>, e: &Facts, expected: u64) -> Option<BreakReason> {
    if e.seq != expected {
        return Some(BreakReason::SeqGap { expected, found: e.seq });
    }
    let want = prev.map_or([b'0'; 64], |p| p.hash);
    if e.prev != Some(want) {
        return Some(BreakReason::BrokenChain);
    }
    match prev {
        Some(p) if e.ts < p.ts => Some(BreakReason::TimeBackwards { previous: format_ts(&p.ts), ts: format_ts(&e.ts) }),
        _ => None,
    }
}

fn anchor_fault(e: &Facts, anchor: Option<&Head>) -> Option<BreakReason> {
    let a = anchor.filter(|a| a.seq == e.seq)?;
    (a.hash.as_bytes() != e.hash).then(|| BreakReason::AnchorMismatch { found: hex(&e.hash) })
}

/// Checks the lines that start in `[start, end)` (a line starting before `good_end` ends by it).
fn check_segment(file: &File, start: u64, end: u64, good_end: u64, anchor: Option<&Head>, buf: &mut Vec<u8>) -> std::io::Result<Segment> {
    // The segment's first line starts after the first newline at or after start - 1.
    let from = start.saturating_sub(1);
    let mut seg = Segment::default();
    let mut pos = from;
    let mut skip_first = start > 0;
    let mut chunk_end = from;
    buf.clear();
    let mut at = 0usize; // index in buf of `pos`
    loop {
        // Find the end of the line starting at buf[at..].
        let nl = loop {
            if let Some(p) = find_newline(&buf[at..]) {
                break Some(at + p);
            }
            // No line starts in this segment if no newline lies in [start - 1, end); stop here
            // rather than read through someone else's (maybe huge) line.
            if chunk_end >= good_end || (skip_first && chunk_end >= end) {
                break None;
            }
            // Read more (keep the unfinished line).
            buf.drain(..at);
            at = 0;
            // In reads that stay in the CPU's cache until scanned and hashed (one read of the
            // whole segment would be evicted to memory before the scanner reaches its end).
            let want = if chunk_end < end { (end - chunk_end).min(READ) } else { 64 << 10 }.min(good_end - chunk_end);
            let old = buf.len();
            buf.resize(old + usize::try_from(want).unwrap_or(usize::MAX), 0);
            file.read_exact_at(&mut buf[old..], chunk_end)?;
            chunk_end += want;
        };
        let Some(nl) = nl else { return Ok(seg) };
        let line_start = pos;
        pos += (nl + 1 - at) as u64;
        let line = &buf[at..nl];
        at = nl + 1;
        if std::mem::take(&mut skip_first) {
            // The bytes from start - 1 up to the first newline belong to the previous segment.
            continue;
        }
        if line_start >= end {
            return Ok(seg);
        }
        let facts = match check(line) {
            Ok(f) => f,
            Err(reason) => {
                seg.fault = Some(Fault::Line(reason));
                return Ok(seg);
            }
        };
        if let Some(prev) = &seg.last {
            let expected = prev.seq.wrapping_add(1);
            if let Some(reason) = link(Some(prev), &facts, expected) {
                seg.fault = Some(Fault::Link(reason));
                return Ok(seg);
            }
            if let Some(reason) = anchor_fault(&facts, anchor) {
                seg.fault = Some(Fault::Line(reason));
                return Ok(seg);
            }
        }
        if seg.first.is_none() {
            seg.first = Some(facts);
        }
        seg.last = Some(facts);
        seg.valid += 1;
        if pos >= end {
            return Ok(seg);
        }
    }
}

/// One line's own checks: the fast scanner, else the exact slow path.
pub(crate) fn check(line: &[u8]) -> Result<Facts, BreakReason> {
    match fastline::scan(line) {
        Some(Fast::Valid(f)) => return Ok(f),
        Some(Fast::HashMismatch) => return Err(BreakReason::HashMismatch),
        None => {}
    }
    match entry::check_line(line) {
        Ok(e) => {
            // check_line accepted it, so the hash is 64 lowercase hex digits.
            let hash = e.hash.as_bytes().try_into().map_err(|_| BreakReason::HashMismatch)?;
            Ok(Facts { seq: e.seq, ts: e.ts, prev: e.prev.as_bytes().try_into().ok(), hash })
        }
        Err(LineError::Unparsable(msg)) => Err(BreakReason::Unparsable(msg)),
        Err(LineError::HashMismatch) => Err(BreakReason::HashMismatch),
    }
}

/// The offset just after the last `\n` before `len` (0 if none): where the complete lines end.
/// (Unlike the append path's tail reader this has no line-length limit: verify reads every
/// byte anyway, and must judge any file exactly as the streaming verifier does.)
fn end_of_last_line(file: &File, len: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 64 << 10;
    let mut buf = vec![0u8; CHUNK as usize];
    let mut end = len;
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.read_exact_at(chunk, start)?;
        if let Some(p) = chunk.iter().rposition(|&b| b == b'\n') {
            return Ok(start + p as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// The first `\n` in `b`, 8 bytes at a time.
fn find_newline(b: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().ok()?) ^ (ONES * u64::from(b'\n'));
        if w.wrapping_sub(ONES) & !w & HIGH != 0 {
            break;
        }
        i += 8;
    }
    b[i..].iter().position(|&c| c == b'\n').map(|p| i + p)
}

fn hex(hash: &[u8; 64]) -> String {
    String::from_utf8_lossy(hash).into_owned()
}
