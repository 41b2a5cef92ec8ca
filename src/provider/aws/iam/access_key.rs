//! `aws_iam_access_key`: `ListAccessKeys` per user of the shared sweep (no batch API lists
//! every user's keys), paced. Id, user, status and creation date only: the secret is never
//! read (no API returns it after creation anyway). Every user's keys are listed, not only the
//! recorded ones': a key created outside terraform is what this type is watched for.

use crate::model::plan::{RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::types::AccessKeyMetadata;

use super::{Cx, Entities, Found, Listed, PAGE, Sample, Unit, date, global};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::failure_reason;

pub const ACCESS_KEY: &str = "aws_iam_access_key";
const TYPES: &[&str] = &[ACCESS_KEY];

pub const UNIT: Unit = Unit::new("access keys", TYPES, list, samples)
    .needs(&[Entities::Users])
    .calls(REVERTS, &["UpdateAccessKey"], execute);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let users = match cx.user_names(TYPES).await {
            Ok(users) => users,
            Err(found) => return found,
        };
        let keys = cx
            .each(UNIT.label, users.clone(), |client, user| async move {
                let mut pages = client
                    .list_access_keys()
                    .user_name(&user)
                    .max_items(PAGE)
                    .into_paginator()
                    .send();
                let mut keys = Vec::new();
                while let Some(page) = pages.next().await {
                    match page {
                        Ok(page) => keys.extend(page.access_key_metadata),
                        // The user was deleted since the sweep: it has no keys.
                        Err(e)
                            if e.as_service_error()
                                .is_some_and(|s| s.is_no_such_entity_exception()) =>
                        {
                            return Ok(Vec::new());
                        }
                        Err(e) => return Err(failure_reason(&e)),
                    }
                }
                Ok(keys)
            })
            .await;
        let mut found = Found::default();
        for user in &users {
            match keys.get(user) {
                Some(Ok(keys)) => {
                    for key in keys {
                        let Some(id) = key.access_key_id() else {
                            continue;
                        };
                        found
                            .resources
                            .push(global(ACCESS_KEY, id, Owner::User, attributes(key)));
                    }
                }
                answer => found.gaps.push(Cx::read_gap(
                    "ListAccessKeys",
                    TYPES,
                    answer,
                    format!("user {user}"),
                )),
            }
        }
        found
    })
}

/// An `aws_iam_access_key`, without its secret.
pub fn attributes(key: &AccessKeyMetadata) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), key.access_key_id().into());
    a.insert("user".into(), key.user_name().into());
    a.insert("status".into(), key.status().map(|s| s.as_str()).into());
    a.insert("create_date".into(), date(key.create_date()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::primitives::DateTime;
    use aws_sdk_iam::types::StatusType;
    let key = AccessKeyMetadata::builder()
        .user_name("alice")
        .access_key_id("AKIA1")
        .status(StatusType::Active)
        .create_date(DateTime::from_secs(1_800_000_000))
        .build();
    vec![Sample::global(ACCESS_KEY, "AKIA1", attributes(&key))]
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[UnitRevert::new(
    "access_key_status",
    &[ACCESS_KEY],
    plan_status,
)];

fn plan_status(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    super::key_status(input, "UpdateAccessKey", ("id", "user"))
}

iam_calls! {
    "UpdateAccessKey" => update_access_key(access_key_id; user_name, status: aws_sdk_iam::types::StatusType),
}
