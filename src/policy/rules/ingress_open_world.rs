//! Ingress newly open to the internet on other ports.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::ingress::{Opened, describe_opened, opened_by};

pub const RULE: Rule = Rule {
    id: "ingress_open_world",
    severity: Severity::High,
    summary: "Ingress opened to the internet on ports other than SSH or RDP",
    why: "a port opened to the internet",
    explanation: "\
Fires when the observed security group rules let the whole internet (0.0.0.0/0, ::/0 or any
other prefix-length-0 CIDR) reach ports that the recorded rules did not open to it, and none
of the newly opened ports is SSH (22) or RDP (3389) and the rule is not for every port or
protocol (those are `ingress_open_world_admin`). Covers the same resources as that rule:
aws_security_group `ingress`, aws_vpc_security_group_ingress_rule, aws_security_group_rule
of type ingress, and unmanaged security groups and ingress rules.

Removing or narrowing a world-open rule is not a finding of this rule.",
    example: "\
aws_security_group.web  ~ ingress
  recorded: tcp 443-443 from 10.0.0.0/8
  observed: tcp 443-443 from 0.0.0.0/0",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// What was opened, and to whom: `tcp 22 from 0.0.0.0/0`.
fn detail(s: &Subject<'_>) -> Option<String> {
    describe_opened(s.drift(), s.change())
}

fn applies(s: &Subject<'_>) -> bool {
    opened_by(s.drift(), s.change()) == Opened::OtherPorts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn https_opened() {
        let d = change(
            "aws_security_group",
            "ingress",
            blocks(vec![sg_block("tcp", 443, 443, &["10.0.0.0/8"], &[])]),
            blocks(vec![sg_block("tcp", 443, 443, &["0.0.0.0/0"], &[])]),
        );
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn not_for_admin_ports_private_or_removal() {
        let ssh = change(
            "aws_security_group",
            "ingress",
            blocks(vec![]),
            blocks(vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])]),
        );
        assert!(!hits(&RULE, &ssh));
        let private = change(
            "aws_security_group",
            "ingress",
            blocks(vec![]),
            blocks(vec![sg_block("tcp", 8080, 8080, &["192.168.0.0/16"], &[])]),
        );
        assert!(!hits(&RULE, &private));
        let removed = change(
            "aws_security_group",
            "ingress",
            blocks(vec![sg_block("tcp", 443, 443, &["0.0.0.0/0"], &[])]),
            Value::List(vec![]),
        );
        assert!(!hits(&RULE, &removed));
    }

    #[test]
    fn unmanaged_rule_on_https() {
        let d = unmanaged(
            "aws_vpc_security_group_ingress_rule",
            attrs(vec![
                ("cidr_ipv4", Value::str("0.0.0.0/0")),
                ("ip_protocol", Value::str("tcp")),
                ("from_port", Value::from(443)),
                ("to_port", Value::from(443)),
            ]),
        );
        assert!(hits(&RULE, &d));
    }
}
