//! Ingress newly open to the internet on SSH, RDP, every port or every protocol.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::ingress::{Opened, describe_opened, opened_by};

pub const RULE: Rule = Rule {
    id: "ingress_open_world_admin",
    severity: Severity::Critical,
    summary: "Ingress opened to the internet on SSH, RDP, all ports or all protocols",
    why: "SSH/RDP/all ports opened to the internet",
    explanation: "\
Fires when the observed security group rules let the whole internet (a CIDR with prefix
length 0: 0.0.0.0/0, ::/0) reach SSH (tcp 22), RDP (tcp or udp 3389), every port (0-65535)
or every protocol (protocol -1), and the recorded rules did not. A port range that contains
22 or 3389 counts. It looks at the `ingress` of aws_security_group and
aws_default_security_group, at
aws_vpc_security_group_ingress_rule and at aws_security_group_rule of type ingress, and at
unmanaged security groups and ingress rules that are open that way.

The change is judged by meaning, not by text: a rule that is removed or narrowed, or a
world-open rule that already allowed these ports, is not a finding of this rule. IPv4 and
IPv6 count apart: adding ::/0 next to an existing 0.0.0.0/0 opens the port to the IPv6
internet.",
    example: "\
aws_security_group.web  ~ ingress
  recorded: tcp 443-443 from 10.0.0.0/8
  observed: tcp 443-443 from 10.0.0.0/8, tcp 20-30 from 0.0.0.0/0   (contains 22)",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// What was opened, and to whom: `tcp 22 from 0.0.0.0/0`.
fn detail(s: &Subject<'_>) -> Option<String> {
    describe_opened(s.drift(), s.change())
}

fn applies(s: &Subject<'_>) -> bool {
    opened_by(s.drift(), s.change()) == Opened::Admin
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Path, Value};
    use crate::policy::rules::testkit::*;

    fn sg(before: Vec<Value>, after: Vec<Value>) -> crate::model::Drift {
        change(
            "aws_security_group",
            "ingress",
            blocks(before),
            blocks(after),
        )
    }

    #[test]
    fn ssh_opened_to_ipv4() {
        let d = sg(vec![], vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])]);
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn ssh_opened_on_a_default_group_terraform_adopted() {
        let d = change(
            "aws_default_security_group",
            "ingress",
            blocks(vec![]),
            blocks(vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])]),
        );
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn ssh_opened_to_ipv6_only() {
        let d = sg(
            vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])],
            vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &["::/0"])],
        );
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn rdp_protocol_all_and_ranges() {
        assert!(hits(
            &RULE,
            &sg(
                vec![],
                vec![sg_block("tcp", 3389, 3389, &["0.0.0.0/0"], &[])]
            )
        ));
        assert!(hits(
            &RULE,
            &sg(vec![], vec![sg_block("-1", 0, 0, &["0.0.0.0/0"], &[])])
        ));
        assert!(hits(
            &RULE,
            &sg(vec![], vec![sg_block("tcp", 0, 65535, &[], &["::/0"])])
        ));
        assert!(hits(
            &RULE,
            &sg(vec![], vec![sg_block("tcp", 20, 30, &["0.0.0.0/0"], &[])])
        ));
        assert!(hits(
            &RULE,
            &sg(vec![], vec![sg_block("6", 1000, 4000, &["0.0.0.0/0"], &[])])
        ));
    }

    #[test]
    fn not_for_private_other_ports_or_tightening() {
        assert!(!hits(
            &RULE,
            &sg(vec![], vec![sg_block("tcp", 22, 22, &["10.0.0.0/8"], &[])])
        ));
        assert!(!hits(
            &RULE,
            &sg(vec![], vec![sg_block("tcp", 443, 443, &["0.0.0.0/0"], &[])])
        ));
        // Tightening: the world-open SSH rule goes away.
        let closed = sg(vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])], vec![]);
        assert!(!hits(&RULE, &closed));
        // Narrowing every protocol to tcp 22: still open, but nothing new.
        let narrowed = sg(
            vec![sg_block("-1", 0, 0, &["0.0.0.0/0"], &[])],
            vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])],
        );
        assert!(!hits(&RULE, &narrowed));
        // Unrelated edit on the group.
        assert!(!hits_change(
            &RULE,
            "aws_security_group",
            "description",
            "a",
            "b"
        ));
    }

    #[test]
    fn unmanaged_group_and_rule() {
        let g = unmanaged(
            "aws_security_group",
            attrs(vec![(
                "ingress",
                blocks(vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])]),
            )]),
        );
        assert!(hits(&RULE, &g));
        let closed = unmanaged(
            "aws_security_group",
            attrs(vec![(
                "ingress",
                blocks(vec![sg_block("tcp", 22, 22, &["10.1.0.0/16"], &[])]),
            )]),
        );
        assert!(!hits(&RULE, &closed));
        let rule = unmanaged(
            "aws_vpc_security_group_ingress_rule",
            attrs(vec![
                ("cidr_ipv6", Value::str("::/0")),
                ("ip_protocol", Value::str("tcp")),
                ("from_port", Value::from(3389)),
                ("to_port", Value::from(3389)),
            ]),
        );
        assert!(hits(&RULE, &rule));
        let egress = unmanaged(
            "aws_vpc_security_group_egress_rule",
            attrs(vec![
                ("cidr_ipv4", Value::str("0.0.0.0/0")),
                ("ip_protocol", Value::str("-1")),
            ]),
        );
        assert!(!hits(&RULE, &egress));
    }

    #[test]
    fn changed_rule_resource() {
        let mut d = change(
            "aws_vpc_security_group_ingress_rule",
            "cidr_ipv4",
            Value::str("10.2.0.0/16"),
            Value::str("0.0.0.0/0"),
        );
        d.observed = Some(attrs(vec![
            ("cidr_ipv4", Value::str("0.0.0.0/0")),
            ("ip_protocol", Value::str("tcp")),
            ("from_port", Value::from(22)),
            ("to_port", Value::from(22)),
        ]));
        assert!(hits(&RULE, &d));
        // Without observed attributes, unknown ports count as the worst case.
        d.observed = None;
        assert!(hits(&RULE, &d));
        // The reverse is a tightening.
        let t = change(
            "aws_vpc_security_group_ingress_rule",
            "cidr_ipv4",
            Value::str("0.0.0.0/0"),
            Value::str("10.2.0.0/16"),
        );
        assert!(!hits(&RULE, &t));
        // A port change on a world-open rule, with the observed rule known.
        let mut p = changed(
            "aws_vpc_security_group_ingress_rule",
            vec![
                (Path::root("from_port"), Value::from(443), Value::from(22)),
                (Path::root("to_port"), Value::from(443), Value::from(22)),
            ],
        );
        p.observed = Some(attrs(vec![
            ("cidr_ipv4", Value::str("0.0.0.0/0")),
            ("ip_protocol", Value::str("tcp")),
            ("from_port", Value::from(22)),
            ("to_port", Value::from(22)),
        ]));
        assert!(hits(&RULE, &p));
    }
}
