//! IAM (global): the service every IAM unit shares. Units live in `iam/` (one file per type or
//! family; build.rs lists them in [`UNITS`]), exactly as EC2's do.
//!
//! `GetAccountAuthorizationDetails` (1000 a page) returns users, roles, groups, customer managed
//! policies, their documents, tags, inline policies, attachments, group memberships and the
//! roles' instance profiles in one paginated sweep. An observation makes it once, lazily, when
//! the first unit that needs it asks ([`Cx::details`]), filtered to the entity kinds the asked
//! units need; every unit reads the same answer. What it lacks needs other calls, each owned by
//! its unit: `ListRoles` (a role's description and session duration), per-object reads
//! (`ListPolicyTags`, `ListAccessKeys`, `GetLoginProfile`, ...) bounded by one shared semaphore
//! ([`Cx::each`]) and counted for the progress bar.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::Arc;

use aws_sdk_iam::Client;
use aws_sdk_iam::primitives::DateTime;
use aws_sdk_iam::types::{
    AttachedPolicy, EntityType, GroupDetail, ManagedPolicyDetail, PolicyDetail, Role, RoleDetail,
    Tag, UserDetail,
};
use tokio::sync::{OnceCell, Semaphore};
use tokio::task::JoinSet;

use super::Found;
use super::calls::{Failure, failure_reason, gap};
use crate::model::{Attributes, ObservedResource, Owner, Value};

/// Page size of every IAM listing (the API's maximum).
pub const PAGE: i32 = 1000;
/// Per-object IAM reads in flight at once, over all units. IAM documents no per-API request
/// rate (see `pace`): bounded concurrency and adaptive retry only.
const PER_OBJECT_CONCURRENCY: usize = 8;

/// Every page of an IAM listing, or why not:
/// `iam_pages!(cx.client.list_instance_profiles().max_items(PAGE), instance_profiles)`.
macro_rules! iam_pages {
    ($request:expr, $items:ident) => {{
        let mut pages = $request.into_paginator().send();
        let mut items = Vec::new();
        let mut failed = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => items.extend(page.$items),
                Err(e) => {
                    failed = Some($crate::provider::aws::calls::failure_reason(&e));
                    break;
                }
            }
        }
        match failed {
            Some(reason) => Err(reason),
            None => Ok(items),
        }
    }};
}

/// A unit's executor `execute` for operations that each take the call's target and text
/// arguments of the call, by the SDK's setter names:
/// `iam_calls! { "AddUserToGroup" => add_user_to_group(group_name; user_name) }` sends
/// `client.add_user_to_group().group_name(&call.target).user_name(<argument user_name>)`.
/// A parameter given as `name: Type` is the text argument converted (`status: StatusType`
/// sends `StatusType::from(<argument status>)`). After a `;`, operations the unit sends itself:
/// `"TagRole" => tag_role`, an `async fn(&Client, &UnitCall, &Args) -> Result<(), String>`.
/// Any other operation is not the unit's.
macro_rules! iam_calls {
    ($($op:literal => $method:ident($target:ident; $($param:ident $(: $ty:ty)?),+)),+ $(,)?
     $(; $($own:literal => $send:path),+ $(,)?)?) => {
        fn execute<'a>(
            client: &'a aws_sdk_iam::Client,
            call: &'a $crate::model::plan::UnitCall,
            args: &'a $crate::provider::aws::iam::Args,
        ) -> $crate::provider::aws::iam::Executed<'a> {
            Box::pin(async move {
                match call.operation.as_str() {
                    $($op => client
                        .$method()
                        .$target(&call.target)
                        $(.$param(iam_arg!($($ty)?; $crate::provider::aws::iam::text_arg(args, stringify!($param))?)))+
                        .send()
                        .await
                        .map(|_| ())
                        .map_err($crate::provider::aws::iam::call_error),)+
                    $($($own => $send(client, call, args).await,)+)?
                    other => Err(format!("{other}: not an operation of this unit")),
                }
            })
        }
    };
}

/// A text argument of [`iam_calls!`], as is or converted to the setter's type.
macro_rules! iam_arg {
    (; $text:expr) => {
        $text
    };
    ($ty:ty; $text:expr) => {
        <$ty>::from($text.as_str())
    };
}

include!(concat!(env!("OUT_DIR"), "/iam_units.rs"));

/// An entity kind of `GetAccountAuthorizationDetails` a unit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Entities {
    Users,
    Roles,
    Groups,
    LocalManagedPolicies,
}

impl Entities {
    fn filter(self) -> EntityType {
        match self {
            Entities::Users => EntityType::User,
            Entities::Roles => EntityType::Role,
            Entities::Groups => EntityType::Group,
            Entities::LocalManagedPolicies => EntityType::LocalManagedPolicy,
        }
    }
}

/// One `GetAccountAuthorizationDetails` sweep.
#[derive(Debug, Default)]
pub struct Details {
    pub users: Vec<UserDetail>,
    pub roles: Vec<RoleDetail>,
    pub groups: Vec<GroupDetail>,
    pub policies: Vec<ManagedPolicyDetail>,
}

/// What a unit lists from: the client, the asked types, the objects whose per-object reads
/// matter, and the one authorization-details sweep of this observation.
pub struct Cx {
    pub client: Client,
    pub wanted: Arc<BTreeSet<String>>,
    pub progress: super::Progress,
    /// Per type, the only objects whose `read = "recorded"` attributes are read (by cloud id);
    /// a type not named here has them read for every object.
    pub per_object_reads: Arc<BTreeMap<String, BTreeSet<String>>>,
    filter: Vec<EntityType>,
    details: OnceCell<Result<Arc<Details>, Failure>>,
    permits: Arc<Semaphore>,
    /// Listings first: per-object reads wait until every unit has listed.
    gate: super::ListingGate,
    listings: std::sync::Mutex<BTreeMap<&'static str, super::Listing>>,
}

impl Cx {
    /// A context whose sweep asks for what `units` need.
    pub fn new(
        client: Client,
        wanted: Arc<BTreeSet<String>>,
        progress: super::Progress,
        per_object_reads: Arc<BTreeMap<String, BTreeSet<String>>>,
        units: &[&Unit],
    ) -> Cx {
        let needs: BTreeSet<Entities> =
            units.iter().flat_map(|u| u.needs.iter().copied()).collect();
        let gate = super::ListingGate::new(units.len());
        let listings = units.iter().map(|u| (u.label, gate.listing())).collect();
        Cx {
            client,
            wanted,
            progress,
            per_object_reads,
            filter: needs.into_iter().map(Entities::filter).collect(),
            details: OnceCell::new(),
            permits: Arc::new(Semaphore::new(PER_OBJECT_CONCURRENCY)),
            gate,
            listings: std::sync::Mutex::new(listings),
        }
    }

    /// The unit `label` has listed (its per-object reads, if any, come next). Idempotent.
    pub fn listed(&self, label: &str) {
        // A poisoned lock only means another unit panicked; the map is still sound.
        let mut listings = self
            .listings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        listings.remove(label);
    }

    /// Whether `resource_type` is asked.
    pub fn wants(&self, resource_type: &str) -> bool {
        self.wanted.contains(resource_type)
    }

    /// The asked types of `types`.
    pub fn asked(&self, types: &[&'static str]) -> Vec<&'static str> {
        types.iter().copied().filter(|t| self.wants(t)).collect()
    }

    /// Whether the per-object attributes of `resource_type`'s object `id` are read.
    pub fn reads(&self, resource_type: &str, id: &str) -> bool {
        self.per_object_reads
            .get(resource_type)
            .is_none_or(|ids| ids.contains(id))
    }

    /// The observation's `GetAccountAuthorizationDetails` sweep, made on first use and shared.
    pub async fn details(&self) -> Result<Arc<Details>, Failure> {
        self.details
            .get_or_init(|| async {
                authorization_details(&self.client, self.filter.clone())
                    .await
                    .map(Arc::new)
            })
            .await
            .clone()
    }

    /// The sweep, or the gap that stands for `types` when it failed.
    pub async fn details_or_gap(&self, types: &[&'static str]) -> Result<Arc<Details>, Found> {
        self.details().await.map_err(|reason| {
            Found::gap(gap(
                "iam",
                None,
                "GetAccountAuthorizationDetails",
                &self.asked(types),
                reason,
            ))
        })
    }

    /// The names of the sweep's users (units that read something per user), or the sweep's
    /// gap for `types`.
    pub async fn user_names(&self, types: &[&'static str]) -> Result<Vec<String>, Found> {
        let details = self.details_or_gap(types).await?;
        Ok(details
            .users
            .iter()
            .filter_map(|u| u.user_name())
            .map(str::to_string)
            .collect())
    }

    /// One per-object read for each of `keys` of the unit `label`, once every unit has
    /// listed (listings first), at most [`PER_OBJECT_CONCURRENCY`] in flight over every unit,
    /// each counted for the progress bar. A key whose read panicked has no answer (the caller
    /// reports it).
    pub async fn each<T, F, Fut>(
        &self,
        label: &str,
        keys: Vec<String>,
        call: F,
    ) -> BTreeMap<String, Result<T, Failure>>
    where
        F: Fn(Client, String) -> Fut,
        Fut: Future<Output = Result<T, Failure>> + Send + 'static,
        T: Send + 'static,
    {
        self.listed(label);
        self.gate.wait().await;
        (self.progress)(super::ProgressEvent::ReadsPlanned { reads: keys.len() });
        let mut calls = JoinSet::new();
        for key in keys {
            let permits = self.permits.clone();
            let progress = self.progress.clone();
            let read = call(self.client.clone(), key.clone());
            calls.spawn(async move {
                // The semaphore is never closed; should acquiring fail, running unbounded is
                // still correct.
                let _permit = permits.acquire_owned().await.ok();
                let _done = super::ReadDone(&progress);
                (key, read.await)
            });
        }
        let mut out = BTreeMap::new();
        while let Some(joined) = calls.join_next().await {
            if let Ok((key, result)) = joined {
                out.insert(key, result);
            }
        }
        out
    }

    /// The objects of type `ty` a listing named (`ids`, one call), as found: each this scan
    /// reads (`reads`) with its answer in `details` (`None`: gone since the listing, left
    /// out), a failed read as one gap of `operation` about `what id`, and each it does not
    /// read from the listing alone (`convert(id, None)`: unread attributes absent).
    pub fn emit_read<T>(
        &self,
        ty: &'static str,
        operation: &str,
        what: &str,
        ids: &[String],
        details: &BTreeMap<String, Result<Option<T>, Failure>>,
        convert: impl Fn(&str, Option<&T>) -> Attributes,
    ) -> Found {
        let mut found = Found::default();
        for id in ids {
            if !self.reads(ty, id) {
                found
                    .resources
                    .push(global(ty, id, Owner::User, convert(id, None)));
                continue;
            }
            match details.get(id) {
                Some(Ok(Some(out))) => {
                    found
                        .resources
                        .push(global(ty, id, Owner::User, convert(id, Some(out))));
                }
                Some(Ok(None)) => {}
                answer => found.gaps.push(Self::read_gap(
                    operation,
                    &[ty],
                    answer,
                    format!("{what} {id}"),
                )),
            }
        }
        found
    }

    /// The objects of type `ty` a listing named (`ids`) read one by one (`read`, for each this
    /// scan reads), as [`Cx::emit_read`] gives them.
    pub async fn read_each<T, F, Fut>(
        &self,
        (label, ty): (&str, &'static str),
        (operation, what): (&str, &str),
        ids: &[String],
        read: F,
        convert: impl Fn(&str, Option<&T>) -> Attributes,
    ) -> Found
    where
        F: Fn(Client, String) -> Fut,
        Fut: Future<Output = Result<Option<T>, Failure>> + Send + 'static,
        T: Send + 'static,
    {
        let read_ids: Vec<String> = ids
            .iter()
            .filter(|id| self.reads(ty, id))
            .cloned()
            .collect();
        let details = self.each(label, read_ids, read).await;
        self.emit_read(ty, operation, what, ids, &details, convert)
    }

    /// A gap for one failed per-object read.
    pub fn read_gap(
        operation: &str,
        types: &[&str],
        answer: Option<&Result<impl Sized, Failure>>,
        about: String,
    ) -> crate::model::Gap {
        match answer {
            Some(Err(reason)) => gap("iam", None, operation, types, reason.clone().about(about)),
            _ => gap(
                "iam",
                None,
                operation,
                types,
                format!("internal error: no answer for {about}"),
            ),
        }
    }
}

/// One IAM unit: the resource types it yields, what of the shared sweep it needs, its listing.
pub type Unit = super::unit::Unit<Cx, Client, Entities>;
pub use super::ec2::{Sample, call_error, text_arg};
pub use super::unit::{Args, Executed, Listed};
use crate::model::plan::{Arg, RevertInput, UnitCall};

/// A per-object read's answer: `None` when the object is gone since the listing
/// (`NoSuchEntity`), not a failure.
pub fn unless_gone<T, E, R>(
    answer: Result<T, aws_sdk_iam::error::SdkError<E, R>>,
) -> Result<Option<T>, Failure>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    match answer {
        Ok(out) => Ok(Some(out)),
        Err(e) if e.as_service_error().and_then(|s| s.code()) == Some("NoSuchEntity") => Ok(None),
        Err(e) => Err(failure_reason(&e)),
    }
}

/// A one-call listing's ARNs, or the gap of `operation` that stands for `types`.
pub fn listed_arns<E, R>(
    operation: &str,
    types: &[&str],
    answer: Result<Vec<String>, aws_sdk_iam::error::SdkError<E, R>>,
) -> Result<Vec<String>, Found>
where
    E: aws_sdk_iam::error::ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    answer.map_err(|e| Found::gap(gap("iam", None, operation, types, failure_reason(&e))))
}

/// A set attribute put back one member at a time on the object the recorded `target`
/// attribute names, the member as the call's `arg`: the `remove` calls (each observed member
/// not recorded) and the `add` calls (each recorded member not observed), for the unit to
/// order.
pub fn set_calls(
    input: &RevertInput<'_>,
    (target, attribute): (&str, &str),
    arg: &str,
    (remove, add): (&str, &str),
) -> Result<(Vec<UnitCall>, Vec<UnitCall>), String> {
    let target = input.recorded_text(target)?;
    let recorded = names(input.recorded.attributes.get(attribute));
    let observed = names(observed_value(input, attribute));
    let calls = |op: &str, members: std::collections::btree_set::Difference<'_, String>| {
        members
            .map(|m| UnitCall::new("iam", op, &target).arg(arg, Arg::text(m)))
            .collect::<Vec<_>>()
    };
    Ok((
        calls(remove, observed.difference(&recorded)),
        calls(add, recorded.difference(&observed)),
    ))
}

/// A key's status put back (`Inactive` again, or `Active`): `operation` on the key the
/// attribute `id` names, of the user `user` names (access keys, SSH keys).
pub fn key_status(
    input: &RevertInput<'_>,
    operation: &str,
    (id, user): (&str, &str),
) -> Result<Vec<UnitCall>, String> {
    let id = input.recorded_text(id)?;
    let user = input.recorded_text(user)?;
    let status = input.recorded_text("status")?;
    Ok(vec![
        UnitCall::new("iam", operation, &id)
            .arg("user_name", Arg::text(user))
            .arg("status", Arg::text(status)),
    ])
}

/// The names in a set attribute's value (a list of strings; null is none).
pub fn names(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        Some(Value::List(l)) => l
            .iter()
            .filter_map(|x| x.scalar_text())
            .filter(|x| !x.is_empty())
            .collect(),
        Some(Value::String(s)) if !s.is_empty() => [s.clone()].into(),
        _ => BTreeSet::new(),
    }
}

/// An attribute's observed value for a revert: the drift's observed side, else the observed
/// side of the change at the attribute's root.
pub fn observed_value<'a>(input: &'a RevertInput<'_>, attribute: &str) -> Option<&'a Value> {
    input
        .drift
        .observed
        .as_ref()
        .and_then(|o| o.get(attribute))
        .or_else(|| {
            input
                .changes
                .iter()
                .find(|c| c.path.attribute() == Some(attribute) && c.path.0.len() == 1)
                .map(|c| &c.after)
        })
}

/// Every IAM type, sorted.
pub fn all_types() -> Vec<&'static str> {
    let mut all: Vec<&str> = UNITS.iter().flat_map(|u| u.types.iter().copied()).collect();
    all.sort();
    all
}

/// Owns the `GetAccountAuthorizationDetails` sweep: every page of the entity kinds `filter`
/// names.
async fn authorization_details(
    client: &Client,
    filter: Vec<EntityType>,
) -> Result<Details, Failure> {
    let mut details = Details::default();
    if filter.is_empty() {
        return Ok(details);
    }
    let mut pages = client
        .get_account_authorization_details()
        .set_filter(Some(filter))
        .max_items(PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                details
                    .users
                    .extend(page.user_detail_list.unwrap_or_default());
                details
                    .roles
                    .extend(page.role_detail_list.unwrap_or_default());
                details
                    .groups
                    .extend(page.group_detail_list.unwrap_or_default());
                details.policies.extend(page.policies.unwrap_or_default());
            }
            Err(e) => return Err(failure_reason(&e)),
        }
    }
    Ok(details)
}

/// An IAM object (global: no region).
pub fn global(
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
    let document = default_document(policy);
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

/// A customer managed policy's default version document, decoded.
pub fn default_document(policy: &ManagedPolicyDetail) -> Option<String> {
    policy
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
        .map(decode_document)
}

/// Every customer managed policy's default document, by ARN.
pub fn documents_by_arn(policies: &[ManagedPolicyDetail]) -> BTreeMap<&str, String> {
    policies
        .iter()
        .filter_map(|p| Some((p.arn()?, default_document(p)?)))
        .collect()
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

/// The policy types of one kind of principal (`role`, `user`, `group`): its inline policies
/// (`aws_iam_<kind>_policy`) and its managed policy attachments
/// (`aws_iam_<kind>_policy_attachment`).
pub struct PolicyTypes {
    pub kind: &'static str,
    pub inline: &'static str,
    pub attachment: &'static str,
}

impl PolicyTypes {
    /// A principal's inline policies and managed policy attachments, as far as they are
    /// asked. An attachment carries the attached customer managed policy's document
    /// (`policy`, the spec's `context`) when `documents` has it.
    pub fn emit(
        &self,
        name: &str,
        owner: &Owner,
        (inline, attached): (&[PolicyDetail], &[AttachedPolicy]),
        documents: Option<&BTreeMap<&str, String>>,
        wanted: &BTreeSet<String>,
        found: &mut Found,
    ) {
        if wanted.contains(self.inline) {
            for policy in inline {
                let Some(policy_name) = policy.policy_name() else {
                    continue;
                };
                found.resources.push(global(
                    self.inline,
                    &format!("{name}:{policy_name}"),
                    owner.clone(),
                    inline_policy_attributes(
                        self.kind,
                        name,
                        policy_name,
                        policy.policy_document(),
                    ),
                ));
            }
        }
        if wanted.contains(self.attachment) {
            for policy in attached {
                let Some(arn) = policy.policy_arn() else {
                    continue;
                };
                let mut a = attachment_attributes(self.kind, name, arn);
                if let Some(document) = documents.and_then(|d| d.get(arn)) {
                    a.insert("policy".into(), document.as_str().into());
                }
                found.resources.push(global(
                    self.attachment,
                    &format!("{name}/{arn}"),
                    owner.clone(),
                    a,
                ));
            }
        }
    }

    /// The provider's documented import id of an inline policy (`PRINCIPAL:NAME`) or an
    /// attachment (`PRINCIPAL/POLICY_ARN`); `None` for another type.
    pub fn import_id(&self, resource: &ObservedResource) -> Option<String> {
        let s = |k: &str| text(resource, k);
        match resource.resource_type.as_str() {
            t if t == self.inline => Some(format!("{}:{}", s(self.kind), s("name"))),
            t if t == self.attachment => Some(format!("{}/{}", s(self.kind), s("policy_arn"))),
            _ => None,
        }
    }

    /// Each sample resource with its documented import id: the principal by its `name`, its
    /// policies as [`PolicyTypes::import_id`] says.
    pub fn samples(&self, found: Found) -> Vec<Sample> {
        found
            .resources
            .into_iter()
            .map(|resource| Sample {
                import_id: self
                    .import_id(&resource)
                    .unwrap_or_else(|| text(&resource, "name")),
                resource,
            })
            .collect()
    }
}

/// An attribute of an observed resource as text ("" when absent).
pub fn text(resource: &ObservedResource, key: &str) -> String {
    resource
        .attributes
        .get(key)
        .and_then(Value::scalar_text)
        .unwrap_or_default()
}

/// Sample parts the principals' units share, in account `owner`: a permissions boundary, a
/// tag, an inline policy, and a managed policy attached (`policy/<name>`).
pub mod sample {
    use aws_sdk_iam::types::{AttachedPermissionsBoundary, AttachedPolicy, PolicyDetail, Tag};

    pub fn boundary(owner: &str) -> AttachedPermissionsBoundary {
        AttachedPermissionsBoundary::builder()
            .permissions_boundary_arn(format!("arn:aws:iam::{owner}:policy/boundary"))
            .build()
    }

    pub fn tag() -> Tag {
        Tag::builder()
            .key("team")
            .value("core")
            .build()
            .expect("key and value are set")
    }

    pub fn inline() -> PolicyDetail {
        PolicyDetail::builder()
            .policy_name("inline")
            .policy_document("%7B%22Version%22%3A%222012-10-17%22%7D")
            .build()
    }

    pub fn attached(owner: &str, name: &str) -> AttachedPolicy {
        AttachedPolicy::builder()
            .policy_arn(format!("arn:aws:iam::{owner}:policy/{name}"))
            .build()
    }
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
pub fn date(value: Option<&DateTime>) -> Value {
    value
        .and_then(|d| time::OffsetDateTime::from_unix_timestamp(d.secs()).ok())
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .into()
}

/// A recorded resource and a changed drift of it, for unit revert tests.
#[cfg(test)]
pub fn revert_case(
    resource_type: &str,
    recorded: Vec<(&str, Value)>,
    changes: Vec<(&str, Value, Value)>,
) -> (crate::model::RecordedResource, crate::model::Drift) {
    use crate::model::{Address, Change, Drift, DriftKind, Path, RecordedResource, StateSource};
    let recorded = RecordedResource {
        address: Address::managed(resource_type, "this"),
        resource_type: resource_type.into(),
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        state: StateSource("terraform.tfstate".into()),
        schema_version: 0,
        attributes: recorded
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    };
    let drift = Drift {
        kind: DriftKind::Changed,
        resource_type: resource_type.into(),
        id: "x".into(),
        address: Some(recorded.address.clone()),
        state: Some(recorded.state.clone()),
        region: None,
        changes: changes
            .into_iter()
            .map(|(a, before, after)| Change::new(Path::root(a), before, after))
            .collect(),
        observed: None,
    };
    (recorded, drift)
}

/// The calls a revert plans for a case, as `Operation target arg=value ...` lines.
#[cfg(test)]
pub fn planned(
    plan: fn(&RevertInput<'_>) -> Result<Vec<UnitCall>, String>,
    case: &(crate::model::RecordedResource, crate::model::Drift),
) -> Vec<String> {
    let changes: Vec<&crate::model::Change> = case.1.changes.iter().collect();
    let input = RevertInput {
        drift: &case.1,
        recorded: &case.0,
        changes: &changes,
    };
    plan(&input)
        .unwrap()
        .into_iter()
        .map(|c| {
            let mut line = format!("{} {}", c.operation, c.target);
            for (k, a) in &c.args {
                match a {
                    crate::model::plan::Arg::Value(v) => {
                        line.push_str(&format!(" {k}={}", v.scalar_text().unwrap_or_default()))
                    }
                    crate::model::plan::Arg::FromState(_) => {
                        line.push_str(&format!(" {k}=<state>"))
                    }
                }
            }
            line
        })
        .collect()
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
    fn a_key_status_put_back() {
        // (unit, type, its recorded id and user attributes, the id, the call planned)
        let cases = [
            (
                &access_key::UNIT,
                access_key::ACCESS_KEY,
                ("id", "user"),
                "AKIA1",
                "UpdateAccessKey AKIA1 status=Inactive user_name=bob",
            ),
            (
                &ssh_key::UNIT,
                ssh_key::SSH_KEY,
                ("ssh_public_key_id", "username"),
                "APKA1",
                "UpdateSSHPublicKey APKA1 status=Inactive user_name=bob",
            ),
        ];
        for (unit, ty, (id_attribute, user_attribute), id, want) in cases {
            let case = revert_case(
                ty,
                vec![
                    (id_attribute, id.into()),
                    (user_attribute, "bob".into()),
                    ("status", "Inactive".into()),
                ],
                vec![("status", "Inactive".into(), "Active".into())],
            );
            assert_eq!(unit.reverts.len(), 1);
            assert_eq!(planned(unit.reverts[0].plan, &case), [want]);
        }
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
