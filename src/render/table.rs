//! The report for people at a terminal or reading a CI log (`--format table`, the default).
//!
//! Terraform's plan output and ripgrep's printer are the bar: the verdict on the first line;
//! then one block per finding, most severe first, then by address. A block opens with one line
//! that holds the severity, the resource and the kind — what `grep` on a CI log finds — then the
//! rule and, in a few words, why the finding has its severity, the cloud id, region, source and
//! state, and the changes terraform-style (`~ path = old -> new`, documents as a line diff).
//! No column repeats another: an address already names the type.
//!
//! Width: on a terminal (`TableOptions::width`), prose and fact lines wrap at spaces to fit, and
//! a change too long for one line puts recorded and observed on lines of their own. Without a
//! terminal (a pipe, a file, a CI log: `width: None`) nothing wraps, so an identifier is always
//! whole on its line. Words are never split, on a terminal either: an identifier longer than
//! the width overflows rather than breaks.
//!
//! Colors only when the caller says so. Values only through the masking layer.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::model::{DriftKind, NotCheckedReason, ScanReport, Severity, Unchecked};
use crate::render::common::{
    PendingWhat, RuleDoc, ShownChange, ShownFinding, Verdict, drift_counts, is_object, parent_of,
    plural, severity_order, shown_findings, shown_gaps, shown_not_checked, shown_pending,
    verdict_line,
};

/// How findings are indented under their first line (`critical  ` is ten columns).
const INDENT: &str = "          ";
/// How far a child object's finding is indented under its parent's line.
const CHILD: &str = "  ";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableOptions {
    /// ANSI colors: the caller decides (stdout is a terminal and `NO_COLOR` is unset).
    pub color: bool,
    /// The terminal's width in columns; `None` without a terminal (nothing wraps).
    pub width: Option<usize>,
    /// The rules, for "why this severity" (see [`crate::render::common::RuleDoc`]); a rule
    /// not listed here is named by its id.
    pub rules: Vec<RuleDoc>,
}

/// ANSI styling that is a no-op without color.
#[derive(Clone, Copy)]
struct Paint(bool);

impl Paint {
    fn wrap(self, code: &str, text: &str) -> String {
        if self.0 && !text.is_empty() {
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
    fn dim(self, t: &str) -> String {
        self.wrap("2", t)
    }
    fn severity(self, s: Severity, t: &str) -> String {
        match s {
            Severity::Critical => self.wrap("1;31", t),
            Severity::High => self.wrap("31", t),
            Severity::Medium => self.wrap("33", t),
            Severity::Low => self.wrap("36", t),
            Severity::Info => self.wrap("2", t),
        }
    }
    fn kind(self, k: DriftKind, t: &str) -> String {
        match k {
            DriftKind::Changed => self.wrap("33", t),
            DriftKind::Missing => self.wrap("31", t),
            DriftKind::Unmanaged => self.wrap("35", t),
        }
    }
}

/// `text` wrapped to `width` with `indent` before every line; words (identifiers) are never
/// split. Without a width, one line.
fn wrap(text: &str, indent: &str, width: Option<usize>) -> String {
    hanging(text, indent, indent, width)
}

/// [`wrap`] with another indent for the first line (a list item's `  - `).
fn hanging(text: &str, first: &str, rest: &str, width: Option<usize>) -> String {
    match width {
        None => format!("{first}{text}\n"),
        Some(w) => {
            let opts = textwrap::Options::new(w.max(rest.len() + 20))
                .initial_indent(first)
                .subsequent_indent(rest)
                .break_words(false)
                .word_separator(textwrap::WordSeparator::AsciiSpace)
                .word_splitter(textwrap::WordSplitter::NoHyphenation);
            let mut out = String::new();
            for line in textwrap::wrap(text, &opts) {
                out.push_str(line.trim_end());
                out.push('\n');
            }
            out
        }
    }
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

fn paint_diff(diff: &str, paint: Paint) -> String {
    let mut out = String::new();
    for line in diff.lines() {
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

/// The first line when recorded resources of unsupported types were not compared: how many,
/// of which types, and the coverage. `None` when every recorded type is supported.
fn unchecked_line(report: &ScanReport) -> Option<String> {
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
    Some(format!(
        "NOT CHECKED: {} of {} ({}) not compared; coverage {:.1}%; {effect}.",
        plural(n, "recorded resource", "recorded resources"),
        plural(types.len(), "unsupported type", "unsupported types"),
        types.join(", "),
        report.summary.coverage_percent(),
    ))
}

fn gaps_block(report: &ScanReport, paint: Paint, width: Option<usize>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", paint.alarm("What the scan could not see:"));
    for g in shown_gaps(report) {
        out.push_str(&hanging(
            &format!(
                "{} {} ({}): {} [hides: {}]",
                g.service,
                g.operation,
                g.region_or_global(),
                g.reason,
                g.resource_types.join(", ")
            ),
            "  - ",
            "    ",
            width,
        ));
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
    out.push_str(&wrap(
        "Resources of these types may have drifted unseen; the findings below are only what could be seen.",
        "  ",
        width,
    ));
    out
}

/// `Checked 16 of 16 recorded resources (100.0%) against 31 observed objects; ...`.
fn summary(report: &ScanReport, width: Option<usize>) -> String {
    let s = &report.summary;
    let mut text = format!(
        "Checked {} of {} ({:.1}% coverage) against {} observed; {}; {} not checked.",
        s.checked,
        plural(s.recorded, "recorded resource", "recorded resources"),
        s.coverage_percent(),
        plural(s.observed, "object", "objects"),
        drift_counts(report),
        s.not_checked,
    );
    if !report.states.is_empty() {
        let states: Vec<&str> = report.states.iter().map(|x| x.0.as_str()).collect();
        let _ = write!(text, " States: {}.", states.join(", "));
    }
    if !report.regions.is_empty() {
        let _ = write!(text, " Regions: {}.", report.regions.join(", "));
    }
    wrap(&text, "", width)
}

/// One change, terraform-style: `~ path = old -> new`, and the change's own rule when it is
/// not the finding's.
fn change_lines(c: &ShownChange, finding_rule: &str, paint: Paint, width: Option<usize>) -> String {
    let note = match &c.rule {
        Some((sev, rule)) if rule != finding_rule => format!("  # {rule}, {sev}"),
        _ => String::new(),
    };
    let mut out = String::new();
    if c.is_long() {
        let _ = writeln!(
            out,
            "{INDENT}{} {}{}",
            paint.cyan("~"),
            c.path,
            paint.dim(&note)
        );
        out.push_str(&indent(
            &paint_diff(&c.diff(), paint),
            &format!("{INDENT}    "),
        ));
        return out;
    }
    let before = c.recorded.inline();
    let after = c.observed.inline();
    let one_line = format!("{INDENT}~ {} = {before} -> {after}{note}", c.path);
    let fits = width.is_none_or(|w| one_line.chars().count() <= w);
    if fits {
        let _ = writeln!(
            out,
            "{INDENT}{} {} = {} -> {}{}",
            paint.cyan("~"),
            c.path,
            paint.red(&before),
            paint.green(&after),
            paint.dim(&note)
        );
    } else {
        let _ = writeln!(
            out,
            "{INDENT}{} {}{}",
            paint.cyan("~"),
            c.path,
            paint.dim(&note)
        );
        let _ = writeln!(out, "{INDENT}    {}", paint.red(&format!("- {before}")));
        let _ = writeln!(out, "{INDENT}    {}", paint.green(&format!("+ {after}")));
    }
    out
}

fn finding_block(f: &ShownFinding, width: Option<usize>, paint: Paint) -> String {
    let mut out = String::new();
    // The line `grep` finds: severity, resource, kind.
    let _ = writeln!(
        out,
        "{}  {}  {}",
        paint.severity(f.severity, &format!("{:<8}", f.severity.as_str())),
        paint.bold(&f.name),
        paint.kind(f.kind, f.kind.as_str())
    );
    out.push_str(&wrap(&format!("{}: {}", f.rule, f.why), INDENT, width));
    let mut facts = Vec::new();
    if f.has_address {
        facts.push(format!("id {}", f.id));
    }
    if let Some(r) = &f.region {
        facts.push(format!("region {r}"));
    }
    if let Some(src) = &f.source {
        facts.push(format!("source {src}"));
    }
    if let Some(s) = &f.state {
        facts.push(format!("state {s}"));
    }
    if !facts.is_empty() {
        out.push_str(&paint.dim(&wrap(&facts.join(" · "), INDENT, width)));
    }
    match f.kind {
        DriftKind::Changed => {
            for c in &f.changes {
                out.push_str(&change_lines(c, &f.rule, paint, width));
            }
        }
        DriftKind::Missing => {
            out.push_str(&wrap(
                "recorded in the state, no longer in the cloud",
                INDENT,
                width,
            ));
        }
        DriftKind::Unmanaged => {
            out.push_str(&wrap(
                "in the cloud, in none of the given states (`--format json` shows its attributes)",
                INDENT,
                width,
            ));
        }
    }
    out
}

/// The findings, each child object's (a route, an ACL rule, a group membership) under its
/// parent object's line ([`parent_of`]): under the parent's own finding when it has one, else
/// under a line naming the parent. A group stands where its most severe member stands in the
/// severity order.
fn grouped_findings(
    report: &ScanReport,
    findings: &[ShownFinding],
    width: Option<usize>,
    paint: Paint,
) -> String {
    let ordered = severity_order(&report.findings);
    let registry = crate::spec::Registry::builtin().ok();
    let parents: Vec<Option<(String, String)>> = ordered
        .iter()
        .map(|f| {
            registry
                .as_ref()
                .and_then(|r| parent_of(f, r, &report.findings))
        })
        .collect();
    // The parent finding of each child, when the parent has one (and is no child itself).
    let parent_finding = |i: usize| -> Option<usize> {
        let (t, id) = parents[i].as_ref()?;
        (0..ordered.len()).find(|&j| j != i && parents[j].is_none() && is_object(ordered[j], t, id))
    };
    let mut children: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    let mut headed: Vec<((String, String), Vec<usize>)> = Vec::new();
    let mut first_of: BTreeMap<usize, usize> = BTreeMap::new();
    for (i, parent) in parents.iter().enumerate() {
        let Some(key) = parent.clone() else {
            continue;
        };
        match parent_finding(i) {
            Some(j) => children.entry(j).or_default().push(i),
            None => match headed.iter_mut().find(|(k, _)| *k == key) {
                Some((_, members)) => members.push(i),
                None => {
                    first_of.insert(i, headed.len());
                    headed.push((key, vec![i]));
                }
            },
        }
    }
    let child = |i: usize| -> String {
        let block = finding_block(
            &findings[i],
            width.map(|w| w.saturating_sub(CHILD.len())),
            paint,
        );
        format!("{}\n", indent(&block, CHILD))
    };
    // Each group where its most severe member (its first in the order) stands.
    let mut groups: Vec<(usize, String)> = Vec::new();
    for i in 0..ordered.len() {
        if parents[i].is_none() {
            let members = children.get(&i).cloned().unwrap_or_default();
            let mut text = finding_block(&findings[i], width, paint);
            text.push('\n');
            for &c in &members {
                text.push_str(&child(c));
            }
            let at = members.iter().copied().chain([i]).min().unwrap_or(i);
            groups.push((at, text));
        } else if let Some(&g) = first_of.get(&i) {
            let ((t, id), members) = &headed[g];
            let mut text = String::new();
            let _ = writeln!(
                text,
                "{}  {}",
                paint.bold(&format!("{t} {id}")),
                paint.dim(&format!(
                    "(not drifted itself; {} below)",
                    plural(members.len(), "finding", "findings")
                ))
            );
            for &c in members {
                text.push_str(&child(c));
            }
            groups.push((i, text));
        }
    }
    groups.sort_by_key(|(at, _)| *at);
    groups.into_iter().map(|(_, text)| text).collect()
}

fn not_checked_block(report: &ScanReport) -> String {
    let mut counts: BTreeMap<(&str, String), usize> = BTreeMap::new();
    for n in shown_not_checked(report) {
        let reason = match n.reason {
            NotCheckedReason::RegionUnknown => {
                "region unknown (no ARN, no parent found)".to_string()
            }
            _ => n.reason_words(str::to_string),
        };
        *counts.entry((n.resource_type, reason)).or_default() += 1;
    }
    let ty_w = counts.keys().map(|(t, _)| t.len()).max().unwrap_or(0);
    let mut out = String::new();
    for ((ty, reason), n) in counts {
        let _ = writeln!(out, "  {ty:<ty_w$}  {n:>3}  {reason}");
    }
    out
}

fn pending_block(report: &ScanReport) -> String {
    let mut out = String::new();
    let pending = shown_pending(report);
    let addr_w = pending
        .iter()
        .map(|p| p.address.chars().count())
        .max()
        .unwrap_or(0);
    for p in pending {
        let what = match &p.what {
            PendingWhat::Said(words) => words.to_string(),
            PendingWhat::Differs {
                path,
                recorded,
                desired,
            } => format!("~ {path} = {} -> {}", recorded.inline(), desired.inline()),
        };
        let source = p
            .source
            .as_ref()
            .map(|s| format!("  ({s})"))
            .unwrap_or_default();
        let _ = writeln!(out, "  {:<addr_w$}  {what}{source}", p.address);
    }
    out
}

/// The report as text for a terminal or a pipe, ending in a newline.
pub fn render_table(report: &ScanReport, opts: &TableOptions) -> String {
    let paint = Paint(opts.color);
    let verdict = Verdict::of(report);
    let line = verdict_line(report);
    // One sentence; on a narrow terminal it wraps at spaces rather than run off the screen.
    let line = wrap(&line, "", opts.width);
    let verdict_text = match verdict {
        Verdict::Incomplete => paint.alarm(&line),
        Verdict::Clean | Verdict::BelowThreshold => paint.green(&line),
        Verdict::Drift => paint.bold(&line),
    };
    let mut out = String::new();
    out.push_str(&verdict_text);
    if let Some(line) = unchecked_line(report) {
        out.push_str(&paint.alarm(&wrap(&line, "", opts.width)));
    }
    if verdict == Verdict::Incomplete {
        out.push_str(&gaps_block(report, paint, opts.width));
    }
    out.push('\n');
    out.push_str(&summary(report, opts.width));
    out.push('\n');

    let findings = shown_findings(&report.findings, &opts.rules);
    if findings.is_empty() {
        let _ = writeln!(out, "{}\n", paint.bold("Findings: none"));
    } else {
        let _ = writeln!(
            out,
            "{}\n",
            paint.bold(&format!(
                "Findings ({}), most severe first:",
                findings.len()
            ))
        );
        out.push_str(&grouped_findings(report, &findings, opts.width, paint));
    }

    if !report.ignored.is_empty() || !report.expired_ignores.is_empty() {
        out.push_str(&wrap(
            &format!(
                "{}: {} set aside by ignores ({} expired ignores no longer apply); `--format json` lists them.",
                paint.bold("Ignored"),
                report.ignored.len(),
                report.expired_ignores.len()
            ),
            "",
            opts.width,
        ));
        out.push('\n');
    }
    if !report.pending.is_empty() {
        out.push_str(&wrap(
            &format!(
                "{} ({}): configuration not yet applied; not drift, not in the exit code",
                paint.bold("Pending"),
                report.pending.len()
            ),
            "",
            opts.width,
        ));
        out.push_str(&pending_block(report));
        out.push('\n');
    }
    if !report.not_checked.is_empty() {
        let _ = writeln!(
            out,
            "{} ({}):",
            paint.bold("Not checked"),
            report.not_checked.len()
        );
        out.push_str(&not_checked_block(report));
        out.push('\n');
    }
    // The verdict again, last: after a long report it is what the reader sees.
    out.push_str(&verdict_text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Gap, Summary};
    use crate::render::sample::{SECRET, sample_report};

    fn plain(width: Option<usize>) -> TableOptions {
        TableOptions {
            color: false,
            width,
            rules: crate::ops::rules::docs(&crate::policy::Policy::default(), &sample_report()),
        }
    }

    /// Routes under their table, a rule under its ACL (which has no finding of its own: a line
    /// names it), a membership under its group: the relation is the specs' `parent` blocks.
    #[test]
    fn child_objects_are_shown_under_their_parent() {
        use crate::model::{Address, Attributes, Change, Drift, Path, Value};
        let attrs = |pairs: &[(&str, &str)]| -> Attributes {
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::str(*v)))
                .collect()
        };
        let drift = |kind, ty: &str, id: &str, name: Option<&str>, observed: Attributes| Drift {
            kind,
            resource_type: ty.into(),
            id: id.into(),
            address: name.map(|n| Address::managed(ty, n)),
            state: None,
            region: Some("us-east-1".into()),
            changes: match kind {
                DriftKind::Changed => vec![Change::new(
                    Path::root("tags").key("team"),
                    Value::str("core"),
                    Value::str("edge"),
                )],
                _ => vec![],
            },
            observed: Some(observed),
        };
        let mut report = sample_report();
        report.findings = [
            drift(
                DriftKind::Changed,
                "aws_route_table",
                "rtb-1",
                Some("private"),
                attrs(&[("id", "rtb-1"), ("vpc_id", "vpc-1")]),
            ),
            drift(
                DriftKind::Unmanaged,
                "aws_route",
                "rtb-1_0.0.0.0/0",
                None,
                attrs(&[
                    ("route_table_id", "rtb-1"),
                    ("destination_cidr_block", "0.0.0.0/0"),
                    ("gateway_id", "igw-1"),
                ]),
            ),
            drift(
                DriftKind::Unmanaged,
                "aws_network_acl_rule",
                "acl-1:false:50",
                None,
                {
                    let mut a = attrs(&[
                        ("network_acl_id", "acl-1"),
                        ("rule_action", "allow"),
                        ("cidr_block", "0.0.0.0/0"),
                    ]);
                    a.insert("egress".into(), Value::Bool(false));
                    a
                },
            ),
            drift(
                DriftKind::Changed,
                "aws_iam_group",
                "admins",
                Some("admins"),
                attrs(&[("id", "admins"), ("name", "admins")]),
            ),
            drift(
                DriftKind::Changed,
                "aws_iam_group_membership",
                "admins",
                Some("admins"),
                attrs(&[("group", "admins"), ("name", "admins-members")]),
            ),
        ]
        .into_iter()
        .map(|d| crate::policy::classify::classify_drift(d, &crate::policy::Policy::default()))
        .collect();
        let out = render_table(&report, &plain(None));
        let lines: Vec<&str> = out.lines().collect();
        let at = |needle: &str| {
            lines
                .iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no `{needle}` in\n{out}"))
        };
        // The route right under its table's finding, indented; the (low) table's group before
        // the low group's, as its route is critical.
        let table = at("aws_route_table.private  changed");
        assert!(table < at("aws_iam_group.admins  changed"), "{out}");
        let route = at("aws_route rtb-1_0.0.0.0/0");
        assert!(route > table, "{out}");
        assert!(lines[route].starts_with("  "), "{out}");
        assert!(
            lines[table + 1..route]
                .iter()
                .all(|l| !Severity::ALL.iter().any(|s| l.starts_with(s.as_str()))),
            "nothing between the table and its route:\n{out}"
        );
        // The ACL has no finding: a line names it, the rule under it.
        let acl = at("aws_network_acl acl-1  (not drifted itself; 1 finding below)");
        let rule = at("aws_network_acl_rule acl-1:false:50");
        assert_eq!(rule, acl + 1, "{out}");
        assert!(lines[rule].starts_with("  "), "{out}");
        // The membership under its group.
        let group = at("aws_iam_group.admins  changed");
        let members = at("aws_iam_group_membership.admins");
        assert!(members > group && lines[members].starts_with("  "), "{out}");
        // Every finding shown once.
        assert_eq!(out.matches("aws_route rtb-1_0.0.0.0/0").count(), 1, "{out}");
    }

    #[test]
    fn sample_report_snapshot() {
        let out = render_table(&sample_report(), &plain(None));
        assert!(!out.contains(SECRET), "a secret leaked into the table");
        assert!(!out.contains('\x1b'), "colors without color");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn colors_only_when_asked() {
        let out = render_table(
            &sample_report(),
            &TableOptions {
                color: true,
                ..plain(None)
            },
        );
        assert!(out.contains('\x1b'));
        assert!(!out.contains(SECRET));
    }

    #[test]
    fn the_verdict_comes_first_and_last() {
        let out = render_table(&sample_report(), &plain(None));
        let mut lines = out.lines();
        let first = lines.next().unwrap();
        let second = lines.next().unwrap();
        let last = out.lines().last().unwrap();
        assert!(
            first.starts_with("INCOMPLETE: the scan could not see everything (2 gaps"),
            "{first}"
        );
        assert!(
            second.starts_with(
                "NOT CHECKED: 1 recorded resource of 1 unsupported type (aws_s3_bucket)"
            ),
            "{second}"
        );
        assert_eq!(first, last);
    }

    #[test]
    fn findings_are_sorted_by_severity_then_address_and_name_their_rule_and_why() {
        let out = render_table(&sample_report(), &plain(None));
        let heads: Vec<&str> = out
            .lines()
            .filter(|l| Severity::ALL.iter().any(|s| l.starts_with(s.as_str())))
            .collect();
        assert_eq!(
            heads,
            [
                "critical  aws_iam_role.app  changed",
                "high      aws_iam_user intruder  unmanaged",
                "high      aws_security_group.db[\"a\"]  missing",
                "medium    module.app.aws_instance.web  changed",
            ]
        );
        assert!(
            out.contains("\n          iam_principal_added: IAM trusts a new principal\n"),
            "{out}"
        );
        assert!(
            out.contains("~ tags.team = \"core\" -> \"platform\"  # tags_changed, low"),
            "{out}"
        );
        // No column repeats another: the address is not followed by its type again.
        assert!(!out.contains("aws_iam_role.app  aws_iam_role"), "{out}");
    }

    #[test]
    fn without_a_terminal_identifiers_stay_whole_on_one_line() {
        let mut report = sample_report();
        let long = "arn:aws:iam::123456789012:policy/a-very-long-policy-name-that-would-never-fit-in-eighty-columns";
        report.findings[0].drift.id = long.to_string();
        let out = render_table(&report, &plain(None));
        assert!(out.lines().any(|l| l.contains(long)), "{out}");
        // On a terminal of 80 columns, prose wraps but the identifier is still whole.
        let out = render_table(&report, &plain(Some(80)));
        assert!(out.lines().any(|l| l.contains(long)), "{out}");
        // Prose and facts fit; diffs and values (indented under a change) are never cut.
        let values = format!("{INDENT}    ");
        for l in out
            .lines()
            .filter(|l| !l.contains(long) && !l.starts_with(&values))
        {
            assert!(l.chars().count() <= 80, "too wide for 80 columns: {l:?}");
        }
    }

    /// An `import` block's resource shows as to be imported, not "not yet created".
    #[test]
    fn a_resource_to_be_imported_says_so() {
        let mut report = sample_report();
        report.pending.push(crate::model::Pending {
            kind: crate::model::PendingKind::ToBeImported,
            address: "aws_iam_role.rogue".into(),
            resource_type: "aws_iam_role".into(),
            path: None,
            desired: crate::model::Value::Null,
            recorded: crate::model::Value::Null,
            source: None,
        });
        let out = render_table(&report, &plain(None));
        let line = out
            .lines()
            .find(|l| l.contains("aws_iam_role.rogue"))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.contains("to be imported"), "{line}");
        assert!(!line.contains("not yet created"), "{line}");
    }

    #[test]
    fn snapshots_at_80_and_200_columns() {
        let report = sample_report();
        insta::assert_snapshot!("width_80", render_table(&report, &plain(Some(80))));
        insta::assert_snapshot!("width_200", render_table(&report, &plain(Some(200))));
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
        let second = out.lines().nth(1).unwrap();
        assert!(
            out.starts_with("INCOMPLETE"),
            "the default fails on a blind spot: {out}"
        );
        assert!(
            second.starts_with("NOT CHECKED: 1 recorded resource"),
            "{out}"
        );
        assert!(out.contains("coverage 50.0%"), "{out}");
        report.unchecked = Unchecked::Report;
        let out = render_table(&report, &TableOptions::default());
        assert!(out.starts_with("No drift"), "{out}");
        assert!(
            out.lines()
                .nth(1)
                .unwrap()
                .starts_with("NOT CHECKED: 1 recorded resource"),
            "{out}"
        );
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
        assert!(out.starts_with("No drift: 3 checked resources match what the cloud reports.\n"));
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
