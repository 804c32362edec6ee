//! Writes a valid journal of N entries (default 1,000,000, about 480 MB) for measuring
//! `cabin journal verify` (scripts/journal-verify.sh). Not part of the `cabin` binary.
//!
//! cargo run --release --example journal_generate -- PATH [N]
use std::io::Write;
use std::process::ExitCode;

use cabin::journal::entry::{Actor, ClusterRef, Entry, GENESIS_PREV, Target};
use chrono::{TimeZone, Utc};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: journal_generate PATH [N]");
        return ExitCode::from(2);
    };
    let Ok(count) = args.next().map_or(Ok(1_000_000), |n| n.parse::<u64>()) else {
        eprintln!("N must be a number");
        return ExitCode::from(2);
    };
    match generate(&path, count) {
        Ok(bytes) => {
            println!("{path}: {count} entries, {bytes} bytes");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("journal_generate: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Entries like a busy change run writes: actor, cluster, a target with resourceVersions,
/// details with a message and a few fields.
fn generate(path: &str, count: u64) -> Result<u64, Box<dyn std::error::Error>> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let actor = Actor { cluster_user: Some("alice@corp.example".into()), local_user: "alice".into(), host: "ops-laptop-17".into() };
    let cluster = Some(ClusterRef { server: "https://10.0.0.1:6443".into(), context: "prod-eu-west-1".into() });
    let (mut prev, mut bytes) = (GENESIS_PREV.to_string(), 0u64);
    for seq in 0..count {
        let target = Target {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: Some("payments".into()),
            name: format!("checkout-{}", seq % 40),
            resource_version_before: Some((1_000_000 + seq).to_string()),
            resource_version_after: Some((1_000_001 + seq).to_string()),
        };
        let mut e = Entry {
            seq,
            ts: Utc.timestamp_opt(1_800_000_000 + (seq as i64), 123_456_789).single().ok_or("time out of range")?,
            actor: actor.clone(),
            cluster: cluster.clone(),
            change: Some(format!("CHG-{}", seq / 100)),
            kind: "rollout-step".into(),
            targets: vec![target],
            outcome: Some("ok".into()),
            details: serde_json::json!({ "message": "canary step: set image checkout=registry.local/checkout:1.5.0", "step": seq % 7, "weight": 25 }),
            prev,
            hash: String::new(),
        };
        let line = e.seal()?;
        bytes += line.len() as u64;
        w.write_all(&line)?;
        prev = e.hash;
    }
    w.flush()?;
    Ok(bytes)
}
