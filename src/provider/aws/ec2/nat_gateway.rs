//! `aws_nat_gateway`: DescribeNatGateways. The provider records the primary address (or the
//! only one: moto gap, moto sets no `IsPrimary`) as `allocation_id`, `private_ip`, `public_ip`,
//! `network_interface_id`, `association_id`, and the other addresses as
//! `secondary_allocation_ids` / `secondary_private_ip_addresses`. A deleted (or failed) gateway
//! is gone, as the provider reads it.

use aws_sdk_ec2::types::NatGateway;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, tag_map};
use crate::model::{Attributes, Owner, Value};

const TYPE: &str = "aws_nat_gateway";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit {
    label: "NAT gateways",
    types: TYPES,
    list,
    samples,
    reverts: &[],
    operations: &[],
    execute: super::executes_nothing,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let gateways = pages!(
            cx,
            "DescribeNatGateways",
            TYPES,
            cx.client.describe_nat_gateways().max_results(PAGE),
            nat_gateways
        );
        match gateways {
            Ok(gateways) => {
                let mut found = Found::default();
                for gateway in gateways.iter().filter(|g| is_live(g)) {
                    let Some(id) = gateway.nat_gateway_id() else {
                        continue;
                    };
                    found
                        .resources
                        .push(cx.view(TYPE, id, Owner::User, attributes(gateway)));
                }
                found
            }
            Err(gap) => Found::gap(gap),
        }
    })
}

/// Not deleted, being deleted or failed (the provider reads those as gone).
pub fn is_live(gateway: &NatGateway) -> bool {
    !gateway
        .state()
        .is_some_and(|s| matches!(s.as_str(), "deleted" | "deleting" | "failed"))
}

/// An `aws_nat_gateway` as the provider records it.
pub fn attributes(gateway: &NatGateway) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), gateway.nat_gateway_id().into());
    a.insert("subnet_id".into(), gateway.subnet_id().into());
    a.insert(
        "connectivity_type".into(),
        gateway.connectivity_type().map(|c| c.as_str()).into(),
    );
    let addresses = gateway.nat_gateway_addresses();
    let mut secondary_allocations = Vec::new();
    let mut secondary_ips = Vec::new();
    for address in addresses {
        if address.is_primary() == Some(true) || addresses.len() == 1 {
            a.insert("allocation_id".into(), address.allocation_id().into());
            a.insert("association_id".into(), address.association_id().into());
            a.insert(
                "network_interface_id".into(),
                address.network_interface_id().into(),
            );
            a.insert("private_ip".into(), address.private_ip().into());
            a.insert("public_ip".into(), address.public_ip().into());
        } else {
            secondary_allocations.extend(address.allocation_id().filter(|s| !s.is_empty()));
            secondary_ips.extend(address.private_ip().filter(|s| !s.is_empty()));
        }
    }
    secondary_allocations.sort();
    secondary_ips.sort();
    a.insert(
        "secondary_private_ip_address_count".into(),
        Value::from(secondary_ips.len() as i64),
    );
    a.insert(
        "secondary_allocation_ids".into(),
        secondary_allocations.into(),
    );
    a.insert(
        "secondary_private_ip_addresses".into(),
        secondary_ips.into(),
    );
    a.insert("tags".into(), tag_map(gateway.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{ConnectivityType, NatGatewayAddress, NatGatewayState, Tag};
    let gateway = NatGateway::builder()
        .nat_gateway_id("nat-1")
        .subnet_id("subnet-1")
        .vpc_id("vpc-1")
        .state(NatGatewayState::Available)
        .connectivity_type(ConnectivityType::Public)
        .nat_gateway_addresses(
            NatGatewayAddress::builder()
                .allocation_id("eipalloc-1")
                .association_id("eipassoc-1")
                .network_interface_id("eni-1")
                .private_ip("10.0.0.10")
                .public_ip("198.51.100.1")
                .is_primary(true)
                .build(),
        )
        .nat_gateway_addresses(
            NatGatewayAddress::builder()
                .allocation_id("eipalloc-2")
                .private_ip("10.0.0.11")
                .is_primary(false)
                .build(),
        )
        .tags(Tag::builder().key("Name").value("main").build())
        .build();
    vec![Sample {
        resource: super::view(
            TYPE,
            "nat-1",
            true,
            "us-east-1",
            Owner::User,
            attributes(&gateway),
        ),
        import_id: "nat-1".into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primary_and_secondary_addresses() {
        let s = samples();
        let a = &s[0].resource.attributes;
        assert_eq!(a["allocation_id"], Value::str("eipalloc-1"));
        assert_eq!(
            a["secondary_allocation_ids"],
            Value::from(vec!["eipalloc-2"])
        );
        assert_eq!(a["secondary_private_ip_address_count"], Value::from(1));
        let deleted = NatGateway::builder()
            .state(aws_sdk_ec2::types::NatGatewayState::Deleted)
            .build();
        assert!(!is_live(&deleted));
    }
}
