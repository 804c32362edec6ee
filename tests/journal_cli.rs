//! The `cabin journal` command-line contract, and bad input: garbage, empty, unreadable files.
use std::path::Path;
use std::process::Output;

fn cabin(path: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_cabin")).arg("journal").args(args).arg("--journal").arg(path).output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn append(path: &Path, msg: &str) {
    let o = cabin(path, &["append", "--change", "CHG-1", "--kind", "note", "--message", msg]);
    assert!(o.status.success(), "{}", text(&o));
}

#[test]
fn verify_ok_then_names_the_first_bad_seq_after_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    for m in ["one", "two", "three"] {
        append(&path, m);
    }
    let o = cabin(&path, &["verify"]);
    assert_eq!(o.status.code(), Some(0));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.starts_with("ok: 4 entries, head "), "{out}");
    let seal = cabin(&path, &["seal"]);
    let head = String::from_utf8_lossy(&seal.stdout).to_string();
    assert!(head.starts_with("seq 3 hash ") && out.trim().ends_with(head.trim().rsplit(' ').next().unwrap()));

    let edited = std::fs::read_to_string(&path).unwrap().replace("\"two\"", "\"TWO\"");
    std::fs::write(&path, edited).unwrap();
    let o = cabin(&path, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "broken at seq 2: hash mismatch (the entry was changed after it was written)");
    // Appends check only the tail (O(1)); the damage stays detectable after more appends.
    append(&path, "more");
    let o = cabin(&path, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("broken at seq 2: hash mismatch"));
}

#[test]
fn secrets_in_messages_never_reach_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    append(&path, "Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig");
    assert!(!std::fs::read_to_string(&path).unwrap().contains("eyJhbGci"));
}

#[test]
fn garbage_file_is_reported_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    std::fs::write(&path, "this is not a journal\n").unwrap();
    let o = cabin(&path, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).starts_with("broken at seq 0: unparsable line"), "{}", text(&o));
    let o = cabin(&path, &["append", "--message", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("is damaged") && text(&o).contains("cabin journal verify"), "{}", text(&o));
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "this is not a journal\n");
}

#[test]
fn empty_and_missing_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    let o = cabin(&path, &["verify"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("cannot open journal"), "{}", text(&o));
    std::fs::write(&path, "").unwrap();
    let o = cabin(&path, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("empty journal"), "{}", text(&o));
    // An empty file is what a crash right after creating the journal leaves: append starts it.
    append(&path, "first");
    assert_eq!(cabin(&path, &["verify"]).status.code(), Some(0));
}

#[test]
fn unreadable_file_gives_a_clear_error() {
    // Failures root gets too (CI runs as root, where permission bits are not enforced): the
    // journal path is a directory, or lies under a regular file.
    let dir = tempfile::tempdir().unwrap();
    let a_dir = dir.path().join("j.jsonl");
    std::fs::create_dir(&a_dir).unwrap();
    let file = dir.path().join("plain");
    std::fs::write(&file, "x").unwrap();
    let under_a_file = file.join("j.jsonl");
    // (append under a regular file fails creating the parent directory: "File exists".)
    let cases = [(&a_dir, ["Is a directory", "Is a directory"]), (&under_a_file, ["Not a directory", "File exists"])];
    for (path, whys) in cases {
        for (args, why) in [&["verify"][..], &["append", "--message", "y"][..]].into_iter().zip(whys) {
            let o = cabin(path, args);
            assert_eq!(o.status.code(), Some(2), "{args:?} on {}: {}", path.display(), text(&o));
            let named = ["open", "read"].iter().any(|v| text(&o).contains(&format!("cannot {v} journal {}", path.display())));
            assert!(named && text(&o).contains(why), "{args:?} on {}: {}", path.display(), text(&o));
        }
    }
    assert!(a_dir.is_dir() && std::fs::read_dir(&a_dir).unwrap().next().is_none(), "nothing was written into the directory");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "x");
}

#[test]
fn torn_tail_is_repaired_on_append_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    append(&path, "kept");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"seq\":2,\"ts\":\"20");
    std::fs::write(&path, &bytes).unwrap();
    let o = cabin(&path, &["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("broken at seq 2: truncated tail"), "{}", text(&o));
    append(&path, "after");
    let o = cabin(&path, &["tail"]);
    let t = text(&o);
    assert!(t.contains("kept") && t.contains("journal-repaired") && t.contains("after"), "{t}");
    assert_eq!(cabin(&path, &["verify"]).status.code(), Some(0));
}

#[test]
fn seal_to_cluster_without_a_kubeconfig_fails_clearly_and_expect_head_detects_cut_journals() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    append(&path, "a");
    // No kubeconfig anywhere (private HOME): a clear error, exit 2 (the cluster side is in
    // tests/cluster_anchor.rs).
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_cabin"))
        .args(["journal", "seal", "--to-cluster", "--journal"])
        .arg(&path)
        .env("HOME", dir.path())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no kubeconfig found"), "{}", text(&o));
    let head = String::from_utf8_lossy(&cabin(&path, &["seal"]).stdout).to_string();
    let hash = head.trim().rsplit(' ').next().unwrap().to_string();
    append(&path, "b");
    let full = std::fs::read_to_string(&path).unwrap();
    assert_eq!(cabin(&path, &["verify", "--expect-head", &format!("1:{hash}")]).status.code(), Some(0));
    let cut: String = full.lines().take(1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&path, cut).unwrap();
    let o = cabin(&path, &["verify", "--expect-head", &format!("1:{hash}")]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("broken at seq 1: truncated"), "{}", text(&o));
}

#[test]
fn tail_follow_prints_entries_appended_later() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("j.jsonl");
    append(&path, "before");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cabin"))
        .args(["journal", "tail", "-f", "--journal"])
        .arg(&path)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let wait_for = |needle: &str| loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) if line.contains(needle) => break,
            Ok(_) => {}
            Err(_) => panic!("tail -f never printed {needle:?}"),
        }
    };
    wait_for("before");
    append(&path, "followed");
    wait_for("followed");
    child.kill().unwrap();
    child.wait().unwrap();
}
