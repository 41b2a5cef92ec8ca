//! A network ACL allow entry from the whole internet added on SSH, RDP, every port or every
//! protocol.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::ingress::Opened;
use crate::policy::analyze::nacl::{added_world_allow, describe_added};

pub const RULE: Rule = Rule {
    id: "nacl_allow_world_admin",
    severity: Severity::Critical,
    summary: "Network ACL allow entry from the internet added on SSH, RDP, all ports or all protocols",
    why: "ACL lets SSH/RDP/all ports in from the internet",
    explanation: "\
Fires when a network ACL gains an ingress entry that allows traffic from the whole internet
(a CIDR with prefix length 0: 0.0.0.0/0, ::/0) to SSH (tcp 22), RDP (tcp or udp 3389), every
port or every protocol: the admin ports of `ingress_open_world_admin`, judged the same way.
It looks at the `ingress` of aws_network_acl and aws_default_network_acl (an entry the
recorded side did not have, or one whose action, protocol, ports or source changed), at a
changed aws_network_acl_rule that now allows such traffic in, and at unmanaged
aws_network_acl_rule entries and network ACLs that do.

An entry is judged on its own, as it was added: a deny entry with a lower rule number or an
allow-all entry already in the ACL does not lower it, since either can be changed as easily.
Removing an entry, a deny entry and egress entries are not findings of this rule.",
    example: "\
aws_default_network_acl.this  ~ ingress
  recorded: 100 allow all traffic from 10.0.0.0/8
  observed: + 90 allow tcp 3389-3389 from 0.0.0.0/0",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// What the entry lets in: `tcp 3389 from 0.0.0.0/0`.
fn detail(s: &Subject<'_>) -> Option<String> {
    describe_added(s.drift(), s.change())
}

fn applies(s: &Subject<'_>) -> bool {
    added_world_allow(s.drift(), s.change()) == Opened::Admin
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Path, Value};
    use crate::policy::rules::testkit::*;

    /// An entry as the provider records it in `ingress`.
    fn entry(rule_no: i64, action: &str, protocol: &str, ports: (i64, i64), cidr: &str) -> Value {
        let (v4, v6) = if cidr.contains(':') {
            ("", cidr)
        } else {
            (cidr, "")
        };
        map(vec![
            ("rule_no", Value::from(rule_no)),
            ("action", Value::str(action)),
            ("protocol", Value::str(protocol)),
            ("from_port", Value::from(ports.0)),
            ("to_port", Value::from(ports.1)),
            ("cidr_block", Value::str(v4)),
            ("ipv6_cidr_block", Value::str(v6)),
            ("icmp_type", Value::Null),
            ("icmp_code", Value::Null),
        ])
    }

    fn acl(ty: &str, before: Vec<Value>, after: Vec<Value>) -> crate::model::Drift {
        change(ty, "ingress", blocks(before), blocks(after))
    }

    #[test]
    fn rdp_allowed_from_the_world_on_a_managed_default_acl() {
        let all = entry(100, "allow", "-1", (0, 0), "0.0.0.0/0");
        // Even beside an allow-all entry: the added entry is judged on its own.
        let d = acl(
            "aws_default_network_acl",
            vec![all.clone()],
            vec![all, entry(90, "allow", "6", (3389, 3389), "0.0.0.0/0")],
        );
        assert!(hits(&RULE, &d));
        let s = Subject::Change {
            drift: &d,
            change: &d.changes[0],
        };
        assert_eq!(
            (RULE.detail.unwrap())(&s).as_deref(),
            Some("tcp 3389 from 0.0.0.0/0")
        );
    }

    #[test]
    fn ssh_by_name_all_protocols_and_ipv6() {
        for e in [
            entry(90, "allow", "tcp", (20, 30), "0.0.0.0/0"),
            entry(90, "ALLOW", "all", (0, 0), "0.0.0.0/0"),
            entry(90, "allow", "17", (3389, 3389), "::/0"),
            entry(90, "allow", "6", (0, 65535), "::/0"),
        ] {
            assert!(
                hits(&RULE, &acl("aws_network_acl", vec![], vec![e.clone()])),
                "{e}"
            );
        }
    }

    #[test]
    fn not_for_deny_private_sources_other_ports_egress_or_removal() {
        let https = entry(90, "allow", "6", (443, 443), "0.0.0.0/0");
        for e in [
            entry(90, "deny", "6", (22, 22), "0.0.0.0/0"),
            entry(90, "allow", "6", (22, 22), "10.0.0.0/8"),
            https.clone(),
        ] {
            assert!(
                !hits(&RULE, &acl("aws_network_acl", vec![], vec![e.clone()])),
                "{e}"
            );
        }
        let ssh = entry(90, "allow", "6", (22, 22), "0.0.0.0/0");
        assert!(!hits(
            &RULE,
            &acl("aws_network_acl", vec![ssh.clone()], vec![])
        ));
        assert!(!hits_change(
            &RULE,
            "aws_network_acl",
            "egress",
            blocks(vec![]),
            blocks(vec![ssh.clone()])
        ));
        // The same entry on both sides, written differently: nothing added.
        let by_name = entry(90, "allow", "tcp", (22, 22), "0.0.0.0/0");
        assert!(!hits(
            &RULE,
            &acl("aws_network_acl", vec![by_name], vec![ssh])
        ));
    }

    #[test]
    fn separate_rules_changed_or_unmanaged() {
        let rule = |action: &str, port: i64, egress: bool| {
            attrs(vec![
                ("network_acl_id", Value::str("acl-1")),
                ("egress", Value::Bool(egress)),
                ("rule_number", Value::from(90)),
                ("rule_action", Value::str(action)),
                ("protocol", Value::str("6")),
                ("cidr_block", Value::str("0.0.0.0/0")),
                ("from_port", Value::from(port)),
                ("to_port", Value::from(port)),
            ])
        };
        assert!(hits(
            &RULE,
            &unmanaged("aws_network_acl_rule", rule("allow", 22, false))
        ));
        assert!(!hits(
            &RULE,
            &unmanaged("aws_network_acl_rule", rule("allow", 22, true))
        ));
        assert!(!hits(
            &RULE,
            &unmanaged("aws_network_acl_rule", rule("deny", 22, false))
        ));
        // A deny turned into an allow.
        let mut d = changed(
            "aws_network_acl_rule",
            vec![(
                Path::root("rule_action"),
                Value::str("deny"),
                Value::str("allow"),
            )],
        );
        d.observed = Some(rule("allow", 3389, false));
        assert!(hits(&RULE, &d));
        // The reverse closes it.
        let mut d = changed(
            "aws_network_acl_rule",
            vec![(
                Path::root("rule_action"),
                Value::str("allow"),
                Value::str("deny"),
            )],
        );
        d.observed = Some(rule("deny", 3389, false));
        assert!(!hits(&RULE, &d));
        // An unmanaged ACL that lets RDP in from the world.
        let a = unmanaged(
            "aws_network_acl",
            attrs(vec![(
                "ingress",
                blocks(vec![entry(100, "allow", "6", (3389, 3389), "0.0.0.0/0")]),
            )]),
        );
        assert!(hits(&RULE, &a));
    }
}
