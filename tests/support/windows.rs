//! Shared helpers for the sync-window fixture tests (included with `#[path]`).
#![allow(dead_code)]

use serde_json::Value;

pub const DEFAULT_NOW: &str = "2024-07-15T12:30:30Z";

pub fn load_cases() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/argocd-syncwindows/cases.sample.json");
    let text = std::fs::read_to_string(path).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// The windows of a case, nil entries dropped.
pub fn windows_json(case: &Value) -> Vec<Value> {
    case["windows"].as_array().map(|a| a.iter().filter(|w| !w.is_null()).cloned().collect()).unwrap_or_default()
}

/// (name, namespace, server, destinationName) when the case applies matching.
pub fn target(case: &Value) -> Option<[String; 4]> {
    if case["applyMatching"].as_bool() != Some(true) {
        return None;
    }
    let app = &case["app"];
    let s = |k: &str| app[k].as_str().unwrap_or("").to_string();
    Some([s("name"), s("namespace"), s("server"), s("destinationName")])
}

pub fn now(case: &Value) -> String {
    case["now"].as_str().unwrap_or(DEFAULT_NOW).to_string()
}

/// The report as JSON plus Argo CD's helper predicates, which the CLI contract leaves out.
pub fn with_helpers(report: &cabin::domain::windows::CheckReport) -> Value {
    let mut v = serde_json::to_value(report).unwrap();
    v["has_deny"] = report.has_deny.into();
    v["has_allow"] = report.has_allow.into();
    v["manual_enabled"] = report.manual_enabled.into();
    v["deny_allows_overrun"] = report.deny_allows_overrun.into();
    v
}

/// The report key of a helper expectation.
pub fn helper_field(key: &str) -> &'static str {
    match key {
        "hasDeny" => "has_deny",
        "hasAllow" => "has_allow",
        "manualEnabled" => "manual_enabled",
        _ => "deny_allows_overrun",
    }
}

/// Helper expectations: not in the CLI's JSON; judged through the domain route only.
pub const HELPER_KEYS: [&str; 4] = ["hasDeny", "hasAllow", "manualEnabled", "denyAllowsOverrun"];

fn eq(fails: &mut Vec<String>, key: &str, want: Value, got: Value) {
    if want != got {
        fails.push(format!("{key}: want {want} got {got}"));
    }
}

fn indices(v: &Value) -> Vec<u64> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap()).collect()
}

/// Checks every expectation of `case` against a check report (CLI JSON shape) and the
/// validation result. Returns the list of failures.
pub fn verify(case: &Value, report: &Value, validation: &Result<(), String>) -> Vec<String> {
    let mut fails = Vec::new();
    let exp = case["expect"].as_object().unwrap();
    for (key, want) in exp {
        match key.as_str() {
            "windowActive" => {
                let got: Vec<Value> = report["windows"].as_array().unwrap().iter().map(|w| w["active"].clone()).collect();
                eq(&mut fails, key, want.clone(), Value::from(got));
            }
            "activeCount" => eq(&mut fails, key, want.clone(), report["active"].as_array().unwrap().len().into()),
            "activeIndices" => eq(&mut fails, key, indices(want).into(), indices(&report["active"]).into()),
            "inactiveAllowsCount" => eq(&mut fails, key, want.clone(), report["inactive_allows"].as_array().unwrap().len().into()),
            "inactiveAllowsIndices" => eq(&mut fails, key, indices(want).into(), indices(&report["inactive_allows"]).into()),
            "matchesCount" => eq(&mut fails, key, want.clone(), report["matching"].as_array().unwrap().len().into()),
            "canSyncAuto" => eq(&mut fails, key, want.clone(), report["auto_sync_allowed"].clone()),
            "canSyncManual" => eq(&mut fails, key, want.clone(), report["manual_sync_allowed"].clone()),
            "cliStatus" => eq(&mut fails, key, want.clone(), report["status"].clone()),
            "error" => {
                let mut texts: Vec<String> =
                    report["windows"].as_array().unwrap().iter().filter_map(|w| w["error"].as_str().map(String::from)).collect();
                texts.extend(report["error"].as_str().map(String::from));
                let wants: Vec<String> = match want {
                    Value::Array(a) => a.iter().map(|x| x.as_str().unwrap().to_string()).collect(),
                    other => vec![other.as_str().unwrap().to_string()],
                };
                for w in wants {
                    if !texts.iter().any(|t| t.contains(&w)) {
                        fails.push(format!("error: want substring {w:?} in {texts:?}"));
                    }
                }
            }
            "validationOk" => eq(&mut fails, key, want.clone(), validation.is_ok().into()),
            "validationError" => {
                let got = validation.clone().err().unwrap_or_default();
                if !got.contains(want.as_str().unwrap()) {
                    fails.push(format!("validationError: want {want} got {got:?}"));
                }
            }
            // Argo CD's helper predicates, as cabin computes them (never from the fixture).
            k if HELPER_KEYS.contains(&k) => eq(&mut fails, key, want.clone(), report[helper_field(k)].clone()),
            other => fails.push(format!("unknown expectation key {other}")),
        }
    }
    fails
}
