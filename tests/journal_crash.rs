//! Crash safety and concurrency of the journal, with real separate processes:
//! a child appending in a loop is SIGKILLed at random moments (200+ times) and every
//! acknowledged entry survives with a valid chain; two concurrent writers never fork the chain.
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cabin::journal::{Journal, JournalContext, NewEntry, SystemClock, VerifyStatus, read_entries, verify_path};

/// Set in the child: the journal to append to and how many notes.
const CHILD_JOURNAL: &str = "CABIN_STRESS_CHILD_JOURNAL";
const CHILD_COUNT: &str = "CABIN_STRESS_CHILD_COUNT";

/// Not a test of its own: the appending child process the tests below start (this same test
/// binary, running only this function) and SIGKILL. It appends notes and prints `ack SEQ` on
/// stderr once each is on disk. Without the environment variables it does nothing. (This used
/// to be the hidden `cabin journal stress` command, which does not belong in the product.)
#[test]
fn helper_stress_child_appends_until_killed() {
    let (Some(path), Some(count)) = (std::env::var_os(CHILD_JOURNAL), std::env::var(CHILD_COUNT).ok()) else { return };
    let count: u64 = count.parse().unwrap();
    let (journal, _) = Journal::open(path, JournalContext::local(), Box::new(SystemClock)).unwrap();
    let mut err = std::io::stderr().lock();
    for i in 0..count {
        let e = journal.append(NewEntry::note(None, &format!("stress {i}"))).unwrap();
        // One write per line: a pipe write this small is atomic, so a kill never leaves half a line.
        if err.write_all(format!("ack {}\n", e.seq).as_bytes()).is_err() {
            break;
        }
    }
}

/// A separate process appending `count` notes to `path`; its acknowledgements come on stderr.
fn stress(path: &Path, count: u64) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["helper_stress_child_appends_until_killed", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_JOURNAL, path)
        .env(CHILD_COUNT, count.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// xorshift64*, seeded from the clock (the seed is printed so a failure can be replayed).
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

fn parse_acks(text: &str) -> Vec<u64> {
    text.lines().filter_map(|l| l.strip_prefix("ack ")).map(|n| n.trim().parse().unwrap()).collect()
}

#[test]
fn sigkill_at_random_moments_never_loses_an_acknowledged_entry() {
    let seed = std::env::var("CABIN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1);
    eprintln!("crash test seed (CABIN_CRASH_SEED): {seed}");
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let mut acked: Vec<u64> = Vec::new();
    let started = Instant::now();
    for round in 0..200 {
        let mut child = stress(&path, 1_000_000);
        let mut out = BufReader::new(child.stderr.take().unwrap());
        // Random moment: after 0..12 acknowledgements plus 0..1500 µs of jitter.
        let mut line = String::new();
        for _ in 0..rng.below(12) {
            line.clear();
            if out.read_line(&mut line).unwrap() == 0 {
                break;
            }
            acked.extend(parse_acks(&line));
        }
        std::thread::sleep(Duration::from_micros(rng.below(1500)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        acked.extend(parse_acks(&rest)); // printed (so acknowledged) before the kill

        let (_, report) = Journal::open(&path, JournalContext::local(), Box::new(SystemClock)).unwrap();
        let status = verify_path(&path, None).unwrap();
        assert!(matches!(status, VerifyStatus::Verified { .. }), "round {round}: {status}");
        let entries = read_entries(&path).unwrap();
        for &seq in &acked {
            let e = entries.get(seq as usize).unwrap_or_else(|| panic!("round {round}: acknowledged seq {seq} lost"));
            assert_eq!((e.seq, e.kind.as_str()), (seq, "note"), "round {round}");
        }
        assert!(report.head.seq >= acked.last().copied().unwrap_or(0));
    }
    assert!(!acked.is_empty(), "no entry was ever acknowledged");
    eprintln!("200 kills, {} acknowledged entries kept, {:?}", acked.len(), started.elapsed());
}

#[test]
fn two_concurrent_writers_never_fork_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.jsonl");
    let children = [stress(&path, 150), stress(&path, 150)];
    let mut all: Vec<u64> = Vec::new();
    for mut c in children {
        let mut text = String::new();
        c.stderr.take().unwrap().read_to_string(&mut text).unwrap();
        assert!(c.wait().unwrap().success());
        let acks = parse_acks(&text);
        assert_eq!(acks.len(), 150);
        all.extend(acks);
    }
    all.sort_unstable();
    assert_eq!(all, (1..=300).collect::<Vec<u64>>(), "each seq acknowledged exactly once");
    let status = verify_path(&path, None).unwrap();
    assert!(matches!(status, VerifyStatus::Verified { entries: 301, .. }), "{status}");
}
