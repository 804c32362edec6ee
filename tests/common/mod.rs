//! Shared helpers for tests that run against `cabin sim`: start a simulator on port 0 with its
//! kubeconfig in a temporary directory, run the real kubectl against it, make raw HTTPS API
//! calls, and wait for conditions with a deadline.
//!
//! Use `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`: `kubectl()` blocks the
//! calling thread while the simulator keeps serving on the other worker.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cabin::sim::{SimHandle, SimOptions, scenario};

pub mod http;

pub struct TestSim {
    pub handle: SimHandle,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
}

/// Start a simulator with a built-in scenario (or scenario file) on 127.0.0.1:0.
pub async fn start_sim(scenario_spec: &str) -> TestSim {
    let scenario = scenario::load(scenario_spec).unwrap_or_else(|e| panic!("scenario {scenario_spec:?} does not load: {e}"));
    start_sim_with(scenario).await
}

pub async fn start_sim_with(scenario: scenario::Scenario) -> TestSim {
    start_sim_with_options(scenario, |_| {}).await
}

/// Like `start_sim_with`, letting the test set more options (faults, request hook).
pub async fn start_sim_with_options(scenario: scenario::Scenario, tweak: impl FnOnce(&mut SimOptions)) -> TestSim {
    let dir = tempfile::tempdir().expect("cannot create a temporary directory");
    let kubeconfig = dir.path().join("kubeconfig");
    let mut opts = SimOptions {
        listen: "127.0.0.1:0".parse().expect("valid address"),
        scenario,
        request_log: Some(dir.path().join("requests.jsonl")),
        kubeconfig_out: Some(kubeconfig.clone()),
        ..Default::default()
    };
    tweak(&mut opts);
    let handle = cabin::sim::start(opts).await.unwrap_or_else(|e| panic!("cabin sim does not start: {e}"));
    TestSim { handle, dir, kubeconfig }
}

/// The real kubectl, found on `PATH` (these tests use it as the judge of the simulator).
pub fn kubectl_path() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path).map(|dir| dir.join("kubectl")).find(|p| p.is_file()).unwrap_or_else(|| {
        panic!(
            "kubectl is not on PATH ({}): these tests use the real kubectl as the judge of the simulator; install it",
            Path::new(&path).display()
        )
    })
}

impl TestSim {
    pub fn url(&self) -> String {
        self.handle.url()
    }

    pub fn store(&self) -> Arc<dyn cabin::sim::store_api::SimStore> {
        self.handle.store()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(kubectl_path());
        c.arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        c.env_remove("KUBECONFIG").env("HOME", self.dir.path());
        c
    }

    /// Run kubectl as `operator` (context `sim`).
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("cannot run kubectl")
    }

    /// Run kubectl as `viewer` (context `sim-viewer`).
    pub fn kubectl_as_viewer(&self, args: &[&str]) -> Output {
        let mut all = vec!["--context", "sim-viewer"];
        all.extend_from_slice(args);
        self.kubectl(&all)
    }

    /// Run kubectl, assert it succeeded, return its stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed ({}):\nstdout: {}\nstderr: {}",
            out.status,
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    /// Start kubectl in the background (for `-w`); stdout and stderr are piped.
    pub fn spawn_kubectl(&self, args: &[&str]) -> std::process::Child {
        self.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("cannot spawn kubectl")
    }

    /// Write `text` into the test directory and return its path (for `kubectl apply -f`).
    pub fn write_file(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, contents).expect("cannot write a test file");
        p
    }

    /// The bearer token of `operator` or `viewer`, from the generated kubeconfig.
    pub fn token(&self, user: &str) -> String {
        let kc: serde_json::Value = yaml_serde::from_str(&self.handle.kubeconfig_yaml()).expect("kubeconfig is YAML");
        kc["users"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|u| u["name"] == user)
            .and_then(|u| u["user"]["token"].as_str())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no user {user} in the kubeconfig"))
    }

    /// The CA certificate (PEM) from the generated kubeconfig.
    pub fn ca_pem(&self) -> String {
        use base64::Engine;
        let kc: serde_json::Value = yaml_serde::from_str(&self.handle.kubeconfig_yaml()).expect("kubeconfig is YAML");
        let data = kc["clusters"][0]["cluster"]["certificate-authority-data"].as_str().expect("CA data in kubeconfig");
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(data).expect("CA data is base64")).expect("CA is PEM text")
    }
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Poll `cond` every 50 ms until it holds or `deadline` passes (then panic naming `what`).
pub async fn wait_until(deadline: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + deadline;
    loop {
        if cond() {
            return;
        }
        if Instant::now() > end {
            panic!("timed out after {deadline:?} waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The stdout lines of a running child, read as they come; the child is killed on drop.
pub struct Lines {
    child: std::process::Child,
    rx: std::sync::mpsc::Receiver<String>,
    /// Every line read so far.
    pub all: String,
}

impl Lines {
    pub fn new(mut child: std::process::Child) -> Lines {
        use std::io::BufRead;
        let stdout = child.stdout.take().expect("child stdout is piped");
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Lines { child, rx, all: String::new() }
    }

    /// Reads lines until one satisfies `pred` (true), or the deadline passes or the output
    /// ends (false).
    pub fn until(&mut self, deadline: Duration, pred: impl Fn(&str) -> bool) -> bool {
        self.read(deadline, pred) == Read::Matched
    }

    /// Reads until the output ends (true) or the deadline passes (false).
    pub fn ends_within(&mut self, deadline: Duration) -> bool {
        self.read(deadline, |_| false) == Read::Ended
    }

    fn read(&mut self, deadline: Duration, pred: impl Fn(&str) -> bool) -> Read {
        let end = Instant::now() + deadline;
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match self.rx.recv_timeout(left) {
                Ok(line) => {
                    self.all.push_str(&line);
                    self.all.push('\n');
                    if pred(&line) {
                        return Read::Matched;
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => return Read::Ended,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => return Read::TimedOut,
            }
        }
        Read::TimedOut
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Read {
    Matched,
    Ended,
    TimedOut,
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads the child's stdout until a line satisfies `pred` or the deadline passes; kills it.
pub fn read_until(child: std::process::Child, deadline: Duration, pred: impl Fn(&str) -> bool) -> (bool, String) {
    let mut lines = Lines::new(child);
    let found = lines.until(deadline, pred);
    (found, std::mem::take(&mut lines.all))
}
