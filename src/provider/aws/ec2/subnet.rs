//! `aws_subnet` and `aws_default_subnet` (a second view of a default subnet, which the provider
//! adopts by its availability zone): DescribeSubnets. A default subnet is AWS's.

use std::collections::BTreeSet;

use aws_sdk_ec2::types::Subnet;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};

const TYPE: &str = "aws_subnet";
const DEFAULT_SUBNET: &str = "aws_default_subnet";
const TYPES: &[&str] = &[TYPE, DEFAULT_SUBNET];

pub const UNIT: Unit = Unit::new("subnets", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let asked: Vec<&str> = TYPES.iter().copied().filter(|t| cx.wants(t)).collect();
        // The ids the request names for every asked type (both are read by subnet id); `None`:
        // the whole region.
        let only = asked.iter().try_fold(BTreeSet::new(), |mut ids, t| {
            ids.extend(cx.only(t)?.iter().cloned());
            Some(ids)
        });
        let subnets = pages_by!(
            cx,
            "DescribeSubnets",
            &asked,
            super::id_filters(only.as_ref(), "subnet-id"),
            describe_subnets,
            subnets
        );
        subnets.map_or_else(Found::gap, |subnets| emit(cx, &subnets))
    })
}

fn emit(cx: &Cx, subnets: &[Subnet]) -> Found {
    let mut found = Found::default();
    for subnet in subnets {
        let Some(id) = subnet.subnet_id() else {
            continue;
        };
        let default = subnet.default_for_az() == Some(true);
        let owner = if default {
            Owner::Aws("default subnet".into())
        } else {
            Owner::User
        };
        let attributes = attributes(subnet, &cx.region);
        // A default subnet is also what an `aws_default_subnet` manages: a second view of the
        // same object, primary only when `aws_subnet` is not asked for.
        if default && cx.wants(DEFAULT_SUBNET) {
            let mut view = cx.view(DEFAULT_SUBNET, id, owner.clone(), attributes.clone());
            view.primary = !cx.wants(TYPE);
            found.resources.push(view);
        }
        if cx.wants(TYPE) {
            found.resources.push(cx.view(TYPE, id, owner, attributes));
        }
    }
    found
}

/// An `aws_subnet` as the provider records it.
pub fn attributes(subnet: &Subnet, region: &str) -> Attributes {
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

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{
        SubnetCidrBlockState, SubnetCidrBlockStateCode, SubnetIpv6CidrBlockAssociation, Tag,
    };
    let region = "us-east-1";
    let subnet = Subnet::builder()
        .subnet_id("subnet-1")
        .subnet_arn("arn:aws:ec2:us-east-1:111122223333:subnet/subnet-1")
        .vpc_id("vpc-1")
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-east-1a")
        .availability_zone_id("use1-az1")
        .map_public_ip_on_launch(true)
        .assign_ipv6_address_on_creation(true)
        .ipv6_cidr_block_association_set(
            SubnetIpv6CidrBlockAssociation::builder()
                .ipv6_cidr_block("2001:db8::/64")
                .ipv6_cidr_block_state(
                    SubnetCidrBlockState::builder()
                        .state(SubnetCidrBlockStateCode::Associated)
                        .build(),
                )
                .build(),
        )
        .owner_id("111122223333")
        .tags(Tag::builder().key("Name").value("app").build())
        .build();
    [TYPE, DEFAULT_SUBNET]
        .into_iter()
        .map(|ty| Sample::regional(ty, "subnet-1", region, attributes(&subnet, region)))
        .collect()
}
