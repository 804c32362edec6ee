//! What `cabin demo` adds to the simulated cluster: its change requests (embedded, so the
//! demo works from any directory) and sync windows and a freeze laid relative to the time the
//! demo starts, so a window is open whoever tries it, whenever.
use chrono::{DateTime, Duration, Timelike, Utc};
use serde_json::{Value, json};

use crate::domain::windows::freeze::{Freeze, FreezeException, FreezeScope};
use crate::engine::windows_feed::WindowsFeed;

/// The demo's change requests: one ready to run, one whose new image crash-loops, one missing
/// an approval, one emergency change during a freeze.
pub const CHANGES: [(&str, &str); 4] = [
    (
        "demo/chg-2001-payments-api.yaml",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/changes/demo/chg-2001-payments-api.yaml")),
    ),
    (
        "demo/chg-2002-payments-api-rc.yaml",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/changes/demo/chg-2002-payments-api-rc.yaml")),
    ),
    ("demo/chg-2003-search-api.yaml", include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/changes/demo/chg-2003-search-api.yaml"))),
    (
        "demo/chg-2004-ingress-gateway.yaml",
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/changes/demo/chg-2004-ingress-gateway.yaml")),
    ),
];

/// The embedded change requests as (display name, text).
pub fn changes() -> Vec<(String, String)> {
    CHANGES.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

/// Writes the embedded change requests into `dir` (created), for the demo's session.
pub fn write_changes(dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
    std::fs::create_dir_all(dir)?;
    for (name, text) in CHANGES {
        let file = name.rsplit('/').next().unwrap_or(name);
        std::fs::write(dir.join(file), text)?;
    }
    Ok(dir.to_path_buf())
}

/// The demo's windows, relative to `start`: a daily allow window for every Application that
/// opened a minute before `start` and lasts 3 hours, and the `security-*` manual-sync window.
/// The scenario's fixed schedule (Tue/Thu 02:00) would be closed for most people most of the
/// time, and the demo is about what happens inside a window.
pub fn windows(start: DateTime<Utc>) -> Value {
    let opened = start - Duration::minutes(1);
    json!([
        {"kind": "allow", "schedule": format!("{} {} * * *", opened.minute(), opened.hour()), "duration": "3h", "timeZone": "UTC", "applications": ["*"]},
        {"kind": "allow", "schedule": "* * * * *", "duration": "1h", "applications": ["security-*"], "manualSync": true},
    ])
}

/// Rewrites every AppProject's `spec.syncWindows` of the scenario (the only change the demo
/// makes to the scenario).
pub fn relay_windows(objects: &mut [Value], start: DateTime<Utc>) {
    for o in objects.iter_mut().filter(|o| o.get("kind").and_then(Value::as_str) == Some("AppProject")) {
        if let Some(spec) = o.get_mut("spec").and_then(Value::as_object_mut) {
            spec.insert("syncWindows".into(), windows(start));
        }
    }
}

/// A freeze of the `platform` namespace from an hour before `start` to six hours after, with
/// an exception for emergency changes: the emergency story (CHG-2004) goes through it, any
/// other platform change waits.
pub fn freeze(start: DateTime<Utc>) -> WindowsFeed {
    let f = Freeze {
        name: "platform-upgrade-freeze".into(),
        description: "Platform freeze during the cluster upgrade (emergency changes only)".into(),
        start: Some((start - Duration::hours(1)).to_rfc3339()),
        end: Some((start + Duration::hours(6)).to_rfc3339()),
        scope: FreezeScope { namespaces: vec!["platform".into()], ..FreezeScope::default() },
        exceptions: vec![FreezeException { labels: vec!["emergency".into()], applications: Vec::new() }],
        ..Freeze::default()
    };
    WindowsFeed { freezes: vec![f], ..WindowsFeed::default() }
}
