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

/// The longest line (entry, or torn bytes after the last one) a journal may have; anything
/// longer is not a cabin journal, and reading on would only exhaust memory.
pub(crate) const MAX_LINE: u64 = 4 * 1024 * 1024;

/// Reads backwards from `len` until the last complete line is found. The window doubles each
/// round (linear work overall) and stops at [`MAX_LINE`] plus a chunk: a file without a line
/// end in that span is reported as damaged (`InvalidData`), never read whole.
pub(crate) fn read_tail(file: &File, len: u64) -> std::io::Result<Tail> {
    let mut window = CHUNK;
    loop {
        let start = len.saturating_sub(window);
        let mut buf = vec![0u8; usize::try_from(len - start).unwrap_or(usize::MAX)];
        file.read_exact_at(&mut buf, start)?;
        if let Some(last_nl) = buf.iter().rposition(|&b| b == b'\n') {
            let begin = match buf[..last_nl].iter().rposition(|&b| b == b'\n') {
                Some(p) => Some(p + 1),
                None if start == 0 => Some(0),
                None => None,
            };
            if let Some(begin) = begin {
                let good_end = start + last_nl as u64 + 1;
                return Ok(Tail { good_end, last_line: Some(buf[begin..last_nl].to_vec()) });
            }
        }
        if start == 0 {
            return Ok(Tail { good_end: 0, last_line: None });
        }
        if window > MAX_LINE {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("no complete entry in its last {} bytes: the file is damaged or not a cabin journal", len - start),
            ));
        }
        window = window.saturating_mul(2);
    }
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
    fn a_huge_file_without_newlines_is_damaged_not_read_whole() {
        let mut f = tempfile::tempfile().unwrap();
        let junk = vec![b'x'; usize::try_from(MAX_LINE * 3).unwrap()];
        f.write_all(&junk).unwrap();
        let err = read_tail(&f, MAX_LINE * 3).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::InvalidData);
        assert!(err.to_string().contains("damaged or not a cabin journal"), "{err}");
        // A huge last line after good ones: the same.
        let mut f = tempfile::tempfile().unwrap();
        f.write_all(b"{\"seq\":0}\n").unwrap();
        f.write_all(&junk).unwrap();
        f.write_all(b"\n").unwrap();
        assert!(read_tail(&f, f.metadata().unwrap().len()).is_err());
    }

    #[test]
    fn torn_bytes_must_look_like_an_entry() {
        assert!(looks_torn(b"{\"se"));
        assert!(looks_torn(b"{\"seq\":12,\"ts\""));
        assert!(looks_torn(&[0, 0, 0]));
        assert!(!looks_torn(b"garbage"));
    }
}
