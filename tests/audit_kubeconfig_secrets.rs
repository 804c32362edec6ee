//! The kubeconfigs cabin writes hold bearer tokens: `cabin sim --kubeconfig-out` writes mode
//! 0600, and `cabin demo` keeps its kubeconfig (0600) in a new private temp directory (0700)
//! with an unguessable name — even under a permissive umask.
use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[test]
fn sim_kubeconfig_is_owner_only() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("kubeconfig");
    let script = format!("umask 022; exec {} sim --kubeconfig-out {}", env!("CARGO_BIN_EXE_cabin"), out.display());
    let mut child = Command::new("sh").args(["-c", &script]).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let result = std::panic::catch_unwind(|| {
        assert!(line.contains("listening"), "{line}");
        assert!(std::fs::read_to_string(&out).unwrap().contains("token:"));
        assert_eq!(mode(&out), 0o600, "the kubeconfig with the operator token is readable by others");
    });
    child.kill().unwrap();
    child.wait().unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

struct Tmux(String);

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.0]).status();
    }
}

#[test]
fn demo_kubeconfig_lives_in_a_new_private_directory() {
    let dir = tempfile::tempdir().unwrap();
    let (home, tmp) = (dir.path().join("home"), dir.path().join("tmp"));
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let cmd = format!(
        "umask 022; TMPDIR={tmp} HOME={home} XDG_CONFIG_HOME={home}/.config XDG_DATA_HOME={home}/.local/share XDG_STATE_HOME={home}/.local/state {bin} demo",
        tmp = tmp.display(),
        home = home.display(),
        bin = env!("CARGO_BIN_EXE_cabin"),
    );
    let session = Tmux(format!("cabin-audit-{}", std::process::id()));
    let status = Command::new("tmux")
        .args(["new-session", "-d", "-s", &session.0, "-x", "120", "-y", "40", "sh", "-c", &cmd])
        .env("TERM", "xterm-256color")
        .status()
        .expect("tmux is required for this test");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    let kubeconfig = loop {
        let found = std::fs::read_dir(&tmp).unwrap().filter_map(Result::ok).map(|e| e.path().join("kubeconfig")).find(|p| p.exists());
        if let Some(k) = found {
            break k;
        }
        assert!(Instant::now() < deadline, "the demo never wrote its kubeconfig under TMPDIR");
        std::thread::sleep(Duration::from_millis(100));
    };
    let private = kubeconfig.parent().unwrap();
    let name = private.file_name().unwrap().to_string_lossy().into_owned();
    let suffix = name.strip_prefix("cabin-demo-").unwrap_or("");
    assert!(suffix.len() == 16 && suffix.bytes().all(|b| b.is_ascii_hexdigit()), "predictable name {name}");
    assert_eq!(mode(private), 0o700, "{}", private.display());
    assert_eq!(mode(&kubeconfig), 0o600, "{}", kubeconfig.display());
    let _ = Command::new("tmux").args(["send-keys", "-t", &session.0, "q"]).status();
}
