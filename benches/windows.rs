//! 1,000 sync windows x 10,000 targets: CanSync now, and the next opening within a year.
//! Pathological glob patterns (they come from the cluster's AppProjects): microseconds each.

use cabin::domain::windows::clock::ProjectClock;
use cabin::domain::windows::freeze::ChangeTarget;
use cabin::domain::windows::glob::Glob;
use cabin::domain::windows::{AppTarget, SyncWindow};
use chrono::{DateTime, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn windows() -> Vec<SyncWindow> {
    (0..1_000)
        .map(|i| SyncWindow {
            kind: if i % 3 == 0 { "deny" } else { "allow" }.into(),
            schedule: format!("{} {} * * {}", i % 60, (i / 7) % 24, i % 7),
            duration: format!("{}h", 1 + i % 4),
            applications: vec![format!("app-{}*", i % 100)],
            namespaces: if i % 10 == 0 { vec![format!("ns-{}", i % 50)] } else { Vec::new() },
            manual_sync: i % 5 == 0,
            time_zone: if i % 4 == 0 { "Europe/Berlin".into() } else { String::new() },
            ..SyncWindow::default()
        })
        .collect()
}

fn targets() -> Vec<ChangeTarget> {
    (0..10_000)
        .map(|j| ChangeTarget {
            app: AppTarget {
                name: format!("app-{}-{j}", j % 100),
                namespace: format!("ns-{}", j % 50),
                server: "https://kubernetes.default.svc".into(),
                dest_name: String::new(),
            },
            labels: Vec::new(),
        })
        .collect()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 16, 30, 0).single().unwrap_or_default()
}

fn bench(c: &mut Criterion) {
    let ws = windows();
    let ts = targets();
    let project = ProjectClock::new(&ws);
    let mut group = c.benchmark_group("windows_1000x10000");
    group.sample_size(10);
    group.bench_function("can_sync_now", |b| {
        b.iter(|| {
            let flags = project.active_flags(now());
            let mut allowed = 0usize;
            for t in &ts {
                if let Ok(tw) = project.target(t) {
                    allowed += usize::from(tw.can_sync_with(&flags).0);
                }
            }
            black_box(allowed)
        })
    });
    group.bench_function("next_opening_within_a_year", |b| {
        b.iter(|| {
            let mut found = 0usize;
            for t in &ts {
                if let Ok(tw) = project.target(t) {
                    found += usize::from(tw.next_auto_change(now(), true).is_some());
                }
            }
            black_box(found)
        })
    });
    group.finish();
}

/// Patterns a backtracking matcher needs seconds (or ages) for.
fn globs(c: &mut Criterion) {
    let mut group = c.benchmark_group("glob_pathological");
    let cases = [
        ("star_a7_b_60", "*a*a*a*a*a*a*a*b", "a".repeat(60)),
        ("star_a16_b_253", "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", "a".repeat(253)),
        ("alt_star_6_253", "{*a,*b}{*a,*b}{*a,*b}{*a,*b}{*a,*b}{*a,*b}c", "ab".repeat(126)),
    ];
    for (name, pattern, text) in cases {
        let Some(g) = Glob::compile(pattern) else { continue };
        group.bench_function(name, |b| b.iter(|| black_box(g.is_match(black_box(&text)))));
    }
    group.bench_function("compile_and_match_star_a7_b_60", |b| {
        let text = "a".repeat(60);
        b.iter(|| black_box(cabin::domain::windows::glob::glob_match(black_box("*a*a*a*a*a*a*a*b"), &text)))
    });
    group.finish();
}

criterion_group!(benches, bench, globs);
criterion_main!(benches);
