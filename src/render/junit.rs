//! JUnit XML (`scan --format junit`): every CI's test tab (GitLab's `artifacts:reports:junit`,
//! Jenkins, Azure Pipelines, ...) shows drift as failed tests.
//!
//! One `testsuite` per state; one `testcase` per recorded resource (named by its address,
//! `classname` its type); a `failure` per finding, `type` its severity, the message naming the
//! kind, the changed paths and the rule, the body the changes (values through the masking layer,
//! documents as line diffs). Recorded resources that were not checked are `skipped` with the
//! reason. Unmanaged resources belong to no state: they are failures of a suite of their own.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{DriftKind, Finding, NotCheckedReason, ScanReport};
use crate::render::common::{RuleDoc, ShownFinding, shown_gaps, shown_not_checked};

/// A recorded resource, as the suite lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RecordedRef {
    /// The state, as the report names it.
    pub state: String,
    pub address: String,
    pub resource_type: String,
}

/// What the JUnit report needs besides the report.
#[derive(Debug, Clone, Default)]
pub struct JunitOptions {
    /// Every recorded resource of every state (the checked ones and the not-checked ones).
    pub recorded: Vec<RecordedRef>,
    pub rules: Vec<RuleDoc>,
}

/// The name of the suite of unmanaged resources (they are in no state).
pub const UNMANAGED_SUITE: &str = "unmanaged (in no state)";

/// Text escaped for XML content and attribute values; characters XML 1.0 forbids are dropped.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

fn failure(f: &ShownFinding) -> String {
    let message = format!(
        "{} {}: {} (rule {}: {})",
        f.severity, f.name, f.what, f.rule, f.why
    );
    let mut body = String::new();
    let _ = writeln!(body, "{} {} ({} {})", f.kind, f.name, f.resource_type, f.id);
    let _ = writeln!(body, "severity: {} (rule {})", f.severity, f.rule);
    if let Some(r) = &f.region {
        let _ = writeln!(body, "region: {r}");
    }
    if let Some(src) = &f.source {
        let _ = writeln!(body, "source: {src}");
    }
    match f.kind {
        DriftKind::Changed => {
            for c in &f.changes {
                if c.is_long() {
                    let _ = writeln!(body, "\n{}:", c.path);
                    body.push_str(&c.diff());
                } else {
                    let _ = writeln!(body, "{}: {}", c.path, c.inline());
                }
            }
        }
        DriftKind::Missing => body.push_str("recorded in the state, no longer in the cloud\n"),
        DriftKind::Unmanaged => body.push_str("in the cloud, in none of the given states\n"),
    }
    format!(
        "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
        f.severity,
        xml_escape(&message),
        xml_escape(&body)
    )
}

struct Case {
    classname: String,
    name: String,
    skipped: Option<String>,
    failures: Vec<String>,
}

fn reason_text(r: &NotCheckedReason) -> String {
    match r {
        NotCheckedReason::UnsupportedType => {
            "not checked: driftgate does not support this type yet".into()
        }
        NotCheckedReason::RegionNotScanned(region) => {
            format!("not checked: region {region} was not scanned")
        }
        NotCheckedReason::RegionUnknown => "not checked: its region is unknown".into(),
        NotCheckedReason::Unobserved => "not checked: an API failure (a gap) hid it".into(),
    }
}

/// The JUnit XML document, ending in a newline.
pub fn render(report: &ScanReport, opts: &JunitOptions) -> String {
    let suites = cases_by_suite(report, opts);
    let (mut tests, mut fails, mut skips) = (0, 0, 0);
    for cases in suites.values() {
        let (t, f, s) = suite_counts(cases);
        tests += t;
        fails += f;
        skips += s;
    }
    let errors = usize::from(!report.is_complete());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"driftgate\" tests=\"{}\" failures=\"{fails}\" errors=\"{errors}\" skipped=\"{skips}\">",
        tests + errors
    );
    for (suite, cases) in &suites {
        suite_xml(&mut out, suite, cases);
    }
    if !report.is_complete() {
        completeness_xml(&mut out, report);
    }
    out.push_str("</testsuites>\n");
    out
}

/// Suite (state, or the unmanaged suite) -> address -> case: every recorded resource, the
/// not-checked ones skipped, and each finding a failure of its resource's case.
fn cases_by_suite(
    report: &ScanReport,
    opts: &JunitOptions,
) -> BTreeMap<String, BTreeMap<String, Case>> {
    let mut suites: BTreeMap<String, BTreeMap<String, Case>> = BTreeMap::new();
    for s in &report.states {
        suites.entry(s.0.clone()).or_default();
    }
    for r in &opts.recorded {
        suites
            .entry(r.state.clone())
            .or_default()
            .entry(r.address.clone())
            .or_insert_with(|| Case {
                classname: r.resource_type.clone(),
                name: r.address.clone(),
                skipped: None,
                failures: Vec::new(),
            });
    }
    for n in shown_not_checked(report) {
        let case = suites
            .entry(n.state.to_string())
            .or_default()
            .entry(n.address.clone())
            .or_insert_with(|| Case {
                classname: n.resource_type.to_string(),
                name: n.address.clone(),
                skipped: None,
                failures: Vec::new(),
            });
        case.skipped = Some(reason_text(n.reason));
    }
    let mut findings: Vec<&Finding> = report.findings.iter().collect();
    findings.sort_by(|a, b| a.drift.sort_key().cmp(&b.drift.sort_key()));
    for f in findings {
        let f = ShownFinding::of(f, &opts.rules);
        let (suite, name) = match (&f.state, f.has_address, f.kind) {
            (Some(s), true, k) if k != DriftKind::Unmanaged => (s.clone(), f.name.clone()),
            _ => (UNMANAGED_SUITE.to_string(), f.name.clone()),
        };
        suites
            .entry(suite)
            .or_default()
            .entry(name.clone())
            .or_insert_with(|| Case {
                classname: f.resource_type.clone(),
                name,
                skipped: None,
                failures: Vec::new(),
            })
            .failures
            .push(failure(&f));
    }
    suites
}

/// A suite's counts: (tests, failures, skipped); a case that fails is not also skipped.
fn suite_counts(cases: &BTreeMap<String, Case>) -> (usize, usize, usize) {
    let failures = cases.values().filter(|c| !c.failures.is_empty()).count();
    let skipped = cases
        .values()
        .filter(|c| c.skipped.is_some() && c.failures.is_empty())
        .count();
    (cases.len(), failures, skipped)
}

/// One `<testsuite>` and its cases.
fn suite_xml(out: &mut String, suite: &str, cases: &BTreeMap<String, Case>) {
    let (t, f, s) = suite_counts(cases);
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{t}\" failures=\"{f}\" errors=\"0\" skipped=\"{s}\">",
        xml_escape(suite)
    );
    for c in cases.values() {
        let _ = write!(
            out,
            "    <testcase classname=\"{}\" name=\"{}\"",
            xml_escape(&c.classname),
            xml_escape(&c.name)
        );
        if c.failures.is_empty() && c.skipped.is_none() {
            out.push_str("/>\n");
            continue;
        }
        out.push_str(">\n");
        for f in &c.failures {
            out.push_str(f);
        }
        if let (Some(why), true) = (&c.skipped, c.failures.is_empty()) {
            let _ = writeln!(out, "      <skipped message=\"{}\"/>", xml_escape(why));
        }
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n");
}

/// The scan could not see everything: one erroring case says so, so no CI reads green.
fn completeness_xml(out: &mut String, report: &ScanReport) {
    let detail: Vec<String> = shown_gaps(report)
        .iter()
        .map(|g| {
            format!(
                "{} {} ({}): {}",
                g.service,
                g.operation,
                g.region_or_global(),
                g.reason
            )
        })
        .collect();
    let _ = writeln!(
        out,
        "  <testsuite name=\"completeness\" tests=\"1\" failures=\"0\" errors=\"1\" skipped=\"0\">\n    <testcase classname=\"driftgate\" name=\"the scan saw everything\">\n      <error type=\"incomplete\" message=\"{}\">{}</error>\n    </testcase>\n  </testsuite>",
        xml_escape(&crate::render::common::verdict_line(report)),
        xml_escape(&detail.join("\n"))
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::rules::docs as rule_docs;
    use crate::policy::Policy;
    use crate::render::sample::{SECRET, sample_report};

    fn opts() -> JunitOptions {
        let state = "envs/prod/terraform.tfstate".to_string();
        JunitOptions {
            recorded: [
                "module.app.aws_instance.web",
                "aws_iam_role.app",
                "aws_vpc.main",
            ]
            .iter()
            .map(|a| RecordedRef {
                state: state.clone(),
                address: a.to_string(),
                resource_type: a.rsplit('.').nth(1).unwrap().to_string(),
            })
            .collect(),
            rules: rule_docs(&Policy::default(), &sample_report()),
        }
    }

    #[test]
    fn sample_report_snapshot() {
        let out = render(&sample_report(), &opts());
        assert!(!out.contains(SECRET));
        insta::assert_snapshot!(out);
    }

    #[test]
    fn escaping_keeps_the_xml_well_formed() {
        assert_eq!(
            xml_escape("a<b>&\"c'\u{1}d\n"),
            "a&lt;b&gt;&amp;&quot;c&apos;d\n"
        );
    }

    #[test]
    fn clean_resources_pass_and_the_counts_add_up() {
        let out = render(&sample_report(), &opts());
        assert!(
            out.contains("<testcase classname=\"aws_vpc\" name=\"aws_vpc.main\"/>"),
            "{out}"
        );
        assert!(out.contains("<skipped message=\"not checked: driftgate does not support"));
        assert!(out.contains(&format!("<testsuite name=\"{UNMANAGED_SUITE}\"")));
        assert!(out.contains("<failure type=\"critical\""), "{out}");
    }
}
