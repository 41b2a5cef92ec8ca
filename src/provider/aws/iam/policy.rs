//! `aws_iam_policy`: customer managed policies of the shared `GetAccountAuthorizationDetails`
//! sweep (default version document); tags from `ListPolicyTags` (not in
//! `ManagedPolicyDetail`), one paced read per policy, only for the policies a state records
//! when the caller says so (`read = "recorded"`).

use aws_sdk_iam::types::{ManagedPolicyDetail, Tag};

use super::{
    Cx, Entities, Found, Listed, PAGE, Sample, Unit, global, policy_attributes, policy_owner,
};

pub const POLICY: &str = "aws_iam_policy";
const TYPES: &[&str] = &[POLICY];

pub const UNIT: Unit =
    Unit::new("policies", TYPES, list, samples).needs(&[Entities::LocalManagedPolicies]);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let details = match cx.details_or_gap(TYPES).await {
            Ok(d) => d,
            Err(found) => return found,
        };
        let policies: &[ManagedPolicyDetail] = &details.policies;
        let read: Vec<String> = policies
            .iter()
            .filter_map(|p| p.arn())
            .filter(|arn| cx.reads(POLICY, arn))
            .map(str::to_string)
            .collect();
        let tags = cx
            .each(UNIT.label, read, |client, arn| async move {
                iam_pages!(
                    client.list_policy_tags().policy_arn(&arn).max_items(PAGE),
                    tags
                )
            })
            .await;
        let mut found = Found::default();
        for policy in policies {
            let Some(arn) = policy.arn() else { continue };
            if !cx.reads(POLICY, arn) {
                // Not read: the attribute is absent, never guessed.
                found.resources.push(global(
                    POLICY,
                    arn,
                    policy_owner(arn),
                    policy_attributes(policy, None),
                ));
                continue;
            }
            match tags.get(arn) {
                Some(Ok(tags)) => found.resources.push(global(
                    POLICY,
                    arn,
                    policy_owner(arn),
                    policy_attributes(policy, Some(tags)),
                )),
                // A policy whose tags could not be read is left out; its gap says so.
                answer => found.gaps.push(Cx::read_gap(
                    "ListPolicyTags",
                    TYPES,
                    answer,
                    format!("policy {arn}"),
                )),
            }
        }
        found
    })
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::types::PolicyVersion;
    let arn = "arn:aws:iam::111122223333:policy/app";
    let policy = ManagedPolicyDetail::builder()
        .arn(arn)
        .policy_name("app")
        .policy_id("ANPA1")
        .path("/")
        .description("the app's policy")
        .attachment_count(1)
        .default_version_id("v2")
        .policy_version_list(
            PolicyVersion::builder()
                .version_id("v2")
                .is_default_version(true)
                .document("%7B%22Version%22%3A%222012-10-17%22%7D")
                .build(),
        )
        .build();
    let tags = [Tag::builder().key("team").value("core").build().unwrap()];
    vec![Sample {
        resource: global(
            POLICY,
            arn,
            policy_owner(arn),
            policy_attributes(&policy, Some(&tags)),
        ),
        import_id: arn.into(),
    }]
}
