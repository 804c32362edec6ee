//! Finding the last complete line of a journal without reading the whole file.
use std::fs::File;
use std::os::unix::fs::FileExt;

const CHUNK: u64 = 16 * 1024;

/// The end of a journal file.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tail {
    /// Offset just after the last newline (0 if there is none).
    pub good_end: u64,
    /// The last complete line, without its newline.
    pub last_line: Option<Vec<u8>>,
}

/// Reads backwards from `len` until the last complete line is found.
pub(crate) fn read_tail(file: &File, len: u64) -> std::io::Result<Tail> {
    let mut buf: Vec<u8> = Vec::new();
    let mut start = len;
    while start > 0 {
        let n = CHUNK.min(start);
        start -= n;
        let mut chunk = vec![0u8; usize::try_from(n).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut chunk, start)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        let Some(last_nl) = buf.iter().rposition(|&b| b == b'\n') else { continue };
        let begin = match buf[..last_nl].iter().rposition(|&b| b == b'\n') {
            Some(p) => p + 1,
            None if start == 0 => 0,
            None => continue,
        };
        let good_end = start + last_nl as u64 + 1;
        return Ok(Tail { good_end, last_line: Some(buf[begin..last_nl].to_vec()) });
    }
    Ok(Tail { good_end: 0, last_line: None })
}

/// True when `cut` (bytes after the last newline) can be what a crash mid-append leaves: a
/// prefix of an entry line, or zeros from a file extended before its data reached the disk.
pub(crate) fn looks_torn(cut: &[u8]) -> bool {
    const START: &[u8] = b"{\"seq\":";
    let n = cut.len().min(START.len());
    cut[..n] == START[..n] || cut.iter().all(|&b| b == 0)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::io::Write;

    fn tail_of(bytes: &[u8]) -> Tail {
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(bytes).unwrap();
        read_tail(&f, bytes.len() as u64).unwrap()
    }

    #[test]
    fn finds_last_line_and_torn_bytes() {
        assert_eq!(tail_of(b""), Tail { good_end: 0, last_line: None });
        assert_eq!(tail_of(b"abc"), Tail { good_end: 0, last_line: None });
        assert_eq!(tail_of(b"a\n"), Tail { good_end: 2, last_line: Some(b"a".to_vec()) });
        assert_eq!(tail_of(b"a\nbb\ncc"), Tail { good_end: 5, last_line: Some(b"bb".to_vec()) });
    }

    #[test]
    fn lines_longer_than_a_chunk() {
        let long = vec![b'x'; 40_000];
        let mut bytes = b"a\n".to_vec();
        bytes.extend_from_slice(&long);
        bytes.extend_from_slice(b"\n{\"se");
        let t = tail_of(&bytes);
        assert_eq!(t.last_line, Some(long));
        assert_eq!(t.good_end, 40_003);
    }

    #[test]
    fn torn_bytes_must_look_like_an_entry() {
        assert!(looks_torn(b"{\"se"));
        assert!(looks_torn(b"{\"seq\":12,\"ts\""));
        assert!(looks_torn(&[0, 0, 0]));
        assert!(!looks_torn(b"garbage"));
    }
}
