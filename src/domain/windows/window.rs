//! One Argo CD sync window: its AppProject schema, `Matches(app)` and `active(t)`.

use super::cron::{CronError, Schedule};
use super::duration::{DurationError, parse_go_duration};
use super::glob::Pattern;
use chrono::{DateTime, Duration, Offset, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize};

fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// `spec.syncWindows[i]` of an Argo CD AppProject (missing or null fields = empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SyncWindow {
    #[serde(deserialize_with = "null_default")]
    pub kind: String,
    #[serde(deserialize_with = "null_default")]
    pub schedule: String,
    #[serde(deserialize_with = "null_default")]
    pub duration: String,
    #[serde(deserialize_with = "null_default")]
    pub applications: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub namespaces: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub clusters: Vec<String>,
    #[serde(deserialize_with = "null_default")]
    pub manual_sync: bool,
    #[serde(deserialize_with = "null_default")]
    pub time_zone: String,
    #[serde(deserialize_with = "null_default")]
    pub and_operator: bool,
    #[serde(deserialize_with = "null_default")]
    pub sync_overrun: bool,
    #[serde(deserialize_with = "null_default")]
    pub description: String,
}

/// What a window is matched against: an Application's name and destination.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppTarget {
    /// `metadata.name`.
    pub name: String,
    /// `spec.destination.namespace`.
    pub namespace: String,
    /// `spec.destination.server`.
    pub server: String,
    /// `spec.destination.name` (cluster patterns match it or `server`, when non-empty).
    pub dest_name: String,
}

/// A window that failed to parse; texts are Argo CD's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("cannot parse schedule '{schedule}': {source}")]
    Schedule { schedule: String, source: CronError },
    #[error("cannot parse duration '{duration}': {source}")]
    Duration { duration: String, source: DurationError },
}

/// A window with its schedule, duration and zone parsed once.
#[derive(Debug, Clone, PartialEq)]
pub struct CompiledWindow {
    pub schedule: Schedule,
    /// Duration in nanoseconds (may be zero or negative).
    pub duration_ns: i64,
    /// `timeZone` (unknown zone = UTC, as Argo CD after its warning); `None` = UTC.
    pub zone: Option<Tz>,
}

/// Resolves `timeZone`: "" / "UTC" / unknown = UTC.
pub fn resolve_zone(name: &str) -> Option<Tz> {
    match name {
        "" | "UTC" => None,
        _ => name.parse::<Tz>().ok(),
    }
}

impl CompiledWindow {
    /// The instant shifted by the zone's UTC offset at `t` (Argo CD's "wall clock as UTC").
    pub fn local_shift(&self, t: DateTime<Utc>) -> Duration {
        match self.zone {
            None => Duration::zero(),
            Some(tz) => {
                let secs = tz.offset_from_utc_datetime(&t.naive_utc()).fix().local_minus_utc();
                Duration::seconds(i64::from(secs))
            }
        }
    }

    /// `active(t)`: open at both ends; a never-firing schedule counts as always active.
    pub fn active_at(&self, t: DateTime<Utc>) -> bool {
        let l = t + self.local_shift(t);
        match self.schedule.next_after(l - Duration::nanoseconds(self.duration_ns)) {
            None => true,
            Some(n) => n < l,
        }
    }

    /// End of the interval that contains `t` (when active and the schedule fires).
    pub fn active_until(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let shift = self.local_shift(t);
        let l = t + shift;
        let n = self.schedule.next_after(l - Duration::nanoseconds(self.duration_ns))?;
        (n < l).then(|| n + Duration::nanoseconds(self.duration_ns) - shift)
    }

    /// Next start of an active interval strictly after `t` (wall-clock shift taken at `t`).
    pub fn next_start(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let shift = self.local_shift(t);
        Some(self.schedule.next_after(t + shift)? - shift)
    }
}

impl SyncWindow {
    /// Parses schedule then duration (Argo CD's order).
    pub fn compile(&self) -> Result<CompiledWindow, WindowError> {
        let schedule =
            Schedule::parse(&self.schedule).map_err(|source| WindowError::Schedule { schedule: self.schedule.clone(), source })?;
        let duration_ns =
            parse_go_duration(&self.duration).map_err(|source| WindowError::Duration { duration: self.duration.clone(), source })?;
        Ok(CompiledWindow { schedule, duration_ns, zone: resolve_zone(&self.time_zone) })
    }

    /// `active(t)` of this window alone.
    pub fn active_at(&self, t: DateTime<Utc>) -> Result<bool, WindowError> {
        Ok(self.compile()?.active_at(t))
    }

    /// `Matches(app)` for this window: OR (default) or AND over the non-empty lists.
    pub fn matches(&self, app: &AppTarget) -> bool {
        self.matcher().matches(app)
    }

    /// The window's patterns compiled for repeated matching.
    pub fn matcher(&self) -> Matcher {
        let compile = |l: &[String]| l.iter().map(|p| Pattern::new(p)).collect();
        Matcher {
            applications: compile(&self.applications),
            namespaces: compile(&self.namespaces),
            clusters: compile(&self.clusters),
            and_operator: self.and_operator,
        }
    }

    pub fn is_allow(&self) -> bool {
        self.kind == "allow"
    }

    pub fn is_deny(&self) -> bool {
        self.kind == "deny"
    }
}

/// Compiled `applications` / `namespaces` / `clusters` patterns of one window.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    pub applications: Vec<Pattern>,
    pub namespaces: Vec<Pattern>,
    pub clusters: Vec<Pattern>,
    pub and_operator: bool,
}

impl Matcher {
    /// Argo CD `Matches`: clusters match a non-empty destination name or server.
    pub fn matches(&self, app: &AppTarget) -> bool {
        let cluster =
            |p: &Pattern| (!app.dest_name.is_empty() && p.is_match(&app.dest_name)) || (!app.server.is_empty() && p.is_match(&app.server));
        let app_hit = |p: &Pattern| p.is_match(&app.name);
        let ns_hit = |p: &Pattern| p.is_match(&app.namespace);
        type PatternList<'p> = (&'p Vec<Pattern>, &'p dyn Fn(&Pattern) -> bool);
        let lists: [PatternList; 3] = [(&self.applications, &app_hit), (&self.namespaces, &ns_hit), (&self.clusters, &cluster)];
        let mut any_set = false;
        let mut any_hit = false;
        for (patterns, hit_one) in lists {
            if patterns.is_empty() {
                continue;
            }
            any_set = true;
            let hit = patterns.iter().any(hit_one);
            if self.and_operator && !hit {
                return false;
            }
            any_hit |= hit;
        }
        any_set && any_hit
    }
}
