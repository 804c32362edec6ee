//! Property: `active(t)` agrees with a brute-force minute scan, judged by a reference written
//! here independently of cabin's cron parser: its own field matcher (lists, ranges, steps,
//! names, robfig's DOM/DOW star rule) over wall-clock minutes. Zones with DST are covered,
//! with instants drawn around their transitions: Argo CD evaluates the schedule on the wall
//! clock of the zone (t plus the zone's offset at t), which the reference does literally.

use cabin::domain::windows::SyncWindow;
use chrono::{DateTime, Datelike, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

const MINUTES: &[&str] = &["*", "0", "*/15", "5-10", "30", "59", "0,30", "10-50/20"];
const HOURS: &[&str] = &["*", "2", "9-17", "*/6", "23", "1-3", "0,12"];
const DOMS: &[&str] = &["*", "1", "15", "*/2", "1-7", "31", "?", "*/1"];
const MONTHS: &[&str] = &["*", "1-6", "jul", "*/3", "mar,oct,nov", "FEB-apr"];
const DOWS: &[&str] = &["*", "1", "2,4", "mon-fri", "0", "sun", "sat,sun", "?", "*/2"];
const ZONES: &[&str] = &["", "UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "America/Sao_Paulo"];

/// The reference's view of one field: the set of values, and whether it is a "star" (robfig
/// sets its star bit for `*`/`?` without a step above 1; a star DOM or DOW field means both
/// must match, else either may).
struct Field {
    values: Vec<u32>,
    star: bool,
}

fn value(s: &str, names: &[&str], offset: u32) -> u32 {
    let lower = s.to_ascii_lowercase();
    match names.iter().position(|n| *n == lower) {
        Some(i) => i as u32 + offset,
        None => s.parse().unwrap_or_else(|e| panic!("reference cannot read {s}: {e}")),
    }
}

fn field(spec: &str, min: u32, max: u32, names: &[&str], offset: u32) -> Field {
    let mut out = Field { values: Vec::new(), star: false };
    for item in spec.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().unwrap_or_else(|e| panic!("{e}"))),
            None => (item, 1),
        };
        let (lo, hi) = match range {
            "*" | "?" => {
                out.star |= step <= 1;
                (min, max)
            }
            r => match r.split_once('-') {
                Some((a, b)) => (value(a, names, offset), value(b, names, offset)),
                None if step > 1 => (value(r, names, offset), max),
                None => (value(r, names, offset), value(r, names, offset)),
            },
        };
        out.values.extend((lo..=hi).step_by(step as usize));
    }
    out
}

const MONTH_NAMES: &[&str] = &["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAY_NAMES: &[&str] = &["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn fires_at(spec: &str, m: NaiveDateTime) -> bool {
    let f: Vec<&str> = spec.split_whitespace().collect();
    let (minute, hour) = (field(f[0], 0, 59, &[], 0), field(f[1], 0, 23, &[], 0));
    let (dom, month, dow) = (field(f[2], 1, 31, &[], 0), field(f[3], 1, 12, MONTH_NAMES, 1), field(f[4], 0, 6, DAY_NAMES, 0));
    let dom_ok = dom.values.contains(&m.day());
    let dow_ok = dow.values.contains(&m.weekday().num_days_from_sunday());
    let day_ok = if dom.star || dow.star { dom_ok && dow_ok } else { dom_ok || dow_ok };
    minute.values.contains(&m.minute()) && hour.values.contains(&m.hour()) && month.values.contains(&m.month()) && day_ok
}

/// Active iff the schedule fires at some whole wall-clock minute m with L - d < m < L,
/// L = t on the wall clock of `zone` (UTC when empty).
fn reference_active(spec: &str, zone: &str, t: DateTime<Utc>, d: Duration) -> bool {
    let l = match zone {
        "" | "UTC" => t.naive_utc(),
        z => t.with_timezone(&z.parse::<Tz>().unwrap_or_else(|e| panic!("{e}"))).naive_local(),
    };
    let start = l - d;
    let mut m = start.with_second(0).and_then(|x| x.with_nanosecond(0)).unwrap_or_else(|| panic!("minute"));
    while m < l {
        if m > start && fires_at(spec, m) {
            return true;
        }
        m += Duration::minutes(1);
    }
    false
}

/// DST transitions of 2024-2025 in the zones above (UTC instants).
fn transitions() -> Vec<DateTime<Utc>> {
    [
        "2024-03-10T07:00:00Z", // New York spring forward
        "2024-11-03T06:00:00Z", // New York fall back
        "2024-03-31T01:00:00Z", // Berlin spring forward
        "2024-10-27T01:00:00Z", // Berlin fall back
        "2024-04-06T15:00:00Z", // Lord Howe: back half an hour
        "2024-10-05T15:30:00Z", // Lord Howe: forward half an hour
        "2025-03-09T07:00:00Z",
        "2025-10-26T01:00:00Z",
    ]
    .iter()
    .map(|s| DateTime::parse_from_rfc3339(s).map(|d| d.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{e}")))
    .collect()
}

fn window(spec: &str, zone: &str, dur_s: i64) -> SyncWindow {
    SyncWindow {
        kind: "allow".into(),
        schedule: spec.into(),
        duration: format!("{dur_s}s"),
        time_zone: zone.into(),
        ..SyncWindow::default()
    }
}

type Fields = (usize, usize, usize, usize, usize);

fn spec_of(f: Fields) -> String {
    format!("{} {} {} {} {}", MINUTES[f.0], HOURS[f.1], DOMS[f.2], MONTHS[f.3], DOWS[f.4])
}

fn fields() -> impl Strategy<Value = Fields> {
    (0..MINUTES.len(), 0..HOURS.len(), 0..DOMS.len(), 0..MONTHS.len(), 0..DOWS.len())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn active_agrees_with_an_independent_minute_scan(
        f in fields(),
        zone in 0..ZONES.len(),
        secs in 0i64..(2 * 365 * 86_400),
        dur_s in 0i64..(3 * 86_400),
    ) {
        let spec = spec_of(f);
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).single().unwrap_or_default() + Duration::seconds(secs);
        let w = window(&spec, ZONES[zone], dur_s);
        let got = w.active_at(at).unwrap_or_else(|e| panic!("{spec}: {e}"));
        prop_assert_eq!(got, reference_active(&spec, ZONES[zone], at, Duration::seconds(dur_s)), "{} in {:?} at {}", spec, ZONES[zone], at);
    }

    #[test]
    fn around_dst_transitions_too(
        f in fields(),
        zone in 2..ZONES.len(),
        which in 0usize..8,
        around in -(2 * 86_400i64)..(2 * 86_400),
        dur_s in 0i64..(6 * 3_600),
    ) {
        let spec = spec_of(f);
        let at = transitions()[which] + Duration::seconds(around);
        let w = window(&spec, ZONES[zone], dur_s);
        let got = w.active_at(at).unwrap_or_else(|e| panic!("{spec}: {e}"));
        prop_assert_eq!(got, reference_active(&spec, ZONES[zone], at, Duration::seconds(dur_s)), "{} in {} at {}", spec, ZONES[zone], at);
    }
}

/// The reference itself is checked on hand-made cases (so a wrong reference cannot agree
/// with a wrong parser by accident).
#[test]
fn the_reference_matches_known_instants() {
    let n = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_else(|e| panic!("{e}"));
    // Tue 2024-07-16 02:00: `0 2 * * 2,4` (Tuesday = 2, Sunday = 0).
    assert!(fires_at("0 2 * * 2,4", n("2024-07-16 02:00")));
    assert!(!fires_at("0 2 * * 2,4", n("2024-07-15 02:00")));
    // DOM and DOW both restricted: either (OR). 2024-07-15 is a Monday, the 15th.
    assert!(fires_at("0 0 1 * mon", n("2024-07-15 00:00")));
    assert!(fires_at("0 0 15 * sat", n("2024-07-15 00:00")));
    // A star DOW: both must match (AND).
    assert!(!fires_at("0 0 1 * *", n("2024-07-15 00:00")));
    assert!(!fires_at("0 0 1 * ?", n("2024-07-15 00:00")));
    // `*/2` DOM is not a star: OR with the DOW.
    assert!(fires_at("0 0 */2 * 1", n("2024-07-16 00:00")) == (16 % 2 == 1));
    assert!(fires_at("0 0 */2 * 1", n("2024-07-15 00:00")), "Monday fires through the DOW");
    // Steps from a start value run to the field's end.
    assert!(fires_at("10/20 * * * *", n("2024-07-15 00:50")));
    // Wall clock in New York at 2024-03-10 07:30Z is 03:30 EDT (just after spring forward).
    let t = DateTime::parse_from_rfc3339("2024-03-10T07:30:00Z").map(|d| d.with_timezone(&Utc)).unwrap_or_else(|e| panic!("{e}"));
    assert!(reference_active("0 3 * * *", "America/New_York", t, Duration::hours(1)));
    assert!(!reference_active("0 2 * * *", "America/New_York", t, Duration::minutes(60)));
}
