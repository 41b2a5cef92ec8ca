//! VPCs and what DescribeVpcs says about them, from one listing: `aws_vpc` (one per VPC),
//! `aws_default_vpc` (a second view of a region's default VPC, which the provider adopts),
//! `aws_vpc_ipv4_cidr_block_association` (one per secondary IPv4 CIDR: the primary one is the
//! VPC's own `cidr_block`) and `aws_vpc_dhcp_options_association` (one per VPC that has a DHCP
//! options set, from its `DhcpOptionsId`; `default` means none).
//!
//! `DescribeVpcAttribute` per VPC gives the two DNS flags no batch API returns (one call per VPC
//! and flag), after every listing of the region, paced, bounded, and only for the VPCs the
//! request names (`read = "recorded"` in the specs).
//!
//! Ownership: a default VPC is AWS's. A VPC's association with the DHCP options set AWS creates
//! for the region's default VPC is AWS's too (every VPC gets that set when it is created), so
//! telling it apart takes the sets' options: the region's one `DescribeDhcpOptions` listing
//! (shared with the DHCP options unit), read only when the association type is asked and some
//! VPC has a set; when only named VPCs are read (`only`), only the sets they use, by id. Any
//! other association, and every secondary CIDR, is the account's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Vpc, VpcAttributeName, VpcCidrBlockAssociation};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{
    Args, Cx, Executed, Found, Listed, PAGE, Sample, Unit, arn, call_error, tag_map, text_arg,
};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use crate::model::{Attributes, Gap, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

const TYPE: &str = "aws_vpc";
const DEFAULT_VPC: &str = "aws_default_vpc";
const CIDR_ASSOCIATION: &str = "aws_vpc_ipv4_cidr_block_association";
const DHCP_ASSOCIATION: &str = "aws_vpc_dhcp_options_association";
const TYPES: &[&str] = &[TYPE, DEFAULT_VPC, CIDR_ASSOCIATION, DHCP_ASSOCIATION];
/// The types whose objects are read by VPC id (an association by the VPC it belongs to).
const BY_VPC: &[&str] = &[TYPE, DEFAULT_VPC, DHCP_ASSOCIATION];
/// The views that carry the DNS flags.
const FLAGGED: &[&str] = &[TYPE, DEFAULT_VPC];

/// Per VPC id, `enableDnsSupport` and `enableDnsHostnames`.
type DnsFlags = BTreeMap<String, (Option<bool>, Option<bool>)>;

/// `DescribeVpcAttribute` calls in flight at once per region.
const VPC_ATTRIBUTE_CONCURRENCY: usize = 8;

pub const UNIT: Unit = Unit::new("vpcs", TYPES, list, samples).calls(
    &[UnitRevert::new(
        "dhcp_options_association",
        &[DHCP_ASSOCIATION],
        plan_dhcp_association,
    )],
    &["AssociateDhcpOptions"],
    execute,
);

/// The asked types among `types`.
fn asked_types<'a>(cx: &Cx, types: &[&'a str]) -> Vec<&'a str> {
    types.iter().copied().filter(|t| cx.wants(t)).collect()
}

/// The ids the request names for every asked type of `types`; `None`: every object (some
/// asked type is wanted whole).
fn asked_ids(cx: &Cx, types: &[&str]) -> Option<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    for t in asked_types(cx, types) {
        ids.extend(cx.only(t)?.iter().cloned());
    }
    Some(ids)
}

/// The VPC ids and secondary CIDR association ids the request names (`only`), when it names
/// every object this unit reads; `None`: the whole region is read.
fn named(cx: &Cx) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    Some((asked_ids(cx, BY_VPC)?, asked_ids(cx, &[CIDR_ASSOCIATION])?))
}

/// The region's VPCs, or only those the request names: by VPC id, and (for secondary CIDRs
/// asked by association id) by association id.
async fn read_vpcs(cx: &Cx, lost: &[&str]) -> Result<Vec<Vpc>, Gap> {
    let request = |filters| {
        cx.client
            .describe_vpcs()
            .max_results(PAGE)
            .set_filters(filters)
    };
    let Some((vpc_ids, association_ids)) = named(cx) else {
        return pages!(cx, "DescribeVpcs", lost, request(None), vpcs);
    };
    // The asked VPCs, then the VPCs of the asked associations (one listing: one gap).
    let by_vpc = super::id_filters(Some(&vpc_ids), "vpc-id");
    let by_association = super::id_filters(
        Some(&association_ids),
        "cidr-block-association.association-id",
    );
    let mut vpcs = pages_by!(
        cx,
        "DescribeVpcs",
        lost,
        by_vpc.into_iter().chain(by_association),
        Vec::new(),
        |filters| request(filters),
        vpcs
    )?;
    let mut seen = BTreeSet::new();
    vpcs.retain(|v| seen.insert(v.vpc_id().map(str::to_string)));
    Ok(vpcs)
}

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let lost = asked_types(cx, TYPES);
        match read_vpcs(cx, &lost).await {
            Ok(vpcs) => emit(cx, &vpcs).await,
            Err(gap) => Found::gap(gap),
        }
    })
}

/// The ids of the DHCP options sets AWS created for the region's default VPC, among the sets
/// `vpcs` use (`Ok(empty)` when none uses one: nothing to list).
async fn aws_dhcp_sets(cx: &Cx, vpcs: &[Vpc]) -> Result<BTreeSet<String>, Gap> {
    let used: BTreeSet<String> = vpcs
        .iter()
        .filter_map(dhcp_set)
        .map(str::to_string)
        .collect();
    if used.is_empty() {
        return Ok(BTreeSet::new());
    }
    // The region's one listing, which the DHCP options unit reads too; when only named VPCs
    // are read, only the sets they use, by id (never that listing).
    let batches = match named(cx) {
        Some(_) => super::id_filters(Some(&used), "dhcp-options-id"),
        None => vec![None],
    };
    let sets = cx.dhcp_options(&[DHCP_ASSOCIATION], batches).await?;
    Ok(sets
        .iter()
        .filter(|set| super::dhcp_options::is_aws_default_set(set, &cx.region))
        .filter_map(|set| set.dhcp_options_id())
        .filter(|id| used.contains(*id))
        .map(str::to_string)
        .collect())
}

/// A VPC's DHCP options set, if it has one (`default` is EC2's word for none).
fn dhcp_set(vpc: &Vpc) -> Option<&str> {
    vpc.dhcp_options_id()
        .filter(|id| !id.is_empty() && *id != "default")
}

/// The DNS flags of the VPCs read, then every view of each VPC.
async fn emit(cx: &Cx, vpcs: &[Vpc]) -> Found {
    let mut found = Found::default();
    let region = cx.region.as_str();
    // Whose DHCP options associations are AWS's: a listing, so before the per-object reads.
    let aws_sets = if cx.wants(DHCP_ASSOCIATION) {
        match aws_dhcp_sets(cx, vpcs).await {
            Ok(sets) => Some(sets),
            Err(gap) => {
                found.gaps.push(gap);
                None
            }
        }
    } else {
        None
    };
    let (dns, failed) = read_dns_flags(cx, vpcs, &mut found).await;
    for vpc in vpcs {
        let Some(id) = vpc.vpc_id() else { continue };
        if cx.wants(CIDR_ASSOCIATION) {
            for association in secondary_cidrs(vpc) {
                let Some(association_id) = association.association_id() else {
                    continue;
                };
                found.resources.push(cx.view(
                    CIDR_ASSOCIATION,
                    association_id,
                    Owner::User,
                    cidr_association_attributes(id, association),
                ));
            }
        }
        if let (Some(aws_sets), Some(set)) = (&aws_sets, dhcp_set(vpc)) {
            let owner = if aws_sets.contains(set) {
                Owner::Aws("association with the DHCP options of the default VPC".into())
            } else {
                Owner::User
            };
            found.resources.push(cx.view(
                DHCP_ASSOCIATION,
                id,
                owner,
                dhcp_association_attributes(id, set),
            ));
        }
        // A VPC whose flags could not be read is left out: its gap says so, and emitting it
        // with guessed flags would report drift that is not there.
        if failed.contains(id) {
            continue;
        }
        let (support, hostnames) = dns.get(id).copied().unwrap_or_default();
        let default = is_default(vpc);
        let owner = if default {
            Owner::Aws("default VPC".into())
        } else {
            Owner::User
        };
        let mut attributes = attributes(vpc, region, support, hostnames);
        if !dns.contains_key(id) {
            // Not read (no state records it): absent, never a guessed value.
            attributes.remove("enable_dns_support");
            attributes.remove("enable_dns_hostnames");
        }
        // A default VPC is also what an `aws_default_vpc` manages: a second view of the same
        // object, primary only when `aws_vpc` is not asked for.
        if default && cx.wants(DEFAULT_VPC) {
            let mut view = cx.view(DEFAULT_VPC, id, owner.clone(), attributes.clone());
            view.primary = !cx.wants(TYPE);
            found.resources.push(view);
        }
        if cx.wants(TYPE) {
            found.resources.push(cx.view(TYPE, id, owner, attributes));
        }
    }
    found
}

/// The DNS flags of the VPCs a state records (by VPC id), and the VPCs whose flags could not be
/// read (each a gap in `found`).
async fn read_dns_flags(cx: &Cx, vpcs: &[Vpc], found: &mut Found) -> (DnsFlags, BTreeSet<String>) {
    // The DNS flags: one call per VPC and attribute, bounded, concurrently, once every listing
    // of this region is done (listings first).
    cx.after_listings().await;
    let flagged = asked_types(cx, FLAGGED);
    let read: Vec<&str> = vpcs
        .iter()
        .filter_map(|vpc| {
            let id = vpc.vpc_id()?;
            // No read that cannot matter: only the VPCs a state records (as an `aws_vpc`, or
            // as an `aws_default_vpc` for the default one), when the caller says so.
            let reads = (cx.wants(TYPE) && cx.reads(TYPE, id))
                || (is_default(vpc) && cx.wants(DEFAULT_VPC) && cx.reads(DEFAULT_VPC, id));
            reads.then_some(id)
        })
        .collect();
    cx.reads_planned(read.len() * 2);
    let permits = Arc::new(Semaphore::new(VPC_ATTRIBUTE_CONCURRENCY));
    let mut calls = JoinSet::new();
    for id in read {
        for attribute in [
            VpcAttributeName::EnableDnsSupport,
            VpcAttributeName::EnableDnsHostnames,
        ] {
            let (client, permits, id) = (cx.client.clone(), permits.clone(), id.to_string());
            let slot = cx.read_slot("DescribeVpcAttribute");
            calls.spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail; if it ever did,
                // running unbounded is still correct.
                let _permit = permits.acquire_owned().await.ok();
                let _done = slot.await;
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
    let region = cx.region.as_str();
    let mut dns: DnsFlags = BTreeMap::new();
    let mut failed: BTreeSet<String> = BTreeSet::new();
    while let Some(joined) = calls.join_next().await {
        let (id, attribute, result) = match joined {
            Ok(v) => v,
            Err(e) => {
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeVpcAttribute",
                    &flagged,
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
                        &flagged,
                        reason.about(format!("vpc {id}")),
                    ));
                }
            }
        }
    }
    (dns, failed)
}

fn is_default(vpc: &Vpc) -> bool {
    vpc.is_default() == Some(true)
}

/// A VPC's secondary IPv4 CIDRs: every associated (or associating) block but the primary one,
/// which is the VPC's own `cidr_block`. moto gap: an association without a state is taken as
/// associated.
fn secondary_cidrs(vpc: &Vpc) -> impl Iterator<Item = &VpcCidrBlockAssociation> {
    vpc.cidr_block_association_set().iter().filter(|a| {
        a.cidr_block().is_some()
            && a.cidr_block() != vpc.cidr_block()
            && a.cidr_block_state()
                .and_then(|s| s.state())
                .is_none_or(|s| matches!(s.as_str(), "associated" | "associating"))
    })
}

/// An `aws_vpc` (and `aws_default_vpc`) as the provider records it. The DNS flags come from
/// `DescribeVpcAttribute`.
pub fn attributes(
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

/// An `aws_vpc_ipv4_cidr_block_association` as the provider records it.
pub fn cidr_association_attributes(
    vpc_id: &str,
    association: &VpcCidrBlockAssociation,
) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), association.association_id().into());
    a.insert("vpc_id".into(), vpc_id.into());
    a.insert("cidr_block".into(), association.cidr_block().into());
    a
}

/// An `aws_vpc_dhcp_options_association` as the provider records it: its id is
/// `<set id>-<VPC id>`.
pub fn dhcp_association_attributes(vpc_id: &str, set: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), format!("{set}-{vpc_id}").into());
    a.insert("vpc_id".into(), vpc_id.into());
    a.insert("dhcp_options_id".into(), set.into());
    a
}

// ---- reverts ---------------------------------------------------------------------------------

/// A VPC associated with its recorded DHCP options set again (AssociateDhcpOptions).
fn plan_dhcp_association(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let vpc = input.recorded_text("vpc_id")?;
    let set = input.recorded_text("dhcp_options_id")?;
    Ok(vec![
        UnitCall::new("ec2", "AssociateDhcpOptions", &vpc)
            .arg("dhcp_options_id", Arg::text(&set))
            .arg("vpc_id", Arg::text(&vpc)),
    ])
}

fn execute<'a>(client: &'a Client, call: &'a UnitCall, args: &'a Args) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            "AssociateDhcpOptions" => client
                .associate_dhcp_options()
                .dhcp_options_id(text_arg(args, "dhcp_options_id")?)
                .vpc_id(text_arg(args, "vpc_id")?)
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            other => Err(format!("{other}: not an operation of the VPC unit")),
        }
    })
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{Tag, Tenancy, VpcCidrBlockState, VpcCidrBlockStateCode};
    let region = "us-east-1";
    let cidr = |id: &str, block: &str| {
        VpcCidrBlockAssociation::builder()
            .association_id(id)
            .cidr_block(block)
            .cidr_block_state(
                VpcCidrBlockState::builder()
                    .state(VpcCidrBlockStateCode::Associated)
                    .build(),
            )
            .build()
    };
    let vpc = |id: &str, default: bool| {
        Vpc::builder()
            .vpc_id(id)
            .is_default(default)
            .cidr_block("10.0.0.0/16")
            .cidr_block_association_set(cidr("vpc-cidr-assoc-1", "10.0.0.0/16"))
            .cidr_block_association_set(cidr("vpc-cidr-assoc-2", "10.1.0.0/16"))
            .instance_tenancy(Tenancy::Default)
            .dhcp_options_id("dopt-1")
            .owner_id("111122223333")
            .tags(Tag::builder().key("Name").value("app").build())
            .build()
    };
    let view = |ty: &str, id: &str, a: Attributes| Sample::regional(ty, id, region, a);
    let custom = vpc("vpc-1", false);
    let default = vpc("vpc-0", true);
    let secondary: Vec<&VpcCidrBlockAssociation> = secondary_cidrs(&custom).collect();
    assert_eq!(secondary.len(), 1, "the primary CIDR is the VPC's own");
    let mut dhcp = view(
        DHCP_ASSOCIATION,
        "vpc-1",
        dhcp_association_attributes("vpc-1", dhcp_set(&custom).unwrap_or_default()),
    );
    // Imported by the VPC's id (the provider's documented format).
    dhcp.import_id = "vpc-1".into();
    vec![
        view(
            TYPE,
            "vpc-1",
            attributes(&custom, region, Some(true), Some(true)),
        ),
        view(
            DEFAULT_VPC,
            "vpc-0",
            attributes(&default, region, Some(true), Some(true)),
        ),
        view(
            CIDR_ASSOCIATION,
            "vpc-cidr-assoc-2",
            cidr_association_attributes("vpc-1", secondary[0]),
        ),
        dhcp,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{VpcCidrBlockState, VpcCidrBlockStateCode};

    fn cidr(
        id: &str,
        block: &str,
        state: Option<VpcCidrBlockStateCode>,
    ) -> VpcCidrBlockAssociation {
        let mut b = VpcCidrBlockAssociation::builder()
            .association_id(id)
            .cidr_block(block);
        if let Some(state) = state {
            b = b.cidr_block_state(VpcCidrBlockState::builder().state(state).build());
        }
        b.build()
    }

    #[test]
    fn secondary_cidrs_are_the_associated_blocks_but_the_primary() {
        let vpc = Vpc::builder()
            .vpc_id("vpc-1")
            .cidr_block("10.0.0.0/16")
            .cidr_block_association_set(cidr(
                "a-1",
                "10.0.0.0/16",
                Some(VpcCidrBlockStateCode::Associated),
            ))
            .cidr_block_association_set(cidr(
                "a-2",
                "10.1.0.0/16",
                Some(VpcCidrBlockStateCode::Associated),
            ))
            .cidr_block_association_set(cidr(
                "a-3",
                "10.2.0.0/16",
                Some(VpcCidrBlockStateCode::Disassociated),
            ))
            .cidr_block_association_set(cidr("a-4", "10.3.0.0/16", None))
            .build();
        let ids: Vec<&str> = secondary_cidrs(&vpc)
            .filter_map(|a| a.association_id())
            .collect();
        assert_eq!(ids, ["a-2", "a-4"]);
    }

    #[test]
    fn a_vpc_without_a_dhcp_set_has_no_association() {
        let vpc = |set: &str| Vpc::builder().vpc_id("vpc-1").dhcp_options_id(set).build();
        assert_eq!(dhcp_set(&vpc("default")), None);
        assert_eq!(dhcp_set(&vpc("")), None);
        assert_eq!(dhcp_set(&vpc("dopt-1")), Some("dopt-1"));
        assert_eq!(
            dhcp_association_attributes("vpc-1", "dopt-1")["id"],
            crate::model::Value::from("dopt-1-vpc-1")
        );
    }
}
