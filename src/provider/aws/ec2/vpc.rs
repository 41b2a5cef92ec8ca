//! `aws_vpc`: DescribeVpcs, then `DescribeVpcAttribute` per VPC for the two DNS flags no batch
//! API returns (one call per VPC and flag), after every listing of the region, paced, bounded,
//! and only for the VPCs the request names (`read = "recorded"` in the spec). A default VPC is
//! AWS's.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use aws_sdk_ec2::types::{Vpc, VpcAttributeName};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{Failure, failure_reason, gap};

const TYPE: &str = "aws_vpc";
const TYPES: &[&str] = &[TYPE];

/// `DescribeVpcAttribute` calls in flight at once per region.
const VPC_ATTRIBUTE_CONCURRENCY: usize = 8;

pub const UNIT: Unit = Unit {
    label: "vpcs",
    types: TYPES,
    list,
    samples,
    reverts: &[],
    operations: &[],
    execute: super::executes_nothing,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let vpcs = pages_by!(
            cx,
            "DescribeVpcs",
            TYPES,
            cx.id_filters(TYPE, "vpc-id"),
            Vec::new(),
            |filters| cx
                .client
                .describe_vpcs()
                .max_results(PAGE)
                .set_filters(filters),
            vpcs
        );
        match vpcs {
            Ok(vpcs) => emit(cx, &vpcs).await,
            Err(gap) => Found::gap(gap),
        }
    })
}

/// The DNS flags of the VPCs read, then the VPCs.
async fn emit(cx: &Cx, vpcs: &[Vpc]) -> Found {
    let mut found = Found::default();
    // The DNS flags: one call per VPC and attribute, bounded, concurrently, once every listing
    // of this region is done (listings first).
    cx.after_listings().await;
    let read: Vec<&str> = vpcs
        .iter()
        .filter_map(|vpc| vpc.vpc_id())
        // No read that cannot matter: only the VPCs a state records, when the caller says so.
        .filter(|id| cx.reads(TYPE, id))
        .collect();
    cx.reads_planned(read.len() * 2);
    let calls = spawn_dns_reads(cx, &read);
    let (dns, failed) = dns_flags(cx, calls, &mut found).await;
    let region = cx.region.as_str();
    for vpc in vpcs {
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
        let mut attributes = attributes(vpc, region, support, hostnames);
        if !dns.contains_key(id) {
            // Not read (no state records it): absent, never a guessed value.
            attributes.remove("enable_dns_support");
            attributes.remove("enable_dns_hostnames");
        }
        found.resources.push(cx.view(TYPE, id, owner, attributes));
    }
    found
}

/// One DNS flag read: the VPC, the attribute, and its value or why it could not be read.
type DnsRead = (String, VpcAttributeName, Result<Option<bool>, Failure>);

/// `DescribeVpcAttribute` for both flags of each VPC in `read`, paced and bounded.
fn spawn_dns_reads(cx: &Cx, read: &[&str]) -> JoinSet<DnsRead> {
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
    calls
}

/// The flags read, by VPC (support, hostnames), and the VPCs a read failed for (each with one
/// gap in `found`).
async fn dns_flags(
    cx: &Cx,
    mut calls: JoinSet<DnsRead>,
    found: &mut Found,
) -> (
    BTreeMap<String, (Option<bool>, Option<bool>)>,
    BTreeSet<String>,
) {
    let region = cx.region.as_str();
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
                    TYPES,
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
                        TYPES,
                        reason.about(format!("vpc {id}")),
                    ));
                }
            }
        }
    }
    (dns, failed)
}

/// An `aws_vpc` as the provider records it. The DNS flags come from `DescribeVpcAttribute`.
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

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{Tag, Tenancy};
    let region = "us-east-1";
    let vpc = Vpc::builder()
        .vpc_id("vpc-1")
        .cidr_block("10.0.0.0/16")
        .instance_tenancy(Tenancy::Default)
        .dhcp_options_id("dopt-1")
        .owner_id("111122223333")
        .tags(Tag::builder().key("Name").value("app").build())
        .build();
    vec![Sample {
        resource: super::view(
            TYPE,
            "vpc-1",
            true,
            region,
            Owner::User,
            attributes(&vpc, region, Some(true), Some(true)),
        ),
        import_id: "vpc-1".into(),
    }]
}
