//! Reading what a live test's driftgate run printed: its output for a failure message, its JSON
//! report, its findings.

use std::collections::BTreeSet;
use std::process::Output;

use serde_json::Value as Json;

/// A run's exit status and both streams, for a failure message.
pub fn show(out: &Output) -> String {
    format!(
        "exit: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The JSON report a run printed.
pub fn report(out: &Output) -> Json {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not a JSON report ({e}):\n{}", show(out)))
}

pub fn assert_exit(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "expected exit {code}:\n{}",
        show(out)
    );
}

/// An output for a stack's scan not taken yet.
pub fn no_output() -> Output {
    std::process::Command::new("true")
        .output()
        .expect("run true")
}

/// (kind, resource_type, address or id, severity, rule) of every finding.
pub fn finding_rows(r: &Json) -> BTreeSet<(String, String, String, String, String)> {
    let s = |v: &Json| v.as_str().unwrap_or("?").to_string();
    r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            let at = f["address"]
                .as_str()
                .unwrap_or_else(|| f["id"].as_str().unwrap_or("?"));
            (
                s(&f["kind"]),
                s(&f["resource_type"]),
                at.to_string(),
                s(&f["severity"]),
                s(&f["rule"]),
            )
        })
        .collect()
}

/// The report's findings are exactly `want`, each `[kind, resource_type, address or id,
/// severity, rule]` as [`finding_rows`] gives them; a failure shows what was not found and what
/// was not expected.
pub fn assert_finding_rows(r: &Json, want: &[[&str; 5]]) {
    let got = finding_rows(r);
    let want: BTreeSet<_> = want
        .iter()
        .map(|w| {
            let [kind, ty, at, severity, rule] = w.map(str::to_string);
            (kind, ty, at, severity, rule)
        })
        .collect();
    let missing: Vec<_> = want.difference(&got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "not found: {missing:#?}\nnot expected: {extra:#?}\n{r:#}"
    );
}

/// A state value as driftgate's model holds it (test-side conversion).
pub fn model_value(j: &Json) -> driftgate::model::Value {
    use driftgate::model::Value;
    match j {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => Value::Number(n.as_f64().unwrap_or_default()),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::List(a.iter().map(model_value).collect()),
        Json::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), model_value(v))).collect()),
    }
}

/// A scan right after apply: exit 0, complete, no gap, no finding, every recorded resource
/// checked. Its report.
pub fn assert_clean_with_full_coverage(out: &Output) -> Json {
    assert_eq!(out.status.code(), Some(0), "{}", show(out));
    let r = report(out);
    assert_eq!(r["complete"], serde_json::json!(true), "{r:#}");
    assert_eq!(r["gaps"], serde_json::json!([]), "{r:#}");
    assert_eq!(r["findings"], serde_json::json!([]), "{r:#}");
    assert_eq!(r["coverage"]["percent"], serde_json::json!(100.0), "{r:#}");
    assert_eq!(r["coverage"]["checked"], r["coverage"]["recorded"], "{r:#}");
    r
}
