//! A subnet associated with another route table than the recorded one.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity, Value};

pub const RULE: Rule = Rule {
    id: "subnet_route_table_changed",
    severity: Severity::High,
    summary: "A subnet associated with another route table",
    why: "a subnet now routes through another table",
    explanation: "\
Fires when a subnet's traffic follows another route table than the one the state records: an
`aws_route_table_association` whose `route_table_id` changed (re-associated by hand with
ReplaceRouteTableAssociation), an explicit subnet association no state records (the subnet
left the VPC's main table for another one), and an `aws_main_route_table_association` whose
table changed (every subnet without an explicit association moved with it). Whatever the new
table routes to (an internet gateway, a peering connection), the subnet now does; the route
table's own routes are judged by `route_to_internet_added` and `network_exposure_changed`.",
    example: "\
aws_route_table_association.private  ~ route_table_id
  recorded: rtb-private
  observed: rtb-public",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// `subnet-1: rtb-a -> rtb-b`.
fn detail(s: &Subject<'_>) -> Option<String> {
    let drift = s.drift();
    match (drift.kind, s.change()) {
        (DriftKind::Changed, Some(c)) => Some(format!(
            "{}: {} -> {}",
            drift.id,
            c.before.as_str().unwrap_or("?"),
            c.after.as_str().unwrap_or("?")
        )),
        (DriftKind::Unmanaged, None) => {
            let observed = drift.observed.as_ref()?;
            Some(format!(
                "{} -> {}",
                observed.get("subnet_id").and_then(Value::as_str)?,
                observed
                    .get("route_table_id")
                    .and_then(Value::as_str)
                    .unwrap_or("?")
            ))
        }
        _ => None,
    }
}

fn applies(s: &Subject<'_>) -> bool {
    let drift = s.drift();
    match (drift.resource_type.as_str(), drift.kind) {
        (
            "aws_route_table_association" | "aws_main_route_table_association",
            DriftKind::Changed,
        ) => s.attribute() == Some("route_table_id"),
        ("aws_route_table_association", DriftKind::Unmanaged) => drift
            .observed
            .as_ref()
            .and_then(|o| o.get("subnet_id"))
            .is_some_and(|v| !v.is_empty_like()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    #[test]
    fn a_subnet_reassociated() {
        let d = change(
            "aws_route_table_association",
            "route_table_id",
            Value::str("rtb-private"),
            Value::str("rtb-public"),
        );
        assert!(hits(&RULE, &d));
        let subject = Subject::Change {
            drift: &d,
            change: &d.changes[0],
        };
        assert_eq!(
            detail(&subject).as_deref(),
            Some("id-1: rtb-private -> rtb-public")
        );
        let main = change(
            "aws_main_route_table_association",
            "route_table_id",
            Value::str("rtb-main"),
            Value::str("rtb-public"),
        );
        assert!(hits(&RULE, &main));
    }

    #[test]
    fn an_unrecorded_subnet_association_but_not_a_gateways() {
        let subnet = unmanaged(
            "aws_route_table_association",
            attrs(vec![
                ("subnet_id", Value::str("subnet-1")),
                ("gateway_id", Value::str("")),
                ("route_table_id", Value::str("rtb-1")),
            ]),
        );
        assert!(hits(&RULE, &subnet));
        let gateway = unmanaged(
            "aws_route_table_association",
            attrs(vec![
                ("subnet_id", Value::str("")),
                ("gateway_id", Value::str("igw-1")),
                ("route_table_id", Value::str("rtb-1")),
            ]),
        );
        assert!(!hits(&RULE, &gateway));
        // Other attributes and types are not this rule's.
        let tags = change(
            "aws_route_table",
            "vpc_id",
            Value::str("vpc-1"),
            Value::str("vpc-2"),
        );
        assert!(!hits(&RULE, &tags));
    }
}
