//! `aws_iam_policy_attachment`: exclusive over a managed policy's entities. One object per
//! policy attached anywhere (or customer managed and attached nowhere) with every user, role
//! and group it is attached to, from the shared `GetAccountAuthorizationDetails` sweep: an
//! entity attached outside terraform is drift of that resource. Terraform's id is a free name,
//! so the object is never "unmanaged" (`primary: false`); the per-entity attachments
//! (`aws_iam_*_policy_attachment`) name the unmanaged ones. The policy's document (customer
//! managed policies) travels with it as `context`, so the policy can tell a privileged one.

use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use std::collections::{BTreeMap, BTreeSet};

use super::{
    Cx, Details, Entities, Found, Listed, Sample, Unit, documents_by_arn, global, policy_owner,
};
use crate::model::{Attributes, ObservedResource, Value};

pub const POLICY_ATTACHMENT: &str = "aws_iam_policy_attachment";
const TYPES: &[&str] = &[POLICY_ATTACHMENT];

pub const UNIT: Unit = Unit::new("policy attachments", TYPES, list, samples)
    .needs(&[
        Entities::Users,
        Entities::Roles,
        Entities::Groups,
        Entities::LocalManagedPolicies,
    ])
    .calls(
        REVERTS,
        &[
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        ],
        execute,
    );

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        match cx.details_or_gap(TYPES).await {
            Ok(details) => emit(&details),
            Err(found) => found,
        }
    })
}

#[derive(Default)]
struct Entities3<'a> {
    users: BTreeSet<&'a str>,
    roles: BTreeSet<&'a str>,
    groups: BTreeSet<&'a str>,
}

/// One object per policy with its entities.
pub fn emit(details: &Details) -> Found {
    let mut by_policy: BTreeMap<&str, Entities3<'_>> = BTreeMap::new();
    for policy in &details.policies {
        if let Some(arn) = policy.arn() {
            by_policy.entry(arn).or_default();
        }
    }
    for user in &details.users {
        let Some(name) = user.user_name() else {
            continue;
        };
        for p in user.attached_managed_policies() {
            if let Some(arn) = p.policy_arn() {
                by_policy.entry(arn).or_default().users.insert(name);
            }
        }
    }
    for role in &details.roles {
        let Some(name) = role.role_name() else {
            continue;
        };
        for p in role.attached_managed_policies() {
            if let Some(arn) = p.policy_arn() {
                by_policy.entry(arn).or_default().roles.insert(name);
            }
        }
    }
    for group in &details.groups {
        let Some(name) = group.group_name() else {
            continue;
        };
        for p in group.attached_managed_policies() {
            if let Some(arn) = p.policy_arn() {
                by_policy.entry(arn).or_default().groups.insert(name);
            }
        }
    }
    let documents = documents_by_arn(&details.policies);
    let mut found = Found::default();
    for (arn, entities) in by_policy {
        let mut attributes = attributes(arn, &entities.users, &entities.roles, &entities.groups);
        if let Some(document) = documents.get(arn) {
            attributes.insert("policy".into(), document.as_str().into());
        }
        found.resources.push(ObservedResource {
            primary: false,
            ..global(
                POLICY_ATTACHMENT,
                &format!("{arn}/entities"),
                policy_owner(arn),
                attributes,
            )
        });
    }
    found
}

fn sorted(names: &BTreeSet<&str>) -> Value {
    names.iter().copied().collect::<Vec<_>>().into()
}

/// An `aws_iam_policy_attachment`: the policy and every entity it is attached to.
fn attributes(
    arn: &str,
    users: &BTreeSet<&str>,
    roles: &BTreeSet<&str>,
    groups: &BTreeSet<&str>,
) -> Attributes {
    let mut a = Attributes::new();
    a.insert("policy_arn".into(), arn.into());
    a.insert("users".into(), sorted(users));
    a.insert("roles".into(), sorted(roles));
    a.insert("groups".into(), sorted(groups));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::types::{AttachedPolicy, GroupDetail, RoleDetail, UserDetail};
    let arn = "arn:aws:iam::111122223333:policy/reports";
    let attached = || AttachedPolicy::builder().policy_arn(arn).build();
    let details = Details {
        users: vec![
            UserDetail::builder()
                .user_name("alice")
                .attached_managed_policies(attached())
                .build(),
        ],
        roles: vec![
            RoleDetail::builder()
                .role_name("app")
                .attached_managed_policies(attached())
                .build(),
        ],
        groups: vec![
            GroupDetail::builder()
                .group_name("devs")
                .attached_managed_policies(attached())
                .build(),
        ],
        policies: Vec::new(),
    };
    emit(&details)
        .resources
        .into_iter()
        .map(|resource| Sample {
            resource,
            // The provider has no importer for this type (its id is a free name; its spec
            // says `no_import`): none.
            import_id: String::new(),
        })
        .collect()
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[UnitRevert::new(
    "policy_entities",
    &[POLICY_ATTACHMENT],
    plan_entities,
)];

/// The entity kinds of an attachment: attribute, operation's entity, its parameter.
const KINDS: &[(&str, &str, &str)] = &[
    ("users", "User", "user_name"),
    ("roles", "Role", "role_name"),
    ("groups", "Group", "group_name"),
];

/// An exclusive attachment's entities put back: the recorded ones attached, the others
/// detached.
fn plan_entities(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let arn = input.recorded_text("policy_arn")?;
    let mut calls = Vec::new();
    for (attribute, entity, parameter) in KINDS {
        let recorded = super::names(input.recorded.attributes.get(*attribute));
        // Unknown (not in the finding): left as it is.
        let Some(observed) = super::observed_value(input, attribute) else {
            continue;
        };
        let observed = super::names(Some(observed));
        for name in recorded.difference(&observed) {
            calls.push(
                UnitCall::new("iam", &format!("Attach{entity}Policy"), &arn)
                    .arg(parameter, Arg::text(name)),
            );
        }
        for name in observed.difference(&recorded) {
            calls.push(
                UnitCall::new("iam", &format!("Detach{entity}Policy"), &arn)
                    .arg(parameter, Arg::text(name)),
            );
        }
    }
    Ok(calls)
}

iam_calls! {
    "AttachUserPolicy" => attach_user_policy(policy_arn; user_name),
    "DetachUserPolicy" => detach_user_policy(policy_arn; user_name),
    "AttachRolePolicy" => attach_role_policy(policy_arn; role_name),
    "DetachRolePolicy" => detach_role_policy(policy_arn; role_name),
    "AttachGroupPolicy" => attach_group_policy(policy_arn; group_name),
    "DetachGroupPolicy" => detach_group_policy(policy_arn; group_name),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::provider::aws::iam::{planned, revert_case};

    #[test]
    fn entities_put_back_exactly() {
        let case = revert_case(
            POLICY_ATTACHMENT,
            vec![
                ("policy_arn", "arn:aws:iam::1:policy/p".into()),
                ("groups", vec!["devs"].into()),
                ("users", Value::Null),
                ("roles", vec!["app"].into()),
            ],
            vec![("groups", vec!["devs"].into(), vec!["admins", "devs"].into())],
        );
        let mut got = planned(plan_entities, &case);
        got.sort();
        // Only the changed kind's observed side is known here: the roles are left alone.
        assert!(!got.iter().any(|c| c.contains("Role")), "{got:?}");
        assert!(
            got.contains(
                &"DetachGroupPolicy arn:aws:iam::1:policy/p group_name=admins".to_string()
            )
        );
        assert!(!got.iter().any(|c| c.contains("devs")), "{got:?}");
    }
}
