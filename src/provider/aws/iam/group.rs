//! `aws_iam_group`, its inline policies (`aws_iam_group_policy`), its managed policy
//! attachments (`aws_iam_group_policy_attachment`) and its members, all from the shared
//! `GetAccountAuthorizationDetails` sweep (groups, and users for their `GroupList`).
//!
//! Members are seen two ways, as terraform manages them two ways:
//! - `aws_iam_group_membership` is exclusive over a group's members: one object per group with
//!   every member (`users`), so a member slipped in is drift of that resource. It is not a
//!   cloud object of its own (terraform's id is a free name), so it is never "unmanaged"
//!   (`primary: false`).
//! - `aws_iam_user_group_membership` is not exclusive: one object per (user, group) pair, so a
//!   pair no state records is unmanaged, unless the group's exclusive membership describes it
//!   (its spec's first `parent`).
//!
//! So that the policy can tell a privileged group, a membership carries what the group holds
//! (`group_policies`: its inline documents and its customer managed policies' documents;
//! `group_policy_arns`: what is attached), and an attachment the attached policy's document
//! (`policy`, customer managed policies only): the specs' `context`, never compared.

use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::{GroupDetail, UserDetail};

use super::{
    Cx, Entities, Found, Listed, PolicyTypes, Sample, Unit, decode_document, documents_by_arn,
    global, sample,
};
use crate::model::{Attributes, ObservedResource, Owner, Value};

pub const GROUP: &str = "aws_iam_group";
pub const GROUP_MEMBERSHIP: &str = "aws_iam_group_membership";
pub const USER_GROUP_MEMBERSHIP: &str = "aws_iam_user_group_membership";
pub const GROUP_POLICY: &str = "aws_iam_group_policy";
pub const GROUP_POLICY_ATTACHMENT: &str = "aws_iam_group_policy_attachment";
const TYPES: &[&str] = &[
    GROUP,
    GROUP_MEMBERSHIP,
    GROUP_POLICY,
    GROUP_POLICY_ATTACHMENT,
    USER_GROUP_MEMBERSHIP,
];
const POLICIES: PolicyTypes = PolicyTypes {
    kind: "group",
    inline: GROUP_POLICY,
    attachment: GROUP_POLICY_ATTACHMENT,
};

pub const UNIT: Unit = Unit::new("groups", TYPES, list, samples)
    .needs(&[
        Entities::Groups,
        Entities::Users,
        Entities::LocalManagedPolicies,
    ])
    .calls(
        REVERTS,
        &["AddUserToGroup", "RemoveUserFromGroup", "PutGroupPolicy"],
        execute,
    );

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let details = match cx.details_or_gap(TYPES).await {
            Ok(d) => d,
            Err(found) => return found,
        };
        let mut found = Found::default();
        let documents = documents_by_arn(&details.policies);
        emit(
            &details.groups,
            &details.users,
            &documents,
            &cx.wanted,
            &mut found,
        );
        found
    })
}

/// What a group holds: its inline documents and its attached customer managed policies'
/// documents (`group_policies`), and the ARNs attached (`group_policy_arns`).
fn holdings(group: &GroupDetail, documents: &BTreeMap<&str, String>) -> (Value, Value) {
    let mut docs: Vec<String> = group
        .group_policy_list()
        .iter()
        .filter_map(|p| p.policy_document())
        .map(decode_document)
        .collect();
    let mut arns: Vec<&str> = Vec::new();
    for attached in group.attached_managed_policies() {
        if let Some(arn) = attached.policy_arn() {
            arns.push(arn);
            docs.extend(documents.get(arn).cloned());
        }
    }
    docs.sort();
    arns.sort();
    (docs.into(), arns.into())
}

/// Every group and what hangs off it, as far as asked. `documents`: the customer managed
/// policies' documents by ARN.
pub fn emit(
    groups: &[GroupDetail],
    users: &[UserDetail],
    documents: &BTreeMap<&str, String>,
    wanted: &BTreeSet<String>,
    found: &mut Found,
) {
    let held: BTreeMap<&str, (Value, Value)> = groups
        .iter()
        .filter_map(|g| Some((g.group_name()?, holdings(g, documents))))
        .collect();
    let with_holdings = |mut a: Attributes, group: &str| {
        if let Some((docs, arns)) = held.get(group) {
            a.insert("group_policies".into(), docs.clone());
            a.insert("group_policy_arns".into(), arns.clone());
        }
        a
    };
    // Members by group, from the users' side (the only side the API lists them on).
    let mut members: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for user in users {
        let Some(name) = user.user_name() else {
            continue;
        };
        for group in user.group_list() {
            members.entry(group.as_str()).or_default().insert(name);
            if wanted.contains(USER_GROUP_MEMBERSHIP) {
                found.resources.push(global(
                    USER_GROUP_MEMBERSHIP,
                    &format!("{name}/{group}"),
                    Owner::User,
                    with_holdings(user_group_membership_attributes(name, group), group),
                ));
            }
        }
    }
    for group in groups {
        let Some(name) = group.group_name() else {
            continue;
        };
        if wanted.contains(GROUP) {
            found
                .resources
                .push(global(GROUP, name, Owner::User, group_attributes(group)));
        }
        if wanted.contains(GROUP_MEMBERSHIP) {
            let users: Vec<&str> = members
                .get(name)
                .map(|m| m.iter().copied().collect())
                .unwrap_or_default();
            found.resources.push(ObservedResource {
                primary: false,
                ..global(
                    GROUP_MEMBERSHIP,
                    &format!("{name}/members"),
                    Owner::User,
                    with_holdings(group_membership_attributes(name, &users), name),
                )
            });
        }
        POLICIES.emit(
            name,
            &Owner::User,
            (group.group_policy_list(), group.attached_managed_policies()),
            Some(documents),
            wanted,
            found,
        );
    }
}

/// An `aws_iam_group`.
pub fn group_attributes(group: &GroupDetail) -> Attributes {
    let name = group.group_name().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), name.into());
    a.insert("name".into(), name.into());
    a.insert("arn".into(), group.arn().into());
    a.insert("path".into(), group.path().into());
    a.insert("unique_id".into(), group.group_id().into());
    a
}

/// An `aws_iam_group_membership`: the group and every member (sorted).
pub fn group_membership_attributes(group: &str, users: &[&str]) -> Attributes {
    let mut a = Attributes::new();
    a.insert("group".into(), group.into());
    let mut users: Vec<&str> = users.to_vec();
    users.sort();
    a.insert("users".into(), users.into());
    a
}

/// One (user, group) pair as an `aws_iam_user_group_membership` standing for that group only
/// (`groups` is the spec's fan-out; `group` names the parent).
pub fn user_group_membership_attributes(user: &str, group: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert("user".into(), user.into());
    a.insert("groups".into(), Value::List(vec![group.into()]));
    a.insert("group".into(), group.into());
    a
}

fn samples() -> Vec<Sample> {
    let owner = "111122223333";
    let group = GroupDetail::builder()
        .group_name("admins")
        .group_id("AGPA1")
        .path("/ops/")
        .arn(format!("arn:aws:iam::{owner}:group/ops/admins"))
        .group_policy_list(sample::inline())
        .attached_managed_policies(sample::attached(owner, "admin"))
        .build();
    let user = UserDetail::builder()
        .user_name("alice")
        .group_list("admins")
        .build();
    let wanted: BTreeSet<String> = TYPES.iter().map(|t| t.to_string()).collect();
    let mut found = Found::default();
    let arn = format!("arn:aws:iam::{owner}:policy/admin");
    let documents: BTreeMap<&str, String> =
        [(arn.as_str(), r#"{"Version":"2012-10-17"}"#.to_string())].into();
    emit(&[group], &[user], &documents, &wanted, &mut found);
    found
        .resources
        .into_iter()
        .map(|resource| {
            let a = &resource.attributes;
            let s = |k: &str| a.get(k).and_then(Value::scalar_text).unwrap_or_default();
            // The provider's documented import ids. `aws_iam_group_membership` has no
            // importer (its id is a free name; its spec says `no_import`): none.
            let import_id = match resource.resource_type.as_str() {
                GROUP => s("name"),
                GROUP_MEMBERSHIP => String::new(),
                USER_GROUP_MEMBERSHIP => format!("{}/{}", s("user"), s("group")),
                _ => POLICIES.import_id(&resource).unwrap_or_default(),
            };
            Sample {
                resource,
                import_id,
            }
        })
        .collect()
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[
    UnitRevert::new("group_members", &[GROUP_MEMBERSHIP], plan_members),
    UnitRevert::new("group_policy_document", &[GROUP_POLICY], plan_document),
];

/// A group's inline policy put back: the recorded document (from the state at apply time when
/// it is sensitive there).
fn plan_document(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let group = input.recorded_text("group")?;
    let name = input.recorded_text("name")?;
    Ok(vec![
        UnitCall::new("iam", "PutGroupPolicy", &group)
            .arg("policy_name", Arg::text(name))
            .arg("policy_document", input.recorded_arg("policy")),
    ])
}

/// An exclusive membership's `users` put back: the recorded members added, the others removed.
fn plan_members(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let ops = ("RemoveUserFromGroup", "AddUserToGroup");
    let (remove, add) = super::set_calls(input, ("group", "users"), "user_name", ops)?;
    Ok([add, remove].concat())
}

iam_calls! {
    "AddUserToGroup" => add_user_to_group(group_name; user_name),
    "RemoveUserFromGroup" => remove_user_from_group(group_name; user_name),
    "PutGroupPolicy" => put_group_policy(group_name; policy_name, policy_document),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::iam::{planned, revert_case};

    #[test]
    fn members_put_back_exactly() {
        let case = revert_case(
            GROUP_MEMBERSHIP,
            vec![
                ("group", "admins".into()),
                ("users", vec!["alice", "bob"].into()),
            ],
            vec![(
                "users",
                vec!["alice", "bob"].into(),
                vec!["alice", "mallory"].into(),
            )],
        );
        assert_eq!(
            planned(plan_members, &case),
            [
                "AddUserToGroup admins user_name=bob",
                "RemoveUserFromGroup admins user_name=mallory"
            ]
        );
    }

    #[test]
    fn an_inline_policy_put_back_from_the_state() {
        let case = revert_case(
            GROUP_POLICY,
            vec![
                ("group", "devs".into()),
                ("name", "read".into()),
                ("policy", "{}".into()),
            ],
            vec![("policy", "{}".into(), "{\"a\":1}".into())],
        );
        assert_eq!(
            planned(plan_document, &case),
            ["PutGroupPolicy devs policy_document={} policy_name=read"]
        );
    }
}
