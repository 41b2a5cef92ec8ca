//! The JSON report: the model turned into [`crate::report::Report`] (the wire types, apart
//! from the model, ripgrep's `jsont.rs` habit, so the model can change without breaking
//! consumers), every value masked. The contract is `docs/json-output.md` and
//! `docs/report.schema.json`.
//!
//! Output is deterministic: fixed key order for objects, sorted maps, sorted findings, no
//! timestamps or durations unless the caller passes them in [`JsonExtras`].

use std::collections::BTreeMap;

use crate::mask::{Masked, mask, mask_attributes};
use crate::model::{DriftKind, Finding, NotChecked, NotCheckedReason, ScanReport};
use crate::render::common::{ShownGap, shown_gaps};
use crate::report::{self as wire, Report};
pub use crate::report::{SCHEMA_VERSION, Timings};

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
    pub history: Option<crate::model::tracked::Tracked>,
}

fn history_json(t: &crate::model::tracked::Tracked) -> wire::HistoryRun {
    wire::HistoryRun {
        run: t.run_id,
        previous_run: t.previous_run,
        time: crate::model::tracked::format_time(t.time),
        new: t.new_count() as u64,
        open: t.open_count() as u64,
        resolved: t.resolved.len() as u64,
    }
}

fn resolved_json(t: &crate::model::tracked::Tracked) -> Vec<wire::Resolved> {
    t.resolved
        .iter()
        .map(|r| wire::Resolved {
            fingerprint: r.record.fingerprint.clone(),
            kind: r.record.kind.clone(),
            resource_type: r.record.resource_type.clone(),
            id: r.record.resource_id.clone(),
            address: r.record.address.clone(),
            state: r.record.state.clone(),
            region: r.record.region.clone(),
            severity: r.record.severity.as_str().into(),
            rule: r.record.rule.clone(),
            paths: r.record.paths.clone(),
            first_seen: crate::model::tracked::format_time(r.first_seen),
            resolved_at: crate::model::tracked::format_time(t.time),
        })
        .collect()
}

/// A finding's JSON with its history: fingerprint, status and first sighting.
fn tracked_finding(
    report: &ScanReport,
    f: &Finding,
    history: Option<&crate::model::tracked::Tracked>,
) -> wire::Finding<Masked> {
    let mut json = finding(f);
    if let Some(t) = history {
        let fp = report.fingerprint(f);
        if let Some(seen) = t.current.get(&fp) {
            json.status = Some(seen.status.as_str().into());
            json.first_seen = Some(crate::model::tracked::format_time(seen.first_seen));
        }
        json.fingerprint = Some(fp);
    }
    json
}

fn source_json(s: &crate::model::SourceLocation) -> wire::Source {
    wire::Source {
        file: s.file.clone(),
        line: s.line,
    }
}

fn ignore_json(i: &crate::model::IgnoreMatch) -> wire::Ignore {
    wire::Ignore {
        pattern: i.pattern.clone(),
        reason: i.reason.clone(),
        owner: i.owner.clone(),
        expires: i.expires.map(|d| d.to_string()),
        source: i.source.clone(),
    }
}

/// Coverage rounded to two decimals, so the number reads well and is stable.
fn coverage(report: &ScanReport) -> f64 {
    (report.summary.coverage_percent() * 100.0).round() / 100.0
}

/// A gap on the wire: the same fields as [`crate::model::Gap`], its free text masked.
fn gap(g: ShownGap<'_>) -> wire::Gap {
    wire::Gap {
        service: g.service.into(),
        region: g.region.map(Into::into),
        operation: g.operation.into(),
        resource_types: g.resource_types.to_vec(),
        reason: g.reason,
        detail: g.detail,
    }
}

fn finding(f: &Finding) -> wire::Finding<Masked> {
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
                wire::Change {
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
    wire::Finding {
        kind: d.kind.as_str().into(),
        resource_type: d.resource_type.clone(),
        id: d.id.clone(),
        address: d.address.as_ref().map(ToString::to_string),
        state: d.state.as_ref().map(|s| s.0.clone()),
        region: d.region.clone(),
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

fn not_checked(n: &NotChecked) -> wire::NotChecked {
    wire::NotChecked {
        resource_type: n.resource_type.clone(),
        address: n.address.to_string(),
        state: n.state.0.clone(),
        reason: reason_name(&n.reason).into(),
        region: match &n.reason {
            NotCheckedReason::RegionNotScanned(r) => Some(r.clone()),
            _ => None,
        },
    }
}

fn pending(p: &crate::model::Pending) -> wire::Pending<Masked> {
    wire::Pending {
        kind: match p.kind {
            crate::model::PendingKind::NotYetCreated => "not_yet_created",
            crate::model::PendingKind::ToBeImported => "to_be_imported",
            crate::model::PendingKind::NoLongerConfigured => "no_longer_configured",
            crate::model::PendingKind::AttributeDiffers => "attribute_differs",
        }
        .into(),
        address: p.address.clone(),
        resource_type: p.resource_type.clone(),
        path: p.path.as_ref().map(ToString::to_string),
        desired: mask(&p.desired),
        recorded: mask(&p.recorded),
        source: p.source.as_ref().map(source_json),
    }
}

/// The report's findings as the wire writes them: each made (its values masked, a copy of
/// what it shows) as it is written, so a large account's report is not held twice.
struct Findings<'a> {
    report: &'a ScanReport,
    history: Option<&'a crate::model::tracked::Tracked>,
}

impl Findings<'_> {
    fn sorted(&self) -> Vec<&Finding> {
        let mut findings: Vec<&Finding> = self.report.findings.iter().collect();
        findings.sort_by(|a, b| a.drift.sort_key().cmp(&b.drift.sort_key()));
        findings
    }
}

impl serde::Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(
            self.sorted()
                .into_iter()
                .map(|f| tracked_finding(self.report, f, self.history)),
        )
    }
}

/// The report as the wire's [`Report`], every value masked.
pub fn to_wire(report: &ScanReport, extra: &JsonExtras) -> Report<Masked> {
    let findings = Findings {
        report,
        history: extra.history.as_ref(),
    };
    let findings = findings
        .sorted()
        .into_iter()
        .map(|f| tracked_finding(report, f, extra.history.as_ref()))
        .collect();
    wire_report(report, extra, findings)
}

/// The wire's [`Report`] with `findings` as its findings.
fn wire_report<F>(report: &ScanReport, extra: &JsonExtras, findings: F) -> Report<Masked, F> {
    let mut not_checked_sorted: Vec<&NotChecked> = report.not_checked.iter().collect();
    not_checked_sorted.sort();
    let s = &report.summary;
    Report {
        schema_version: SCHEMA_VERSION,
        driftgate_version: env!("CARGO_PKG_VERSION").into(),
        complete: report.is_complete(),
        strict: report.strict,
        gaps: shown_gaps(report).into_iter().map(gap).collect(),
        states: report.states.iter().map(|s| s.0.clone()).collect(),
        regions: report.regions.clone(),
        summary: wire::Summary {
            recorded: s.recorded as u64,
            observed: s.observed as u64,
            checked: s.checked as u64,
            changed: s.changed as u64,
            missing: s.missing as u64,
            unmanaged: s.unmanaged as u64,
            not_checked: s.not_checked as u64,
            coverage_percent: coverage(report),
        },
        fail_on: report.fail_on.map(|s| s.to_string()),
        coverage: wire::Coverage {
            checked: s.checked as u64,
            recorded: s.recorded as u64,
            percent: coverage(report),
            unsupported: report.unsupported() as u64,
            unchecked: report.unchecked.as_str().into(),
        },
        history: extra.history.as_ref().map(history_json),
        findings,
        resolved: extra.history.as_ref().map(resolved_json),
        ignored: report
            .ignored
            .iter()
            .filter_map(|f| {
                f.ignore().map(|ig| wire::Ignored {
                    finding: finding(f),
                    ignore: ignore_json(ig),
                })
            })
            .collect(),
        expired_ignores: report
            .expired_ignores
            .iter()
            .map(|e| wire::ExpiredIgnore {
                ignore: ignore_json(&e.ignore),
                would_match: e.would_match.clone(),
            })
            .collect(),
        pending: report.pending.iter().map(pending).collect(),
        not_checked: not_checked_sorted.into_iter().map(not_checked).collect(),
        api_calls: extra.api_calls.clone(),
        duration_ms: extra.duration_ms,
        timings: extra.timings.clone(),
    }
}

/// The report as pretty-printed JSON with a trailing newline.
pub fn render_json(scan: &ScanReport, extra: &JsonExtras) -> String {
    let findings = Findings {
        report: scan,
        history: extra.history.as_ref(),
    };
    let wire = wire_report(scan, extra, findings);
    // Serializing these plain structs cannot fail (string keys, no custom errors).
    let mut out = crate::mask::json_pretty(&wire).unwrap_or_else(|e| {
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

    /// The findings are made as they are written: the text is the wire report's own.
    #[test]
    fn findings_written_one_by_one_are_the_wire_report_s() {
        let report = sample_report();
        let extras = JsonExtras {
            api_calls: Some(BTreeMap::from([("ec2:DescribeVpcs".to_string(), 1)])),
            ..JsonExtras::default()
        };
        let whole = serde_json::to_string_pretty(&to_wire(&report, &extras)).unwrap() + "\n";
        assert_eq!(render_json(&report, &extras), whole);
        let empty = ScanReport::default();
        let whole = serde_json::to_string_pretty(&to_wire(&empty, &extras)).unwrap() + "\n";
        assert_eq!(render_json(&empty, &extras), whole);
        assert!(whole.contains("\"findings\": []"));
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
        let mut gone = crate::history::FindingRecord::of(&report, &report.findings[0]);
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
