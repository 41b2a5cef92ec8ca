//! EC2: VPCs, subnets, security groups and their rules, instances. One batched, paginated
//! `Describe*` per type and region (largest page size), plus `DescribeVpcAttribute` per VPC for
//! the two DNS flags no batch API returns. Conversion to the hashicorp/aws provider's state shape
//! lives here as pure functions.
//!
//! Ownership: a default VPC, default subnets and default security groups are AWS's; of a default
//! group's rules only the two AWS puts there (all traffic from the group itself, all traffic out)
//! are, every other rule is the account's. A default group is also seen as an
//! `aws_default_security_group` (the resource terraform adopts it with). A rule or permission with
//! no source driftgate can read becomes a `Gap`, never a dropped or guessed rule.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, Instance, IpPermission, SecurityGroup, SecurityGroupRule, Subnet, Tag, Vpc,
    VpcAttributeName,
};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::calls::{Failure, failure_reason, gap};
use super::{Found, types};
use crate::model::plan::{UnitCall, UnitRevert};
use crate::model::{Attributes, ObservedResource, Owner, Value};

/// Page size for every EC2 `Describe*` that takes `MaxResults` (the API's maximum).
const PAGE: i32 = 1000;
/// `DescribeVpcAttribute` calls in flight at once per region.
const VPC_ATTRIBUTE_CONCURRENCY: usize = 8;

/// The EC2 resource types this module observes.
pub const TYPES: &[&str] = &[
    types::VPC,
    types::SUBNET,
    types::SECURITY_GROUP,
    types::DEFAULT_SECURITY_GROUP,
    types::SECURITY_GROUP_RULE,
    types::INGRESS_RULE,
    types::EGRESS_RULE,
    types::INSTANCE,
];

// ---- units: one file per resource type (or family) under `ec2/` -------------------------------
//
// A unit is `ec2/<name>.rs` exporting `pub const UNIT: Unit`; build.rs declares its module
// and lists it in `UNITS`, so adding a type touches its spec and its unit, nothing else. The
// service (this file and `mod.rs`) owns what every unit shares: the region's client, the
// listing gate and pacing, pagination and turning a failed call into a gap ([`pages!`]).

/// Every page of a paginated EC2 `Describe*`, or the gap that stands for the types it feeds:
/// `pages!(cx, "DescribeRouteTables", TYPES, cx.client.describe_route_tables().max_results(PAGE), route_tables)`.
macro_rules! pages {
    ($cx:expr, $operation:literal, $types:expr, $request:expr, $items:ident) => {{
        let mut pages = $request.into_paginator().send();
        let mut items = Vec::new();
        let mut failed = None;
        while let Some(page) = pages.next().await {
            match page {
                Ok(page) => items.extend(page.$items.unwrap_or_default()),
                Err(e) => {
                    failed = Some($crate::provider::aws::calls::gap(
                        "ec2",
                        Some(&$cx.region),
                        $operation,
                        $types,
                        $crate::provider::aws::calls::failure_reason(&e),
                    ));
                    break;
                }
            }
        }
        match failed {
            Some(gap) => Err(gap),
            None => Ok(items),
        }
    }};
}

include!(concat!(env!("OUT_DIR"), "/ec2_units.rs"));

/// What a unit lists from: one region's client and the asked types.
pub struct Cx {
    pub client: Client,
    pub region: String,
    pub wanted: Arc<BTreeSet<String>>,
}

impl Cx {
    /// One object as an observed resource of this region.
    pub fn view(
        &self,
        resource_type: &str,
        cloud_id: &str,
        owner: Owner,
        attributes: Attributes,
    ) -> ObservedResource {
        view(
            resource_type,
            cloud_id,
            true,
            &self.region,
            owner,
            attributes,
        )
    }
}

/// A unit's listing in flight.
pub type Listed<'a> = std::pin::Pin<Box<dyn std::future::Future<Output = Found> + Send + 'a>>;

/// One EC2 unit: a batched, paginated listing and the resource types it yields.
pub struct Unit {
    /// For the progress bar and internal-error gaps (`route tables`).
    pub label: &'static str,
    /// The terraform types it yields; each has its spec under `providers/aws/ec2/`.
    pub types: &'static [&'static str],
    /// Lists the region's objects.
    pub list: for<'a> fn(&'a Cx) -> Listed<'a>,
    /// The unit's conversion run over SDK objects with every field it reads set, each with the
    /// import id the provider documents for it (`spec::tests::coherence` checks both against
    /// the spec).
    pub samples: fn() -> Vec<Sample>,
    /// The reverts it provides (`revert = "<name>"` in its types' specs). Each plans
    /// [`UnitCall`]s of this unit's `operations`.
    pub reverts: &'static [UnitRevert],
    /// The operations its calls use (`CreateRoute`); `execute` performs them.
    pub operations: &'static [&'static str],
    /// Performs one of its calls, arguments resolved (a sensitive one read from the state).
    pub execute: Execute,
}

/// A unit's executor: sends one [`UnitCall`] of its `operations`. `Err`: the AWS error code and
/// message (never a request body).
pub type Execute = for<'a> fn(&'a Client, &'a UnitCall, &'a Args) -> Executed<'a>;
/// A unit call's resolved arguments.
pub type Args = BTreeMap<String, Value>;
/// A unit call in flight.
pub type Executed<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<(), String>> + Send + 'a>>;

/// The executor of a unit that plans no calls.
pub fn executes_nothing<'a>(_: &'a Client, call: &'a UnitCall, _: &'a Args) -> Executed<'a> {
    let api = call.api();
    Box::pin(async move { Err(format!("{api}: this unit performs no operation")) })
}

/// Why a unit call failed, for a person: the AWS error code and message (never a request
/// body).
pub fn call_error<E, R>(e: aws_sdk_ec2::error::SdkError<E, R>) -> String
where
    E: aws_sdk_ec2::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    super::calls::write_error(&e)
}

/// A resolved argument as text; `Err` names the missing argument.
pub fn text_arg(args: &Args, name: &str) -> Result<String, String> {
    args.get(name)
        .and_then(Value::scalar_text)
        .ok_or_else(|| format!("the call has no `{name}`"))
}

/// An observed object made by a unit's conversion from a full SDK object, and its import id as
/// the provider documents it.
pub struct Sample {
    pub resource: ObservedResource,
    pub import_id: String,
}

impl Found {
    /// A listing that failed as a whole.
    pub fn gap(gap: crate::model::Gap) -> Found {
        Found {
            resources: Vec::new(),
            gaps: vec![gap],
        }
    }
}

/// Every EC2 type: the tasks' and the units'.
pub fn all_types() -> Vec<&'static str> {
    let mut all: Vec<&str> = TYPES
        .iter()
        .copied()
        .chain(UNITS.iter().flat_map(|u| u.types.iter().copied()))
        .collect();
    all.sort();
    all
}

/// One unit of concurrent work in one region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Task {
    Vpcs,
    Subnets,
    SecurityGroups,
    Instances,
}

impl Task {
    pub fn label(self) -> &'static str {
        match self {
            Task::Vpcs => "vpcs",
            Task::Subnets => "subnets",
            Task::SecurityGroups => "security groups",
            Task::Instances => "instances",
        }
    }

    /// The resource types this task can produce.
    pub fn types(self) -> &'static [&'static str] {
        match self {
            Task::Vpcs => &[types::VPC],
            Task::Subnets => &[types::SUBNET],
            Task::SecurityGroups => &[
                types::SECURITY_GROUP,
                types::DEFAULT_SECURITY_GROUP,
                types::SECURITY_GROUP_RULE,
                types::INGRESS_RULE,
                types::EGRESS_RULE,
            ],
            Task::Instances => &[types::INSTANCE],
        }
    }
}

/// The tasks needed for the asked types.
pub fn plan(wanted: &BTreeSet<String>) -> Vec<Task> {
    [
        Task::Vpcs,
        Task::Subnets,
        Task::SecurityGroups,
        Task::Instances,
    ]
    .into_iter()
    .filter(|t| t.types().iter().any(|ty| wanted.contains(*ty)))
    .collect()
}

/// How one region's per-object reads are scheduled: after every listing of the region
/// (`gate`; this task's own listing is `listing`), at the pace AWS allows (`pacer`), for the
/// VPCs in `vpc_attributes_for` (all when `None`), counted for the progress bar.
pub struct Schedule {
    pub listing: super::Listing,
    pub gate: super::ListingGate,
    pub pacer: super::pace::Pacer,
    pub progress: super::Progress,
    pub vpc_attributes_for: Option<Arc<BTreeSet<String>>>,
}

/// Runs one task in one region.
pub async fn run(
    client: Client,
    region: String,
    task: Task,
    wanted: Arc<BTreeSet<String>>,
    schedule: Schedule,
) -> Found {
    // Every task but `Vpcs` only lists: its `listing` is done when it returns.
    match task {
        Task::Vpcs => {
            let reads = VpcReads {
                gate: &schedule.gate,
                pacer: &schedule.pacer,
                only: schedule.vpc_attributes_for,
                progress: &schedule.progress,
            };
            vpcs(&client, &region, schedule.listing, reads).await
        }
        Task::Subnets => subnets(&client, &region).await,
        Task::SecurityGroups => security_groups(&client, &region, &wanted).await,
        Task::Instances => instances(&client, &region).await,
    }
}

fn view(
    resource_type: &str,
    cloud_id: &str,
    primary: bool,
    region: &str,
    owner: Owner,
    attributes: Attributes,
) -> ObservedResource {
    ObservedResource {
        resource_type: resource_type.to_string(),
        cloud_id: cloud_id.to_string(),
        primary,
        region: Some(region.to_string()),
        owner,
        attributes,
    }
}

// ---- VPCs ------------------------------------------------------------------------------------

/// [`Schedule`], as the VPC task uses it.
struct VpcReads<'a> {
    gate: &'a super::ListingGate,
    pacer: &'a super::pace::Pacer,
    only: Option<Arc<BTreeSet<String>>>,
    progress: &'a super::Progress,
}

async fn vpcs(
    client: &Client,
    region: &str,
    listing: super::Listing,
    reads: VpcReads<'_>,
) -> Found {
    let mut found = Found::default();
    let mut vpcs = Vec::new();
    let mut pages = client
        .describe_vpcs()
        .max_results(PAGE)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => vpcs.extend(page.vpcs.unwrap_or_default()),
            Err(e) => {
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeVpcs",
                    &[types::VPC],
                    failure_reason(&e),
                ));
                return found;
            }
        }
    }

    // The DNS flags: one call per VPC and attribute, bounded, concurrently, once every listing
    // of this region is done (listings first).
    drop(listing);
    reads.gate.wait().await;
    let permits = Arc::new(Semaphore::new(VPC_ATTRIBUTE_CONCURRENCY));
    let mut calls = JoinSet::new();
    let read: Vec<&str> = vpcs
        .iter()
        .filter_map(|vpc| vpc.vpc_id())
        // No read that cannot matter: only the VPCs a state records, when the caller says so.
        .filter(|id| reads.only.as_ref().is_none_or(|ids| ids.contains(*id)))
        .collect();
    (reads.progress)(super::ProgressEvent::ReadsPlanned {
        reads: read.len() * 2,
    });
    for id in read {
        for attribute in [
            VpcAttributeName::EnableDnsSupport,
            VpcAttributeName::EnableDnsHostnames,
        ] {
            let (client, permits, id) = (client.clone(), permits.clone(), id.to_string());
            let (pacer, region, progress) = (
                reads.pacer.clone(),
                region.to_string(),
                reads.progress.clone(),
            );
            calls.spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail; if it ever did,
                // running unbounded is still correct.
                let _permit = permits.acquire_owned().await.ok();
                pacer
                    .take("ec2", Some(&region), "DescribeVpcAttribute")
                    .await;
                let _done = super::ReadDone(&progress);
                let result = client
                    .describe_vpc_attribute()
                    .vpc_id(&id)
                    .attribute(attribute.clone())
                    .send()
                    .await;
                let result = match result {
                    Ok(out) => Ok(match attribute {
                        VpcAttributeName::EnableDnsSupport => {
                            out.enable_dns_support().and_then(|v| v.value())
                        }
                        _ => out.enable_dns_hostnames().and_then(|v| v.value()),
                    }),
                    Err(e) => Err(failure_reason(&e)),
                };
                (id, attribute, result)
            });
        }
    }
    let mut dns: BTreeMap<String, (Option<bool>, Option<bool>)> = BTreeMap::new();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    while let Some(joined) = calls.join_next().await {
        let (id, attribute, result) = match joined {
            Ok(v) => v,
            Err(e) => {
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeVpcAttribute",
                    &[types::VPC],
                    format!("internal error: {e}"),
                ));
                continue;
            }
        };
        match result {
            Ok(value) => {
                let entry = dns.entry(id).or_default();
                match attribute {
                    VpcAttributeName::EnableDnsSupport => entry.0 = value,
                    _ => entry.1 = value,
                }
            }
            Err(reason) => {
                if failed.insert(id.clone()) {
                    found.gaps.push(gap(
                        "ec2",
                        Some(region),
                        "DescribeVpcAttribute",
                        &[types::VPC],
                        reason.about(format!("vpc {id}")),
                    ));
                }
            }
        }
    }
    for vpc in &vpcs {
        let Some(id) = vpc.vpc_id() else { continue };
        // A VPC whose flags could not be read is left out: its gap says so, and emitting it
        // with guessed flags would report drift that is not there.
        if failed.contains(id) {
            continue;
        }
        let (support, hostnames) = dns.get(id).copied().unwrap_or_default();
        let owner = if vpc.is_default() == Some(true) {
            Owner::Aws("default VPC".into())
        } else {
            Owner::User
        };
        let mut attributes = vpc_attributes(vpc, region, support, hostnames);
        if !dns.contains_key(id) {
            // Not read (no state records it): absent, never a guessed value.
            attributes.remove("enable_dns_support");
            attributes.remove("enable_dns_hostnames");
        }
        found
            .resources
            .push(view(types::VPC, id, true, region, owner, attributes));
    }
    found
}

/// An `aws_vpc` as the provider records it. The DNS flags come from `DescribeVpcAttribute`.
pub fn vpc_attributes(
    vpc: &Vpc,
    region: &str,
    enable_dns_support: Option<bool>,
    enable_dns_hostnames: Option<bool>,
) -> Attributes {
    let id = vpc.vpc_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, vpc.owner_id(), &format!("vpc/{id}")).into(),
    );
    a.insert("cidr_block".into(), vpc.cidr_block().into());
    a.insert(
        "instance_tenancy".into(),
        vpc.instance_tenancy().map(|t| t.as_str()).into(),
    );
    a.insert("enable_dns_support".into(), enable_dns_support.into());
    a.insert("enable_dns_hostnames".into(), enable_dns_hostnames.into());
    a.insert("dhcp_options_id".into(), vpc.dhcp_options_id().into());
    a.insert("owner_id".into(), vpc.owner_id().into());
    a.insert("tags".into(), tag_map(vpc.tags()));
    a
}

// ---- subnets ---------------------------------------------------------------------------------

async fn subnets(client: &Client, region: &str) -> Found {
    let mut found = Found::default();
    let mut pages = client
        .describe_subnets()
        .max_results(PAGE)
        .into_paginator()
        .send();
    let mut subnets = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => subnets.extend(page.subnets.unwrap_or_default()),
            Err(e) => {
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeSubnets",
                    &[types::SUBNET],
                    failure_reason(&e),
                ));
                return found;
            }
        }
    }
    for subnet in &subnets {
        let Some(id) = subnet.subnet_id() else {
            continue;
        };
        let owner = if subnet.default_for_az() == Some(true) {
            Owner::Aws("default subnet".into())
        } else {
            Owner::User
        };
        found.resources.push(view(
            types::SUBNET,
            id,
            true,
            region,
            owner,
            subnet_attributes(subnet, region),
        ));
    }
    found
}

/// An `aws_subnet` as the provider records it.
pub fn subnet_attributes(subnet: &Subnet, region: &str) -> Attributes {
    let id = subnet.subnet_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    let arn_value = subnet
        .subnet_arn()
        .map(str::to_string)
        .unwrap_or_else(|| arn(region, subnet.owner_id(), &format!("subnet/{id}")));
    a.insert("arn".into(), arn_value.into());
    a.insert("vpc_id".into(), subnet.vpc_id().into());
    a.insert("cidr_block".into(), subnet.cidr_block().into());
    a.insert(
        "availability_zone".into(),
        subnet.availability_zone().into(),
    );
    a.insert(
        "availability_zone_id".into(),
        subnet.availability_zone_id().into(),
    );
    a.insert(
        "map_public_ip_on_launch".into(),
        subnet.map_public_ip_on_launch().into(),
    );
    a.insert(
        "assign_ipv6_address_on_creation".into(),
        subnet.assign_ipv6_address_on_creation().into(),
    );
    // The provider records the associated IPv6 block, "" when there is none.
    let ipv6 = subnet
        .ipv6_cidr_block_association_set()
        .iter()
        .find(|assoc| {
            assoc
                .ipv6_cidr_block_state()
                .and_then(|s| s.state())
                .is_some_and(|s| s.as_str() == "associated")
        })
        .and_then(|assoc| assoc.ipv6_cidr_block())
        .unwrap_or("");
    a.insert("ipv6_cidr_block".into(), ipv6.into());
    a.insert("owner_id".into(), subnet.owner_id().into());
    a.insert("tags".into(), tag_map(subnet.tags()));
    a
}

// ---- security groups and rules ----------------------------------------------------------------

async fn security_groups(client: &Client, region: &str, wanted: &BTreeSet<String>) -> Found {
    let group_types: Vec<&str> = [types::SECURITY_GROUP, types::DEFAULT_SECURITY_GROUP]
        .into_iter()
        .filter(|t| wanted.contains(*t))
        .collect();
    let want_groups = !group_types.is_empty();
    let rule_types: Vec<&str> = [
        types::SECURITY_GROUP_RULE,
        types::INGRESS_RULE,
        types::EGRESS_RULE,
    ]
    .into_iter()
    .filter(|t| wanted.contains(*t))
    .collect();

    let (groups, rules) = tokio::join!(
        describe_groups(client, want_groups),
        describe_rules(client, !rule_types.is_empty())
    );

    let mut found = Found::default();
    let groups = match groups {
        Ok(groups) => groups,
        Err(reason) => {
            // Without the groups, neither the groups nor the ownership of rules is known.
            let mut lost: Vec<&str> = rule_types.clone();
            lost.extend(&group_types);
            found.gaps.push(gap(
                "ec2",
                Some(region),
                "DescribeSecurityGroups",
                &lost,
                reason,
            ));
            if let Err(reason) = rules {
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeSecurityGroupRules",
                    &rule_types,
                    reason,
                ));
            }
            return found;
        }
    };
    let default_groups: BTreeSet<&str> = groups
        .iter()
        .filter(|g| g.group_name() == Some("default"))
        .filter_map(|g| g.group_id())
        .collect();

    if want_groups {
        emit_groups(
            &groups,
            &default_groups,
            &group_types,
            region,
            wanted,
            &mut found,
        );
    }
    match rules {
        Ok(rules) => emit_rules(
            &rules,
            &default_groups,
            &rule_types,
            region,
            wanted,
            &mut found,
        ),
        Err(reason) => found.gaps.push(gap(
            "ec2",
            Some(region),
            "DescribeSecurityGroupRules",
            &rule_types,
            reason,
        )),
    }
    found
}

/// Owns the `DescribeSecurityGroups` sweep. Rules need to know whether their group is a
/// default group (AWS's own default rules of a default group are AWS's). When groups are not
/// asked for, list only the default groups, which is one small page.
async fn describe_groups(
    client: &Client,
    want_groups: bool,
) -> Result<Vec<SecurityGroup>, Failure> {
    let mut request = client.describe_security_groups().max_results(PAGE);
    if !want_groups {
        request = request.filters(
            Filter::builder()
                .name("group-name")
                .values("default")
                .build(),
        );
    }
    let mut pages = request.into_paginator().send();
    let mut groups = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => groups.extend(page.security_groups.unwrap_or_default()),
            Err(e) => return Err(failure_reason(&e)),
        }
    }
    Ok(groups)
}

/// Owns the `DescribeSecurityGroupRules` sweep (none when no rule type is asked).
async fn describe_rules(
    client: &Client,
    want_rules: bool,
) -> Result<Vec<SecurityGroupRule>, Failure> {
    if !want_rules {
        return Ok(Vec::new());
    }
    let mut pages = client
        .describe_security_group_rules()
        .max_results(PAGE)
        .into_paginator()
        .send();
    let mut rules = Vec::new();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => rules.extend(page.security_group_rules.unwrap_or_default()),
            Err(e) => return Err(failure_reason(&e)),
        }
    }
    Ok(rules)
}

/// Owns group views: each group as an `aws_security_group` and, for a default group, as an
/// `aws_default_security_group`; a group whose rules cannot be read is a gap.
pub(crate) fn emit_groups(
    groups: &[SecurityGroup],
    default_groups: &BTreeSet<&str>,
    group_types: &[&str],
    region: &str,
    wanted: &BTreeSet<String>,
    found: &mut Found,
) {
    for group in groups {
        let Some(id) = group.group_id() else { continue };
        let attributes = match security_group_attributes(group, region) {
            Ok(a) => a,
            Err(unreadable) => {
                // Emitting the group without the rule would hide it; with a guessed one
                // would invent drift. The group's type is not checked in this region.
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeSecurityGroups",
                    group_types,
                    format!("security group {id}: {unreadable}"),
                ));
                continue;
            }
        };
        let default = default_groups.contains(id);
        let owner = if default {
            Owner::Aws("default security group".into())
        } else {
            Owner::User
        };
        if wanted.contains(types::SECURITY_GROUP) {
            found.resources.push(view(
                types::SECURITY_GROUP,
                id,
                true,
                region,
                owner.clone(),
                attributes.clone(),
            ));
        }
        // A default group is also what an `aws_default_security_group` manages: a second
        // view of the same object (the same state shape), so a recorded one matches it.
        if default && wanted.contains(types::DEFAULT_SECURITY_GROUP) {
            found.resources.push(view(
                types::DEFAULT_SECURITY_GROUP,
                id,
                !wanted.contains(types::SECURITY_GROUP),
                region,
                owner,
                attributes,
            ));
        }
    }
}

/// Owns rule views: each rule as its ingress/egress rule and as an `aws_security_group_rule`,
/// owned by AWS only when it is AWS's default rule of a default group; a rule with no source
/// is a gap.
pub(crate) fn emit_rules(
    rules: &[SecurityGroupRule],
    default_groups: &BTreeSet<&str>,
    rule_types: &[&str],
    region: &str,
    wanted: &BTreeSet<String>,
    found: &mut Found,
) {
    for rule in rules {
        let Some(id) = rule.security_group_rule_id() else {
            continue;
        };
        if !has_source(rule) {
            found.gaps.push(gap(
                "ec2",
                Some(region),
                "DescribeSecurityGroupRules",
                rule_types,
                format!(
                    "rule {id} of {}: {}",
                    rule.group_id().unwrap_or("?"),
                    NO_SOURCE
                ),
            ));
            continue;
        }
        let in_default_group = rule.group_id().is_some_and(|g| default_groups.contains(g));
        let owner = if in_default_group && is_aws_default_rule(rule) {
            Owner::Aws("default rule of a default security group".into())
        } else {
            Owner::User
        };
        let egress = rule.is_egress() == Some(true);
        let primary_type = if egress {
            types::EGRESS_RULE
        } else {
            types::INGRESS_RULE
        };
        if wanted.contains(primary_type) {
            found.resources.push(view(
                primary_type,
                id,
                true,
                region,
                owner.clone(),
                vpc_rule_attributes(rule, region),
            ));
        }
        if wanted.contains(types::SECURITY_GROUP_RULE) {
            found.resources.push(view(
                types::SECURITY_GROUP_RULE,
                id,
                !wanted.contains(primary_type),
                region,
                owner,
                legacy_rule_attributes(rule),
            ));
        }
    }
}

/// Why a rule with no source cannot be compared.
const NO_SOURCE: &str = "a rule with no source driftgate recognises (IPv4 CIDR, IPv6 CIDR, \
                         prefix list or security group); it cannot be compared";

/// Whether an EC2 rule names one source driftgate can compare.
fn has_source(rule: &SecurityGroupRule) -> bool {
    rule.cidr_ipv4().is_some()
        || rule.cidr_ipv6().is_some()
        || rule.prefix_list_id().is_some()
        || rule
            .referenced_group_info()
            .and_then(|r| r.group_id())
            .is_some()
}

/// Whether a rule of a default security group is one AWS itself puts there: all traffic in
/// from the group itself, or all traffic out to the IPv4 (or, where the VPC has IPv6, the IPv6)
/// internet. Any other rule of a default group is the account's doing.
pub fn is_aws_default_rule(rule: &SecurityGroupRule) -> bool {
    if protocol_name(rule.ip_protocol().unwrap_or("")) != "-1" {
        return false;
    }
    let referenced = rule.referenced_group_info().and_then(|r| r.group_id());
    let no_cidr = rule.cidr_ipv4().is_none() && rule.cidr_ipv6().is_none();
    let no_prefix = rule.prefix_list_id().is_none();
    if rule.is_egress() == Some(true) {
        referenced.is_none()
            && no_prefix
            && matches!(
                (rule.cidr_ipv4(), rule.cidr_ipv6()),
                (Some("0.0.0.0/0"), None) | (None, Some("::/0"))
            )
    } else {
        no_cidr && no_prefix && referenced.is_some() && referenced == rule.group_id()
    }
}

/// An `aws_security_group` (or `aws_default_security_group`) as the provider records it,
/// inline rules included. Fails on a permission with no source it can read.
pub fn security_group_attributes(
    group: &SecurityGroup,
    region: &str,
) -> Result<Attributes, &'static str> {
    let id = group.group_id().unwrap_or_default();
    let owner_id = group.owner_id();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    let arn_value = group
        .security_group_arn()
        .map(str::to_string)
        .unwrap_or_else(|| arn(region, owner_id, &format!("security-group/{id}")));
    a.insert("arn".into(), arn_value.into());
    a.insert("name".into(), group.group_name().into());
    a.insert("description".into(), group.description().into());
    a.insert("vpc_id".into(), group.vpc_id().into());
    a.insert("owner_id".into(), owner_id.into());
    a.insert("tags".into(), tag_map(group.tags()));
    a.insert(
        "ingress".into(),
        flatten_ip_permissions(group.ip_permissions(), id, owner_id)?,
    );
    a.insert(
        "egress".into(),
        flatten_ip_permissions(group.ip_permissions_egress(), id, owner_id)?,
    );
    Ok(a)
}

/// EC2's `IpPermissions` as the provider's `ingress` / `egress` blocks: one block per source
/// (CIDR, IPv6 CIDR, prefix list, group pair), every key present, a pair naming the group itself
/// as `self = true`, a pair in another account as `ACCOUNT/sg-...`. Absent ports are 0 (EC2
/// omits them for protocol `-1`). Sorted, since terraform holds them as a set. A permission
/// with no source is an error in the data, never dropped.
pub fn flatten_ip_permissions(
    permissions: &[IpPermission],
    group_id: &str,
    owner_id: Option<&str>,
) -> Result<Value, &'static str> {
    let mut blocks = Vec::new();
    for perm in permissions {
        if perm.ip_ranges().is_empty()
            && perm.ipv6_ranges().is_empty()
            && perm.prefix_list_ids().is_empty()
            && perm.user_id_group_pairs().is_empty()
        {
            return Err(NO_SOURCE);
        }
        let protocol = protocol_name(perm.ip_protocol().unwrap_or("-1"));
        let from_port = perm.from_port().unwrap_or(0);
        let to_port = perm.to_port().unwrap_or(0);
        let block = |description: Option<&str>| {
            let mut b = BTreeMap::new();
            b.insert("cidr_blocks".to_string(), Value::List(vec![]));
            b.insert("description".to_string(), description.unwrap_or("").into());
            b.insert("from_port".to_string(), from_port.into());
            b.insert("ipv6_cidr_blocks".to_string(), Value::List(vec![]));
            b.insert("prefix_list_ids".to_string(), Value::List(vec![]));
            b.insert("protocol".to_string(), protocol.clone().into());
            b.insert("security_groups".to_string(), Value::List(vec![]));
            b.insert("self".to_string(), false.into());
            b.insert("to_port".to_string(), to_port.into());
            b
        };
        for range in perm.ip_ranges() {
            let mut b = block(range.description());
            b.insert("cidr_blocks".into(), vec![range.cidr_ip()].into());
            blocks.push(Value::Map(b));
        }
        for range in perm.ipv6_ranges() {
            let mut b = block(range.description());
            b.insert("ipv6_cidr_blocks".into(), vec![range.cidr_ipv6()].into());
            blocks.push(Value::Map(b));
        }
        for prefix in perm.prefix_list_ids() {
            let mut b = block(prefix.description());
            b.insert(
                "prefix_list_ids".into(),
                vec![prefix.prefix_list_id()].into(),
            );
            blocks.push(Value::Map(b));
        }
        for pair in perm.user_id_group_pairs() {
            let mut b = block(pair.description());
            let pair_group = pair.group_id().unwrap_or_default();
            if pair_group == group_id {
                b.insert("self".into(), true.into());
            } else {
                let name = match (pair.user_id(), owner_id) {
                    (Some(user), Some(owner)) if user != owner => format!("{user}/{pair_group}"),
                    _ => pair_group.to_string(),
                };
                b.insert("security_groups".into(), vec![name].into());
            }
            blocks.push(Value::Map(b));
        }
    }
    blocks.sort();
    Ok(Value::List(blocks))
}

/// The primary view of one EC2 rule: `aws_vpc_security_group_ingress_rule` /
/// `aws_vpc_security_group_egress_rule`. Ports are EC2's (-1 for protocol `-1`).
pub fn vpc_rule_attributes(rule: &SecurityGroupRule, region: &str) -> Attributes {
    let id = rule.security_group_rule_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert("security_group_rule_id".into(), id.into());
    // moto gap: moto omits SecurityGroupRuleArn; build it as the provider does.
    let arn_value = rule
        .security_group_rule_arn()
        .map(str::to_string)
        .unwrap_or_else(|| {
            arn(
                region,
                rule.group_owner_id(),
                &format!("security-group-rule/{id}"),
            )
        });
    a.insert("arn".into(), arn_value.into());
    a.insert("security_group_id".into(), rule.group_id().into());
    a.insert("ip_protocol".into(), rule.ip_protocol().into());
    a.insert("from_port".into(), rule.from_port().into());
    a.insert("to_port".into(), rule.to_port().into());
    a.insert("cidr_ipv4".into(), rule.cidr_ipv4().into());
    a.insert("cidr_ipv6".into(), rule.cidr_ipv6().into());
    a.insert("prefix_list_id".into(), rule.prefix_list_id().into());
    a.insert(
        "referenced_security_group_id".into(),
        rule.referenced_group_info()
            .and_then(|r| r.group_id())
            .into(),
    );
    a.insert("description".into(), rule.description().into());
    a.insert("tags".into(), tag_map(rule.tags()));
    a
}

/// The `aws_security_group_rule` view of one EC2 rule. One terraform `aws_security_group_rule`
/// may stand for several EC2 rules; each EC2 rule is one view here, with one-element source
/// lists. The provider reads this resource back from `DescribeSecurityGroups`, where protocol
/// `-1` has no ports, and records 0 for them; so does this view.
pub fn legacy_rule_attributes(rule: &SecurityGroupRule) -> Attributes {
    let group_id = rule.group_id();
    let protocol = protocol_name(rule.ip_protocol().unwrap_or("-1"));
    let (from_port, to_port) = if protocol == "-1" {
        (Some(0), Some(0))
    } else {
        (rule.from_port(), rule.to_port())
    };
    let one = |v: Option<&str>| Value::List(v.map(Value::from).into_iter().collect());
    let referenced = rule.referenced_group_info().and_then(|r| r.group_id());
    let is_self = referenced.is_some() && referenced == group_id;
    let mut a = Attributes::new();
    a.insert("security_group_id".into(), group_id.into());
    a.insert(
        "type".into(),
        if rule.is_egress() == Some(true) {
            "egress"
        } else {
            "ingress"
        }
        .into(),
    );
    a.insert("protocol".into(), protocol.into());
    a.insert("from_port".into(), from_port.into());
    a.insert("to_port".into(), to_port.into());
    a.insert("cidr_blocks".into(), one(rule.cidr_ipv4()));
    a.insert("ipv6_cidr_blocks".into(), one(rule.cidr_ipv6()));
    a.insert("prefix_list_ids".into(), one(rule.prefix_list_id()));
    a.insert(
        "source_security_group_id".into(),
        if is_self { None } else { referenced }.into(),
    );
    a.insert("self".into(), is_self.into());
    a.insert("description".into(), rule.description().into());
    a
}

/// The provider's protocol normalization (`protocolForValue`): lower case, `all` is `-1`, and the
/// common protocol numbers become their names.
pub fn protocol_name(protocol: &str) -> String {
    let p = protocol.to_ascii_lowercase();
    match p.as_str() {
        "all" | "-1" => "-1".into(),
        "1" => "icmp".into(),
        "2" => "igmp".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "47" => "gre".into(),
        "50" => "esp".into(),
        "51" => "ah".into(),
        "58" => "icmpv6".into(),
        _ => p,
    }
}

// ---- instances -------------------------------------------------------------------------------

async fn instances(client: &Client, region: &str) -> Found {
    let mut found = Found::default();
    // Terminated and shutting-down instances are gone: filtered server-side, and again below.
    let mut pages = client
        .describe_instances()
        .max_results(PAGE)
        .filters(
            Filter::builder()
                .name("instance-state-name")
                .values("pending")
                .values("running")
                .values("stopping")
                .values("stopped")
                .build(),
        )
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                for reservation in page.reservations() {
                    for instance in reservation.instances() {
                        let Some(id) = instance.instance_id() else {
                            continue;
                        };
                        let state = instance
                            .state()
                            .and_then(|s| s.name())
                            .map(|n| n.as_str())
                            .unwrap_or("");
                        if state == "terminated" || state == "shutting-down" {
                            continue;
                        }
                        found.resources.push(view(
                            types::INSTANCE,
                            id,
                            true,
                            region,
                            Owner::User,
                            instance_attributes(instance, reservation.owner_id(), region),
                        ));
                    }
                }
            }
            Err(e) => {
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeInstances",
                    &[types::INSTANCE],
                    failure_reason(&e),
                ));
                // Nothing of a half-read listing is emitted: the gap covers the region.
                found.resources.clear();
                return found;
            }
        }
    }
    found
}

/// An `aws_instance` as the provider records it.
pub fn instance_attributes(
    instance: &Instance,
    owner_id: Option<&str>,
    region: &str,
) -> Attributes {
    let id = instance.instance_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, owner_id, &format!("instance/{id}")).into(),
    );
    a.insert("ami".into(), instance.image_id().into());
    a.insert(
        "instance_type".into(),
        instance.instance_type().map(|t| t.as_str()).into(),
    );
    a.insert("subnet_id".into(), instance.subnet_id().into());
    let placement = instance.placement();
    a.insert(
        "availability_zone".into(),
        placement.and_then(|p| p.availability_zone()).into(),
    );
    a.insert(
        "tenancy".into(),
        placement
            .and_then(|p| p.tenancy())
            .map(|t| t.as_str())
            .into(),
    );
    // In a VPC the provider records group ids in `vpc_security_group_ids` and leaves
    // `security_groups` (names, EC2-Classic style) empty.
    let mut group_ids: Vec<&str> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    group_ids.sort();
    a.insert("vpc_security_group_ids".into(), group_ids.into());
    a.insert("key_name".into(), instance.key_name().unwrap_or("").into());
    a.insert(
        "iam_instance_profile".into(),
        instance
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(instance_profile_name)
            .unwrap_or("")
            .into(),
    );
    a.insert("private_ip".into(), instance.private_ip_address().into());
    a.insert("private_dns".into(), instance.private_dns_name().into());
    a.insert(
        "public_ip".into(),
        instance.public_ip_address().unwrap_or("").into(),
    );
    // moto gap: moto may omit SourceDestCheck / EbsOptimized / Monitoring; they stay null.
    a.insert(
        "source_dest_check".into(),
        instance.source_dest_check().into(),
    );
    a.insert(
        "monitoring".into(),
        instance
            .monitoring()
            .and_then(|m| m.state())
            .map(|s| matches!(s.as_str(), "enabled" | "pending"))
            .into(),
    );
    a.insert("ebs_optimized".into(), instance.ebs_optimized().into());
    a.insert(
        "instance_state".into(),
        instance
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str())
            .into(),
    );
    let primary_eni = instance
        .network_interfaces()
        .iter()
        .find(|eni| eni.attachment().and_then(|att| att.device_index()) == Some(0))
        .and_then(|eni| eni.network_interface_id());
    a.insert("primary_network_interface_id".into(), primary_eni.into());
    a.insert("tags".into(), tag_map(instance.tags()));
    a
}

/// The profile name from an instance profile ARN
/// (`arn:aws:iam::123456789012:instance-profile/path/name` -> `name`), as the provider records
/// `iam_instance_profile`.
pub fn instance_profile_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.rsplit('/').next().unwrap_or(resource)
}

// ---- shared helpers --------------------------------------------------------------------------

/// EC2 tags as terraform's `tags` map (empty when there are none).
pub fn tag_map(tags: &[Tag]) -> Value {
    Value::Map(
        tags.iter()
            .filter_map(|t| Some((t.key()?.to_string(), Value::from(t.value().unwrap_or("")))))
            .collect(),
    )
}

/// The partition of a region: `aws`, `aws-cn`, `aws-us-gov`.
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// An EC2 ARN as the provider builds it for objects the API returns no ARN for.
fn arn(region: &str, owner_id: Option<&str>, resource: &str) -> String {
    format!(
        "arn:{}:ec2:{region}:{}:{resource}",
        partition(region),
        owner_id.unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{
        IpRange, Ipv6Range, PrefixListId, ReferencedSecurityGroup, UserIdGroupPair,
    };

    fn block(entries: &[(&str, Value)]) -> Value {
        let mut b = BTreeMap::new();
        for (k, v) in [
            ("cidr_blocks", Value::List(vec![])),
            ("description", Value::from("")),
            ("ipv6_cidr_blocks", Value::List(vec![])),
            ("prefix_list_ids", Value::List(vec![])),
            ("security_groups", Value::List(vec![])),
            ("self", Value::from(false)),
        ] {
            b.insert(k.to_string(), v);
        }
        for (k, v) in entries {
            b.insert(k.to_string(), v.clone());
        }
        Value::Map(b)
    }

    #[test]
    fn ip_permissions_flatten_one_block_per_source() {
        let perms = vec![
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .description("world")
                        .build(),
                )
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
            IpPermission::builder()
                .ip_protocol("6")
                .from_port(22)
                .to_port(22)
                .user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id("sg-self")
                        .user_id("111")
                        .build(),
                )
                .user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id("sg-other")
                        .user_id("222")
                        .build(),
                )
                .prefix_list_ids(PrefixListId::builder().prefix_list_id("pl-1").build())
                .build(),
        ];
        let got = flatten_ip_permissions(&perms, "sg-self", Some("111")).unwrap();
        let tcp = |from: i32, extra: &[(&str, Value)]| {
            let mut entries = vec![
                ("protocol", Value::from("tcp")),
                ("from_port", Value::from(from)),
                ("to_port", Value::from(from)),
            ];
            entries.extend(extra.iter().cloned());
            block(&entries)
        };
        let mut want = vec![
            tcp(443, &[("cidr_blocks", vec!["10.0.0.0/8"].into())]),
            tcp(
                443,
                &[
                    ("cidr_blocks", vec!["0.0.0.0/0"].into()),
                    ("description", "world".into()),
                ],
            ),
            tcp(443, &[("ipv6_cidr_blocks", vec!["::/0"].into())]),
            tcp(22, &[("self", true.into())]),
            tcp(22, &[("security_groups", vec!["222/sg-other"].into())]),
            tcp(22, &[("prefix_list_ids", vec!["pl-1"].into())]),
        ];
        want.sort();
        assert_eq!(got, Value::List(want));
    }

    #[test]
    fn a_permission_with_no_source_is_an_error_never_dropped() {
        let mut perms = vec![
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .build(),
        ];
        assert!(flatten_ip_permissions(&perms, "sg-1", None).is_ok());
        perms.push(IpPermission::builder().ip_protocol("-1").build());
        assert_eq!(flatten_ip_permissions(&perms, "sg-1", None), Err(NO_SOURCE));
        let group = SecurityGroup::builder()
            .group_id("sg-1")
            .ip_permissions_egress(perms[1].clone())
            .build();
        assert!(security_group_attributes(&group, "us-east-1").is_err());

        let sourceless = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .group_id("sg-1")
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .build();
        assert!(!has_source(&sourceless));
    }

    fn rule(
        egress: bool,
        protocol: &str,
    ) -> aws_sdk_ec2::types::builders::SecurityGroupRuleBuilder {
        SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .group_id("sg-default")
            .is_egress(egress)
            .ip_protocol(protocol)
            .from_port(-1)
            .to_port(-1)
    }

    #[test]
    fn only_aws_own_rules_of_a_default_group_are_aws_owned() {
        let own = ReferencedSecurityGroup::builder()
            .group_id("sg-default")
            .build();
        // AWS's defaults: all traffic from the group itself, all traffic out (IPv4, IPv6).
        assert!(is_aws_default_rule(
            &rule(false, "-1").referenced_group_info(own.clone()).build()
        ));
        assert!(is_aws_default_rule(
            &rule(true, "-1").cidr_ipv4("0.0.0.0/0").build()
        ));
        assert!(is_aws_default_rule(
            &rule(true, "-1").cidr_ipv6("::/0").build()
        ));
        // Anything else is the account's: SSH from the world, all traffic from the world,
        // all traffic from another group, egress narrowed, ingress from the group on one port.
        assert!(!is_aws_default_rule(
            &rule(false, "tcp")
                .from_port(22)
                .to_port(22)
                .cidr_ipv4("0.0.0.0/0")
                .build()
        ));
        assert!(!is_aws_default_rule(
            &rule(false, "-1").cidr_ipv4("0.0.0.0/0").build()
        ));
        assert!(!is_aws_default_rule(
            &rule(false, "-1")
                .referenced_group_info(ReferencedSecurityGroup::builder().group_id("sg-x").build())
                .build()
        ));
        assert!(!is_aws_default_rule(
            &rule(true, "-1").cidr_ipv4("10.0.0.0/8").build()
        ));
        assert!(!is_aws_default_rule(
            &rule(false, "tcp")
                .from_port(443)
                .to_port(443)
                .referenced_group_info(own)
                .build()
        ));
    }

    #[test]
    fn all_protocol_ports_default_to_zero() {
        let perms = vec![
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        ];
        let got = flatten_ip_permissions(&perms, "sg-1", None).unwrap();
        let want = block(&[
            ("protocol", "-1".into()),
            ("from_port", 0.into()),
            ("to_port", 0.into()),
            ("cidr_blocks", vec!["0.0.0.0/0"].into()),
        ]);
        assert_eq!(got, Value::List(vec![want]));
    }

    #[test]
    fn protocols_normalize_like_the_provider() {
        assert_eq!(protocol_name("TCP"), "tcp");
        assert_eq!(protocol_name("6"), "tcp");
        assert_eq!(protocol_name("all"), "-1");
        assert_eq!(protocol_name("-1"), "-1");
        assert_eq!(protocol_name("58"), "icmpv6");
        assert_eq!(protocol_name("132"), "132");
    }

    #[test]
    fn profile_arn_to_name() {
        assert_eq!(
            instance_profile_name("arn:aws:iam::123456789012:instance-profile/app"),
            "app"
        );
        assert_eq!(
            instance_profile_name("arn:aws:iam::123456789012:instance-profile/a/b/app"),
            "app"
        );
        assert_eq!(instance_profile_name("app"), "app");
    }

    #[test]
    fn rule_views() {
        let rule = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .group_id("sg-1")
            .group_owner_id("111")
            .is_egress(false)
            .ip_protocol("tcp")
            .from_port(80)
            .to_port(81)
            .referenced_group_info(ReferencedSecurityGroup::builder().group_id("sg-1").build())
            .build();
        let legacy = legacy_rule_attributes(&rule);
        assert_eq!(legacy["self"], Value::from(true));
        assert_eq!(legacy["source_security_group_id"], Value::Null);
        assert_eq!(legacy["cidr_blocks"], Value::List(vec![]));
        assert_eq!(legacy["type"], Value::from("ingress"));
        assert_eq!(legacy["from_port"], Value::from(80));
        let primary = vpc_rule_attributes(&rule, "us-east-1");
        assert_eq!(primary["referenced_security_group_id"], Value::from("sg-1"));
        assert_eq!(
            primary["arn"],
            Value::from("arn:aws:ec2:us-east-1:111:security-group-rule/sgr-1")
        );

        let all = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-2")
            .group_id("sg-1")
            .is_egress(true)
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .cidr_ipv4("0.0.0.0/0")
            .build();
        let legacy = legacy_rule_attributes(&all);
        assert_eq!(legacy["from_port"], Value::from(0));
        assert_eq!(legacy["cidr_blocks"], Value::from(vec!["0.0.0.0/0"]));
        assert_eq!(legacy["type"], Value::from("egress"));
        assert_eq!(legacy["self"], Value::from(false));
        let primary = vpc_rule_attributes(&all, "us-east-1");
        assert_eq!(primary["from_port"], Value::from(-1));
        assert_eq!(primary["cidr_ipv6"], Value::Null);
    }

    #[test]
    fn partitions() {
        assert_eq!(partition("us-east-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
