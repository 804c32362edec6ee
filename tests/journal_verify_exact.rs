//! The parallel verifier (fast line scanner + segments) gives exactly the verdict of the
//! streaming reference verifier, also for lines that only the slow path can judge: odd JSON in
//! details (floats, exponents, escapes, surrogates, deep nesting), re-hashed edits that make a
//! line unparsable, non-canonical times, huge seqs, and lines longer than a segment.
use cabin::journal::entry::{Actor, ClusterRef, Entry, GENESIS_PREV, Target, hash_hex};
use cabin::journal::parallel::verify_file_with;
use cabin::journal::verify::{Head, VerifyStatus, verify_reader};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;
use serde_json::Value;

fn entry(seq: u64, details: Value, prev: &str) -> Entry {
    Entry {
        seq,
        ts: Utc.timestamp_opt(1_800_000_000 + seq as i64, 123_456_789).unwrap(),
        actor: Actor { cluster_user: Some("alice@corp".into()), local_user: "alice".into(), host: "laptop".into() },
        cluster: Some(ClusterRef { server: "https://10.0.0.1:6443".into(), context: "prod".into() }),
        change: Some("CHG-7".into()),
        kind: "rollout-step".into(),
        targets: vec![Target {
            group: "apps".into(),
            kind: "Deployment".into(),
            namespace: Some("payments".into()),
            name: "api".into(),
            resource_version_before: Some("41".into()),
            resource_version_after: None,
        }],
        outcome: Some("ok".into()),
        details,
        prev: prev.into(),
        hash: String::new(),
    }
}

fn journal(details: &[Value]) -> (Vec<Vec<u8>>, Head) {
    let mut prev = GENESIS_PREV.to_string();
    let mut lines = Vec::new();
    for (i, d) in details.iter().enumerate() {
        let mut e = entry(i as u64, d.clone(), &prev);
        lines.push(e.seal().unwrap());
        prev = e.hash;
    }
    (lines, Head { seq: details.len() as u64 - 1, hash: prev })
}

/// Re-hashes a (possibly edited) line so its own hash is valid again: a forger's edit.
fn reseal(line: &[u8]) -> Vec<u8> {
    let body = &line[..line.len() - 1];
    let cut = body.len() - (9 + 64 + 2);
    let prefix = &body[..cut];
    let hash = hash_hex(&[prefix, b"}"].concat());
    [prefix, b",\"hash\":\"", hash.as_bytes(), b"\"}\n"].concat()
}

fn assert_same(bytes: &[u8], anchor: Option<&Head>) -> VerifyStatus {
    let reference = verify_reader(bytes, anchor).unwrap();
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    let tiny = if bytes.len() > 1 << 20 { 4096 } else { 1 };
    for (threads, segment) in [(1, 1 << 20), (2, tiny), (2, 53.max(tiny)), (3, 400.max(tiny)), (4, 4096)] {
        let parallel = verify_file_with(&file, bytes.len() as u64, anchor, threads, segment).unwrap();
        assert_eq!(parallel, reference, "threads {threads}, segment {segment}");
    }
    reference
}

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[ -~éü✔\u{1b}\n\t\"\\\\\u{202e}\u{10348}]{0,16}".prop_map(Value::String),
    ];
    leaf.prop_recursive(6, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z\u{1b}\"]{0,6}", inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn any_details_verify_the_same(details in prop::collection::vec(json(), 1..8)) {
        let (lines, head) = journal(&details);
        let status = assert_same(&lines.concat(), Some(&head));
        prop_assert!(matches!(status, VerifyStatus::Verified { .. }), "{}", status);
    }

    #[test]
    fn resealed_byte_edits_get_the_same_verdict(
        details in prop::collection::vec(json(), 2..6),
        line in any::<prop::sample::Index>(),
        pos in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let (mut lines, head) = journal(&details);
        let i = line.index(lines.len());
        let body_len = lines[i].len() - (1 + 9 + 64 + 2);
        let at = pos.index(body_len);
        lines[i][at] = byte;
        if byte != b'\n' {
            lines[i] = reseal(&lines[i]);
        }
        assert_same(&lines.concat(), Some(&head));
        assert_same(&lines.concat(), None);
    }

    #[test]
    fn resealed_text_edits_get_the_same_verdict(
        details in prop::collection::vec(json(), 2..5),
        line in any::<prop::sample::Index>(),
        edit in prop::sample::select(vec![
            ("\"seq\":", "\"seq\":0"), ("\"seq\":", "\"seq\":18446744073709551615"), ("\"seq\":", "\"seq\": "),
            ("T", "t"), ("Z\"", "+00:00\""), ("Z\"", "+01:00\""), (".123456789Z", "Z"), (".123456789Z", ".1Z"),
            ("2027", "0999"), ("\"kind\":", "\"kind\":\"x\",\"kind\":"), ("\"cluster\":{", "\"cluster\":null,\"x\":{"),
            ("\"details\":", "\"details\":1.5e3,\"d\":"), ("\"details\":", "\"details\":[1e400],\"d\":"),
            ("\"details\":", "\"details\":\"\\ud800\",\"d\":"), ("\"details\":", "\"details\":\"\\ud83d\\ude00\",\"d\":"),
            ("\"details\":", "\"details\":-0.0,\"d\":"), ("\"details\":", "\"details\":01,\"d\":"),
            ("\"details\":", "\"details\":123456789012345678901234567890,\"d\":"),
            ("\"outcome\":\"ok\"", "\"outcome\":null"), ("\"prev\":\"", "\"prev\":\"A"), ("\"namespace\":", "\"namespace\" :"),
        ]),
    ) {
        let (mut lines, head) = journal(&details);
        let i = line.index(lines.len());
        let text = String::from_utf8(lines[i].clone()).unwrap();
        let edited = text.replacen(edit.0, edit.1, 1);
        lines[i] = reseal(edited.as_bytes());
        assert_same(&lines.concat(), Some(&head));
    }
}

#[test]
fn deep_nesting_and_lines_longer_than_a_segment() {
    let mut deep = Value::from(1);
    for _ in 0..120 {
        deep = Value::Array(vec![deep]);
    }
    let long = Value::from("x".repeat(50_000));
    let (lines, head) = journal(&[Value::Null, deep, long, Value::from(2.5), Value::from(-7)]);
    let status = assert_same(&lines.concat(), Some(&head));
    assert!(matches!(status, VerifyStatus::Verified { entries: 5, .. }), "{status}");
    // Past serde_json's recursion limit: unparsable both ways.
    let mut deeper = Value::from(1);
    for _ in 0..200 {
        deeper = Value::Array(vec![deeper]);
    }
    let mut e = entry(1, deeper, &entry_hash(&lines[0]));
    let line = e.seal().unwrap();
    let status = assert_same(&[lines[0].clone(), line].concat(), None);
    assert!(matches!(status, VerifyStatus::Broken { seq: 1, .. }), "{status}");
}

fn entry_hash(line: &[u8]) -> String {
    let e: Entry = serde_json::from_slice(&line[..line.len() - 1]).unwrap();
    e.hash
}

#[test]
fn lines_and_torn_tails_longer_than_the_append_paths_limit() {
    let huge = Value::from("y".repeat(5 << 20));
    let (lines, head) = journal(&[Value::Null, huge]);
    let status = assert_same(&lines.concat(), Some(&head));
    assert!(matches!(status, VerifyStatus::Verified { entries: 2, .. }), "{status}");
    let mut torn = lines[0].clone();
    torn.extend(std::iter::repeat_n(b'z', 5 << 20));
    let status = assert_same(&torn, None);
    assert!(matches!(status, VerifyStatus::Broken { seq: 1, .. }), "{status}");
}

#[test]
fn empty_garbage_and_torn_files() {
    for bytes in [&b""[..], b"\n", b"garbage", b"garbage\n", b"{\"seq\":0", &[0xff, 0xfe, b'\n']] {
        assert_same(bytes, None);
    }
    let (lines, head) = journal(&[Value::Null, Value::Null]);
    let mut bytes = lines.concat();
    bytes.extend_from_slice(b"{\"seq\":2,\"ts");
    assert_same(&bytes, Some(&head));
}

/// Segments far longer than one read (128 KiB): lines cross the reads, and an edit deep in a
/// segment is found where the streaming verifier finds it.
#[test]
fn long_segments_are_read_in_pieces_with_the_same_verdict() {
    let details: Vec<Value> = (0..4000).map(|i| serde_json::json!({"note": "x".repeat(100 + i % 257), "i": i})).collect();
    let (mut lines, head) = journal(&details);
    let bytes = lines.concat();
    assert!(bytes.len() > 2 << 20, "{} bytes", bytes.len());
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &bytes).unwrap();
    for segment in [1 << 20, cabin::journal::parallel::SEGMENT] {
        let whole = verify_file_with(&file, bytes.len() as u64, Some(&head), 2, segment).unwrap();
        assert_eq!(whole, verify_reader(&bytes[..], Some(&head)).unwrap());
        assert!(matches!(whole, VerifyStatus::Verified { entries: 4000, .. }), "{whole}");
    }
    // One byte of entry 3,001 (about 2 MiB in) changed: broken exactly there.
    let at = lines[3001].iter().position(|b| *b == b'x').unwrap();
    lines[3001][at] = b'y';
    let bytes = lines.concat();
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, &bytes).unwrap();
    let reference = verify_reader(&bytes[..], Some(&head)).unwrap();
    assert!(matches!(reference, VerifyStatus::Broken { seq: 3001, .. }), "{reference}");
    for segment in [1 << 20, cabin::journal::parallel::SEGMENT] {
        assert_eq!(verify_file_with(&file, bytes.len() as u64, Some(&head), 2, segment).unwrap(), reference);
    }
}
