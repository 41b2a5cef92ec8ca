//! Guardrails: actions no approval can authorize (`deny`: status `blocked`), or that need more
//! signed approvals than the policy's `approval` block (`require_approvals`). A guardrail
//! selects actions by resource type, address, tags, action kind and severity; the policy file
//! declares them (`guardrail "NAME" { ... }`, parsed in `policy::file`), and two are built in:
//!
//! - [`IAM_PRINCIPAL_DELETE`]: deleting an IAM user, role or group is denied;
//! - [`DISRUPTIVE`]: a revert that interrupts a running workload is planned only with
//!   `--allow-disruptive` (otherwise `manual`; the planner applies this one).
//!
//! A policy relaxes a built-in one only by naming it: a `guardrail` block with the built-in's
//! name replaces it (`effect = "allow"` turns it off). Pure: the caller gives each action's
//! tags.

use std::collections::BTreeMap;

use crate::model::Severity;
use crate::model::plan::{Action, ActionKind, ActionStatus, GuardrailEffect, GuardrailHit};
use crate::policy::pattern::Pattern;

/// Built-in: deleting an IAM principal is denied.
pub const IAM_PRINCIPAL_DELETE: &str = "iam-principal-delete";
/// Built-in: disruptive reverts need `--allow-disruptive` at plan time.
pub const DISRUPTIVE: &str = "disruptive";
/// The built-in guardrails' names.
pub const BUILTIN: &[&str] = &[IAM_PRINCIPAL_DELETE, DISRUPTIVE];

/// What a guardrail does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    Deny,
    RequireApprovals(u32),
    /// Only for a built-in's name: turn it off.
    Allow,
}

/// A guardrail: every selector given must match (an empty list matches anything).
#[derive(Debug, Clone, PartialEq)]
pub struct Guardrail {
    pub name: String,
    /// Globs on the resource type (`aws_iam_*`).
    pub resource_types: Vec<Pattern>,
    /// Globs on the address (or `TYPE.ID` for an unmanaged object).
    pub addresses: Vec<Pattern>,
    /// Tags the resource must carry, with these values.
    pub tags: BTreeMap<String, String>,
    /// Action kinds; empty: all.
    pub actions: Vec<ActionKind>,
    /// Only actions answering findings at or above it.
    pub min_severity: Option<Severity>,
    pub effect: Effect,
    pub reason: String,
    /// `driftgate.hcl:12`, or `built-in`.
    pub source: String,
}

impl Guardrail {
    /// Whether it selects `a`, whose resource carries `tags`.
    pub fn matches(&self, a: &Action, tags: &BTreeMap<String, String>) -> bool {
        let name = match &a.address {
            Some(addr) => addr.to_string(),
            None => format!("{}.{}", a.resource_type, a.resource_id),
        };
        (self.resource_types.is_empty()
            || self
                .resource_types
                .iter()
                .any(|p| p.is_match(&a.resource_type)))
            && (self.addresses.is_empty() || self.addresses.iter().any(|p| p.is_match(&name)))
            && self.tags.iter().all(|(k, v)| tags.get(k) == Some(v))
            && (self.actions.is_empty() || self.actions.contains(&a.kind))
            && self.min_severity.is_none_or(|m| a.finding.severity >= m)
    }
}

/// The built-in guardrails that the planner applies to actions (not [`DISRUPTIVE`], which
/// the planner's `allow_disruptive` implements).
pub fn builtins() -> Vec<Guardrail> {
    let types = ["aws_iam_user", "aws_iam_role", "aws_iam_group"];
    vec![Guardrail {
        name: IAM_PRINCIPAL_DELETE.into(),
        resource_types: types.iter().filter_map(|t| Pattern::new(t).ok()).collect(),
        addresses: vec![],
        tags: BTreeMap::new(),
        actions: vec![ActionKind::Delete],
        min_severity: None,
        effect: Effect::Deny,
        reason: "deleting an IAM principal can lock people and workloads out; it is left to terraform and a person".into(),
        source: "built-in".into(),
    }]
}

/// The guardrails in force: the built-ins the policy does not name, then the policy's own
/// (a block named like a built-in replaces it; `allow` ones select nothing).
pub fn in_force(policy: &[Guardrail]) -> Vec<Guardrail> {
    builtins()
        .into_iter()
        .filter(|b| !policy.iter().any(|g| g.name == b.name))
        .chain(policy.iter().cloned())
        .filter(|g| g.effect != Effect::Allow)
        .collect()
}

/// Whether the policy relaxes the built-in `name` (a block of that name with `allow`).
pub fn relaxed(policy: &[Guardrail], name: &str) -> bool {
    policy
        .iter()
        .any(|g| g.name == name && g.effect == Effect::Allow)
}

/// Marks the actions `rails` select: the first `deny` that matches blocks the action
/// (manual ones too), else the `require_approvals` asking the most is recorded on it.
pub fn guard(
    actions: &mut [Action],
    rails: &[Guardrail],
    tags_of: &dyn Fn(&Action) -> BTreeMap<String, String>,
) {
    for a in actions.iter_mut() {
        let tags = tags_of(a);
        let hits: Vec<&Guardrail> = rails.iter().filter(|g| g.matches(a, &tags)).collect();
        let deny = hits.iter().find(|g| g.effect == Effect::Deny);
        let most = hits
            .iter()
            .filter_map(|g| match g.effect {
                Effect::RequireApprovals(n) => Some((n, *g)),
                _ => None,
            })
            .max_by_key(|(n, _)| *n);
        if let Some(g) = deny {
            a.status = ActionStatus::Blocked;
            a.reason = format!("blocked by guardrail `{}`: {}", g.name, g.reason);
            a.guardrail = Some(GuardrailHit {
                name: g.name.clone(),
                reason: g.reason.clone(),
                effect: GuardrailEffect::Deny,
            });
        } else if let Some((n, g)) = most {
            a.guardrail = Some(GuardrailHit {
                name: g.name.clone(),
                reason: g.reason.clone(),
                effect: GuardrailEffect::RequireApprovals(n),
            });
        }
    }
}

/// Whether the action interrupts a running workload (it stops an instance): what the built-in
/// [`DISRUPTIVE`] guards, read from the calls themselves, so that no other guardrail recorded
/// on the action (nor `--allow-disruptive`) hides it.
pub fn is_disruptive(a: &Action) -> bool {
    a.calls
        .iter()
        .any(|c| matches!(c, crate::model::plan::Call::Ec2StopInstances { .. }))
}

/// The most signed approvals a `require_approvals` guardrail asks of the plan's executable
/// actions (0 when none does).
pub fn approvals_required(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| a.status == ActionStatus::Planned)
        .filter_map(|a| match a.guardrail.as_ref().map(|g| g.effect) {
            Some(GuardrailEffect::RequireApprovals(n)) => Some(n as usize),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{Call, FindingRef};
    use crate::model::{Address, DriftKind};

    fn action(ty: &str, name: &str, kind: ActionKind, status: ActionStatus) -> Action {
        Action {
            id: format!("a-{name}"),
            kind,
            status,
            address: Some(Address::managed(ty, name)),
            resource_type: ty.into(),
            resource_id: format!("id-{name}"),
            region: None,
            finding: FindingRef {
                kind: DriftKind::Changed,
                address: Some(Address::managed(ty, name)),
                id: format!("id-{name}"),
                rule: "r".into(),
                severity: Severity::High,
            },
            changes: vec![],
            calls: vec![Call::Ec2StartInstances {
                instance_id: "i-1".into(),
            }],
            expect: vec![],
            manual_command: None,
            follow_up: None,
            reason: "why".into(),
            guardrail: None,
        }
    }

    fn rail(name: &str, types: &[&str], effect: Effect) -> Guardrail {
        Guardrail {
            name: name.into(),
            resource_types: types.iter().map(|t| Pattern::new(t).unwrap()).collect(),
            addresses: vec![],
            tags: BTreeMap::new(),
            actions: vec![],
            min_severity: None,
            effect,
            reason: format!("{name} reason"),
            source: "driftgate.hcl:1".into(),
        }
    }

    #[test]
    fn deny_blocks_matching_actions_manual_ones_included() {
        let mut actions = vec![
            action(
                "aws_iam_role",
                "app",
                ActionKind::Revert,
                ActionStatus::Planned,
            ),
            action(
                "aws_iam_user",
                "u",
                ActionKind::Import,
                ActionStatus::Manual,
            ),
            action("aws_vpc", "main", ActionKind::Revert, ActionStatus::Planned),
        ];
        let rails = vec![rail("iam-frozen", &["aws_iam_*"], Effect::Deny)];
        guard(&mut actions, &rails, &|_| BTreeMap::new());
        let status: Vec<ActionStatus> = actions.iter().map(|a| a.status).collect();
        assert_eq!(
            status,
            [
                ActionStatus::Blocked,
                ActionStatus::Blocked,
                ActionStatus::Planned
            ]
        );
        assert_eq!(actions[0].guardrail.as_ref().unwrap().name, "iam-frozen");
        assert!(actions[0].reason.contains("iam-frozen reason"));
        assert_eq!(actions[2].guardrail, None);
    }

    #[test]
    fn selectors_all_must_match() {
        let a = action("aws_vpc", "main", ActionKind::Revert, ActionStatus::Planned);
        let prod: BTreeMap<String, String> = [("env".to_string(), "prod".to_string())].into();
        let mut g = rail("prod", &[], Effect::Deny);
        g.tags = prod.clone();
        assert!(g.matches(&a, &prod));
        assert!(!g.matches(&a, &BTreeMap::new()));
        g.actions = vec![ActionKind::Recreate];
        assert!(!g.matches(&a, &prod));
        g.actions = vec![];
        g.min_severity = Some(Severity::Critical);
        assert!(!g.matches(&a, &prod));
        g.min_severity = Some(Severity::High);
        g.addresses = vec![Pattern::new("aws_vpc.*").unwrap()];
        assert!(g.matches(&a, &prod));
        g.addresses = vec![Pattern::new("aws_subnet.*").unwrap()];
        assert!(!g.matches(&a, &prod));
    }

    #[test]
    fn require_approvals_takes_the_highest_and_deny_wins() {
        let mut actions = vec![action(
            "aws_vpc",
            "main",
            ActionKind::Revert,
            ActionStatus::Planned,
        )];
        let rails = vec![
            rail("two", &["aws_vpc"], Effect::RequireApprovals(2)),
            rail("three", &["aws_*"], Effect::RequireApprovals(3)),
        ];
        guard(&mut actions, &rails, &|_| BTreeMap::new());
        assert_eq!(actions[0].status, ActionStatus::Planned);
        assert_eq!(
            actions[0].guardrail.as_ref().map(|g| g.effect),
            Some(GuardrailEffect::RequireApprovals(3))
        );
        assert_eq!(approvals_required(&actions), 3);
        let mut denied = actions.clone();
        guard(
            &mut denied,
            &[rails[0].clone(), rail("no", &["aws_vpc"], Effect::Deny)],
            &|_| BTreeMap::new(),
        );
        assert_eq!(denied[0].status, ActionStatus::Blocked);
        assert_eq!(approvals_required(&denied), 0);
    }

    #[test]
    fn builtins_deny_deleting_iam_principals_unless_named() {
        let mut actions = vec![
            action(
                "aws_iam_user",
                "u",
                ActionKind::Delete,
                ActionStatus::Planned,
            ),
            action(
                "aws_security_group",
                "sg",
                ActionKind::Delete,
                ActionStatus::Planned,
            ),
        ];
        let mut plain = actions.clone();
        guard(&mut plain, &in_force(&[]), &|_| BTreeMap::new());
        assert_eq!(plain[0].status, ActionStatus::Blocked);
        assert_eq!(
            plain[0].guardrail.as_ref().unwrap().name,
            IAM_PRINCIPAL_DELETE
        );
        assert_eq!(plain[1].status, ActionStatus::Planned);
        let relax = vec![rail(IAM_PRINCIPAL_DELETE, &[], Effect::Allow)];
        guard(&mut actions, &in_force(&relax), &|_| BTreeMap::new());
        assert_eq!(actions[0].status, ActionStatus::Planned);
        assert!(relaxed(&relax, IAM_PRINCIPAL_DELETE));
        assert!(!relaxed(&relax, DISRUPTIVE));
    }
}
