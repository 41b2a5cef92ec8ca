//! `aws_iam_user`, `aws_iam_user_policy`, `aws_iam_user_policy_attachment`: the users of the
//! shared `GetAccountAuthorizationDetails` sweep.

use std::collections::BTreeSet;

use aws_sdk_iam::types::UserDetail;

use super::{
    Cx, Entities, Found, Listed, Sample, Unit, attachment_attributes, global,
    inline_policy_attributes, user_attributes,
};
use crate::model::Owner;

pub const USER: &str = "aws_iam_user";
pub const USER_POLICY: &str = "aws_iam_user_policy";
pub const USER_POLICY_ATTACHMENT: &str = "aws_iam_user_policy_attachment";
const TYPES: &[&str] = &[USER, USER_POLICY, USER_POLICY_ATTACHMENT];

pub const UNIT: Unit = Unit {
    label: "users",
    types: TYPES,
    needs: &[Entities::Users],
    list,
    samples,
    reverts: &[],
    operations: &[],
    execute: super::executes_nothing,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let details = match cx.details_or_gap(TYPES).await {
            Ok(d) => d,
            Err(found) => return found,
        };
        let mut found = Found::default();
        emit(&details.users, &cx.wanted, &mut found);
        found
    })
}

/// Each user, its inline policies and its managed policy attachments, as far as they are
/// asked.
pub fn emit(users: &[UserDetail], wanted: &BTreeSet<String>, found: &mut Found) {
    for user in users {
        let Some(name) = user.user_name() else {
            continue;
        };
        if wanted.contains(USER) {
            found
                .resources
                .push(global(USER, name, Owner::User, user_attributes(user)));
        }
        if wanted.contains(USER_POLICY) {
            for inline in user.user_policy_list() {
                let Some(policy_name) = inline.policy_name() else {
                    continue;
                };
                found.resources.push(global(
                    USER_POLICY,
                    &format!("{name}:{policy_name}"),
                    Owner::User,
                    inline_policy_attributes("user", name, policy_name, inline.policy_document()),
                ));
            }
        }
        if wanted.contains(USER_POLICY_ATTACHMENT) {
            for attached in user.attached_managed_policies() {
                let Some(arn) = attached.policy_arn() else {
                    continue;
                };
                found.resources.push(global(
                    USER_POLICY_ATTACHMENT,
                    &format!("{name}/{arn}"),
                    Owner::User,
                    attachment_attributes("user", name, arn),
                ));
            }
        }
    }
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::types as iamt;
    let owner = "111122223333";
    let user = UserDetail::builder()
        .user_name("alice")
        .path("/people/")
        .arn(format!("arn:aws:iam::{owner}:user/people/alice"))
        .user_id("AIDA1")
        .permissions_boundary(
            iamt::AttachedPermissionsBoundary::builder()
                .permissions_boundary_arn(format!("arn:aws:iam::{owner}:policy/boundary"))
                .build(),
        )
        .tags(
            iamt::Tag::builder()
                .key("team")
                .value("core")
                .build()
                .unwrap(),
        )
        .user_policy_list(
            iamt::PolicyDetail::builder()
                .policy_name("inline")
                .policy_document("%7B%22Version%22%3A%222012-10-17%22%7D")
                .build(),
        )
        .attached_managed_policies(
            iamt::AttachedPolicy::builder()
                .policy_arn(format!("arn:aws:iam::{owner}:policy/app"))
                .build(),
        )
        .build();
    let wanted: BTreeSet<String> = TYPES.iter().map(|t| t.to_string()).collect();
    let mut found = Found::default();
    emit(&[user], &wanted, &mut found);
    found
        .resources
        .into_iter()
        .map(|resource| {
            let a = &resource.attributes;
            let s = |k: &str| {
                a.get(k)
                    .and_then(crate::model::Value::scalar_text)
                    .unwrap_or_default()
            };
            let import_id = match resource.resource_type.as_str() {
                USER => s("name"),
                USER_POLICY => format!("{}:{}", s("user"), s("name")),
                _ => format!("{}/{}", s("user"), s("policy_arn")),
            };
            Sample {
                resource,
                import_id,
            }
        })
        .collect()
}
