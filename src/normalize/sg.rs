//! Security group rules: terraform groups several sources into one `ingress` block, EC2 keeps
//! them as separate permissions, and the provider may regroup them on refresh. Both sides are
//! exploded into single-source rules (one CIDR, prefix list, group or `self` each) with
//! canonical protocol and ports, then compared as a set.

use std::collections::BTreeMap;

use super::{elements, within};
use crate::model::{Secret, Value};

/// `6` = `tcp`, `17` = `udp`, `1` = `icmp`, `58` = `icmpv6`, `all` = `-1`; lowercase.
pub fn canonical_protocol(v: &Value) -> Value {
    if v.is_sensitive() {
        return within(v, canonical_protocol);
    }
    let Some(text) = v.scalar_text() else {
        return v.clone();
    };
    let p = text.to_ascii_lowercase();
    let name = match p.as_str() {
        "6" => "tcp",
        "17" => "udp",
        "1" => "icmp",
        "58" => "icmpv6",
        "all" | "-1" => "-1",
        other => other,
    };
    Value::String(name.to_string())
}

fn is_all_protocol(v: Option<&Value>) -> bool {
    v.map(canonical_protocol) == Some(Value::str("-1"))
}

/// A port as terraform records it for a rule of `protocol`: 0 for protocol -1 (EC2 reports -1
/// or nothing), otherwise the number.
pub fn canonical_port(port: &Value, protocol: Option<&Value>) -> Value {
    if port.is_sensitive() {
        return within(port, |p| canonical_port(p, protocol));
    }
    if is_all_protocol(protocol) {
        return Value::from(0);
    }
    match port.as_f64() {
        Some(n) => Value::Number(n),
        None => port.clone(),
    }
}

const SOURCE_LISTS: &[&str] = &[
    "cidr_blocks",
    "ipv6_cidr_blocks",
    "prefix_list_ids",
    "security_groups",
];

/// Explode terraform `ingress`/`egress` blocks into sorted, de-duplicated single-source blocks.
/// `own_id` is the group's own id: a rule naming it is a `self` rule. A block with no source it
/// recognises is an error in the data: it is kept (as a block with no source, or as it is when
/// it is not a block at all) so that it shows as a difference, never silently dropped.
///
/// Secrets follow the source they belong to: a sensitive CIDR stays wrapped in the one rule
/// exploded from it, a sensitive source list wraps each of its sources, and a block that is a
/// secret as a whole makes every rule exploded from it a secret.
pub fn canonical_rules(v: &Value, own_id: Option<&str>) -> Value {
    let Some(blocks) = v.as_list() else {
        return if v.is_null() {
            Value::List(Vec::new())
        } else {
            v.clone()
        };
    };
    let mut out = Vec::new();
    for block in blocks {
        if let Value::Sensitive(Secret::Clear(inner)) = block {
            if let Value::List(rules) =
                canonical_rules(&Value::List(vec![(**inner).clone()]), own_id)
            {
                out.extend(rules.into_iter().map(Value::sensitive));
            }
            continue;
        }
        let Some(b) = block.as_map() else {
            out.push(block.clone());
            continue;
        };
        let protocol = b
            .get("protocol")
            .map(canonical_protocol)
            .unwrap_or(Value::Null);
        let from = canonical_port(b.get("from_port").unwrap_or(&Value::Null), Some(&protocol));
        let to = canonical_port(b.get("to_port").unwrap_or(&Value::Null), Some(&protocol));
        let description = match b.get("description") {
            Some(Value::Null) | None => Value::str(""),
            Some(d) => d.clone(),
        };
        let base = |source: &str, value: Option<Value>| {
            let mut m = BTreeMap::new();
            m.insert("protocol".to_string(), protocol.clone());
            m.insert("from_port".to_string(), from.clone());
            m.insert("to_port".to_string(), to.clone());
            m.insert("description".to_string(), description.clone());
            for list in SOURCE_LISTS {
                m.insert(list.to_string(), Value::List(Vec::new()));
            }
            m.insert("self".to_string(), Value::Bool(false));
            match value {
                Some(v) => {
                    m.insert(source.to_string(), Value::List(vec![v]));
                }
                None => {
                    m.insert("self".to_string(), Value::Bool(true));
                }
            }
            Value::Map(m)
        };
        let before = out.len();
        if b.get("self").and_then(Value::as_bool) == Some(true) {
            out.push(base("self", None));
        }
        for list in SOURCE_LISTS {
            for item in b.get(*list).map(elements).unwrap_or_default() {
                let text = match &item {
                    Value::Sensitive(Secret::Clear(inner)) => inner.as_str(),
                    other => other.as_str(),
                };
                if *list == "security_groups" && own_id.is_some() && text == own_id {
                    out.push(base("self", None));
                } else {
                    out.push(base(list, Some(item)));
                }
            }
        }
        if out.len() == before {
            // `base` with a source list named but no element: every list empty, `self` false.
            match base("cidr_blocks", None) {
                Value::Map(mut m) => {
                    m.insert("self".to_string(), Value::Bool(false));
                    out.push(Value::Map(m));
                }
                other => out.push(other),
            }
        }
    }
    out.sort();
    out.dedup();
    Value::List(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(
        protocol: &str,
        from: i64,
        to: i64,
        cidrs: &[&str],
        groups: &[&str],
        self_: bool,
    ) -> Value {
        let mut m = BTreeMap::new();
        m.insert("protocol".into(), Value::str(protocol));
        m.insert("from_port".into(), Value::from(from));
        m.insert("to_port".into(), Value::from(to));
        m.insert(
            "cidr_blocks".into(),
            Value::from(cidrs.iter().map(|c| Value::str(*c)).collect::<Vec<_>>()),
        );
        m.insert(
            "security_groups".into(),
            Value::from(groups.iter().map(|c| Value::str(*c)).collect::<Vec<_>>()),
        );
        m.insert("ipv6_cidr_blocks".into(), Value::List(vec![]));
        m.insert("prefix_list_ids".into(), Value::List(vec![]));
        m.insert("self".into(), Value::Bool(self_));
        m.insert("description".into(), Value::str(""));
        Value::Map(m)
    }

    #[test]
    fn grouping_does_not_matter() {
        let grouped = Value::List(vec![block(
            "tcp",
            443,
            443,
            &["10.0.0.0/8", "10.1.0.0/16"],
            &[],
            false,
        )]);
        let split = Value::List(vec![
            block("6", 443, 443, &["10.1.0.0/16"], &[], false),
            block("tcp", 443, 443, &["10.0.0.0/8"], &[], false),
        ]);
        assert_eq!(
            canonical_rules(&grouped, None),
            canonical_rules(&split, None)
        );
    }

    #[test]
    fn own_group_is_self_and_all_protocol_ports_are_zero() {
        let a = Value::List(vec![block("-1", 0, 0, &[], &[], true)]);
        let b = Value::List(vec![block("all", -1, -1, &[], &["sg-1"], false)]);
        assert_eq!(
            canonical_rules(&a, Some("sg-1")),
            canonical_rules(&b, Some("sg-1"))
        );
        assert_ne!(
            canonical_rules(&a, Some("sg-1")),
            canonical_rules(&b, Some("sg-2"))
        );
    }

    #[test]
    fn a_secret_source_stays_wrapped_in_the_rule_exploded_from_it() {
        let secret = Value::sensitive(Value::str("198.51.100.7/32"));
        let mut b = block("6", 22, 22, &["10.0.0.0/8"], &[], false);
        if let Value::Map(m) = &mut b {
            m.insert(
                "cidr_blocks".into(),
                Value::List(vec![Value::str("10.0.0.0/8"), secret.clone()]),
            );
        }
        let rules = canonical_rules(&Value::List(vec![b]), None);
        let rules = rules.as_list().unwrap();
        assert_eq!(rules.len(), 2);
        let with_secret: Vec<&Value> = rules.iter().filter(|r| r.contains_sensitive()).collect();
        assert_eq!(with_secret.len(), 1);
        assert_eq!(
            with_secret[0].get("cidr_blocks").unwrap(),
            &Value::List(vec![secret.clone()])
        );
        assert_eq!(with_secret[0].get("protocol").unwrap(), &Value::str("tcp"));
        // Idempotent, and a whole secret list or block wraps every rule made of it.
        let again = canonical_rules(&Value::List(rules.to_vec()), None);
        assert_eq!(again.as_list().unwrap(), rules);
        let whole = Value::sensitive(Value::List(vec![Value::str("a/32"), Value::str("b/32")]));
        let mut b = block("tcp", 22, 22, &[], &[], false);
        if let Value::Map(m) = &mut b {
            m.insert("cidr_blocks".into(), whole);
        }
        let rules = canonical_rules(&Value::List(vec![b.clone()]), None);
        assert_eq!(rules.as_list().unwrap().len(), 2);
        assert!(
            rules
                .as_list()
                .unwrap()
                .iter()
                .all(Value::contains_sensitive)
        );
        let rules = canonical_rules(&Value::List(vec![Value::sensitive(b)]), None);
        assert_eq!(rules.as_list().unwrap().len(), 2);
        assert!(rules.as_list().unwrap().iter().all(Value::is_sensitive));
    }

    #[test]
    fn a_new_source_is_a_difference() {
        let a = Value::List(vec![block("tcp", 22, 22, &["10.0.0.0/8"], &[], false)]);
        let b = Value::List(vec![block(
            "tcp",
            22,
            22,
            &["10.0.0.0/8", "0.0.0.0/0"],
            &[],
            false,
        )]);
        assert_ne!(canonical_rules(&a, None), canonical_rules(&b, None));
        assert_eq!(canonical_rules(&Value::Null, None), Value::List(vec![]));
    }

    #[test]
    fn a_block_with_no_source_is_kept_never_dropped() {
        let sourceless = block("tcp", 22, 22, &[], &[], false);
        let with = Value::List(vec![
            block("tcp", 443, 443, &["10.0.0.0/8"], &[], false),
            sourceless.clone(),
        ]);
        let without = Value::List(vec![block("tcp", 443, 443, &["10.0.0.0/8"], &[], false)]);
        let canonical = canonical_rules(&with, None);
        assert_ne!(canonical, canonical_rules(&without, None));
        assert_eq!(canonical.as_list().map(<[Value]>::len), Some(2));
        // Idempotent like every mode.
        assert_eq!(canonical_rules(&canonical, None), canonical);
        // Not a block at all: kept as it is.
        let odd = Value::List(vec![Value::str("?")]);
        assert_eq!(canonical_rules(&odd, None), odd);
    }
}
