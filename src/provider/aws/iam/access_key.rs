//! `aws_iam_access_key`: `ListAccessKeys` per user of the shared sweep (no batch API lists
//! every user's keys), paced. Id, user, status and creation date only: the secret is never
//! read (no API returns it after creation anyway). Every user's keys are listed, not only the
//! recorded ones': a key created outside terraform is what this type is watched for.

use super::{Args, Executed, call_error, text_arg};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::types::AccessKeyMetadata;

use super::{Cx, Entities, Found, Listed, PAGE, Sample, Unit, date, global};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::failure_reason;

pub const ACCESS_KEY: &str = "aws_iam_access_key";
const TYPES: &[&str] = &[ACCESS_KEY];

pub const UNIT: Unit = Unit {
    label: "access keys",
    types: TYPES,
    needs: &[Entities::Users],
    list,
    samples,
    reverts: REVERTS,
    operations: &["UpdateAccessKey"],
    execute,
};

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
    vec![Sample {
        resource: global(ACCESS_KEY, "AKIA1", Owner::User, attributes(&key)),
        import_id: "AKIA1".into(),
    }]
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[UnitRevert {
    name: "access_key_status",
    types: &[ACCESS_KEY],
    plan: plan_status,
    disruptive: false,
}];

/// The recorded status put back (`Inactive` again, or `Active`).
fn plan_status(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let id = input.recorded_text("id")?;
    let user = input.recorded_text("user")?;
    let status = input.recorded_text("status")?;
    Ok(vec![
        UnitCall::new("iam", "UpdateAccessKey", &id)
            .arg("user_name", Arg::text(user))
            .arg("status", Arg::text(status)),
    ])
}

fn execute<'a>(
    client: &'a aws_sdk_iam::Client,
    call: &'a UnitCall,
    args: &'a Args,
) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            "UpdateAccessKey" => client
                .update_access_key()
                .access_key_id(&call.target)
                .user_name(text_arg(args, "user_name")?)
                .status(aws_sdk_iam::types::StatusType::from(
                    text_arg(args, "status")?.as_str(),
                ))
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            other => Err(format!("{other}: not an operation of this unit")),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::iam::{planned, revert_case};

    #[test]
    fn the_recorded_status_put_back() {
        let case = revert_case(
            ACCESS_KEY,
            vec![
                ("id", "AKIA1".into()),
                ("user", "bob".into()),
                ("status", "Inactive".into()),
            ],
            vec![("status", "Inactive".into(), "Active".into())],
        );
        assert_eq!(
            planned(plan_status, &case),
            ["UpdateAccessKey AKIA1 status=Inactive user_name=bob"]
        );
    }
}
