//! What a network ACL change lets in from the whole internet: the *allow* ingress entries from
//! a prefix-length-0 CIDR (`0.0.0.0/0`, `::/0`) that the recorded side did not have.
//!
//! An entry is judged on its own, as it was added: an entry is what a person adds and what a
//! reviewer reads, and the ACL's other entries (a deny with a lower rule number, an allow-all
//! that already let the port in) can be changed as easily as it was added. What an entry
//! exposes, and whether that is an admin port, is decided by [`super::ingress`] (the same
//! exposures and port list as security group rules).

use std::collections::BTreeMap;

use super::ingress::{Exposure, Opened, block_exposures, describe, opened};
use crate::model::{Change, Drift, DriftKind, Secret, Value};
use crate::normalize::nacl::canonical_entries;

const ACLS: &[&str] = &["aws_network_acl", "aws_default_network_acl"];
const RULE: &str = "aws_network_acl_rule";
/// The attributes of an `aws_network_acl_rule` that decide what it lets in.
const DEFINING_KEYS: &[&str] = &[
    "rule_action",
    "egress",
    "protocol",
    "cidr_block",
    "ipv6_cidr_block",
    "from_port",
    "to_port",
];

fn clear(v: &Value) -> Option<&Value> {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => clear(inner),
        Value::Sensitive(Secret::Fingerprint(_)) | Value::Unknown => None,
        other => Some(other),
    }
}

fn text<'a>(entry: &'a BTreeMap<String, Value>, key: &str) -> Option<&'a str> {
    entry.get(key).and_then(clear).and_then(Value::as_str)
}

/// What one allow entry exposes to the whole internet (nothing for a deny). `action_key` is
/// `action` in an ACL's blocks, `rule_action` on an `aws_network_acl_rule`.
fn entry_exposures(entry: &BTreeMap<String, Value>, action_key: &str) -> Vec<Exposure> {
    if !text(entry, action_key).is_some_and(|a| a.eq_ignore_ascii_case("allow")) {
        return Vec::new();
    }
    let mut block = BTreeMap::new();
    for (from, to) in [
        ("protocol", "protocol"),
        ("from_port", "from_port"),
        ("to_port", "to_port"),
        ("cidr_block", "cidr_ipv4"),
        ("ipv6_cidr_block", "cidr_ipv6"),
    ] {
        if let Some(v) = entry.get(from) {
            block.insert(to.to_string(), v.clone());
        }
    }
    block_exposures(&block)
}

/// The world-open exposures of each ingress entry of `after` that `before` does not have.
fn added_entries(before: &Value, after: &Value) -> Vec<Vec<Exposure>> {
    let (before, after) = (canonical_entries(before), canonical_entries(after));
    let had: Vec<&Value> = before
        .as_list()
        .map(|l| l.iter().collect())
        .unwrap_or_default();
    after
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter(|e| !had.contains(e))
        .filter_map(|e| clear(e).and_then(Value::as_map))
        .map(|e| entry_exposures(e, "action"))
        .filter(|x| !x.is_empty())
        .collect()
}

/// An `aws_network_acl_rule` as it was and as it is: the observed attributes with every
/// change's recorded (resp. observed) value put back.
fn rule_pair(drift: &Drift) -> (BTreeMap<String, Value>, BTreeMap<String, Value>) {
    let base = drift.observed.clone().unwrap_or_default();
    let (mut before, mut after) = (base.clone(), base);
    for c in &drift.changes {
        if let Some(attr) = c.path.attribute() {
            before.insert(attr.to_string(), c.before.clone());
            after.insert(attr.to_string(), c.after.clone());
        }
    }
    (before, after)
}

fn is_ingress(rule: &BTreeMap<String, Value>) -> bool {
    rule.get("egress").and_then(clear) == Some(&Value::Bool(false))
}

/// The (recorded, observed) world exposures a subject is judged on, one pair per added entry;
/// empty when it added none.
fn judged(drift: &Drift, change: Option<&Change>) -> Vec<(Vec<Exposure>, Vec<Exposure>)> {
    let ty = drift.resource_type.as_str();
    match (drift.kind, change) {
        (DriftKind::Changed, Some(c)) if ACLS.contains(&ty) => {
            if c.path.attribute() != Some("ingress") {
                return Vec::new();
            }
            added_entries(&c.before, &c.after)
                .into_iter()
                .map(|after| (Vec::new(), after))
                .collect()
        }
        (DriftKind::Changed, Some(c)) if ty == RULE => {
            if !c
                .path
                .attribute()
                .is_some_and(|a| DEFINING_KEYS.contains(&a))
            {
                return Vec::new();
            }
            let (before, after) = rule_pair(drift);
            if !is_ingress(&after) {
                return Vec::new();
            }
            let had = if is_ingress(&before) {
                entry_exposures(&before, "rule_action")
            } else {
                Vec::new()
            };
            vec![(had, entry_exposures(&after, "rule_action"))]
        }
        (DriftKind::Unmanaged, None) => {
            let Some(attrs) = drift.observed.as_ref() else {
                return Vec::new();
            };
            if ACLS.contains(&ty) {
                let ingress = attrs.get("ingress").cloned().unwrap_or(Value::Null);
                added_entries(&Value::Null, &ingress)
                    .into_iter()
                    .map(|after| (Vec::new(), after))
                    .collect()
            } else if ty == RULE && is_ingress(attrs) {
                vec![(Vec::new(), entry_exposures(attrs, "rule_action"))]
            } else {
                Vec::new()
            }
        }
        _ => Vec::new(),
    }
}

/// The worst an added world-open allow entry lets in: `Admin` when it covers SSH, RDP, every
/// port or every protocol (the ports [`super::ingress`] counts as admin), `OtherPorts`
/// otherwise, `Nothing` when no such entry was added.
pub fn added_world_allow(drift: &Drift, change: Option<&Change>) -> Opened {
    judged(drift, change)
        .iter()
        .map(|(before, after)| opened(before, after))
        .max()
        .unwrap_or(Opened::Nothing)
}

/// What the added entries let in, in a few words: `tcp 3389 from 0.0.0.0/0`.
pub fn describe_added(drift: &Drift, change: Option<&Change>) -> Option<String> {
    let parts: Vec<String> = judged(drift, change)
        .iter()
        .filter_map(|(before, after)| describe(before, after))
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}
