//! Project validation with Argo CD's messages (`ValidateProject` order).

use super::window::SyncWindow;

/// A validation failure; its text is Argo CD's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ValidationError(pub String);

const REQUIRE: &str = "cannot create window: require kind, schedule, duration and one or more of applications, namespaces and clusters";

/// Stable identity hash over kind, schedule, duration, lists, timeZone, andOperator (FNV-1a 64).
pub fn hash_identity(w: &SyncWindow) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |s: &str| {
        for b in s.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(&w.kind);
    feed(&w.schedule);
    feed(&w.duration);
    for list in [&w.applications, &w.namespaces, &w.clusters] {
        feed(&list.len().to_string());
        list.iter().for_each(|s| feed(s));
    }
    feed(&w.time_zone);
    feed(if w.and_operator { "and" } else { "or" });
    h
}

/// `SyncWindow.Validate()` (preceded by the CLI's "require" check for empty fields).
pub fn validate_window(w: &SyncWindow) -> Result<(), ValidationError> {
    if w.kind.is_empty() || w.schedule.is_empty() || w.duration.is_empty() {
        return Err(ValidationError(REQUIRE.into()));
    }
    if w.kind != "allow" && w.kind != "deny" {
        return Err(ValidationError(format!("kind '{}' mismatch: can only be allow or deny", w.kind)));
    }
    w.compile().map_err(|e| ValidationError(e.to_string()))?;
    if w.description.len() > 255 {
        return Err(ValidationError("description must not exceed 255 characters".into()));
    }
    Ok(())
}

/// Validates the windows of a project: duplicates, then each window, then targets.
pub fn validate_windows(windows: &[SyncWindow]) -> Result<(), ValidationError> {
    let mut seen = std::collections::BTreeSet::new();
    for w in windows {
        let h = hash_identity(w);
        if !seen.insert(h) {
            return Err(ValidationError(format!(
                "sync window with kind '{}', schedule '{}', and duration '{}' already exists (hash={}, duplicate detected)",
                w.kind, w.schedule, w.duration, h
            )));
        }
    }
    windows.iter().try_for_each(validate_window)?;
    for w in windows {
        if w.applications.is_empty() && w.namespaces.is_empty() && w.clusters.is_empty() {
            return Err(ValidationError(format!(
                "window '{}':'{}':'{}' requires one of application, cluster or namespace",
                w.kind, w.schedule, w.duration
            )));
        }
    }
    Ok(())
}
