//! What an ingress rule exposes to the whole internet, judged by meaning.
//!
//! A rule block (an `ingress` element of `aws_security_group`, an
//! `aws_vpc_security_group_ingress_rule`, an `aws_security_group_rule` of type `ingress`) is
//! reduced to *exposures*: (protocol, address family, port range) reachable from a CIDR whose
//! prefix length is 0 (`0.0.0.0/0`, `::/0`, and any other spelling of "everything"). A change
//! *opens* ingress when the observed side exposes ports the recorded side did not; removing or
//! narrowing a rule opens nothing.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::model::{Change, Drift, DriftKind, Secret, Segment, Value};

const ALL_PORTS: (i64, i64) = (0, 65535);
const SSH: i64 = 22;
const RDP: i64 = 3389;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Proto {
    /// Protocol `-1`: every protocol, every port.
    All,
    /// An IP protocol number: 6 tcp, 17 udp, 1 icmp, 58 icmpv6, ...
    Num(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    V4,
    V6,
}

/// One world-reachable (protocol, family, inclusive port range).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exposure {
    pub proto: Proto,
    pub family: Family,
    pub from: i64,
    pub to: i64,
}

impl Exposure {
    fn covers_proto(&self, other: &Exposure) -> bool {
        self.family == other.family && (self.proto == Proto::All || self.proto == other.proto)
    }
}

/// How bad newly opened ingress is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Opened {
    Nothing,
    /// Some port other than SSH/RDP.
    OtherPorts,
    /// SSH (tcp 22), RDP (tcp/udp 3389), every port, or protocol -1.
    Admin,
}

fn clear(v: &Value) -> Option<&Value> {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => clear(inner),
        Value::Sensitive(Secret::Fingerprint(_)) | Value::Unknown => None,
        other => Some(other),
    }
}

fn parse_proto(v: Option<&Value>) -> Proto {
    // An unknown protocol is taken as the worst case: every protocol.
    let Some(text) = v.and_then(clear).and_then(Value::scalar_text) else {
        return Proto::All;
    };
    match text.trim().to_ascii_lowercase().as_str() {
        "-1" | "all" => Proto::All,
        "tcp" => Proto::Num(6),
        "udp" => Proto::Num(17),
        "icmp" => Proto::Num(1),
        "icmpv6" | "icmp6" => Proto::Num(58),
        other => other.parse::<u16>().map(Proto::Num).unwrap_or(Proto::All),
    }
}

fn port(v: Option<&Value>) -> Option<i64> {
    v.and_then(clear).and_then(Value::as_f64).map(|n| n as i64)
}

/// The family of a CIDR that covers every address, or `None` for anything narrower.
pub fn world_family(cidr: &str) -> Option<Family> {
    let (addr, len) = cidr.trim().split_once('/')?;
    if len.trim().parse::<u8>().ok()? != 0 {
        return None;
    }
    match addr.trim().parse::<IpAddr>().ok()? {
        IpAddr::V4(_) => Some(Family::V4),
        IpAddr::V6(_) => Some(Family::V6),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v.and_then(clear) {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::List(l)) => l
            .iter()
            .filter_map(|x| clear(x).and_then(Value::as_str).map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

const CIDR_KEYS: &[&str] = &["cidr_blocks", "ipv6_cidr_blocks", "cidr_ipv4", "cidr_ipv6"];
const DEFINING_KEYS: &[&str] = &[
    "cidr_blocks",
    "ipv6_cidr_blocks",
    "cidr_ipv4",
    "cidr_ipv6",
    "protocol",
    "ip_protocol",
    "from_port",
    "to_port",
    "type",
];

/// The exposures of one rule block, whichever resource type's attribute names it uses.
pub fn block_exposures(block: &BTreeMap<String, Value>) -> Vec<Exposure> {
    let proto = parse_proto(block.get("protocol").or_else(|| block.get("ip_protocol")));
    let (from, to) = match proto {
        Proto::All => ALL_PORTS,
        Proto::Num(_) => match (port(block.get("from_port")), port(block.get("to_port"))) {
            // Unknown, null or -1 ports on tcp/udp: the worst case, every port.
            (Some(f), Some(t)) if f >= 0 && t >= 0 => (f.min(t), f.max(t)),
            _ => ALL_PORTS,
        },
    };
    let mut out: Vec<Exposure> = CIDR_KEYS
        .iter()
        .flat_map(|k| strings(block.get(*k)))
        .filter_map(|c| world_family(&c))
        .map(|family| Exposure {
            proto,
            family,
            from,
            to,
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The exposures of a list of rule blocks (or of one block).
pub fn blocks_exposures(v: &Value) -> Vec<Exposure> {
    match clear(v) {
        Some(Value::List(l)) => {
            let mut out: Vec<Exposure> = l.iter().flat_map(blocks_exposures).collect();
            out.sort();
            out.dedup();
            out
        }
        Some(Value::Map(m)) => block_exposures(m),
        _ => Vec::new(),
    }
}

/// Ports of `e` that no exposure in `before` already covered, as inclusive ranges.
fn uncovered(e: &Exposure, before: &[Exposure]) -> Vec<(i64, i64)> {
    if e.proto == Proto::All {
        // Only another all-protocol rule covers an all-protocol rule.
        return if before
            .iter()
            .any(|b| b.family == e.family && b.proto == Proto::All)
        {
            Vec::new()
        } else {
            vec![(e.from, e.to)]
        };
    }
    let mut left = vec![(e.from, e.to)];
    for b in before.iter().filter(|b| b.covers_proto(e)) {
        let mut next = Vec::new();
        for (lo, hi) in left {
            if b.to < lo || b.from > hi {
                next.push((lo, hi));
                continue;
            }
            if lo < b.from {
                next.push((lo, b.from - 1));
            }
            if hi > b.to {
                next.push((b.to + 1, hi));
            }
        }
        left = next;
    }
    left
}

/// What `after` exposes to the world that `before` did not.
pub fn opened(before: &[Exposure], after: &[Exposure]) -> Opened {
    let mut worst = Opened::Nothing;
    for e in after {
        let left = uncovered(e, before);
        if left.is_empty() {
            continue;
        }
        let contains = |p: i64| left.iter().any(|&(lo, hi)| lo <= p && p <= hi);
        let admin = e.proto == Proto::All
            || (e.from, e.to) == ALL_PORTS
            || (e.proto == Proto::Num(6) && (contains(SSH) || contains(RDP)))
            || (e.proto == Proto::Num(17) && contains(RDP));
        worst = worst.max(if admin {
            Opened::Admin
        } else {
            Opened::OtherPorts
        });
    }
    worst
}

/// Set `path` inside `base` to `v` (creating maps on the way); lists are indexed.
fn set_at(base: &mut Value, path: &[Segment], v: Value) {
    let Some((first, rest)) = path.split_first() else {
        *base = v;
        return;
    };
    match first {
        Segment::Key(k) => {
            if !matches!(base, Value::Map(_)) {
                *base = Value::Map(BTreeMap::new());
            }
            if let Value::Map(m) = base {
                set_at(m.entry(k.clone()).or_insert(Value::Null), rest, v);
            }
        }
        Segment::Index(i) => {
            if !matches!(base, Value::List(_)) {
                *base = Value::List(Vec::new());
            }
            if let Value::List(l) = base {
                while l.len() <= *i {
                    l.push(Value::Null);
                }
                set_at(&mut l[*i], rest, v);
            }
        }
    }
}

fn observed_attr<'a>(drift: &'a Drift, name: &str) -> Option<&'a Value> {
    drift.observed.as_ref().and_then(|o| o.get(name))
}

/// For a change under a security group's `ingress` attribute: what it opened.
///
/// The diff reports `ingress` as a whole (a set of rules); a change deeper in it (one block or
/// one field of a block) is rebuilt on the observed attributes when the drift carries them,
/// otherwise on an empty block, where unknown ports and protocol count as the worst case.
pub fn sg_ingress_change(drift: &Drift, change: &Change) -> Opened {
    sg_ingress_pair(drift, change).map_or(Opened::Nothing, |(b, a)| opened(&b, &a))
}

fn sg_ingress_pair(drift: &Drift, change: &Change) -> Option<(Vec<Exposure>, Vec<Exposure>)> {
    if change.path.attribute() != Some("ingress") {
        return None;
    }
    let rest = &change.path.0[1..];
    if rest.is_empty() {
        return Some((
            blocks_exposures(&change.before),
            blocks_exposures(&change.after),
        ));
    }
    let base = observed_attr(drift, "ingress")
        .cloned()
        .unwrap_or(Value::Null);
    let (mut before, mut after) = (base.clone(), base);
    set_at(&mut before, rest, change.before.clone());
    set_at(&mut after, rest, change.after.clone());
    Some((blocks_exposures(&before), blocks_exposures(&after)))
}

fn is_ingress_rule_type(drift: &Drift, rule: &BTreeMap<String, Value>) -> Option<bool> {
    match drift.resource_type.as_str() {
        "aws_vpc_security_group_ingress_rule" => Some(true),
        "aws_security_group_rule" => rule
            .get("type")
            .and_then(clear)
            .and_then(Value::as_str)
            .map(|t| t == "ingress"),
        _ => Some(false),
    }
}

/// For a changed rule resource (`aws_vpc_security_group_ingress_rule`, or an
/// `aws_security_group_rule` of type `ingress`): what the drift as a whole opened. The rule is
/// rebuilt from the observed attributes (when the drift carries them) with every change
/// applied; a field nobody knows counts as the worst case (all ports), except the CIDR (an
/// unknown source is not assumed to be the internet) and an `aws_security_group_rule` whose
/// type is unknown (not assumed to be ingress).
pub fn rule_resource_change(drift: &Drift, change: &Change) -> Opened {
    rule_resource_pair(drift, change).map_or(Opened::Nothing, |(b, a)| opened(&b, &a))
}

fn rule_resource_pair(drift: &Drift, change: &Change) -> Option<(Vec<Exposure>, Vec<Exposure>)> {
    let attr = change.path.attribute()?;
    if drift.kind != DriftKind::Changed || !DEFINING_KEYS.contains(&attr) {
        return None;
    }
    let base = drift.observed.clone().unwrap_or_default();
    let (mut before, mut after) = (Value::Map(base.clone()), Value::Map(base));
    for c in &drift.changes {
        set_at(&mut before, &c.path.0, c.before.clone());
        set_at(&mut after, &c.path.0, c.after.clone());
    }
    let (Value::Map(before), Value::Map(after)) = (before, after) else {
        return None;
    };
    if is_ingress_rule_type(drift, &after) != Some(true) {
        return None;
    }
    Some((block_exposures(&before), block_exposures(&after)))
}

/// For an unmanaged security group or ingress rule: what it exposes (all of it is new).
pub fn unmanaged(drift: &Drift) -> Opened {
    unmanaged_exposures(drift).map_or(Opened::Nothing, |a| opened(&[], &a))
}

fn unmanaged_exposures(drift: &Drift) -> Option<Vec<Exposure>> {
    if drift.kind != DriftKind::Unmanaged {
        return None;
    }
    let attrs = drift.observed.as_ref()?;
    match drift.resource_type.as_str() {
        "aws_security_group" | "aws_default_security_group" => Some(
            attrs
                .get("ingress")
                .map(blocks_exposures)
                .unwrap_or_default(),
        ),
        "aws_vpc_security_group_ingress_rule" | "aws_security_group_rule" => {
            if is_ingress_rule_type(drift, attrs) != Some(true) {
                return None;
            }
            Some(block_exposures(attrs))
        }
        _ => None,
    }
}

/// The (recorded, observed) exposures a change (or, for an unmanaged drift, the resource) is
/// judged on, whatever its type; `None` when it is not about ingress.
fn exposure_pair(drift: &Drift, change: Option<&Change>) -> Option<(Vec<Exposure>, Vec<Exposure>)> {
    match change {
        None => unmanaged_exposures(drift).map(|a| (Vec::new(), a)),
        Some(c) => match drift.resource_type.as_str() {
            "aws_security_group" | "aws_default_security_group" => sg_ingress_pair(drift, c),
            "aws_vpc_security_group_ingress_rule" | "aws_security_group_rule" => {
                rule_resource_pair(drift, c)
            }
            _ => None,
        },
    }
}

/// What a change (or, for an unmanaged drift, the resource) opened, whatever its type.
pub fn opened_by(drift: &Drift, change: Option<&Change>) -> Opened {
    exposure_pair(drift, change).map_or(Opened::Nothing, |(b, a)| opened(&b, &a))
}

/// The newly world-open (protocol, family, port ranges) of a change (or an unmanaged drift),
/// as a few words for a report: `tcp 22 from 0.0.0.0/0`, `all traffic from ::/0`. `None` when
/// it opened nothing. The CIDR is named by its family (`0.0.0.0/0`, `::/0`), never quoted.
pub fn describe_opened(drift: &Drift, change: Option<&Change>) -> Option<String> {
    let (before, after) = exposure_pair(drift, change)?;
    describe(&before, &after)
}

/// What `after` exposes that `before` did not, in a few words (see [`describe_opened`]).
pub fn describe(before: &[Exposure], after: &[Exposure]) -> Option<String> {
    let mut parts: Vec<String> = Vec::new();
    for e in after {
        for (lo, hi) in uncovered(e, before) {
            let proto = match e.proto {
                Proto::All => "all traffic".to_string(),
                Proto::Num(6) => "tcp".to_string(),
                Proto::Num(17) => "udp".to_string(),
                Proto::Num(1) => "icmp".to_string(),
                Proto::Num(58) => "icmpv6".to_string(),
                Proto::Num(n) => format!("protocol {n}"),
            };
            let ports = if e.proto == Proto::All || (lo, hi) == ALL_PORTS {
                if e.proto == Proto::All {
                    String::new()
                } else {
                    " all ports".to_string()
                }
            } else if lo == hi {
                format!(" {lo}")
            } else {
                format!(" {lo}-{hi}")
            };
            let from = match e.family {
                Family::V4 => "0.0.0.0/0",
                Family::V6 => "::/0",
            };
            let part = format!("{proto}{ports} from {from}");
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
    }
    if parts.is_empty() {
        return None;
    }
    if parts.len() > 3 {
        let more = parts.len() - 2;
        parts.truncate(2);
        parts.push(format!("{more} more"));
    }
    Some(parts.join(", "))
}

/// Whether two rule lists differ only in their `description` fields.
pub fn only_descriptions_differ(before: &Value, after: &Value) -> bool {
    fn strip(v: &Value) -> Value {
        match v {
            Value::List(l) => {
                let mut items: Vec<Value> = l.iter().map(strip).collect();
                items.sort();
                Value::List(items)
            }
            Value::Map(m) => Value::Map(
                m.iter()
                    .filter(|(k, _)| k.as_str() != "description")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
    matches!(
        (before, after),
        (Value::List(_), Value::List(_)) | (Value::Map(_), Value::Map(_))
    ) && strip(before) == strip(after)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn e(proto: Proto, family: Family, from: i64, to: i64) -> Exposure {
        Exposure {
            proto,
            family,
            from,
            to,
        }
    }

    #[test]
    fn world_cidrs_by_meaning() {
        assert_eq!(world_family("0.0.0.0/0"), Some(Family::V4));
        assert_eq!(world_family("::/0"), Some(Family::V6));
        assert_eq!(world_family("0::0/0"), Some(Family::V6));
        assert_eq!(world_family("10.0.0.0/0"), Some(Family::V4));
        assert_eq!(world_family("10.0.0.0/8"), None);
        assert_eq!(world_family("nonsense"), None);
    }

    #[test]
    fn coverage_subtracts_ranges() {
        let tcp = Proto::Num(6);
        let before = [e(tcp, Family::V4, 22, 22)];
        assert_eq!(
            opened(&before, &[e(tcp, Family::V4, 22, 22)]),
            Opened::Nothing
        );
        // Widening an open 22 to 20-30: the new ports are not admin ports.
        assert_eq!(
            opened(&before, &[e(tcp, Family::V4, 20, 30)]),
            Opened::OtherPorts
        );
        // Same ports, other family: newly open to the IPv6 internet.
        assert_eq!(
            opened(&before, &[e(tcp, Family::V6, 22, 22)]),
            Opened::Admin
        );
        // Narrowing an all-protocol rule opens nothing.
        assert_eq!(
            opened(
                &[e(Proto::All, Family::V4, 0, 65535)],
                &[e(tcp, Family::V4, 443, 443)]
            ),
            Opened::Nothing
        );
        assert_eq!(
            opened(&[], &[e(Proto::Num(17), Family::V4, 3389, 3389)]),
            Opened::Admin
        );
        assert_eq!(
            opened(&[], &[e(Proto::Num(17), Family::V4, 22, 22)]),
            Opened::OtherPorts
        );
    }

    #[test]
    fn describes_what_was_opened_in_a_few_words() {
        use crate::model::{Path, Value};
        let block = |proto: &str, from: i64, to: i64, cidr: &str| {
            Value::Map(
                [
                    ("protocol", Value::str(proto)),
                    ("from_port", Value::from(from)),
                    ("to_port", Value::from(to)),
                    ("cidr_blocks", Value::List(vec![Value::str(cidr)])),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            )
        };
        let drift = |before: Vec<Value>, after: Vec<Value>| Drift {
            kind: DriftKind::Changed,
            resource_type: "aws_security_group".into(),
            id: "sg-1".into(),
            address: None,
            state: None,
            region: None,
            changes: vec![Change::new(
                Path::root("ingress"),
                Value::List(before),
                Value::List(after),
            )],
            observed: None,
        };
        let d = drift(
            vec![block("tcp", 443, 443, "0.0.0.0/0")],
            vec![
                block("tcp", 443, 443, "0.0.0.0/0"),
                block("tcp", 22, 22, "0.0.0.0/0"),
            ],
        );
        assert_eq!(
            describe_opened(&d, d.changes.first()).as_deref(),
            Some("tcp 22 from 0.0.0.0/0")
        );
        let d = drift(vec![], vec![block("-1", 0, 0, "::/0")]);
        assert_eq!(
            describe_opened(&d, d.changes.first()).as_deref(),
            Some("all traffic from ::/0")
        );
        // Narrowing opens nothing.
        let d = drift(vec![block("tcp", 0, 65535, "0.0.0.0/0")], vec![]);
        assert_eq!(describe_opened(&d, d.changes.first()), None);
    }
}
