//! Markdown (`scan --format markdown`, `report.md`, and what `scan` appends to
//! `$GITHUB_STEP_SUMMARY`): made for pull-request comments and CI job summaries.
//!
//! The verdict first, then the counts, a table of findings by severity, then each finding
//! with its rule, why it has its severity, and its changes: short values in a table, IAM
//! documents and other long values as a fenced `diff`. Ignored findings, pending changes, what
//! was not checked and the gaps follow, folded in `<details>`. Values only through the masking
//! layer; every piece of user text is escaped for the place it goes (table cell, code span,
//! fence).

use std::fmt::Write as _;

use crate::model::{DriftKind, ScanReport};
use crate::render::common::{
    PendingWhat, RuleDoc, ShownChange, ShownFinding, Verdict, counts_by_kind, counts_by_severity,
    plural, shown_findings, shown_gaps, shown_not_checked, shown_pending, verdict_line,
};

/// What the Markdown report needs besides the report.
#[derive(Debug, Clone, Default)]
pub struct MarkdownOptions {
    /// The rules, for "why this severity" (built by `ops::rules::docs`).
    pub rules: Vec<RuleDoc>,
    /// The heading's level (1 = `#`); a step summary or a comment nests it under its own.
    pub heading_level: usize,
    /// At most this many bytes (GitHub takes 1 MiB per step summary, 65536 characters per
    /// comment): past it, the findings' details are left out (the table of findings stays) and
    /// a note says so. `None`: no limit.
    pub max_bytes: Option<usize>,
}

/// What `scan` appends to `$GITHUB_STEP_SUMMARY` at most (GitHub refuses a step summary over
/// 1 MiB).
pub const STEP_SUMMARY_MAX_BYTES: usize = 1000 * 1000;

impl MarkdownOptions {
    pub fn new(rules: Vec<RuleDoc>) -> MarkdownOptions {
        MarkdownOptions {
            rules,
            heading_level: 2,
            max_bytes: None,
        }
    }
}

/// `text` as an inline code span, whatever backticks it holds, safe in a table cell.
pub fn code(text: &str) -> String {
    let longest = longest_run(text, '`');
    let ticks = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') || text.is_empty() {
        " "
    } else {
        ""
    };
    let body = text.replace('|', "\\|").replace(['\n', '\r'], " ");
    format!("{ticks}{pad}{body}{pad}{ticks}")
}

fn longest_run(text: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for ch in text.chars() {
        if ch == c {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}

/// Plain text made inert: Markdown and HTML punctuation escaped, one line.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '!' | '~' | '{' | '}' => {
                out.push('\\');
                out.push(ch);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' | '\r' => out.push(' '),
            _ => out.push(ch),
        }
    }
    out
}

/// A fenced block of `lang` holding `body`, with a fence longer than any backtick run inside.
pub fn fenced(lang: &str, body: &str) -> String {
    let fence = "`".repeat((longest_run(body, '`') + 1).max(3));
    let mut out = format!("{fence}{lang}\n{body}");
    if !body.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&fence);
    out.push('\n');
    out
}

fn heading(level: usize, text: &str) -> String {
    format!("{} {text}\n\n", "#".repeat(level.clamp(1, 6)))
}

fn icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Incomplete => "⚠️",
        Verdict::Drift => "❌",
        Verdict::BelowThreshold => "⚠️",
        Verdict::Clean => "✅",
    }
}

fn changes_md(out: &mut String, changes: &[ShownChange]) {
    let short: Vec<&ShownChange> = changes.iter().filter(|c| !c.is_long()).collect();
    if !short.is_empty() {
        out.push_str("| path | recorded | observed | rule |\n|---|---|---|---|\n");
        for c in short {
            let rule = c
                .rule
                .as_ref()
                .map(|(s, r)| format!("{} ({s})", code(r)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {rule} |",
                code(&c.path),
                code(&c.recorded.inline()),
                code(&c.observed.inline()),
            );
        }
        out.push('\n');
    }
    for c in changes.iter().filter(|c| c.is_long()) {
        let rule = c
            .rule
            .as_ref()
            .map(|(s, r)| format!(" — {} ({s})", code(r)))
            .unwrap_or_default();
        let _ = writeln!(out, "{}{rule}:\n", code(&c.path));
        out.push_str(&fenced("diff", &c.diff()));
        out.push('\n');
    }
}

fn finding_md(out: &mut String, f: &ShownFinding, level: usize) {
    let _ = write!(
        out,
        "{}",
        heading(
            level,
            &format!(
                "{} {} — {}",
                code(&f.name),
                f.severity.as_str(),
                f.kind.as_str()
            )
        )
    );
    let mut facts = vec![
        format!("rule {} ({})", code(&f.rule), escape(&f.why)),
        format!("{} {}", code(&f.resource_type), code(&f.id)),
    ];
    if let Some(r) = &f.region {
        facts.push(format!("region {}", code(r)));
    }
    if let Some(s) = &f.state {
        facts.push(format!("state {}", code(s)));
    }
    if let Some(src) = &f.source {
        facts.push(format!("source {}", code(src)));
    }
    if let Some(ig) = &f.ignored {
        let mut t = format!("ignored by {} at {}", code(&ig.pattern), code(&ig.source));
        if let Some(r) = &ig.reason {
            let _ = write!(t, ": {}", escape(r));
        }
        facts.push(t);
    }
    let _ = writeln!(out, "{}\n", facts.join(" · "));
    match f.kind {
        DriftKind::Changed => changes_md(out, &f.changes),
        DriftKind::Missing => {
            out.push_str("Recorded in the state, no longer in the cloud.\n\n");
        }
        DriftKind::Unmanaged => {
            out.push_str("In the cloud, in none of the given states.\n\n");
            if let Some(attrs) = &f.observed {
                let _ = writeln!(
                    out,
                    "<details><summary>Observed attributes ({})</summary>\n\n| attribute | observed |\n|---|---|",
                    attrs.len()
                );
                for (k, v) in attrs {
                    let _ = writeln!(out, "| {} | {} |", code(k), code(&v.inline()));
                }
                out.push_str("\n</details>\n\n");
            }
        }
    }
}

fn findings_table(out: &mut String, findings: &[ShownFinding]) {
    out.push_str("| severity | resource | kind | rule | why |\n|---|---|---|---|---|\n");
    for f in findings {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.severity.as_str(),
            code(&f.name),
            f.kind.as_str(),
            code(&f.rule),
            escape(&f.why),
        );
    }
    out.push('\n');
}

/// The Markdown report, ending in a newline; within `opts.max_bytes` when it is set.
pub fn render(report: &ScanReport, opts: &MarkdownOptions) -> String {
    let full = render_with(report, opts, true);
    match opts.max_bytes {
        Some(max) if full.len() > max => {
            let mut short = render_with(report, opts, false);
            let note = format!(
                "\n_The findings' details are left out: the whole report is {} bytes, more than \
                 the {max} this summary holds. `driftgate scan --format markdown --out FILE` writes \
                 it in full._\n",
                full.len()
            );
            short.push_str(&note);
            if short.len() > max {
                // Even the table is too long: cut at a line boundary, and say so.
                let mut end = max.saturating_sub(note.len()).min(short.len());
                while !short.is_char_boundary(end) {
                    end -= 1;
                }
                let cut = short[..end].rfind('\n').unwrap_or(0);
                short.truncate(cut);
                short.push_str(&note);
            }
            short
        }
        _ => full,
    }
}

fn render_with(report: &ScanReport, opts: &MarkdownOptions, details: bool) -> String {
    let level = opts.heading_level.clamp(1, 5);
    let mut out = String::new();
    header_md(&mut out, report, level);
    counts_md(&mut out, report);
    gaps_md(&mut out, report);
    findings_md(&mut out, report, opts, level, details);
    ignored_md(&mut out, report, opts, level, details);
    pending_md(&mut out, report);
    not_checked_md(&mut out, report);
    out
}

/// The title, the verdict and the line of coverage, states and regions.
fn header_md(out: &mut String, report: &ScanReport, level: usize) {
    out.push_str(&heading(level, "driftgate drift report"));
    let _ = writeln!(
        out,
        "{} **{}**\n",
        icon(Verdict::of(report)),
        escape(&verdict_line(report))
    );
    let s = &report.summary;
    let _ = writeln!(
        out,
        "{} checked of {} recorded ({:.1}% coverage), {} observed · states: {} · regions: {}\n",
        s.checked,
        s.recorded,
        s.coverage_percent(),
        s.observed,
        if report.states.is_empty() {
            "none".to_string()
        } else {
            report
                .states
                .iter()
                .map(|x| code(&x.0))
                .collect::<Vec<_>>()
                .join(", ")
        },
        if report.regions.is_empty() {
            "none".to_string()
        } else {
            report
                .regions
                .iter()
                .map(|r| code(r))
                .collect::<Vec<_>>()
                .join(", ")
        },
    );
}

/// Counts by severity and kind, one small table.
fn counts_md(out: &mut String, report: &ScanReport) {
    out.push_str("| | critical | high | medium | low | info | changed | missing | unmanaged |\n");
    out.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let sev: Vec<String> = counts_by_severity(&report.findings)
        .iter()
        .map(|(_, n)| n.to_string())
        .collect();
    let kind: Vec<String> = counts_by_kind(&report.findings)
        .iter()
        .map(|(_, n)| n.to_string())
        .collect();
    let _ = writeln!(
        out,
        "| findings | {} | {} |\n",
        sev.join(" | "),
        kind.join(" | ")
    );
}

/// The warning that the scan could not see everything (nothing when it saw everything).
fn gaps_md(out: &mut String, report: &ScanReport) {
    if report.gaps.is_empty() {
        return;
    }
    out.push_str("> [!WARNING]\n> The scan could not see everything:\n");
    for g in shown_gaps(report) {
        let _ = writeln!(
            out,
            "> - {} {} ({}): {} — hides {}",
            code(g.service),
            code(g.operation),
            g.region_or_global(),
            escape(&g.reason),
            g.resource_types
                .iter()
                .map(|t| code(t))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push('\n');
}

/// The findings heading and table, then each finding in full when `details`.
fn findings_md(
    out: &mut String,
    report: &ScanReport,
    opts: &MarkdownOptions,
    level: usize,
    details: bool,
) {
    let findings = shown_findings(&report.findings, &opts.rules);
    if findings.is_empty() {
        out.push_str(&heading(level + 1, "Findings: none"));
        return;
    }
    out.push_str(&heading(
        level + 1,
        &format!("Findings ({})", findings.len()),
    ));
    findings_table(out, &findings);
    if details {
        for f in &findings {
            finding_md(out, f, level + 2);
        }
    }
}

/// The folded ignored findings (in full when `details`) and expired ignores.
fn ignored_md(
    out: &mut String,
    report: &ScanReport,
    opts: &MarkdownOptions,
    level: usize,
    details: bool,
) {
    if report.ignored.is_empty() && report.expired_ignores.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Ignored: {} set aside by ignores, {} expired</summary>\n",
        report.ignored.len(),
        plural(report.expired_ignores.len(), "ignore", "ignores")
    );
    if details {
        for f in &shown_findings(&report.ignored, &opts.rules) {
            finding_md(out, f, level + 2);
        }
    }
    for e in &report.expired_ignores {
        let _ = writeln!(
            out,
            "- expired: {} at {} (until {}) would match {}",
            code(&e.ignore.pattern),
            code(&e.ignore.source),
            e.ignore
                .expires
                .map(|d| d.to_string())
                .unwrap_or_else(|| "-".into()),
            e.would_match
                .iter()
                .map(|m| code(m))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    out.push_str("\n</details>\n\n");
}

/// The folded pending configuration (nothing when there is none).
fn pending_md(out: &mut String, report: &ScanReport) {
    if report.pending.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Pending: {} (configuration not yet applied; not drift)</summary>\n",
        report.pending.len()
    );
    out.push_str("| address | what | source |\n|---|---|---|\n");
    for p in shown_pending(report) {
        let what = match &p.what {
            PendingWhat::Said(words) => words.to_string(),
            PendingWhat::Differs {
                path,
                recorded,
                desired,
            } => format!(
                "{}: {} -> {}",
                code(path),
                code(&recorded.inline()),
                code(&desired.inline())
            ),
        };
        let _ = writeln!(
            out,
            "| {} | {what} | {} |",
            code(&p.address),
            p.source.as_deref().map(code).unwrap_or_else(|| "-".into())
        );
    }
    out.push_str("\n</details>\n\n");
}

/// The folded resources that were not checked (nothing when all were).
fn not_checked_md(out: &mut String, report: &ScanReport) {
    if report.not_checked.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "<details><summary>Not checked: {}</summary>\n",
        plural(
            report.not_checked.len(),
            "recorded resource",
            "recorded resources"
        )
    );
    out.push_str("| resource | reason |\n|---|---|\n");
    for n in shown_not_checked(report) {
        let _ = writeln!(out, "| {} | {} |", code(&n.address), n.reason_words(code));
    }
    out.push_str("\n</details>\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::rules::docs as rule_docs;
    use crate::policy::Policy;
    use crate::render::common::{finding_name, severity_order};
    use crate::render::sample::{SECRET, rich_report, sample_report};

    fn md() -> String {
        render(
            &sample_report(),
            &MarkdownOptions::new(rule_docs(&Policy::default(), &sample_report())),
        )
    }

    #[test]
    fn sample_report_snapshot() {
        let out = md();
        assert!(!out.contains(SECRET), "a secret leaked into the markdown");
        insta::assert_snapshot!(out);
    }

    /// Ignored findings, expired ignores and pending configuration too.
    #[test]
    fn rich_report_snapshot() {
        let report = rich_report();
        let out = render(
            &report,
            &MarkdownOptions::new(rule_docs(&Policy::default(), &report)),
        );
        assert!(!out.contains(SECRET), "a secret leaked into the markdown");
        insta::assert_snapshot!(out);
    }

    #[test]
    fn names_every_finding_most_severe_first_and_diffs_documents() {
        let out = md();
        let report = sample_report();
        let mut last = 0;
        for f in severity_order(&report.findings) {
            let at = out
                .find(&format!("| {} |", code(&finding_name(f))))
                .unwrap_or_else(|| panic!("{} is not in the table:\n{out}", finding_name(f)));
            assert!(at >= last, "not sorted by severity:\n{out}");
            last = at;
        }
        assert!(
            out.contains("```diff\n--- recorded\n+++ observed\n"),
            "{out}"
        );
        assert!(out.contains("+        \"Service\": ["), "{out}");
    }

    #[test]
    fn a_size_limit_leaves_out_details_not_findings() {
        let report = sample_report();
        let mut opts = MarkdownOptions::new(rule_docs(&Policy::default(), &sample_report()));
        let full = render(&report, &opts);
        opts.max_bytes = Some(full.len() - 1);
        let short = render(&report, &opts);
        assert!(short.len() < full.len(), "{short}");
        assert!(!short.contains("```diff"), "{short}");
        assert!(short.contains("details are left out"), "{short}");
        for f in &report.findings {
            assert!(short.contains(&code(&finding_name(f))), "{short}");
        }
        opts.max_bytes = Some(full.len());
        assert_eq!(render(&report, &opts), full);
        // Tighter than the table: cut at a line, never inside a character, note kept.
        for max in [400, 700, 1000] {
            opts.max_bytes = Some(max);
            let tiny = render(&report, &opts);
            assert!(tiny.len() <= max, "{max}: {}", tiny.len());
            assert!(tiny.contains("details are left out"));
        }
    }

    #[test]
    fn user_text_cannot_break_the_markdown() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x `y` z"), "``x `y` z``");
        assert_eq!(code("`"), "`` ` ``");
        assert_eq!(
            escape("<script>*x*</script>"),
            "&lt;script&gt;\\*x\\*&lt;/script&gt;"
        );
        assert_eq!(fenced("diff", "```\n"), "````diff\n```\n````\n");
    }
}
