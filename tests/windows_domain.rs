//! Unit tests of the sync-window domain: cron, durations, globs, activity edges and DST.

use cabin::domain::windows::cron::Schedule;
use cabin::domain::windows::duration::parse_go_duration;
use cabin::domain::windows::glob::glob_match;
use cabin::domain::windows::{AppTarget, SyncWindow, validate_windows};
use chrono::{DateTime, Utc};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn win(schedule: &str, duration: &str, tz: &str) -> SyncWindow {
    SyncWindow {
        kind: "allow".into(),
        schedule: schedule.into(),
        duration: duration.into(),
        applications: vec!["*".into()],
        time_zone: tz.into(),
        ..SyncWindow::default()
    }
}

fn active(w: &SyncWindow, at: &str) -> bool {
    w.active_at(t(at)).unwrap()
}

fn cron_err(spec: &str) -> String {
    Schedule::parse(spec).unwrap_err().to_string()
}

#[test]
fn cron_error_texts_match_robfig() {
    assert_eq!(cron_err("* * *"), "expected exactly 5 fields, found 3: [* * *]");
    assert_eq!(cron_err("* * * * 7"), "end of range (7) above maximum (6): 7");
    assert_eq!(cron_err("5-2 * * * *"), "beginning of range (5) beyond end of range (2): 5-2");
    assert_eq!(cron_err("*/0 * * * *"), "step of range should be a positive number: */0");
    assert_eq!(cron_err(""), "empty spec string");
    assert_eq!(cron_err("0 0 L * *"), "failed to parse int from L: strconv.Atoi: parsing \"L\": invalid syntax");
    assert_eq!(cron_err("@daily"), "parser does not accept descriptors: @daily");
    assert_eq!(cron_err("0 0 0 * *"), "beginning of range (0) below minimum (1): 0");
    assert_eq!(cron_err("* * * * * *"), "expected exactly 5 fields, found 6: [* * * * * *]");
    assert!(cron_err("TZ=Mars/Base * * * * *").starts_with("provided bad location Mars/Base"));
}

#[test]
fn cron_names_steps_and_dom_dow_rule() {
    let s = Schedule::parse("0 2 * * tue,THU").unwrap();
    // 2024-07-16 is a Tuesday.
    assert_eq!(s.next_after(t("2024-07-15T00:00:00Z")), Some(t("2024-07-16T02:00:00Z")));
    assert_eq!(s.next_after(t("2024-07-16T02:00:00Z")), Some(t("2024-07-18T02:00:00Z")));
    // DOM/DOW OR when neither is a star: the 1st or any Monday.
    let or = Schedule::parse("0 0 1 * mon").unwrap();
    assert_eq!(or.next_after(t("2024-07-16T00:00:00Z")), Some(t("2024-07-22T00:00:00Z")));
    // `*/2` on DOM is not a star: OR with Monday.
    let step = Schedule::parse("0 0 */2 * 1").unwrap();
    assert_eq!(step.next_after(t("2024-07-15T12:00:00Z")), Some(t("2024-07-17T00:00:00Z")));
    // `*/1` is a star: AND (Mondays only).
    let star1 = Schedule::parse("0 0 */1 * 1").unwrap();
    assert_eq!(star1.next_after(t("2024-07-15T12:00:00Z")), Some(t("2024-07-22T00:00:00Z")));
    // N/step means N-max/step; months by name in ranges.
    let m = Schedule::parse("50/5 0 1 jan-mar *").unwrap();
    assert_eq!(m.next_after(t("2024-02-01T00:52:00Z")), Some(t("2024-02-01T00:55:00Z")));
    // `,` alone is an empty set: never fires.
    assert_eq!(Schedule::parse(", * * * *").unwrap().next_after(t("2024-01-01T00:00:00Z")), None);
}

#[test]
fn cron_tz_prefix_evaluates_in_that_zone() {
    let s = Schedule::parse("CRON_TZ=Europe/Berlin 0 2 * * *").unwrap();
    assert_eq!(s.next_after(t("2024-07-15T00:00:00Z")), Some(t("2024-07-16T00:00:00Z")));
    assert!(Schedule::parse("TZ=Europe/Berlin").is_err());
}

#[test]
fn go_durations() {
    assert_eq!(parse_go_duration("1h30m"), Ok(5_400_000_000_000));
    assert_eq!(parse_go_duration("1.5h"), Ok(5_400_000_000_000));
    assert_eq!(parse_go_duration("+1h"), Ok(3_600_000_000_000));
    assert_eq!(parse_go_duration("-1m"), Ok(-60_000_000_000));
    assert_eq!(parse_go_duration("0"), Ok(0));
    assert_eq!(parse_go_duration("1µs"), Ok(1_000));
    let e = |s: &str| parse_go_duration(s).unwrap_err().to_string();
    assert_eq!(e(""), "time: invalid duration \"\"");
    assert_eq!(e("1d"), "time: unknown unit \"d\" in duration \"1d\"");
    assert_eq!(e("11"), "time: missing unit in duration \"11\"");
    assert_eq!(e("1H"), "time: unknown unit \"H\" in duration \"1H\"");
    assert_eq!(e("h"), "time: invalid duration \"h\"");
}

#[test]
fn gobwas_globs() {
    assert!(glob_match("*", ""));
    assert!(glob_match("web-*", "web-a/b"));
    assert!(glob_match("w?b", "web"));
    assert!(glob_match("[a-c]x", "bx") && !glob_match("[!a-c]x", "bx"));
    assert!(glob_match("[xyz]1", "y1"));
    assert!(glob_match("{api,web}-prod", "web-prod") && !glob_match("{api,web}-prod", "db-prod"));
    assert!(glob_match("a\\*b", "a*b") && !glob_match("a\\*b", "axb"));
    assert!(glob_match("!x", "!x") && !glob_match("!x", "y"));
    assert!(!glob_match("Web", "web"));
    assert!(!glob_match("[a-", "a") && !glob_match("{a,b", "a"));
    assert!(!glob_match("e*", "hello"));
}

#[test]
fn open_at_both_ends() {
    let w = win("0 10 * * *", "1h", "");
    assert!(!active(&w, "2024-07-15T10:00:00Z"));
    assert!(active(&w, "2024-07-15T10:00:01Z"));
    assert!(active(&w, "2024-07-15T10:59:59Z"));
    assert!(!active(&w, "2024-07-15T11:00:00Z"));
}

#[test]
fn never_firing_is_always_active_and_zero_duration_never() {
    assert!(active(&win("0 0 30 2 *", "1h", ""), "2024-07-15T10:00:00Z"));
    assert!(active(&win("0 0 30 2 *", "0", ""), "2024-07-15T10:00:00Z"));
    assert!(!active(&win("* * * * *", "0", ""), "2024-07-15T10:00:30Z"));
    assert!(!active(&win("* * * * *", "-1h", ""), "2024-07-15T10:00:30Z"));
}

#[test]
fn descriptor_and_weekday_seven_are_rejected() {
    let e = win("@daily", "1h", "").active_at(t("2024-07-15T10:00:00Z")).unwrap_err();
    assert_eq!(e.to_string(), "cannot parse schedule '@daily': parser does not accept descriptors: @daily");
    let e = validate_windows(&[win("0 2 * * 7", "1h", "")]).unwrap_err();
    assert_eq!(e.to_string(), "cannot parse schedule '0 2 * * 7': end of range (7) above maximum (6): 7");
}

// DST: the window is evaluated on the wall clock of `timeZone` at t (Argo CD's model).
#[test]
fn new_york_spring_forward() {
    // 2024-03-10 07:00Z: 02:00 EST jumps to 03:00 EDT.
    let w = win("30 1 * * *", "1h", "America/New_York"); // 01:30-02:30 wall clock
    assert!(active(&w, "2024-03-10T06:45:00Z")); // 01:45 EST
    assert!(active(&w, "2024-03-10T06:59:59Z")); // 01:59:59 EST
    assert!(!active(&w, "2024-03-10T07:00:00Z")); // 03:00 EDT: past 02:30
    // 02:00 does not exist that day: the 02:00-03:00 window never opens.
    let skipped = win("0 2 * * *", "1h", "America/New_York");
    assert!(!active(&skipped, "2024-03-10T06:59:00Z"));
    assert!(!active(&skipped, "2024-03-10T07:00:01Z"));
    assert!(active(&skipped, "2024-03-11T06:30:00Z")); // next day 02:30 EDT
}

#[test]
fn new_york_fall_back() {
    // 2024-11-03 06:00Z: 02:00 EDT falls back to 01:00 EST; 01:xx happens twice.
    let w = win("30 1 * * *", "1h", "America/New_York");
    assert!(active(&w, "2024-11-03T05:45:00Z")); // 01:45 EDT
    assert!(!active(&w, "2024-11-03T06:15:00Z")); // 01:15 EST
    assert!(active(&w, "2024-11-03T06:45:00Z")); // 01:45 EST, again
    assert!(active(&w, "2024-11-03T07:15:00Z")); // 02:15 EST
    assert!(!active(&w, "2024-11-03T07:30:00Z")); // 02:30 EST, end is open
}

#[test]
fn europe_berlin_summer_winter_and_switch() {
    let w = win("0 9 * * *", "1h", "Europe/Berlin");
    assert!(!active(&w, "2024-07-15T07:00:00Z")); // 09:00 CEST exactly
    assert!(active(&w, "2024-07-15T07:30:00Z"));
    assert!(!active(&w, "2024-07-15T08:30:00Z"));
    assert!(active(&w, "2024-01-15T08:30:00Z")); // 09:30 CET
    assert!(!active(&w, "2024-01-15T07:30:00Z"));
    // 2024-03-31 01:00Z: 02:00 CET -> 03:00 CEST; a 02:00+2h window is open from 03:00 CEST.
    let sw = win("0 2 * * *", "2h", "Europe/Berlin");
    assert!(!active(&sw, "2024-03-31T00:59:00Z"));
    assert!(active(&sw, "2024-03-31T01:00:01Z"));
    assert!(!active(&sw, "2024-03-31T02:00:00Z")); // 04:00 CEST
}

#[test]
fn unknown_zone_falls_back_to_utc() {
    let w = win("0 10 * * *", "1h", "Mars/Olympus");
    assert!(active(&w, "2024-07-15T10:30:00Z"));
}

#[test]
fn matching_or_and_and_empty_lists() {
    let app = AppTarget { name: "web".into(), namespace: "prod".into(), server: "https://k".into(), dest_name: String::new() };
    let mut w = win("* * * * *", "1h", "");
    w.applications = vec!["web".into()];
    w.namespaces = vec!["dev".into()];
    assert!(w.matches(&app));
    w.and_operator = true;
    assert!(!w.matches(&app));
    w.namespaces = vec!["pr*".into()];
    w.clusters = vec!["https://*".into()];
    assert!(w.matches(&app));
    let empty = SyncWindow { kind: "allow".into(), ..SyncWindow::default() };
    assert!(!empty.matches(&app));
}

#[test]
fn validation_messages_in_argo_order() {
    let a = win("0 2 * * *", "1h", "");
    let e = validate_windows(&[a.clone(), a.clone()]).unwrap_err().to_string();
    assert!(e.starts_with("sync window with kind 'allow', schedule '0 2 * * *', and duration '1h' already exists (hash="), "{e}");
    assert!(e.ends_with(", duplicate detected)"));
    let mut utc = a.clone();
    utc.time_zone = "UTC".into();
    assert!(validate_windows(&[a.clone(), utc]).is_ok(), "\"\" and \"UTC\" differ");
    let mut bad = a.clone();
    bad.kind = "Allow".into();
    assert_eq!(validate_windows(&[bad]).unwrap_err().to_string(), "kind 'Allow' mismatch: can only be allow or deny");
    let mut d = a.clone();
    d.duration = "1d".into();
    assert_eq!(validate_windows(&[d]).unwrap_err().to_string(), "cannot parse duration '1d': time: unknown unit \"d\" in duration \"1d\"");
    let mut long = a.clone();
    long.description = "x".repeat(256);
    assert_eq!(validate_windows(&[long]).unwrap_err().to_string(), "description must not exceed 255 characters");
    let mut none = a;
    none.applications.clear();
    assert_eq!(
        validate_windows(&[none]).unwrap_err().to_string(),
        "window 'allow':'0 2 * * *':'1h' requires one of application, cluster or namespace"
    );
}
