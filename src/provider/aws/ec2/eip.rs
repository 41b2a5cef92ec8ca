//! `aws_eip` and `aws_eip_association`: DescribeAddresses (one call: the API does not page),
//! plus DescribeNatGateways to know which associations a NAT gateway made. An EIP's
//! association is recorded on the EIP (`instance`, `network_interface`) unless an
//! `aws_eip_association` or an `aws_nat_gateway` manages it (`managed_by` in the spec); the
//! association a NAT gateway makes for its address is part of the gateway (`Owner::Aws`:
//! never an unmanaged `aws_eip_association`).

use std::collections::BTreeSet;

use aws_sdk_ec2::types::Address;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, ObservedResource, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

const EIP: &str = "aws_eip";
const ASSOCIATION: &str = "aws_eip_association";
const TYPES: &[&str] = &[EIP, ASSOCIATION];

pub const UNIT: Unit = Unit {
    label: "elastic IPs",
    types: TYPES,
    list,
    samples,
    reverts: &[],
    operations: &[],
    execute: super::executes_nothing,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let addresses = match cx.client.describe_addresses().send().await {
            Ok(out) => out.addresses.unwrap_or_default(),
            Err(e) => {
                return Found::gap(gap(
                    "ec2",
                    Some(&cx.region),
                    "DescribeAddresses",
                    TYPES,
                    failure_reason(&e),
                ));
            }
        };
        let mut found = Found::default();
        // The associations NAT gateways made: without them, no association can be told apart.
        let nat_associations = if cx.wanted.contains(ASSOCIATION) {
            let gateways = pages!(
                cx,
                "DescribeNatGateways",
                &[ASSOCIATION],
                cx.client.describe_nat_gateways().max_results(PAGE),
                nat_gateways
            );
            match gateways {
                Ok(gateways) => Some(
                    gateways
                        .iter()
                        .filter(|g| super::nat_gateway::is_live(g))
                        .flat_map(|g| g.nat_gateway_addresses())
                        .filter_map(|a| a.association_id())
                        .map(str::to_string)
                        .collect::<BTreeSet<String>>(),
                ),
                Err(gap) => {
                    found.gaps.push(gap);
                    None
                }
            }
        } else {
            None
        };
        for address in &addresses {
            found
                .resources
                .extend(emit(address, &cx.region, nat_associations.as_ref()));
        }
        found
    })
}

/// The EIP, and its association when it has one and the NAT gateways are known.
pub fn emit(
    address: &Address,
    region: &str,
    nat_associations: Option<&BTreeSet<String>>,
) -> Vec<ObservedResource> {
    let mut out = Vec::new();
    // EC2-Classic addresses have no allocation id; the provider no longer supports them.
    let Some(id) = address.allocation_id() else {
        return out;
    };
    out.push(super::view(
        EIP,
        id,
        true,
        region,
        Owner::User,
        eip_attributes(address, region),
    ));
    if let (Some(association), Some(nat)) = (
        address.association_id().filter(|a| !a.is_empty()),
        nat_associations,
    ) {
        let owner = if nat.contains(association) {
            Owner::Aws("NAT gateway's address".into())
        } else {
            Owner::User
        };
        out.push(super::view(
            ASSOCIATION,
            association,
            true,
            region,
            owner,
            association_attributes(address),
        ));
    }
    out
}

/// An `aws_eip` as the provider records it.
pub fn eip_attributes(address: &Address, region: &str) -> Attributes {
    let id = address.allocation_id().unwrap_or_default();
    let text = |v: Option<&str>| v.unwrap_or("").to_string();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert("allocation_id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("elastic-ip/{id}")).into(),
    );
    a.insert("domain".into(), address.domain().map(|d| d.as_str()).into());
    a.insert("public_ip".into(), text(address.public_ip()).into());
    a.insert(
        "private_ip".into(),
        text(address.private_ip_address()).into(),
    );
    a.insert(
        "association_id".into(),
        text(address.association_id()).into(),
    );
    a.insert("instance".into(), text(address.instance_id()).into());
    a.insert(
        "network_interface".into(),
        text(address.network_interface_id()).into(),
    );
    a.insert(
        "public_ipv4_pool".into(),
        text(address.public_ipv4_pool()).into(),
    );
    a.insert(
        "network_border_group".into(),
        text(address.network_border_group()).into(),
    );
    a.insert(
        "customer_owned_ipv4_pool".into(),
        text(address.customer_owned_ipv4_pool()).into(),
    );
    a.insert("tags".into(), tag_map(address.tags()));
    a
}

/// An `aws_eip_association` as the provider records it.
pub fn association_attributes(address: &Address) -> Attributes {
    let text = |v: Option<&str>| v.unwrap_or("").to_string();
    let mut a = Attributes::new();
    a.insert("id".into(), text(address.association_id()).into());
    a.insert("allocation_id".into(), text(address.allocation_id()).into());
    a.insert("instance_id".into(), text(address.instance_id()).into());
    a.insert(
        "network_interface_id".into(),
        text(address.network_interface_id()).into(),
    );
    a.insert(
        "private_ip_address".into(),
        text(address.private_ip_address()).into(),
    );
    a.insert("public_ip".into(), text(address.public_ip()).into());
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{DomainType, Tag};
    let region = "us-east-1";
    let address = |n: u8| {
        Address::builder()
            .allocation_id(format!("eipalloc-{n}"))
            .association_id(format!("eipassoc-{n}"))
            .domain(DomainType::Vpc)
            .public_ip(format!("198.51.100.{n}"))
            .private_ip_address(format!("10.0.0.{n}"))
            .instance_id("i-1")
            .network_interface_id("eni-1")
            .network_interface_owner_id("111122223333")
            .public_ipv4_pool("amazon")
            .network_border_group("us-east-1")
            .customer_owned_ipv4_pool("ipv4pool-coip-1")
            .tags(Tag::builder().key("Name").value("nat").build())
            .build()
    };
    let nat: BTreeSet<String> = ["eipassoc-2".to_string()].into();
    [address(1), address(2)]
        .iter()
        .flat_map(|a| emit(a, region, Some(&nat)))
        .map(|resource| Sample {
            import_id: resource.cloud_id.clone(),
            resource,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nat_gateways_association_is_aws_and_others_are_the_accounts() {
        let s = samples();
        let owner = |id: &str| {
            s.iter()
                .find(|x| x.resource.resource_type == ASSOCIATION && x.resource.cloud_id == id)
                .map(|x| x.resource.owner.clone())
                .unwrap()
        };
        assert_eq!(owner("eipassoc-1"), Owner::User);
        assert!(matches!(owner("eipassoc-2"), Owner::Aws(_)));
        // Without the NAT gateways, no association is emitted (its gap says why).
        let a = Address::builder()
            .allocation_id("eipalloc-9")
            .association_id("eipassoc-9")
            .build();
        let out = emit(&a, "us-east-1", None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].resource_type, EIP);
    }
}
