//! `aws_iam_role`, `aws_iam_role_policy`, `aws_iam_role_policy_attachment`: the roles of the
//! shared `GetAccountAuthorizationDetails` sweep (documents, tags, inline policies,
//! attachments) and `ListRoles` (a role's `Description` and `MaxSessionDuration`, which
//! `RoleDetail` lacks per the IAM API reference; also batched).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_iam::types::{Role, RoleDetail};

use super::{
    Cx, Entities, Found, Listed, PAGE, PolicyTypes, Sample, Unit, global, role_attributes,
    role_owner, sample,
};
use crate::provider::aws::calls::gap;

pub const ROLE: &str = "aws_iam_role";
pub const ROLE_POLICY: &str = "aws_iam_role_policy";
pub const ROLE_POLICY_ATTACHMENT: &str = "aws_iam_role_policy_attachment";
const TYPES: &[&str] = &[ROLE, ROLE_POLICY, ROLE_POLICY_ATTACHMENT];
const POLICIES: PolicyTypes = PolicyTypes {
    kind: "role",
    inline: ROLE_POLICY,
    attachment: ROLE_POLICY_ATTACHMENT,
};

pub const UNIT: Unit = Unit::new("roles", TYPES, list, samples).needs(&[Entities::Roles]);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let want_roles = cx.wants(ROLE);
        let listed = async {
            if want_roles {
                iam_pages!(cx.client.list_roles().max_items(PAGE), roles).map(Some)
            } else {
                Ok(None)
            }
        };
        let (details, listed) = tokio::join!(cx.details_or_gap(TYPES), listed);
        let details = match details {
            Ok(d) => d,
            Err(found) => return found,
        };
        let mut found = Found::default();
        let listed: Option<BTreeMap<String, Role>> = match listed {
            Ok(roles) => roles.map(|r| {
                r.into_iter()
                    .map(|r| (r.role_name().to_string(), r))
                    .collect()
            }),
            Err(reason) => {
                found
                    .gaps
                    .push(gap("iam", None, "ListRoles", &[ROLE], reason));
                None
            }
        };
        // Without ListRoles, no role is emitted (its gap covers the type); a role that was
        // not asked for needs no ListRoles.
        let listed = if want_roles {
            listed
        } else {
            Some(BTreeMap::new())
        };
        emit(&details.roles, listed.as_ref(), &cx.wanted, &mut found);
        found
    })
}

/// Each role (only with its `ListRoles` half), its inline policies and its managed policy
/// attachments, as far as they are asked.
pub fn emit(
    roles: &[RoleDetail],
    listed_roles: Option<&BTreeMap<String, Role>>,
    wanted: &BTreeSet<String>,
    found: &mut Found,
) {
    for role in roles {
        let Some(name) = role.role_name() else {
            continue;
        };
        let owner = role_owner(role.path());
        // A service-linked role is an `aws_iam_service_linked_role` (its unit emits it).
        if wanted.contains(ROLE) && !super::service_linked_role::is_service_linked(role.path()) {
            // Without ListRoles the role's description and session duration are unknown; the
            // ListRoles gap covers the type, so nothing half-seen is emitted.
            if let Some(listed) = listed_roles {
                found.resources.push(global(
                    ROLE,
                    name,
                    owner.clone(),
                    role_attributes(role, listed.get(name)),
                ));
            }
        }
        POLICIES.emit(
            name,
            &owner,
            (role.role_policy_list(), role.attached_managed_policies()),
            None,
            wanted,
            found,
        );
    }
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::primitives::DateTime;
    let owner = "111122223333";
    let role = RoleDetail::builder()
        .role_name("app")
        .path("/service/")
        .arn(format!("arn:aws:iam::{owner}:role/service/app"))
        .role_id("AROA1")
        .create_date(DateTime::from_secs(1_800_000_000))
        .assume_role_policy_document("%7B%22Version%22%3A%222012-10-17%22%7D")
        .permissions_boundary(sample::boundary(owner))
        .tags(sample::tag())
        .role_policy_list(sample::inline())
        .attached_managed_policies(sample::attached(owner, "app"))
        .build();
    let listed: BTreeMap<String, Role> = [(
        "app".to_string(),
        Role::builder()
            .role_name("app")
            .path("/service/")
            .role_id("AROA1")
            .arn(format!("arn:aws:iam::{owner}:role/service/app"))
            .create_date(DateTime::from_secs(1_800_000_000))
            .description("the app")
            .max_session_duration(7200)
            .build()
            .unwrap(),
    )]
    .into();
    let wanted: BTreeSet<String> = TYPES.iter().map(|t| t.to_string()).collect();
    let mut found = Found::default();
    emit(&[role], Some(&listed), &wanted, &mut found);
    POLICIES.samples(found)
}
