//! Network ACL entries. The EC2 API speaks protocol numbers and the provider records numbers,
//! but a configuration (and an older state) may say `tcp` or `all`; ports mean something only
//! for TCP and UDP and ICMP type/code only for ICMP, and AWS leaves the others out where a
//! state holds zeros (or whatever the configuration said). Every entry is brought to one form:
//! protocol as its number, ports and ICMP fields zero where they mean nothing, absent CIDRs
//! `""`, the action lowercase; an ACL's `ingress` / `egress` is then a sorted set of entries.

use std::collections::BTreeMap;

use super::within;
use crate::model::{Secret, Value};

/// IANA protocol names a configuration may use for the protocols ACL entries are written for
/// (the provider accepts the whole IANA table; any other name is kept as it is, lowercase).
const PROTOCOLS: &[(&str, &str)] = &[
    ("all", "-1"),
    ("icmp", "1"),
    ("tcp", "6"),
    ("udp", "17"),
    ("gre", "47"),
    ("esp", "50"),
    ("ah", "51"),
    ("icmpv6", "58"),
    ("ipv6-icmp", "58"),
    ("sctp", "132"),
];

/// A protocol as its number (`tcp` = `6`, `all` = `-1`), as text.
pub fn canonical_protocol(v: &Value) -> Value {
    if v.is_sensitive() {
        return within(v, canonical_protocol);
    }
    let Some(text) = v.scalar_text() else {
        return v.clone();
    };
    let p = text.trim().to_ascii_lowercase();
    let number = PROTOCOLS
        .iter()
        .find(|(name, _)| *name == p)
        .map(|(_, n)| n.to_string())
        .unwrap_or(p);
    Value::String(number)
}

/// A finite number, or a string holding one (states carry some numbers as strings).
fn number(v: &Value) -> Option<f64> {
    v.as_f64().filter(|n| n.is_finite())
}

fn protocol_number(protocol: Option<&Value>) -> Option<String> {
    protocol
        .map(canonical_protocol)
        .and_then(|p| p.as_str().map(str::to_string))
}

/// A port of an entry of `protocol`: the number for TCP and UDP, 0 for any other protocol
/// (AWS ignores and omits it there).
pub fn canonical_port(port: &Value, protocol: Option<&Value>) -> Value {
    if port.is_sensitive() {
        return within(port, |p| canonical_port(p, protocol));
    }
    match protocol_number(protocol).as_deref() {
        Some("6") | Some("17") | None => match number(port) {
            Some(n) => Value::Number(n),
            None if port.is_null() => Value::from(0),
            None => port.clone(),
        },
        Some(_) => Value::from(0),
    }
}

/// An ICMP type or code of an entry of `protocol`: the number for ICMP and ICMPv6, 0 for any
/// other protocol.
pub fn canonical_icmp(v: &Value, protocol: Option<&Value>) -> Value {
    if v.is_sensitive() {
        return within(v, |x| canonical_icmp(x, protocol));
    }
    match protocol_number(protocol).as_deref() {
        Some("1") | Some("58") | None => match number(v) {
            Some(n) => Value::Number(n),
            None if v.is_null() => Value::from(0),
            None => v.clone(),
        },
        Some(_) => Value::from(0),
    }
}

/// One `ingress` / `egress` block in canonical form (a map; anything else as it is).
fn canonical_entry(block: &Value) -> Value {
    if let Value::Sensitive(Secret::Clear(inner)) = block {
        return Value::sensitive(canonical_entry(inner));
    }
    let Some(b) = block.as_map() else {
        return block.clone();
    };
    let protocol = b
        .get("protocol")
        .map(canonical_protocol)
        .unwrap_or(Value::Null);
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (k, v) in b {
        let v = match k.as_str() {
            "protocol" => protocol.clone(),
            "from_port" | "to_port" => canonical_port(v, Some(&protocol)),
            "icmp_type" | "icmp_code" => canonical_icmp(v, Some(&protocol)),
            "action" => within(v, |a| match a.as_str() {
                Some(s) => Value::String(s.to_ascii_lowercase()),
                None => a.clone(),
            }),
            "cidr_block" | "ipv6_cidr_block" if v.is_null() => Value::str(""),
            "rule_no" => within(v, |n| number(n).map(Value::Number).unwrap_or(n.clone())),
            _ => v.clone(),
        };
        out.insert(k.clone(), v);
    }
    // Every field present, so an entry written with fewer keys equals the full one.
    for k in ["cidr_block", "ipv6_cidr_block"] {
        out.entry(k.to_string()).or_insert_with(|| Value::str(""));
    }
    for k in ["from_port", "to_port"] {
        out.entry(k.to_string())
            .or_insert_with(|| canonical_port(&Value::Null, Some(&protocol)));
    }
    for k in ["icmp_type", "icmp_code"] {
        out.entry(k.to_string())
            .or_insert_with(|| canonical_icmp(&Value::Null, Some(&protocol)));
    }
    Value::Map(out)
}

/// An ACL's entries in one direction as a sorted set of canonical entries (null = none).
pub fn canonical_entries(v: &Value) -> Value {
    if let Value::Sensitive(Secret::Clear(inner)) = v {
        return Value::sensitive(canonical_entries(inner));
    }
    let Some(blocks) = v.as_list() else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut out: Vec<Value> = blocks.iter().map(canonical_entry).collect();
    out.sort();
    out.dedup();
    Value::List(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(pairs: &[(&str, Value)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn names_and_numbers_nulls_and_empties_are_one_entry() {
        // As a configuration or an old state may hold it.
        let written = entry(&[
            ("rule_no", Value::str("100")),
            ("action", Value::str("Allow")),
            ("protocol", Value::str("tcp")),
            ("cidr_block", Value::str("10.0.0.0/16")),
            ("ipv6_cidr_block", Value::Null),
            ("from_port", Value::from(443)),
            ("to_port", Value::from(443)),
            ("icmp_type", Value::from(-1)),
        ]);
        // As the provider records it from the API.
        let recorded = entry(&[
            ("rule_no", Value::from(100)),
            ("action", Value::str("allow")),
            ("protocol", Value::str("6")),
            ("cidr_block", Value::str("10.0.0.0/16")),
            ("ipv6_cidr_block", Value::str("")),
            ("from_port", Value::from(443)),
            ("to_port", Value::from(443)),
            ("icmp_type", Value::from(0)),
            ("icmp_code", Value::from(0)),
        ]);
        let a = canonical_entries(&Value::List(vec![written]));
        let b = canonical_entries(&Value::List(vec![recorded]));
        assert_eq!(a, b);
        assert_eq!(canonical_entries(&a), a);
        assert_eq!(canonical_entries(&Value::Null), Value::List(vec![]));
    }

    #[test]
    fn all_traffic_ports_are_zero_and_icmp_fields_count_for_icmp() {
        let all = |from: i64| {
            entry(&[
                ("protocol", Value::str("-1")),
                ("from_port", Value::from(from)),
                ("to_port", Value::from(from)),
            ])
        };
        assert_eq!(canonical_entry(&all(0)), canonical_entry(&all(22)));
        let icmp = |t: i64| entry(&[("protocol", Value::str("1")), ("icmp_type", Value::from(t))]);
        assert_ne!(canonical_entry(&icmp(8)), canonical_entry(&icmp(0)));
        // A port on tcp is meaning: a different port is a different entry.
        let tcp = |p: i64| {
            entry(&[
                ("protocol", Value::str("6")),
                ("from_port", Value::from(p)),
                ("to_port", Value::from(p)),
            ])
        };
        assert_ne!(canonical_entry(&tcp(22)), canonical_entry(&tcp(3389)));
        assert_eq!(canonical_protocol(&Value::str("ALL")), Value::str("-1"));
        assert_eq!(canonical_protocol(&Value::str("58")), Value::str("58"));
        assert_eq!(canonical_protocol(&Value::str("icmpv6")), Value::str("58"));
    }

    #[test]
    fn an_extra_entry_is_a_difference() {
        let one = entry(&[
            ("rule_no", Value::from(100)),
            ("action", Value::str("allow")),
            ("protocol", Value::str("6")),
            ("cidr_block", Value::str("10.0.0.0/16")),
            ("from_port", Value::from(443)),
            ("to_port", Value::from(443)),
        ]);
        let extra = entry(&[
            ("rule_no", Value::from(90)),
            ("action", Value::str("allow")),
            ("protocol", Value::str("6")),
            ("cidr_block", Value::str("0.0.0.0/0")),
            ("from_port", Value::from(3389)),
            ("to_port", Value::from(3389)),
        ]);
        assert_ne!(
            canonical_entries(&Value::List(vec![one.clone()])),
            canonical_entries(&Value::List(vec![one, extra]))
        );
    }
}
