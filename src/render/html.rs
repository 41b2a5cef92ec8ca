//! HTML (`scan --format html`, `report.html`): one self-contained page for people — inline CSS
//! and inline SVG, no script, no external asset, nothing fetched from the network.
//!
//! The verdict and summary first, counts by severity and by kind as bar charts, the trend of
//! open findings over the last runs when the caller passes one (the history's `report` does),
//! then the findings, most severe first, each with its rule, why it has its severity, and its
//! changes (documents as coloured line diffs). Ignored findings, pending changes, what was not
//! checked and the gaps are folded in `<details>`. A print stylesheet unfolds them and drops
//! colours that need a screen.
//!
//! Every piece of text is escaped ([`escape`]); values come only through the masking layer.

use std::fmt::Write as _;

use time::OffsetDateTime;

use crate::model::{DriftKind, ScanReport, Severity};
use crate::render::common::{
    PendingWhat, RuleDoc, ShownChange, ShownFinding, Verdict, counts_by_kind, counts_by_severity,
    plural, shown_findings, shown_gaps, shown_not_checked, shown_pending, verdict_line,
};

/// What the HTML report needs besides the report.
#[derive(Debug, Clone, Default)]
pub struct HtmlOptions {
    /// The rules, for "why this severity" (built by `ops::rules::docs`).
    pub rules: Vec<RuleDoc>,
    /// When the report was made (printed in the header); `None` prints no time.
    pub generated_at: Option<OffsetDateTime>,
    /// Open findings of the last runs, oldest first: drawn as a trend chart when given.
    pub trend: Option<Vec<(OffsetDateTime, usize)>>,
}

/// Text escaped for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const CSS: &str = r#"
:root { --critical:#b3261e; --high:#d9480f; --medium:#b8860b; --low:#1c6fc4; --info:#6b7280;
  --changed:#b8860b; --missing:#b3261e; --unmanaged:#7c3aed; --fg:#1f2328; --muted:#59636e;
  --line:#d1d9e0; --add:#e6ffec; --del:#ffebe9; --hunk:#ddf4ff; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg);
  max-width: 1100px; margin: 0 auto; padding: 24px; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 .3em; }
h2 { font-size: 1.25em; border-bottom: 1px solid var(--line); padding-bottom: .2em; margin-top: 1.6em; }
h3 { font-size: 1.05em; margin: 0; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
.verdict { font-size: 1.15em; font-weight: 600; padding: .6em .9em; border-radius: 6px; border: 1px solid; }
.v-drift { background: #ffebe9; border-color: var(--critical); }
.v-incomplete { background: #fff8c5; border-color: #9a6700; }
.v-below { background: #fff8c5; border-color: #9a6700; }
.v-clean { background: #dafbe1; border-color: #1a7f37; }
.meta { color: var(--muted); margin: .4em 0 0; }
.grid { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
table { border-collapse: collapse; margin: .5em 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.num { text-align: right; }
.sev { display: inline-block; min-width: 5.5em; padding: 0 .5em; border-radius: 1em; color: #fff;
  font-size: .85em; font-weight: 600; text-align: center; }
.sev-critical { background: var(--critical); } .sev-high { background: var(--high); }
.sev-medium { background: var(--medium); } .sev-low { background: var(--low); }
.sev-info { background: var(--info); }
.finding { border: 1px solid var(--line); border-left: 6px solid var(--info); border-radius: 6px;
  padding: 10px 14px; margin: 12px 0; break-inside: avoid; }
.finding.critical { border-left-color: var(--critical); } .finding.high { border-left-color: var(--high); }
.finding.medium { border-left-color: var(--medium); } .finding.low { border-left-color: var(--low); }
.facts { color: var(--muted); margin: .3em 0 .5em; }
.why { font-style: italic; }
pre.diff { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 8px;
  overflow-x: auto; white-space: pre-wrap; word-break: break-all; }
pre.diff span { display: block; }
.add { background: var(--add); } .del { background: var(--del); } .hunk { background: var(--hunk); color: var(--muted); }
details { margin: 1em 0; border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; }
summary { cursor: pointer; font-weight: 600; }
.gaps { border: 1px solid #9a6700; background: #fff8c5; border-radius: 6px; padding: 8px 14px; }
svg text { font: 12px system-ui, sans-serif; fill: var(--fg); }
footer { color: var(--muted); margin-top: 2em; font-size: .85em; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  details { border: none; padding: 0; }
  details > * { display: block; }
  details::details-content { content-visibility: visible; display: block; }
  summary { list-style: none; font-size: 1.1em; }
  .finding, table, pre.diff, svg { break-inside: avoid; }
  pre.diff { white-space: pre-wrap; }
  .verdict { border-width: 2px; }
}
"#;

fn sev_badge(s: Severity) -> String {
    format!("<span class=\"sev sev-{s}\">{s}</span>")
}

/// A horizontal bar chart: one bar per (label, count, css colour variable).
fn bars(title: &str, rows: &[(String, usize, &str)]) -> String {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let (label_w, bar_w, row_h) = (90.0, 220.0, 22.0);
    let h = rows.len() as f64 * row_h + 28.0;
    let w = label_w + bar_w + 40.0;
    let aria: Vec<String> = rows.iter().map(|(l, n, _)| format!("{l} {n}")).collect();
    let mut s = format!(
        "<figure><svg role=\"img\" aria-label=\"{}: {}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">",
        escape(title),
        escape(&aria.join(", "))
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"14\" font-weight=\"bold\">{}</text>",
        escape(title)
    );
    for (i, (label, n, color)) in rows.iter().enumerate() {
        let y = 24.0 + i as f64 * row_h;
        let bw = if *n == 0 {
            0.0
        } else {
            (*n as f64 / max as f64 * bar_w).max(2.0)
        };
        let _ = write!(
            s,
            "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{label_w}\" y=\"{}\" width=\"{bw:.1}\" height=\"{}\" fill=\"var({color})\" stroke=\"#000\" stroke-width=\"0.3\"/><text x=\"{:.1}\" y=\"{}\">{n}</text>",
            y + 13.0,
            escape(label),
            y + 2.0,
            row_h - 6.0,
            label_w + bw + 6.0,
            y + 13.0,
        );
    }
    s.push_str("</svg></figure>");
    s
}

fn date(t: OffsetDateTime) -> String {
    let f = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]");
    t.format(&f).unwrap_or_default()
}

/// The trend of open findings over the last runs, oldest first.
fn trend_chart(points: &[(OffsetDateTime, usize)]) -> String {
    let (w, h, left, right, top, bottom) = (640.0, 200.0, 40.0, 16.0, 24.0, 36.0);
    let plot_w = w - left - right;
    let plot_h = h - top - bottom;
    let max = points.iter().map(|p| p.1).max().unwrap_or(0).max(1) as f64;
    let first = points.first().map(|p| p.0.unix_timestamp()).unwrap_or(0);
    let last = points.last().map(|p| p.0.unix_timestamp()).unwrap_or(0);
    let span = (last - first) as f64;
    let xy: Vec<(f64, f64)> = points
        .iter()
        .enumerate()
        .map(|(i, (t, n))| {
            let fx = if span > 0.0 {
                (t.unix_timestamp() - first) as f64 / span
            } else if points.len() > 1 {
                i as f64 / (points.len() - 1) as f64
            } else {
                0.5
            };
            (
                left + fx * plot_w,
                top + plot_h - (*n as f64 / max) * plot_h,
            )
        })
        .collect();
    let aria: Vec<String> = points
        .iter()
        .map(|(t, n)| format!("{} {n}", date(*t)))
        .collect();
    let mut s = format!(
        "<figure><svg role=\"img\" aria-label=\"Open findings per run: {}\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\">",
        escape(&aria.join(", "))
    );
    let _ = write!(
        s,
        "<text x=\"0\" y=\"14\" font-weight=\"bold\">Open findings, last {}</text>",
        plural(points.len(), "run", "runs")
    );
    // Axes and the maximum.
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{y0}\" stroke=\"#888\"/><line x1=\"{left}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#888\"/><text x=\"4\" y=\"{ty}\">{max}</text><text x=\"4\" y=\"{y0}\">0</text>",
        y0 = top + plot_h,
        x1 = left + plot_w,
        ty = top + 10.0,
    );
    let poly: Vec<String> = xy.iter().map(|(x, y)| format!("{x:.1},{y:.1}")).collect();
    let _ = write!(
        s,
        "<polyline points=\"{}\" fill=\"none\" stroke=\"var(--critical)\" stroke-width=\"2\"/>",
        poly.join(" ")
    );
    for ((x, y), (t, n)) in xy.iter().zip(points) {
        let _ = write!(
            s,
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"3.5\" fill=\"var(--critical)\"><title>{}: {n}</title></circle>",
            escape(&date(*t))
        );
    }
    if let (Some(a), Some(b)) = (points.first(), points.last()) {
        let _ = write!(
            s,
            "<text x=\"{left}\" y=\"{}\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            h - 10.0,
            escape(&date(a.0)),
            left + plot_w,
            h - 10.0,
            escape(&date(b.0)),
        );
    }
    s.push_str("</svg></figure>");
    s
}

fn diff_html(diff: &str) -> String {
    let mut s = String::from("<pre class=\"diff\">");
    for line in diff.lines() {
        let class = if line.starts_with("+++") || line.starts_with("---") {
            "hdr"
        } else if line.starts_with('+') {
            "add"
        } else if line.starts_with('-') {
            "del"
        } else if line.starts_with("@@") {
            "hunk"
        } else {
            "ctx"
        };
        let _ = write!(s, "<span class=\"{class}\">{}</span>", escape(line));
    }
    s.push_str("</pre>");
    s
}

fn changes_html(changes: &[ShownChange]) -> String {
    let mut s = String::new();
    let short: Vec<&ShownChange> = changes.iter().filter(|c| !c.is_long()).collect();
    if !short.is_empty() {
        s.push_str(
            "<table><thead><tr><th>path</th><th>recorded</th><th>observed</th><th>rule</th></tr></thead><tbody>",
        );
        for c in short {
            let _ = write!(
                s,
                "<tr><td><code>{}</code></td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td>{}</td></tr>",
                escape(&c.path),
                escape(&c.recorded.inline()),
                escape(&c.observed.inline()),
                c.rule
                    .as_ref()
                    .map(|(sev, r)| format!("<code>{}</code> ({sev})", escape(r)))
                    .unwrap_or_default()
            );
        }
        s.push_str("</tbody></table>");
    }
    for c in changes.iter().filter(|c| c.is_long()) {
        let _ = write!(
            s,
            "<p><code>{}</code>{}</p>{}",
            escape(&c.path),
            c.rule
                .as_ref()
                .map(|(sev, r)| format!(" — <code>{}</code> ({sev})", escape(r)))
                .unwrap_or_default(),
            diff_html(&c.diff())
        );
    }
    s
}

fn finding_html(f: &ShownFinding, anchor: &str) -> String {
    let mut s = format!(
        "<article class=\"finding {}\" id=\"{anchor}\"><h3>{} <code>{}</code> <span class=\"kind\">{}</span></h3>",
        f.severity,
        sev_badge(f.severity),
        escape(&f.name),
        f.kind
    );
    let mut facts = vec![
        format!(
            "rule <code>{}</code> — <span class=\"why\">{}</span>",
            escape(&f.rule),
            escape(&f.why)
        ),
        format!(
            "<code>{}</code> <code>{}</code>",
            escape(&f.resource_type),
            escape(&f.id)
        ),
    ];
    if let Some(r) = &f.region {
        facts.push(format!("region <code>{}</code>", escape(r)));
    }
    if let Some(st) = &f.state {
        facts.push(format!("state <code>{}</code>", escape(st)));
    }
    if let Some(src) = &f.source {
        facts.push(format!("source <code>{}</code>", escape(src)));
    }
    if let Some(ig) = &f.ignored {
        let mut t = format!(
            "ignored by <code>{}</code> at <code>{}</code>",
            escape(&ig.pattern),
            escape(&ig.source)
        );
        if let Some(r) = &ig.reason {
            let _ = write!(t, ": {}", escape(r));
        }
        facts.push(t);
    }
    let _ = write!(s, "<p class=\"facts\">{}</p>", facts.join(" · "));
    match f.kind {
        DriftKind::Changed => s.push_str(&changes_html(&f.changes)),
        DriftKind::Missing => s.push_str("<p>Recorded in the state, no longer in the cloud.</p>"),
        DriftKind::Unmanaged => {
            s.push_str("<p>In the cloud, in none of the given states.</p>");
            if let Some(attrs) = &f.observed {
                let _ = write!(
                    s,
                    "<details><summary>Observed attributes ({})</summary><table><tbody>",
                    attrs.len()
                );
                for (k, v) in attrs {
                    let _ = write!(
                        s,
                        "<tr><th><code>{}</code></th><td class=\"mono\">{}</td></tr>",
                        escape(k),
                        escape(&v.inline())
                    );
                }
                s.push_str("</tbody></table></details>");
            }
        }
    }
    s.push_str("</article>\n");
    s
}

/// The HTML page, ending in a newline.
pub fn render(report: &ScanReport, opts: &HtmlOptions) -> String {
    let mut out = String::new();
    page_head(&mut out, report, opts);
    summary_section(&mut out, report, opts);
    gaps_section(&mut out, report);
    findings_section(&mut out, report, opts);
    ignored_section(&mut out, report, opts);
    pending_section(&mut out, report);
    not_checked_section(&mut out, report);
    let _ = write!(
        out,
        "<footer>driftgate {} · recorded = terraform state, observed = the cloud now</footer>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    );
    out
}

/// The document head and the page header: the verdict, states, regions and time.
fn page_head(out: &mut String, report: &ScanReport, opts: &HtmlOptions) {
    let class = match Verdict::of(report) {
        Verdict::Incomplete => "v-incomplete",
        Verdict::Drift => "v-drift",
        Verdict::BelowThreshold => "v-below",
        Verdict::Clean => "v-clean",
    };
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>driftgate drift report</title>\n<style>{CSS}</style>\n</head>\n<body>\n<header>\n<h1>driftgate drift report</h1>\n<p class=\"verdict {class}\">{}</p>\n",
        escape(&verdict_line(report))
    );
    let states: Vec<String> = report
        .states
        .iter()
        .map(|x| format!("<code>{}</code>", escape(&x.0)))
        .collect();
    let regions: Vec<String> = report
        .regions
        .iter()
        .map(|x| format!("<code>{}</code>", escape(x)))
        .collect();
    let _ = write!(
        out,
        "<p class=\"meta\">states: {} · regions: {}{}</p>\n</header>\n",
        if states.is_empty() {
            "none".into()
        } else {
            states.join(", ")
        },
        if regions.is_empty() {
            "none".into()
        } else {
            regions.join(", ")
        },
        opts.generated_at
            .map(|t| format!(" · generated {} UTC", escape(&date(t))))
            .unwrap_or_default()
    );
}

/// The summary section: the numbers, the counts as charts, and the trend when given.
fn summary_section(out: &mut String, report: &ScanReport, opts: &HtmlOptions) {
    let s = &report.summary;
    out.push_str("<section id=\"summary\"><h2>Summary</h2><div class=\"grid\"><table><tbody>");
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
            if report.is_complete() {
                "yes".into()
            } else {
                "NO".into()
            },
        ),
    ];
    for (k, v) in rows {
        let _ = write!(
            out,
            "<tr><th>{k}</th><td class=\"num\">{}</td></tr>",
            escape(&v)
        );
    }
    out.push_str("</tbody></table>");
    summary_charts(out, report);
    out.push_str("</div>");
    if let Some(points) = opts.trend.as_ref().filter(|p| !p.is_empty()) {
        out.push_str(&trend_chart(points));
    }
    out.push_str("</section>\n");
}

/// The two bar charts of the summary: findings by severity and by kind.
fn summary_charts(out: &mut String, report: &ScanReport) {
    let by_sev: Vec<(String, usize, &str)> = counts_by_severity(&report.findings)
        .into_iter()
        .map(|(sev, n)| {
            let var = match sev {
                Severity::Critical => "--critical",
                Severity::High => "--high",
                Severity::Medium => "--medium",
                Severity::Low => "--low",
                Severity::Info => "--info",
            };
            (sev.to_string(), n, var)
        })
        .collect();
    out.push_str(&bars("Findings by severity", &by_sev));
    let by_kind: Vec<(String, usize, &str)> = counts_by_kind(&report.findings)
        .into_iter()
        .map(|(k, n)| {
            let var = match k {
                DriftKind::Changed => "--changed",
                DriftKind::Missing => "--missing",
                DriftKind::Unmanaged => "--unmanaged",
            };
            (k.to_string(), n, var)
        })
        .collect();
    out.push_str(&bars("Findings by kind", &by_kind));
}

/// What the scan could not see (nothing when it saw everything).
fn gaps_section(out: &mut String, report: &ScanReport) {
    if report.gaps.is_empty() {
        return;
    }
    out.push_str("<section class=\"gaps\"><h2>The scan could not see everything</h2><ul>");
    for g in shown_gaps(report) {
        let _ = write!(
            out,
            "<li><code>{} {}</code> ({}): {} — hides {}</li>",
            escape(g.service),
            escape(g.operation),
            escape(g.region_or_global()),
            escape(&g.reason),
            escape(&g.resource_types.join(", "))
        );
    }
    out.push_str("</ul></section>\n");
}

/// The findings section: their table, then each finding in full.
fn findings_section(out: &mut String, report: &ScanReport, opts: &HtmlOptions) {
    let findings = shown_findings(&report.findings, &opts.rules);
    let _ = write!(
        out,
        "<section id=\"findings\"><h2>Findings ({})</h2>",
        findings.len()
    );
    if findings.is_empty() {
        out.push_str("<p>None.</p>");
    } else {
        out.push_str("<table><thead><tr><th>severity</th><th>resource</th><th>kind</th><th>rule</th><th>why</th></tr></thead><tbody>");
        for (i, f) in findings.iter().enumerate() {
            let _ = write!(
                out,
                "<tr><td>{}</td><td><a href=\"#f{i}\"><code>{}</code></a></td><td>{}</td><td><code>{}</code></td><td>{}</td></tr>",
                sev_badge(f.severity),
                escape(&f.name),
                f.kind,
                escape(&f.rule),
                escape(&f.why)
            );
        }
        out.push_str("</tbody></table>");
        for (i, f) in findings.iter().enumerate() {
            out.push_str(&finding_html(f, &format!("f{i}")));
        }
    }
    out.push_str("</section>\n");
}

/// The folded ignored findings and expired ignores (nothing when there are none).
fn ignored_section(out: &mut String, report: &ScanReport, opts: &HtmlOptions) {
    if report.ignored.is_empty() && report.expired_ignores.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details id=\"ignored\"><summary>Ignored ({}), expired ignores ({})</summary>",
        report.ignored.len(),
        report.expired_ignores.len()
    );
    for (i, f) in shown_findings(&report.ignored, &opts.rules)
        .iter()
        .enumerate()
    {
        out.push_str(&finding_html(f, &format!("i{i}")));
    }
    if !report.expired_ignores.is_empty() {
        out.push_str("<table><thead><tr><th>expired ignore</th><th>at</th><th>until</th><th>would match</th></tr></thead><tbody>");
        for e in &report.expired_ignores {
            let _ = write!(
                out,
                "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape(&e.ignore.pattern),
                escape(&e.ignore.source),
                e.ignore.expires.map(|d| d.to_string()).unwrap_or_default(),
                escape(&e.would_match.join(", "))
            );
        }
        out.push_str("</tbody></table>");
    }
    out.push_str("</details>\n");
}

/// The folded pending configuration (nothing when there is none).
fn pending_section(out: &mut String, report: &ScanReport) {
    if report.pending.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details id=\"pending\"><summary>Pending ({}): configuration not yet applied; not drift</summary><table><thead><tr><th>address</th><th>what</th><th>source</th></tr></thead><tbody>",
        report.pending.len()
    );
    for p in shown_pending(report) {
        let what = match &p.what {
            PendingWhat::Said(words) => words.to_string(),
            PendingWhat::Differs {
                path,
                recorded,
                desired,
            } => format!("{path}: {} -> {}", recorded.inline(), desired.inline()),
        };
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td class=\"mono\">{}</td><td>{}</td></tr>",
            escape(&p.address),
            escape(&what),
            escape(p.source.as_deref().unwrap_or("-"))
        );
    }
    out.push_str("</tbody></table></details>\n");
}

/// The folded resources that were not checked (nothing when all were).
fn not_checked_section(out: &mut String, report: &ScanReport) {
    if report.not_checked.is_empty() {
        return;
    }
    let _ = write!(
        out,
        "<details id=\"not-checked\"><summary>Not checked ({})</summary><table><thead><tr><th>resource</th><th>type</th><th>reason</th></tr></thead><tbody>",
        report.not_checked.len()
    );
    for n in shown_not_checked(report) {
        let _ = write!(
            out,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td></tr>",
            escape(&n.address),
            escape(n.resource_type),
            escape(&n.reason_words(str::to_string))
        );
    }
    out.push_str("</tbody></table></details>\n");
}

/// Every external reference in an HTML text: `src`/`href` values and CSS `url(...)` /
/// `@import` that point outside the page. Empty for a self-contained page.
pub fn external_references(html: &str) -> Vec<String> {
    let lower = html.to_ascii_lowercase();
    let mut found = Vec::new();
    for attr in [
        "src=",
        "href=",
        "xlink:href=",
        "action=",
        "poster=",
        "srcset=",
    ] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(attr) {
            let start = from + i + attr.len();
            let rest = lower[start..].trim_start_matches(['"', '\'']);
            if !rest.starts_with('#') {
                found.push(lower[from + i..(start + 60).min(lower.len())].to_string());
            }
            from = start;
        }
    }
    for needle in [
        "url(", "@import", "<script", "<link", "<iframe", "<object", "<embed",
    ] {
        if let Some(i) = lower.find(needle) {
            found.push(lower[i..(i + 60).min(lower.len())].to_string());
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::rules::docs as rule_docs;
    use crate::policy::Policy;
    use crate::render::common::finding_name;
    use crate::render::sample::{SECRET, rich_report, sample_report};

    fn opts(trend: Option<Vec<(OffsetDateTime, usize)>>) -> HtmlOptions {
        HtmlOptions {
            rules: rule_docs(&Policy::default(), &sample_report()),
            generated_at: None,
            trend,
        }
    }

    #[test]
    fn self_contained_and_secret_free() {
        let out = render(&sample_report(), &opts(None));
        assert!(!out.contains(SECRET));
        assert_eq!(external_references(&out), Vec::<String>::new());
        assert!(out.contains("<svg"), "charts are inline SVG");
        assert!(out.contains("@media print"));
        assert!(out.contains("<details id=\"not-checked\">"));
        // An unmanaged resource's attributes, masked.
        assert!(out.contains("Observed attributes (4)"), "{out}");
        assert!(out.contains("<code>login_password</code></th><td class=\"mono\">(sensitive)"));
        for f in &sample_report().findings {
            assert!(
                out.contains(&escape(&finding_name(f))),
                "{}",
                finding_name(f)
            );
        }
    }

    /// Every section at once: the page's bytes, with the version number left out.
    #[test]
    fn rich_report_snapshot() {
        let t0 = time::macros::datetime!(2026-11-28 02:00 UTC);
        let points: Vec<_> = (0..4)
            .map(|i| (t0 + time::Duration::days(i), [0, 4, 3, 3][i as usize]))
            .collect();
        let mut o = opts(Some(points));
        o.generated_at = Some(t0 + time::Duration::days(4));
        let out = render(&rich_report(), &o);
        assert!(!out.contains(SECRET), "a secret leaked into the HTML");
        insta::assert_snapshot!(out.replace(env!("CARGO_PKG_VERSION"), "VERSION"));
    }

    #[test]
    fn the_trend_is_drawn_only_when_given() {
        let without = render(&sample_report(), &opts(None));
        assert!(!without.contains("Open findings, last"));
        let t0 = time::macros::datetime!(2026-11-28 02:00 UTC);
        let points: Vec<_> = (0..4)
            .map(|i| (t0 + time::Duration::days(i), [0, 4, 3, 3][i as usize]))
            .collect();
        let with = render(&sample_report(), &opts(Some(points)));
        assert!(with.contains("Open findings, last 4 runs"), "{with}");
        assert!(with.contains("<polyline"));
        assert!(with.contains("2026-11-28 02:00"));
        assert_eq!(external_references(&with), Vec::<String>::new());
    }

    #[test]
    fn text_is_escaped_and_external_references_are_caught() {
        assert_eq!(
            escape("<a href=\"x\">'&"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;"
        );
        assert_eq!(
            external_references("<img src=\"https://example.com/x.png\">").len(),
            1
        );
        assert_eq!(external_references("<a href=\"#f1\">x</a>").len(), 0);
        assert_eq!(external_references("<script>alert(1)</script>").len(), 1);
    }
}
