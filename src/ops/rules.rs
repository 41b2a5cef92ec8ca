//! `driftgate rules [explain ID]`: the built-in severity rule catalogue; and the rules as the
//! reports describe them ([`docs`]).

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::mask::mask;
use crate::model::{Finding, ScanReport};
use crate::ops::Outcome;
use crate::policy;
use crate::render;
use crate::render::common::{RuleDoc, RuleOrigin, detail_key};

/// `explain`: one rule's explanation; `None`: the catalogue.
pub fn run(explain: Option<&str>) -> Result<Outcome> {
    let text = match explain {
        None => policy::rules_list_text(),
        Some(id) => policy::rule_explain_text(id)
            .ok_or_else(|| Error::Usage(format!("no rule `{id}`; `driftgate rules` lists them")))?,
    };
    render::emit(&text, None)?;
    Ok(Outcome::Clean)
}

/// The rules a report can name, as the renderers take them: the built-in catalogue (re-graded
/// by the policy, with the specifics behind `report`'s findings of each rule), then the
/// policy's own rules, in the policy file's order.
pub fn docs(policy: &policy::Policy, report: &ScanReport) -> Vec<RuleDoc> {
    let mut out: Vec<RuleDoc> = policy::rules::CATALOGUE
        .iter()
        .map(|r| RuleDoc {
            id: r.id.to_string(),
            severity: policy.severity_of(r),
            summary: r.summary.to_string(),
            explanation: r.explanation.to_string(),
            why: r.why.to_string(),
            origin: RuleOrigin::BuiltIn,
            default_severity: Some(r.severity),
            details: report
                .findings
                .iter()
                .chain(&report.ignored)
                .filter(|f| f.rule == r.id)
                .filter_map(|f| Some((detail_key(f), detail(f, r)?)))
                .collect(),
        })
        .collect();
    for r in &policy.rules {
        let selectors: Vec<String> = [
            ("resource_type", &r.resource_type),
            ("address", &r.address),
            ("id", &r.cloud_id),
            ("path", &r.path),
        ]
        .iter()
        .filter_map(|(k, p)| p.as_ref().map(|p| format!("{k} = {:?}", p.as_str())))
        .chain((!r.kinds.is_empty()).then(|| {
            let kinds: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
            format!("kinds = {kinds:?}")
        }))
        .collect();
        let selectors = if selectors.is_empty() {
            "every finding".to_string()
        } else {
            selectors.join(", ")
        };
        out.push(RuleDoc {
            id: r.id.clone(),
            severity: r.severity,
            summary: format!("Team rule `{}` ({}): {selectors}", r.id, r.source),
            explanation: format!(
                "A rule of the policy file {}: drift matching {selectors} is graded {}.",
                r.source, r.severity
            ),
            why: format!("team rule at {}", r.source),
            origin: RuleOrigin::Policy(r.source.clone()),
            default_severity: None,
            details: BTreeMap::new(),
        });
    }
    out
}

/// The specifics behind a finding of the built-in `rule` (`tcp 22 from 0.0.0.0/0`), from the
/// rule's `detail`. Never for a drift that holds a secret anywhere: the detail is drawn from
/// values, and a value that is a secret stays one.
fn detail(f: &Finding, rule: &policy::rules::Rule) -> Option<String> {
    use policy::rules::Subject;
    let explain = rule.detail?;
    let d = &f.drift;
    let secret = d.changes.iter().any(|c| {
        [&c.before, &c.after, &c.recorded, &c.observed]
            .iter()
            .any(|v| mask(v).contains_redacted())
    }) || d
        .observed
        .as_ref()
        .is_some_and(|o| o.values().any(|v| mask(v).contains_redacted()));
    if secret {
        return None;
    }
    let subject = if d.changes.is_empty() {
        Subject::Resource { drift: d }
    } else {
        let change = d
            .changes
            .iter()
            .zip(&f.change_rules)
            .find(|(_, hit)| hit.rule == f.rule)
            .map(|(c, _)| c)?;
        Subject::Change { drift: d, change }
    };
    explain(&subject)
}
