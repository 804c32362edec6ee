//! The kubeconfig the simulator writes: its CA, its URL, the users `operator`, `deployer` and
//! `viewer` with their bearer tokens, and contexts `sim` (current, operator), `sim-deployer`
//! and `sim-viewer`.
use std::path::Path;

use base64::Engine;

use super::server::auth::Tokens;

pub fn render(url: &str, ca_pem: &str, tokens: &Tokens) -> String {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem.as_bytes());
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: sim
  cluster:
    server: {url}
    certificate-authority-data: {ca}
users:
- name: operator
  user:
    token: {op}
- name: deployer
  user:
    token: {dp}
- name: viewer
  user:
    token: {ro}
contexts:
- name: sim
  context:
    cluster: sim
    user: operator
    namespace: default
- name: sim-deployer
  context:
    cluster: sim
    user: deployer
    namespace: default
- name: sim-viewer
  context:
    cluster: sim
    user: viewer
    namespace: default
current-context: sim
preferences: {{}}
",
        op = tokens.operator,
        dp = tokens.deployer,
        ro = tokens.viewer,
    )
}

/// Write `text` to `path` atomically: a temporary file in the same directory, then rename.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| "kubeconfig".into());
    let tmp = dir.join(format!(".{file}.tmp-{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
