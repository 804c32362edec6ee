//! robfig/cron v3 "standard" schedules (Minute | Hour | Dom | Month | Dow, no descriptors),
//! reproducing its parse errors and its `Next` semantics (strictly after, ~5 years horizon).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// A cron parse error; its text is exactly robfig/cron's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CronError(pub String);

struct Bounds {
    min: u32,
    max: u32,
    names: &'static [(&'static str, u32)],
}

const MONTH_NAMES: &[(&str, u32)] = &[
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("may", 5),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
];
const DOW_NAMES: &[(&str, u32)] = &[("sun", 0), ("mon", 1), ("tue", 2), ("wed", 3), ("thu", 4), ("fri", 5), ("sat", 6)];
const MINUTES: Bounds = Bounds { min: 0, max: 59, names: &[] };
const HOURS: Bounds = Bounds { min: 0, max: 23, names: &[] };
const DOMS: Bounds = Bounds { min: 1, max: 31, names: &[] };
const MONTHS: Bounds = Bounds { min: 1, max: 12, names: MONTH_NAMES };
const DOWS: Bounds = Bounds { min: 0, max: 6, names: DOW_NAMES };

/// A parsed schedule: one bit per allowed value, plus robfig's "star" flags for DOM/DOW.
#[derive(Debug, Clone, PartialEq)]
pub struct Schedule {
    pub minute: u64,
    pub hour: u64,
    pub dom: u64,
    pub month: u64,
    pub dow: u64,
    pub dom_star: bool,
    pub dow_star: bool,
    /// Zone from a `TZ=`/`CRON_TZ=` prefix; `None` = UTC.
    pub zone: Option<Tz>,
}

/// Go's `strconv.Atoi` followed by robfig's negative check.
fn must_parse_int(expr: &str) -> Result<u32, CronError> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    let fail = |why: &str| CronError(format!("failed to parse int from {expr}: strconv.Atoi: parsing \"{expr}\": {why}"));
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fail("invalid syntax"));
    }
    let value: i64 = expr.parse().map_err(|_| fail("value out of range"))?;
    if value < 0 {
        return Err(CronError(format!("negative number ({value}) not allowed: {expr}")));
    }
    Ok(u32::try_from(value).unwrap_or(u32::MAX))
}

fn parse_int_or_name(expr: &str, b: &Bounds) -> Result<u32, CronError> {
    let lower = expr.to_ascii_lowercase();
    if let Some((_, v)) = b.names.iter().find(|(n, _)| *n == lower) {
        return Ok(*v);
    }
    must_parse_int(expr)
}

fn get_range(expr: &str, b: &Bounds) -> Result<(u64, bool), CronError> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_high.len() == 1;
    let (start, mut end, mut star);
    if low_high[0] == "*" || low_high[0] == "?" {
        (start, end, star) = (b.min, b.max, true);
    } else {
        start = parse_int_or_name(low_high[0], b)?;
        end = match low_high.len() {
            1 => start,
            2 => parse_int_or_name(low_high[1], b)?,
            _ => return Err(CronError(format!("too many hyphens: {expr}"))),
        };
        star = false;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(CronError(format!("too many slashes: {expr}"))),
    };
    if start < b.min {
        return Err(CronError(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min)));
    }
    if end > b.max {
        return Err(CronError(format!("end of range ({end}) above maximum ({}): {expr}", b.max)));
    }
    if start > end {
        return Err(CronError(format!("beginning of range ({start}) beyond end of range ({end}): {expr}")));
    }
    if step == 0 {
        return Err(CronError(format!("step of range should be a positive number: {expr}")));
    }
    let bits = (start..=end).step_by(step as usize).fold(0u64, |acc, v| acc | (1u64 << v));
    Ok((bits, star))
}

fn get_field(field: &str, b: &Bounds) -> Result<(u64, bool), CronError> {
    let mut bits = 0;
    let mut star = false;
    for item in field.split(',').filter(|s| !s.is_empty()) {
        let (b2, s2) = get_range(item, b)?;
        bits |= b2;
        star |= s2;
    }
    Ok((bits, star))
}

fn split_zone(spec: &str) -> Result<(Option<Tz>, &str), CronError> {
    if !(spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=")) {
        return Ok((None, spec));
    }
    let eq = spec.find('=').unwrap_or(0);
    let Some(space) = spec.find(' ') else {
        let name = &spec[eq + 1..];
        return Err(CronError(format!("provided bad location {name}: missing space after time zone")));
    };
    let name = &spec[eq + 1..space];
    let zone = match name {
        "" | "UTC" => None,
        _ => Some(name.parse::<Tz>().map_err(|_| CronError(format!("provided bad location {name}: unknown time zone {name}")))?),
    };
    Ok((zone, spec[space..].trim()))
}

impl Schedule {
    /// Parses a schedule exactly like robfig/cron v3's standard parser (no descriptors).
    pub fn parse(spec: &str) -> Result<Schedule, CronError> {
        if spec.is_empty() {
            return Err(CronError("empty spec string".into()));
        }
        let (zone, rest) = split_zone(spec)?;
        if rest.starts_with('@') {
            return Err(CronError(format!("parser does not accept descriptors: {rest}")));
        }
        let fields: Vec<&str> = rest.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(CronError(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" "))));
        }
        let (minute, _) = get_field(fields[0], &MINUTES)?;
        let (hour, _) = get_field(fields[1], &HOURS)?;
        let (dom, dom_star) = get_field(fields[2], &DOMS)?;
        let (month, _) = get_field(fields[3], &MONTHS)?;
        let (dow, dow_star) = get_field(fields[4], &DOWS)?;
        Ok(Schedule { minute, hour, dom, month, dow, dom_star, dow_star, zone })
    }

    fn day_matches(&self, d: NaiveDate) -> bool {
        let dom = self.dom & (1 << d.day()) != 0;
        let dow = self.dow & (1 << d.weekday().num_days_from_sunday()) != 0;
        if self.dom_star || self.dow_star { dom && dow } else { dom || dow }
    }

    /// Whether the schedule fires at this wall-clock minute.
    pub fn matches_naive(&self, n: NaiveDateTime) -> bool {
        self.month & (1 << n.month()) != 0
            && self.day_matches(n.date())
            && self.hour & (1 << n.hour()) != 0
            && self.minute & (1 << n.minute()) != 0
    }

    /// First matching wall-clock minute strictly after `after` (naive), searching until the end
    /// of year `year_limit`.
    pub fn next_naive(&self, after: NaiveDateTime, year_limit: i32) -> Option<NaiveDateTime> {
        let base = after.with_second(0)?.with_nanosecond(0)?;
        let mut t = base + Duration::minutes(1);
        loop {
            if t.year() > year_limit {
                return None;
            }
            if self.month & (1 << t.month()) == 0 {
                let (y, m) = if t.month() == 12 { (t.year() + 1, 1) } else { (t.year(), t.month() + 1) };
                t = NaiveDate::from_ymd_opt(y, m, 1)?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            if !self.day_matches(t.date()) {
                t = t.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
                continue;
            }
            match next_bit(self.hour, t.hour()) {
                None => {
                    t = t.date().succ_opt()?.and_hms_opt(0, 0, 0)?;
                    continue;
                }
                Some(h) if h != t.hour() => {
                    t = t.date().and_hms_opt(h, 0, 0)?;
                }
                Some(_) => {}
            }
            match next_bit(self.minute, t.minute()) {
                Some(m) => return t.date().and_hms_opt(t.hour(), m, 0),
                None => t = t.date().and_hms_opt(t.hour(), 0, 0)? + Duration::hours(1),
            }
        }
    }

    /// robfig `Next`: the first firing strictly after `t`; `None` stands for Go's zero time
    /// (no firing before the end of the year five years after `t`).
    pub fn next_after(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match self.zone {
            None => {
                let n = t.naive_utc();
                Some(self.next_naive(n, n.year() + 5)?.and_utc())
            }
            Some(tz) => next_in_zone(self, tz, t),
        }
    }
}

fn next_in_zone(s: &Schedule, tz: Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let mut local = t.with_timezone(&tz).naive_local();
    let limit = local.year() + 5;
    // Step back one hour so that firings in a repeated (fall-back) hour are not missed.
    local -= Duration::hours(1);
    loop {
        let cand = s.next_naive(local, limit)?;
        let found = tz
            .from_local_datetime(&cand)
            .earliest()
            .into_iter()
            .chain(tz.from_local_datetime(&cand).latest())
            .map(|d| d.with_timezone(&Utc))
            .find(|d| *d > t);
        if let Some(d) = found {
            return Some(d);
        }
        local = cand;
    }
}

/// Smallest set bit >= `from` in `mask`.
fn next_bit(mask: u64, from: u32) -> Option<u32> {
    let shifted = mask.checked_shr(from)?;
    if shifted == 0 { None } else { Some(from + shifted.trailing_zeros()) }
}
