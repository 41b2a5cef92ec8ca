//! A VPC peering connection no state records: a network path into a VPC that no review saw.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity};

pub const RULE: Rule = Rule {
    id: "vpc_peering_added",
    severity: Severity::High,
    summary: "A VPC peering connection created outside terraform",
    why: "a VPC joined to another network",
    explanation: "\
Fires for an `aws_vpc_peering_connection` that none of the scanned states records, in the
requester's region. A peering connection joins two VPCs, possibly of another account: once
routes point at it, everything the security groups and network ACLs allow is reachable from
the other side, without crossing an internet or NAT gateway any other rule watches. A
connection that was deleted, rejected or expired is gone and does not fire.",
    example: "\
aws_vpc_peering_connection  pcx-0a1b2c3d  (unmanaged)
  vpc_id: vpc-0app  peer_vpc_id: vpc-0partner  peer_owner_id: 210987654321",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    matches!(s, Subject::Resource { drift } if drift.kind == DriftKind::Unmanaged)
        && s.resource_type() == "aws_vpc_peering_connection"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    #[test]
    fn an_unmanaged_peering_connection_only() {
        assert!(hits(
            &RULE,
            &unmanaged("aws_vpc_peering_connection", attrs(vec![]))
        ));
        assert!(!hits(&RULE, &unmanaged("aws_vpc", attrs(vec![]))));
        assert!(!hits(&RULE, &missing("aws_vpc_peering_connection")));
    }
}
