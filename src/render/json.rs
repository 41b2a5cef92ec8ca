//! The JSON report: wire types apart from the model (ripgrep's `jsont.rs` habit), so the model
//! can change without breaking consumers. The contract is `docs/json-output.md` and
//! `docs/report.schema.json`.
//!
//! Versioning: adding a field keeps [`SCHEMA_VERSION`]; renaming, removing or changing the
//! meaning of one bumps it.
//!
//! Output is deterministic: fixed key order for objects, sorted maps, sorted findings, no
//! timestamps or durations unless the caller passes them in [`JsonExtras`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::mask::{Masked, mask, mask_attributes};
use crate::model::{DriftKind, Finding, NotChecked, NotCheckedReason, ScanReport};
use crate::render::common::{ShownGap, shown_gaps};

/// The version of the report format. See the module docs for when it changes.
pub const SCHEMA_VERSION: u32 = 1;

/// Facts about the scan that are not in the [`ScanReport`]; each is printed only when given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JsonExtras {
    /// API calls the observation made, by `service:Operation`.
    pub api_calls: Option<BTreeMap<String, u64>>,
    /// Wall time of the observation, in milliseconds.
    pub duration_ms: Option<u64>,
    /// Where a live scan's time went.
    pub timings: Option<Timings>,
    /// With `--history`: each finding's status and first sighting, and what was resolved.
    pub history: Option<crate::history::Tracked>,
}

/// Wall time per phase (`read`, `observe`, `diff`), and time spent in calls per operation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Timings {
    pub phases_ms: BTreeMap<String, u64>,
    pub api_ms: BTreeMap<String, u64>,
    /// Waits for client-side pacing, by operation; omitted when nothing waited.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub paced_ms: BTreeMap<String, u64>,
}

#[derive(Serialize)]
struct ReportJson<'a> {
    schema_version: u32,
    driftgate_version: &'static str,
    complete: bool,
    strict: bool,
    gaps: Vec<GapJson<'a>>,
    states: Vec<&'a str>,
    regions: &'a [String],
    summary: SummaryJson,
    /// The lowest severity that fails the scan (exit 2), when a policy ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    fail_on: Option<String>,
    /// How much of the recorded state the scan could compare.
    coverage: CoverageJson,
    /// With `--history`: this run in the history.
    #[serde(skip_serializing_if = "Option::is_none")]
    history: Option<HistoryJson>,
    findings: Vec<FindingJson<'a>>,
    /// With `--history`: findings the previous run of the same inputs had, gone now.
    #[serde(skip_serializing_if = "Option::is_none")]
    resolved: Option<Vec<ResolvedJson<'a>>>,
    /// Findings (or some of their changes) that an ignore set aside, with the ignore.
    ignored: Vec<IgnoredJson<'a>>,
    /// Ignores past their `expires` date: no longer applied.
    expired_ignores: Vec<ExpiredIgnoreJson>,
    /// Desired != recorded (configuration not yet applied): never drift, never the exit code.
    pending: Vec<PendingJson>,
    not_checked: Vec<NotCheckedJson<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    api_calls: Option<&'a BTreeMap<String, u64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    timings: Option<&'a Timings>,
}

#[derive(Serialize)]
struct GapJson<'a> {
    service: &'a str,
    region: Option<&'a str>,
    operation: &'a str,
    resource_types: &'a [String],
    reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

#[derive(Serialize)]
struct SummaryJson {
    recorded: usize,
    observed: usize,
    checked: usize,
    changed: usize,
    missing: usize,
    unmanaged: usize,
    not_checked: usize,
    coverage_percent: f64,
}

#[derive(Serialize)]
struct CoverageJson {
    /// Recorded resources that were compared.
    checked: usize,
    /// Managed resource instances in all states.
    recorded: usize,
    /// `checked / recorded` in percent (100 for an empty state).
    percent: f64,
    /// Recorded resources of types driftgate does not support yet.
    unsupported: usize,
    /// `fail` (they make the scan incomplete) or `report` (the policy accepts them).
    unchecked: &'static str,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    kind: &'static str,
    resource_type: &'a str,
    id: &'a str,
    address: Option<String>,
    state: Option<&'a str>,
    region: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<SourceJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    changes: Option<Vec<ChangeJson>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    observed: Option<BTreeMap<String, Masked>>,
    /// With `--history`: the identity hash that stays the same from run to run.
    #[serde(skip_serializing_if = "Option::is_none")]
    fingerprint: Option<String>,
    /// With `--history`: `new` or `open`.
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'static str>,
    /// With `--history`: when the history first saw this finding (RFC 3339).
    #[serde(skip_serializing_if = "Option::is_none")]
    first_seen: Option<String>,
}

#[derive(Serialize)]
struct HistoryJson {
    run: i64,
    previous_run: Option<i64>,
    time: String,
    new: usize,
    open: usize,
    resolved: usize,
}

#[derive(Serialize)]
struct ResolvedJson<'a> {
    fingerprint: &'a str,
    kind: &'a str,
    resource_type: &'a str,
    id: &'a str,
    address: Option<&'a str>,
    state: Option<&'a str>,
    region: Option<&'a str>,
    severity: &'static str,
    rule: &'a str,
    /// The attribute paths that had changed (changed findings).
    paths: &'a [String],
    first_seen: String,
    resolved_at: String,
}

fn history_json(t: &crate::history::Tracked) -> HistoryJson {
    HistoryJson {
        run: t.run_id,
        previous_run: t.previous_run,
        time: crate::history::format_time(t.time),
        new: t.new_count(),
        open: t.open_count(),
        resolved: t.resolved.len(),
    }
}

fn resolved_json(t: &crate::history::Tracked) -> Vec<ResolvedJson<'_>> {
    t.resolved
        .iter()
        .map(|r| ResolvedJson {
            fingerprint: &r.record.fingerprint,
            kind: &r.record.kind,
            resource_type: &r.record.resource_type,
            id: &r.record.resource_id,
            address: r.record.address.as_deref(),
            state: r.record.state.as_deref(),
            region: r.record.region.as_deref(),
            severity: r.record.severity.as_str(),
            rule: &r.record.rule,
            paths: &r.record.paths,
            first_seen: crate::history::format_time(r.first_seen),
            resolved_at: crate::history::format_time(t.time),
        })
        .collect()
}

/// A finding's JSON with its history: fingerprint, status and first sighting.
fn tracked_finding<'a>(
    f: &'a Finding,
    history: Option<&crate::history::Tracked>,
) -> FindingJson<'a> {
    let mut json = finding(f);
    if let Some(t) = history {
        let fp = crate::history::fingerprint(f);
        if let Some(seen) = t.current.get(&fp) {
            json.status = Some(seen.status.as_str());
            json.first_seen = Some(crate::history::format_time(seen.first_seen));
        }
        json.fingerprint = Some(fp);
    }
    json
}

#[derive(Serialize)]
struct ChangeJson {
    path: String,
    before: Masked,
    after: Masked,
    /// Present (and true) when either side is or holds a secret: its `(sensitive)` marker
    /// then stands for a value that is not shown, not for the string "(sensitive)".
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    sensitive: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    severity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<String>,
}

#[derive(Serialize)]
struct SourceJson {
    file: String,
    line: usize,
}

#[derive(Serialize)]
struct IgnoreJson {
    pattern: String,
    reason: Option<String>,
    owner: Option<String>,
    expires: Option<String>,
    source: String,
}

#[derive(Serialize)]
struct IgnoredJson<'a> {
    #[serde(flatten)]
    finding: FindingJson<'a>,
    ignore: IgnoreJson,
}

#[derive(Serialize)]
struct ExpiredIgnoreJson {
    ignore: IgnoreJson,
    would_match: Vec<String>,
}

#[derive(Serialize)]
struct PendingJson {
    kind: &'static str,
    address: String,
    resource_type: String,
    path: Option<String>,
    desired: Masked,
    recorded: Masked,
    source: Option<SourceJson>,
}

fn source_json(s: &crate::model::SourceLocation) -> SourceJson {
    SourceJson {
        file: s.file.clone(),
        line: s.line,
    }
}

fn ignore_json(i: &crate::model::IgnoreMatch) -> IgnoreJson {
    IgnoreJson {
        pattern: i.pattern.clone(),
        reason: i.reason.clone(),
        owner: i.owner.clone(),
        expires: i.expires.map(|d| d.to_string()),
        source: i.source.clone(),
    }
}

#[derive(Serialize)]
struct NotCheckedJson<'a> {
    resource_type: &'a str,
    address: String,
    state: &'a str,
    reason: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<&'a str>,
}

/// Coverage rounded to two decimals, so the number reads well and is stable.
fn coverage(report: &ScanReport) -> f64 {
    (report.summary.coverage_percent() * 100.0).round() / 100.0
}

/// A gap on the wire: the same fields as [`crate::model::Gap`], its free text masked.
fn gap(g: ShownGap<'_>) -> GapJson<'_> {
    GapJson {
        service: g.service,
        region: g.region,
        operation: g.operation,
        resource_types: g.resource_types,
        reason: g.reason,
        detail: g.detail,
    }
}

fn finding(f: &Finding) -> FindingJson<'_> {
    let d = &f.drift;
    let changes = (d.kind == DriftKind::Changed).then(|| {
        d.changes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                // What was recorded and observed, as they were; compared by canonical form.
                let before = mask(&c.recorded);
                let after = mask(&c.observed);
                let hit = f.change_rules.get(i);
                ChangeJson {
                    path: c.path.to_string(),
                    sensitive: before.contains_redacted() || after.contains_redacted(),
                    before,
                    after,
                    severity: hit.map(|h| h.severity.to_string()),
                    rule: hit.map(|h| h.rule.clone()),
                }
            })
            .collect()
    });
    let observed = match d.kind {
        DriftKind::Unmanaged => Some(d.observed.as_ref().map(mask_attributes).unwrap_or_default()),
        _ => None,
    };
    FindingJson {
        kind: d.kind.as_str(),
        resource_type: &d.resource_type,
        id: &d.id,
        address: d.address.as_ref().map(ToString::to_string),
        state: d.state.as_ref().map(|s| s.0.as_str()),
        region: d.region.as_deref(),
        severity: Some(f.severity.to_string()),
        rule: Some(f.rule.clone()),
        source: f.source.as_ref().map(source_json),
        changes,
        observed,
        fingerprint: None,
        status: None,
        first_seen: None,
    }
}

/// The wire name of a not-checked reason.
pub fn reason_name(r: &NotCheckedReason) -> &'static str {
    match r {
        NotCheckedReason::UnsupportedType => "unsupported_type",
        NotCheckedReason::RegionNotScanned(_) => "region_not_scanned",
        NotCheckedReason::RegionUnknown => "region_unknown",
        NotCheckedReason::Unobserved => "unobserved",
    }
}

fn not_checked(n: &NotChecked) -> NotCheckedJson<'_> {
    NotCheckedJson {
        resource_type: &n.resource_type,
        address: n.address.to_string(),
        state: &n.state.0,
        reason: reason_name(&n.reason),
        region: match &n.reason {
            NotCheckedReason::RegionNotScanned(r) => Some(r),
            _ => None,
        },
    }
}

/// The report as pretty-printed JSON with a trailing newline.
pub fn render_json(report: &ScanReport, extra: &JsonExtras) -> String {
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| a.drift.sort_key().cmp(&b.drift.sort_key()));
    let mut not_checked_sorted: Vec<&NotChecked> = report.not_checked.iter().collect();
    not_checked_sorted.sort();
    let s = &report.summary;
    let wire = ReportJson {
        schema_version: SCHEMA_VERSION,
        driftgate_version: env!("CARGO_PKG_VERSION"),
        complete: report.is_complete(),
        strict: report.strict,
        gaps: shown_gaps(report).into_iter().map(gap).collect(),
        states: report.states.iter().map(|s| s.0.as_str()).collect(),
        regions: &report.regions,
        summary: SummaryJson {
            recorded: s.recorded,
            observed: s.observed,
            checked: s.checked,
            changed: s.changed,
            missing: s.missing,
            unmanaged: s.unmanaged,
            not_checked: s.not_checked,
            coverage_percent: coverage(report),
        },
        fail_on: report.fail_on.map(|s| s.to_string()),
        coverage: CoverageJson {
            checked: s.checked,
            recorded: s.recorded,
            percent: coverage(report),
            unsupported: report.unsupported(),
            unchecked: report.unchecked.as_str(),
        },
        history: extra.history.as_ref().map(history_json),
        findings: findings
            .into_iter()
            .map(|f| tracked_finding(f, extra.history.as_ref()))
            .collect(),
        resolved: extra.history.as_ref().map(resolved_json),
        ignored: report
            .ignored
            .iter()
            .filter_map(|f| {
                f.ignore().map(|ig| IgnoredJson {
                    finding: finding(f),
                    ignore: ignore_json(ig),
                })
            })
            .collect(),
        expired_ignores: report
            .expired_ignores
            .iter()
            .map(|e| ExpiredIgnoreJson {
                ignore: ignore_json(&e.ignore),
                would_match: e.would_match.clone(),
            })
            .collect(),
        pending: report
            .pending
            .iter()
            .map(|p| PendingJson {
                kind: match p.kind {
                    crate::model::PendingKind::NotYetCreated => "not_yet_created",
                    crate::model::PendingKind::ToBeImported => "to_be_imported",
                    crate::model::PendingKind::NoLongerConfigured => "no_longer_configured",
                    crate::model::PendingKind::AttributeDiffers => "attribute_differs",
                },
                address: p.address.clone(),
                resource_type: p.resource_type.clone(),
                path: p.path.as_ref().map(ToString::to_string),
                desired: mask(&p.desired),
                recorded: mask(&p.recorded),
                source: p.source.as_ref().map(source_json),
            })
            .collect(),
        not_checked: not_checked_sorted.into_iter().map(not_checked).collect(),
        api_calls: extra.api_calls.as_ref(),
        duration_ms: extra.duration_ms,
        timings: extra.timings.as_ref(),
    };
    // Serializing these plain structs cannot fail (string keys, no custom errors).
    let mut out = serde_json::to_string_pretty(&wire).unwrap_or_else(|e| {
        format!(
            "{{\"schema_version\": {SCHEMA_VERSION}, \"error\": {:?}}}",
            e.to_string()
        )
    });
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::sample::{SECRET, sample_report};

    #[test]
    fn sample_report_snapshot() {
        let extras = JsonExtras {
            api_calls: Some(BTreeMap::from([
                ("ec2:DescribeInstances".to_string(), 2),
                ("iam:GetAccountAuthorizationDetails".to_string(), 1),
            ])),
            duration_ms: Some(1234),
            ..JsonExtras::default()
        };
        let out = render_json(&sample_report(), &extras);
        assert!(!out.contains(SECRET), "a secret leaked into the JSON");
        assert!(out.ends_with("}\n"));
        insta::assert_snapshot!(out.replace(env!("CARGO_PKG_VERSION"), "[version]"));
    }

    #[test]
    fn output_is_deterministic_and_extras_are_optional() {
        let mut report = sample_report();
        let a = render_json(&report, &JsonExtras::default());
        report.findings.reverse();
        report.gaps.reverse();
        report.not_checked.reverse();
        assert_eq!(a, render_json(&report, &JsonExtras::default()));
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert!(v.get("api_calls").is_none());
        assert!(v.get("duration_ms").is_none());
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["complete"], false);
    }

    #[test]
    fn changes_only_for_changed_and_observed_only_for_unmanaged() {
        let v: serde_json::Value =
            serde_json::from_str(&render_json(&sample_report(), &JsonExtras::default())).unwrap();
        for f in v["findings"].as_array().unwrap() {
            let kind = f["kind"].as_str().unwrap();
            assert_eq!(f.get("changes").is_some(), kind == "changed", "{f}");
            assert_eq!(f.get("observed").is_some(), kind == "unmanaged", "{f}");
        }
        let sensitive: Vec<&serde_json::Value> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|f| f["changes"].as_array().into_iter().flatten())
            .filter(|c| c.get("sensitive").is_some())
            .collect();
        assert_eq!(sensitive.len(), 1);
        assert_eq!(sensitive[0]["before"], "(sensitive)");
    }

    /// Validates `v` against the published schema with a full JSON Schema (2020-12) validator
    /// (`jsonschema`): every keyword the schema uses is honoured (`oneOf`, `const`, `minimum`,
    /// `if`/`then`, `$ref`, ...). Panics with every error, each at its JSON pointer.
    fn check(
        schema: &serde_json::Value,
        _root: &serde_json::Value,
        v: &serde_json::Value,
        at: &str,
    ) {
        let validator = jsonschema::draft202012::new(schema).expect("the schema is valid");
        let errors: Vec<String> = validator
            .iter_errors(v)
            .map(|e| format!("{at}{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}", errors.join("\n"));
    }

    #[test]
    fn output_matches_the_published_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        assert_eq!(
            schema["properties"]["schema_version"]["const"],
            SCHEMA_VERSION
        );
        let extras = JsonExtras {
            api_calls: Some(BTreeMap::from([("ec2:DescribeVpcs".to_string(), 1)])),
            duration_ms: Some(5),
            timings: Some(Timings {
                phases_ms: BTreeMap::from([("observe".to_string(), 5), ("read".to_string(), 1)]),
                api_ms: BTreeMap::from([("ec2:DescribeVpcs".to_string(), 3)]),
                paced_ms: BTreeMap::new(),
            }),
            ..JsonExtras::default()
        };
        for report in [sample_report(), ScanReport::default()] {
            let v: serde_json::Value =
                serde_json::from_str(&render_json(&report, &extras)).unwrap();
            check(&schema, &schema, &v, "$");
        }
    }

    /// The first ```json block of a markdown document, or the JSON body of an insta snapshot.
    fn embedded_json(text: &str) -> serde_json::Value {
        let body = match text.find("```json\n") {
            Some(i) => {
                let start = i + "```json\n".len();
                &text[start..start + text[start..].find("```").unwrap()]
            }
            None => &text[text.find("\n---\n").map(|i| i + 5).unwrap_or(0)..],
        };
        let body = &body[body.find('{').unwrap()..];
        serde_json::from_str(body).unwrap()
    }

    #[test]
    fn the_documented_example_and_a_graded_scan_match_the_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
        let example = embedded_json(include_str!("../../docs/json-output.md"));
        check(&schema, &schema, &example, "docs/json-output.md");
        // A real scan with a policy, a configuration, ignores and pending changes.
        let graded = embedded_json(include_str!(
            "../../tests/snapshots/scenarios/configured.json.snap"
        ));
        assert!(!graded["ignored"].as_array().unwrap().is_empty());
        assert!(!graded["pending"].as_array().unwrap().is_empty());
        check(&schema, &schema, &graded, "configured scenario");
    }

    #[test]
    fn the_schema_check_catches_a_missing_field() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
        let mut v: serde_json::Value =
            serde_json::from_str(&render_json(&sample_report(), &JsonExtras::default())).unwrap();
        v["summary"]
            .as_object_mut()
            .unwrap()
            .remove("coverage_percent");
        let result = std::panic::catch_unwind(|| check(&schema, &schema, &v, "$"));
        assert!(result.is_err());
    }

    /// Keywords a hand-written subset would miss: `minimum`, `const`, `oneOf`/`enum`, `pattern`
    /// -like constraints. Each broken document must be refused.
    #[test]
    fn the_schema_check_honours_every_keyword_the_schema_uses() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
        let good: serde_json::Value =
            serde_json::from_str(&render_json(&sample_report(), &JsonExtras::default())).unwrap();
        check(&schema, &schema, &good, "$");
        let validator = jsonschema::draft202012::new(&schema).unwrap();
        let mut broken = Vec::new();
        let mut v = good.clone();
        v["schema_version"] = serde_json::json!(2); // const
        broken.push(("schema_version 2", v));
        let mut v = good.clone();
        v["summary"]["recorded"] = serde_json::json!(-1); // minimum
        broken.push(("negative count", v));
        let mut v = good.clone();
        v["summary"]["coverage_percent"] = serde_json::json!(100.5); // maximum
        broken.push(("coverage over 100", v));
        let mut v = good.clone();
        v["findings"][0]["kind"] = serde_json::json!("vanished"); // enum
        broken.push(("unknown kind", v));
        let mut v = good;
        v["gaps"][0]["detail"] = serde_json::json!(5); // type of the optional detail
        broken.push(("numeric detail", v));
        for (what, v) in broken {
            assert!(!validator.is_valid(&v), "{what} passed the schema");
        }
    }

    #[test]
    fn history_fields_are_additive_and_match_the_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report.schema.json")).unwrap();
        let report = sample_report();
        let now = time::macros::datetime!(2026-12-02 02:00 UTC);
        let run = crate::history::Run::of(&report, 2, "scan", "ci", now);
        let mut tracked = crate::history::track(&[], &run, 2, Some(1));
        let mut gone = crate::history::FindingRecord::of(&report.findings[0]);
        gone.fingerprint = format!("sha256:{}", "ab".repeat(32));
        tracked.resolved.push(crate::history::Resolved {
            record: gone,
            first_seen: time::macros::datetime!(2026-11-30 02:00 UTC),
        });
        let extras = JsonExtras {
            history: Some(tracked),
            ..JsonExtras::default()
        };
        let v: serde_json::Value = serde_json::from_str(&render_json(&report, &extras)).unwrap();
        check(&schema, &schema, &v, "$");
        assert_eq!(v["history"]["run"], 2);
        assert_eq!(v["history"]["previous_run"], 1);
        for f in v["findings"].as_array().unwrap() {
            assert_eq!(f["status"], "new", "{f}");
            assert_eq!(f["first_seen"], "2026-12-02T02:00:00Z");
            assert!(f["fingerprint"].as_str().unwrap().starts_with("sha256:"));
        }
        assert_eq!(v["resolved"][0]["first_seen"], "2026-11-30T02:00:00Z");
        assert_eq!(v["resolved"][0]["resolved_at"], "2026-12-02T02:00:00Z");
        assert!(!v.to_string().contains(SECRET));
        // Without history, none of it.
        let plain: serde_json::Value =
            serde_json::from_str(&render_json(&report, &JsonExtras::default())).unwrap();
        assert!(plain.get("history").is_none() && plain.get("resolved").is_none());
        assert!(plain["findings"][0].get("status").is_none());
    }
}
