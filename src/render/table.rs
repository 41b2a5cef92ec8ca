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
use crate::model::{Change, Drift, DriftKind, Grade, NotCheckedReason, ScanReport};

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

/// The text a long value is diffed as.
fn diff_text(m: &Masked) -> String {
    if m.is_null() {
        return String::new();
    }
    m.document().unwrap_or_else(|| format!("{}\n", m.inline()))
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

/// `2 gaps`, `--strict: 3 not checked`, or both.
fn why_incomplete(report: &ScanReport) -> String {
    let mut parts = Vec::new();
    if !report.gaps.is_empty() {
        parts.push(plural(report.gaps.len(), "gap", "gaps"));
    }
    if report.strict && !report.not_checked.is_empty() {
        parts.push(format!(
            "--strict: {} not checked",
            report.not_checked.len()
        ));
    }
    parts.join(", ")
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
    if report.strict && !report.not_checked.is_empty() {
        let _ = writeln!(
            out,
            "  - --strict: {} not checked (listed below)",
            plural(
                report.not_checked.len(),
                "recorded resource was",
                "recorded resources were"
            )
        );
    }
    let _ = writeln!(
        out,
        "  Resources of these types may have drifted unseen; the findings below are only what could be seen."
    );
    out
}

fn findings_table(findings: &[(&Drift, Option<&Grade>)], color: bool) -> String {
    let graded = findings.iter().any(|(_, g)| g.is_some());
    let mut header = vec!["address", "type", "id", "kind", "region"];
    if graded {
        header.insert(0, "severity");
        header.push("source");
    }
    let mut t = new_table(color, &header);
    for (d, g) in findings {
        let mut row = vec![
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
        ];
        if graded {
            row.insert(
                0,
                Cell::new(g.map(|g| g.severity.to_string()).unwrap_or_default()),
            );
            row.push(Cell::new(
                g.and_then(|g| g.source.as_ref())
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "-".into()),
            ));
        }
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
        let before = mask(&c.before);
        let after = mask(&c.after);
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

    if !complete {
        out.push_str(&gaps_block(report, paint));
        out.push('\n');
    }

    let _ = writeln!(out, "{}", paint.bold("Summary"));
    out.push_str(&summary(report, complete, color));
    out.push_str("\n\n");

    let mut graded: Vec<(&Drift, Option<&Grade>)> = report
        .findings
        .iter()
        .enumerate()
        .map(|(i, d)| (d, report.grades.get(i)))
        .collect();
    graded.sort_by(|a, b| a.0.sort_key().cmp(&b.0.sort_key()));
    let findings: Vec<&Drift> = graded.iter().map(|(d, _)| *d).collect();
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
        let first = out.lines().next().unwrap();
        let last = out.lines().last().unwrap();
        assert!(first.starts_with("INCOMPLETE"), "{first}");
        assert!(last.starts_with("INCOMPLETE"), "{last}");
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
