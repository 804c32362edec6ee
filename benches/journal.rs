//! Journal benchmarks: append latency (write + fdatasync, under the file lock) and verify
//! throughput on a 1,000,000-entry journal (generated once in a temp dir; about 480 MB), on all
//! cores (what `cabin journal verify` does) and on one thread.
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use cabin::journal::entry::{Actor, ClusterRef, Entry, GENESIS_PREV};
use cabin::journal::parallel::verify_file;
use cabin::journal::{Journal, JournalContext, NewEntry, SystemClock, VerifyStatus, verify_path};
use chrono::{TimeZone, Utc};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const ENTRIES: u64 = 1_000_000;

fn ctx() -> JournalContext {
    JournalContext {
        actor: Actor { cluster_user: Some("alice@corp.example".into()), local_user: "alice".into(), host: "laptop".into() },
        cluster: Some(ClusterRef { server: "https://10.0.0.1:6443".into(), context: "prod".into() }),
    }
}

fn bench_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let (j, _) = Journal::open(dir.path().join("j.jsonl"), ctx(), Box::new(SystemClock)).expect("open");
    let mut g = c.benchmark_group("journal");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("append_fsync", |b| b.iter(|| j.append(NewEntry::note(Some("CHG-1".into()), "benchmark note")).expect("append")));
    g.finish();
}

/// Writes a valid journal of `ENTRIES` entries, like a long-lived cockpit would.
fn generate(path: &Path) {
    let file = std::fs::File::create(path).expect("create");
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let ctx = ctx();
    let mut prev = GENESIS_PREV.to_string();
    for seq in 0..ENTRIES {
        let mut e = Entry {
            seq,
            ts: Utc.timestamp_opt(1_800_000_000 + seq as i64, 123_456_789).single().expect("ts"),
            actor: ctx.actor.clone(),
            cluster: ctx.cluster.clone(),
            change: Some(format!("CHG-{}", seq / 100)),
            kind: "rollout-step".into(),
            targets: vec![],
            outcome: Some("done".into()),
            details: serde_json::json!({ "message": "canary step", "step": seq % 7 }),
            prev,
            hash: String::new(),
        };
        w.write_all(&e.seal().expect("seal")).expect("write");
        prev = e.hash;
    }
    w.flush().expect("flush");
}

fn bench_verify(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.jsonl");
    generate(&path);
    let mut g = c.benchmark_group("journal");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(ENTRIES));
    g.bench_function("verify_1m_entries", |b| {
        b.iter(|| {
            let status = verify_path(&path, None).expect("verify");
            assert!(matches!(status, VerifyStatus::Verified { entries: ENTRIES, .. }));
        })
    });
    // The same on one thread: what the parallel split buys on this machine.
    g.bench_function("verify_1m_entries_1_thread", |b| {
        b.iter(|| {
            let file = std::fs::File::open(&path).expect("open");
            let len = file.metadata().expect("metadata").len();
            let status = verify_file(&file, len, None, 1).expect("verify");
            assert!(matches!(status, VerifyStatus::Verified { entries: ENTRIES, .. }));
        })
    });
    g.finish();
}

/// The journal screen's `/` search over a million entries (what one Enter costs).
fn bench_search(c: &mut Criterion) {
    use cabin::journal::{Head, read_entries};
    use cabin::model::JournalFeed;
    use cabin::tui::screens::journal::{JournalMsg, JournalState};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("big.jsonl");
    generate(&path);
    let entries = read_entries(&path).expect("read");
    let status = VerifyStatus::Verified { entries: ENTRIES, head: Head { seq: ENTRIES - 1, hash: String::new() } };
    let mut state = JournalState::default();
    state.update(JournalMsg::Feed(JournalFeed { reset: true, entries, status }), 30);
    let mut g = c.benchmark_group("journal");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    for needle in ["chg-4242", "no such text"] {
        g.bench_function(format!("search_1m_entries/{needle}"), |b| {
            b.iter(|| {
                state.update(JournalMsg::Search(Some(needle.to_string())), 30);
                state.update(JournalMsg::Search(None), 30);
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_append, bench_verify, bench_search);
criterion_main!(benches);
