//! The messages `plan` and `apply` send: an approval request naming the plan, and the outcome
//! of an apply per action. Pure; nothing here prints a value (a plan holds none in clear).

use std::collections::BTreeMap;

use super::{Message, Section};
use crate::model::Severity;
use crate::model::approvers::ApprovalRule;
use crate::model::plan::Done;
use crate::model::plan::{Action, ActionKind, ActionStatus, Plan};
use crate::plan_file::{digest, shell_word, wire};

/// `sha256:` and the first 12 hex digits of a digest.
pub fn short_digest(d: &str) -> String {
    let hex = d.trim_start_matches(digest::DIGEST_PREFIX);
    format!("{}{}", digest::DIGEST_PREFIX, &hex[..hex.len().min(12)])
}

fn resource(a: &Action) -> String {
    match &a.address {
        Some(addr) => addr.to_string(),
        None => format!("{} {}", a.resource_type, a.resource_id),
    }
}

fn counts<T: Ord + Copy>(items: impl Iterator<Item = T>) -> BTreeMap<T, usize> {
    let mut m = BTreeMap::new();
    for i in items {
        *m.entry(i).or_default() += 1;
    }
    m
}

/// The approval request for a plan written to `plan_file`: its digest, author, counts by
/// severity and kind, the blocked actions, and the commands approvers run (or, without an
/// `approval` block, the command that applies it).
pub fn approval_request(plan: &Plan, plan_file: &str, rule: Option<&ApprovalRule>) -> Message {
    let required = rule.map_or(0, |r| r.required_for(plan));
    let mut m = Message {
        kind: "plan".into(),
        title: format!("driftgate plan {}", short_digest(&plan.digest)),
        summary: plan_summary(plan, required),
        facts: plan_facts(plan),
        ..Message::default()
    };
    m.sections.push(Section {
        heading: "Made from".into(),
        lines: plan.inputs.lines(),
    });
    let planned = executed_lines(plan);
    if !planned.is_empty() {
        m.sections.push(Section {
            heading: "Executed on apply".into(),
            lines: planned,
        });
    }
    let blocked = blocked_lines(plan);
    if !blocked.is_empty() {
        m.sections.push(Section {
            heading: "Blocked (never executed)".into(),
            lines: blocked,
        });
    }
    approval_steps(&mut m, plan, &shell_word(plan_file), rule, required);
    m
}

/// `DIGEST by AUTHOR: N actions (... planned, ... manual, ... blocked)`, and the signed
/// approvals it needs.
fn plan_summary(plan: &Plan, required: usize) -> String {
    format!(
        "{} by {}: {} actions ({} planned, {} manual, {} blocked){}",
        short_digest(&plan.digest),
        plan.author.actor,
        plan.actions.len(),
        plan.count(ActionStatus::Planned),
        plan.count(ActionStatus::Manual),
        plan.count(ActionStatus::Blocked),
        if required > 0 {
            format!(
                "; needs {} by people other than {}",
                match required {
                    1 => "1 signed approval".to_string(),
                    n => format!("{n} signed approvals"),
                },
                plan.author.actor
            )
        } else {
            String::new()
        }
    )
}

/// The plan's digest, author and expiry, and its actions counted by severity and by kind.
fn plan_facts(plan: &Plan) -> Vec<(String, String)> {
    let by_severity = counts(plan.actions.iter().map(|a| a.finding.severity));
    let severities: Vec<String> = Severity::ALL
        .iter()
        .filter_map(|s| by_severity.get(s).map(|n| format!("{n} {s}")))
        .collect();
    let by_kind = counts(plan.actions.iter().map(|a| a.kind));
    let kinds: Vec<String> = ActionKind::ALL
        .iter()
        .filter_map(|k| by_kind.get(k).map(|n| format!("{n} {k}")))
        .collect();
    vec![
        ("Plan".into(), plan.digest.clone()),
        ("Author".into(), plan.author.actor.clone()),
        ("Valid until".into(), wire::format_time(plan.expires_at)),
        ("By severity".into(), severities.join(", ")),
        ("By action".into(), kinds.join(", ")),
    ]
}

/// Each planned action, then its effects as they will run.
fn executed_lines(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .filter(|a| a.status == ActionStatus::Planned)
        .flat_map(|a| {
            let mut lines = vec![format!(
                "{} {} {} [{}]{}:",
                a.id,
                a.kind,
                resource(a),
                a.finding.severity,
                a.region
                    .as_deref()
                    .map(|r| format!(" in {r}"))
                    .unwrap_or_default()
            )];
            lines.extend(
                crate::plan_file::effect::action_effects(a)
                    .into_iter()
                    .map(|e| format!("    {e}")),
            );
            lines
        })
        .collect()
}

/// Each blocked action, with the guardrail that blocks it.
fn blocked_lines(plan: &Plan) -> Vec<String> {
    plan.actions
        .iter()
        .filter(|a| a.status == ActionStatus::Blocked)
        .map(|a| {
            let rail = a.guardrail.as_ref().map_or(String::new(), |g| {
                format!(" (guardrail {}: {})", g.name, g.reason)
            });
            format!("{} {} {}{rail}", a.id, a.kind, resource(a))
        })
        .collect()
}

/// What comes next: with `required` approvals, the commands approvers and the applier run
/// and who may approve; without, the command that applies the plan (`file`, shell-quoted).
fn approval_steps(
    m: &mut Message,
    plan: &Plan,
    file: &str,
    rule: Option<&ApprovalRule>,
    required: usize,
) {
    if required > 0 {
        m.commands
            .push(format!("driftgate approve {file} --key YOUR.key"));
        m.commands.push(format!(
            "driftgate apply {file} --approve APPROVAL1 --approve APPROVAL2 ..."
        ));
        if let Some(r) = rule {
            let names: Vec<&str> = r
                .approvers
                .keys()
                .map(String::as_str)
                .filter(|n| !n.eq_ignore_ascii_case(&plan.author.actor))
                .collect();
            m.facts.push((
                "Approvers".into(),
                format!("{} of: {}", required, names.join(", ")),
            ));
        }
    } else {
        m.commands.push(format!(
            "driftgate apply {file} --approve {}",
            digest::token(&plan.digest)
        ));
    }
}

/// The outcome of an apply (or a dry run) per action.
pub fn apply_message(plan: &Plan, outcomes: &BTreeMap<String, Done>, dry_run: bool) -> Message {
    let by = counts(outcomes.values().map(Done::as_str));
    let summary: Vec<String> = by.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let ok = !outcomes
        .values()
        .any(|d| matches!(d, Done::Failed(_) | Done::StillDrifted));
    let lines = plan
        .actions
        .iter()
        .map(|a| {
            let done = outcomes.get(&a.id);
            let error = match done {
                Some(Done::Failed(e)) => format!(": {e}"),
                _ => String::new(),
            };
            format!(
                "{} {} {}: {}{error}",
                a.id,
                a.kind,
                resource(a),
                done.map_or("-", Done::as_str)
            )
        })
        .collect();
    Message {
        kind: "apply".into(),
        title: format!(
            "driftgate apply {}{}",
            short_digest(&plan.digest),
            if dry_run { " (dry run)" } else { "" }
        ),
        summary: format!(
            "{}: {}",
            if ok { "succeeded" } else { "failed" },
            summary.join(", ")
        ),
        facts: vec![
            ("Plan".into(), plan.digest.clone()),
            ("Author".into(), plan.author.actor.clone()),
        ],
        sections: vec![Section {
            heading: "Actions".into(),
            lines,
        }],
        commands: vec![],
    }
}

/// A refused apply: why, and that nothing changed.
pub fn refused_message(plan_digest: Option<&str>, reason: &str) -> Message {
    Message {
        kind: "apply".into(),
        title: format!(
            "driftgate apply {} refused",
            plan_digest.map(short_digest).unwrap_or_default()
        ),
        summary: format!("refused: {reason}. Nothing was changed."),
        ..Message::default()
    }
}
