//! The verifier's fast path for one line: a strict scanner of exactly the compact form cabin
//! writes, without building an [`Entry`](super::Entry) or a JSON tree.
//!
//! It accepts a line only when the line is in a strict subset of what
//! [`check_line`](super::entry::check_line) accepts (valid UTF-8, fields in canonical order, no
//! whitespace, plain strings, small numbers, RFC 3339 UTC nanosecond times, lowercase hex
//! hashes, bounded nesting). Anything else returns `None` and the caller falls back to
//! `check_line`, so the verdict — including the exact error text — never depends on the path.
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};

/// What the chain checks need from a valid line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Facts {
    pub seq: u64,
    pub ts: DateTime<Utc>,
    /// `prev` as stored; None when it is not 64 bytes long (then it links to nothing).
    pub prev: Option<[u8; 64]>,
    /// `hash` as stored: 64 lowercase hex digits.
    pub hash: [u8; 64],
}

/// Result of the fast path: `None` = not in the strict subset (use the slow path).
pub(crate) enum Fast {
    Valid(Facts),
    /// Well-formed, but the stored hash is not the SHA-256 of the canonical bytes.
    HashMismatch,
}

/// Deepest nesting the fast path follows inside `details` (serde_json allows 128 in total).
const MAX_DEPTH: u32 = 32;
/// Longest integer part of a number the fast path accepts (always finite as f64, fits i64/u64).
const MAX_DIGITS: usize = 18;

pub(crate) fn scan(line: &[u8]) -> Option<Fast> {
    if std::str::from_utf8(line).is_err() {
        return None;
    }
    let mut s = Scanner { b: line, i: 0 };
    s.lit(b"{\"seq\":")?;
    let seq = s.u64()?;
    s.lit(b",\"ts\":\"")?;
    let ts = s.ts()?;
    s.lit(b"\",\"actor\":{\"clusterUser\":")?;
    s.opt_str()?;
    s.lit(b",\"localUser\":")?;
    s.str()?;
    s.lit(b",\"host\":")?;
    s.str()?;
    s.lit(b"},\"cluster\":")?;
    if !s.null() {
        s.lit(b"{\"server\":")?;
        s.str()?;
        s.lit(b",\"context\":")?;
        s.str()?;
        s.lit(b"}")?;
    }
    s.lit(b",\"change\":")?;
    s.opt_str()?;
    s.lit(b",\"kind\":")?;
    s.str()?;
    s.lit(b",\"targets\":[")?;
    if !s.eat(b']') {
        loop {
            s.target()?;
            if s.eat(b']') {
                break;
            }
            s.lit(b",")?;
        }
    }
    s.lit(b",\"outcome\":")?;
    s.opt_str()?;
    s.lit(b",\"details\":")?;
    s.value(0)?;
    s.lit(b",\"prev\":\"")?;
    let prev_at = s.i;
    s.str_rest()?;
    let prev = line.get(prev_at..s.i - 1).and_then(|p| p.try_into().ok());
    let canonical_end = s.i;
    s.lit(b",\"hash\":\"")?;
    let hash: [u8; 64] = line.get(s.i..s.i + 64)?.try_into().ok()?;
    s.i += 64;
    s.lit(b"\"}")?;
    if s.i != line.len() {
        return None;
    }
    let mut h = Sha256::new();
    h.update(&line[..canonical_end]);
    h.update(b"}");
    if hex64(&h.finalize().into()) != hash {
        // Only a well-formed hash field is a mismatch; anything else is the slow path's to name.
        return hash.iter().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')).then_some(Fast::HashMismatch);
    }
    Some(Fast::Valid(Facts { seq, ts, prev, hash }))
}

/// 32 bytes → 64 lowercase hex digits.
pub(crate) fn hex64(bytes: &[u8; 32]) -> [u8; 64] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = [0u8; 64];
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[usize::from(b >> 4)];
        pair[1] = DIGITS[usize::from(b & 0x0f)];
    }
    out
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        self.i += usize::from(hit);
        hit
    }

    fn lit(&mut self, l: &[u8]) -> Option<()> {
        let end = self.i + l.len();
        (self.b.get(self.i..end)? == l).then(|| self.i = end)
    }

    fn null(&mut self) -> bool {
        self.lit(b"null").is_some()
    }

    fn opt_str(&mut self) -> Option<()> {
        if self.null() { Some(()) } else { self.str() }
    }

    fn str(&mut self) -> Option<()> {
        self.lit(b"\"")?;
        self.str_rest()
    }

    /// After the opening quote: plain characters and simple escapes, up to the closing quote.
    fn str_rest(&mut self) -> Option<()> {
        loop {
            // Fast skip over ordinary bytes, 8 at a time.
            while let Some(chunk) = self.b.get(self.i..self.i + 8) {
                let w = u64::from_le_bytes(chunk.try_into().ok()?);
                if special(w) {
                    break;
                }
                self.i += 8;
            }
            let c = self.peek()?;
            self.i += 1;
            match c {
                b'"' => return Some(()),
                b'\\' => self.escape()?,
                0..=0x1f => return None,
                _ => {}
            }
        }
    }

    fn escape(&mut self) -> Option<()> {
        let c = self.peek()?;
        self.i += 1;
        match c {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Some(()),
            b'u' => {
                let hex = self.b.get(self.i..self.i + 4)?;
                let s = std::str::from_utf8(hex).ok()?;
                let v = u16::from_str_radix(s, 16).ok()?;
                // Surrogates (even valid pairs) go to the slow path.
                if (0xd800..0xe000).contains(&v) || !hex.iter().all(u8::is_ascii_hexdigit) {
                    return None;
                }
                self.i += 4;
                Some(())
            }
            _ => None,
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    /// A non-negative integer of at most 19 digits without leading zeros.
    fn u64(&mut self) -> Option<u64> {
        let start = self.i;
        let n = self.digits();
        let text = &self.b[start..self.i];
        if n == 0 || n > 19 || (n > 1 && text[0] == b'0') {
            return None;
        }
        text.iter().try_fold(0u64, |acc, d| acc.checked_mul(10)?.checked_add(u64::from(d - b'0')))
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?` with a short integer part; no exponent.
    fn number(&mut self) -> Option<()> {
        self.eat(b'-');
        let start = self.i;
        let n = self.digits();
        if n == 0 || n > MAX_DIGITS || (n > 1 && self.b[start] == b'0') {
            return None;
        }
        if self.eat(b'.') && self.digits() == 0 {
            return None;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) { None } else { Some(()) }
    }

    fn value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => self.str(),
            b'n' => self.lit(b"null"),
            b't' => self.lit(b"true"),
            b'f' => self.lit(b"false"),
            b'-' | b'0'..=b'9' => self.number(),
            b'[' if depth < MAX_DEPTH => {
                self.i += 1;
                if self.eat(b']') {
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    if self.eat(b']') {
                        return Some(());
                    }
                    self.lit(b",")?;
                }
            }
            b'{' if depth < MAX_DEPTH => {
                self.i += 1;
                if self.eat(b'}') {
                    return Some(());
                }
                loop {
                    self.str()?;
                    self.lit(b":")?;
                    self.value(depth + 1)?;
                    if self.eat(b'}') {
                        return Some(());
                    }
                    self.lit(b",")?;
                }
            }
            _ => None,
        }
    }

    fn target(&mut self) -> Option<()> {
        self.lit(b"{\"group\":")?;
        self.str()?;
        self.lit(b",\"kind\":")?;
        self.str()?;
        self.lit(b",\"namespace\":")?;
        self.opt_str()?;
        self.lit(b",\"name\":")?;
        self.str()?;
        self.lit(b",\"resourceVersionBefore\":")?;
        self.opt_str()?;
        self.lit(b",\"resourceVersionAfter\":")?;
        self.opt_str()?;
        self.lit(b"}")
    }

    /// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (what [`super::entry::format_ts`] writes), years
    /// 1000–9999, no leap second; the closing quote follows.
    fn ts(&mut self) -> Option<DateTime<Utc>> {
        let t = self.b.get(self.i..self.i + 30)?;
        let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':'), (19, b'.'), (29, b'Z')];
        if seps.iter().any(|&(at, c)| t[at] != c) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            t[r].iter().try_fold(0u32, |acc, &d| d.is_ascii_digit().then(|| acc * 10 + u32::from(d - b'0')))
        };
        let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
        let (hour, min, sec, nano) = (num(11..13)?, num(14..16)?, num(17..19)?, num(20..29)?);
        if year < 1000 || sec > 59 {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
        let time = date.and_hms_nano_opt(hour, min, sec, nano)?;
        self.i += 30;
        Some(time.and_utc())
    }
}

/// Does the 8-byte word hold a `"`, a `\` or a control byte (< 0x20)?
fn special(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    // Bytes < 0x20: (w - 0x20…) borrows into the high bit for bytes below 0x20 (and ≥ 0x80,
    // which are excluded by `!w`).
    let below = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
    has_zero(w ^ (ONES * u64::from(b'"'))) || has_zero(w ^ (ONES * u64::from(b'\\'))) || below
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn what_cabin_writes_takes_the_fast_path() {
        use crate::journal::entry::{Actor, ClusterRef, Entry, Target};
        use chrono::TimeZone;
        let mut e = Entry {
            seq: 42,
            ts: Utc.timestamp_opt(1_800_000_000, 5).unwrap(),
            actor: Actor { cluster_user: None, local_user: "a\"b".into(), host: "h\u{1b}é".into() },
            cluster: Some(ClusterRef { server: "https://x".into(), context: "c".into() }),
            change: Some("CHG-1".into()),
            kind: "rollout-step".into(),
            targets: vec![Target {
                group: "apps".into(),
                kind: "Deployment".into(),
                namespace: None,
                name: "n".into(),
                resource_version_before: Some("1".into()),
                resource_version_after: None,
            }],
            outcome: None,
            details: serde_json::json!({"message": "x\ny", "n": -12, "f": 0.25, "a": [true, null, {}], "o": {"k": []}}),
            prev: "ab".repeat(32),
            hash: String::new(),
        };
        let line = e.seal().unwrap();
        let Some(Fast::Valid(f)) = scan(&line[..line.len() - 1]) else { panic!("slow path for {}", String::from_utf8_lossy(&line)) };
        assert_eq!((f.seq, f.ts, f.prev.map(|p| p.to_vec()), f.hash.to_vec()), (42, e.ts, Some(e.prev.into_bytes()), e.hash.into_bytes()));
        let mut bad = line[..line.len() - 1].to_vec();
        bad[30] ^= 1;
        assert!(matches!(scan(&bad), Some(Fast::HashMismatch) | None));
    }

    #[test]
    fn special_bytes_are_found_in_any_lane() {
        for lane in 0..8 {
            for c in [b'"', b'\\', 0u8, 0x1f, b'\n'] {
                let mut bytes = *b"abcdefgh";
                bytes[lane] = c;
                assert!(special(u64::from_le_bytes(bytes)), "{c} at {lane}");
            }
        }
        assert!(!special(u64::from_le_bytes(*b"abc xyz~")));
        assert!(!special(u64::from_le_bytes("éé üx".as_bytes()[..8].try_into().unwrap())));
    }
}
