//! Property: verify catches every single-byte change, deleted, duplicated, swapped or inserted
//! line, and truncation, naming the right seq — through the streaming reference verifier and
//! the parallel file verifier (tiny segments, several threads), which must agree exactly.
use cabin::journal::entry::{Actor, Entry, GENESIS_PREV};
use cabin::journal::parallel::verify_file_with;
use cabin::journal::verify::{BreakReason, Head, VerifyStatus, verify_reader};
use chrono::{TimeZone, Utc};
use proptest::prelude::*;

/// Builds a valid journal of `msgs.len()` entries (seq 0 plays the genesis) as separate lines.
fn build(msgs: &[String]) -> (Vec<Vec<u8>>, Head) {
    build_by(msgs, "alice")
}

/// A journal written by `user`: journals of different users never share a line, even with
/// the same messages and timestamps.
fn build_by(msgs: &[String], user: &str) -> (Vec<Vec<u8>>, Head) {
    let mut lines = Vec::new();
    let mut prev = GENESIS_PREV.to_string();
    for (i, m) in msgs.iter().enumerate() {
        let mut e = Entry {
            seq: i as u64,
            ts: Utc.timestamp_opt(1_800_000_000 + i as i64, 7).unwrap(),
            actor: Actor { cluster_user: Some(user.into()), local_user: "a".into(), host: "h".into() },
            cluster: None,
            change: Some("CHG-1".into()),
            kind: "note".into(),
            targets: vec![],
            outcome: None,
            details: serde_json::json!({ "message": m }),
            prev: prev.clone(),
            hash: String::new(),
        };
        lines.push(e.seal().unwrap());
        prev = e.hash;
    }
    let head = Head { seq: msgs.len() as u64 - 1, hash: prev };
    (lines, head)
}

fn verify(bytes: &[u8], anchor: Option<&Head>) -> VerifyStatus {
    let reference = verify_reader(bytes, anchor).unwrap();
    let mut file = tempfile::tempfile().unwrap();
    std::io::Write::write_all(&mut file, bytes).unwrap();
    for (threads, segment) in [(1, 1 << 20), (2, 1), (3, 37), (2, 300)] {
        let parallel = verify_file_with(&file, bytes.len() as u64, anchor, threads, segment).unwrap();
        assert_eq!(parallel, reference, "threads {threads}, segment {segment}");
    }
    reference
}

fn broken_at(status: &VerifyStatus) -> Option<u64> {
    match status {
        VerifyStatus::Broken { seq, .. } => Some(*seq),
        VerifyStatus::Verified { .. } => None,
    }
}

fn journals() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[ -~é]{0,12}", 2..10)
}

proptest! {
    #[test]
    fn intact_journals_verify(msgs in journals()) {
        let (lines, head) = build(&msgs);
        let status = verify(&lines.concat(), Some(&head));
        prop_assert_eq!(status, VerifyStatus::Verified { entries: msgs.len() as u64, head });
    }

    #[test]
    fn any_single_byte_change_is_caught_at_its_line(msgs in journals(), pos in any::<prop::sample::Index>(), delta in 1u8..=255) {
        let (lines, head) = build(&msgs);
        let mut bytes = lines.concat();
        let at = pos.index(bytes.len());
        bytes[at] = bytes[at].wrapping_add(delta);
        let line_of_byte = bytes[..at].iter().filter(|&&b| b == b'\n').count() as u64;
        prop_assert_eq!(broken_at(&verify(&bytes, None)), Some(line_of_byte));
        prop_assert!(broken_at(&verify(&bytes, Some(&head))).is_some());
    }

    #[test]
    fn deleted_line_is_caught(msgs in journals(), pos in any::<prop::sample::Index>()) {
        let (mut lines, head) = build(&msgs);
        let i = pos.index(lines.len());
        lines.remove(i);
        let bytes = lines.concat();
        prop_assert_eq!(broken_at(&verify(&bytes, Some(&head))), Some(i as u64));
        if i + 1 < msgs.len() {
            // Only the anchor can tell that the LAST entry is gone.
            prop_assert_eq!(broken_at(&verify(&bytes, None)), Some(i as u64));
        }
    }

    #[test]
    fn duplicated_line_is_caught(msgs in journals(), pos in any::<prop::sample::Index>()) {
        let (mut lines, _) = build(&msgs);
        let i = pos.index(lines.len());
        lines.insert(i, lines[i].clone());
        prop_assert_eq!(broken_at(&verify(&lines.concat(), None)), Some(i as u64 + 1));
    }

    #[test]
    fn swapped_lines_are_caught(msgs in journals(), a in any::<prop::sample::Index>(), b in any::<prop::sample::Index>()) {
        let (mut lines, _) = build(&msgs);
        let (i, j) = (a.index(lines.len()), b.index(lines.len()));
        prop_assume!(i != j);
        lines.swap(i, j);
        prop_assert_eq!(broken_at(&verify(&lines.concat(), None)), Some(i.min(j) as u64));
    }

    #[test]
    fn inserted_line_is_caught(msgs in journals(), other in journals(), pos in any::<prop::sample::Index>(), from in any::<prop::sample::Index>()) {
        let (mut lines, _) = build(&msgs);
        // Another writer's journal: with the same user, its line could be byte-identical to
        // one of ours, and inserting a copy of line i before line i is only detectable at i+1.
        let (foreign, _) = build_by(&other, "mallory");
        let i = pos.index(lines.len() + 1);
        lines.insert(i, foreign[from.index(foreign.len())].clone());
        // A foreign genesis put first is itself valid: then the original genesis is the first bad one.
        let at = broken_at(&verify(&lines.concat(), None));
        prop_assert!(at == Some(i as u64) || (i == 0 && at == Some(1)), "inserted at {}, broken at {:?}", i, at);
    }

    #[test]
    fn truncation_is_caught(msgs in journals(), pos in any::<prop::sample::Index>()) {
        let (lines, head) = build(&msgs);
        let bytes = lines.concat();
        let cut = pos.index(bytes.len());
        let short = &bytes[..cut];
        prop_assert!(broken_at(&verify(short, Some(&head))).is_some());
        let at_line_boundary = cut == 0 || short.ends_with(b"\n");
        if !at_line_boundary {
            let status = verify(short, None);
            prop_assert!(matches!(status, VerifyStatus::Broken { reason: BreakReason::TruncatedTail { .. }, .. }), "{}", status);
        }
    }
}

#[test]
fn time_going_backwards_is_caught_even_with_valid_hashes() {
    let (mut lines, _) = build(&["a".into(), "b".into(), "c".into()]);
    let mut e: Entry = serde_json::from_slice(&lines[2][..lines[2].len() - 1]).unwrap();
    e.ts = Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    lines[2] = e.seal().unwrap();
    let status = verify(&lines.concat(), None);
    assert!(matches!(status, VerifyStatus::Broken { seq: 2, reason: BreakReason::TimeBackwards { .. } }), "{status}");
}

#[test]
fn rehashed_edit_is_caught_as_broken_chain() {
    let (mut lines, _) = build(&["a".into(), "b".into(), "c".into()]);
    let mut e: Entry = serde_json::from_slice(&lines[1][..lines[1].len() - 1]).unwrap();
    e.details = serde_json::json!({"message": "forged"});
    lines[1] = e.seal().unwrap();
    let status = verify(&lines.concat(), None);
    assert_eq!(status, VerifyStatus::Broken { seq: 2, reason: BreakReason::BrokenChain });
}
