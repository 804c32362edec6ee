//! Connection state from the watchers' signals: Connecting until every watch has listed,
//! Reconnecting while any is failing, Lost when the user must act (401, everything forbidden).
use std::collections::{BTreeMap, BTreeSet};

use crate::cluster::ClusterError;
use crate::cluster::watch::KINDS;
use crate::model::ConnState;

#[derive(Debug, Default)]
pub struct Health {
    listed: BTreeSet<&'static str>,
    failing: BTreeMap<&'static str, (String, bool)>,
    forbidden: BTreeSet<&'static str>,
}

impl Health {
    /// A watch delivered an event: it works again.
    pub fn changed(&mut self, kind: &'static str, initial_done: bool) {
        self.failing.remove(kind);
        if initial_done {
            self.listed.insert(kind);
        }
    }

    /// A watch failed. Returns true when this is a new 403 for that kind (worth a message).
    pub fn failed(&mut self, kind: &'static str, error: &ClusterError) -> bool {
        if matches!(error, ClusterError::Forbidden { .. }) {
            self.failing.remove(kind);
            return self.forbidden.insert(kind);
        }
        let needs_user = matches!(error, ClusterError::Unauthorized { .. });
        self.failing.insert(kind, (error.to_string(), needs_user));
        false
    }

    pub fn state(&self) -> ConnState {
        if let Some((msg, _)) = self.failing.values().find(|(_, needs_user)| *needs_user) {
            return ConnState::Lost { last_error: msg.clone() };
        }
        if self.forbidden.len() == KINDS.len() {
            return ConnState::Lost { last_error: "forbidden to watch anything in this scope".to_string() };
        }
        if let Some((msg, _)) = self.failing.values().next() {
            return ConnState::Reconnecting { last_error: msg.clone() };
        }
        let all_listed = KINDS.iter().all(|k| self.listed.contains(k) || self.forbidden.contains(k));
        if all_listed { ConnState::Live } else { ConnState::Connecting }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unreachable() -> ClusterError {
        ClusterError::Unreachable { context: "c".into(), url: "https://x".into(), detail: "connection refused".into() }
    }

    #[test]
    fn live_only_after_every_watch_listed() {
        let mut h = Health::default();
        for k in &KINDS[..KINDS.len() - 1] {
            h.changed(k, true);
        }
        assert_eq!(h.state(), ConnState::Connecting);
        h.changed(KINDS[KINDS.len() - 1], true);
        assert_eq!(h.state(), ConnState::Live);
    }

    #[test]
    fn failure_reconnects_and_recovers() {
        let mut h = Health::default();
        for k in KINDS {
            h.changed(k, true);
        }
        h.failed("pods", &unreachable());
        match h.state() {
            ConnState::Reconnecting { last_error } => assert!(last_error.contains("connection refused")),
            other => panic!("unexpected {other:?}"),
        }
        h.changed("pods", false);
        assert_eq!(h.state(), ConnState::Live);
    }

    #[test]
    fn unauthorized_is_lost_and_forbidden_is_tolerated() {
        let mut h = Health::default();
        for k in KINDS {
            h.changed(k, true);
        }
        let forbidden = ClusterError::Forbidden { context: "c".into(), detail: "no".into() };
        assert!(h.failed("namespaces", &forbidden));
        assert!(!h.failed("namespaces", &forbidden), "a repeated 403 is not a new message");
        assert_eq!(h.state(), ConnState::Live);
        h.failed("pods", &ClusterError::Unauthorized { context: "c".into(), detail: "token expired".into() });
        match h.state() {
            ConnState::Lost { last_error } => assert!(last_error.contains("refresh your credentials")),
            other => panic!("unexpected {other:?}"),
        }
    }
}
