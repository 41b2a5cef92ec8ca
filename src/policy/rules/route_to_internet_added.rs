//! A route to an internet gateway or a NAT gateway added to a route table whose subnets had
//! none: private subnets made public, or isolated ones given a way out.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity, Value};
use crate::normalize::routes::destinations_and_targets;

pub const RULE: Rule = Rule {
    id: "route_to_internet_added",
    severity: Severity::Critical,
    summary: "A route to an internet or NAT gateway added to a route table that had none",
    why: "subnets given a route to the internet",
    explanation: "\
Fires when a route table gains a route to an internet gateway (`igw-`: its subnets become
public) and the recorded state of the table had no route to an internet gateway, or gains a
route to a NAT gateway (its subnets can reach out) and the recorded state had no route to
either. What the table \"had\" is what the state records for it:

- a table with inline routes (`aws_route_table` / `aws_default_route_table` `route`): the
  recorded route set. A second route to a gateway the table already used is not this rule's
  (it is `network_exposure_changed`).
- an `aws_route` whose target was changed by hand (`ReplaceRoute`): its recorded target. A
  route moved from an internet gateway to a NAT gateway narrows exposure and does not fire.
- an `aws_route` no state records, in a table whose routes are `aws_route` resources: the
  state records no such route. A rule judges one finding and cannot see the table's other
  recorded routes, so this fires whenever the unrecorded route targets an internet or NAT
  gateway: it never misses a table made public, at the cost of also firing on a second route
  to the same gateway.",
    example: "\
aws_route_table.private  ~ route
  recorded: 192.168.0.0/16 -> nat-0a1b
  observed: 192.168.0.0/16 -> nat-0a1b, 0.0.0.0/0 -> igw-9f8e",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// How far a route takes a subnet's traffic: the internet both ways, out only, or neither.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Reach {
    None,
    Egress,
    Public,
}

fn reach_of_target(target: &str) -> Reach {
    if target.starts_with("igw-") {
        Reach::Public
    } else if target.starts_with("nat-") {
        Reach::Egress
    } else {
        Reach::None
    }
}

/// The most a set of route blocks gives.
fn reach_of_routes(v: &Value) -> Reach {
    destinations_and_targets(v)
        .iter()
        .map(|(_, t)| reach_of_target(t))
        .max()
        .unwrap_or(Reach::None)
}

/// The added route that raised the table's reach, as `0.0.0.0/0 -> igw-1`.
fn added(s: &Subject<'_>) -> Option<String> {
    let drift = s.drift();
    let is_table = matches!(
        drift.resource_type.as_str(),
        "aws_route_table" | "aws_default_route_table"
    );
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    match (drift.kind, s.change()) {
        (DriftKind::Changed, Some(c)) if is_table && s.attribute() == Some("route") => {
            let had = reach_of_routes(&c.before);
            let before = destinations_and_targets(&c.before);
            destinations_and_targets(&c.after)
                .into_iter()
                .filter(|r| !before.contains(r) && reach_of_target(&r.1) > had)
                .map(|(d, t)| format!("{d} -> {t}"))
                .next()
        }
        (DriftKind::Changed, Some(c)) if drift.resource_type == "aws_route" => {
            let (Some(attr), Some(after)) = (s.attribute(), c.after.as_str()) else {
                return None;
            };
            if !matches!(attr, "gateway_id" | "nat_gateway_id") {
                return None;
            }
            // The recorded target: this change's, or the gateway the route had before.
            let had = drift
                .changes
                .iter()
                .filter(|o| matches!(o.path.attribute(), Some("gateway_id" | "nat_gateway_id")))
                .filter_map(|o| o.before.as_str())
                .map(reach_of_target)
                .max()
                .unwrap_or(Reach::None);
            (reach_of_target(after) > had).then(|| format!("{} -> {after}", drift.id))
        }
        (DriftKind::Unmanaged, None) if drift.resource_type == "aws_route" => {
            let observed = drift.observed.as_ref()?;
            let target = [
                text(observed.get("gateway_id")),
                text(observed.get("nat_gateway_id")),
            ]
            .into_iter()
            .find(|t| reach_of_target(t) > Reach::None)?;
            Some(format!("{} -> {target}", drift.id))
        }
        _ => None,
    }
}

fn detail(s: &Subject<'_>) -> Option<String> {
    added(s)
}

fn applies(s: &Subject<'_>) -> bool {
    added(s).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Path;
    use crate::policy::rules::testkit::*;

    fn route(cidr: &str, target_key: &str, target: &str) -> Value {
        map(vec![
            ("cidr_block", Value::str(cidr)),
            (target_key, Value::str(target)),
            (
                "gateway_id",
                Value::str(if target_key == "gateway_id" {
                    target
                } else {
                    ""
                }),
            ),
        ])
    }

    #[test]
    fn an_internet_route_added_to_a_private_table() {
        let office = route("192.168.0.0/16", "nat_gateway_id", "nat-1");
        let d = change(
            "aws_route_table",
            "route",
            blocks(vec![office.clone()]),
            blocks(vec![
                office.clone(),
                route("0.0.0.0/0", "gateway_id", "igw-1"),
            ]),
        );
        assert!(hits(&RULE, &d));
        let subject = Subject::Change {
            drift: &d,
            change: &d.changes[0],
        };
        assert_eq!(detail(&subject).as_deref(), Some("0.0.0.0/0 -> igw-1"));
        // A NAT route added to an isolated table.
        let d = change(
            "aws_default_route_table",
            "route",
            blocks(vec![]),
            blocks(vec![route("0.0.0.0/0", "nat_gateway_id", "nat-1")]),
        );
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn not_when_the_table_already_had_that_reach_or_the_route_goes_elsewhere() {
        let public = route("0.0.0.0/0", "gateway_id", "igw-1");
        let d = change(
            "aws_route_table",
            "route",
            blocks(vec![public.clone()]),
            blocks(vec![
                public.clone(),
                route("10.9.0.0/16", "gateway_id", "igw-1"),
            ]),
        );
        assert!(!hits(&RULE, &d));
        // NAT egress added where the subnets were public already.
        let d = change(
            "aws_route_table",
            "route",
            blocks(vec![public.clone()]),
            blocks(vec![
                public,
                route("10.9.0.0/16", "nat_gateway_id", "nat-1"),
            ]),
        );
        assert!(!hits(&RULE, &d));
        // A peering route is not the internet.
        let d = change(
            "aws_route_table",
            "route",
            blocks(vec![]),
            blocks(vec![route(
                "10.9.0.0/16",
                "vpc_peering_connection_id",
                "pcx-1",
            )]),
        );
        assert!(!hits(&RULE, &d));
        // Routes removed.
        let d = change(
            "aws_route_table",
            "route",
            blocks(vec![route("0.0.0.0/0", "gateway_id", "igw-1")]),
            blocks(vec![]),
        );
        assert!(!hits(&RULE, &d));
    }

    #[test]
    fn a_routes_target_replaced() {
        // NAT -> internet gateway: public now.
        let d = changed(
            "aws_route",
            vec![
                (
                    Path::root("gateway_id"),
                    Value::str(""),
                    Value::str("igw-1"),
                ),
                (
                    Path::root("nat_gateway_id"),
                    Value::str("nat-1"),
                    Value::str(""),
                ),
            ],
        );
        assert!(hits(&RULE, &d));
        // Internet gateway -> NAT: narrower.
        let d = changed(
            "aws_route",
            vec![
                (
                    Path::root("gateway_id"),
                    Value::str("igw-1"),
                    Value::str(""),
                ),
                (
                    Path::root("nat_gateway_id"),
                    Value::str(""),
                    Value::str("nat-1"),
                ),
            ],
        );
        assert!(!hits(&RULE, &d));
        // A peering connection -> NAT: egress where there was none.
        let d = changed(
            "aws_route",
            vec![
                (
                    Path::root("vpc_peering_connection_id"),
                    Value::str("pcx-1"),
                    Value::str(""),
                ),
                (
                    Path::root("nat_gateway_id"),
                    Value::str(""),
                    Value::str("nat-1"),
                ),
            ],
        );
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn an_unrecorded_route_to_a_gateway() {
        let d = unmanaged(
            "aws_route",
            attrs(vec![
                ("route_table_id", Value::str("rtb-1")),
                ("destination_cidr_block", Value::str("0.0.0.0/0")),
                ("gateway_id", Value::str("igw-1")),
                ("nat_gateway_id", Value::str("")),
            ]),
        );
        assert!(hits(&RULE, &d));
        let d = unmanaged(
            "aws_route",
            attrs(vec![
                ("gateway_id", Value::str("vgw-1")),
                ("nat_gateway_id", Value::str("")),
            ]),
        );
        assert!(!hits(&RULE, &d));
        assert!(!hits(&RULE, &missing("aws_route")));
    }
}
