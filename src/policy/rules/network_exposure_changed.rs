//! Changes to what can reach what: security group rules, public IPs, routes.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::ingress::only_descriptions_differ;

/// Attributes that decide network reachability, on any non-IAM type.
const ATTRIBUTES: &[&str] = &[
    "ingress",
    "egress",
    "map_public_ip_on_launch",
    "assign_ipv6_address_on_creation",
    "map_customer_owned_ip_on_launch",
    "associate_public_ip_address",
    "public_ip",
    "route",
    "destination_cidr_block",
    "destination_ipv6_cidr_block",
    "gateway_id",
    "nat_gateway_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "network_interface_id",
    "route_table_id",
    "vpc_security_group_ids",
    "security_groups",
    "security_group_id",
    "subnet_id",
    "vpc_id",
    "cidr_block",
    "ipv6_cidr_block",
    "cidr_blocks",
    "ipv6_cidr_blocks",
    "cidr_ipv4",
    "cidr_ipv6",
    "prefix_list_id",
    "prefix_list_ids",
    "referenced_security_group_id",
    "source_security_group_id",
    "self",
    "protocol",
    "ip_protocol",
    "from_port",
    "to_port",
    "source_dest_check",
];

pub const RULE: Rule = Rule {
    id: "network_exposure_changed",
    severity: Severity::Medium,
    summary: "Network reachability changed: security group rules, public IPs, routes, subnets",
    why: "network reachability changed",
    explanation: "\
Fires on changes that alter what can reach what, without opening anything to the whole
internet (that is `ingress_open_world_admin` / `ingress_open_world`, and for network ACL
entries `nacl_allow_world_admin` / `nacl_allow_world`): security group and network ACL
ingress and egress rules, a subnet's `map_public_ip_on_launch` (instances launched there get
public IPs), routes and their targets, an instance's security groups or subnet, CIDR blocks,
source/destination checking. Closing or narrowing a rule is drift too and lands here, not
higher. A rule list whose only difference is rule descriptions is `description_changed`.",
    example: "\
aws_subnet.public  ~ map_public_ip_on_launch
  recorded: false
  observed: true",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    let (Some(attr), Some(c)) = (s.attribute(), s.change()) else {
        return false;
    };
    if s.resource_type().starts_with("aws_iam_") || !ATTRIBUTES.contains(&attr) {
        return false;
    }
    !((attr == "ingress" || attr == "egress") && only_descriptions_differ(&c.before, &c.after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn public_ips_routes_and_rules() {
        assert!(hits_change(
            &RULE,
            "aws_subnet",
            "map_public_ip_on_launch",
            Value::Bool(false),
            Value::Bool(true)
        ));
        assert!(hits_change(
            &RULE,
            "aws_route_table",
            "route",
            Value::List(vec![]),
            Value::List(vec![Value::str("r")])
        ));
        // Tightening a world-open rule is drift, graded here.
        let closed = change(
            "aws_security_group",
            "ingress",
            blocks(vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])]),
            blocks(vec![]),
        );
        assert!(hits(&RULE, &closed));
    }

    #[test]
    fn not_tags_instance_type_or_description_only() {
        assert!(!hits_change(
            &RULE,
            "aws_subnet",
            "tags",
            Value::Null,
            Value::Null
        ));
        assert!(!hits_change(
            &RULE,
            "aws_instance",
            "instance_type",
            "t3.micro",
            "t3.large"
        ));
        let mut b = sg_block("tcp", 443, 443, &["10.0.0.0/8"], &[]);
        let before = blocks(vec![b.clone()]);
        if let Value::Map(m) = &mut b {
            m.insert("description".into(), Value::str("https from the office"));
        }
        assert!(!hits_change(
            &RULE,
            "aws_security_group",
            "ingress",
            before,
            blocks(vec![b])
        ));
    }
}
