//! The calendar screen: snapshots at 80x24 and 160x48 in two themes, per-cell colours,
//! navigation and jump-to-day, and the header change clock ticking with a fixed clock.
#[path = "fixtures/tui/cluster.rs"]
mod cluster;
use cluster::text;
#[path = "fixtures/tui/windows.rs"]
mod windows;
use windows::*;

use cabin::config::{Slot, Theme};
use cabin::domain::windows::AppTarget;
use cabin::domain::windows::freeze::{ChangeTarget, parse_freezes};
use cabin::engine::windows_feed::WindowsFeed;
use cabin::tui::screens::calendar::{
    CalTarget, CalendarMsg, CalendarState, CalendarView, DayError, ItemSource, header_clock, parse_day, read_day,
};
use chrono::{DateTime, Utc};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

/// Monday 2026-11-23 14:30 UTC.
fn now() -> DateTime<Utc> {
    at("2026-11-23T14:30:00Z")
}

/// The demo windows plus the black-friday freeze of config/freezes.example.yaml.
fn feed() -> WindowsFeed {
    let mut f = demo_feed();
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/freezes.example.yaml")).unwrap();
    let cfg = parse_freezes(&text).unwrap();
    f.freezes = cfg.freezes.into_iter().filter(|x| x.name == "black-friday").collect();
    assert_eq!(f.freezes.len(), 1);
    f
}

fn render(state: &CalendarState, theme: &Theme, w: u16, h: u16) -> Buffer {
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    CalendarView::new(state, theme).render(area, &mut buf);
    buf
}

/// One letter per cell for the meaningful colours: o = ok, d = danger, w = warn, a = accent.
fn colour_map(buf: &Buffer, theme: &Theme) -> String {
    let slots = [(Slot::Ok, 'o'), (Slot::Danger, 'd'), (Slot::Warn, 'w'), (Slot::Accent, 'a')];
    let mut out = String::new();
    for y in 0..buf.area.height {
        let line: String = (0..buf.area.width)
            .map(|x| {
                let fg = buf[(x, y)].fg;
                slots.iter().find(|(s, _)| theme.color(*s) == fg).map_or(' ', |(_, c)| *c)
            })
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn snapshots_in_two_sizes_and_two_themes() {
    let state = CalendarState::new(now(), feed());
    for theme_name in ["dark", "light"] {
        let theme = Theme::preset(theme_name).unwrap();
        for (w, h) in [(80, 24), (160, 48)] {
            let buf = render(&state, &theme, w, h);
            let snap = format!("{}--- colours ---\n{}", text(&buf), colour_map(&buf, &theme));
            insta::assert_snapshot!(format!("calendar_{w}x{h}_{theme_name}"), snap);
        }
    }
}

#[test]
fn detail_pane_of_the_manual_window_at_160x48() {
    let mut state = CalendarState::new(now(), feed());
    let app = AppTarget { name: "security-scanner".into(), ..AppTarget::default() };
    let label = "app argocd/security-scanner · project production".to_string();
    state.update(CalendarMsg::SetTarget(Some(CalTarget { app, project: Some("production".into()), label })));
    state.update(CalendarMsg::Today);
    let sel = state.selected_item().unwrap();
    assert_eq!(sel.source, ItemSource::Window { project: 0, index: 2 });
    let buf = render(&state, &Theme::preset("dark").unwrap(), 160, 48);
    let t = text(&buf);
    assert!(t.contains("manualSync: yes"), "{t}");
    assert!(t.contains("every minute, for 1h, UTC"), "{t}");
    assert!(t.contains("active now, beyond the calendar's range"), "{t}");
    assert!(t.contains("firings overlap: active continuously"), "{t}");
    insta::assert_snapshot!("calendar_detail_manual_160x48_dark", t);
}

#[test]
fn deny_rows_are_danger_allow_ok_freeze_warn_now_accent() {
    for name in ["dark", "light"] {
        colours_in(&Theme::preset(name).unwrap());
    }
}

fn colours_in(theme: &Theme) {
    let theme = theme.clone();
    let mut state = CalendarState::new(now(), feed());
    state.update(CalendarMsg::ToggleDetail);
    let buf = render(&state, &theme, 160, 48);
    let t = text(&buf);
    let find = |needle: &str| -> (u16, u16) {
        for (y, line) in t.lines().enumerate() {
            if let Some(col) = line.find(needle) {
                let x = line[..col].chars().count();
                return (x as u16, y as u16);
            }
        }
        panic!("{needle} not on screen:\n{t}");
    };
    let (x, y) = find("deny   production/deny#1");
    for dx in 0..4 {
        assert_eq!(buf[(x + dx, y)].fg, theme.color(Slot::Danger), "deny word at ({},{y})", x + dx);
    }
    let (x, y) = find("allow  production/allow#0");
    assert_eq!(buf[(x, y)].fg, theme.color(Slot::Ok));
    let (x, y) = find("freeze freeze black-friday");
    assert_eq!(buf[(x, y)].fg, theme.color(Slot::Warn));
    let (x, y) = find("▼");
    assert_eq!(buf[(x, y)].fg, theme.color(Slot::Accent));
    let (x, y) = find("── now 14:30 UTC");
    assert_eq!(buf[(x, y)].fg, theme.color(Slot::Accent));
    // The deny lane of the timeline: filled cells are danger, never another kind's colour.
    let (lx, ly) = find("production/deny#1");
    let filled: Vec<_> = (lx..buf.area.width).filter(|x| buf[(*x, ly)].symbol() == "█").collect();
    assert!(!filled.is_empty());
    assert!(filled.iter().all(|x| buf[(*x, ly)].fg == theme.color(Slot::Danger)));
}

#[test]
fn navigation_and_jump_to_day() {
    let mut s = CalendarState::new(now(), feed());
    assert_eq!((s.cursor, s.selected), (day("2026-11-23"), 0));
    s.update(CalendarMsg::Down);
    assert_eq!(s.selected_item().unwrap().source, ItemSource::Window { project: 0, index: 1 });
    assert_eq!(s.cursor, day("2026-11-23"));
    s.update(CalendarMsg::Down);
    assert_eq!(s.selected_item().unwrap().source, ItemSource::Window { project: 0, index: 0 });
    assert_eq!(s.cursor, day("2026-11-24"));
    s.update(CalendarMsg::Up);
    assert_eq!(s.cursor, day("2026-11-23"));
    s.update(CalendarMsg::NextDay);
    s.update(CalendarMsg::NextDay);
    assert_eq!(s.cursor, day("2026-11-25"));
    let sel = s.selected_item().unwrap();
    assert_eq!(sel.source, ItemSource::Window { project: 0, index: 1 });
    assert_eq!(sel.span.unwrap().0, at("2026-11-25T08:00:00Z"));
    // Friday: the freeze (05:00) comes before the deny window (08:00).
    s.update(CalendarMsg::JumpToDay(day("2026-11-27")));
    assert_eq!(s.selected_item().unwrap().source, ItemSource::Freeze(0));
    // Beyond the range: the range moves so that the day is its last one.
    s.update(CalendarMsg::JumpToDay(day("2026-12-24")));
    assert_eq!((s.start, s.cursor, s.follow_today), (day("2026-12-11"), day("2026-12-24"), false));
    let sel = s.selected_item().unwrap();
    assert_eq!(sel.span.unwrap().0, at("2026-12-24T02:00:00Z"));
    s.update(CalendarMsg::Today);
    assert_eq!((s.start, s.cursor, s.follow_today), (day("2026-11-23"), day("2026-11-23"), true));
    // Deep in the agenda at 80x24: the focused day and the selected entry are on screen.
    s.update(CalendarMsg::JumpToDay(day("2026-12-03")));
    let t = text(&render(&s, &Theme::preset("dark").unwrap(), 80, 24));
    assert!(t.contains("▸ Thu 03 Dec"), "{t}");
    assert!(t.contains("02:00–06:00  4h00m allow  production/allow#0"), "{t}");
    s.update(CalendarMsg::Today);
    s.update(CalendarMsg::ToggleDetail);
    assert!(!s.show_detail);
}

#[test]
fn tick_moves_the_now_marker_and_follows_today() {
    let mut s = CalendarState::new(now(), feed());
    s.update(CalendarMsg::JumpToDay(day("2026-11-26")));
    let picked = s.selected_item().cloned().unwrap();
    s.update(CalendarMsg::Tick(at("2026-11-23T14:31:00Z")));
    assert_eq!((s.start, s.selected_item(), s.follow_today), (day("2026-11-23"), Some(&picked), true));
    // Past midnight the range follows today and the selected entry stays selected.
    s.update(CalendarMsg::Tick(at("2026-11-24T00:01:00Z")));
    assert_eq!(s.start, day("2026-11-24"));
    assert_eq!(s.selected_item(), Some(&picked));
    assert_eq!(s.cursor, day("2026-11-26"));
    s.update(CalendarMsg::Today);
    assert_eq!(s.cursor, day("2026-11-24"));
    let t = text(&render(&s, &Theme::preset("dark").unwrap(), 80, 24));
    assert!(t.contains("now Tue 00:01 UTC"), "{t}");
}

#[test]
fn feed_errors_and_invalid_windows_are_listed_first() {
    let mut s = CalendarState::new(now(), feed());
    let mut f = feed();
    f.projects[0].windows.push(window("deny", "0 25 * * *", "1h", &["*"], false));
    f.errors.push("bad.yaml: not valid YAML".into());
    s.update(CalendarMsg::Feed(f));
    use cabin::tui::screens::calendar::AgendaRow;
    assert_eq!(&s.rows()[..3], &[AgendaRow::Problems, AgendaRow::Error(0), AgendaRow::Item(0)]);
    assert_eq!(s.items()[0].span, None);
    let mut s2 = s.clone();
    s2.update(CalendarMsg::Up);
    s2.update(CalendarMsg::Up);
    s2.update(CalendarMsg::Up);
    assert_eq!(s2.selected, 0);
    let t = text(&render(&s2, &Theme::preset("dark").unwrap(), 160, 48));
    assert!(t.contains("bad.yaml: not valid YAML"), "{t}");
    assert!(t.contains("✗ cannot parse schedule '0 25 * * *'"), "{t}");
}

#[test]
fn keys_map_to_messages() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let s = CalendarState::new(now(), feed());
    let k = |c| s.key_msg(&KeyEvent::new(c, KeyModifiers::NONE));
    assert_eq!(k(KeyCode::Char('j')), Some(CalendarMsg::Down));
    assert_eq!(k(KeyCode::Char('l')), Some(CalendarMsg::NextDay));
    assert_eq!(k(KeyCode::Char(']')), Some(CalendarMsg::JumpToDay(day("2026-11-30"))));
    assert_eq!(k(KeyCode::Enter), Some(CalendarMsg::ToggleDetail));
    assert_eq!(k(KeyCode::Char('x')), None);
    let today = day("2026-11-23");
    assert_eq!(parse_day("2026-12-24", today), Some(day("2026-12-24")));
    assert_eq!(parse_day("12-24", today), Some(day("2026-12-24")));
    assert_eq!(parse_day("01-02", today), Some(day("2027-01-02")));
    assert_eq!(parse_day("+3", today), Some(day("2026-11-26")));
    assert_eq!(parse_day("fri", today), Some(day("2026-11-27")));
    assert_eq!(parse_day("mon", today), Some(today));
    assert_eq!(parse_day("someday", today), None);
}

fn target(app: &str, ns: &str, labels: &[&str]) -> ChangeTarget {
    ChangeTarget {
        app: AppTarget { name: app.into(), namespace: ns.into(), ..AppTarget::default() },
        labels: labels.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn header_clock_ticks_with_a_fixed_clock() {
    let f = feed();
    let web = target("web", "default", &[]);
    let clock = |t: &str| header_clock(&f, Some("production"), &web, at(t), None);
    // Monday 14:30: the deny window (08:00-18:00) blocks; the allow opens Tue 02:00.
    assert_eq!(clock("2026-11-23T14:30:00Z"), "CLOSED · next opening Tue 02:00 UTC (in 11h30m)");
    assert_eq!(clock("2026-11-23T14:31:00Z"), "CLOSED · next opening Tue 02:00 UTC (in 11h29m)");
    assert_eq!(clock("2026-11-24T01:59:30Z"), "CLOSED · next opening 02:00 UTC (in 30s)");
    assert_eq!(clock("2026-11-24T03:00:00Z"), "OPEN production/allow#0 · closes 06:00 UTC (in 3h00m)");
    assert_eq!(clock("2026-11-24T05:48:00Z"), "OPEN production/allow#0 · closes 06:00 UTC (in 12m)");
    // Friday 20:00: next opening is the next Tuesday.
    assert_eq!(clock("2026-11-27T20:00:00Z"), "CLOSED · next opening Tue 02:00 UTC (in 3d06h)");
    // Unknown project: nothing restricts.
    assert_eq!(header_clock(&f, Some("nope"), &web, now(), None), "OPEN · no sync window restricts it");
}

#[test]
fn header_clock_manual_only_and_frozen() {
    let f = feed();
    let sec = target("security-scanner", "default", &[]);
    // The active deny has no manualSync: nothing may sync until it closes at 18:00, when the
    // always-active security-* allow window takes over.
    assert_eq!(header_clock(&f, Some("production"), &sec, now(), None), "CLOSED · next opening 18:00 UTC (in 3h30m)");
    // With manualSync on the deny window, manual syncs may run during business hours.
    let mut manual = feed();
    manual.projects[0].windows[1].manual_sync = true;
    let web = target("web", "default", &[]);
    assert_eq!(header_clock(&manual, Some("production"), &web, now(), None), "MANUAL ONLY · automatic sync from Tue 02:00 UTC (in 11h30m)");
    let shop = target("web", "checkout", &[]);
    let sat = at("2026-11-28T12:00:00Z");
    assert_eq!(
        header_clock(&f, Some("production"), &shop, sat, None),
        "FROZEN black-friday until Mon 17:00 UTC (in 2d05h) · emergency passes"
    );
    let urgent = target("web", "checkout", &["emergency"]);
    assert_eq!(header_clock(&f, Some("production"), &urgent, sat, None), "CLOSED · next opening Tue 02:00 UTC (in 2d14h)");
}

#[test]
fn header_clock_shows_the_users_zone_across_dst() {
    let f = feed();
    let web = target("web", "default", &[]);
    let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
    // Summer time (EDT, UTC-4): Monday 10:30 local.
    assert_eq!(
        header_clock(&f, Some("production"), &web, at("2026-07-06T14:30:00Z"), Some(ny)),
        "CLOSED · next opening Tue 02:00 UTC · 22:00 EDT (in 11h30m)"
    );
    // Saturday 31 Oct (EDT); the opening is after the fall-back of 1 Nov, so in EST.
    assert_eq!(
        header_clock(&f, Some("production"), &web, at("2026-10-31T14:30:00Z"), Some(ny)),
        "CLOSED · next opening Tue 02:00 UTC · Mon 21:00 EST (in 2d11h)"
    );
    // A zone at UTC's offset adds nothing.
    let london: chrono_tz::Tz = "Europe/London".parse().unwrap();
    assert_eq!(header_clock(&f, Some("production"), &web, now(), Some(london)), "CLOSED · next opening Tue 02:00 UTC (in 11h30m)");
}

#[test]
fn load_files_reports_bad_files_and_loads_the_rest() {
    use cabin::engine::windows_feed::load_files;
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("prod.yaml");
    std::fs::write(&good, "apiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: production}\nspec:\n  syncWindows:\n  - {kind: allow, schedule: '0 2 * * 2,4', duration: 4h, applications: ['*']}\n---\napiVersion: argoproj.io/v1alpha1\nkind: AppProject\nmetadata: {name: staging}\nspec: {}\n").unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(&broken, "kind: AppProject\nspec: [unclosed\n").unwrap();
    let deploy = dir.path().join("deploy.yaml");
    std::fs::write(&deploy, "kind: Deployment\nmetadata: {name: x}\n").unwrap();
    let missing = dir.path().join("missing.yaml");
    let bad_freezes = dir.path().join("freezes.yaml");
    std::fs::write(&bad_freezes, "freezes: {not: a list}\n").unwrap();
    let windows = concat!(env!("CARGO_MANIFEST_DIR"), "/config/windows.example.yaml");
    let feed = load_files(&[good.clone(), broken.clone(), deploy.clone(), missing.clone()], Some(windows.as_ref()), Some(&bad_freezes));
    let names: Vec<(&str, bool)> = feed.projects.iter().map(|p| (p.project.as_str(), p.own)).collect();
    // cabin's windows file keeps its projects apart from the AppProjects of the same name.
    assert_eq!(names, [("production", false), ("staging", false), ("production", true), ("staging", true)]);
    assert_eq!(feed.windows_of("production").len(), 1, "the AppProject's windows");
    assert_eq!(feed.projects[2].windows.len(), 3, "the windows file's production");
    for p in &feed.projects {
        cabin::domain::windows::validate_windows(&p.windows).unwrap();
    }
    assert_eq!(feed.errors.len(), 4, "{:#?}", feed.errors);
    assert!(feed.errors[0].starts_with(&format!("{}: document 1 (line 1): not valid YAML", broken.display())), "{}", feed.errors[0]);
    assert!(feed.errors[1].starts_with(&format!("{}: no Argo CD AppProject found", deploy.display())));
    assert!(feed.errors[2].starts_with(&format!("{}: cannot read the file", missing.display())));
    assert!(feed.errors[3].starts_with(&format!("{}: freezes file is not valid YAML", bad_freezes.display())));
    let ok_freezes = concat!(env!("CARGO_MANIFEST_DIR"), "/config/freezes.example.yaml");
    let feed = load_files(&[good], None, Some(ok_freezes.as_ref()));
    assert_eq!((feed.projects.len(), feed.freezes.len(), feed.errors.len()), (2, 3, 0));
    for f in &feed.freezes {
        assert!(f.period().is_ok(), "{}", f.name);
    }
}

#[test]
fn header_clock_without_a_project_uses_every_window_of_cabins_windows_file() {
    // (cabin's windows file: the projects marked `own`, for workloads no Application manages.)
    use cabin::engine::windows_feed::load_files;
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/config/windows.example.yaml");
    let f = load_files(&[], Some(file.as_ref()), None);
    assert_eq!(f.errors, Vec::<String>::new());
    // checkout is in the business-hours deny window, which allows manual syncs.
    let checkout = target("web", "checkout", &[]);
    assert_eq!(header_clock(&f, None, &checkout, now(), None), "MANUAL ONLY · automatic sync from Tue 02:00 UTC (in 11h30m)");
    let security = target("security-fix", "default", &[]);
    assert_eq!(header_clock(&f, None, &security, now(), None), "OPEN production/allow#2 · no close within a year");
}

#[test]
fn parse_day_is_bounded() {
    let today = day("2026-11-23");
    assert_eq!(parse_day("+36525", today), Some(day("2126-11-24")));
    for arg in ["+200000000000", "+262143-12-25", "+262142-12-25", "-99999999999999999999999", "+36526", "9999-01-01"] {
        let err = read_day(arg, today).expect_err(arg);
        assert_eq!(err, DayError::OutOfRange(arg.to_string()), "{arg}");
    }
    assert_eq!(read_day("-", today), Err(DayError::Unreadable("-".into())));
}
