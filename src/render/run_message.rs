//! What `driftgate report` tells the team's channel: counts, the top findings by severity,
//! and what was resolved since the last run; and whether to say anything at all (only when
//! something changed, unless `--notify-always`). Pure: the webhook payload shaping and the
//! sending belong to `notify`.
//!
//! The message names findings by address (or type and cloud id), kind, severity and rule:
//! it carries no attribute value, so no secret can reach a channel through it.

use serde::Serialize;

use crate::history::{FindingStatus, Tracked};
use crate::model::{Finding, ScanReport, Severity};

/// How many findings (and resolved findings) a message lists before "and N more".
pub const TOP: usize = 5;

/// One finding in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageFinding {
    pub severity: &'static str,
    /// The address, else `type.id`.
    pub name: String,
    pub kind: String,
    pub rule: String,
    /// `new`, `open` or `resolved`.
    pub status: &'static str,
    /// RFC 3339.
    pub first_seen: String,
}

/// The summary of one recorded run, for a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunMessage {
    /// One line: what changed since the last run.
    pub title: String,
    pub run: i64,
    pub complete: bool,
    pub exit_code: i64,
    /// Open findings by severity, most severe first (zero counts left out).
    pub counts: Vec<(&'static str, usize)>,
    pub new: usize,
    pub open: usize,
    pub resolved: usize,
    /// The most severe open findings, new before open on a tie.
    pub top: Vec<MessageFinding>,
    /// The most severe resolved findings.
    pub resolved_top: Vec<MessageFinding>,
    /// Open findings not listed in `top`.
    pub more: usize,
    /// Resolved findings not listed in `resolved_top`.
    pub more_resolved: usize,
}

/// Whether to notify: when a finding is new or resolved since the last run of the same
/// inputs, or always with `--notify-always`.
pub fn should_notify(tracked: &Tracked, always: bool) -> bool {
    always || tracked.changed()
}

fn name(f: &Finding) -> String {
    f.drift
        .address
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_else(|| format!("{}.{}", f.drift.resource_type, f.drift.id))
}

/// The message for a recorded run.
pub fn run_message(report: &ScanReport, tracked: &Tracked, exit_code: i64) -> RunMessage {
    let mut open: Vec<(Severity, bool, String, MessageFinding)> = report
        .findings
        .iter()
        .map(|f| {
            let seen = tracked.current.get(&report.fingerprint(f));
            let status = seen.map_or(FindingStatus::New, |s| s.status);
            let first_seen = seen.map_or(tracked.time, |s| s.first_seen);
            let n = name(f);
            (
                f.severity,
                status == FindingStatus::New,
                n.clone(),
                MessageFinding {
                    severity: f.severity.as_str(),
                    name: n,
                    kind: f.drift.kind.as_str().to_string(),
                    rule: f.rule.clone(),
                    status: status.as_str(),
                    first_seen: crate::history::format_time(first_seen),
                },
            )
        })
        .collect();
    // Most severe first; new before open; then by name.
    open.sort_by(|a, b| (b.0, b.1, &a.2).cmp(&(a.0, a.1, &b.2)));
    let counts = Severity::ALL
        .iter()
        .map(|s| {
            (
                s.as_str(),
                report.findings.iter().filter(|f| f.severity == *s).count(),
            )
        })
        .filter(|(_, n)| *n > 0)
        .collect();
    let resolved: Vec<MessageFinding> = tracked
        .resolved
        .iter()
        .map(|r| MessageFinding {
            severity: r.record.severity.as_str(),
            name: r.record.name(),
            kind: r.record.kind.clone(),
            rule: r.record.rule.clone(),
            status: FindingStatus::Resolved.as_str(),
            first_seen: crate::history::format_time(r.first_seen),
        })
        .collect();
    let (new, resolved_n) = (tracked.new_count(), tracked.resolved.len());
    let total = report.findings.len();
    let title = if !report.is_complete() {
        format!(
            "driftgate: the scan was incomplete; {total} open drift finding{} ({new} new, {resolved_n} resolved)",
            plural(total)
        )
    } else if tracked.previous_run.is_none() {
        format!(
            "driftgate: first recorded run of these inputs; {total} open drift finding{}",
            plural(total)
        )
    } else if new == 0 && resolved_n == 0 {
        format!(
            "driftgate: no change since the last run; {total} open drift finding{}",
            plural(total)
        )
    } else {
        format!(
            "driftgate: {new} new and {resolved_n} resolved drift finding{}; {total} open",
            plural(new + resolved_n)
        )
    };
    RunMessage {
        title,
        run: tracked.run_id,
        complete: report.is_complete(),
        exit_code,
        counts,
        new,
        open: tracked.open_count(),
        resolved: resolved_n,
        more: open.len().saturating_sub(TOP),
        top: open.into_iter().take(TOP).map(|(.., m)| m).collect(),
        more_resolved: resolved.len().saturating_sub(TOP),
        resolved_top: resolved.into_iter().take(TOP).collect(),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl RunMessage {
    /// The message as plain text with light Markdown (what Slack, Teams and a terminal all
    /// read well).
    pub fn to_text(&self) -> String {
        let mut out = format!("{}\n", self.title);
        if !self.counts.is_empty() {
            let by: Vec<String> = self
                .counts
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect();
            out.push_str(&format!("Open: {}\n", by.join(", ")));
        }
        if !self.top.is_empty() {
            out.push_str("\nTop findings:\n");
            for f in &self.top {
                out.push_str(&format!(
                    "- {} `{}` {} ({}), {} since {}\n",
                    f.severity, f.name, f.kind, f.rule, f.status, f.first_seen
                ));
            }
            if self.more > 0 {
                out.push_str(&format!("- and {} more\n", self.more));
            }
        }
        if !self.resolved_top.is_empty() {
            out.push_str("\nResolved:\n");
            for f in &self.resolved_top {
                out.push_str(&format!(
                    "- {} `{}` {} ({}), open since {}\n",
                    f.severity, f.name, f.kind, f.rule, f.first_seen
                ));
            }
            if self.more_resolved > 0 {
                out.push_str(&format!("- and {} more\n", self.more_resolved));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::{Run, track};
    use crate::render::sample::{SECRET, sample_report};

    fn at(s: &str) -> time::OffsetDateTime {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap()
    }

    #[test]
    fn only_a_change_notifies_unless_always() {
        let report = sample_report();
        let run = Run::of(&report, 2, "report", "ci", at("2026-12-01T02:00:00Z"));
        let first = track(&[], &run, 1, None);
        assert!(should_notify(&first, false), "every finding is new");
        let carried: Vec<_> = first
            .rows(&run)
            .into_iter()
            .map(|(r, _, first_seen)| crate::history::Carried {
                record: r.clone(),
                first_seen,
            })
            .collect();
        let again = Run::of(&report, 2, "report", "ci", at("2026-12-02T02:00:00Z"));
        let unchanged = track(&carried, &again, 2, Some(1));
        assert!(!should_notify(&unchanged, false));
        assert!(should_notify(&unchanged, true));
    }

    #[test]
    fn the_message_gives_counts_top_findings_and_what_was_resolved() {
        let mut report = sample_report();
        report.gaps.clear();
        report.not_checked.clear();
        assert!(report.is_complete());
        let run = Run::of(&report, 2, "report", "ci", at("2026-12-01T02:00:00Z"));
        let first = track(&[], &run, 1, None);
        let carried: Vec<_> = first
            .rows(&run)
            .into_iter()
            .map(|(r, _, first_seen)| crate::history::Carried {
                record: r.clone(),
                first_seen,
            })
            .collect();
        // The next run: the least severe finding is gone.
        let mut next = report.clone();
        let lowest = next
            .findings
            .iter()
            .enumerate()
            .min_by_key(|(_, f)| f.severity)
            .map(|(i, _)| i)
            .unwrap();
        let gone = next.findings.remove(lowest);
        let run2 = Run::of(&next, 2, "report", "ci", at("2026-12-02T02:00:00Z"));
        let t2 = track(&carried, &run2, 2, Some(1));
        let m = run_message(&next, &t2, 2);
        assert_eq!(m.resolved, 1);
        assert_eq!(m.new, 0);
        assert_eq!(m.open, next.findings.len());
        assert_eq!(m.resolved_top[0].name, name(&gone));
        assert!(m.title.contains("0 new and 1 resolved"), "{}", m.title);
        // Most severe first.
        let severities: Vec<Severity> = m.top.iter().map(|f| f.severity.parse().unwrap()).collect();
        let mut sorted = severities.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(severities, sorted);
        assert!(m.top.iter().all(|f| f.first_seen == "2026-12-01T02:00:00Z"));
        let text = m.to_text();
        assert!(text.contains("Resolved:"), "{text}");
        assert!(!text.contains(SECRET));
        assert!(!serde_json::to_string(&m).unwrap().contains(SECRET));
    }
}
