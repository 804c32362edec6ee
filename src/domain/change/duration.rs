//! Durations of the contract: Go-style (`2m`, `1h30m`, `720h`) for holds and TTLs, ISO 8601
//! (`PT4H`) and intervals (`START/DURATION`, `START/END`, `DURATION/END`) for the planned slot.

use crate::domain::windows::duration::parse_go_duration;
use chrono::{DateTime, Utc};
use std::time::Duration;

/// Parses a non-negative Go duration no longer than `max` (`time: …` texts from Go).
pub fn parse_hold(text: &str, max: Duration) -> Result<Duration, String> {
    let ns = parse_go_duration(text).map_err(|e| e.to_string())?;
    let ns = u64::try_from(ns).map_err(|_| format!("duration \"{text}\" is negative"))?;
    let d = Duration::from_nanos(ns);
    if d > max {
        return Err(format!("duration \"{text}\" is longer than {}", format_go_duration(max)));
    }
    Ok(d)
}

/// `1h30m`, `2m`, `15s`, `1m30s`, `500ms`, `0s` (Go's units, zero parts left out).
pub fn format_go_duration(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, (secs % 3600) / 60, secs % 60);
    let ms = d.subsec_millis();
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 && ms > 0 {
        out.push_str(&format!("{s}.{ms:03}s"));
    } else if s > 0 {
        out.push_str(&format!("{s}s"));
    } else if ms > 0 {
        out.push_str(&format!("{ms}ms"));
    }
    if out.is_empty() { "0s".into() } else { out }
}

/// Serializes a `Duration` as a Go duration string.
pub mod serde_go_duration {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_go_duration(*d))
    }
}

/// The longest planned slot accepted.
pub const MAX_SLOT: Duration = Duration::from_secs(366 * 86_400);

/// Parses an ISO 8601 duration: `P[nW][nD][T[nH][nM][n[.f]S]]` (years and months are refused:
/// their length depends on the calendar).
pub fn parse_iso_duration(text: &str) -> Result<Duration, String> {
    let bad = |why: &str| format!("\"{text}\" is not an ISO 8601 duration ({why})");
    let body = text.strip_prefix('P').ok_or_else(|| bad("it must start with P, e.g. PT4H"))?;
    let (date, time) = match body.split_once('T') {
        Some((_, "")) => return Err(bad("T must be followed by hours, minutes or seconds")),
        Some((d, t)) => (d, Some(t)),
        None => (body, None),
    };
    if date.is_empty() && time.is_none() {
        return Err(bad("no components"));
    }
    let mut total = 0f64;
    total += components(date, &[('W', 604_800.0), ('D', 86_400.0)], &bad)?;
    if let Some(t) = time {
        total += components(t, &[('H', 3_600.0), ('M', 60.0), ('S', 1.0)], &bad)?;
    }
    if !(total.is_finite() && total <= MAX_SLOT.as_secs_f64()) {
        return Err(format!("duration \"{text}\" is longer than 366 days"));
    }
    Ok(Duration::from_secs_f64(total))
}

/// Sums `number unit` components whose units appear in `units`, in that order.
fn components(s: &str, units: &[(char, f64)], bad: &dyn Fn(&str) -> String) -> Result<f64, String> {
    let mut total = 0f64;
    let mut rest = s;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let n = rest.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',')).ok_or_else(|| bad("a number without a unit"))?;
        let (num, tail) = rest.split_at(n);
        let unit = tail.chars().next().unwrap_or(' ');
        if unit == 'Y' || (unit == 'M' && units[0].0 == 'W') {
            return Err(bad("years and months are not supported; use weeks, days or hours"));
        }
        let Some(pos) = units.iter().skip(next_unit).position(|(u, _)| *u == unit).map(|p| p + next_unit) else {
            return Err(bad(&format!("unexpected '{unit}'")));
        };
        if num.is_empty() || num.len() > 12 {
            return Err(bad("each number needs 1 to 12 digits"));
        }
        let value: f64 = num.replace(',', ".").parse().map_err(|_| bad(&format!("bad number \"{num}\"")))?;
        total += value * units[pos].1;
        next_unit = pos + 1;
        rest = &tail[unit.len_utf8()..];
    }
    Ok(total)
}

/// Parses an RFC 3339 time (a zone is required).
fn parse_instant(text: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(text)
        .map(|d| d.with_timezone(&Utc))
        .map_err(|_| format!("\"{text}\" is not an RFC 3339 time with a zone (e.g. 2026-12-01T02:00:00Z)"))
}

/// Parses an ISO 8601 interval: `START/DURATION`, `START/END` or `DURATION/END`.
pub fn parse_interval(text: &str) -> Result<(DateTime<Utc>, DateTime<Utc>), String> {
    let Some((a, b)) = text.split_once('/') else {
        return Err(format!("\"{text}\" is not an interval: use START/DURATION (2026-12-01T02:00:00Z/PT4H) or START/END"));
    };
    let span = |d: Duration| chrono::Duration::from_std(d).map_err(|_| format!("duration in \"{text}\" is too long"));
    let (start, end) = if a.starts_with('P') {
        let end = parse_instant(b)?;
        let start = end.checked_sub_signed(span(parse_iso_duration(a)?)?).ok_or_else(|| format!("\"{text}\" is out of range"))?;
        (start, end)
    } else {
        let start = parse_instant(a)?;
        let end = if b.starts_with('P') {
            start.checked_add_signed(span(parse_iso_duration(b)?)?).ok_or_else(|| format!("\"{text}\" is out of range"))?
        } else {
            parse_instant(b)?
        };
        (start, end)
    };
    if end <= start {
        return Err(format!("interval \"{text}\" is empty: its end is not after its start"));
    }
    if (end - start).to_std().map_or(true, |d| d > MAX_SLOT) {
        return Err(format!("interval \"{text}\" is longer than 366 days"));
    }
    Ok((start, end))
}
