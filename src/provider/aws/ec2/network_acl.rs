//! Network ACLs: `aws_network_acl`, `aws_default_network_acl`, `aws_network_acl_rule` and
//! `aws_network_acl_association`, all from one paginated DescribeNetworkAcls (an ACL carries its
//! entries and its subnet associations).
//!
//! The provider's state shape: an ACL's `ingress` / `egress` are its entries as blocks
//! (`rule_no`, `action`, `protocol` as a number, `cidr_block`, `ipv6_cidr_block`, `from_port`,
//! `to_port`, `icmp_type`, `icmp_code`), leaving out the catch-all deny entries AWS puts in every
//! ACL (rule numbers 32767 and 32768), which nobody can change; `subnet_ids` are the subnets
//! associated with it.
//!
//! Ownership: a VPC's default ACL is AWS's (`aws_default_network_acl` adopts it; as an
//! `aws_network_acl` it is never "unmanaged"), and so are the entries AWS creates in it (rule
//! 100, all traffic from 0.0.0.0/0, and rule 101, all traffic from ::/0, in each direction) and
//! the implicit association of every subnet that is on the default ACL. An entry the account
//! added to a default ACL is the account's.

use aws_sdk_ec2::types::{NetworkAcl, NetworkAclEntry};

use super::{Cx, Found, Listed, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner, Value};

const ACL: &str = "aws_network_acl";
const DEFAULT_ACL: &str = "aws_default_network_acl";
const RULE: &str = "aws_network_acl_rule";
const ASSOCIATION: &str = "aws_network_acl_association";
const TYPES: &[&str] = &[ACL, DEFAULT_ACL, RULE, ASSOCIATION];

/// DescribeNetworkAcls takes at most 100 results a page (not the 1000 of other listings).
const PAGE: i32 = 100;

/// The catch-all deny entries of every ACL (IPv4, IPv6): neither terraform nor anyone else can
/// change them; the provider leaves them out of the state.
const CATCH_ALL: [i32; 2] = [32767, 32768];

pub const UNIT: Unit = Unit {
    label: "network ACLs",
    types: TYPES,
    list,
    samples,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let acls = pages!(
            cx,
            "DescribeNetworkAcls",
            TYPES,
            cx.client.describe_network_acls().max_results(PAGE),
            network_acls
        );
        match acls {
            Ok(acls) => emit(cx, &acls),
            Err(gap) => Found::gap(gap),
        }
    })
}

fn emit(cx: &Cx, acls: &[NetworkAcl]) -> Found {
    let wanted = |t: &str| cx.wanted.contains(t);
    let mut found = Found::default();
    for acl in acls {
        let Some(id) = acl.network_acl_id() else {
            continue;
        };
        let default = acl.is_default() == Some(true);
        let owner = if default {
            Owner::Aws("default network ACL".into())
        } else {
            Owner::User
        };
        let attributes = acl_attributes(acl, &cx.region);
        if wanted(ACL) {
            found
                .resources
                .push(cx.view(ACL, id, owner.clone(), attributes.clone()));
        }
        // A default ACL is also what an `aws_default_network_acl` manages: a second view of
        // the same object, primary only when `aws_network_acl` is not asked for.
        if default && wanted(DEFAULT_ACL) {
            let mut view = cx.view(
                DEFAULT_ACL,
                id,
                owner.clone(),
                default_acl_attributes(attributes),
            );
            view.primary = !wanted(ACL);
            found.resources.push(view);
        }
        if wanted(RULE) {
            for entry in acl.entries() {
                if entry.rule_number().is_some_and(|n| CATCH_ALL.contains(&n)) {
                    continue;
                }
                let a = rule_attributes(id, entry);
                let owner = if default && is_aws_default_entry(entry) {
                    Owner::Aws("default entry of a default network ACL".into())
                } else {
                    Owner::User
                };
                let cloud_id = rule_cloud_id(&a);
                found.resources.push(cx.view(RULE, &cloud_id, owner, a));
            }
        }
        if wanted(ASSOCIATION) {
            for association in acl.associations() {
                let Some(association_id) = association.network_acl_association_id() else {
                    continue;
                };
                let mut a = Attributes::new();
                a.insert("id".into(), association_id.into());
                a.insert("network_acl_id".into(), id.into());
                a.insert("subnet_id".into(), association.subnet_id().into());
                // Every subnet is on some ACL: on the default one unless moved.
                let owner = if default {
                    Owner::Aws(
                        "a subnet's implicit association with the default network ACL".into(),
                    )
                } else {
                    Owner::User
                };
                found
                    .resources
                    .push(cx.view(ASSOCIATION, association_id, owner, a));
            }
        }
    }
    found
}

/// An entry AWS creates in a default ACL: rule 100 (all traffic, 0.0.0.0/0) or 101 (all
/// traffic, ::/0), allow, in either direction.
fn is_aws_default_entry(entry: &NetworkAclEntry) -> bool {
    let all = entry.protocol().is_some_and(|p| p == "-1" || p == "all");
    let allow = entry.rule_action().is_some_and(|a| a.as_str() == "allow");
    let world = match entry.rule_number() {
        Some(100) => entry.cidr_block() == Some("0.0.0.0/0"),
        Some(101) => entry.ipv6_cidr_block() == Some("::/0"),
        _ => false,
    };
    all && allow && world
}

/// One observed entry's cloud id: its ACL, direction and rule number (what identifies an entry
/// to the EC2 API).
fn rule_cloud_id(a: &Attributes) -> String {
    let text = |k: &str| a.get(k).and_then(Value::scalar_text).unwrap_or_default();
    format!(
        "{}:{}:{}",
        text("network_acl_id"),
        if a.get("egress") == Some(&Value::Bool(true)) {
            "egress"
        } else {
            "ingress"
        },
        text("rule_number")
    )
}

/// An `aws_network_acl` as the provider records it.
pub fn acl_attributes(acl: &NetworkAcl, region: &str) -> Attributes {
    let id = acl.network_acl_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, acl.owner_id(), &format!("network-acl/{id}")).into(),
    );
    a.insert("vpc_id".into(), acl.vpc_id().into());
    a.insert("owner_id".into(), acl.owner_id().into());
    let mut subnets: Vec<&str> = acl
        .associations()
        .iter()
        .filter_map(|s| s.subnet_id())
        .collect();
    subnets.sort();
    subnets.dedup();
    a.insert("subnet_ids".into(), subnets.into());
    for (name, egress) in [("ingress", false), ("egress", true)] {
        let blocks: Vec<Value> = acl
            .entries()
            .iter()
            .filter(|e| e.egress() == Some(egress))
            .filter(|e| !e.rule_number().is_some_and(|n| CATCH_ALL.contains(&n)))
            .map(entry_block)
            .collect();
        a.insert(name.into(), Value::List(blocks));
    }
    a.insert("tags".into(), tag_map(acl.tags()));
    a
}

/// An `aws_default_network_acl`: the same state shape, plus `default_network_acl_id`.
fn default_acl_attributes(mut a: Attributes) -> Attributes {
    let id = a.get("id").cloned().unwrap_or(Value::Null);
    a.insert("default_network_acl_id".into(), id);
    a
}

/// An entry as an `ingress` / `egress` block of the provider's state.
fn entry_block(entry: &NetworkAclEntry) -> Value {
    let mut b = Attributes::new();
    b.insert("rule_no".into(), entry.rule_number().into());
    b.insert(
        "action".into(),
        entry.rule_action().map(|a| a.as_str()).into(),
    );
    b.insert("protocol".into(), entry.protocol().into());
    b.insert("cidr_block".into(), entry.cidr_block().unwrap_or("").into());
    b.insert(
        "ipv6_cidr_block".into(),
        entry.ipv6_cidr_block().unwrap_or("").into(),
    );
    let ports = entry.port_range();
    b.insert(
        "from_port".into(),
        ports.and_then(|p| p.from()).unwrap_or(0).into(),
    );
    b.insert(
        "to_port".into(),
        ports.and_then(|p| p.to()).unwrap_or(0).into(),
    );
    let icmp = entry.icmp_type_code();
    b.insert(
        "icmp_type".into(),
        icmp.and_then(|i| i.r#type()).unwrap_or(0).into(),
    );
    b.insert(
        "icmp_code".into(),
        icmp.and_then(|i| i.code()).unwrap_or(0).into(),
    );
    Value::Map(b)
}

/// An `aws_network_acl_rule` as the provider records it (its `id` is a hash of what the
/// configuration said, which no API returns: left out).
pub fn rule_attributes(acl_id: &str, entry: &NetworkAclEntry) -> Attributes {
    let mut a = Attributes::new();
    a.insert("network_acl_id".into(), acl_id.into());
    let egress = entry.egress().unwrap_or(false);
    a.insert("egress".into(), egress.into());
    // Not an attribute of the provider's: the flag the AWS CLI's delete command takes.
    a.insert(
        "direction".into(),
        if egress { "egress" } else { "ingress" }.into(),
    );
    a.insert("rule_number".into(), entry.rule_number().into());
    a.insert(
        "rule_action".into(),
        entry.rule_action().map(|a| a.as_str()).into(),
    );
    a.insert("protocol".into(), entry.protocol().into());
    a.insert("cidr_block".into(), entry.cidr_block().into());
    a.insert("ipv6_cidr_block".into(), entry.ipv6_cidr_block().into());
    let ports = entry.port_range();
    a.insert("from_port".into(), ports.and_then(|p| p.from()).into());
    a.insert("to_port".into(), ports.and_then(|p| p.to()).into());
    let icmp = entry.icmp_type_code();
    a.insert("icmp_type".into(), icmp.and_then(|i| i.r#type()).into());
    a.insert("icmp_code".into(), icmp.and_then(|i| i.code()).into());
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{IcmpTypeCode, NetworkAclAssociation, PortRange, RuleAction, Tag};
    let region = "us-east-1";
    let owner = "111122223333";
    let entry = |n: i32, egress: bool| {
        NetworkAclEntry::builder()
            .rule_number(n)
            .egress(egress)
            .rule_action(RuleAction::Allow)
    };
    let tcp = entry(100, false)
        .protocol("6")
        .cidr_block("10.0.0.0/16")
        .port_range(PortRange::builder().from(443).to(443).build())
        .build();
    let icmpv6 = entry(110, true)
        .protocol("58")
        .ipv6_cidr_block("2001:db8::/32")
        .icmp_type_code(IcmpTypeCode::builder().r#type(128).code(0).build())
        .build();
    let catch_all = entry(32767, false)
        .rule_action(RuleAction::Deny)
        .protocol("-1")
        .cidr_block("0.0.0.0/0")
        .build();
    let association = |n: &str| {
        NetworkAclAssociation::builder()
            .network_acl_association_id(format!("aclassoc-{n}"))
            .network_acl_id("acl-1")
            .subnet_id(format!("subnet-{n}"))
            .build()
    };
    let acl = |id: &str, default: bool| {
        NetworkAcl::builder()
            .network_acl_id(id)
            .vpc_id("vpc-1")
            .owner_id(owner)
            .is_default(default)
            .entries(tcp.clone())
            .entries(icmpv6.clone())
            .entries(catch_all.clone())
            .associations(association("1"))
            .tags(Tag::builder().key("Name").value("private").build())
            .build()
    };
    let custom = acl("acl-1", false);
    let default = acl("acl-0", true);
    let view = |ty: &str, id: &str, attributes: Attributes| {
        super::view(ty, id, true, region, Owner::User, attributes)
    };
    let mut out = vec![
        Sample {
            resource: view(ACL, "acl-1", acl_attributes(&custom, region)),
            import_id: "acl-1".into(),
        },
        Sample {
            resource: view(
                DEFAULT_ACL,
                "acl-0",
                default_acl_attributes(acl_attributes(&default, region)),
            ),
            import_id: "acl-0".into(),
        },
        Sample {
            resource: view(
                ASSOCIATION,
                "aclassoc-1",
                Attributes::from([
                    ("id".to_string(), Value::from("aclassoc-1")),
                    ("network_acl_id".to_string(), Value::from("acl-1")),
                    ("subnet_id".to_string(), Value::from("subnet-1")),
                ]),
            ),
            import_id: "aclassoc-1".into(),
        },
    ];
    // `NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS` (the provider's import format).
    for (entry, import_id) in [(&tcp, "acl-1:100:6:false"), (&icmpv6, "acl-1:110:58:true")] {
        let a = rule_attributes("acl-1", entry);
        out.push(Sample {
            resource: view(RULE, &rule_cloud_id(&a), a),
            import_id: import_id.into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::RuleAction;

    fn all_traffic(n: i32, egress: bool) -> aws_sdk_ec2::types::builders::NetworkAclEntryBuilder {
        NetworkAclEntry::builder()
            .rule_number(n)
            .egress(egress)
            .protocol("-1")
            .rule_action(RuleAction::Allow)
    }

    #[test]
    fn only_the_entries_aws_creates_are_aws_default_entries() {
        assert!(is_aws_default_entry(
            &all_traffic(100, false).cidr_block("0.0.0.0/0").build()
        ));
        assert!(is_aws_default_entry(
            &all_traffic(101, true).ipv6_cidr_block("::/0").build()
        ));
        // The same entry under another number, a narrower source, a single port, a deny.
        assert!(!is_aws_default_entry(
            &all_traffic(90, false).cidr_block("0.0.0.0/0").build()
        ));
        assert!(!is_aws_default_entry(
            &all_traffic(100, false).cidr_block("10.0.0.0/8").build()
        ));
        assert!(!is_aws_default_entry(
            &all_traffic(100, false)
                .protocol("6")
                .cidr_block("0.0.0.0/0")
                .build()
        ));
        assert!(!is_aws_default_entry(
            &all_traffic(100, false)
                .rule_action(RuleAction::Deny)
                .cidr_block("0.0.0.0/0")
                .build()
        ));
    }

    #[test]
    fn catch_all_entries_are_left_out_like_the_provider_does() {
        let acl = NetworkAcl::builder()
            .network_acl_id("acl-1")
            .entries(all_traffic(100, false).cidr_block("0.0.0.0/0").build())
            .entries(
                all_traffic(32767, false)
                    .rule_action(RuleAction::Deny)
                    .cidr_block("0.0.0.0/0")
                    .build(),
            )
            .entries(
                all_traffic(32768, true)
                    .rule_action(RuleAction::Deny)
                    .ipv6_cidr_block("::/0")
                    .build(),
            )
            .build();
        let a = acl_attributes(&acl, "us-east-1");
        assert_eq!(a["ingress"].as_list().map(<[Value]>::len), Some(1));
        assert_eq!(a["egress"], Value::List(vec![]));
        let block = &a["ingress"].as_list().unwrap()[0];
        // No port range and no ICMP for protocol -1: zeros, as the provider records them.
        assert_eq!(block.get("from_port"), Some(&Value::from(0)));
        assert_eq!(block.get("icmp_type"), Some(&Value::from(0)));
        assert_eq!(block.get("ipv6_cidr_block"), Some(&Value::from("")));
    }
}
