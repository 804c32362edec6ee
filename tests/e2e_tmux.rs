//! End-to-end: the real binary in a real terminal (tmux), as a person would use it.
//! `cabin demo` in a 120x40 pane must show the demo workloads with ready counts, `q` must exit
//! with status 0 and leave the terminal restored (the shell prompt back, no alternate screen).
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

struct Tmux {
    session: String,
}

impl Tmux {
    fn start(cmd: &str) -> Tmux {
        Self::start_named(cmd, "main")
    }

    fn start_named(cmd: &str, name: &str) -> Tmux {
        assert!(
            Command::new("tmux").arg("-V").output().is_ok(),
            "tmux is required for the end-to-end tests (apt-get install tmux; .ci/run does it)"
        );
        let session = format!("cabin-e2e-{}-{name}", std::process::id());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &session, "-x", "120", "-y", "40"])
            .args(["sh", "-c", cmd])
            .env("TERM", "xterm-256color")
            .status()
            .expect("start tmux");
        assert!(status.success(), "tmux new-session failed");
        // keep the pane after the command exits so we can read the exit marker
        let _ = Command::new("tmux").args(["set-option", "-t", &session, "remain-on-exit", "on"]).status();
        Tmux { session }
    }

    /// The visible pane plus its history: when the pane dies, tmux 3.3 may draw its
    /// "Pane is dead" line on the bottom row with a linefeed, scrolling the top line
    /// (our exit marker) into the history.
    fn capture(&self) -> String {
        let out = Command::new("tmux").args(["capture-pane", "-p", "-S", "-", "-t", &self.session]).output().expect("capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux").args(["send-keys", "-t", &self.session]).args(keys).status().expect("send-keys");
        assert!(status.success());
    }

    /// Waits until the pane satisfies `pred`, or panics with the last screen.
    fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; last screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.session]).status();
    }
}

fn ready_count_rows(screen: &str) -> usize {
    // rows like "payments-api   3/3" : a digit, a slash, a digit
    let re = regex::Regex::new(r"\b\d+/\d+\b").expect("regex");
    screen.lines().filter(|l| re.is_match(l)).count()
}

#[test]
fn demo_shows_workloads_and_q_exits_cleanly() {
    let bin = env!("CARGO_BIN_EXE_cabin");
    let dir = tempfile::tempdir().expect("tempdir");
    let marker = dir.path().join("exit-code");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    // A private HOME/XDG so the test never reads or writes the user's config and journal.
    let cmd = format!(
        "HOME={home} XDG_CONFIG_HOME={home}/.config XDG_DATA_HOME={home}/.local/share XDG_STATE_HOME={home}/.local/state {bin} demo; echo $? > {marker}; echo CABIN-EXITED",
        home = home.display(),
        bin = bin,
        marker = marker.display()
    );
    let tmux = Tmux::start(&cmd);
    let screen =
        tmux.wait_for("demo workloads with ready counts", Duration::from_secs(60), |s| s.contains("payments") && ready_count_rows(s) >= 3);
    assert!(screen.contains("payments"), "{screen}");

    tmux.keys(&["q"]);
    let after = tmux.wait_for("cabin to exit", Duration::from_secs(20), |s| s.contains("CABIN-EXITED"));
    let code = wait_file(&marker, Duration::from_secs(5));
    assert_eq!(code.trim(), "0", "cabin demo exit status; screen:\n{after}");
    // Terminal restored: the alternate screen is gone, so the dashboard is no longer visible.
    assert!(ready_count_rows(&after) == 0, "dashboard still on screen after exit (terminal not restored):\n{after}");
}

fn wait_file(path: &Path, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(s) = std::fs::read_to_string(path)
            && !s.is_empty()
        {
            return s;
        }
        assert!(Instant::now() < deadline, "{} never written", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A private HOME/XDG prefix, so a test never reads or writes the user's config and journal.
fn private_env(home: &Path) -> String {
    format!(
        "HOME={home} XDG_CONFIG_HOME={home}/.config XDG_DATA_HOME={home}/.local/share XDG_STATE_HOME={home}/.local/state",
        home = home.display()
    )
}

/// Opens `cabin ARGS` in tmux and returns the first screen showing the demo's workloads.
fn demo_screen(args: &str, config: Option<&str>, name: &str) -> String {
    demo_screen_until(args, config, name, |s| s.contains("payments") && ready_count_rows(s) >= 3)
}

/// Opens `cabin ARGS` in tmux and returns the first screen that satisfies `done`.
fn demo_screen_until(args: &str, config: Option<&str>, name: &str, done: impl Fn(&str) -> bool) -> String {
    let bin = env!("CARGO_BIN_EXE_cabin");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".config/cabin")).expect("home");
    if let Some(text) = config {
        std::fs::write(home.join(".config/cabin/config.yaml"), text).expect("config");
    }
    let cmd = format!("{} {bin} {args}; echo CABIN-EXITED; sleep 30", private_env(&home));
    let tmux = Tmux::start_named(&cmd, name);
    let screen = tmux.wait_for("the expected screen", Duration::from_secs(60), done);
    if screen.contains("did you mean") {
        // Close the warnings popup first (esc and q in one burst would read as alt-q).
        tmux.keys(&["Escape"]);
        tmux.wait_for("the warnings popup to close", Duration::from_secs(10), |s| !s.contains("did you mean"));
    }
    tmux.keys(&["q"]);
    tmux.wait_for("cabin to exit", Duration::from_secs(20), |s| s.contains("CABIN-EXITED"));
    screen
}

#[test]
fn read_only_before_the_subcommand_is_honoured() {
    let screen = demo_screen("--read-only demo", None, "ro-flag");
    assert!(screen.lines().take(3).any(|l| l.contains("READ-ONLY")), "no READ-ONLY badge:\n{screen}");
}

#[test]
fn a_misspelt_read_only_in_the_config_fails_closed() {
    let screen = demo_screen_until("demo", Some("readonly: false\ntheme: light\n"), "ro-typo", |s| s.contains("did you mean"));
    assert!(screen.lines().take(3).any(|l| l.contains("READ-ONLY")), "a config whose readOnly cannot be read must be read-only:\n{screen}");
    assert!(screen.contains("did you mean"), "the reason is on screen:\n{screen}");
}

#[test]
fn a_writable_demo_has_no_badge() {
    let screen = demo_screen("demo", None, "rw");
    assert!(!screen.lines().take(3).any(|l| l.contains("READ-ONLY")), "{screen}");
}

/// The demo's two stories, as a newcomer sees them: CHG-2001 runs from preflight to completed;
/// CHG-2002's release candidate crash-loops, fails its canary gate and rolls back by itself.
#[test]
fn the_demo_runs_one_change_and_rolls_back_the_other() {
    let bin = env!("CARGO_BIN_EXE_cabin");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    let cmd = format!("{} {bin} demo; echo CABIN-EXITED; sleep 30", private_env(&home));
    let tmux = Tmux::start_named(&cmd, "stories");
    // As a person would: run a change once the pending-changes panel says its preflight is ok.
    let ready = |id: &str| {
        tmux.wait_for("the change ready with its preflight ok", Duration::from_secs(90), |s| {
            s.lines().any(|l| l.contains(id) && l.contains("ready") && l.contains(" ok "))
        });
    };
    ready("CHG-2001");
    let start = |id: &str| {
        tmux.keys(&[":", &format!("run {id}"), "Enter"]);
        tmux.wait_for("the confirmation with the plan", Duration::from_secs(60), |s| {
            s.contains(&format!("run {id}?")) && s.contains("Rollback plan")
        });
        tmux.keys(&["y"]);
    };
    // The stepper's line (the run screen's first line).
    let stepper = |end: &'static str| move |s: &str| s.lines().take(6).any(|l| l.contains("preflight") && l.contains(end));
    start("CHG-2001");
    let mid = tmux
        .wait_for("the canary's gauge and countdown", Duration::from_secs(120), |s| s.contains("hold 1/3 ·") && s.contains("left of 20s"));
    assert!(mid.contains("◷ canary 1/") && mid.contains("✔ backup") && mid.contains("ready "), "{mid}");
    let done = tmux.wait_for("the run completed", Duration::from_secs(180), stepper("✔ verify"));
    assert!(done.contains("✔ canary 1/") && done.contains("✔ 2/3") && done.contains("✔ 100 %"), "{done}");
    assert!(done.contains("backup pre-change-chg-2001-") && done.contains("Completed"), "{done}");
    tmux.keys(&["Escape"]);
    ready("CHG-2002");
    start("CHG-2002");
    let back = tmux.wait_for("the canary's gate failed and rolled back", Duration::from_secs(180), stepper("✔ ↩ rollback"));
    assert!(back.contains("✖ canary 1/") && back.contains("◌ 100 %"), "{back}");
    assert!(back.contains("health gate failed"), "{back}");
    tmux.keys(&["q"]);
    tmux.wait_for("cabin to exit", Duration::from_secs(20), |s| s.contains("CABIN-EXITED"));
}

#[test]
fn demo_lists_its_change_requests_inside_an_open_window() {
    let bin = env!("CARGO_BIN_EXE_cabin");
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home).expect("home");
    // From another directory: the demo's change requests are embedded in the binary.
    let cmd = format!(
        "cd / && HOME={home} XDG_CONFIG_HOME={home}/.config XDG_DATA_HOME={home}/.local/share XDG_STATE_HOME={home}/.local/state {bin} demo; echo CABIN-EXITED",
        home = home.display(),
        bin = bin,
    );
    let tmux = Tmux::start_named(&cmd, "changes");
    tmux.wait_for("the pending changes with their preflight", Duration::from_secs(60), |s| {
        s.contains("pending changes") && (s.contains("blocked") || s.contains("ok")) && s.contains("CHG-2004")
    });
    tmux.keys(&["C"]);
    let screen = tmux.wait_for("the changes screen with the checklist", Duration::from_secs(30), |s| {
        s.contains("WHAT CHANGES")
            && s.contains("PREFLIGHT")
            && s.contains("ghcr.io/acme/payments-api:1.14.2 → ghcr.io/acme/payments-api:1.14.3")
    });
    // The demo lays its windows around its start: every change's window is open.
    for id in ["CHG-2001", "CHG-2002", "CHG-2003", "CHG-2004"] {
        let row = screen.lines().find(|l| l.contains(id)).unwrap_or_else(|| panic!("{id} missing:\n{screen}"));
        assert!(row.contains("open "), "{id} not inside an open window: {row}\n{screen}");
    }
    tmux.keys(&["q"]);
    tmux.wait_for("cabin to exit", Duration::from_secs(20), |s| s.contains("CABIN-EXITED"));
}
