//! Which entry kinds belong to cabin itself, and the marker on entries appended by hand.
//!
//! cabin's own entries (sessions, the journal's own events, journalled writes, change runs)
//! are what a change-advisory board relies on, so `cabin journal append` refuses their kinds:
//! [`is_reserved_kind`] is the one place that says which kinds those are (add new ones here).
//! Every entry appended by hand carries [`HAND_MARKER`] = `true` in its details, and exports and
//! the journal screen show it ([`Entry::by_hand`]).
use serde_json::{Value, json};

use super::entry::{Entry, GENESIS_KIND, NewEntry, REPAIRED_KIND};

/// Kinds cabin writes itself (exact names).
pub const RESERVED_KINDS: &[&str] = &[
    GENESIS_KIND,
    REPAIRED_KIND,
    "session-start",
    "read-only-session",
    // journalled writes (engine::write): intents and outcomes
    "rollout-step",
    "rollback",
    // the change run and its report sections
    "approval",
    "health-verdict",
];

/// Kind prefixes reserved for cabin (change runs, preflight, backups, locks, waivers, and the
/// journal's and sessions' own events).
pub const RESERVED_PREFIXES: &[&str] =
    &["change-", "run-", "preflight", "backup", "restore", "lock", "waiver", "journal-", "session-", "read-only-", "rollout-", "rollback-"];

/// The details key marking an entry appended by hand (`cabin journal append`).
pub const HAND_MARKER: &str = "byHand";

/// True when `kind` is one cabin writes itself (or may write: reserved prefixes), so it cannot
/// be appended by hand. Case-insensitive.
pub fn is_reserved_kind(kind: &str) -> bool {
    let kind = kind.trim().to_ascii_lowercase();
    RESERVED_KINDS.contains(&kind.as_str()) || RESERVED_PREFIXES.iter().any(|p| kind.starts_with(p))
}

impl NewEntry {
    /// An entry appended by hand: `details` = `{"message": …, "byHand": true}`.
    pub fn by_hand(change: Option<String>, kind: &str, message: &str) -> Self {
        Self::new(change, kind, json!({ "message": message, HAND_MARKER: true }))
    }
}

impl Entry {
    /// Was this entry appended by hand (`cabin journal append`) rather than by cabin itself?
    pub fn by_hand(&self) -> bool {
        self.details.get(HAND_MARKER) == Some(&Value::Bool(true))
    }

    /// The kind as exports and the screen show it: `[by hand] note` for hand-appended entries
    /// (the marker first, so a narrow column never cuts it off).
    pub fn kind_label(&self) -> String {
        if self.by_hand() { format!("[by hand] {}", self.kind) } else { self.kind.clone() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cabins_own_kinds_are_reserved() {
        for k in ["session-start", "read-only-session", "journal-repaired", "genesis", "rollout-step", "rollback", "approval"] {
            assert!(is_reserved_kind(k), "{k}");
        }
        // cluster::write's kinds: rollout-step, rollback, backup, lock, journal-anchor.
        for k in [
            "change-approved",
            "run-step",
            "preflight-ok",
            "backup",
            "backup-created",
            "restore",
            "lock",
            "journal-anchor",
            "waiver",
            "Session-Start",
        ] {
            assert!(is_reserved_kind(k), "{k}");
        }
        // The change run's own kinds.
        for k in [crate::domain::change::run::KIND_RUN, crate::domain::change::run::KIND_STEP] {
            assert!(is_reserved_kind(k), "{k}");
        }
        for k in ["note", "deploy-note", "cab-minutes", "ticket"] {
            assert!(!is_reserved_kind(k), "{k}");
        }
    }
}
