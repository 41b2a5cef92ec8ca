//! A plan for people (a table of actions, then the command that applies it) and for machines
//! (JSON: the plan file's content plus the token and the command).
//!
//! Nothing here prints a value from the state or the cloud: a plan's changes are shown by
//! path only (the plan file holds them, secrets as fingerprints). The one exception is the
//! diff of a configuration edit (accept, import), which the planner built from literals only
//! (a secret is never written into code) and masked against every secret of the states.

use crate::model::plan::{Action, ActionKind, ActionStatus, Call, Plan};
use crate::plan_file::{digest, effect, shell_word, wire};

use super::grid::{Col, Grid, Style};
use crate::mask::{clean, clean_text};

/// The exact command that applies the plan written to `out`; `config` is the `--config`
/// directory the plan was made with, when one was given (apply must read the same).
pub fn apply_command(plan: &Plan, out: &str, config: Option<&str>) -> String {
    let config = config
        .map(|c| format!(" --config {}", shell_word(c)))
        .unwrap_or_default();
    format!(
        "driftgate apply {}{config} --approve {}",
        shell_word(out),
        digest::token(&plan.digest)
    )
}

/// What to run after `plan` that will actually work under the policy in force (the `approval`
/// block and the `require_approvals` guardrails): the apply command alone when the plan token
/// is enough; else who must sign (`driftgate approve`, one command per approver who may),
/// how many, before when, then the apply command with a placeholder per approval.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct NextStep {
    /// Signed approvals `apply` will require (0: the plan token is enough).
    pub approvals_required: usize,
    /// Why they are required: the `approval` block's place, the guardrails' names.
    pub required_by: Vec<String>,
    /// The policy's approvers who may sign this plan (its author never may), sorted.
    pub approvers: Vec<String>,
    /// `driftgate approve PLAN --key NAME.key`, one per approver who may sign.
    pub approve_commands: Vec<String>,
    /// The command that applies the plan once the approvals exist.
    pub apply_command: String,
    /// The plan's expiry: every approval and the apply must come before it.
    pub valid_until: String,
    /// Set when no set of approvers of this policy can make the plan apply (too few may sign):
    /// what to change.
    pub cannot_apply: Option<String>,
}

/// The next step for `plan` written to `out` (with `--config`, when given) under `rule`.
pub fn next_step(
    plan: &Plan,
    out: &str,
    config: Option<&str>,
    rule: Option<&crate::model::approvers::ApprovalRule>,
) -> NextStep {
    let rails = crate::model::plan::approvals_required(&plan.actions);
    let by_rule = rule.map_or(0, |r| r.required_for(plan));
    let required = by_rule.max(rails);
    let mut required_by = Vec::new();
    if by_rule > 0
        && let Some(r) = rule
    {
        required_by.push(format!("the approval block ({})", r.source));
    }
    if rails > 0 {
        let mut names: Vec<String> = plan
            .actions
            .iter()
            .filter(|a| a.status == ActionStatus::Planned)
            .filter_map(|a| a.guardrail.as_ref())
            .filter(|g| {
                matches!(
                    g.effect,
                    crate::model::plan::GuardrailEffect::RequireApprovals(_)
                )
            })
            .map(|g| format!("guardrail \"{}\"", g.name))
            .collect();
        names.sort();
        names.dedup();
        required_by.extend(names);
    }
    // Who may sign: the policy's approvers but the author (by name, or by AWS principal), one
    // key counting once whatever names it has.
    let mut approvers = Vec::new();
    let mut keys = std::collections::BTreeSet::new();
    for (name, a) in rule.map(|r| &r.approvers).into_iter().flatten() {
        let author = name.eq_ignore_ascii_case(plan.author.actor.trim())
            || matches!((&a.aws_principal, &plan.author.aws_caller_arn), (Some(p), Some(c)) if p == c);
        if !author {
            approvers.push(name.clone());
            keys.insert(a.key.fingerprint());
        }
    }
    let file = shell_word(out);
    let config_arg = config
        .map(|c| format!(" --config {}", shell_word(c)))
        .unwrap_or_default();
    let (approve_commands, apply_command) = if required == 0 {
        (Vec::new(), apply_command(plan, out, config))
    } else {
        let approve = approvers
            .iter()
            .map(|n| {
                format!(
                    "driftgate approve {file} --key {}",
                    shell_word(&format!("{n}.key"))
                )
            })
            .collect();
        let placeholders: String = (1..=required)
            .map(|i| format!(" --approve <approval-{i}>"))
            .collect();
        (
            approve,
            format!("driftgate apply {file}{config_arg}{placeholders}"),
        )
    };
    let cannot_apply = (keys.len() < required).then(|| {
        let place = rule.map_or_else(
            || "the policy has no `approval` block".to_string(),
            |r| {
                format!(
                    "the approval block ({}) lists {} other than the plan's author",
                    r.source,
                    super::common::plural(keys.len(), "approver", "approvers")
                )
            },
        );
        format!(
            "it needs {} and {place}: no approval can make it apply; \
             add approvers to the policy's `approval` block (or change what requires them), \
             then plan again",
            super::common::plural(required, "signed approval", "signed approvals")
        )
    });
    NextStep {
        approvals_required: required,
        required_by,
        approvers,
        approve_commands,
        apply_command,
        valid_until: wire::format_time(plan.expires_at),
        cannot_apply,
    }
}

impl NextStep {
    /// The plan table's closing lines; the last one is always a command (apply) unless no
    /// approval can make the plan apply.
    pub fn render(&self, author: &str) -> String {
        if self.approvals_required == 0 {
            return format!("{}\n", self.apply_command);
        }
        if let Some(why) = &self.cannot_apply {
            return format!("This plan cannot be applied under the policy in force: {why}.\n");
        }
        let mut s = format!(
            "Next: {} before {} (when the plan expires), required by {}; by {} of: {} \
             (not {author}, the plan's author). Each runs, with their own key file:\n",
            super::common::plural(
                self.approvals_required,
                "signed approval",
                "signed approvals"
            ),
            self.valid_until,
            self.required_by.join(" and "),
            self.approvals_required,
            self.approvers.join(", "),
        );
        for c in &self.approve_commands {
            s.push_str(&format!("  {c}\n"));
        }
        s.push_str("then, with the approval tokens they print (one per --approve):\n");
        s.push_str(&self.apply_command);
        s.push('\n');
        s
    }
}

pub fn render_table(
    plan: &Plan,
    out: &str,
    config: Option<&str>,
    rule: Option<&crate::model::approvers::ApprovalRule>,
    width: Option<usize>,
) -> String {
    if !plan.has_actions() {
        return "Nothing to do: no finding needs an action.\n".to_string();
    }
    let mut t = Grid::new(
        Style::Boxed,
        &[
            ("id", Col::Id),
            ("action", Col::Id),
            ("status", Col::Id),
            ("resource", Col::Id),
            ("finding", Col::Text),
            ("does", Col::Text),
        ],
    );
    for a in &plan.actions {
        let resource = resource_cell(a);
        let changes: Vec<String> = a.changes.iter().map(|c| c.path.to_string()).collect();
        let finding = if changes.is_empty() {
            format!("{} {}", a.finding.severity, a.finding.kind)
        } else {
            format!(
                "{} {}: {}",
                a.finding.severity,
                a.finding.kind,
                changes.join(", ")
            )
        };
        let does = match a.status {
            ActionStatus::Planned => effect::action_effects(a)
                .iter()
                .map(|l| clean(l))
                .collect::<Vec<_>>()
                .join("\n"),
            _ => format!(
                "{}\n({})",
                clean(a.manual_command.as_deref().unwrap_or("-")),
                clean(&a.reason)
            ),
        };
        t.row([
            a.id.clone(),
            a.kind.to_string(),
            a.status.to_string(),
            resource,
            finding,
            does,
        ]);
    }
    let planned = plan.count(ActionStatus::Planned);
    let manual = plan.count(ActionStatus::Manual);
    let blocked = plan.count(ActionStatus::Blocked);
    let mut text = format!(
        "Plan ({} actions)\n{}\n",
        plan.actions.len(),
        t.render(width)
    );
    text.push_str(&config_edits(plan));
    text.push_str(&format!(
        "{planned} planned (driftgate executes them), {manual} manual (for a person: driftgate never runs them), {blocked} blocked.\n"
    ));
    text.push_str(&format!(
        "Plan written to {out} (digest {}), valid until {}.\n",
        plan.digest,
        wire::format_time(plan.expires_at)
    ));
    text.push_str(&next_step(plan, out, config, rule).render(&clean(&plan.author.actor)));
    text
}

/// The resource an action is about: its address, else its type and cloud id.
fn resource(a: &Action) -> String {
    clean(&match &a.address {
        Some(addr) => addr.to_string(),
        None => format!("{} {}", a.resource_type, a.resource_id),
    })
}

/// The same in a table cell: an unmanaged object's type and id on two lines (each whole).
fn resource_cell(a: &Action) -> String {
    match &a.address {
        Some(addr) => clean(&addr.to_string()),
        None => format!("{}\n{}", clean(&a.resource_type), clean(&a.resource_id)),
    }
}

/// What an approver signs (`driftgate approve`, on stderr): the digest, the author, the
/// times, the counts, each action with its calls or why a person does it, the guardrails that
/// hold actions, and the diff of every configuration edit (never a value: the diffs' context
/// lines were masked when planned).
pub fn approval_summary(plan: &Plan) -> String {
    let mut s = format!(
        "Plan {}\n  by {}{}, made {}, valid until {}\n",
        plan.digest,
        clean(&plan.author.actor),
        plan.author
            .aws_caller_arn
            .as_deref()
            .map(|a| format!(" ({})", clean(a)))
            .unwrap_or_default(),
        wire::format_time(plan.created_at),
        wire::format_time(plan.expires_at)
    );
    s.push_str(&format!(
        "  {} actions: {} planned (executed by apply), {} manual, {} blocked\n",
        plan.actions.len(),
        plan.count(ActionStatus::Planned),
        plan.count(ActionStatus::Manual),
        plan.count(ActionStatus::Blocked)
    ));
    let kinds: Vec<String> = ActionKind::ALL
        .iter()
        .filter_map(|k| {
            let n = plan.actions.iter().filter(|a| a.kind == *k).count();
            (n > 0).then(|| format!("{n} {k}"))
        })
        .collect();
    s.push_str(&format!("  by kind: {}\n", kinds.join(", ")));
    for line in plan.inputs.lines() {
        s.push_str(&format!("  {}\n", clean(&line)));
    }
    for a in &plan.actions {
        let (does, effects) = match a.status {
            ActionStatus::Planned => (
                format!(
                    "{} call{}, each with what it sets against what AWS holds now",
                    a.calls.len(),
                    if a.calls.len() == 1 { "" } else { "s" }
                ),
                effect::action_effects(a),
            ),
            _ => (clean(&a.reason), Vec::new()),
        };
        s.push_str(&format!(
            "  {} {} {} {} [{} {}]{}: {does}\n",
            a.id,
            a.kind,
            a.status,
            resource(a),
            a.finding.severity,
            a.finding.kind,
            a.region
                .as_deref()
                .map(|r| format!(" in {}", clean(r)))
                .unwrap_or_default()
        ));
        for e in effects {
            s.push_str(&format!("      {}\n", clean(&e)));
        }
        if let Some(g) = &a.guardrail {
            s.push_str(&format!(
                "      guardrail \"{}\": {}\n",
                clean(&g.name),
                clean(&g.reason)
            ));
        }
    }
    let edits = config_edits(plan);
    if !edits.is_empty() {
        s.push('\n');
        s.push_str(&edits);
    }
    crate::mask::mask_text(&s)
}

/// The diff of every configuration edit, and what a person runs after apply.
fn config_edits(plan: &Plan) -> String {
    let mut text = String::new();
    for a in &plan.actions {
        for c in &a.calls {
            if let Call::ConfigEdit { file, diff, .. } = c {
                text.push_str(&format!(
                    "{} {} edits {}:\n{}\n",
                    a.id,
                    a.kind,
                    clean(file),
                    clean_text(diff)
                ));
            }
        }
    }
    let follow: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| a.status == ActionStatus::Planned)
        .filter_map(|a| {
            a.follow_up
                .as_ref()
                .map(|f| format!("  {}: {}", a.id, clean(f)))
        })
        .collect();
    if !follow.is_empty() {
        text.push_str("After apply, terraform takes the edited configuration into its state:\n");
        text.push_str(&follow.join("\n"));
        text.push_str("\n\n");
    }
    text
}

/// The plan file's content with `plan_file`, `token` and `apply_command` beside it.
/// `next_step` is beside the plan, not in it (the plan file and its digest do not depend on
/// it); `apply_command` is the next step's.
pub fn render_json(
    plan: &Plan,
    out: &str,
    config: Option<&str>,
    rule: Option<&crate::model::approvers::ApprovalRule>,
) -> String {
    let mut v = serde_json::json!({
        "plan": wire::to_wire(plan),
        "plan_file": if plan.has_actions() { serde_json::Value::from(out) } else { serde_json::Value::Null },
    });
    if plan.has_actions() {
        let next = next_step(plan, out, config, rule);
        v["token"] = digest::token(&plan.digest).into();
        v["apply_command"] = next.apply_command.clone().into();
        v["next_step"] = serde_json::to_value(&next).unwrap_or_default();
    }
    let mut text = crate::mask::json_pretty(&v).unwrap_or_default();
    text.push('\n');
    text
}

/// What `apply` did (or, with `--dry-run`, would do), action by action.
pub fn render_apply_table(
    plan: &Plan,
    outcomes: &std::collections::BTreeMap<String, crate::model::plan::Done>,
    dry_run: bool,
    width: Option<usize>,
) -> String {
    let mut t = Grid::new(
        Style::Boxed,
        &[
            ("id", Col::Id),
            ("action", Col::Id),
            ("resource", Col::Id),
            ("outcome", Col::Text),
            ("calls", Col::Id),
        ],
    );
    for a in &plan.actions {
        let resource = resource_cell(a);
        let done = outcomes.get(&a.id);
        let outcome = match done {
            Some(crate::model::plan::Done::Failed(e)) => format!("failed: {}", clean(e)),
            Some(crate::model::plan::Done::LeftForAPerson) => match a.status {
                ActionStatus::Blocked => format!("blocked: {}", clean(&a.reason)),
                _ => format!(
                    "left for a person: {}",
                    clean(a.manual_command.as_deref().unwrap_or("-"))
                ),
            },
            Some(d @ crate::model::plan::Done::Verified) => match &a.follow_up {
                Some(f) => format!("{}; next: {}", d.as_str(), clean(f)),
                None => d.as_str().to_string(),
            },
            Some(d) => d.as_str().to_string(),
            None => "-".to_string(),
        };
        // What ran (or would): each call with what it sets, as the approvers saw it.
        let calls = if a.status == ActionStatus::Planned {
            effect::action_effects(a)
                .iter()
                .map(|l| clean(l))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            "-".to_string()
        };
        t.row([a.id.clone(), a.kind.to_string(), resource, outcome, calls]);
    }
    let head = if dry_run {
        "Dry run: every check passed; nothing was changed. It would run:"
    } else {
        "Applied"
    };
    format!("{head} plan {}\n{}", plan.digest, t.render(width))
}

/// The same as JSON: `{plan, dry_run, actions: [{id, kind, outcome, error}]}`.
pub fn render_apply_json(
    plan: &Plan,
    outcomes: &std::collections::BTreeMap<String, crate::model::plan::Done>,
    dry_run: bool,
) -> String {
    let actions: Vec<serde_json::Value> = plan
        .actions
        .iter()
        .map(|a| {
            let done = outcomes.get(&a.id);
            serde_json::json!({
                "id": a.id,
                "kind": a.kind.as_str(),
                "status": a.status.as_str(),
                "address": a.address.as_ref().map(ToString::to_string),
                "resource_type": a.resource_type,
                "resource_id": a.resource_id,
                "outcome": done.map(|d| d.as_str()),
                "follow_up": a.follow_up,
                "error": match done {
                    Some(crate::model::plan::Done::Failed(e)) => Some(e.clone()),
                    _ => None,
                },
            })
        })
        .collect();
    let mut text = crate::mask::json_pretty(&serde_json::json!({
        "plan": plan.digest,
        "dry_run": dry_run,
        "actions": actions,
    }))
    .unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{ConfigEdit, FindingRef, GuardrailEffect, GuardrailHit};
    use crate::model::{Address, DriftKind, Severity};

    /// An approver sees what they sign: each action, the guardrail holding one, and the diff
    /// of every configuration edit.
    #[test]
    fn the_approval_summary_shows_guardrails_and_configuration_diffs() {
        let addr = Address::managed("aws_vpc", "main");
        let action = |id: &str, status, guardrail, calls| Action {
            id: id.into(),
            kind: ActionKind::Accept,
            status,
            address: Some(addr.clone()),
            resource_type: "aws_vpc".into(),
            resource_id: "vpc-1".into(),
            region: None,
            finding: FindingRef {
                kind: DriftKind::Changed,
                address: Some(addr.clone()),
                id: "vpc-1".into(),
                rule: "tags_changed".into(),
                severity: Severity::Low,
            },
            changes: vec![],
            calls,
            expect: vec![],
            manual_command: None,
            follow_up: Some("terraform apply -refresh-only".into()),
            reason: "held".into(),
            guardrail,
            disruptive: false,
        };
        let edit = Call::ConfigEdit {
            file: "main.tf".into(),
            before_sha256: None,
            after_sha256: "00".into(),
            edit: ConfigEdit::Append {
                text: String::new(),
            },
            diff: "-  team = \"core\"\n+  team = \"edge\"\n".into(),
        };
        let plan = crate::planner::seal(
            vec![
                action("a01", ActionStatus::Planned, None, vec![edit]),
                action(
                    "a02",
                    ActionStatus::Blocked,
                    Some(GuardrailHit {
                        name: "frozen".into(),
                        reason: "change freeze".into(),
                        effect: GuardrailEffect::Deny,
                    }),
                    vec![],
                ),
            ],
            Default::default(),
            Default::default(),
            time::OffsetDateTime::UNIX_EPOCH,
            time::Duration::hours(1),
        );
        let s = approval_summary(&plan);
        assert!(s.contains(&plan.digest), "{s}");
        assert!(s.contains("policy: none (the built-in policy"), "{s}");
        assert!(s.contains("a01 accept planned aws_vpc.main"), "{s}");
        assert!(s.contains("guardrail \"frozen\": change freeze"), "{s}");
        assert!(
            s.contains("a01 accept edits main.tf:\n-  team = \"core\"\n+  team = \"edge\""),
            "{s}"
        );
    }
}
