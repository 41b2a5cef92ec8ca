//! `aws_iam_user`, `aws_iam_user_policy`, `aws_iam_user_policy_attachment`: the users of the
//! shared `GetAccountAuthorizationDetails` sweep.

use std::collections::BTreeSet;

use aws_sdk_iam::types::UserDetail;

use super::{
    Cx, Entities, Found, Listed, PolicyTypes, Sample, Unit, global, sample, user_attributes,
};
use crate::model::Owner;

pub const USER: &str = "aws_iam_user";
pub const USER_POLICY: &str = "aws_iam_user_policy";
pub const USER_POLICY_ATTACHMENT: &str = "aws_iam_user_policy_attachment";
const TYPES: &[&str] = &[USER, USER_POLICY, USER_POLICY_ATTACHMENT];
const POLICIES: PolicyTypes = PolicyTypes {
    kind: "user",
    inline: USER_POLICY,
    attachment: USER_POLICY_ATTACHMENT,
};

pub const UNIT: Unit = Unit::new("users", TYPES, list, samples).needs(&[Entities::Users]);

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
        POLICIES.emit(
            name,
            &Owner::User,
            (user.user_policy_list(), user.attached_managed_policies()),
            None,
            wanted,
            found,
        );
    }
}

fn samples() -> Vec<Sample> {
    let owner = "111122223333";
    let user = UserDetail::builder()
        .user_name("alice")
        .path("/people/")
        .arn(format!("arn:aws:iam::{owner}:user/people/alice"))
        .user_id("AIDA1")
        .permissions_boundary(sample::boundary(owner))
        .tags(sample::tag())
        .user_policy_list(sample::inline())
        .attached_managed_policies(sample::attached(owner, "app"))
        .build();
    let wanted: BTreeSet<String> = TYPES.iter().map(|t| t.to_string()).collect();
    let mut found = Found::default();
    emit(&[user], &wanted, &mut found);
    POLICIES.samples(found)
}
