//! Change clock, freezes (with exceptions) and calendar view-model, on a fixed clock.

use cabin::domain::windows::agenda::{OccurrenceKind, ProjectWindows, next_occurrences, occurrences, render_agenda};
use cabin::domain::windows::clock::{ClockState, change_clock, describe};
use cabin::domain::windows::format::{format_duration, schedule_in_words};
use cabin::domain::windows::freeze::{ChangeTarget, parse_freezes};
use cabin::domain::windows::{AppTarget, SyncWindow};
use chrono::{DateTime, Duration, Utc};

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn w(kind: &str, schedule: &str, duration: &str) -> SyncWindow {
    SyncWindow {
        kind: kind.into(),
        schedule: schedule.into(),
        duration: duration.into(),
        applications: vec!["*".into()],
        ..SyncWindow::default()
    }
}

fn change(name: &str, ns: &str, labels: &[&str]) -> ChangeTarget {
    ChangeTarget {
        app: AppTarget { name: name.into(), namespace: ns.into(), server: "https://prod-1".into(), dest_name: String::new() },
        labels: labels.iter().map(|s| s.to_string()).collect(),
    }
}

fn example_freezes() -> Vec<cabin::domain::windows::freeze::Freeze> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/freezes.example.yaml")).unwrap();
    let cfg = parse_freezes(&text).unwrap();
    for f in &cfg.freezes {
        f.period().unwrap();
    }
    cfg.freezes
}

#[test]
fn durations_format_like_the_header() {
    assert_eq!(format_duration(72 * 60), "1h12m");
    assert_eq!(format_duration(16 * 3600 + 3 * 60 + 59), "16h03m");
    assert_eq!(format_duration(45), "45s");
    assert_eq!(format_duration(12 * 60), "12m");
    assert_eq!(format_duration(2 * 86_400 + 3 * 3600), "2d03h");
}

#[test]
fn open_closed_and_countdown_tick() {
    // Tue/Thu 02:00-06:00 allow. 2024-07-16 is a Tuesday.
    let windows = vec![w("allow", "0 2 * * 2,4", "4h")];
    let c = change("web", "prod", &[]);
    let now = t("2024-07-16T04:48:00Z");
    let state = change_clock(&windows, &[], &c, now);
    assert_eq!(state, ClockState::Open { window: Some(0), closes_at: Some(t("2024-07-16T06:00:00Z")) });
    assert_eq!(describe(&state, now), "OPEN by window 0, closes Tue 06:00 UTC, in 1h12m");
    // The countdown ticks with the (fixed) clock.
    let later = now + Duration::minutes(30);
    assert_eq!(describe(&change_clock(&windows, &[], &c, later), later), "OPEN by window 0, closes Tue 06:00 UTC, in 42m");
    let closed_at = t("2024-07-17T09:57:00Z");
    let state = change_clock(&windows, &[], &c, closed_at);
    assert_eq!(state, ClockState::Closed { next_opening: Some(t("2024-07-18T02:00:00Z")) });
    assert_eq!(describe(&state, closed_at), "CLOSED, next opening Thu 02:00 UTC, in 16h03m");
}

#[test]
fn manual_only_and_deny_closes_open() {
    let mut allow = w("allow", "0 2 * * *", "1h");
    allow.manual_sync = true;
    let c = change("web", "prod", &[]);
    let s = change_clock(&[allow], &[], &c, t("2024-07-16T12:00:00Z"));
    assert_eq!(s, ClockState::ManualOnly { next_opening: Some(t("2024-07-17T02:00:00Z")) });
    // Only a deny window: open until the deny starts.
    let s = change_clock(&[w("deny", "0 22 * * *", "1h")], &[], &c, t("2024-07-16T12:00:00Z"));
    assert_eq!(s, ClockState::Open { window: None, closes_at: Some(t("2024-07-16T22:00:00Z")) });
    let s = change_clock(&[w("deny", "0 22 * * 7", "1h")], &[], &c, t("2024-07-16T12:00:00Z"));
    assert!(matches!(s, ClockState::Invalid { ref error } if error.starts_with("invalid sync windows: cannot parse schedule")));
}

#[test]
fn freezes_block_unless_an_exception_applies() {
    let freezes = example_freezes();
    let windows = vec![w("allow", "* * * * *", "1h")];
    let xmas = t("2026-12-24T12:00:00Z");
    let s = change_clock(&windows, &freezes, &change("web", "prod", &[]), xmas);
    assert_eq!(
        s,
        ClockState::Frozen {
            freeze: "year-end".into(),
            until: t("2027-01-04T08:00:00Z"),
            exception: Some("label 'emergency' or app 'security-*'".into()),
        }
    );
    assert!(matches!(change_clock(&windows, &freezes, &change("web", "prod", &["emergency"]), xmas), ClockState::Open { .. }));
    assert!(matches!(change_clock(&windows, &freezes, &change("security-scan", "prod", &[]), xmas), ClockState::Open { .. }));
    // Scoped freeze: only shop namespaces on black friday.
    let bf = t("2026-11-28T12:00:00Z");
    assert!(
        matches!(change_clock(&windows, &freezes, &change("web", "shop-eu", &[]), bf), ClockState::Frozen { ref freeze, .. } if freeze == "black-friday")
    );
    assert!(matches!(change_clock(&windows, &freezes, &change("web", "prod", &[]), bf), ClockState::Open { .. }));
    // Recurring freeze in New York time: 1 Feb 00:00 EST = 05:00Z, for 24h.
    let s = change_clock(&windows, &freezes, &change("ledger-api", "fin", &[]), t("2026-02-01T06:00:00Z"));
    assert_eq!(s, ClockState::Frozen { freeze: "month-end-close".into(), until: t("2026-02-02T05:00:00Z"), exception: None });
    assert!(matches!(
        change_clock(&windows, &freezes, &change("ledger-api", "fin", &[]), t("2026-02-01T04:59:00Z")),
        ClockState::Open { .. }
    ));
}

#[test]
fn schedule_in_words_reads_like_a_person() {
    let win = w("allow", "0 2 * * 2,4", "4h");
    assert_eq!(schedule_in_words(&win), "at 02:00 on Tuesday and Thursday, for 4h, UTC");
    let mut b = w("deny", "30 22 1 * *", "1h30m");
    b.time_zone = "Europe/Berlin".into();
    assert_eq!(schedule_in_words(&b), "at 22:30 on day 1 of the month, for 1h30m, Europe/Berlin");
    assert_eq!(schedule_in_words(&w("allow", "* * * * *", "1h")), "every minute, for 1h, UTC");
}

#[test]
fn next_occurrences_and_agenda() {
    let win = w("allow", "0 2 * * 2,4", "4h");
    let next = next_occurrences(&win, t("2024-07-15T00:00:00Z"), 5).unwrap();
    let starts: Vec<String> = next.iter().map(|(s, _)| s.to_rfc3339()).collect();
    assert_eq!(
        starts,
        [
            "2024-07-16T02:00:00+00:00",
            "2024-07-18T02:00:00+00:00",
            "2024-07-23T02:00:00+00:00",
            "2024-07-25T02:00:00+00:00",
            "2024-07-30T02:00:00+00:00",
        ]
    );
    assert_eq!(next[0].1, t("2024-07-16T06:00:00Z"));
    let projects = vec![ProjectWindows { project: "shop".into(), windows: vec![win, w("deny", "0 3 * * 2", "1h")], own: false }];
    let occ = occurrences(&projects, None, t("2024-07-16T03:30:00Z"), 3);
    let kinds: Vec<(OccurrenceKind, String)> = occ.iter().map(|o| (o.kind, o.start.format("%d %H:%M").to_string())).collect();
    assert_eq!(
        kinds,
        [(OccurrenceKind::Allow, "16 02:00".into()), (OccurrenceKind::Deny, "16 03:00".into()), (OccurrenceKind::Allow, "18 02:00".into()),]
    );
    let text = render_agenda(&projects, t("2024-07-16T03:30:00Z"), 3);
    assert!(text.contains("02:00–07-16 06:00 (4h00m) Allow shop[0] ◀ now"), "{text}");
    assert!(text.contains("Thu 2024-07-18"), "{text}");
}

#[test]
fn calendar_merges_windows_and_freezes() {
    use cabin::domain::windows::agenda::calendar;
    let freezes = example_freezes();
    let projects = vec![ProjectWindows { project: "shop".into(), windows: vec![w("allow", "0 2 * * *", "1h")], own: false }];
    let target = change("web", "shop-eu", &[]).app;
    let occ = calendar(&projects, &freezes, Some(&target), t("2026-11-27T00:00:00Z"), 2);
    let got: Vec<(OccurrenceKind, String, String)> =
        occ.iter().map(|o| (o.kind, o.source.clone(), o.start.format("%d %H:%M").to_string())).collect();
    assert_eq!(
        got,
        [
            (OccurrenceKind::Allow, "shop".into(), "27 02:00".into()),
            (OccurrenceKind::Freeze, "black-friday".into(), "27 05:00".into()),
            (OccurrenceKind::Allow, "shop".into(), "28 02:00".into()),
        ]
    );
    // Another namespace is not in the black-friday scope.
    let other = change("web", "prod", &[]).app;
    assert!(calendar(&projects, &freezes, Some(&other), t("2026-11-27T00:00:00Z"), 2).iter().all(|o| o.kind != OccurrenceKind::Freeze));
}

#[test]
fn shared_flags_agree_with_per_target_evaluation() {
    use cabin::domain::windows::clock::ProjectClock;
    let mut ws = vec![w("allow", "0 2 * * *", "3h"), w("deny", "30 3 * * *", "1h"), w("allow", "0 12 * * 1-5", "6h")];
    ws[1].applications = vec!["api-*".into()];
    ws[2].manual_sync = true;
    let project = ProjectClock::new(&ws);
    for hour in 0..48 {
        let at = t("2024-07-15T00:10:00Z") + Duration::minutes(37 * hour);
        let flags = project.active_flags(at);
        for name in ["api-1", "web"] {
            let tw = project.target(&change(name, "prod", &[])).unwrap();
            assert_eq!(tw.can_sync_with(&flags), tw.can_sync(at), "{name} at {at}");
        }
    }
}
