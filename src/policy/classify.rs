//! Drifts -> findings: grade every change (or missing/unmanaged resource) with the built-in
//! rules and the policy's own, roll up, then set ignored drifts aside. Pure and deterministic:
//! the date that decides whether an ignore has expired is a parameter.
//!
//! Grading one subject (a change, or a missing/unmanaged resource): every built-in rule whose
//! predicate matches contributes its severity (after the policy's re-grades); the fallback
//! rule (`attribute_changed`) only when no other built-in matched; every matching rule of the
//! policy file contributes too. The highest severity wins; on a tie, the earlier rule
//! (built-ins in catalogue order, then the policy's rules in file order). A rule of the
//! policy can raise a grade, never hide a higher built-in one: lowering is done by re-grading
//! the built-in rule, dropping by an `ignore`.
//!
//! Ignores, in order: a policy `ignore` without `path`, then a `.driftignore` resource entry,
//! set the whole drift aside; otherwise each change is checked against path ignores and
//! `.driftignore` attribute entries, and only the matched changes are set aside (grouped by
//! the ignore that matched them). A drift whose every change is ignored is no longer a
//! finding. Expired ignores do not apply; each is reported with what it would have matched.

use std::collections::BTreeMap;

use crate::model::{
    Change, Drift, ExpiredIgnore, Finding, IgnoreMatch, Path, RuleHit, Severity, Status,
};
use crate::policy::file::{Ignore, Policy};
use crate::policy::rules::{CATALOGUE, Subject};

/// The result of classifying one scan's drifts.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Classified {
    /// Sorted like the report's drifts ([`Drift::sort_key`]).
    pub findings: Vec<Finding>,
    /// Status `Ignored`; sorted by drift, then ignore source.
    pub ignored: Vec<Finding>,
    /// In policy file order.
    pub expired_ignores: Vec<ExpiredIgnore>,
}

impl Classified {
    /// The highest severity among the findings (ignored ones do not count).
    pub fn max_severity(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Whether any finding is at or above `threshold` (the exit code is then 2).
    pub fn fails(&self, threshold: Severity) -> bool {
        self.findings.iter().any(|f| f.severity >= threshold)
    }
}

/// The winning rule for one subject.
pub fn grade(drift: &Drift, change: Option<&Change>, policy: &Policy) -> RuleHit {
    let subject = match change {
        Some(change) => Subject::Change { drift, change },
        None => Subject::Resource { drift },
    };
    let mut best: Option<RuleHit> = None;
    let mut offer = |severity: Severity, rule: &str| {
        if best.as_ref().is_none_or(|b| severity > b.severity) {
            best = Some(RuleHit {
                severity,
                rule: rule.to_string(),
            });
        }
    };
    let mut builtin_matched = false;
    for rule in CATALOGUE.iter().filter(|r| !r.fallback) {
        if (rule.applies)(&subject) {
            builtin_matched = true;
            offer(policy.severity_of(rule), rule.id);
        }
    }
    if !builtin_matched {
        for rule in CATALOGUE.iter().filter(|r| r.fallback) {
            if (rule.applies)(&subject) {
                offer(policy.severity_of(rule), rule.id);
            }
        }
    }
    for rule in &policy.rules {
        if rule.matches(drift, change.map(|c| &c.path)) {
            offer(rule.severity, &rule.id);
        }
    }
    // Every subject is matched by some built-in (missing, unmanaged, or the change fallback);
    // this is only reached for a changed drift without changes, which the diff never makes.
    best.unwrap_or(RuleHit {
        severity: policy.severity_of(&crate::policy::rules::attribute_changed::RULE),
        rule: crate::policy::rules::attribute_changed::RULE.id.to_string(),
    })
}

/// Builds a finding from a drift and the grades of its changes (same order).
fn roll_up(drift: Drift, change_rules: Vec<RuleHit>, resource: Option<RuleHit>) -> Finding {
    let top = change_rules
        .iter()
        .fold(None::<&RuleHit>, |best, h| match best {
            Some(b) if b.severity >= h.severity => Some(b),
            _ => Some(h),
        })
        .cloned()
        .or(resource)
        .unwrap_or(RuleHit {
            severity: Severity::Info,
            rule: String::new(),
        });
    Finding {
        drift,
        severity: top.severity,
        rule: top.rule,
        change_rules,
        source: None,
        status: Status::Open,
    }
}

/// Grades one drift.
pub fn classify_drift(drift: Drift, policy: &Policy) -> Finding {
    if drift.changes.is_empty() {
        let hit = grade(&drift, None, policy);
        return roll_up(drift, Vec::new(), Some(hit));
    }
    let hits = drift
        .changes
        .iter()
        .map(|c| grade(&drift, Some(c), policy))
        .collect();
    roll_up(drift, hits, None)
}

fn path_ignore_matches(ig: &Ignore, drift: &Drift, path: &Path) -> bool {
    ig.path.as_ref().is_some_and(|p| p.matches_path(path)) && ig.matches_resource(drift)
}

/// What an ignore matches of one drift: the whole resource, or some changes.
fn would_match(ig: &Ignore, drift: &Drift) -> bool {
    match &ig.path {
        None => ig.matches_resource(drift),
        Some(_) => drift
            .changes
            .iter()
            .any(|c| path_ignore_matches(ig, drift, &c.path)),
    }
}

fn name_of(drift: &Drift) -> String {
    match &drift.address {
        Some(a) => a.to_string(),
        None => format!("{}.{}", drift.resource_type, drift.id),
    }
}

/// Classifies every drift under `policy` as of `today`.
pub fn classify(mut drifts: Vec<Drift>, policy: &Policy, today: time::Date) -> Classified {
    drifts.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    let (active, expired): (Vec<&Ignore>, Vec<&Ignore>) =
        policy.ignores.iter().partition(|ig| !ig.is_expired(today));
    let expired_ignores = expired
        .iter()
        .map(|ig| ExpiredIgnore {
            ignore: ig.to_match(),
            would_match: {
                let mut names: Vec<String> = drifts
                    .iter()
                    .filter(|d| would_match(ig, d))
                    .map(name_of)
                    .collect();
                names.sort();
                names.dedup();
                names
            },
        })
        .collect();

    let mut out = Classified {
        expired_ignores,
        ..Classified::default()
    };
    for drift in drifts {
        let finding = classify_drift(drift, policy);
        let drift = &finding.drift;
        let whole = active
            .iter()
            .find(|ig| ig.path.is_none() && ig.matches_resource(drift))
            .map(|ig| ig.to_match())
            .or_else(|| {
                policy
                    .driftignore
                    .as_ref()
                    .and_then(|d| d.resource(&drift.resource_type, &drift.id))
            });
        if let Some(ignore) = whole {
            out.ignored.push(Finding {
                status: Status::Ignored(ignore),
                ..finding
            });
            continue;
        }
        let per_change = change_ignores(drift, &active, policy);
        if per_change.iter().all(Option::is_none) {
            out.findings.push(finding);
            continue;
        }
        split_ignored(finding, per_change, &mut out);
    }
    out
}

/// Attribute level: which ignore (if any) takes each change of a drift.
fn change_ignores(drift: &Drift, active: &[&Ignore], policy: &Policy) -> Vec<Option<IgnoreMatch>> {
    drift
        .changes
        .iter()
        .map(|c| {
            active
                .iter()
                .find(|ig| path_ignore_matches(ig, drift, &c.path))
                .map(|ig| ig.to_match())
                .or_else(|| {
                    policy
                        .driftignore
                        .as_ref()
                        .and_then(|d| d.change(&drift.resource_type, &drift.id, &c.path))
                })
        })
        .collect()
}

/// A finding some of whose changes are ignored: one ignored finding per ignore that takes
/// changes, and a finding of the changes no ignore takes (if any).
fn split_ignored(finding: Finding, per_change: Vec<Option<IgnoreMatch>>, out: &mut Classified) {
    let Finding {
        drift,
        change_rules,
        ..
    } = finding;
    let mut kept = (Vec::new(), Vec::new());
    let mut groups: BTreeMap<String, (IgnoreMatch, Vec<Change>, Vec<RuleHit>)> = BTreeMap::new();
    let mut base = drift.clone();
    base.changes.clear();
    for ((change, hit), ig) in drift.changes.into_iter().zip(change_rules).zip(per_change) {
        match ig {
            None => {
                kept.0.push(change);
                kept.1.push(hit);
            }
            Some(ig) => {
                let g = groups
                    .entry(ig.source.clone())
                    .or_insert_with(|| (ig, Vec::new(), Vec::new()));
                g.1.push(change);
                g.2.push(hit);
            }
        }
    }
    for (_, (ignore, changes, hits)) in groups {
        let mut d = base.clone();
        d.changes = changes;
        out.ignored.push(Finding {
            status: Status::Ignored(ignore),
            ..roll_up(d, hits, None)
        });
    }
    if !kept.0.is_empty() {
        let mut d = base;
        d.changes = kept.0;
        out.findings.push(roll_up(d, kept.1, None));
    }
}
