//! Shards that merge: JSON scan reports of separate runs (one account or region per CI job or
//! Kubernetes Job) combined into one report of the same schema (pure; `ops::merge` reads the
//! files and prints).
//!
//! - Findings, ignored findings, pending changes, not-checked resources and gaps are unions:
//!   an item that two shards both report (overlapping shards, the same state scanned twice)
//!   counts once. A finding's identity is its kind, type, id, address, state and region; when
//!   two shards grade the same finding differently, the more severe grade is kept.
//! - The merged report is complete only when every shard was: a shard that could not see
//!   everything keeps the whole picture from reading as clean.
//! - `summary` counts findings from the merged lists; `recorded`, `observed` and `checked` are
//!   summed over the shards (once per distinct set of states and regions, so the same shard
//!   given twice is not counted twice). `api_calls` are summed; `duration_ms` is the longest
//!   shard's (shards run side by side).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value as J, json};

use crate::model::{Severity, UnknownSeverity};

/// Why a file cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAReport {
    pub index: usize,
    pub reason: String,
}

/// A report's severity field (`fail_on`, a finding's `severity`), as the model reads it: an
/// absent field is `info` (the threshold a report without `fail_on` had, the grade of an
/// ungraded finding); a present one must name one of the five levels.
fn read_severity(v: Option<&J>) -> Result<Severity, String> {
    match v {
        None => Ok(Severity::Info),
        Some(J::String(s)) => s.parse().map_err(|e: UnknownSeverity| e.to_string()),
        Some(other) => Err(format!("severity {other} is not a name")),
    }
}

/// A severity field of a report [`merge`] accepted (so it is absent or known).
fn severity(v: Option<&J>) -> Severity {
    read_severity(v).unwrap_or(Severity::Info)
}

fn finding_key(f: &J) -> String {
    let k = |n: &str| f.get(n).map(|v| v.to_string()).unwrap_or_default();
    [
        k("kind"),
        k("resource_type"),
        k("id"),
        k("address"),
        k("state"),
        k("region"),
    ]
    .join("\u{1f}")
}

/// The order scan reports use: kind, type, address, id (then the rest, for a total order).
fn finding_order(f: &J) -> (String, String, String, String, String) {
    let s = |n: &str| {
        f.get(n)
            .and_then(J::as_str)
            .map(str::to_string)
            .unwrap_or_default()
    };
    (
        s("kind"),
        s("resource_type"),
        s("address"),
        s("id"),
        finding_key(f),
    )
}

/// A union of findings: one per identity, the most severe grade kept.
fn union_findings<'a>(lists: impl Iterator<Item = &'a J>) -> Vec<J> {
    let mut by: BTreeMap<String, J> = BTreeMap::new();
    for f in lists.flat_map(|l| l.as_array().into_iter().flatten()) {
        let key = finding_key(f);
        match by.get(&key) {
            Some(old) if severity(old.get("severity")) >= severity(f.get("severity")) => {}
            _ => {
                by.insert(key, f.clone());
            }
        }
    }
    let mut out: Vec<J> = by.into_values().collect();
    out.sort_by_key(finding_order);
    out
}

/// A union of any other list: identical items once, sorted by their JSON text.
fn union<'a>(lists: impl Iterator<Item = &'a J>) -> Vec<J> {
    let set: BTreeSet<String> = lists
        .flat_map(|l| l.as_array().into_iter().flatten())
        .map(|v| v.to_string())
        .collect();
    set.iter()
        .filter_map(|s| serde_json::from_str(s).ok())
        .collect()
}

fn strings<'a>(lists: impl Iterator<Item = &'a J>) -> Vec<J> {
    let set: BTreeSet<&str> = lists
        .flat_map(|l| l.as_array().into_iter().flatten())
        .filter_map(J::as_str)
        .collect();
    set.into_iter().map(J::from).collect()
}

/// Merges scan reports (their JSON, as `scan --format json` writes it). `fail_on` overrides
/// the threshold; otherwise the strictest of the shards' is kept.
pub fn merge(reports: &[J], fail_on: Option<Severity>) -> Result<J, NotAReport> {
    if reports.is_empty() {
        return Err(NotAReport {
            index: 0,
            reason: "no report to merge".into(),
        });
    }
    for (index, r) in reports.iter().enumerate() {
        let bad = |reason: &str| NotAReport {
            index,
            reason: reason.into(),
        };
        let o = r.as_object().ok_or_else(|| bad("not a JSON object"))?;
        match o.get("schema_version").and_then(J::as_u64) {
            Some(1) => {}
            Some(v) => return Err(bad(&format!("schema_version {v}; this driftgate reads 1"))),
            None => return Err(bad("no schema_version: not a driftgate JSON report")),
        }
        for k in ["complete", "findings", "summary", "gaps", "states"] {
            if !o.contains_key(k) {
                return Err(bad(&format!("no `{k}`: not a driftgate scan report")));
            }
        }
        read_severity(o.get("fail_on"))
            .map_err(|e| bad(&format!("`fail_on`: {e}: not a driftgate scan report")))?;
        for k in ["findings", "ignored"] {
            let items = o.get(k).and_then(J::as_array).into_iter().flatten();
            for (i, f) in items.enumerate() {
                read_severity(f.get("severity")).map_err(|e| {
                    bad(&format!(
                        "`{k}[{i}].severity`: {e}: not a driftgate scan report"
                    ))
                })?;
            }
        }
    }
    let field = |k: &'static str| reports.iter().filter_map(move |r| r.get(k));
    let findings = union_findings(field("findings"));
    let ignored = union_findings(field("ignored"));
    let complete = reports.iter().all(|r| r["complete"] == J::Bool(true));
    let strict = reports.iter().all(|r| r["strict"] == J::Bool(true));

    // Counts of what was read: once per distinct shard (its states and regions).
    let mut seen = BTreeSet::new();
    let mut sums: BTreeMap<&str, u64> = BTreeMap::new();
    let mut unsupported = 0;
    let mut unchecked_fail = false;
    let mut duration: Option<u64> = None;
    let mut api_calls: BTreeMap<String, u64> = BTreeMap::new();
    for r in reports {
        if !seen.insert((r["states"].to_string(), r["regions"].to_string())) {
            continue;
        }
        for k in ["recorded", "observed", "checked"] {
            *sums.entry(k).or_default() += r["summary"][k].as_u64().unwrap_or(0);
        }
        unsupported += r["coverage"]["unsupported"].as_u64().unwrap_or(0);
        unchecked_fail |= r["coverage"]["unchecked"] != "report";
        if let Some(d) = r.get("duration_ms").and_then(J::as_u64) {
            duration = Some(duration.map_or(d, |x| x.max(d)));
        }
        for (op, n) in r
            .get("api_calls")
            .and_then(J::as_object)
            .into_iter()
            .flatten()
        {
            *api_calls.entry(op.clone()).or_default() += n.as_u64().unwrap_or(0);
        }
    }
    let not_checked = union(field("not_checked"));
    let count = |kind: &str| {
        findings
            .iter()
            .chain(&ignored)
            .filter(|f| f["kind"] == kind)
            .count()
    };
    let recorded = sums.get("recorded").copied().unwrap_or(0);
    let checked = sums.get("checked").copied().unwrap_or(0);
    let percent = if recorded == 0 {
        100.0
    } else {
        ((checked as f64) * 10000.0 / (recorded as f64)).round() / 100.0
    };
    // The strictest shard's threshold; a shard without `fail_on` had `info`.
    let fail_on = fail_on.unwrap_or_else(|| {
        reports
            .iter()
            .map(|r| severity(r.get("fail_on")))
            .min()
            .unwrap_or(Severity::Info)
    });

    let mut out = Map::new();
    out.insert("schema_version".into(), json!(1));
    out.insert("driftgate_version".into(), json!(env!("CARGO_PKG_VERSION")));
    out.insert("complete".into(), json!(complete));
    out.insert("strict".into(), json!(strict));
    out.insert("gaps".into(), J::Array(union(field("gaps"))));
    out.insert("states".into(), J::Array(strings(field("states"))));
    out.insert("regions".into(), J::Array(strings(field("regions"))));
    out.insert(
        "summary".into(),
        json!({
            "recorded": recorded,
            "observed": sums.get("observed").copied().unwrap_or(0),
            "checked": checked,
            "changed": count("changed"),
            "missing": count("missing"),
            "unmanaged": count("unmanaged"),
            "not_checked": not_checked.len(),
            "coverage_percent": percent,
        }),
    );
    out.insert("fail_on".into(), J::from(fail_on.as_str()));
    out.insert(
        "coverage".into(),
        json!({
            "checked": checked,
            "recorded": recorded,
            "percent": percent,
            "unsupported": unsupported,
            "unchecked": if unchecked_fail { "fail" } else { "report" },
        }),
    );
    out.insert("findings".into(), J::Array(findings));
    out.insert("ignored".into(), J::Array(ignored));
    out.insert(
        "expired_ignores".into(),
        J::Array(union(field("expired_ignores"))),
    );
    out.insert("pending".into(), J::Array(union(field("pending"))));
    out.insert("not_checked".into(), J::Array(not_checked));
    if !api_calls.is_empty() {
        out.insert("api_calls".into(), json!(api_calls));
    }
    if let Some(d) = duration {
        out.insert("duration_ms".into(), json!(d));
    }
    Ok(J::Object(out))
}

/// The exit code of a merged report, as `scan`'s: 1 incomplete, 2 a finding at or above
/// `fail_on`, 0 clean.
pub fn exit_code(merged: &J) -> i32 {
    if merged["complete"] != J::Bool(true) {
        return 1;
    }
    let threshold = severity(merged.get("fail_on"));
    let drift = merged["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|f| severity(f.get("severity")) >= threshold);
    if drift { 2 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(kind: &str, id: &str, severity: &str) -> J {
        json!({"kind": kind, "resource_type": "aws_vpc", "id": id, "address": null,
               "state": null, "region": "us-east-1", "severity": severity, "rule": "r"})
    }

    fn report(states: &[&str], regions: &[&str], complete: bool, findings: Vec<J>) -> J {
        json!({
            "schema_version": 1, "driftgate_version": "0.1.0", "complete": complete,
            "strict": false, "gaps": if complete { json!([]) } else { json!([{"service": "ec2", "region": regions[0], "reason": "denied"}]) },
            "states": states, "regions": regions,
            "summary": {"recorded": 10, "observed": 12, "checked": 10, "changed": 0, "missing": 0,
                        "unmanaged": findings.len(), "not_checked": 0, "coverage_percent": 100.0},
            "fail_on": "low",
            "coverage": {"checked": 10, "recorded": 10, "percent": 100.0, "unsupported": 0, "unchecked": "fail"},
            "findings": findings, "ignored": [], "expired_ignores": [], "pending": [], "not_checked": [],
            "api_calls": {"ec2:DescribeVpcs": 1}, "duration_ms": 100,
        })
    }

    #[test]
    fn overlapping_shards_count_a_finding_once_and_keep_the_worse_grade() {
        let a = report(
            &["a.tfstate"],
            &["us-east-1"],
            true,
            vec![
                finding("unmanaged", "vpc-1", "low"),
                finding("unmanaged", "vpc-2", "low"),
            ],
        );
        let b = report(
            &["b.tfstate"],
            &["eu-west-1"],
            true,
            vec![finding("unmanaged", "vpc-2", "high")],
        );
        let m = merge(&[a.clone(), b, a], None).unwrap();
        let f = m["findings"].as_array().unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1]["severity"], "high");
        assert_eq!(m["summary"]["unmanaged"], 2);
        // The duplicate shard is read once.
        assert_eq!(m["summary"]["recorded"], 20);
        assert_eq!(m["api_calls"]["ec2:DescribeVpcs"], 2);
        assert_eq!(m["states"], json!(["a.tfstate", "b.tfstate"]));
        assert_eq!(m["regions"], json!(["eu-west-1", "us-east-1"]));
        assert_eq!(exit_code(&m), 2);
    }

    #[test]
    fn one_incomplete_shard_makes_the_merge_incomplete() {
        let a = report(&["a"], &["us-east-1"], true, vec![]);
        let b = report(&["b"], &["eu-west-1"], false, vec![]);
        let m = merge(&[a.clone(), b], None).unwrap();
        assert_eq!(m["complete"], false);
        assert_eq!(m["gaps"].as_array().unwrap().len(), 1);
        assert_eq!(exit_code(&m), 1);
        assert_eq!(exit_code(&merge(&[a], None).unwrap()), 0);
    }

    #[test]
    fn a_shard_without_fail_on_had_the_threshold_info() {
        // Alone, the shard without `fail_on` exits 2 on its low finding.
        let mut a = report(
            &["a"],
            &["us-east-1"],
            true,
            vec![finding("unmanaged", "vpc-1", "low")],
        );
        a.as_object_mut().unwrap().remove("fail_on");
        let alone = merge(std::slice::from_ref(&a), None).unwrap();
        assert_eq!(alone["fail_on"], "info");
        assert_eq!(exit_code(&alone), 2);
        // Merged with a shard whose threshold is `high`: still `info`, still exit 2.
        let mut b = report(&["b"], &["eu-west-1"], true, vec![]);
        b["fail_on"] = json!("high");
        for shards in [[a.clone(), b.clone()], [b, a]] {
            let m = merge(&shards, None).unwrap();
            assert_eq!(m["fail_on"], "info");
            assert_eq!(exit_code(&m), 2);
        }
    }

    #[test]
    fn an_unknown_severity_is_not_a_report() {
        let good = report(
            &["a"],
            &["us-east-1"],
            true,
            vec![finding("unmanaged", "vpc-1", "low")],
        );
        let mut bad_threshold = good.clone();
        bad_threshold["fail_on"] = json!("urgent");
        let mut null_threshold = good.clone();
        null_threshold["fail_on"] = J::Null;
        let mut bad_finding = good.clone();
        bad_finding["findings"][0]["severity"] = json!("High");
        let mut bad_ignored = good.clone();
        bad_ignored["ignored"] = json!([finding("unmanaged", "vpc-2", "severe")]);
        for (bad, what) in [
            (bad_threshold, "`fail_on`"),
            (null_threshold, "`fail_on`"),
            (bad_finding, "`findings[0].severity`"),
            (bad_ignored, "`ignored[0].severity`"),
        ] {
            let e = merge(&[good.clone(), bad], None).unwrap_err();
            assert_eq!(e.index, 1, "{}", e.reason);
            assert!(e.reason.contains(what), "{}", e.reason);
            assert!(
                e.reason.contains("not a driftgate scan report"),
                "{}",
                e.reason
            );
        }
        // The known levels merge, and the override still wins.
        let m = merge(&[good], Some(Severity::Critical)).unwrap();
        assert_eq!(m["fail_on"], "critical");
        assert_eq!(exit_code(&m), 0);
    }

    #[test]
    fn what_is_not_a_report_is_named() {
        let e = merge(&[json!({"schema_version": 1}), json!([])], None).unwrap_err();
        assert_eq!(e.index, 0);
        assert!(
            e.reason.contains("not a driftgate scan report"),
            "{}",
            e.reason
        );
        let e = merge(&[json!({"schema_version": 2})], None).unwrap_err();
        assert!(e.reason.contains("schema_version 2"));
    }
}
