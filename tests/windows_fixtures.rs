//! Every case of the Argo CD sample fixture through the domain API.

#[path = "support/windows.rs"]
mod support;

use cabin::domain::windows::{AppTarget, SyncWindow, check, validate_windows};
use chrono::{DateTime, Utc};

fn instant(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn every_sample_case_passes_through_the_domain_api() {
    let cases = support::load_cases();
    assert!(cases.len() >= 30, "fixture has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in &cases {
        let windows: Vec<SyncWindow> = support::windows_json(case).into_iter().map(|w| serde_json::from_value(w).unwrap()).collect();
        let target = support::target(case).map(|[name, namespace, server, dest_name]| AppTarget { name, namespace, server, dest_name });
        let op = case["operationStartTime"].as_str().map(instant);
        let report = check(&windows, target.as_ref(), instant(&support::now(case)), op);
        let validation = validate_windows(&windows).map_err(|e| e.to_string());
        let fails = support::verify(case, &support::with_helpers(&report), &validation);
        if !fails.is_empty() {
            failures.push(format!("{}: {}", case["name"], fails.join("; ")));
        }
    }
    assert!(failures.is_empty(), "{} failing case(s):\n{}", failures.len(), failures.join("\n"));
}

/// The helper expectations (hasDeny, hasAllow, manualEnabled, denyAllowsOverrun) are checked
/// against cabin's answer: a wrong answer is caught.
#[test]
fn helper_expectations_are_judged_by_cabins_answer() {
    let cases = support::load_cases();
    let mut judged = 0;
    for case in &cases {
        let exp = case["expect"].as_object().unwrap();
        for key in ["hasDeny", "hasAllow", "manualEnabled", "denyAllowsOverrun"] {
            let Some(want) = exp.get(key).and_then(|v| v.as_bool()) else { continue };
            let windows: Vec<SyncWindow> = support::windows_json(case).into_iter().map(|w| serde_json::from_value(w).unwrap()).collect();
            let report = check(&windows, None, instant(&support::now(case)), None);
            let mut value = support::with_helpers(&report);
            let field = support::helper_field(key);
            value[field] = (!want).into();
            let fails = support::verify(case, &value, &Ok(()));
            assert!(fails.iter().any(|f| f.starts_with(key)), "{}: a wrong {key} must fail: {fails:?}", case["name"]);
            judged += 1;
        }
    }
    assert_eq!(judged, 4, "the sample has four helper expectations");
}
