//! IAM: roles, users, customer managed policies, inline policies and attachments.
//!
//! `GetAccountAuthorizationDetails` (filtered to the entity kinds asked for, 1000 a page) returns
//! documents, tags, inline policies and attachments in one paginated sweep. Two things it lacks
//! need their own calls: a role's `Description` and `MaxSessionDuration` (not in `RoleDetail`,
//! per the IAM API reference; `ListRoles` has them, also batched), and a managed policy's tags
//! (not in `ManagedPolicyDetail`; `ListPolicyTags` per customer managed policy, bounded).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_iam::Client;
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{EntityType, ManagedPolicyDetail, Role, RoleDetail, Tag, UserDetail};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::calls::{Failure, failure_reason, gap};
use super::{Found, types};
use crate::model::{Attributes, ObservedResource, Owner, Value};

const PAGE: i32 = 1000;
const POLICY_TAG_CONCURRENCY: usize = 8;

/// The IAM resource types this module observes.
pub const TYPES: &[&str] = &[
    types::IAM_POLICY,
    types::IAM_ROLE,
    types::IAM_ROLE_POLICY,
    types::IAM_ROLE_POLICY_ATTACHMENT,
    types::IAM_USER,
    types::IAM_USER_POLICY,
    types::IAM_USER_POLICY_ATTACHMENT,
];

const ROLE_TYPES: &[&str] = &[
    types::IAM_ROLE,
    types::IAM_ROLE_POLICY,
    types::IAM_ROLE_POLICY_ATTACHMENT,
];
const USER_TYPES: &[&str] = &[
    types::IAM_USER,
    types::IAM_USER_POLICY,
    types::IAM_USER_POLICY_ATTACHMENT,
];

#[derive(Default)]
struct Details {
    users: Vec<UserDetail>,
    roles: Vec<RoleDetail>,
    policies: Vec<ManagedPolicyDetail>,
}

/// Observes every asked IAM type (IAM is global: one task, no region).
pub async fn run(
    client: Client,
    wanted: Arc<BTreeSet<String>>,
    progress: super::Progress,
    tags_for: Option<Arc<BTreeSet<String>>>,
) -> Found {
    let asked = |group: &[&'static str]| -> Vec<&'static str> {
        group
            .iter()
            .copied()
            .filter(|t| wanted.contains(*t))
            .collect()
    };
    let role_types = asked(ROLE_TYPES);
    let user_types = asked(USER_TYPES);
    let want_policies = wanted.contains(types::IAM_POLICY);
    let want_roles = wanted.contains(types::IAM_ROLE);
    let mut all_types: Vec<&str> = asked(TYPES);
    all_types.sort();

    let mut filter = Vec::new();
    if !user_types.is_empty() {
        filter.push(EntityType::User);
    }
    if !role_types.is_empty() {
        filter.push(EntityType::Role);
    }
    if want_policies {
        filter.push(EntityType::LocalManagedPolicy);
    }

    let mut found = Found::default();
    if filter.is_empty() {
        return found;
    }

    let (details, listed_roles) = tokio::join!(
        authorization_details(&client, filter),
        listed_roles(&client, want_roles)
    );

    let listed_roles = match listed_roles {
        Ok(roles) => Some(roles),
        Err(reason) => {
            found
                .gaps
                .push(gap("iam", None, "ListRoles", &[types::IAM_ROLE], reason));
            None
        }
    };
    let details = match details {
        Ok(details) => details,
        Err(reason) => {
            found.gaps.push(gap(
                "iam",
                None,
                "GetAccountAuthorizationDetails",
                &all_types,
                reason,
            ));
            return found;
        }
    };

    emit_roles(&details.roles, listed_roles.as_ref(), &wanted, &mut found);
    emit_users(&details.users, &wanted, &mut found);
    if want_policies {
        emit_policies(
            &client,
            &details.policies,
            tags_for.as_deref(),
            &progress,
            &mut found,
        )
        .await;
    }
    found
}

/// Owns the `GetAccountAuthorizationDetails` sweep: every page of the entity kinds `filter`
/// names.
async fn authorization_details(
    client: &Client,
    filter: Vec<EntityType>,
) -> Result<Details, Failure> {
    let mut pages = client
        .get_account_authorization_details()
        .set_filter(Some(filter))
        .max_items(PAGE)
        .into_paginator()
        .send();
    let mut details = Details::default();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                details
                    .users
                    .extend(page.user_detail_list.unwrap_or_default());
                details
                    .roles
                    .extend(page.role_detail_list.unwrap_or_default());
                details.policies.extend(page.policies.unwrap_or_default());
            }
            Err(e) => return Err(failure_reason(&e)),
        }
    }
    Ok(details)
}

/// Owns the `ListRoles` sweep (only when roles are asked): every role by name, for what
/// `RoleDetail` lacks.
async fn listed_roles(
    client: &Client,
    want_roles: bool,
) -> Result<BTreeMap<String, Role>, Failure> {
    let mut roles = BTreeMap::new();
    if !want_roles {
        return Ok(roles);
    }
    let mut pages = client.list_roles().max_items(PAGE).into_paginator().send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                for role in page.roles {
                    roles.insert(role.role_name().to_string(), role);
                }
            }
            Err(e) => return Err(failure_reason(&e)),
        }
    }
    Ok(roles)
}

/// Owns the role side: each role (only with its `ListRoles` half), its inline policies and
/// its managed policy attachments, as far as they are asked.
pub(crate) fn emit_roles(
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
        if wanted.contains(types::IAM_ROLE) {
            // Without ListRoles the role's description and session duration are unknown; the
            // ListRoles gap covers the type, so nothing half-seen is emitted.
            if let Some(listed) = listed_roles {
                found.resources.push(global(
                    types::IAM_ROLE,
                    name,
                    owner.clone(),
                    role_attributes(role, listed.get(name)),
                ));
            }
        }
        if wanted.contains(types::IAM_ROLE_POLICY) {
            for inline in role.role_policy_list() {
                let Some(policy_name) = inline.policy_name() else {
                    continue;
                };
                found.resources.push(global(
                    types::IAM_ROLE_POLICY,
                    &format!("{name}:{policy_name}"),
                    owner.clone(),
                    inline_policy_attributes("role", name, policy_name, inline.policy_document()),
                ));
            }
        }
        if wanted.contains(types::IAM_ROLE_POLICY_ATTACHMENT) {
            for attached in role.attached_managed_policies() {
                let Some(arn) = attached.policy_arn() else {
                    continue;
                };
                found.resources.push(global(
                    types::IAM_ROLE_POLICY_ATTACHMENT,
                    &format!("{name}/{arn}"),
                    owner.clone(),
                    attachment_attributes("role", name, arn),
                ));
            }
        }
    }
}

/// Owns the user side: each user, its inline policies and its managed policy attachments, as
/// far as they are asked.
pub(crate) fn emit_users(users: &[UserDetail], wanted: &BTreeSet<String>, found: &mut Found) {
    for user in users {
        let Some(name) = user.user_name() else {
            continue;
        };
        if wanted.contains(types::IAM_USER) {
            found.resources.push(global(
                types::IAM_USER,
                name,
                Owner::User,
                user_attributes(user),
            ));
        }
        if wanted.contains(types::IAM_USER_POLICY) {
            for inline in user.user_policy_list() {
                let Some(policy_name) = inline.policy_name() else {
                    continue;
                };
                found.resources.push(global(
                    types::IAM_USER_POLICY,
                    &format!("{name}:{policy_name}"),
                    Owner::User,
                    inline_policy_attributes("user", name, policy_name, inline.policy_document()),
                ));
            }
        }
        if wanted.contains(types::IAM_USER_POLICY_ATTACHMENT) {
            for attached in user.attached_managed_policies() {
                let Some(arn) = attached.policy_arn() else {
                    continue;
                };
                found.resources.push(global(
                    types::IAM_USER_POLICY_ATTACHMENT,
                    &format!("{name}/{arn}"),
                    Owner::User,
                    attachment_attributes("user", name, arn),
                ));
            }
        }
    }
}

/// Owns customer managed policies: each with its tags (read only for the policies `tags_for`
/// names, when given), or a gap for a policy whose tags could not be read.
async fn emit_policies(
    client: &Client,
    policies: &[ManagedPolicyDetail],
    tags_for: Option<&BTreeSet<String>>,
    progress: &super::Progress,
    found: &mut Found,
) {
    // No read that cannot matter: tags only for the policies a state records, when the
    // caller says so (`read = "recorded"`).
    let read = |arn: &str| tags_for.is_none_or(|arns| arns.contains(arn));
    let tags = policy_tags(client, policies, &read, progress).await;
    for policy in policies {
        let Some(arn) = policy.arn() else { continue };
        if !read(arn) {
            found.resources.push(global(
                types::IAM_POLICY,
                arn,
                policy_owner(arn),
                policy_attributes(policy, None),
            ));
            continue;
        }
        match tags.get(arn) {
            Some(Ok(tags)) => found.resources.push(global(
                types::IAM_POLICY,
                arn,
                policy_owner(arn),
                policy_attributes(policy, Some(tags)),
            )),
            // A policy whose tags could not be read is left out; its gap says so.
            Some(Err(reason)) => found.gaps.push(gap(
                "iam",
                None,
                "ListPolicyTags",
                &[types::IAM_POLICY],
                reason.clone().about(format!("policy {arn}")),
            )),
            None => found.gaps.push(gap(
                "iam",
                None,
                "ListPolicyTags",
                &[types::IAM_POLICY],
                format!("internal error: no answer for policy {arn}"),
            )),
        }
    }
}

/// `ListPolicyTags` for every customer managed policy, at most a few in flight.
async fn policy_tags(
    client: &Client,
    policies: &[ManagedPolicyDetail],
    read: &(dyn Fn(&str) -> bool + Sync),
    progress: &super::Progress,
) -> BTreeMap<String, Result<Vec<Tag>, Failure>> {
    let permits = Arc::new(Semaphore::new(POLICY_TAG_CONCURRENCY));
    let mut calls = JoinSet::new();
    let arns: Vec<&str> = policies
        .iter()
        .filter_map(|p| p.arn())
        .filter(|arn| read(arn))
        .collect();
    progress(super::ProgressEvent::ReadsPlanned { reads: arns.len() });
    for arn in arns {
        let (client, permits, arn) = (client.clone(), permits.clone(), arn.to_string());
        let progress = progress.clone();
        calls.spawn(async move {
            // The semaphore is never closed; should acquiring fail, running unbounded is
            // still correct.
            let _permit = permits.acquire_owned().await.ok();
            // IAM documents no per-API request rate (see `pace`): bounded concurrency and
            // adaptive retry only.
            let _done = super::ReadDone(&progress);
            let mut pages = client
                .list_policy_tags()
                .policy_arn(&arn)
                .max_items(PAGE)
                .into_paginator()
                .send();
            let mut tags = Vec::new();
            while let Some(page) = pages.next().await {
                match page {
                    Ok(page) => tags.extend(page.tags),
                    Err(e) => return (arn, Err(failure_reason(&e))),
                }
            }
            (arn, Ok(tags))
        });
    }
    let mut out = BTreeMap::new();
    while let Some(joined) = calls.join_next().await {
        // A panicked call leaves its policy without an answer, reported by the caller.
        if let Ok((arn, result)) = joined {
            out.insert(arn, result);
        }
    }
    out
}

fn global(
    resource_type: &str,
    cloud_id: &str,
    owner: Owner,
    attributes: Attributes,
) -> ObservedResource {
    ObservedResource {
        resource_type: resource_type.to_string(),
        cloud_id: cloud_id.to_string(),
        primary: true,
        region: None,
        owner,
        attributes,
    }
}

/// Service-linked roles (path `/aws-service-role/...`) are AWS's.
pub fn role_owner(path: Option<&str>) -> Owner {
    if path.is_some_and(|p| p.starts_with("/aws-service-role/")) {
        Owner::Aws("service-linked role".into())
    } else {
        Owner::User
    }
}

/// AWS managed policies (`arn:aws:iam::aws:policy/...`) are AWS's.
pub fn policy_owner(arn: &str) -> Owner {
    if arn.split(':').nth(4) == Some("aws") {
        Owner::Aws("AWS managed policy".into())
    } else {
        Owner::User
    }
}

/// An `aws_iam_role` from its `RoleDetail` plus the `ListRoles` entry (description, maximum
/// session duration; null when the role appeared between the two calls).
pub fn role_attributes(detail: &RoleDetail, listed: Option<&Role>) -> Attributes {
    let name = detail.role_name().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), name.into());
    a.insert("name".into(), name.into());
    a.insert("arn".into(), detail.arn().into());
    a.insert("path".into(), detail.path().into());
    a.insert("unique_id".into(), detail.role_id().into());
    a.insert("create_date".into(), date(detail.create_date()));
    a.insert(
        "assume_role_policy".into(),
        detail
            .assume_role_policy_document()
            .map(decode_document)
            .into(),
    );
    a.insert(
        "description".into(),
        listed.map(|r| r.description().unwrap_or("")).into(),
    );
    a.insert(
        "max_session_duration".into(),
        listed.and_then(|r| r.max_session_duration()).into(),
    );
    a.insert(
        "permissions_boundary".into(),
        detail
            .permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .unwrap_or("")
            .into(),
    );
    a.insert("tags".into(), tag_map(detail.tags()));
    let mut arns: Vec<&str> = detail
        .attached_managed_policies()
        .iter()
        .filter_map(|p| p.policy_arn())
        .collect();
    arns.sort();
    a.insert("managed_policy_arns".into(), arns.into());
    let mut inline: Vec<Value> = detail
        .role_policy_list()
        .iter()
        .map(|p| {
            let mut block = BTreeMap::new();
            block.insert("name".to_string(), p.policy_name().into());
            block.insert(
                "policy".to_string(),
                p.policy_document().map(decode_document).into(),
            );
            Value::Map(block)
        })
        .collect();
    inline.sort();
    a.insert("inline_policy".into(), Value::List(inline));
    a
}

/// An `aws_iam_user`.
pub fn user_attributes(user: &UserDetail) -> Attributes {
    let name = user.user_name().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), name.into());
    a.insert("name".into(), name.into());
    a.insert("arn".into(), user.arn().into());
    a.insert("path".into(), user.path().into());
    a.insert("unique_id".into(), user.user_id().into());
    a.insert(
        "permissions_boundary".into(),
        user.permissions_boundary()
            .and_then(|b| b.permissions_boundary_arn())
            .unwrap_or("")
            .into(),
    );
    a.insert("tags".into(), tag_map(user.tags()));
    a
}

/// An `aws_iam_policy` (customer managed): the default version's document, tags from
/// `ListPolicyTags`.
/// `tags: None`: not read (`read = "recorded"` and no state records the policy); the
/// attribute is then absent, never guessed.
pub fn policy_attributes(policy: &ManagedPolicyDetail, tags: Option<&[Tag]>) -> Attributes {
    let arn = policy.arn().unwrap_or_default();
    let document = policy
        .policy_version_list()
        .iter()
        .find(|v| v.is_default_version())
        .or_else(|| {
            policy
                .policy_version_list()
                .iter()
                .find(|v| v.version_id().is_some() && v.version_id() == policy.default_version_id())
        })
        .and_then(|v| v.document())
        .map(decode_document);
    let mut a = Attributes::new();
    a.insert("id".into(), arn.into());
    a.insert("arn".into(), arn.into());
    // moto gap: moto's GetAccountAuthorizationDetails omits PolicyName (and PolicyId); the
    // name is also the last segment of the ARN (`arn:aws:iam::ACCOUNT:policy/PATH/NAME`).
    let name = policy
        .policy_name()
        .or_else(|| arn.rsplit('/').next().filter(|n| !n.is_empty()));
    a.insert("name".into(), name.into());
    a.insert("path".into(), policy.path().into());
    a.insert(
        "description".into(),
        policy.description().unwrap_or("").into(),
    );
    a.insert("policy".into(), document.into());
    a.insert("policy_id".into(), policy.policy_id().into());
    a.insert("attachment_count".into(), policy.attachment_count().into());
    if let Some(tags) = tags {
        a.insert("tags".into(), tag_map(tags));
    }
    a
}

/// `aws_iam_role_policy` / `aws_iam_user_policy`: id `OWNER:NAME`.
pub fn inline_policy_attributes(
    owner_kind: &str,
    owner_name: &str,
    name: &str,
    document: Option<&str>,
) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), format!("{owner_name}:{name}").into());
    a.insert(owner_kind.into(), owner_name.into());
    a.insert("name".into(), name.into());
    a.insert("policy".into(), document.map(decode_document).into());
    a
}

/// `aws_iam_role_policy_attachment` / `aws_iam_user_policy_attachment`: the pair is the
/// identity (terraform's own id is random and not observable).
pub fn attachment_attributes(owner_kind: &str, owner_name: &str, policy_arn: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert(owner_kind.into(), owner_name.into());
    a.insert("policy_arn".into(), policy_arn.into());
    a
}

/// A policy document as the provider records it: the JSON text. The IAM API returns documents
/// URL-encoded (RFC 3986); moto returns some already decoded. So: text that parses as JSON is
/// used as is, anything else is percent-decoded (and kept raw if that is not UTF-8).
pub fn decode_document(raw: &str) -> String {
    if serde_json::from_str::<serde_json::Value>(raw).is_ok() {
        return raw.to_string();
    }
    percent_encoding::percent_decode_str(raw)
        .decode_utf8()
        .map(|s| s.into_owned())
        .unwrap_or_else(|_| raw.to_string())
}

/// IAM tags as terraform's `tags` map.
pub fn tag_map(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .map(|t| (t.key().to_string(), Value::from(t.value())))
            .collect(),
    )
}

/// A timestamp as the provider records it (RFC 3339, whole seconds, UTC).
fn date(value: Option<&DateTime>) -> Value {
    value
        .and_then(|d| time::OffsetDateTime::from_unix_timestamp(d.secs()).ok())
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_iam::types::{AttachedPolicy, PolicyDetail, PolicyVersion};

    #[test]
    fn documents_decode_from_url_encoding_or_pass_through_as_json() {
        let json = r#"{"Version":"2012-10-17","Statement":[]}"#;
        assert_eq!(decode_document(json), json);
        assert_eq!(
            decode_document("%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"),
            json
        );
        // A JSON document containing a literal percent sign is not decoded again.
        let with_percent = r#"{"Sid":"100%"}"#;
        assert_eq!(decode_document(with_percent), with_percent);
        // Invalid UTF-8 after decoding: kept as it came.
        assert_eq!(decode_document("%FF"), "%FF");
    }

    #[test]
    fn owners() {
        assert_eq!(role_owner(Some("/")), Owner::User);
        assert!(matches!(
            role_owner(Some(
                "/aws-service-role/elasticloadbalancing.amazonaws.com/"
            )),
            Owner::Aws(_)
        ));
        assert!(matches!(
            policy_owner("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            Owner::Aws(_)
        ));
        assert_eq!(
            policy_owner("arn:aws:iam::123456789012:policy/p"),
            Owner::User
        );
    }

    #[test]
    fn role_shape() {
        let detail = RoleDetail::builder()
            .role_name("app")
            .path("/")
            .arn("arn:aws:iam::123456789012:role/app")
            .assume_role_policy_document("%7B%7D")
            .role_policy_list(
                PolicyDetail::builder()
                    .policy_name("inline")
                    .policy_document("{\"a\":1}")
                    .build(),
            )
            .attached_managed_policies(
                AttachedPolicy::builder()
                    .policy_arn("arn:aws:iam::123456789012:policy/z")
                    .build(),
            )
            .attached_managed_policies(
                AttachedPolicy::builder()
                    .policy_arn("arn:aws:iam::123456789012:policy/a")
                    .build(),
            )
            .create_date(DateTime::from_secs(1_800_000_000))
            .build();
        let a = role_attributes(&detail, None);
        assert_eq!(a["assume_role_policy"], Value::from("{}"));
        assert_eq!(a["description"], Value::Null);
        assert_eq!(a["permissions_boundary"], Value::from(""));
        assert_eq!(a["create_date"], Value::from("2027-01-15T08:00:00Z"));
        assert_eq!(
            a["managed_policy_arns"],
            Value::from(vec![
                "arn:aws:iam::123456789012:policy/a",
                "arn:aws:iam::123456789012:policy/z"
            ])
        );
        let mut block = BTreeMap::new();
        block.insert("name".to_string(), Value::from("inline"));
        block.insert("policy".to_string(), Value::from("{\"a\":1}"));
        assert_eq!(a["inline_policy"], Value::List(vec![Value::Map(block)]));
    }

    #[test]
    fn policy_uses_the_default_version() {
        let policy = ManagedPolicyDetail::builder()
            .arn("arn:aws:iam::123456789012:policy/p")
            .policy_name("p")
            .default_version_id("v2")
            .policy_version_list(
                PolicyVersion::builder()
                    .version_id("v1")
                    .document("%7B%22old%22%3A1%7D")
                    .is_default_version(false)
                    .build(),
            )
            .policy_version_list(
                PolicyVersion::builder()
                    .version_id("v2")
                    .document("%7B%22new%22%3A1%7D")
                    .is_default_version(true)
                    .build(),
            )
            .build();
        let tags = vec![Tag::builder().key("team").value("core").build().unwrap()];
        let a = policy_attributes(&policy, Some(&tags));
        assert_eq!(a["policy"], Value::from("{\"new\":1}"));
        assert_eq!(a["id"], a["arn"]);
        assert_eq!(a["description"], Value::from(""));
        let mut want = BTreeMap::new();
        want.insert("team".to_string(), Value::from("core"));
        assert_eq!(a["tags"], Value::Map(want));
    }
}
