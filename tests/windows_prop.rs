//! Property: `active(t)` agrees with a brute-force minute scan of the schedule.

use cabin::domain::windows::SyncWindow;
use cabin::domain::windows::cron::Schedule;
use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use proptest::prelude::*;

const MINUTES: &[&str] = &["*", "0", "*/15", "5-10", "30", "59"];
const HOURS: &[&str] = &["*", "2", "9-17", "*/6", "23"];
const DOMS: &[&str] = &["*", "1", "15", "*/2", "1-7", "31"];
const MONTHS: &[&str] = &["*", "1-6", "jul", "*/3"];
const DOWS: &[&str] = &["*", "1", "2,4", "mon-fri", "0"];

/// Active iff the schedule fires at some whole minute m with L - d < m < L.
fn brute(s: &Schedule, l: DateTime<Utc>, d: Duration) -> bool {
    let start = l - d;
    let mut m = start.with_second(0).unwrap().with_nanosecond(0).unwrap();
    while m < l {
        if m > start && s.matches_naive(m.naive_utc()) {
            return true;
        }
        m += Duration::minutes(1);
    }
    false
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn active_agrees_with_minute_scan(
        f in (0..MINUTES.len(), 0..HOURS.len(), 0..DOMS.len(), 0..MONTHS.len(), 0..DOWS.len()),
        secs in 0i64..(2 * 365 * 86_400),
        dur_s in 0i64..(3 * 86_400),
    ) {
        let spec = format!("{} {} {} {} {}", MINUTES[f.0], HOURS[f.1], DOMS[f.2], MONTHS[f.3], DOWS[f.4]);
        let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(secs);
        let w = SyncWindow {
            kind: "allow".into(),
            schedule: spec.clone(),
            duration: format!("{dur_s}s"),
            ..SyncWindow::default()
        };
        let schedule = Schedule::parse(&spec).unwrap();
        prop_assert_eq!(w.active_at(at).unwrap(), brute(&schedule, at, Duration::seconds(dur_s)), "{} at {}", spec, at);
    }
}
