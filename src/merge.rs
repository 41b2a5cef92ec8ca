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

use serde::Serialize;
use serde_json::Value as J;

use crate::model::{Severity, UnknownSeverity};
use crate::report::{self, Report, SCHEMA_VERSION};

/// A report as a shard wrote it: its values are the masked JSON they already are.
pub type Shard = Report<J>;
type Finding = report::Finding<J>;

/// Why a file cannot be merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotAReport {
    pub index: usize,
    pub reason: String,
}

/// A report's severity field (`fail_on`, a finding's `severity`), as the model reads it: an
/// absent field is `info` (the threshold a report without `fail_on` had, the grade of an
/// ungraded finding); a present one must name one of the five levels.
fn read_severity(v: Option<&str>) -> Result<Severity, UnknownSeverity> {
    v.map_or(Ok(Severity::Info), str::parse)
}

/// A severity field of a report [`merge`] accepted (so it is absent or known).
fn severity(v: &Option<String>) -> Severity {
    read_severity(v.as_deref()).unwrap_or(Severity::Info)
}

/// A field as its JSON text: the identity and order merged reports have always used.
fn text<T: Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .map(|j| j.to_string())
        .unwrap_or_default()
}

fn finding_key(f: &Finding) -> String {
    [
        text(&f.kind),
        text(&f.resource_type),
        text(&f.id),
        text(&f.address),
        text(&f.state),
        text(&f.region),
    ]
    .join("\u{1f}")
}

/// The order scan reports use: kind, type, address, id (then the rest, for a total order).
fn finding_order(f: &Finding) -> (String, String, String, String, String) {
    (
        f.kind.clone(),
        f.resource_type.clone(),
        f.address.clone().unwrap_or_default(),
        f.id.clone(),
        finding_key(f),
    )
}

/// A union of findings: one per identity, the most severe grade kept.
fn union_findings<'a, T: Clone + 'a>(
    lists: impl Iterator<Item = &'a Vec<T>>,
    finding: impl Fn(&T) -> &Finding,
) -> Vec<T> {
    let mut by: BTreeMap<String, T> = BTreeMap::new();
    for f in lists.flatten() {
        let key = finding_key(finding(f));
        match by.get(&key) {
            Some(old) if severity(&finding(old).severity) >= severity(&finding(f).severity) => {}
            _ => {
                by.insert(key, f.clone());
            }
        }
    }
    let mut out: Vec<T> = by.into_values().collect();
    out.sort_by_cached_key(|f| finding_order(finding(f)));
    out
}

/// A union of any other list: identical items once, sorted by their JSON text.
fn union<'a, T: Serialize + Clone + 'a>(lists: impl Iterator<Item = &'a Vec<T>>) -> Vec<T> {
    let set: BTreeMap<String, &T> = lists.flatten().map(|v| (text(v), v)).collect();
    set.into_values().cloned().collect()
}

fn strings<'a>(lists: impl Iterator<Item = &'a Vec<String>>) -> Vec<String> {
    let set: BTreeSet<&String> = lists.flatten().collect();
    set.into_iter().cloned().collect()
}

/// Reads one shard: a scan report of this schema version, every severity a known name.
fn read(index: usize, r: &J) -> Result<Shard, NotAReport> {
    let bad = |reason: String| NotAReport { index, reason };
    let o = r
        .as_object()
        .ok_or_else(|| bad("not a JSON object".into()))?;
    match o.get("schema_version").and_then(J::as_u64) {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(bad(format!(
                "schema_version {v}; this driftgate reads {SCHEMA_VERSION}"
            )));
        }
        None => return Err(bad("no schema_version: not a driftgate JSON report".into())),
    }
    let shard: Shard = serde_json::from_value(r.clone())
        .map_err(|e| bad(format!("{e}: not a driftgate scan report")))?;
    let graded = |k: &str, i: usize, f: &Finding| {
        read_severity(f.severity.as_deref()).map_err(|e| {
            bad(format!(
                "`{k}[{i}].severity`: {e}: not a driftgate scan report"
            ))
        })
    };
    read_severity(shard.fail_on.as_deref())
        .map_err(|e| bad(format!("`fail_on`: {e}: not a driftgate scan report")))?;
    for (i, f) in shard.findings.iter().enumerate() {
        graded("findings", i, f)?;
    }
    for (i, f) in shard.ignored.iter().enumerate() {
        graded("ignored", i, &f.finding)?;
    }
    Ok(shard)
}

/// Merges scan reports (their JSON, as `scan --format json` writes it). `fail_on` overrides
/// the threshold; otherwise the strictest of the shards' is kept.
pub fn merge(reports: &[J], fail_on: Option<Severity>) -> Result<Shard, NotAReport> {
    if reports.is_empty() {
        return Err(NotAReport {
            index: 0,
            reason: "no report to merge".into(),
        });
    }
    let shards = reports
        .iter()
        .enumerate()
        .map(|(i, r)| read(i, r))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(combine(&shards, fail_on))
}

/// What was read, summed once per distinct shard (its states and regions).
#[derive(Default)]
struct Read {
    recorded: u64,
    observed: u64,
    checked: u64,
    unsupported: u64,
    unchecked_fail: bool,
    duration: Option<u64>,
    api_calls: BTreeMap<String, u64>,
}

fn read_counts(shards: &[Shard]) -> Read {
    let mut seen = BTreeSet::new();
    let mut sum = Read::default();
    for r in shards {
        if !seen.insert((&r.states, &r.regions)) {
            continue;
        }
        sum.recorded += r.summary.recorded;
        sum.observed += r.summary.observed;
        sum.checked += r.summary.checked;
        sum.unsupported += r.coverage.unsupported;
        sum.unchecked_fail |= r.coverage.unchecked != "report";
        if let Some(d) = r.duration_ms {
            sum.duration = Some(sum.duration.map_or(d, |x| x.max(d)));
        }
        for (op, n) in r.api_calls.iter().flatten() {
            *sum.api_calls.entry(op.clone()).or_default() += n;
        }
    }
    sum
}

fn combine(shards: &[Shard], fail_on: Option<Severity>) -> Shard {
    let findings = union_findings(shards.iter().map(|r| &r.findings), |f| f);
    let ignored = union_findings(shards.iter().map(|r| &r.ignored), |f| &f.finding);
    let sum = read_counts(shards);
    let not_checked = union(shards.iter().map(|r| &r.not_checked));
    let count = |kind: &str| {
        let all = findings.iter().chain(ignored.iter().map(|f| &f.finding));
        all.filter(|f| f.kind == kind).count() as u64
    };
    let percent = if sum.recorded == 0 {
        100.0
    } else {
        ((sum.checked as f64) * 10000.0 / (sum.recorded as f64)).round() / 100.0
    };
    // The strictest shard's threshold; a shard without `fail_on` had `info`.
    let fail_on = fail_on.unwrap_or_else(|| {
        let each = shards.iter().map(|r| severity(&r.fail_on));
        each.min().unwrap_or(Severity::Info)
    });
    Report {
        schema_version: SCHEMA_VERSION,
        driftgate_version: env!("CARGO_PKG_VERSION").into(),
        complete: shards.iter().all(|r| r.complete),
        strict: shards.iter().all(|r| r.strict),
        gaps: union(shards.iter().map(|r| &r.gaps)),
        states: strings(shards.iter().map(|r| &r.states)),
        regions: strings(shards.iter().map(|r| &r.regions)),
        summary: report::Summary {
            recorded: sum.recorded,
            observed: sum.observed,
            checked: sum.checked,
            changed: count("changed"),
            missing: count("missing"),
            unmanaged: count("unmanaged"),
            not_checked: not_checked.len() as u64,
            coverage_percent: percent,
        },
        fail_on: Some(fail_on.as_str().into()),
        coverage: report::Coverage {
            checked: sum.checked,
            recorded: sum.recorded,
            percent,
            unsupported: sum.unsupported,
            unchecked: if sum.unchecked_fail { "fail" } else { "report" }.into(),
        },
        history: None,
        findings,
        resolved: None,
        ignored,
        expired_ignores: union(shards.iter().map(|r| &r.expired_ignores)),
        pending: union(shards.iter().map(|r| &r.pending)),
        not_checked,
        api_calls: (!sum.api_calls.is_empty()).then_some(sum.api_calls),
        duration_ms: sum.duration,
        timings: None,
    }
}

/// A merged report as pretty JSON with a trailing newline. Its keys are sorted at every level,
/// as merged reports have always been written.
pub fn to_text(merged: &Shard) -> String {
    let sorted = serde_json::to_value(merged).unwrap_or_default();
    let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_default();
    text.push('\n');
    text
}

/// The exit code of a merged report, as `scan`'s: 1 incomplete, 2 a finding at or above
/// `fail_on`, 0 clean.
pub fn exit_code(merged: &Shard) -> i32 {
    if !merged.complete {
        return 1;
    }
    let threshold = severity(&merged.fail_on);
    let drift = merged
        .findings
        .iter()
        .any(|f| severity(&f.severity) >= threshold);
    if drift { 2 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The merged report as the JSON it is written as.
    fn merged(reports: &[J], fail_on: Option<Severity>) -> Result<J, NotAReport> {
        merge(reports, fail_on).map(|m| serde_json::from_str(&to_text(&m)).unwrap())
    }

    fn exit(m: &J) -> i32 {
        exit_code(&serde_json::from_value(m.clone()).unwrap())
    }

    fn finding(kind: &str, id: &str, severity: &str) -> J {
        json!({"kind": kind, "resource_type": "aws_vpc", "id": id, "address": null,
               "state": null, "region": "us-east-1", "severity": severity, "rule": "r"})
    }

    fn report(states: &[&str], regions: &[&str], complete: bool, findings: Vec<J>) -> J {
        json!({
            "schema_version": 1, "driftgate_version": "0.1.0", "complete": complete,
            "strict": false, "gaps": if complete { json!([]) } else { json!([{"service": "ec2", "region": regions[0], "operation": "DescribeVpcs", "resource_types": ["aws_vpc"], "reason": "denied"}]) },
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
        let m = merged(&[a.clone(), b, a], None).unwrap();
        let f = m["findings"].as_array().unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!(f[1]["severity"], "high");
        assert_eq!(m["summary"]["unmanaged"], 2);
        // The duplicate shard is read once.
        assert_eq!(m["summary"]["recorded"], 20);
        assert_eq!(m["api_calls"]["ec2:DescribeVpcs"], 2);
        assert_eq!(m["states"], json!(["a.tfstate", "b.tfstate"]));
        assert_eq!(m["regions"], json!(["eu-west-1", "us-east-1"]));
        assert_eq!(exit(&m), 2);
    }

    #[test]
    fn one_incomplete_shard_makes_the_merge_incomplete() {
        let a = report(&["a"], &["us-east-1"], true, vec![]);
        let b = report(&["b"], &["eu-west-1"], false, vec![]);
        let m = merged(&[a.clone(), b], None).unwrap();
        assert_eq!(m["complete"], false);
        assert_eq!(m["gaps"].as_array().unwrap().len(), 1);
        assert_eq!(exit(&m), 1);
        assert_eq!(exit(&merged(&[a], None).unwrap()), 0);
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
        let alone = merged(std::slice::from_ref(&a), None).unwrap();
        assert_eq!(alone["fail_on"], "info");
        assert_eq!(exit(&alone), 2);
        // Merged with a shard whose threshold is `high`: still `info`, still exit 2.
        let mut b = report(&["b"], &["eu-west-1"], true, vec![]);
        b["fail_on"] = json!("high");
        for shards in [[a.clone(), b.clone()], [b, a]] {
            let m = merged(&shards, None).unwrap();
            assert_eq!(m["fail_on"], "info");
            assert_eq!(exit(&m), 2);
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
        let mut ignored = finding("unmanaged", "vpc-2", "severe");
        ignored["ignore"] = json!({"pattern": "aws_vpc.*", "reason": null, "owner": null,
                                   "expires": null, "source": ".driftignore:1"});
        bad_ignored["ignored"] = json!([ignored]);
        for (bad, what) in [
            (bad_threshold, "`fail_on`"),
            (null_threshold, "`fail_on`"),
            (bad_finding, "`findings[0].severity`"),
            (bad_ignored, "`ignored[0].severity`"),
        ] {
            let e = merged(&[good.clone(), bad], None).unwrap_err();
            assert_eq!(e.index, 1, "{}", e.reason);
            assert!(e.reason.contains(what), "{}", e.reason);
            assert!(
                e.reason.contains("not a driftgate scan report"),
                "{}",
                e.reason
            );
        }
        // The known levels merge, and the override still wins.
        let m = merged(&[good], Some(Severity::Critical)).unwrap();
        assert_eq!(m["fail_on"], "critical");
        assert_eq!(exit(&m), 0);
    }

    #[test]
    fn what_is_not_a_report_is_named() {
        let e = merged(&[json!({"schema_version": 1}), json!([])], None).unwrap_err();
        assert_eq!(e.index, 0);
        assert!(
            e.reason.contains("not a driftgate scan report"),
            "{}",
            e.reason
        );
        let e = merged(&[json!({"schema_version": 2})], None).unwrap_err();
        assert!(e.reason.contains("schema_version 2"));
    }
}
