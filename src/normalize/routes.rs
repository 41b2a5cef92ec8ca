//! Route table routes (`route` blocks of `aws_route_table` / `aws_default_route_table`): a
//! route has one destination and one target out of many optional fields, and the provider
//! records every field of every block (`""` for the unset ones) where EC2 returns only those
//! that are set. Both sides become a set of blocks holding only the fields with a value, so
//! null, absent and `""` are one.

use super::within;
use crate::model::Value;

/// The canonical set of route blocks: each block without its empty fields (and without the
/// network interface EC2 may report beside a NAT gateway target, which the provider ignores
/// too), sorted, de-duplicated. Something that is not a block is kept as it is, never dropped.
pub fn canonical_routes(v: &Value) -> Value {
    let Some(blocks) = v.as_list() else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut out: Vec<Value> = blocks.iter().map(|b| within(b, canonical_route)).collect();
    out.sort();
    out.dedup();
    Value::List(out)
}

fn canonical_route(block: &Value) -> Value {
    let Value::Map(m) = block else {
        return block.clone();
    };
    let nat = m.get("nat_gateway_id").is_some_and(|v| !v.is_empty_like());
    Value::Map(
        m.iter()
            .filter(|(_, v)| !v.is_empty_like())
            .filter(|(k, _)| !(nat && k.as_str() == "network_interface_id"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

/// The route blocks of `v` as (destination, target) texts: `("0.0.0.0/0", "igw-1")`. For
/// severity rules.
pub fn destinations_and_targets(v: &Value) -> Vec<(String, String)> {
    let Value::List(blocks) = canonical_routes(v) else {
        return Vec::new();
    };
    blocks
        .iter()
        .filter_map(|b| {
            let text = |keys: &[&str]| {
                keys.iter()
                    .find_map(|k| b.get(k).and_then(Value::as_str).map(str::to_string))
            };
            Some((
                text(&[
                    "cidr_block",
                    "ipv6_cidr_block",
                    "destination_prefix_list_id",
                ])?,
                text(&TARGETS)?,
            ))
        })
        .collect()
}

/// The target fields of a route, as the provider names them.
pub const TARGETS: [&str; 10] = [
    "carrier_gateway_id",
    "core_network_arn",
    "egress_only_gateway_id",
    "gateway_id",
    "local_gateway_id",
    "nat_gateway_id",
    "network_interface_id",
    "transit_gateway_id",
    "vpc_endpoint_id",
    "vpc_peering_connection_id",
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn block(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<BTreeMap<_, _>>(),
        )
    }

    #[test]
    fn empty_fields_are_absent_and_order_does_not_matter() {
        // The provider's shape: every field, "" when unset.
        let mut recorded = vec![("cidr_block", Value::str("0.0.0.0/0"))];
        for t in TARGETS {
            recorded.push((t, Value::str("")));
        }
        recorded.push(("ipv6_cidr_block", Value::str("")));
        recorded.push(("destination_prefix_list_id", Value::str("")));
        recorded.retain(|(k, _)| *k != "nat_gateway_id");
        recorded.push(("nat_gateway_id", Value::str("nat-1")));
        let eigw = block(&[
            ("ipv6_cidr_block", Value::str("::/0")),
            ("egress_only_gateway_id", Value::str("eigw-1")),
            ("gateway_id", Value::Null),
        ]);
        let recorded = Value::List(vec![block(&recorded), eigw.clone()]);
        // EC2's shape: only what is set, in another order, a NAT route with its interface.
        let observed = Value::List(vec![
            block(&[
                ("egress_only_gateway_id", Value::str("eigw-1")),
                ("ipv6_cidr_block", Value::str("::/0")),
            ]),
            block(&[
                ("cidr_block", Value::str("0.0.0.0/0")),
                ("nat_gateway_id", Value::str("nat-1")),
                ("network_interface_id", Value::str("eni-1")),
            ]),
        ]);
        assert_eq!(canonical_routes(&recorded), canonical_routes(&observed));
        assert_eq!(canonical_routes(&Value::Null), Value::List(vec![]));
        let once = canonical_routes(&recorded);
        assert_eq!(canonical_routes(&once), once);
    }

    #[test]
    fn another_target_or_an_extra_route_is_a_difference() {
        let nat = Value::List(vec![block(&[
            ("cidr_block", Value::str("0.0.0.0/0")),
            ("nat_gateway_id", Value::str("nat-1")),
        ])]);
        let igw = Value::List(vec![block(&[
            ("cidr_block", Value::str("0.0.0.0/0")),
            ("gateway_id", Value::str("igw-1")),
        ])]);
        assert_ne!(canonical_routes(&nat), canonical_routes(&igw));
        assert_eq!(
            destinations_and_targets(&igw),
            vec![("0.0.0.0/0".to_string(), "igw-1".to_string())]
        );
        // An interface target without a NAT gateway is kept.
        let eni = Value::List(vec![block(&[
            ("cidr_block", Value::str("10.0.0.0/8")),
            ("network_interface_id", Value::str("eni-1")),
        ])]);
        assert_eq!(canonical_routes(&eni), eni);
    }
}
