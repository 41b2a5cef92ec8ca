//! Guardrails: actions no approval can authorize (`deny`: status `blocked`), or that need more
//! signed approvals than the policy's `approval` block (`require_approvals`). A guardrail
//! selects actions by resource type, address, tags, action kind and severity; the policy file
//! declares them (`guardrail "NAME" { ... }`, read by `policy::file`, interpreted here), and two are built in:
//!
//! - [`IAM_PRINCIPAL_DELETE`]: deleting an IAM user, role or group is denied;
//! - [`DISRUPTIVE`]: a revert that interrupts a running workload is planned only with
//!   `--allow-disruptive` (otherwise `manual`; the planner applies this one).
//!
//! A policy relaxes a built-in one only by naming it: a `guardrail` block with the built-in's
//! name replaces it (`effect = "allow"` turns it off). Pure: the caller gives each action's
//! tags.

use std::collections::BTreeMap;

use crate::error::Error;
use crate::model::Severity;
use crate::model::pattern::Pattern;
use crate::model::plan::{Action, ActionKind, ActionStatus, GuardrailEffect, GuardrailHit};
use crate::model::policy_file::{Attribute, Block, ExprKind, Problem, Span};

/// Built-in: deleting an IAM principal is denied.
pub const IAM_PRINCIPAL_DELETE: &str = "iam-principal-delete";
/// Built-in: disruptive reverts need `--allow-disruptive` at plan time (its name, like what
/// it selects, [`is_disruptive`], is plan data: the trust root reads it too).
pub use crate::model::plan::{DISRUPTIVE, approvals_required, is_disruptive};
/// The built-in guardrails' names.
pub const BUILTIN: &[&str] = &[IAM_PRINCIPAL_DELETE, DISRUPTIVE];

const GUARDRAIL_KEYS: &[&str] = &[
    "resource_types",
    "addresses",
    "tags",
    "actions",
    "min_severity",
    "effect",
    "approvals",
    "reason",
];

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

impl Guardrail {
    /// Interprets a `guardrail "NAME" { ... }` block of the policy file.
    pub fn from_block(b: &Block) -> Result<Guardrail, Error> {
        Ok(Guardrail::read(b)?)
    }

    fn read(b: &Block) -> Result<Guardrail, Problem> {
        let (name, label_span) = b.label().cloned().ok_or_else(|| {
            b.invalid(
                b.ident_span.clone(),
                "a `guardrail` block takes exactly one label, its name",
                "expected `guardrail \"NAME\" { ... }`",
                "write `guardrail \"iam-frozen\" { resource_types = [\"aws_iam_*\"] reason = \"...\" }`",
            )
        })?;
        let context = format!("guardrail \"{name}\"");
        let attrs = b.attributes(&context, GUARDRAIL_KEYS)?;
        let Some(reason) = attrs.get("reason") else {
            return Err(b.invalid(
                label_span,
                format!("guardrail `{name}` has no `reason`"),
                "reason missing",
                "say why, e.g. `reason = \"IAM changes go through the quarterly access review\"`: the plan shows it on every action it blocks",
            ));
        };
        let reason = b.string(reason)?.to_string();
        let effect = effect(b, &name, &label_span, &attrs)?;
        Ok(Guardrail {
            resource_types: patterns(b, &attrs, "resource_types")?,
            addresses: patterns(b, &attrs, "addresses")?,
            tags: tags(b, &attrs)?,
            actions: action_kinds(b, &attrs)?,
            min_severity: attrs
                .get("min_severity")
                .map(|a| b.severity(a))
                .transpose()?,
            effect,
            reason,
            source: b.line(),
            name,
        })
    }
}

/// A block's attributes by key.
type Attributes<'a> = BTreeMap<String, &'a Attribute>;

/// What the guardrail `name` does (`effect`, with `approvals` for `require_approvals`):
/// `allow` only for a built-in's name, and the built-in `disruptive` only relaxed.
fn effect(b: &Block, name: &str, label_span: &Span, attrs: &Attributes) -> Result<Effect, Problem> {
    let builtin = BUILTIN.contains(&name);
    let effect = match attrs.get("effect").map(|a| (a, b.string(a))) {
        None => Effect::Deny,
        Some((_, Ok("deny"))) => Effect::Deny,
        Some((_, Ok("allow"))) if builtin => Effect::Allow,
        Some((_, Ok("require_approvals"))) => {
            Effect::RequireApprovals(approvals(b, name, label_span, attrs)?)
        }
        Some((a, Ok(other))) => {
            return Err(b.invalid(
                a.value.span.clone(),
                format!("`effect = \"{other}\"` is not a choice here"),
                "expected \"deny\" or \"require_approvals\"",
                if other == "allow" {
                    format!("`allow` only relaxes a built-in guardrail ({}), named by its block's label", BUILTIN.join(", "))
                } else {
                    "\"deny\" blocks the matching actions whatever the approvals; \"require_approvals\" (with `approvals = N`) needs N signed approvals".to_string()
                },
            ));
        }
        Some((_, Err(e))) => return Err(e),
    };
    if attrs.contains_key("approvals") && !matches!(effect, Effect::RequireApprovals(_)) {
        let a = attrs["approvals"];
        return Err(b.invalid(
            a.key_span.clone(),
            "`approvals` goes with `effect = \"require_approvals\"`",
            "not used",
            "remove it, or set `effect = \"require_approvals\"`",
        ));
    }
    if name == DISRUPTIVE && effect != Effect::Allow {
        return Err(b.invalid(
            label_span.clone(),
            "the built-in `disruptive` guardrail can only be relaxed (`effect = \"allow\"`)",
            "built-in",
            "disruptive reverts are manual unless `--allow-disruptive`; `effect = \"allow\"` plans them always",
        ));
    }
    Ok(effect)
}

/// How many signed approvals a `require_approvals` guardrail asks for: 1 to 100.
fn approvals(b: &Block, name: &str, label_span: &Span, attrs: &Attributes) -> Result<u32, Problem> {
    let Some(n) = attrs.get("approvals") else {
        return Err(b.invalid(
            label_span.clone(),
            format!("guardrail `{name}` requires approvals but says not how many"),
            "approvals missing",
            "add `approvals = 3` (signed approvals, see docs/approvals.md)",
        ));
    };
    let count = match &n.value.kind {
        ExprKind::Number(x) => x.filter(|v| (1..=100).contains(v)),
        _ => None,
    };
    let Some(count) = count else {
        return Err(b.invalid(
            n.value.span.clone(),
            "`approvals` must be a whole number from 1 to 100",
            "expected a number",
            "write `approvals = 3`",
        ));
    };
    Ok(count as u32)
}

/// The globs of a selector (`resource_types`, `addresses`); none when it is absent.
fn patterns(b: &Block, attrs: &Attributes, key: &str) -> Result<Vec<Pattern>, Problem> {
    match attrs.get(key) {
        None => Ok(Vec::new()),
        Some(a) => b
            .strings(a)?
            .iter()
            .map(|(s, at)| {
                Pattern::new(s).map_err(|e| {
                    b.invalid(
                        at.clone(),
                        format!("`{s}` is not a valid pattern: {e}"),
                        "invalid pattern",
                        "patterns use `*` and `?`",
                    )
                })
            })
            .collect(),
    }
}

/// The `actions` selector: action kinds by name.
fn action_kinds(b: &Block, attrs: &Attributes) -> Result<Vec<ActionKind>, Problem> {
    let Some(a) = attrs.get("actions") else {
        return Ok(Vec::new());
    };
    b.strings(a)?
        .into_iter()
        .map(|(s, at)| {
            ActionKind::ALL
                .into_iter()
                .find(|k| k.as_str() == s)
                .ok_or_else(|| {
                    b.invalid(
                        at,
                        format!("`{s}` is not an action kind"),
                        "unknown kind",
                        "action kinds are: revert, recreate, accept, import, delete",
                    )
                })
        })
        .collect()
}

/// The `tags` selector: an object of tag names and the values they must have.
fn tags(b: &Block, attrs: &Attributes) -> Result<BTreeMap<String, String>, Problem> {
    let Some(a) = attrs.get("tags") else {
        return Ok(BTreeMap::new());
    };
    let ExprKind::Object(o) = &a.value.kind else {
        return Err(b.invalid(
            a.value.span.clone(),
            "`tags` must be an object",
            "expected `{ env = \"prod\" }`",
            "write `tags = { env = \"prod\" }`",
        ));
    };
    let mut out = BTreeMap::new();
    for (k, v) in o.iter() {
        let key = match &k.name {
            Some(name) => name.clone(),
            None => {
                return Err(b.invalid(
                    k.span.clone(),
                    "a tag key must be a name or a string",
                    "here",
                    "write `tags = { env = \"prod\" }`",
                ));
            }
        };
        let ExprKind::String(s) = &v.kind else {
            return Err(b.invalid(
                v.span.clone(),
                "a tag value must be a string",
                "here",
                "write `tags = { env = \"prod\" }`",
            ));
        };
        out.insert(key, s.clone());
    }
    Ok(out)
}

/// The policy's `guardrail` blocks, interpreted in file order.
pub fn from_blocks(blocks: &[Block]) -> Result<Vec<Guardrail>, Error> {
    blocks.iter().map(Guardrail::from_block).collect()
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

/// The names of the guardrails in force under the policy: [`in_force`]'s, and [`DISRUPTIVE`]
/// (the planner's own, see [`builtins`]) unless the policy relaxes it. What the trust root
/// checks the policy against.
pub fn names_in_force(policy: &[Guardrail]) -> std::collections::BTreeSet<String> {
    let mut names: std::collections::BTreeSet<String> =
        in_force(policy).into_iter().map(|g| g.name).collect();
    if !relaxed(policy, DISRUPTIVE) {
        names.insert(DISRUPTIVE.to_string());
    }
    names
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
            disruptive: false,
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
