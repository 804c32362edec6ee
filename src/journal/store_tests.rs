use super::*;
use crate::journal::entry::Actor;
use crate::journal::verify::{VerifyStatus, verify_path};
use chrono::{DateTime, TimeZone, Utc};
use std::sync::atomic::{AtomicI64, Ordering};

/// A clock that advances one second per call.
struct StepClock(AtomicI64);

impl Clock for StepClock {
    fn now(&self) -> DateTime<Utc> {
        Utc.timestamp_opt(1_800_000_000 + self.0.fetch_add(1, Ordering::SeqCst), 0).unwrap()
    }
}

fn ctx() -> JournalContext {
    JournalContext { actor: Actor { cluster_user: None, local_user: "t".into(), host: "h".into() }, cluster: None }
}

fn open(path: &Path) -> (Journal, OpenReport) {
    Journal::open(path, ctx(), Box::new(StepClock(AtomicI64::new(0)))).unwrap()
}

fn assert_ok(path: &Path, entries: u64) {
    match verify_path(path, None).unwrap() {
        VerifyStatus::Verified { entries: n, .. } => assert_eq!(n, entries),
        other => panic!("expected verified, got {other}"),
    }
}

#[test]
fn creates_genesis_and_appends_a_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/j.jsonl");
    let (j, report) = open(&path);
    assert!(report.created);
    assert_eq!(report.head.seq, 0);
    let e1 = j.append(NewEntry::note(Some("CHG-1".into()), "hello")).unwrap();
    let e2 = j.append(NewEntry::note(None, "again")).unwrap();
    assert_eq!((e1.seq, e2.seq), (1, 2));
    assert_eq!(e2.prev, e1.hash);
    assert_ok(&path, 3);
    assert_eq!(head(&path).unwrap(), Head { seq: 2, hash: e2.hash.clone() });
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let (_, again) = open(&path);
    assert!(!again.created && again.repaired.is_none());
}

#[test]
fn round_trip_reads_back_what_was_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (j, _) = open(&path);
    let written = j.append(NewEntry::note(Some("CHG-9".into()), "round trip")).unwrap();
    let read = crate::journal::read_entries(&path).unwrap();
    assert_eq!(read.len(), 2);
    assert_eq!(read[1], written);
}

#[test]
fn time_never_goes_backwards_even_if_the_clock_does() {
    struct Backwards(AtomicI64);
    impl Clock for Backwards {
        fn now(&self) -> DateTime<Utc> {
            Utc.timestamp_opt(1_800_000_000 - self.0.fetch_add(10, Ordering::SeqCst), 0).unwrap()
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (j, _) = Journal::open(&path, ctx(), Box::new(Backwards(AtomicI64::new(0)))).unwrap();
    let a = j.append(NewEntry::note(None, "a")).unwrap();
    let b = j.append(NewEntry::note(None, "b")).unwrap();
    assert!(b.ts >= a.ts);
    assert_ok(&path, 3);
}

#[test]
fn torn_tail_is_cut_and_recorded_without_losing_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (j, _) = open(&path);
    let kept = j.append(NewEntry::note(None, "acknowledged")).unwrap();
    let torn = b"{\"seq\":2,\"ts\":\"1999-";
    std::fs::OpenOptions::new().append(true).open(&path).unwrap().write_all(torn).unwrap();
    assert!(matches!(verify_path(&path, None).unwrap(), VerifyStatus::Broken { seq: 2, .. }));
    let (_, report) = open(&path);
    let r = report.repaired.unwrap();
    assert_eq!((r.cut_bytes, r.seq), (torn.len() as u64, 2));
    assert_eq!(r.cut_sha256, entry::hash_hex(torn));
    let entries = crate::journal::read_entries(&path).unwrap();
    assert_eq!(entries[1], kept);
    assert_eq!(entries[2].kind, REPAIRED_KIND);
    assert_eq!(entries[2].details["cutBytes"], torn.len());
    assert!(!std::fs::read_to_string(&path).unwrap().contains("1999-"));
    assert_ok(&path, 3);
}

#[test]
fn torn_genesis_is_rewritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    std::fs::write(&path, b"{\"seq\":0,\"ts").unwrap();
    let (_, report) = open(&path);
    assert!(report.created);
    assert_eq!(report.repaired.unwrap().seq, 1);
    assert_ok(&path, 2);
}

/// Writes `keep` bytes of whatever it is given, then fails like a full disk.
struct FullDisk<'f> {
    inner: &'f File,
    keep: usize,
}

impl Write for FullDisk<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.keep == 0 {
            return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
        }
        let n = buf.len().min(self.keep);
        self.keep -= n;
        self.inner.write(&buf[..n])
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_writer_failing_mid_entry_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (j, _) = open(&path);
    let before = j.append(NewEntry::note(None, "safe")).unwrap();
    fn full_disk(f: &File) -> Box<dyn Write + '_> {
        Box::new(FullDisk { inner: f, keep: 17 })
    }
    let err = j.append_via(NewEntry::note(None, "lost"), &full_disk).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("NOT recorded") && msg.contains("No space left"), "{msg}");
    assert_ok(&path, 2);
    assert_eq!(head(&path).unwrap().hash, before.hash);
    let after = j.append(NewEntry::note(None, "after")).unwrap();
    assert_eq!(after.prev, before.hash);
    assert_ok(&path, 3);
}

#[test]
fn garbage_and_damaged_files_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in [("nl.txt", &b"hello\nworld\n"[..]), ("raw.bin", &b"\x7fELF\x02\x01garbage"[..])] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let err = Journal::open(&path, ctx(), Box::new(StepClock(AtomicI64::new(0)))).err().unwrap();
        assert!(matches!(err, JournalError::Damaged { .. }), "{err}");
        assert!(err.to_string().contains("cabin journal verify"));
        assert_eq!(std::fs::read(&path).unwrap(), content);
    }
}

#[test]
fn a_last_seq_of_u64_max_is_damage_not_a_panic_or_a_wrap() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let (j, _) = open(&path);
    let genesis = std::fs::read(&path).unwrap();
    // A forged last line with a valid hash of its own (anyone can compute one).
    let mut forged = j.append(NewEntry::note(None, "x")).unwrap();
    forged.seq = u64::MAX;
    let line = forged.seal().unwrap();
    std::fs::write(&path, [&genesis[..], &line[..]].concat()).unwrap();
    let before = std::fs::read(&path).unwrap();
    match j.append(NewEntry::note(None, "next")) {
        Err(JournalError::Damaged { detail, .. }) => assert!(detail.contains("18446744073709551615"), "{detail}"),
        other => panic!("expected Damaged, got {other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "nothing was written");
}
