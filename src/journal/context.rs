//! Who is writing, to which cluster, and what time it is — passed in so tests are deterministic.
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::JournalError;
use super::entry::{Actor, ClusterRef};

/// The source of entry timestamps.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Identity and cluster stamped on every entry a [`super::Journal`] writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalContext {
    pub actor: Actor,
    pub cluster: Option<ClusterRef>,
}

impl JournalContext {
    /// The local user and host, no cluster identity (for the CLI's `append`).
    pub fn local() -> Self {
        let local_user = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .or_else(user_from_passwd)
            .unwrap_or_else(|| "unknown".to_string());
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .or_else(|| std::env::var("HOSTNAME").ok())
            .unwrap_or_else(|| "unknown".to_string());
        Self { actor: Actor { cluster_user: None, local_user, host }, cluster: None }
    }
}

/// The name of this process's real uid in /etc/passwd (when $USER is not set, e.g. in services).
fn user_from_passwd() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let uid = status.lines().find_map(|l| l.strip_prefix("Uid:"))?.split_whitespace().next()?.to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let mut f = l.split(':');
        let name = f.next()?;
        (f.nth(1)? == uid).then(|| name.to_string())
    })
}

/// `$XDG_DATA_HOME/cabin/journal.jsonl` (via `directories`).
pub fn default_path() -> Result<PathBuf, JournalError> {
    directories::ProjectDirs::from("", "", "cabin").map(|d| d.data_dir().join("journal.jsonl")).ok_or(JournalError::NoDefaultPath)
}
