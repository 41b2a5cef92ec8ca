//! `aws_iam_instance_profile`: `ListInstanceProfiles` (batched; each profile with its role).
//! Tags are not in a listing (per the IAM API reference), so they come from `GetInstanceProfile`,
//! one paced read per profile a state records (`read = "recorded"`).
//! (moto has no `ListInstanceProfileTags`; `GetInstanceProfile` is also the API's documented
//! way to a profile's tags.)

use crate::model::plan::{RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::types::{InstanceProfile, Tag};

use super::{Cx, Found, Listed, PAGE, Sample, Unit, date, global, tag_map};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

pub const INSTANCE_PROFILE: &str = "aws_iam_instance_profile";
const TYPES: &[&str] = &[INSTANCE_PROFILE];

pub const UNIT: Unit = Unit::new("instance profiles", TYPES, list, samples).calls(
    REVERTS,
    &["RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile"],
    execute,
);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let profiles = match iam_pages!(
            cx.client.list_instance_profiles().max_items(PAGE),
            instance_profiles
        ) {
            Ok(p) => p,
            Err(reason) => {
                return Found::gap(gap("iam", None, "ListInstanceProfiles", TYPES, reason));
            }
        };
        let read: Vec<String> = profiles
            .iter()
            .map(|p| p.instance_profile_name().to_string())
            .filter(|name| cx.reads(INSTANCE_PROFILE, name))
            .collect();
        let tags = cx
            .each(UNIT.label, read, |client, name| async move {
                client
                    .get_instance_profile()
                    .instance_profile_name(&name)
                    .send()
                    .await
                    .map(|out| {
                        Some(
                            out.instance_profile()
                                .map(|p| p.tags().to_vec())
                                .unwrap_or_default(),
                        )
                    })
                    .or_else(|e| {
                        // Deleted since the listing: gone, not a failure.
                        if e.as_service_error()
                            .is_some_and(|s| s.is_no_such_entity_exception())
                        {
                            Ok(None)
                        } else {
                            Err(failure_reason(&e))
                        }
                    })
            })
            .await;
        let mut found = Found::default();
        for profile in &profiles {
            let name = profile.instance_profile_name();
            if !cx.reads(INSTANCE_PROFILE, name) {
                found.resources.push(global(
                    INSTANCE_PROFILE,
                    name,
                    Owner::User,
                    attributes(profile, None),
                ));
                continue;
            }
            match tags.get(name) {
                Some(Ok(Some(tags))) => found.resources.push(global(
                    INSTANCE_PROFILE,
                    name,
                    Owner::User,
                    attributes(profile, Some(tags)),
                )),
                Some(Ok(None)) => {}
                answer => found.gaps.push(Cx::read_gap(
                    "GetInstanceProfile",
                    TYPES,
                    answer,
                    format!("instance profile {name}"),
                )),
            }
        }
        found
    })
}

/// An `aws_iam_instance_profile`: `role` is the one role inside it ("" when empty).
/// `tags: None`: not read; absent, never guessed.
pub fn attributes(profile: &InstanceProfile, tags: Option<&[Tag]>) -> Attributes {
    let name = profile.instance_profile_name();
    let mut a = Attributes::new();
    a.insert("id".into(), name.into());
    a.insert("name".into(), name.into());
    a.insert("arn".into(), profile.arn().into());
    a.insert("path".into(), profile.path().into());
    a.insert("unique_id".into(), profile.instance_profile_id().into());
    a.insert("create_date".into(), date(Some(profile.create_date())));
    let role = profile.roles().first().map(|r| r.role_name()).unwrap_or("");
    a.insert("role".into(), role.into());
    if let Some(tags) = tags {
        a.insert("tags".into(), tag_map(tags));
    }
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::primitives::DateTime;
    use aws_sdk_iam::types::Role;
    let owner = "111122223333";
    let when = DateTime::from_secs(1_800_000_000);
    let profile = InstanceProfile::builder()
        .instance_profile_name("app")
        .instance_profile_id("AIPA1")
        .path("/")
        .arn(format!("arn:aws:iam::{owner}:instance-profile/app"))
        .create_date(when)
        .roles(
            Role::builder()
                .role_name("app")
                .role_id("AROA1")
                .path("/")
                .arn(format!("arn:aws:iam::{owner}:role/app"))
                .create_date(when)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let tags = [Tag::builder().key("team").value("core").build().unwrap()];
    vec![Sample::global(
        INSTANCE_PROFILE,
        "app",
        attributes(&profile, Some(&tags)),
    )]
}

// ---- reverts ---------------------------------------------------------------------------------

/// Disruptive: between the two calls, instances running with the profile have no role.
const REVERTS: &[UnitRevert] =
    &[UnitRevert::new("profile_role", &[INSTANCE_PROFILE], plan_role).disruptive()];

/// The recorded role put back inside the profile: the observed one removed, then the recorded
/// one added (a profile holds one role).
fn plan_role(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let ops = ("RemoveRoleFromInstanceProfile", "AddRoleToInstanceProfile");
    let (remove, add) = super::set_calls(input, ("name", "role"), "role_name", ops)?;
    Ok([remove, add].concat())
}

iam_calls! {
    "RemoveRoleFromInstanceProfile" =>
        remove_role_from_instance_profile(instance_profile_name; role_name),
    "AddRoleToInstanceProfile" =>
        add_role_to_instance_profile(instance_profile_name; role_name),
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::iam::{planned, revert_case};

    #[test]
    fn the_other_role_out_then_the_recorded_one_in() {
        let case = revert_case(
            INSTANCE_PROFILE,
            vec![("name", "app".into()), ("role", "app".into())],
            vec![("role", "app".into(), "admin".into())],
        );
        assert_eq!(
            planned(plan_role, &case),
            [
                "RemoveRoleFromInstanceProfile app role_name=admin",
                "AddRoleToInstanceProfile app role_name=app"
            ]
        );
        assert!(REVERTS[0].disruptive);
    }
}
