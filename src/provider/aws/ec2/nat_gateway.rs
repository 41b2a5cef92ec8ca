//! NAT gateways and elastic IPs, one unit because each needs the other's listing:
//! `aws_nat_gateway` (DescribeNatGateways), `aws_eip` and `aws_eip_association`
//! (DescribeAddresses: one call, the API does not page).
//!
//! A NAT gateway: the provider records the primary address (or the only one: moto gap, moto
//! sets no `IsPrimary`) as `allocation_id`, `private_ip`, `public_ip`, `network_interface_id`,
//! `association_id`, and the other addresses as `secondary_allocation_ids` /
//! `secondary_private_ip_addresses`. A deleted (or failed) gateway is gone, as the provider
//! reads it.
//!
//! An EIP's association is recorded on the EIP (`instance`, `network_interface`) unless an
//! `aws_eip_association` or an `aws_nat_gateway` manages it (`managed_by` in the spec); the
//! association a NAT gateway makes for its address is part of the gateway (`Owner::Aws`:
//! never an unmanaged `aws_eip_association`), which is why the addresses need the gateways.
//!
//! Read by id (`Cx::only`, what `apply` re-observes): gateways by `nat-gateway-id`, addresses by
//! `allocation-id` and `association-id`, and for the named associations the gateways of their
//! interfaces' subnets; the region's one gateway listing (shared with the network interface
//! unit) only when a type is asked whole.

use std::collections::BTreeSet;
use std::sync::Arc;

use aws_sdk_ec2::types::{Address, NatGateway};

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Gap, ObservedResource, Owner, Value};
use crate::provider::aws::calls::{failure_reason, gap};

const NAT: &str = "aws_nat_gateway";
const EIP: &str = "aws_eip";
const ASSOCIATION: &str = "aws_eip_association";
const TYPES: &[&str] = &[NAT, EIP, ASSOCIATION];

pub const UNIT: Unit = Unit::new("NAT gateways and elastic IPs", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let mut found = Found::default();
        // The addresses first: under `only`, the gateways that may hold an asked association
        // are found through its address.
        let addresses = if cx.wants(EIP) || cx.wants(ASSOCIATION) {
            match read_addresses(cx).await {
                Ok(addresses) => Some(addresses),
                Err(gap) => {
                    found.gaps.push(gap);
                    None
                }
            }
        } else {
            None
        };
        // The gateways, for themselves and for telling their associations apart (without
        // them no association can be told apart: their gap says so).
        let gateways = read_gateways(cx, addresses.as_deref(), &mut found).await;
        let live: Vec<&NatGateway> = gateways
            .iter()
            .flat_map(|g| g.iter())
            .filter(|g| is_live(g))
            .collect();
        for gateway in &live {
            let Some(id) = gateway.nat_gateway_id() else {
                continue;
            };
            if asked(cx, NAT, id) {
                found
                    .resources
                    .push(cx.view(NAT, id, Owner::User, attributes(gateway)));
            }
        }
        let Some(addresses) = addresses else {
            return found;
        };
        let nat_associations: Option<BTreeSet<String>> = gateways.as_ref().map(|_| {
            live.iter()
                .flat_map(|g| g.nat_gateway_addresses())
                .filter_map(|a| a.association_id())
                .map(str::to_string)
                .collect()
        });
        for address in &addresses {
            found.resources.extend(
                emit(address, &cx.region, nat_associations.as_ref())
                    .into_iter()
                    .filter(|r| asked(cx, &r.resource_type, &r.cloud_id)),
            );
        }
        found
    })
}

/// Whether an object is asked for: its type is, and the request names it or no object of it.
fn asked(cx: &Cx, resource_type: &str, id: &str) -> bool {
    cx.wants(resource_type) && cx.only(resource_type).is_none_or(|ids| ids.contains(id))
}

/// The elastic IPs: every one of the region (DescribeAddresses: one call, the API does not
/// page), or, when the request names every asked one (`only`), those it names: by allocation
/// id (`aws_eip`) and association id (`aws_eip_association`), one call per batch of ids.
async fn read_addresses(cx: &Cx) -> Result<Vec<Address>, Gap> {
    let mut batches = Vec::new();
    for (t, name) in [(EIP, "allocation-id"), (ASSOCIATION, "association-id")] {
        if cx.wants(t) {
            batches.extend(cx.id_filters(t, name));
        }
    }
    if batches.iter().any(Option::is_none) {
        batches = vec![None];
    }
    let mut addresses = Vec::new();
    let mut seen = BTreeSet::new();
    for batch in batches {
        let out = cx
            .client
            .describe_addresses()
            .set_filters(batch.map(|f| vec![f]))
            .send()
            .await
            .map_err(|e| {
                gap(
                    "ec2",
                    Some(&cx.region),
                    "DescribeAddresses",
                    &[EIP, ASSOCIATION],
                    failure_reason(&e),
                )
            })?;
        for address in out.addresses.unwrap_or_default() {
            // (One without an allocation id is EC2-Classic's: never emitted.)
            if address
                .allocation_id()
                .is_some_and(|id| seen.insert(id.to_string()))
            {
                addresses.push(address);
            }
        }
    }
    Ok(addresses)
}

/// The NAT gateways the asked types need: for `aws_nat_gateway` itself, and for telling the
/// addresses' associations apart. The region's one listing (shared with the network interface
/// unit) when either is asked whole; else only the named gateways, by id, and for the named
/// associations the gateways of the subnets their interfaces are in (a gateway's address is
/// on its own interface, in its subnet: DescribeNatGateways has no filter by address or
/// interface). `None`: not asked, or the read failed (its gap is in `found`).
async fn read_gateways(
    cx: &Cx,
    addresses: Option<&[Address]>,
    found: &mut Found,
) -> Option<Arc<Vec<NatGateway>>> {
    let nat = cx.wants(NAT);
    let associations = cx.wants(ASSOCIATION) && addresses.is_some();
    let types: Vec<&str> = [(NAT, nat), (ASSOCIATION, associations)]
        .into_iter()
        .filter_map(|(t, asked)| asked.then_some(t))
        .collect();
    if types.is_empty() {
        return None;
    }
    let whole = (nat && cx.only(NAT).is_none()) || (associations && cx.only(ASSOCIATION).is_none());
    let batches = if whole {
        vec![None]
    } else {
        let mut batches = Vec::new();
        if nat {
            batches.extend(cx.id_filters(NAT, "nat-gateway-id"));
        }
        if associations {
            let interfaces: BTreeSet<String> = addresses
                .unwrap_or_default()
                .iter()
                .filter(|a| {
                    a.association_id()
                        .is_some_and(|id| asked(cx, ASSOCIATION, id))
                })
                .filter_map(|a| a.network_interface_id())
                .map(str::to_string)
                .collect();
            match subnets_of(cx, &interfaces).await {
                Ok(subnets) => batches.extend(super::id_filters(Some(&subnets), "subnet-id")),
                Err(gap) => {
                    found.gaps.push(gap);
                    return None;
                }
            }
        }
        batches
    };
    match cx.nat_gateways(&types, batches).await {
        Ok(gateways) => {
            // A gateway named and in a named subnet is read twice: once is kept.
            let mut seen = BTreeSet::new();
            let unique: Vec<NatGateway> = gateways
                .iter()
                .filter(|g| seen.insert(g.nat_gateway_id().map(str::to_string)))
                .cloned()
                .collect();
            Some(Arc::new(unique))
        }
        Err(gap) => {
            found.gaps.push(gap);
            None
        }
    }
}

/// The subnets of the given network interfaces (DescribeNetworkInterfaces by id, batched; no
/// call for none).
async fn subnets_of(cx: &Cx, interfaces: &BTreeSet<String>) -> Result<BTreeSet<String>, Gap> {
    let read = pages_by!(
        cx,
        "DescribeNetworkInterfaces",
        &[ASSOCIATION],
        super::id_filters(Some(interfaces), "network-interface-id"),
        describe_network_interfaces,
        network_interfaces
    )?;
    Ok(read
        .iter()
        .filter_map(|i| i.subnet_id())
        .map(str::to_string)
        .collect())
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
    let mut out = nat_samples();
    out.extend(eip_samples());
    out
}

fn nat_samples() -> Vec<Sample> {
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
    vec![Sample::regional(
        NAT,
        "nat-1",
        "us-east-1",
        attributes(&gateway),
    )]
}

fn eip_samples() -> Vec<Sample> {
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
    fn primary_and_secondary_addresses() {
        let s = nat_samples();
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
    #[test]
    fn a_nat_gateways_association_is_aws_and_others_are_the_accounts() {
        let s = eip_samples();
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
