//! The kubeconfig the simulator writes: its CA, its URL, the users `operator`, `deployer` and
//! `viewer` with their bearer tokens, and contexts `sim` (current, operator), `sim-deployer`
//! and `sim-viewer`.
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::Digest;

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

/// Write `text` to `path` atomically: a new temporary file in the same directory, readable by
/// the owner only (mode 0600: the kubeconfig holds bearer tokens), then rename.
pub fn write_atomic(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_else(|| "kubeconfig".into());
    let tmp = dir.join(format!(".{file}.tmp-{}", unpredictable()));
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
    if let Err(e) = f.write_all(text.as_bytes()).and_then(|()| f.sync_all()) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path)
}

/// A new directory `PREFIX-RANDOM` in the system temp dir, mode 0700, that did not exist before
/// (so nobody can have prepared it, or a symlink in its place).
pub fn private_dir(prefix: &str) -> std::io::Result<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let base = std::env::temp_dir();
    let mut last = None;
    for _ in 0..16 {
        let dir = base.join(format!("{prefix}-{}", unpredictable()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary directory name")))
}

/// 16 hex digits nobody can guess in advance: SHA-256 of the clock, the pid, a counter and
/// bytes from the kernel's random source when it is readable.
fn unpredictable() -> String {
    use std::io::Read;
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut seed = Vec::with_capacity(64);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    seed.extend_from_slice(&now.to_le_bytes());
    seed.extend_from_slice(&std::process::id().to_le_bytes());
    seed.extend_from_slice(&COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let mut random = [0u8; 16];
    if std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut random)).is_ok() {
        seed.extend_from_slice(&random);
    }
    let digest = sha2::Sha256::digest(&seed);
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn kubeconfig_is_owner_only_even_when_replacing_a_readable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kubeconfig");
        std::fs::write(&path, "old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        write_atomic(&path, "token: secret").unwrap();
        assert_eq!(mode(&path), 0o600);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "token: secret");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "no temporary file left");
    }

    #[test]
    fn private_dirs_are_new_owner_only_and_unpredictable() {
        let a = private_dir("cabin-test").unwrap();
        let b = private_dir("cabin-test").unwrap();
        assert_ne!(a, b);
        assert_eq!(mode(&a), 0o700);
        let name = a.file_name().unwrap().to_string_lossy().into_owned();
        assert_ne!(name, format!("cabin-test-{}", std::process::id()));
        assert_eq!(name.len(), "cabin-test-".len() + 16);
        std::fs::remove_dir(&a).unwrap();
        std::fs::remove_dir(&b).unwrap();
    }
}
