//! The report for people: a summary, the findings, each changed attribute as
//! `path | recorded | observed`, long documents (IAM policies) as a unified line diff, what
//! was not checked, and, first and last, whether the scan saw everything.
//!
//! The width is fixed ([`WIDTH`]) so the output is the same on a terminal, in a pipe and in a
//! snapshot; colors only when the caller says so.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use comfy_table::{Attribute, Cell, Color, ContentArrangement, Table, presets};
use similar::TextDiff;

use crate::mask::{Masked, mask};
use crate::model::{Change, Drift, DriftKind, Finding, NotCheckedReason, ScanReport, Unchecked};

/// Table width in columns (content wraps inside cells beyond it).
pub const WIDTH: u16 = 120;
/// A value whose one-line form is longer than this is shown as a diff below its table.
pub const LONG_VALUE: usize = 60;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// ANSI colors: the caller decides (stdout is a terminal and `NO_COLOR` is unset).
    pub color: bool,
}

/// ANSI styling that is a no-op without color.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
    fn bold(self, t: &str) -> String {
        self.wrap("1", t)
    }
    fn alarm(self, t: &str) -> String {
        self.wrap("1;31", t)
    }
    fn red(self, t: &str) -> String {
        self.wrap("31", t)
    }
    fn green(self, t: &str) -> String {
        self.wrap("32", t)
    }
    fn cyan(self, t: &str) -> String {
        self.wrap("36", t)
    }
}

fn kind_color(kind: DriftKind) -> Color {
    match kind {
        DriftKind::Changed => Color::Yellow,
        DriftKind::Missing => Color::Red,
        DriftKind::Unmanaged => Color::Magenta,
    }
}

fn new_table(color: bool, header: &[&str]) -> Table {
    let mut t = Table::new();
    t.force_no_tty()
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic)
        .set_width(WIDTH);
    if color {
        t.enforce_styling();
    }
    if !header.is_empty() {
        t.set_header(
            header
                .iter()
                .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
        );
    }
    t
}

fn indent(text: &str, by: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        out.push_str(by);
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Whether a changed value is shown as a diff rather than in a cell.
fn is_long(m: &Masked) -> bool {
    m.is_json_text() || m.is_multiline() || m.inline().chars().count() > LONG_VALUE
}

/// The text a long value is diffed as: a document pretty-printed in its own key order; a list
/// or map as pretty JSON, with the documents inside it (an `inline_policy` block's `policy`)
/// shown as JSON rather than as one escaped string.
fn diff_text(m: &Masked) -> String {
    if m.is_null() {
        return String::new();
    }
    match m.to_json() {
        j @ (serde_json::Value::Array(_) | serde_json::Value::Object(_)) => {
            let mut s = serde_json::to_string_pretty(&expand_documents(j)).unwrap_or_default();
            s.push('\n');
            s
        }
        _ => m.document().unwrap_or_else(|| format!("{}\n", m.inline())),
    }
}

/// Strings inside `v` that hold a JSON object or array, replaced by that JSON.
fn expand_documents(v: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::String(s) => {
            let t = s.trim_start();
            match serde_json::from_str::<J>(&s) {
                Ok(doc @ (J::Object(_) | J::Array(_))) if t.starts_with(['{', '[']) => doc,
                _ => J::String(s),
            }
        }
        J::Array(a) => J::Array(a.into_iter().map(expand_documents).collect()),
        J::Object(o) => J::Object(
            o.into_iter()
                .map(|(k, v)| (k, expand_documents(v)))
                .collect(),
        ),
        other => other,
    }
}

fn unified_diff(before: &str, after: &str, paint: Paint) -> String {
    let diff = TextDiff::from_lines(before, after);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .missing_newline_hint(false)
        .header("recorded", "observed")
        .to_string();
    let mut out = String::new();
    for line in text.lines() {
        let styled = if line.starts_with("+++") || line.starts_with("---") {
            paint.bold(line)
        } else if line.starts_with('+') {
            paint.green(line)
        } else if line.starts_with('-') {
            paint.red(line)
        } else if line.starts_with("@@") {
            paint.cyan(line)
        } else {
            line.to_string()
        };
        out.push_str(&styled);
        out.push('\n');
    }
    out
}

/// Why a scan is incomplete, in a few words: `2 gaps, 3 resources in regions not scanned`.
fn why_incomplete(report: &ScanReport) -> String {
    let mut parts = Vec::new();
    if !report.gaps.is_empty() {
        parts.push(plural(report.gaps.len(), "gap", "gaps"));
    }
    let region = report
        .not_checked
        .iter()
        .filter(|n| {
            matches!(
                n.reason,
                NotCheckedReason::RegionNotScanned(_) | NotCheckedReason::RegionUnknown
            )
        })
        .count();
    if region > 0 {
        parts.push(plural(
            region,
            "resource in a region not scanned (or unknown)",
            "resources in regions not scanned (or unknown)",
        ));
    }
    let hidden = report
        .not_checked
        .iter()
        .filter(|n| n.reason == NotCheckedReason::Unobserved)
        .count();
    if hidden > 0 {
        parts.push(plural(
            hidden,
            "resource hidden by a gap",
            "resources hidden by gaps",
        ));
    }
    let unsupported = report.unsupported();
    if unsupported > 0 && (report.strict || report.unchecked == Unchecked::Fail) {
        parts.push(plural(
            unsupported,
            "resource of an unsupported type",
            "resources of unsupported types",
        ));
    }
    parts.join(", ")
}

/// The first line when recorded resources of unsupported types were not compared: how many,
/// of which types, and the coverage. `None` when every recorded type is supported.
fn unchecked_line(report: &ScanReport, paint: Paint) -> Option<String> {
    let n = report.unsupported();
    if n == 0 {
        return None;
    }
    let types: std::collections::BTreeSet<&str> = report
        .not_checked
        .iter()
        .filter(|x| x.reason == NotCheckedReason::UnsupportedType)
        .map(|x| x.resource_type.as_str())
        .collect();
    let types: Vec<&str> = types.into_iter().collect();
    let effect = if report.strict || report.unchecked == Unchecked::Fail {
        "the scan is incomplete (exit 1); `unchecked = \"report\"` in the policy accepts them"
    } else {
        "accepted by the policy (`unchecked = \"report\"`): they do not change the exit code"
    };
    Some(paint.alarm(&format!(
        "NOT CHECKED: {} of {} ({}) not compared; coverage {:.1}%; {effect}.",
        plural(n, "recorded resource", "recorded resources"),
        plural(types.len(), "unsupported type", "unsupported types"),
        types.join(", "),
        report.summary.coverage_percent(),
    )))
}

fn summary(report: &ScanReport, complete: bool, color: bool) -> String {
    let s = &report.summary;
    let mut t = new_table(color, &[]);
    let rows: [(&str, String); 9] = [
        ("recorded", s.recorded.to_string()),
        ("observed", s.observed.to_string()),
        ("checked", s.checked.to_string()),
        ("changed", s.changed.to_string()),
        ("missing", s.missing.to_string()),
        ("unmanaged", s.unmanaged.to_string()),
        ("not checked", s.not_checked.to_string()),
        ("coverage", format!("{:.1}%", s.coverage_percent())),
        (
            "complete",
            if complete {
                "yes".to_string()
            } else {
                format!("NO ({})", why_incomplete(report))
            },
        ),
    ];
    for (k, v) in rows {
        let value = Cell::new(&v);
        let value = if k == "complete" && !complete {
            value.fg(Color::Red).add_attribute(Attribute::Bold)
        } else {
            value
        };
        t.add_row(vec![Cell::new(k), value]);
    }
    t.to_string()
}

fn gaps_block(report: &ScanReport, paint: Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}",
        paint.alarm("INCOMPLETE: the scan could not see everything")
    );
    let mut gaps: Vec<_> = report.gaps.iter().collect();
    gaps.sort();
    for g in gaps {
        let _ = writeln!(
            out,
            "  - {} {} ({}): {} [hides: {}]",
            g.service,
            g.operation,
            g.region.as_deref().unwrap_or("global"),
            g.reason,
            g.resource_types.join(", ")
        );
    }
    let not_seen = report
        .not_checked
        .iter()
        .filter(|n| {
            n.reason != NotCheckedReason::UnsupportedType
                || report.strict
                || report.unchecked == Unchecked::Fail
        })
        .count();
    if not_seen > 0 {
        let _ = writeln!(
            out,
            "  - {} not checked (listed below)",
            plural(not_seen, "recorded resource was", "recorded resources were")
        );
    }
    let _ = writeln!(
        out,
        "  Resources of these types may have drifted unseen; the findings below are only what could be seen."
    );
    out
}

fn findings_table(findings: &[&Finding], color: bool) -> String {
    let header = vec![
        "severity", "address", "type", "id", "kind", "region", "source",
    ];
    let mut t = new_table(color, &header);
    for f in findings {
        let d = &f.drift;
        let row = vec![
            Cell::new(f.severity.to_string()),
            Cell::new(
                d.address
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "unmanaged".to_string()),
            ),
            Cell::new(&d.resource_type),
            Cell::new(&d.id),
            Cell::new(d.kind.as_str()).fg(kind_color(d.kind)),
            Cell::new(d.region.as_deref().unwrap_or("-")),
            Cell::new(
                f.source
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "-".into()),
            ),
        ];
        t.add_row(row);
    }
    t.to_string()
}

fn changes_block(d: &Drift, color: bool, paint: Paint) -> String {
    let mut out = String::new();
    let name = d
        .address
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| format!("{} {}", d.resource_type, d.id));
    let mut heading = format!("{} ({} {}", paint.bold(&name), d.resource_type, d.id);
    if let Some(s) = &d.state {
        let _ = write!(heading, ", in {s}");
    }
    heading.push(')');
    let _ = writeln!(out, "{heading}");

    let mut t = new_table(color, &["path", "recorded", "observed"]);
    let mut diffs: Vec<(&Change, Masked, Masked)> = Vec::new();
    for c in &d.changes {
        // The values as recorded and observed (not the canonical forms that were compared),
        // the observed one in the recorded one's order where they agree.
        let before = mask(&c.recorded);
        let after = mask(&crate::normalize::align::observed_like(
            &c.recorded,
            &c.observed,
        ));
        let long = is_long(&before) || is_long(&after);
        let cell = |m: &Masked| {
            if long && !m.is_null() {
                "(see diff below)".to_string()
            } else {
                m.inline()
            }
        };
        t.add_row(vec![
            Cell::new(c.path.to_string()),
            Cell::new(cell(&before)).fg(Color::Red),
            Cell::new(cell(&after)).fg(Color::Green),
        ]);
        if long {
            diffs.push((c, before, after));
        }
    }
    out.push_str(&t.to_string());
    out.push('\n');
    for (c, before, after) in diffs {
        let _ = writeln!(out, "  {}:", paint.bold(&c.path.to_string()));
        out.push_str(&indent(
            &unified_diff(&diff_text(&before), &diff_text(&after), paint),
            "    ",
        ));
    }
    out
}

fn not_checked_block(report: &ScanReport, color: bool) -> String {
    let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for n in &report.not_checked {
        let reason = match &n.reason {
            NotCheckedReason::UnsupportedType => "unsupported type".to_string(),
            NotCheckedReason::RegionNotScanned(r) => format!("region {r} not scanned"),
            NotCheckedReason::RegionUnknown => {
                "region unknown (no ARN, no parent found)".to_string()
            }
            NotCheckedReason::Unobserved => "hidden by a gap".to_string(),
        };
        *counts
            .entry((n.resource_type.as_str(), reason))
            .or_default() += 1;
    }
    let mut t = new_table(color, &["type", "reason", "count"]);
    for ((ty, reason), n) in counts {
        t.add_row(vec![Cell::new(ty), Cell::new(reason), Cell::new(n)]);
    }
    t.to_string()
}

/// The report as text for a terminal or a pipe, ending in a newline.
pub fn render_table(report: &ScanReport, opts: &TableOptions) -> String {
    let paint = Paint(opts.color);
    let color = opts.color;
    let complete = report.is_complete();
    let mut out = String::new();

    if let Some(line) = unchecked_line(report, paint) {
        let _ = writeln!(out, "{line}");
    }
    if !complete {
        out.push_str(&gaps_block(report, paint));
        out.push('\n');
    } else if report.unsupported() > 0 {
        out.push('\n');
    }

    let _ = writeln!(out, "{}", paint.bold("Summary"));
    out.push_str(&summary(report, complete, color));
    out.push_str("\n\n");

    let mut graded: Vec<&Finding> = report.findings.iter().collect();
    graded.sort_by(|a, b| a.drift.sort_key().cmp(&b.drift.sort_key()));
    let findings: Vec<&Drift> = graded.iter().map(|f| &f.drift).collect();
    if findings.is_empty() {
        let _ = writeln!(out, "{}: none\n", paint.bold("Findings"));
    } else {
        let _ = writeln!(out, "{} ({})", paint.bold("Findings"), findings.len());
        out.push_str(&findings_table(&graded, color));
        out.push_str("\n\n");
        let changed: Vec<&&Drift> = findings
            .iter()
            .filter(|d| d.kind == DriftKind::Changed)
            .collect();
        if !changed.is_empty() {
            let _ = writeln!(out, "{}", paint.bold("Changes (recorded -> observed)"));
            for d in changed {
                out.push_str(&changes_block(d, color, paint));
                out.push('\n');
            }
        }
        let unmanaged = findings
            .iter()
            .filter(|d| d.kind == DriftKind::Unmanaged)
            .count();
        if unmanaged > 0 {
            let _ = writeln!(
                out,
                "Unmanaged resources are in none of the given states; `--format json` shows their observed attributes.\n"
            );
        }
    }

    if !report.ignored.is_empty() || !report.expired_ignores.is_empty() {
        let _ = writeln!(
            out,
            "{}: {} set aside by ignores ({} expired ignores no longer apply); `--format json` lists them.\n",
            paint.bold("Ignored"),
            report.ignored.len(),
            report.expired_ignores.len()
        );
    }
    if !report.pending.is_empty() {
        let _ = writeln!(
            out,
            "{} ({}): configuration not yet applied; not drift, not in the exit code",
            paint.bold("Pending"),
            report.pending.len()
        );
        let mut t = new_table(color, &["address", "what", "source"]);
        for p in &report.pending {
            let what = match (&p.kind, &p.path) {
                (crate::model::PendingKind::NotYetCreated, _) => "not yet created".to_string(),
                (crate::model::PendingKind::NoLongerConfigured, _) => {
                    "no longer configured".to_string()
                }
                (_, Some(path)) => format!(
                    "{path}: {} -> {}",
                    mask(&p.recorded).inline(),
                    mask(&p.desired).inline()
                ),
                (_, None) => "differs".to_string(),
            };
            t.add_row(vec![
                Cell::new(&p.address),
                Cell::new(what),
                Cell::new(
                    p.source
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_else(|| "-".into()),
                ),
            ]);
        }
        out.push_str(&t.to_string());
        out.push_str("\n\n");
    }

    if !report.not_checked.is_empty() {
        let _ = writeln!(
            out,
            "{} ({})",
            paint.bold("Not checked"),
            report.not_checked.len()
        );
        out.push_str(&not_checked_block(report, color));
        out.push_str("\n\n");
    }

    let s = &report.summary;
    let drift = format!(
        "{} changed, {} missing, {} unmanaged",
        s.changed, s.missing, s.unmanaged
    );
    let verdict = if !complete {
        paint.alarm(&format!(
            "INCOMPLETE: the scan could not see everything ({}). Seen: {drift}.",
            why_incomplete(report)
        ))
    } else if findings.is_empty() {
        paint.green(&format!(
            "No drift: {} match what the cloud reports.",
            plural(s.checked, "checked resource", "checked resources")
        ))
    } else if !report.fails() {
        let t = report.fail_on.map(|t| t.to_string()).unwrap_or_default();
        paint.green(&format!(
            "Drift below the fail_on threshold ({t}): {drift}."
        ))
    } else {
        paint.bold(&format!("Drift: {drift}."))
    };
    let _ = writeln!(out, "{verdict}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Gap, Summary};
    use crate::render::sample::{SECRET, sample_report};

    #[test]
    fn sample_report_snapshot() {
        let out = render_table(&sample_report(), &TableOptions { color: false });
        assert!(!out.contains(SECRET), "a secret leaked into the table");
        assert!(!out.contains('\x1b'), "colors without color");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn colors_only_when_asked() {
        let out = render_table(&sample_report(), &TableOptions { color: true });
        assert!(out.contains('\x1b'));
        assert!(!out.contains(SECRET));
    }

    #[test]
    fn incomplete_is_said_first_and_last() {
        let out = render_table(&sample_report(), &TableOptions::default());
        let mut lines = out.lines();
        let first = lines.next().unwrap();
        let second = lines.next().unwrap();
        let last = out.lines().last().unwrap();
        assert!(
            first.starts_with(
                "NOT CHECKED: 1 recorded resource of 1 unsupported type (aws_s3_bucket)"
            ),
            "{first}"
        );
        assert!(second.starts_with("INCOMPLETE"), "{second}");
        assert!(last.starts_with("INCOMPLETE"), "{last}");
    }

    #[test]
    fn unsupported_types_are_said_first_even_when_the_policy_accepts_them() {
        let mut report = ScanReport {
            summary: Summary {
                recorded: 2,
                observed: 1,
                checked: 1,
                not_checked: 1,
                ..Summary::default()
            },
            not_checked: vec![crate::model::NotChecked {
                resource_type: "aws_s3_bucket".into(),
                address: crate::model::Address::managed("aws_s3_bucket", "logs"),
                state: crate::model::StateSource("s".into()),
                reason: NotCheckedReason::UnsupportedType,
            }],
            ..ScanReport::default()
        };
        let out = render_table(&report, &TableOptions::default());
        assert!(out.starts_with("NOT CHECKED: 1 recorded resource"), "{out}");
        assert!(out.contains("coverage 50.0%"), "{out}");
        assert!(
            out.contains("INCOMPLETE"),
            "the default fails on a blind spot: {out}"
        );
        report.unchecked = Unchecked::Report;
        let out = render_table(&report, &TableOptions::default());
        assert!(out.starts_with("NOT CHECKED: 1 recorded resource"), "{out}");
        assert!(out.contains("accepted by the policy"), "{out}");
        assert!(!out.contains("INCOMPLETE"), "{out}");
    }

    #[test]
    fn an_incomplete_scan_without_findings_never_reads_clean() {
        let report = ScanReport {
            gaps: vec![Gap {
                service: "ec2".into(),
                region: Some("us-east-1".into()),
                operation: "DescribeInstances".into(),
                resource_types: vec!["aws_instance".into()],
                reason: "Throttling".into(),
                detail: None,
            }],
            ..ScanReport::default()
        };
        let out = render_table(&report, &TableOptions::default());
        assert!(out.contains("INCOMPLETE: the scan could not see everything"));
        assert!(!out.contains("No drift"));
        assert!(out.contains("DescribeInstances"));
    }

    #[test]
    fn a_clean_scan_says_so() {
        let report = ScanReport {
            summary: Summary {
                recorded: 3,
                observed: 3,
                checked: 3,
                ..Summary::default()
            },
            ..ScanReport::default()
        };
        let out = render_table(&report, &TableOptions::default());
        assert!(out.ends_with("No drift: 3 checked resources match what the cloud reports.\n"));
        assert!(!out.contains("INCOMPLETE"));
    }

    #[test]
    fn documents_become_line_diffs() {
        let out = render_table(&sample_report(), &TableOptions::default());
        // The principal list changed: one line diff, not two cells of minified JSON.
        assert!(
            out.contains("-        \"Service\": \"ec2.amazonaws.com\""),
            "{out}"
        );
        assert!(out.contains("+        \"Service\": ["), "{out}");
        assert!(!out.contains(r#"{"Version":"2012-10-17""#));
    }
}
