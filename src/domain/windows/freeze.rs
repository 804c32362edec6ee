//! Change freezes: named periods (absolute or recurring) scoped by globs, with exceptions.

use super::glob::glob_match;
use super::window::{AppTarget, CompiledWindow, SyncWindow, resolve_zone};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

/// `freezes:` file (see `config/freezes.example.yaml`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FreezeConfig {
    pub freezes: Vec<Freeze>,
}

/// One named freeze: absolute (`start`/`end`) or recurring (`schedule` + `duration`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Freeze {
    pub name: String,
    pub description: String,
    /// RFC 3339, or `YYYY-MM-DD[THH:MM[:SS]]` in `timeZone`.
    pub start: Option<String>,
    pub end: Option<String>,
    pub schedule: Option<String>,
    pub duration: Option<String>,
    /// IANA zone for local times and schedules; empty = UTC.
    pub time_zone: String,
    pub scope: FreezeScope,
    pub exceptions: Vec<FreezeException>,
}

/// Which targets a freeze covers: every non-empty list must match; all empty = everything.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FreezeScope {
    pub namespaces: Vec<String>,
    pub applications: Vec<String>,
    pub clusters: Vec<String>,
}

/// A change passes the freeze if it carries one of `labels` or its app matches `applications`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct FreezeException {
    pub labels: Vec<String>,
    pub applications: Vec<String>,
}

/// A change being considered: its target and its labels (e.g. `emergency`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeTarget {
    pub app: AppTarget,
    pub labels: Vec<String>,
}

/// A freeze that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FreezeError {
    #[error("freeze '{0}': set either start and end, or schedule and duration")]
    Shape(String),
    #[error("freeze '{name}': cannot parse time '{value}' (use RFC 3339 or YYYY-MM-DD[THH:MM])")]
    Time { name: String, value: String },
    #[error("freeze '{name}': {detail}")]
    Window { name: String, detail: String },
    #[error("freeze '{0}': end is not after start")]
    Order(String),
    #[error("freezes file is not valid YAML: {0}")]
    Yaml(String),
}

/// When a freeze applies.
#[derive(Debug, Clone, PartialEq)]
pub enum FreezePeriod {
    Absolute { start: DateTime<Utc>, end: DateTime<Utc> },
    Recurring(CompiledWindow),
}

/// Parses the freezes file text.
pub fn parse_freezes(text: &str) -> Result<FreezeConfig, FreezeError> {
    yaml_serde::from_str(text).map_err(|e| FreezeError::Yaml(e.to_string()))
}

fn parse_time(name: &str, value: &str, zone: &str) -> Result<DateTime<Utc>, FreezeError> {
    if let Ok(d) = DateTime::parse_from_rfc3339(value) {
        return Ok(d.with_timezone(&Utc));
    }
    let naive = NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(value, "%Y-%m-%dT%H:%M"))
        .ok()
        .or_else(|| NaiveDate::parse_from_str(value, "%Y-%m-%d").ok()?.and_hms_opt(0, 0, 0));
    let err = || FreezeError::Time { name: name.into(), value: value.into() };
    let naive = naive.ok_or_else(err)?;
    match resolve_zone(zone) {
        None => Ok(naive.and_utc()),
        Some(tz) => tz.from_local_datetime(&naive).earliest().map(|d| d.with_timezone(&Utc)).ok_or_else(err),
    }
}

impl Freeze {
    /// Resolves the period (validates the freeze).
    pub fn period(&self) -> Result<FreezePeriod, FreezeError> {
        match (&self.start, &self.end, &self.schedule, &self.duration) {
            (Some(s), Some(e), None, None) => {
                let start = parse_time(&self.name, s, &self.time_zone)?;
                let end = parse_time(&self.name, e, &self.time_zone)?;
                if end <= start {
                    return Err(FreezeError::Order(self.name.clone()));
                }
                Ok(FreezePeriod::Absolute { start, end })
            }
            (None, None, Some(schedule), Some(duration)) => {
                let w = SyncWindow {
                    schedule: schedule.clone(),
                    duration: duration.clone(),
                    time_zone: self.time_zone.clone(),
                    ..SyncWindow::default()
                };
                w.compile().map(FreezePeriod::Recurring).map_err(|e| FreezeError::Window { name: self.name.clone(), detail: e.to_string() })
            }
            _ => Err(FreezeError::Shape(self.name.clone())),
        }
    }

    /// Whether the freeze covers this target (ignoring exceptions).
    pub fn covers(&self, app: &AppTarget) -> bool {
        let hit = |list: &[String], v: &str| list.is_empty() || list.iter().any(|p| glob_match(p, v));
        let cluster = |list: &[String]| list.is_empty() || list.iter().any(|p| glob_match(p, &app.dest_name) || glob_match(p, &app.server));
        hit(&self.scope.applications, &app.name) && hit(&self.scope.namespaces, &app.namespace) && cluster(&self.scope.clusters)
    }

    /// The exception that lets this change pass, described (`label 'emergency'`, `app 'security-*'`).
    pub fn exception_for(&self, change: &ChangeTarget) -> Option<String> {
        self.exceptions.iter().find_map(|x| {
            x.labels
                .iter()
                .find(|l| change.labels.contains(l))
                .map(|l| format!("label '{l}'"))
                .or_else(|| x.applications.iter().find(|p| glob_match(p, &change.app.name)).map(|p| format!("app '{p}'")))
        })
    }

    /// All exceptions, described, for "what would let this pass" hints.
    pub fn exception_hints(&self) -> Vec<String> {
        let mut out = Vec::new();
        for x in &self.exceptions {
            out.extend(x.labels.iter().map(|l| format!("label '{l}'")));
            out.extend(x.applications.iter().map(|p| format!("app '{p}'")));
        }
        out
    }
}

impl FreezePeriod {
    /// If frozen at `t`, until when.
    pub fn frozen_until(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self {
            FreezePeriod::Absolute { start, end } => (*start <= t && t < *end).then_some(*end),
            FreezePeriod::Recurring(c) => {
                if !c.active_at(t) {
                    return None;
                }
                Some(c.active_until(t).unwrap_or(DateTime::<Utc>::MAX_UTC))
            }
        }
    }

    /// Intervals overlapping `[from, to)`.
    pub fn intervals(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        match self {
            FreezePeriod::Absolute { start, end } => {
                if *start < to && *end > from {
                    vec![(*start, *end)]
                } else {
                    Vec::new()
                }
            }
            FreezePeriod::Recurring(c) => super::agenda::compiled_intervals(c, from, to),
        }
    }
}
