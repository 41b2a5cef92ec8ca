//! `aws_vpc_dhcp_options`: DescribeDhcpOptions. The provider records each DHCP option under its
//! own attribute (`domain-name` as `domain_name`, `domain-name-servers` as the ordered list
//! `domain_name_servers`, ...); an option the set does not have is `""` or `[]`.
//!
//! Ownership: the set AWS creates for a region's default VPC (domain name `ec2.internal` in
//! us-east-1, `REGION.compute.internal` elsewhere, name servers `AmazonProvidedDNS`, nothing
//! else) is AWS's, like the default VPC it serves. Any other set is the account's.

use aws_sdk_ec2::types::DhcpOptions;

use super::{Cx, Found, Listed, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner, Value};

const TYPE: &str = "aws_vpc_dhcp_options";
const TYPES: &[&str] = &[TYPE];

/// DHCP option keys of the API and the provider attribute each is recorded in (`true`: a list).
const OPTIONS: &[(&str, &str, bool)] = &[
    ("domain-name", "domain_name", false),
    ("domain-name-servers", "domain_name_servers", true),
    ("ntp-servers", "ntp_servers", true),
    ("netbios-name-servers", "netbios_name_servers", true),
    ("netbios-node-type", "netbios_node_type", false),
    (
        "ipv6-address-preferred-lease-time",
        "ipv6_address_preferred_lease_time",
        false,
    ),
];

pub const UNIT: Unit = Unit::new("DHCP options", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        // The region's one listing, which the VPC unit reads too; under `only`, the named
        // sets by id (never that listing).
        let sets = cx
            .dhcp_options(TYPES, cx.id_filters(TYPE, "dhcp-options-id"))
            .await;
        sets.map_or_else(Found::gap, |sets| emit(cx, &sets))
    })
}

fn emit(cx: &Cx, sets: &[DhcpOptions]) -> Found {
    let mut found = Found::default();
    for set in sets {
        let Some(id) = set.dhcp_options_id() else {
            continue;
        };
        let a = attributes(set, &cx.region);
        let owner = if is_aws_default(&a, &cx.region) {
            Owner::Aws("DHCP options of the default VPC".into())
        } else {
            Owner::User
        };
        found.resources.push(cx.view(TYPE, id, owner, a));
    }
    found
}

/// Whether a set is the one AWS creates for a region's default VPC (the VPC unit's test of
/// whose association with it is AWS's).
pub fn is_aws_default_set(set: &DhcpOptions, region: &str) -> bool {
    is_aws_default(&attributes(set, region), region)
}

/// Whether a set is the one AWS creates for a region's default VPC (by its options: AWS
/// marks it no other way).
fn is_aws_default(a: &Attributes, region: &str) -> bool {
    let domain = if region == "us-east-1" {
        "ec2.internal".to_string()
    } else {
        format!("{region}.compute.internal")
    };
    let text = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("");
    let empty = |k: &str| a.get(k).is_none_or(Value::is_empty_like);
    text("domain_name") == domain
        && a.get("domain_name_servers") == Some(&Value::from(vec!["AmazonProvidedDNS"]))
        && [
            "ntp_servers",
            "netbios_name_servers",
            "netbios_node_type",
            "ipv6_address_preferred_lease_time",
        ]
        .iter()
        .all(|k| empty(k))
}

/// An `aws_vpc_dhcp_options` as the provider records it.
pub fn attributes(set: &DhcpOptions, region: &str) -> Attributes {
    let id = set.dhcp_options_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, set.owner_id(), &format!("dhcp-options/{id}")).into(),
    );
    a.insert("owner_id".into(), set.owner_id().into());
    for (key, name, is_list) in OPTIONS {
        let values: Vec<&str> = set
            .dhcp_configurations()
            .iter()
            .filter(|c| c.key() == Some(*key))
            .flat_map(|c| c.values())
            .filter_map(|v| v.value())
            .collect();
        let value = if *is_list {
            Value::from(values)
        } else {
            Value::from(values.first().copied().unwrap_or(""))
        };
        a.insert((*name).into(), value);
    }
    a.insert("tags".into(), tag_map(set.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{AttributeValue, DhcpConfiguration, Tag};
    let region = "us-east-1";
    let option = |key: &str, values: &[&str]| {
        DhcpConfiguration::builder()
            .key(key)
            .set_values(Some(
                values
                    .iter()
                    .map(|v| AttributeValue::builder().value(*v).build())
                    .collect(),
            ))
            .build()
    };
    let set = DhcpOptions::builder()
        .dhcp_options_id("dopt-1")
        .owner_id("111122223333")
        .dhcp_configurations(option("domain-name", &["corp.example"]))
        .dhcp_configurations(option("domain-name-servers", &["10.0.0.2", "10.0.0.3"]))
        .dhcp_configurations(option("ntp-servers", &["10.0.0.4"]))
        .dhcp_configurations(option("netbios-name-servers", &["10.0.0.5"]))
        .dhcp_configurations(option("netbios-node-type", &["2"]))
        .dhcp_configurations(option("ipv6-address-preferred-lease-time", &["140"]))
        .tags(Tag::builder().key("Name").value("corp").build())
        .build();
    vec![Sample::regional(
        TYPE,
        "dopt-1",
        region,
        attributes(&set, region),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{AttributeValue, DhcpConfiguration};

    fn set(domain: &str, servers: &[&str]) -> DhcpOptions {
        let option = |key: &str, values: &[&str]| {
            DhcpConfiguration::builder()
                .key(key)
                .set_values(Some(
                    values
                        .iter()
                        .map(|v| AttributeValue::builder().value(*v).build())
                        .collect(),
                ))
                .build()
        };
        DhcpOptions::builder()
            .dhcp_options_id("dopt-1")
            .dhcp_configurations(option("domain-name", &[domain]))
            .dhcp_configurations(option("domain-name-servers", servers))
            .build()
    }

    #[test]
    fn only_the_default_vpcs_set_is_aws_own() {
        let aws = |region: &str, domain: &str, servers: &[&str]| {
            is_aws_default(&attributes(&set(domain, servers), region), region)
        };
        assert!(aws("us-east-1", "ec2.internal", &["AmazonProvidedDNS"]));
        assert!(aws(
            "eu-west-1",
            "eu-west-1.compute.internal",
            &["AmazonProvidedDNS"]
        ));
        // Another domain, another resolver, or the us-east-1 name in another region.
        assert!(!aws("us-east-1", "corp.example", &["AmazonProvidedDNS"]));
        assert!(!aws("us-east-1", "ec2.internal", &["10.0.0.2"]));
        assert!(!aws("eu-west-1", "ec2.internal", &["AmazonProvidedDNS"]));
    }

    #[test]
    fn options_the_set_lacks_are_empty_and_server_order_is_kept() {
        let a = attributes(&set("corp.example", &["10.0.0.3", "10.0.0.2"]), "us-east-1");
        assert_eq!(
            a["domain_name_servers"],
            Value::from(vec!["10.0.0.3", "10.0.0.2"])
        );
        assert_eq!(a["ntp_servers"], Value::List(vec![]));
        assert_eq!(a["netbios_node_type"], Value::from(""));
    }
}
