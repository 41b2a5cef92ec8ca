//! Network interfaces and VPC endpoints, one unit because an interface may be an endpoint's:
//! `aws_network_interface` (DescribeNetworkInterfaces) and `aws_vpc_endpoint`
//! (DescribeVpcEndpoints).
//!
//! Ownership: an interface AWS made for another service is that service's, never an unmanaged
//! `aws_network_interface` (`Owner::Aws`): one EC2 marks requester-managed or gives a service's
//! interface type (`nat_gateway`, `vpc_endpoint`, `load_balancer`, `lambda`, ...), one an
//! interface endpoint lists as its own (`NetworkInterfaceIds`), one a NAT gateway uses for an
//! address (DescribeNatGateways: moto marks neither, and EC2 documents the interface by its
//! owner as well), and an instance's primary interface (device index 0) or one launched with
//! it (deleted on termination): those are part of the instance. Each is still compared when a
//! state records it. An endpoint that another service made (`RequesterManaged`) is AWS's too.
//!
//! Reverts: an interface's `description`, `source_dest_check` and `security_groups` go back
//! through ModifyNetworkInterfaceAttribute (one attribute per call, as the API takes them); an
//! endpoint's policy, route tables, subnets, security groups and private DNS through one
//! ModifyVpcEndpoint.

use std::collections::BTreeSet;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    AttributeBooleanValue, AttributeValue, NetworkInterface, NetworkInterfaceAttachment,
    VpcEndpoint,
};

use super::{
    Args, Cx, Executed, Found, Listed, PAGE, Sample, Unit, arn, call_error, tag_map, text_arg,
};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use crate::model::{Attributes, Owner, Value};

const INTERFACE: &str = "aws_network_interface";
const ENDPOINT: &str = "aws_vpc_endpoint";
const TYPES: &[&str] = &[INTERFACE, ENDPOINT];

/// The interface types a person can create (CreateNetworkInterface's `InterfaceType`, and the
/// default `interface`); any other is a service's interface.
const ACCOUNT_INTERFACE_TYPES: &[&str] = &["interface", "efa", "efa-only", "trunk"];

pub const UNIT: Unit = Unit::new("network interfaces and VPC endpoints", TYPES, list, samples)
    .calls(
        REVERTS,
        &["ModifyNetworkInterfaceAttribute", "ModifyVpcEndpoint"],
        execute,
    );

const REVERTS: &[UnitRevert] = &[
    UnitRevert::new(
        "network_interface_attribute",
        &[INTERFACE],
        plan_interface_attribute,
    ),
    UnitRevert::new("vpc_endpoint", &[ENDPOINT], plan_endpoint),
];

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let mut found = Found::default();
        // The interfaces first: under `only`, the endpoints and NAT gateways that may own them
        // are read by the VPCs and subnets they are in.
        let interfaces = if cx.wants(INTERFACE) {
            let interfaces = pages_by!(
                cx,
                "DescribeNetworkInterfaces",
                &[INTERFACE],
                cx.id_filters(INTERFACE, "network-interface-id"),
                describe_network_interfaces,
                network_interfaces
            );
            match interfaces {
                Ok(interfaces) => Some(interfaces),
                Err(gap) => {
                    found.gaps.push(gap);
                    None
                }
            }
        } else {
            None
        };
        let endpoints = match list_endpoints(cx, interfaces.as_deref()).await {
            Ok(endpoints) => endpoints,
            Err(gap) => {
                found.gaps.push(gap);
                return found;
            }
        };
        let live: Vec<&VpcEndpoint> = endpoints.iter().filter(|e| endpoint_is_live(e)).collect();
        if cx.wants(ENDPOINT) {
            emit_endpoints(cx, &live, &mut found);
        }
        if let Some(interfaces) = interfaces {
            emit_interfaces(cx, &interfaces, &live, &mut found).await;
        }
        found
    })
}

/// The endpoints: for themselves, and for telling the interfaces read apart: every one of the
/// region when the interfaces are read whole, else those of the interfaces' VPCs (`vpc-id`)
/// and the named endpoints (`only`), deduplicated. No call when nothing needs them.
async fn list_endpoints(
    cx: &Cx,
    interfaces: Option<&[NetworkInterface]>,
) -> Result<Vec<VpcEndpoint>, crate::model::Gap> {
    let mut filters = if cx.wants(ENDPOINT) {
        cx.id_filters(ENDPOINT, "vpc-endpoint-id")
    } else {
        Vec::new()
    };
    match interfaces {
        // Not asked, or not read (their gap says so).
        None => {}
        Some(_) if cx.only(INTERFACE).is_none() => filters.push(None),
        Some(interfaces) => {
            let vpcs: BTreeSet<String> = interfaces
                .iter()
                .filter_map(|i| i.vpc_id())
                .map(str::to_string)
                .collect();
            filters.extend(super::id_filters(Some(&vpcs), "vpc-id"));
        }
    }
    if filters.iter().any(Option::is_none) {
        filters = vec![None];
    }
    let mut endpoints = pages_by!(
        cx,
        "DescribeVpcEndpoints",
        TYPES,
        filters,
        describe_vpc_endpoints,
        vpc_endpoints
    )?;
    let mut seen = BTreeSet::new();
    endpoints.retain(|e| seen.insert(e.vpc_endpoint_id().map(str::to_string)));
    Ok(endpoints)
}

fn emit_endpoints(cx: &Cx, live: &[&VpcEndpoint], found: &mut Found) {
    let only = cx.only(ENDPOINT);
    for endpoint in live {
        let Some(id) = endpoint.vpc_endpoint_id() else {
            continue;
        };
        if only.is_some_and(|ids| !ids.contains(id)) {
            continue;
        }
        let owner = if endpoint.requester_managed() == Some(true) {
            Owner::Aws("an endpoint another AWS service made".into())
        } else {
            Owner::User
        };
        found.resources.push(cx.view(
            ENDPOINT,
            id,
            owner,
            endpoint_attributes(endpoint, &cx.region),
        ));
    }
}

/// The interfaces, each with its owner: the NAT gateways are read for the interfaces they use
/// (the region's one listing, shared with the NAT gateway unit; under `only`, the gateways of
/// the interfaces' subnets: a gateway's interface is in its subnet).
async fn emit_interfaces(
    cx: &Cx,
    interfaces: &[NetworkInterface],
    endpoints: &[&VpcEndpoint],
    found: &mut Found,
) {
    let batches = match cx.only(INTERFACE) {
        None => vec![None],
        Some(_) => {
            let subnets: BTreeSet<String> = interfaces
                .iter()
                .filter_map(|i| i.subnet_id())
                .map(str::to_string)
                .collect();
            super::id_filters(Some(&subnets), "subnet-id")
        }
    };
    let gateways = match cx.nat_gateways(&[INTERFACE], batches).await {
        Ok(gateways) => gateways,
        Err(gap) => {
            found.gaps.push(gap);
            return;
        }
    };
    let services = services(endpoints, &gateways);
    for interface in interfaces {
        let Some(id) = interface.network_interface_id() else {
            continue;
        };
        found.resources.push(cx.view(
            INTERFACE,
            id,
            interface_owner(interface, &services),
            interface_attributes(interface, &cx.region),
        ));
    }
}

/// (interface id, whose) for every interface an endpoint or a NAT gateway names as its own.
fn services(
    endpoints: &[&VpcEndpoint],
    gateways: &[aws_sdk_ec2::types::NatGateway],
) -> Vec<(String, String)> {
    let mut services = Vec::new();
    for endpoint in endpoints {
        let id = endpoint.vpc_endpoint_id().unwrap_or_default();
        for eni in endpoint.network_interface_ids() {
            services.push((eni.clone(), format!("an interface of VPC endpoint {id}")));
        }
    }
    for gateway in gateways.iter().filter(|g| super::nat_gateway::is_live(g)) {
        let id = gateway.nat_gateway_id().unwrap_or_default();
        for address in gateway.nat_gateway_addresses() {
            if let Some(eni) = address.network_interface_id() {
                services.push((eni.to_string(), format!("an interface of NAT gateway {id}")));
            }
        }
    }
    services
}

/// Whose an interface is (see the module comment); `services`: (interface id, whose) for the
/// interfaces endpoints and NAT gateways name.
pub fn interface_owner(interface: &NetworkInterface, services: &[(String, String)]) -> Owner {
    let id = interface.network_interface_id().unwrap_or_default();
    if let Some((_, whose)) = services.iter().find(|(eni, _)| eni == id) {
        return Owner::Aws(whose.clone());
    }
    if interface.requester_managed() == Some(true) {
        return Owner::Aws("an interface AWS manages for a service".into());
    }
    if let Some(t) = interface.interface_type()
        && !ACCOUNT_INTERFACE_TYPES.contains(&t.as_str())
    {
        return Owner::Aws(format!("an interface of type {}", t.as_str()));
    }
    if let Some(attachment) = interface.attachment()
        && let Some(instance) = attachment.instance_id()
        && (attachment.device_index() == Some(0)
            || attachment.delete_on_termination() == Some(true))
    {
        return Owner::Aws(format!("an interface of instance {instance}"));
    }
    Owner::User
}

/// Not deleted or on its way out (the provider reads those as gone).
fn endpoint_is_live(endpoint: &VpcEndpoint) -> bool {
    !endpoint.state().is_some_and(|s| {
        matches!(
            s.as_str().to_ascii_lowercase().as_str(),
            "deleted" | "deleting" | "failed" | "rejected" | "expired"
        )
    })
}

fn sorted(items: impl IntoIterator<Item = String>) -> Value {
    let mut v: Vec<String> = items.into_iter().filter(|s| !s.is_empty()).collect();
    v.sort();
    v.dedup();
    v.into()
}

/// An `aws_network_interface` as the provider records it.
pub fn interface_attributes(interface: &NetworkInterface, region: &str) -> Attributes {
    let id = interface.network_interface_id().unwrap_or_default();
    let text = |v: Option<&str>| v.unwrap_or("").to_string();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(
            region,
            interface.owner_id(),
            &format!("network-interface/{id}"),
        )
        .into(),
    );
    a.insert("owner_id".into(), text(interface.owner_id()).into());
    a.insert("subnet_id".into(), text(interface.subnet_id()).into());
    a.insert("description".into(), text(interface.description()).into());
    a.insert(
        "interface_type".into(),
        interface.interface_type().map(|t| t.as_str()).into(),
    );
    a.insert("mac_address".into(), text(interface.mac_address()).into());
    a.insert("outpost_arn".into(), text(interface.outpost_arn()).into());
    a.insert(
        "private_dns_name".into(),
        text(interface.private_dns_name()).into(),
    );
    a.insert(
        "private_ip".into(),
        text(interface.private_ip_address()).into(),
    );
    let ips: Vec<String> = interface
        .private_ip_addresses()
        .iter()
        .filter_map(|p| p.private_ip_address().map(str::to_string))
        .collect();
    a.insert(
        "private_ips_count".into(),
        Value::from(ips.len().saturating_sub(1) as i64),
    );
    a.insert("private_ips".into(), sorted(ips));
    let ipv6: Vec<String> = interface
        .ipv6_addresses()
        .iter()
        .filter_map(|p| p.ipv6_address().map(str::to_string))
        .collect();
    a.insert("ipv6_address_count".into(), Value::from(ipv6.len() as i64));
    a.insert("ipv6_addresses".into(), sorted(ipv6));
    let ipv4_prefixes: Vec<String> = interface
        .ipv4_prefixes()
        .iter()
        .filter_map(|p| p.ipv4_prefix().map(str::to_string))
        .collect();
    a.insert(
        "ipv4_prefix_count".into(),
        Value::from(ipv4_prefixes.len() as i64),
    );
    a.insert("ipv4_prefixes".into(), sorted(ipv4_prefixes));
    let ipv6_prefixes: Vec<String> = interface
        .ipv6_prefixes()
        .iter()
        .filter_map(|p| p.ipv6_prefix().map(str::to_string))
        .collect();
    a.insert(
        "ipv6_prefix_count".into(),
        Value::from(ipv6_prefixes.len() as i64),
    );
    a.insert("ipv6_prefixes".into(), sorted(ipv6_prefixes));
    a.insert(
        "security_groups".into(),
        sorted(
            interface
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string)),
        ),
    );
    a.insert(
        "source_dest_check".into(),
        interface.source_dest_check().into(),
    );
    a.insert(
        "attachment".into(),
        Value::List(
            interface
                .attachment()
                .filter(|at| at.instance_id().is_some())
                .map(attachment)
                .into_iter()
                .collect(),
        ),
    );
    a.insert("tags".into(), tag_map(interface.tag_set()));
    a
}

/// An interface's `attachment` block as the provider records it.
fn attachment(at: &NetworkInterfaceAttachment) -> Value {
    let mut m = std::collections::BTreeMap::new();
    m.insert(
        "attachment_id".to_string(),
        Value::from(at.attachment_id().unwrap_or("")),
    );
    m.insert(
        "device_index".to_string(),
        Value::from(at.device_index().unwrap_or(0)),
    );
    m.insert(
        "instance".to_string(),
        Value::from(at.instance_id().unwrap_or("")),
    );
    m.insert(
        "network_card_index".to_string(),
        Value::from(at.network_card_index().unwrap_or(0)),
    );
    Value::Map(m)
}

/// An `aws_vpc_endpoint` as the provider records it.
pub fn endpoint_attributes(endpoint: &VpcEndpoint, region: &str) -> Attributes {
    let id = endpoint.vpc_endpoint_id().unwrap_or_default();
    let text = |v: Option<&str>| v.unwrap_or("").to_string();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, endpoint.owner_id(), &format!("vpc-endpoint/{id}")).into(),
    );
    a.insert("owner_id".into(), text(endpoint.owner_id()).into());
    a.insert("vpc_id".into(), text(endpoint.vpc_id()).into());
    a.insert("service_name".into(), text(endpoint.service_name()).into());
    a.insert(
        "vpc_endpoint_type".into(),
        endpoint.vpc_endpoint_type().map(|t| t.as_str()).into(),
    );
    a.insert("policy".into(), text(endpoint.policy_document()).into());
    a.insert(
        "private_dns_enabled".into(),
        endpoint.private_dns_enabled().unwrap_or(false).into(),
    );
    a.insert(
        "ip_address_type".into(),
        endpoint
            .ip_address_type()
            .map(|t| t.as_str())
            .unwrap_or("")
            .into(),
    );
    a.insert(
        "requester_managed".into(),
        endpoint.requester_managed().unwrap_or(false).into(),
    );
    a.insert(
        "route_table_ids".into(),
        sorted(endpoint.route_table_ids().iter().cloned()),
    );
    a.insert(
        "subnet_ids".into(),
        sorted(endpoint.subnet_ids().iter().cloned()),
    );
    a.insert(
        "security_group_ids".into(),
        sorted(
            endpoint
                .groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string)),
        ),
    );
    a.insert(
        "network_interface_ids".into(),
        sorted(endpoint.network_interface_ids().iter().cloned()),
    );
    a.insert(
        "state".into(),
        endpoint
            .state()
            .map(|s| s.as_str().to_ascii_lowercase())
            .into(),
    );
    a.insert("tags".into(), tag_map(endpoint.tags()));
    a
}

// ---- reverts ---------------------------------------------------------------------------------

/// The ModifyNetworkInterfaceAttribute parameter each attribute is put back through.
const INTERFACE_ATTRIBUTES: &[(&str, &str)] = &[
    ("description", "description"),
    ("source_dest_check", "source_dest_check"),
    ("security_groups", "groups"),
];

/// One ModifyNetworkInterfaceAttribute per changed attribute (the API sets one at a time).
fn plan_interface_attribute(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let id = input.recorded_text("id")?;
    let mut calls = Vec::new();
    for change in input.changes {
        let attribute = change.path.attribute().unwrap_or_default();
        let Some((_, parameter)) = INTERFACE_ATTRIBUTES.iter().find(|(a, _)| *a == attribute)
        else {
            return Err(format!(
                "ModifyNetworkInterfaceAttribute does not set `{attribute}`"
            ));
        };
        let mut value = input.recorded_arg(attribute);
        match (attribute, &value) {
            // No recorded description: the empty one.
            ("description", Arg::Value(Value::Null)) => value = Arg::text(""),
            ("source_dest_check", Arg::Value(Value::Null)) => value = Arg::Value(true.into()),
            ("security_groups", Arg::Value(Value::Null)) => {
                return Err("no recorded security groups to put back".into());
            }
            _ => {}
        }
        if parameter == &"groups" && matches!(&value, Arg::Value(Value::List(l)) if l.is_empty()) {
            return Err("an interface keeps at least one security group".into());
        }
        calls.push(
            UnitCall::new("ec2", "ModifyNetworkInterfaceAttribute", &id)
                .arg("network_interface_id", Arg::text(id.as_str()))
                .arg(parameter, value),
        );
    }
    Ok(calls)
}

fn id_list(v: &Value) -> BTreeSet<String> {
    v.as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::scalar_text)
        .collect()
}

/// The list attributes ModifyVpcEndpoint adds to and removes from, and the parameter stem.
const ENDPOINT_LISTS: &[(&str, &str)] = &[
    ("route_table_ids", "route_table_ids"),
    ("subnet_ids", "subnet_ids"),
    ("security_group_ids", "security_group_ids"),
];

/// One ModifyVpcEndpoint that puts every changed attribute back: the recorded policy (or the
/// default full-access one, `reset_policy`, when none is recorded), the lists by adding what
/// is missing and removing what was added, private DNS.
fn plan_endpoint(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let id = input.recorded_text("id")?;
    let mut call = UnitCall::new("ec2", "ModifyVpcEndpoint", &id)
        .arg("vpc_endpoint_id", Arg::text(id.as_str()));
    for change in input.changes {
        let attribute = change.path.attribute().unwrap_or_default();
        if change.before.contains_sensitive() || change.after.contains_sensitive() {
            return Err(format!("`{attribute}` is sensitive in the state"));
        }
        match attribute {
            "policy" => {
                let policy = change.before.scalar_text().unwrap_or_default();
                call = if policy.is_empty() {
                    call.arg("reset_policy", Arg::Value(true.into()))
                } else {
                    call.arg("policy_document", input.recorded_arg("policy"))
                };
            }
            "private_dns_enabled" => {
                let Some(b) = change.before.as_bool() else {
                    return Err("no recorded `private_dns_enabled` to put back".into());
                };
                call = call.arg("private_dns_enabled", Arg::Value(b.into()));
            }
            _ => {
                let Some((_, stem)) = ENDPOINT_LISTS.iter().find(|(a, _)| *a == attribute) else {
                    return Err(format!("ModifyVpcEndpoint does not set `{attribute}`"));
                };
                let (want, have) = (id_list(&change.before), id_list(&change.after));
                let add: Vec<String> = want.difference(&have).cloned().collect();
                let remove: Vec<String> = have.difference(&want).cloned().collect();
                if !add.is_empty() {
                    call = call.arg(&format!("add_{stem}"), Arg::Value(add.into()));
                }
                if !remove.is_empty() {
                    call = call.arg(&format!("remove_{stem}"), Arg::Value(remove.into()));
                }
            }
        }
    }
    if call.args.len() == 1 {
        return Err("nothing ModifyVpcEndpoint can put back".into());
    }
    Ok(vec![call])
}

fn text_list(args: &Args, name: &str) -> Option<Vec<String>> {
    args.get(name).map(|v| {
        v.as_list()
            .unwrap_or_default()
            .iter()
            .filter_map(Value::scalar_text)
            .collect()
    })
}

fn execute<'a>(client: &'a Client, call: &'a UnitCall, args: &'a Args) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            "ModifyNetworkInterfaceAttribute" => {
                let request = client
                    .modify_network_interface_attribute()
                    .network_interface_id(text_arg(args, "network_interface_id")?)
                    .set_description(
                        args.get("description")
                            .and_then(Value::scalar_text)
                            .map(|d| AttributeValue::builder().value(d).build()),
                    )
                    .set_source_dest_check(
                        args.get("source_dest_check")
                            .and_then(Value::as_bool)
                            .map(|b| AttributeBooleanValue::builder().value(b).build()),
                    )
                    .set_groups(text_list(args, "groups"));
                request.send().await.map(|_| ()).map_err(call_error)
            }
            "ModifyVpcEndpoint" => client
                .modify_vpc_endpoint()
                .vpc_endpoint_id(text_arg(args, "vpc_endpoint_id")?)
                .set_policy_document(args.get("policy_document").and_then(Value::scalar_text))
                .set_reset_policy(args.get("reset_policy").and_then(Value::as_bool))
                .set_private_dns_enabled(args.get("private_dns_enabled").and_then(Value::as_bool))
                .set_add_route_table_ids(text_list(args, "add_route_table_ids"))
                .set_remove_route_table_ids(text_list(args, "remove_route_table_ids"))
                .set_add_subnet_ids(text_list(args, "add_subnet_ids"))
                .set_remove_subnet_ids(text_list(args, "remove_subnet_ids"))
                .set_add_security_group_ids(text_list(args, "add_security_group_ids"))
                .set_remove_security_group_ids(text_list(args, "remove_security_group_ids"))
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            other => Err(format!("{other}: not an operation of this unit")),
        }
    })
}

// ---- samples ---------------------------------------------------------------------------------

fn samples() -> Vec<Sample> {
    let region = "us-east-1";
    vec![
        Sample::regional(
            INTERFACE,
            "eni-1",
            region,
            interface_attributes(&sample_interface(), region),
        ),
        Sample::regional(
            ENDPOINT,
            "vpce-1",
            region,
            endpoint_attributes(&sample_endpoint(), region),
        ),
    ]
}

fn sample_interface() -> NetworkInterface {
    use aws_sdk_ec2::types::{
        GroupIdentifier, Ipv4PrefixSpecification, Ipv6PrefixSpecification,
        NetworkInterfaceIpv6Address, NetworkInterfacePrivateIpAddress, NetworkInterfaceType, Tag,
    };
    NetworkInterface::builder()
        .network_interface_id("eni-1")
        .owner_id("111122223333")
        .subnet_id("subnet-1")
        .vpc_id("vpc-1")
        .description("app")
        .interface_type(NetworkInterfaceType::Interface)
        .mac_address("02:00:00:00:00:01")
        .outpost_arn("arn:aws:outposts:us-east-1:111122223333:outpost/op-1")
        .private_dns_name("ip-10-0-1-10.ec2.internal")
        .private_ip_address("10.0.1.10")
        .private_ip_addresses(
            NetworkInterfacePrivateIpAddress::builder()
                .private_ip_address("10.0.1.10")
                .primary(true)
                .build(),
        )
        .private_ip_addresses(
            NetworkInterfacePrivateIpAddress::builder()
                .private_ip_address("10.0.1.11")
                .primary(false)
                .build(),
        )
        .ipv6_addresses(
            NetworkInterfaceIpv6Address::builder()
                .ipv6_address("2600:1f18::10")
                .build(),
        )
        .ipv4_prefixes(
            Ipv4PrefixSpecification::builder()
                .ipv4_prefix("10.0.1.32/28")
                .build(),
        )
        .ipv6_prefixes(
            Ipv6PrefixSpecification::builder()
                .ipv6_prefix("2600:1f18::/80")
                .build(),
        )
        .groups(GroupIdentifier::builder().group_id("sg-1").build())
        .source_dest_check(true)
        .requester_managed(false)
        .attachment(
            NetworkInterfaceAttachment::builder()
                .attachment_id("eni-attach-1")
                .device_index(1)
                .instance_id("i-1")
                .network_card_index(0)
                .delete_on_termination(false)
                .build(),
        )
        .tag_set(Tag::builder().key("Name").value("app").build())
        .build()
}

fn sample_endpoint() -> VpcEndpoint {
    use aws_sdk_ec2::types::{Tag, VpcEndpointType};
    VpcEndpoint::builder()
        .vpc_endpoint_id("vpce-1")
        .owner_id("111122223333")
        .vpc_id("vpc-1")
        .service_name("com.amazonaws.us-east-1.s3")
        .vpc_endpoint_type(VpcEndpointType::Interface)
        .policy_document(r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#)
        .private_dns_enabled(true)
        .ip_address_type(aws_sdk_ec2::types::IpAddressType::Ipv4)
        .requester_managed(false)
        .route_table_ids("rtb-1")
        .subnet_ids("subnet-1")
        .groups(
            aws_sdk_ec2::types::SecurityGroupIdentifier::builder()
                .group_id("sg-1")
                .build(),
        )
        .network_interface_ids("eni-2")
        .state(aws_sdk_ec2::types::State::Available)
        .tags(Tag::builder().key("Name").value("s3").build())
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Address, Change, Drift, DriftKind, Path, RecordedResource, StateSource};
    use aws_sdk_ec2::types::NetworkInterfaceType;

    fn eni(
        build: impl FnOnce(
            aws_sdk_ec2::types::builders::NetworkInterfaceBuilder,
        ) -> aws_sdk_ec2::types::builders::NetworkInterfaceBuilder,
    ) -> NetworkInterface {
        build(
            NetworkInterface::builder()
                .network_interface_id("eni-1")
                .interface_type(NetworkInterfaceType::Interface)
                .requester_managed(false),
        )
        .build()
    }

    #[test]
    fn interfaces_aws_made_for_a_service_or_an_instance_are_never_the_accounts() {
        let none: Vec<(String, String)> = Vec::new();
        assert_eq!(interface_owner(&eni(|b| b), &none), Owner::User);
        assert!(matches!(
            interface_owner(&eni(|b| b.requester_managed(true)), &none),
            Owner::Aws(_)
        ));
        assert!(matches!(
            interface_owner(
                &eni(|b| b.interface_type(NetworkInterfaceType::NatGateway)),
                &none
            ),
            Owner::Aws(_)
        ));
        let named = vec![(
            "eni-1".to_string(),
            "an interface of NAT gateway nat-1".to_string(),
        )];
        assert_eq!(
            interface_owner(&eni(|b| b), &named),
            Owner::Aws("an interface of NAT gateway nat-1".into())
        );
        let attached = |index: i32, delete: bool| {
            eni(|b| {
                b.attachment(
                    NetworkInterfaceAttachment::builder()
                        .instance_id("i-1")
                        .device_index(index)
                        .delete_on_termination(delete)
                        .build(),
                )
            })
        };
        assert!(matches!(
            interface_owner(&attached(0, false), &none),
            Owner::Aws(_)
        ));
        assert!(matches!(
            interface_owner(&attached(1, true), &none),
            Owner::Aws(_)
        ));
        // Attached later with AttachNetworkInterface: still the account's.
        assert_eq!(interface_owner(&attached(1, false), &none), Owner::User);
    }

    fn input_for(
        ty: &str,
        id: &str,
        changes: &[(&str, Value, Value)],
    ) -> (Drift, RecordedResource, Vec<Change>) {
        let changes: Vec<Change> = changes
            .iter()
            .map(|(a, before, after)| Change::new(Path::root(*a), before.clone(), after.clone()))
            .collect();
        let drift = Drift {
            kind: DriftKind::Changed,
            resource_type: ty.into(),
            id: id.into(),
            address: Some(Address::managed(ty, "x")),
            state: None,
            region: Some("us-east-1".into()),
            changes: changes.clone(),
            observed: None,
        };
        let mut attributes: Attributes = changes
            .iter()
            .map(|c| (c.path.attribute().unwrap().to_string(), c.before.clone()))
            .collect();
        attributes.insert("id".into(), id.into());
        let recorded = RecordedResource {
            address: Address::managed(ty, "x"),
            resource_type: ty.into(),
            provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
            state: StateSource("terraform.tfstate".into()),
            schema_version: 0,
            attributes,
        };
        (drift, recorded, changes)
    }

    #[test]
    fn an_interface_attribute_goes_back_one_call_each() {
        let (drift, recorded, changes) = input_for(
            INTERFACE,
            "eni-1",
            &[
                ("description", Value::str("app"), Value::str("moved")),
                (
                    "security_groups",
                    Value::from(vec!["sg-1"]),
                    Value::from(vec!["sg-1", "sg-9"]),
                ),
                ("source_dest_check", Value::from(true), Value::from(false)),
            ],
        );
        let refs: Vec<&Change> = changes.iter().collect();
        let calls = plan_interface_attribute(&RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &refs,
        })
        .unwrap();
        assert_eq!(calls.len(), 3);
        assert!(
            calls
                .iter()
                .all(|c| c.operation == "ModifyNetworkInterfaceAttribute"
                    && c.target == "eni-1"
                    && c.args["network_interface_id"] == Arg::text("eni-1"))
        );
        assert_eq!(calls[0].args["description"], Arg::text("app"));
        assert_eq!(
            calls[1].args["groups"],
            Arg::Value(Value::from(vec!["sg-1"]))
        );
        assert_eq!(calls[2].args["source_dest_check"], Arg::Value(true.into()));
    }

    #[test]
    fn an_endpoint_goes_back_in_one_modify_call() {
        let policy = r#"{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Principal":"*","Resource":"*"}]}"#;
        let (drift, recorded, changes) = input_for(
            ENDPOINT,
            "vpce-1",
            &[
                (
                    "policy",
                    Value::str(policy),
                    Value::str(
                        r#"{"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]}"#,
                    ),
                ),
                (
                    "route_table_ids",
                    Value::from(vec!["rtb-1", "rtb-2"]),
                    Value::from(vec!["rtb-2", "rtb-3"]),
                ),
            ],
        );
        let refs: Vec<&Change> = changes.iter().collect();
        let calls = plan_endpoint(&RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &refs,
        })
        .unwrap();
        assert_eq!(calls.len(), 1);
        let c = &calls[0];
        assert_eq!(c.operation, "ModifyVpcEndpoint");
        assert_eq!(c.args["policy_document"], Arg::text(policy));
        assert_eq!(
            c.args["add_route_table_ids"],
            Arg::Value(Value::from(vec!["rtb-1"]))
        );
        assert_eq!(
            c.args["remove_route_table_ids"],
            Arg::Value(Value::from(vec!["rtb-3"]))
        );
        // Nothing it can set: manual.
        let (drift, recorded, changes) = input_for(
            ENDPOINT,
            "vpce-1",
            &[("vpc_id", Value::str("vpc-1"), Value::str("vpc-2"))],
        );
        let refs: Vec<&Change> = changes.iter().collect();
        assert!(
            plan_endpoint(&RevertInput {
                drift: &drift,
                recorded: &recorded,
                changes: &refs,
            })
            .is_err()
        );
    }
}
