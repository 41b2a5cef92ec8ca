//! A network ACL allow entry from the whole internet added on other ports.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::ingress::Opened;
use crate::policy::analyze::nacl::{added_world_allow, describe_added};

pub const RULE: Rule = Rule {
    id: "nacl_allow_world",
    severity: Severity::High,
    summary: "Network ACL allow entry from the internet added on ports other than SSH or RDP",
    why: "ACL lets a port in from the internet",
    explanation: "\
Fires when a network ACL gains an ingress entry that allows traffic from the whole internet
(0.0.0.0/0, ::/0 or any other prefix-length-0 CIDR) and none of what it allows is an admin
port, every port or every protocol (those are `nacl_allow_world_admin`). Covers the same
resources as that rule: the `ingress` of aws_network_acl and aws_default_network_acl, changed
and unmanaged aws_network_acl_rule entries, unmanaged network ACLs.

Removing an entry, a deny entry and egress entries are not findings of this rule.",
    example: "\
aws_network_acl.private  ~ ingress
  recorded: 100 allow tcp 443-443 from 10.0.0.0/8
  observed: + 110 allow tcp 443-443 from 0.0.0.0/0",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// What the entry lets in: `tcp 443 from 0.0.0.0/0`.
fn detail(s: &Subject<'_>) -> Option<String> {
    describe_added(s.drift(), s.change())
}

fn applies(s: &Subject<'_>) -> bool {
    added_world_allow(s.drift(), s.change()) == Opened::OtherPorts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    fn entry(action: &str, port: i64, cidr: &str) -> Value {
        map(vec![
            ("rule_no", Value::from(110)),
            ("action", Value::str(action)),
            ("protocol", Value::str("6")),
            ("from_port", Value::from(port)),
            ("to_port", Value::from(port)),
            ("cidr_block", Value::str(cidr)),
            ("ipv6_cidr_block", Value::str("")),
        ])
    }

    #[test]
    fn https_allowed_from_the_world() {
        let d = change(
            "aws_network_acl",
            "ingress",
            blocks(vec![entry("allow", 443, "10.0.0.0/8")]),
            blocks(vec![
                entry("allow", 443, "10.0.0.0/8"),
                entry("allow", 443, "0.0.0.0/0"),
            ]),
        );
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn not_for_admin_ports_private_deny_or_security_groups() {
        for e in [
            entry("allow", 22, "0.0.0.0/0"),
            entry("allow", 443, "10.0.0.0/8"),
            entry("deny", 443, "0.0.0.0/0"),
        ] {
            let d = change(
                "aws_network_acl",
                "ingress",
                blocks(vec![]),
                blocks(vec![e.clone()]),
            );
            assert!(!hits(&RULE, &d), "{e}");
        }
        // A security group's ingress is the ingress_open_world rules' business.
        let sg = change(
            "aws_security_group",
            "ingress",
            blocks(vec![]),
            blocks(vec![sg_block("tcp", 443, 443, &["0.0.0.0/0"], &[])]),
        );
        assert!(!hits(&RULE, &sg));
    }
}
