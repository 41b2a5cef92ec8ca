//! Grading a scan report: the configuration's `lifecycle { ignore_changes }` first (those
//! changes are set aside with the block's location as the reason), then the policy's ignores
//! and rules ([`classify`]), then each finding's place in the configuration (`source`).
//! Pure: the clock comes in as `today`.

use crate::model::desired::{Configuration, IgnoreChanges};
use crate::model::{
    DiffReport, Drift, Finding, IgnoreMatch, ScanReport, Severity, Status, Unchecked,
};

use super::classify::{classify, classify_drift};
use super::file::Policy;

/// Grades the diff engine's drifts into the scan report every renderer prints.
pub fn grade(
    diff: DiffReport,
    policy: &Policy,
    config: Option<&Configuration>,
    fail_on: Severity,
    unchecked: Unchecked,
    today: time::Date,
) -> ScanReport {
    let mut kept: Vec<Drift> = Vec::new();
    let mut ignored: Vec<Finding> = Vec::new();
    for mut drift in diff.drifts {
        let configured = config.and_then(|c| drift.address.as_ref().and_then(|a| c.find(a)));
        if let Some(cr) = configured.filter(|cr| {
            !matches!(cr.ignore_changes, IgnoreChanges::None) && !drift.changes.is_empty()
        }) {
            let (set_aside, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut drift.changes)
                .into_iter()
                .partition(|c| cr.ignore_changes.ignores(&c.path));
            drift.changes = rest;
            if !set_aside.is_empty() {
                let location = cr
                    .ignore_changes_source
                    .as_ref()
                    .unwrap_or(&cr.source)
                    .to_string();
                let mut aside = drift.clone();
                aside.changes = set_aside;
                ignored.push(Finding {
                    status: Status::Ignored(IgnoreMatch {
                        pattern: "lifecycle.ignore_changes".into(),
                        reason: Some(format!("lifecycle {{ ignore_changes }} at {location}")),
                        owner: None,
                        expires: None,
                        source: location,
                    }),
                    ..classify_drift(aside, policy)
                });
            }
            if drift.changes.is_empty() {
                continue;
            }
        }
        kept.push(drift);
    }
    let classified = classify(kept, policy, today);
    ignored.extend(classified.ignored);
    let locate = |mut f: Finding| {
        f.source = config
            .and_then(|c| f.drift.address.as_ref().and_then(|a| c.find(a)))
            .map(|cr| cr.source.clone());
        f
    };
    let mut ignored: Vec<Finding> = ignored.into_iter().map(locate).collect();
    ignored.sort_by(|a, b| a.drift.sort_key().cmp(&b.drift.sort_key()));
    ScanReport {
        states: diff.states,
        lineages: diff.lineages,
        regions: diff.regions,
        summary: diff.summary,
        findings: classified.findings.into_iter().map(locate).collect(),
        ignored,
        expired_ignores: classified.expired_ignores,
        pending: Vec::new(),
        not_checked: diff.not_checked,
        gaps: diff.gaps,
        strict: diff.strict,
        fail_on: Some(fail_on),
        unchecked,
    }
}
