//! `aws_iam_access_key`: `ListAccessKeys` per user of the shared sweep (no batch API lists
//! every user's keys), paced. Id, user, status and creation date only: the secret is never
//! read (no API returns it after creation anyway). Every user's keys are listed, not only the
//! recorded ones': a key created outside terraform is what this type is watched for.

use aws_sdk_iam::types::AccessKeyMetadata;

use super::{Cx, Entities, Found, Listed, PAGE, Sample, Unit, date, global};
use crate::model::{Attributes, Owner};

pub const ACCESS_KEY: &str = "aws_iam_access_key";
const TYPES: &[&str] = &[ACCESS_KEY];

pub const UNIT: Unit = Unit {
    label: "access keys",
    types: TYPES,
    needs: &[Entities::Users],
    list,
    samples,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let details = match cx.details_or_gap(TYPES).await {
            Ok(d) => d,
            Err(found) => return found,
        };
        let users: Vec<String> = details
            .users
            .iter()
            .filter_map(|u| u.user_name())
            .map(str::to_string)
            .collect();
        let keys = cx
            .each(UNIT.label, users.clone(), |client, user| async move {
                iam_pages!(
                    client.list_access_keys().user_name(&user).max_items(PAGE),
                    access_key_metadata
                )
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
