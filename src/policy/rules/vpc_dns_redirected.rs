//! A VPC put on another DHCP options set: its instances' DNS servers and search domain changed.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity};

pub const RULE: Rule = Rule {
    id: "vpc_dns_redirected",
    severity: Severity::High,
    summary: "A VPC associated with another DHCP options set",
    why: "the VPC's DNS servers changed",
    explanation: "\
Fires when an `aws_vpc_dhcp_options_association` points at another set than the state
records, or when a VPC is associated with a set of the account's and no state records that
association. The set gives every instance of the VPC its DNS servers, search domain and NTP
servers when it renews its lease: a set naming other name servers sends all of the VPC's name
lookups there, the setup for intercepting its traffic. A VPC left with no set at all is a
missing association (`resource_missing`). The association with the set AWS creates for the
default VPC, which every new VPC gets, is AWS's and never fires.",
    example: "\
aws_vpc_dhcp_options_association.main  ~ dhcp_options_id
  recorded: dopt-0corp
  observed: dopt-0f00",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    if s.resource_type() != "aws_vpc_dhcp_options_association" {
        return false;
    }
    match s {
        Subject::Resource { drift } => drift.kind == DriftKind::Unmanaged,
        Subject::Change { .. } => s.attribute() == Some("dhcp_options_id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn another_set_or_an_unrecorded_association() {
        let ty = "aws_vpc_dhcp_options_association";
        assert!(hits_change(
            &RULE,
            ty,
            "dhcp_options_id",
            Value::from("dopt-1"),
            Value::from("dopt-2")
        ));
        assert!(hits(&RULE, &unmanaged(ty, attrs(vec![]))));
        assert!(!hits(&RULE, &missing(ty)));
        assert!(!hits_change(
            &RULE,
            "aws_vpc",
            "dhcp_options_id",
            Value::from("dopt-1"),
            Value::from("dopt-2")
        ));
    }
}
