//! The notice on stderr that a scan or an observation is incomplete: one or two lines, always
//! printed, whatever the format and wherever the report goes (`--out FILE`), so that an exit
//! code of 1 never comes in silence. What was not seen, why (the first gap's reason, which
//! says what to do), and where the details are. Also the one way a command says anything
//! else on stderr that is not its result ([`line`]: a warning, a step a person must know of).

use std::path::Path;

use crate::model::{Gap, NotCheckedReason, Observation, ScanReport};

/// Where the report went, to tell the reader where the details are.
#[derive(Debug, Clone, Copy)]
pub enum Destination<'a> {
    /// A table on stdout: the details are in its "Gaps" and "Not checked" sections.
    Table,
    /// JSON on stdout.
    Json,
    /// A file (`--out FILE`), of either format.
    File(&'a Path),
}

impl<'a> Destination<'a> {
    /// `--out FILE` if given, else stdout in the given format.
    pub fn of(out: Option<&'a Path>, json: bool) -> Destination<'a> {
        match (out, json) {
            (Some(path), _) => Destination::File(path),
            (None, true) => Destination::Json,
            (None, false) => Destination::Table,
        }
    }
}

/// The lines for an incomplete scan; empty when it is complete.
pub fn scan_lines(report: &ScanReport, to: Destination<'_>) -> Vec<String> {
    if report.is_complete() {
        return Vec::new();
    }
    let unchecked = report
        .not_checked
        .iter()
        .filter(|n| report.strict || n.reason != NotCheckedReason::UnsupportedType)
        .count();
    lines("scan", &report.gaps, unchecked, to)
}

/// The lines for an incomplete observation (`driftgate observe`); empty when it is complete.
pub fn observation_lines(observation: &Observation, to: Destination<'_>) -> Vec<String> {
    if observation.is_complete() {
        return Vec::new();
    }
    lines("observation", &observation.gaps, 0, to)
}

fn lines(what: &str, gaps: &[Gap], unchecked: usize, to: Destination<'_>) -> Vec<String> {
    let mut seen = Vec::new();
    if !gaps.is_empty() {
        let mut types: Vec<&str> = gaps
            .iter()
            .flat_map(|g| g.resource_types.iter().map(String::as_str))
            .collect();
        types.sort();
        types.dedup();
        seen.push(format!(
            "{} not seen ({})",
            plural(types.len(), "resource type", "resource types"),
            plural(gaps.len(), "failed call", "failed calls"),
        ));
    }
    if unchecked > 0 {
        seen.push(format!(
            "{} not checked",
            plural(unchecked, "recorded resource", "recorded resources")
        ));
    }
    let mut first = format!("driftgate: the {what} is incomplete: {}", seen.join(", "));
    if let Some(reason) = first_reason(gaps) {
        first.push_str(&format!(": {reason}"));
    }
    let lists = match (gaps.is_empty(), unchecked == 0) {
        (false, false) => "`gaps` and `not_checked`",
        (false, true) => "`gaps`",
        _ => "`not_checked`",
    };
    let second = match to {
        Destination::Table => "driftgate: the details are in the report above".to_string(),
        Destination::Json => format!("driftgate: the details are in the JSON report ({lists})"),
        Destination::File(path) => format!(
            "driftgate: the details are in {} ({lists})",
            path.to_string_lossy()
        ),
    };
    vec![first, second]
}

/// The most frequent gap reason (ties by text), masked, with how many others there are: the
/// first thing to fix.
fn first_reason(gaps: &[Gap]) -> Option<String> {
    let mut reasons: Vec<(usize, &str)> = Vec::new();
    for g in gaps {
        match reasons.iter_mut().find(|(_, r)| *r == g.reason) {
            Some((n, _)) => *n += 1,
            None => reasons.push((1, &g.reason)),
        }
    }
    reasons.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    let (_, reason) = reasons.first()?;
    // A reason can quote an endpoint URL or an AWS error: masked as every renderer masks it.
    let mut out = crate::mask::mask_text(reason);
    if reasons.len() > 1 {
        let more = reasons.len() - 1;
        let noun = if more == 1 { "reason" } else { "reasons" };
        out.push_str(&format!(" (and {more} more {noun})"));
    }
    Some(out)
}

/// Why an incomplete scan is incomplete, in one clause for a refusal (`apply` re-observing
/// the cloud): the first gap reason and how many calls failed, else how many recorded
/// resources were not checked. `None` when the scan is complete.
pub fn incomplete_cause(report: &ScanReport) -> Option<String> {
    if report.is_complete() {
        return None;
    }
    let unchecked = report
        .not_checked
        .iter()
        .filter(|n| report.strict || n.reason != NotCheckedReason::UnsupportedType)
        .count();
    Some(match first_reason(&report.gaps) {
        Some(reason) => format!(
            "{reason} ({}; `driftgate scan` shows them all)",
            plural(report.gaps.len(), "failed call", "failed calls")
        ),
        None => format!(
            "{} not checked (`driftgate scan` says why)",
            plural(unchecked, "recorded resource", "recorded resources")
        ),
    })
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Prints the notice for an incomplete scan on stderr (nothing when it is complete).
pub fn warn_scan(report: &ScanReport, to: Destination<'_>) {
    for line in scan_lines(report, to) {
        eprintln!("{line}");
    }
}

/// Prints the notice for an incomplete observation on stderr (nothing when it is complete).
pub fn warn_observation(observation: &Observation, to: Destination<'_>) {
    for line in observation_lines(observation, to) {
        eprintln!("{line}");
    }
}

/// One line on stderr: a notification that failed (it never changes the exit code).
pub fn notify_failed(target: &str, attempts: u32, err: &str) {
    eprintln!("warning: the notification to {target} failed after {attempts} attempts: {err}");
}

/// One line on stderr: a notification whose audit entry could not be written.
pub fn notify_not_audited(err: &dyn std::fmt::Display) {
    eprintln!("warning: the notification's audit entry was not written: {err}");
}

/// One line on stderr: why `apply` refused, and that nothing changed.
pub fn refused(reason: &str) {
    eprintln!(
        "driftgate apply: refused: {}. Nothing was changed.",
        crate::mask::clean_text(reason)
    );
}

/// One notice on stderr, cleaned of escape sequences and control characters (it may quote
/// a name or an error that came from outside): a warning, or something a person must act on.
pub fn line(text: &str) {
    eprintln!("{}", crate::mask::clean_text(text));
}

/// A notice that must not be missed (a safety check turned off), in red on stderr.
pub fn alarm(text: &str) {
    eprintln!("\x1b[31m{}\x1b[0m", crate::mask::clean_text(text));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gap(service: &str, types: &[&str], reason: &str) -> Gap {
        Gap {
            service: service.into(),
            region: None,
            operation: "Op".into(),
            resource_types: types.iter().map(|t| t.to_string()).collect(),
            reason: reason.into(),
            detail: Some("a long SDK error chain".into()),
        }
    }

    #[test]
    fn a_complete_scan_says_nothing() {
        assert!(scan_lines(&ScanReport::default(), Destination::Json).is_empty());
        assert!(observation_lines(&Observation::default(), Destination::Json).is_empty());
    }

    #[test]
    fn an_incomplete_scan_says_what_why_and_where_in_two_lines() {
        let no_creds = "no AWS credentials found (env, profile, SSO, instance role): set ...";
        let report = ScanReport {
            gaps: vec![
                gap("ec2", &["aws_vpc"], no_creds),
                gap("ec2", &["aws_subnet", "aws_vpc"], no_creds),
                gap("iam", &["aws_iam_role"], "access denied: iam:ListRoles"),
            ],
            ..ScanReport::default()
        };
        let out = Path::new("drift.json");
        let lines = scan_lines(&report, Destination::File(out));
        assert_eq!(
            lines,
            [
                format!(
                    "driftgate: the scan is incomplete: 3 resource types not seen (3 failed \
                     calls): {no_creds} (and 1 more reason)"
                ),
                "driftgate: the details are in drift.json (`gaps`)".to_string(),
            ]
        );
        assert!(!lines.join("\n").contains("SDK error chain"));
        let table = scan_lines(&report, Destination::Table);
        assert_eq!(table[1], "driftgate: the details are in the report above");
    }

    #[test]
    fn a_reason_is_masked() {
        let report = ScanReport {
            gaps: vec![gap(
                "s3",
                &["aws_s3_bucket"],
                "unreachable: https://ops:pa55-SECRET@s3.example.com/x?X-Amz-Signature=SIG-SECRET",
            )],
            ..ScanReport::default()
        };
        let lines = scan_lines(&report, Destination::Json).join("\n");
        assert!(!lines.contains("SECRET"), "{lines}");
        assert!(lines.contains("s3.example.com"), "{lines}");
    }

    #[test]
    fn an_observation_without_credentials_says_so() {
        let obs = Observation {
            gaps: vec![gap("iam", &["aws_iam_role"], "no AWS credentials found")],
            ..Observation::default()
        };
        let lines = observation_lines(&obs, Destination::File(Path::new("o.json")));
        assert_eq!(
            lines[0],
            "driftgate: the observation is incomplete: 1 resource type not seen (1 failed call): \
             no AWS credentials found"
        );
    }
}
