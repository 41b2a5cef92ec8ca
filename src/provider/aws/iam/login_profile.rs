//! `aws_iam_user_login_profile`: `GetLoginProfile` per user of the shared sweep (no batch API
//! says which users have a console password), paced. Existence only: the password is never
//! read (no API returns it).

use super::{Cx, Entities, Found, Listed, Sample, Unit, global};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::failure_reason;

pub const LOGIN_PROFILE: &str = "aws_iam_user_login_profile";
const TYPES: &[&str] = &[LOGIN_PROFILE];

pub const UNIT: Unit = Unit::new("login profiles", TYPES, list, samples).needs(&[Entities::Users]);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let users = match cx.user_names(TYPES).await {
            Ok(users) => users,
            Err(found) => return found,
        };
        let profiles = cx
            .each(UNIT.label, users.clone(), |client, user| async move {
                match client.get_login_profile().user_name(&user).send().await {
                    Ok(_) => Ok(true),
                    // No console password: the answer, not a failure.
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_no_such_entity_exception()) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(failure_reason(&e)),
                }
            })
            .await;
        let mut found = Found::default();
        for user in &users {
            match profiles.get(user) {
                Some(Ok(true)) => {
                    found
                        .resources
                        .push(global(LOGIN_PROFILE, user, Owner::User, attributes(user)))
                }
                Some(Ok(false)) => {}
                answer => found.gaps.push(Cx::read_gap(
                    "GetLoginProfile",
                    TYPES,
                    answer,
                    format!("user {user}"),
                )),
            }
        }
        found
    })
}

/// An `aws_iam_user_login_profile`: the user (its id too).
pub fn attributes(user: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), user.into());
    a.insert("user".into(), user.into());
    a
}

fn samples() -> Vec<Sample> {
    vec![Sample::global(LOGIN_PROFILE, "alice", attributes("alice"))]
}
