//! Grading a scan report: the configuration's `lifecycle { ignore_changes }` first (those
//! changes are set aside with the block's location as the reason), then the policy's ignores
//! and rules ([`classify`]), then each finding's place in the configuration (`source`).
//! Pure: the clock comes in as `today`.

use crate::iac::config::{Configuration, IgnoreChanges};
use crate::model::{Drift, Grade, IgnoreMatch, Ignored, ScanReport, Severity};

use super::classify::{classify, classify_drift};
use super::file::Policy;

pub fn grade(
    report: &mut ScanReport,
    policy: &Policy,
    config: Option<&Configuration>,
    fail_on: Severity,
    today: time::Date,
) {
    let mut kept: Vec<Drift> = Vec::new();
    let mut ignored: Vec<Ignored> = Vec::new();
    for mut drift in std::mem::take(&mut report.findings) {
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
                ignored.push(Ignored {
                    finding: classify_drift(aside, policy),
                    ignore: IgnoreMatch {
                        pattern: "lifecycle.ignore_changes".into(),
                        reason: Some(format!("lifecycle {{ ignore_changes }} at {location}")),
                        owner: None,
                        expires: None,
                        source: location,
                    },
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
    ignored.sort_by(|a, b| a.finding.drift.sort_key().cmp(&b.finding.drift.sort_key()));
    report.grades = classified
        .findings
        .iter()
        .map(|f| Grade {
            severity: f.severity,
            rule: f.rule.clone(),
            change_rules: f.change_rules.clone(),
            source: config
                .and_then(|c| f.drift.address.as_ref().and_then(|a| c.find(a)))
                .map(|cr| cr.source.clone()),
        })
        .collect();
    report.findings = classified.findings.into_iter().map(|f| f.drift).collect();
    report.ignored = ignored;
    report.expired_ignores = classified.expired_ignores;
    report.fail_on = Some(fail_on);
}
