//! The engine's journal feed against real journal files in a tempdir: first full read + verify,
//! then only new entries, and damage (edited byte, torn tail, shrinking) → a full re-verify.
//! Every wait has a deadline; nothing sleeps and then asserts.
#[path = "fixtures/tui/journal.rs"]
mod journal;

use std::path::Path;
use std::time::Duration;

use cabin::engine::journal_feed;
use cabin::journal::{BreakReason, NewEntry, VerifyStatus};
use cabin::model::{EngineEvent, JournalFeed};
use tokio::sync::mpsc;

const DEADLINE: Duration = Duration::from_secs(10);

/// Starts a fast-polling feed; the periodic full re-verify only where a test needs it.
fn start(path: &Path) -> (mpsc::Receiver<EngineEvent>, tokio::task::JoinHandle<()>) {
    start_with_recheck(path, Duration::from_secs(3600))
}

fn start_with_recheck(path: &Path, recheck: Duration) -> (mpsc::Receiver<EngineEvent>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::channel(16);
    let handle = journal_feed::spawn_with(path.to_path_buf(), tx, Duration::from_millis(20), recheck);
    (rx, handle)
}

/// The next journal feed message, within the deadline.
async fn next_feed(rx: &mut mpsc::Receiver<EngineEvent>) -> JournalFeed {
    let wait = async {
        loop {
            match rx.recv().await {
                Some(EngineEvent::Journal(f)) => return f,
                Some(_) => continue,
                None => panic!("feed ended"),
            }
        }
    };
    tokio::time::timeout(DEADLINE, wait).await.expect("no journal feed message before the deadline")
}

/// Feed messages until one satisfies `done`, within the deadline.
async fn feed_until(rx: &mut mpsc::Receiver<EngineEvent>, done: impl Fn(&JournalFeed) -> bool) -> JournalFeed {
    let wait = async {
        loop {
            let f = next_feed(rx).await;
            if done(&f) {
                return f;
            }
        }
    };
    tokio::time::timeout(DEADLINE, wait).await.expect("condition not reached before the deadline")
}

fn verified(status: &VerifyStatus) -> Option<u64> {
    match status {
        VerifyStatus::Verified { entries, .. } => Some(*entries),
        VerifyStatus::Broken { .. } => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_read_then_only_new_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let clock = journal::write(&path);
    let (mut rx, handle) = start(&path);
    let first = next_feed(&mut rx).await;
    assert!(first.reset);
    assert_eq!(first.entries.iter().map(|e| e.seq).collect::<Vec<_>>(), (0..12).collect::<Vec<_>>());
    let head = cabin::journal::head(&path).unwrap();
    assert_eq!(first.status, VerifyStatus::Verified { entries: 12, head });

    let j = journal::open(&path, &clock);
    let a = j.append(NewEntry::note(Some("CHG-1044".into()), "first new")).unwrap();
    let b = j.append(NewEntry::note(Some("CHG-1044".into()), "second new")).unwrap();
    // The two appends may arrive in one message or two; either way only the new entries come.
    let mut got = Vec::new();
    let last = loop {
        let f = next_feed(&mut rx).await;
        assert!(!f.reset, "growth is sent as an append");
        got.extend(f.entries.iter().cloned());
        if verified(&f.status) == Some(14) {
            break f;
        }
    };
    assert_eq!(got, [a.clone(), b.clone()]);
    assert_eq!(last.status, VerifyStatus::Verified { entries: 14, head: cabin::journal::Head { seq: 13, hash: b.hash.clone() } });
    assert_eq!(b.prev, a.hash);
    handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edited_byte_is_reported_broken() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    journal::write(&path);
    let (mut rx, handle) = start(&path);
    assert_eq!(verified(&next_feed(&mut rx).await.status), Some(12));
    // Change one byte in place (same length): CHG-1042 → CHG-1043 in the approval (seq 3).
    let mut bytes = std::fs::read(&path).unwrap();
    let line3 = bytes.split(|&b| b == b'\n').nth(3).unwrap().to_vec();
    let start_of_3: usize = bytes.split(|&b| b == b'\n').take(3).map(|l| l.len() + 1).sum();
    let at = start_of_3 + line3.windows(8).position(|w| w == b"CHG-1042").unwrap() + 7;
    bytes[at] = b'3';
    std::fs::write(&path, &bytes).unwrap();
    // Make the change visible even on a file system with coarse timestamps.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options().write(true).open(&path).unwrap().set_modified(later).unwrap();
    let f = feed_until(&mut rx, |f| verified(&f.status).is_none()).await;
    assert!(f.reset);
    assert_eq!(f.status, VerifyStatus::Broken { seq: 3, reason: BreakReason::HashMismatch });
    handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_then_append_is_caught_by_the_full_recheck() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let clock = journal::write(&path);
    let (mut rx, handle) = start_with_recheck(&path, Duration::from_millis(200));
    assert_eq!(verified(&next_feed(&mut rx).await.status), Some(12));
    let bytes = std::fs::read(&path).unwrap();
    let text = String::from_utf8(bytes).unwrap().replacen("CAB approved", "CAB rejected", 1);
    std::fs::write(&path, text).unwrap();
    journal::open(&path, &clock).append(NewEntry::note(None, "after the edit")).unwrap();
    let f = feed_until(&mut rx, |f| verified(&f.status).is_none()).await;
    assert!(f.reset);
    assert_eq!(f.status, VerifyStatus::Broken { seq: 3, reason: BreakReason::HashMismatch });
    handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torn_tail_and_shrinking() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    journal::write(&path);
    let (mut rx, handle) = start(&path);
    assert_eq!(verified(&next_feed(&mut rx).await.status), Some(12));
    let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    std::io::Write::write_all(&mut file, b"{\"seq\":12,\"ts\"").unwrap();
    drop(file);
    let f = feed_until(&mut rx, |f| verified(&f.status).is_none()).await;
    assert_eq!(f.status, VerifyStatus::Broken { seq: 12, reason: BreakReason::TruncatedTail { bytes: 14 } });
    assert_eq!(f.entries.len(), 12);
    // Cut back to the first 5 lines: a full re-read.
    let bytes = std::fs::read(&path).unwrap();
    let keep: usize = bytes.split(|&b| b == b'\n').take(5).map(|l| l.len() + 1).sum();
    std::fs::write(&path, &bytes[..keep]).unwrap();
    let f = feed_until(&mut rx, |f| verified(&f.status) == Some(5)).await;
    assert!(f.reset);
    assert_eq!(f.entries.len(), 5);
    handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_journal_is_empty_and_verified_then_appears() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later/journal.jsonl");
    let (mut rx, handle) = start(&path);
    let first = next_feed(&mut rx).await;
    assert!(first.reset && first.entries.is_empty());
    assert_eq!(verified(&first.status), Some(0));
    journal::write(&path);
    let f = feed_until(&mut rx, |f| verified(&f.status) == Some(12)).await;
    assert_eq!(f.entries.last().unwrap().seq, 11);
    handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_ends_when_the_ui_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let (tx, rx) = mpsc::channel(1);
    let handle = journal_feed::spawn_with(path.clone(), tx, Duration::from_millis(10), Duration::from_millis(50));
    drop(rx);
    journal::write(&path);
    tokio::time::timeout(DEADLINE, handle).await.expect("feed did not stop").unwrap();
}
