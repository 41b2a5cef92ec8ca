//! Network ACLs: `aws_network_acl`, `aws_default_network_acl`, `aws_network_acl_rule` and
//! `aws_network_acl_association`, all from one paginated DescribeNetworkAcls (an ACL carries its
//! entries and its subnet associations).
//!
//! The provider's state shape: an ACL's `ingress` / `egress` are its entries as blocks
//! (`rule_no`, `action`, `protocol` as a number, `cidr_block`, `ipv6_cidr_block`, `from_port`,
//! `to_port`, `icmp_type`, `icmp_code`), leaving out the catch-all deny entries AWS puts in every
//! ACL (rule numbers 32767 and 32768), which nobody can change; `subnet_ids` are the subnets
//! associated with it.
//!
//! Ownership: a VPC's default ACL is AWS's (`aws_default_network_acl` adopts it; as an
//! `aws_network_acl` it is never "unmanaged"), and so are the entries AWS creates in it (rule
//! 100, all traffic from 0.0.0.0/0, and rule 101, all traffic from ::/0, in each direction) and
//! the implicit association of every subnet that is on the default ACL. An entry the account
//! added to a default ACL is the account's.
//!
//! Under `only` (what `apply` re-observes) the ACLs are read by filter ([`Named`]): the named
//! ACLs by id, and the ACLs the named associations' subnets are on now, so a subnet moved to
//! another ACL is read where it is: changed, not missing.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    Filter, IcmpTypeCode, NetworkAcl, NetworkAclEntry, PortRange, RuleAction,
};

use super::{Args, Cx, Executed, Found, Listed, Sample, Unit, call_error, tag_map, text_arg};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use crate::model::{Attributes, Owner, Value};
use crate::normalize::nacl::canonical_entries;

const ACL: &str = "aws_network_acl";
const DEFAULT_ACL: &str = "aws_default_network_acl";
const RULE: &str = "aws_network_acl_rule";
const ASSOCIATION: &str = "aws_network_acl_association";
const TYPES: &[&str] = &[ACL, DEFAULT_ACL, RULE, ASSOCIATION];

/// DescribeNetworkAcls takes at most 100 results a page (not the 1000 of other listings).
const PAGE: i32 = 100;

/// The catch-all deny entries of every ACL (IPv4, IPv6): neither terraform nor anyone else can
/// change them; the provider leaves them out of the state.
const CATCH_ALL: [i32; 2] = [32767, 32768];

pub const UNIT: Unit = Unit::new("network ACLs", TYPES, list, samples).calls(
    REVERTS,
    &[
        "CreateNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
    ],
    execute,
);

const REVERTS: &[UnitRevert] = &[
    UnitRevert::new("nacl_entries", &[ACL, DEFAULT_ACL], plan_entries),
    UnitRevert::new("nacl_subnets", &[ACL], plan_subnets),
    UnitRevert::new("nacl_association", &[ASSOCIATION], plan_association),
];

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        read_acls(cx)
            .await
            .map_or_else(Found::gap, |acls| emit(cx, &acls))
    })
}

/// The objects the request names (`only`, what `apply` re-observes), when it names those of
/// every asked type: the ACLs read by id (an ACL, its default-ACL view, the ACL of an entry)
/// and the subnets of the named associations (an association is named by its subnet, what
/// identifies it: see `Touched::ids`).
#[derive(Debug, Default)]
struct Named {
    acls: BTreeSet<String>,
    subnets: BTreeSet<String>,
}

impl Named {
    /// `None`: some asked type is read whole (every ACL of the region).
    fn of(cx: &Cx) -> Option<Named> {
        let mut named = Named::default();
        for t in TYPES.iter().filter(|t| cx.wants(t)) {
            let ids = cx.only(t)?.iter().cloned();
            match *t {
                ASSOCIATION => named.subnets.extend(ids),
                _ => named.acls.extend(ids),
            }
        }
        Some(named)
    }

    /// Whether an ACL is one the request names, or a named subnet is on it: where a moved
    /// subnet is now, so that its association is seen as changed rather than missing.
    fn matches(&self, acl: &NetworkAcl) -> bool {
        acl.network_acl_id()
            .is_some_and(|id| self.acls.contains(id))
            || acl
                .associations()
                .iter()
                .any(|a| a.subnet_id().is_some_and(|s| self.subnets.contains(s)))
    }
}

/// The region's ACLs (one listing), or under `only` those [`Named`] names, read by filter
/// (`network-acl-id`, `association.subnet-id`), batched, deduplicated.
async fn read_acls(cx: &Cx) -> Result<Vec<NetworkAcl>, crate::model::Gap> {
    let named = Named::of(cx);
    let batches: Vec<Option<Filter>> = match &named {
        None => vec![None],
        Some(named) => super::id_filters(Some(&named.acls), "network-acl-id")
            .into_iter()
            .chain(super::id_filters(
                Some(&named.subnets),
                "association.subnet-id",
            ))
            .collect(),
    };
    let mut acls = pages_by!(
        cx,
        "DescribeNetworkAcls",
        TYPES,
        batches,
        describe_network_acls,
        network_acls
    )?;
    if let Some(named) = named {
        let mut seen = BTreeSet::new();
        acls.retain(|a| named.matches(a) && seen.insert(a.network_acl_id().map(str::to_string)));
    }
    Ok(acls)
}

fn emit(cx: &Cx, acls: &[NetworkAcl]) -> Found {
    let wanted = |t: &str| cx.wanted.contains(t);
    let mut found = Found::default();
    for acl in acls {
        let Some(id) = acl.network_acl_id() else {
            continue;
        };
        let default = acl.is_default() == Some(true);
        let owner = if default {
            Owner::Aws("default network ACL".into())
        } else {
            Owner::User
        };
        let attributes = acl_attributes(acl, &cx.region);
        if wanted(ACL) {
            found
                .resources
                .push(cx.view(ACL, id, owner.clone(), attributes.clone()));
        }
        // A default ACL is also what an `aws_default_network_acl` manages: a second view of
        // the same object, primary only when `aws_network_acl` is not asked for.
        if default && wanted(DEFAULT_ACL) {
            let mut view = cx.view(
                DEFAULT_ACL,
                id,
                owner.clone(),
                default_acl_attributes(attributes),
            );
            view.primary = !wanted(ACL);
            found.resources.push(view);
        }
        if wanted(RULE) {
            for entry in acl.entries() {
                if entry.rule_number().is_some_and(|n| CATCH_ALL.contains(&n)) {
                    continue;
                }
                let a = rule_attributes(id, entry);
                let owner = if default && is_aws_default_entry(entry) {
                    Owner::Aws("default entry of a default network ACL".into())
                } else {
                    Owner::User
                };
                let cloud_id = rule_cloud_id(&a);
                found.resources.push(cx.view(RULE, &cloud_id, owner, a));
            }
        }
        if wanted(ASSOCIATION) {
            for association in acl.associations() {
                let Some(association_id) = association.network_acl_association_id() else {
                    continue;
                };
                let mut a = Attributes::new();
                a.insert("id".into(), association_id.into());
                a.insert("network_acl_id".into(), id.into());
                a.insert("subnet_id".into(), association.subnet_id().into());
                // Every subnet is on some ACL: on the default one unless moved.
                let owner = if default {
                    Owner::Aws(
                        "a subnet's implicit association with the default network ACL".into(),
                    )
                } else {
                    Owner::User
                };
                found
                    .resources
                    .push(cx.view(ASSOCIATION, association_id, owner, a));
            }
        }
    }
    found
}

/// An entry AWS creates in a default ACL: rule 100 (all traffic, 0.0.0.0/0) or 101 (all
/// traffic, ::/0), allow, in either direction.
fn is_aws_default_entry(entry: &NetworkAclEntry) -> bool {
    let all = entry.protocol().is_some_and(|p| p == "-1" || p == "all");
    let allow = entry.rule_action().is_some_and(|a| a.as_str() == "allow");
    let world = match entry.rule_number() {
        Some(100) => entry.cidr_block() == Some("0.0.0.0/0"),
        Some(101) => entry.ipv6_cidr_block() == Some("::/0"),
        _ => false,
    };
    all && allow && world
}

/// One observed entry's cloud id: its ACL, direction and rule number (what identifies an entry
/// to the EC2 API).
fn rule_cloud_id(a: &Attributes) -> String {
    let text = |k: &str| a.get(k).and_then(Value::scalar_text).unwrap_or_default();
    format!(
        "{}:{}:{}",
        text("network_acl_id"),
        if a.get("egress") == Some(&Value::Bool(true)) {
            "egress"
        } else {
            "ingress"
        },
        text("rule_number")
    )
}

/// An `aws_network_acl` as the provider records it.
pub fn acl_attributes(acl: &NetworkAcl, region: &str) -> Attributes {
    let id = acl.network_acl_id().unwrap_or_default();
    let mut a = super::vpc_object(region, ("network-acl", id), acl.owner_id(), acl.vpc_id());
    let mut subnets: Vec<&str> = acl
        .associations()
        .iter()
        .filter_map(|s| s.subnet_id())
        .collect();
    subnets.sort();
    subnets.dedup();
    a.insert("subnet_ids".into(), subnets.into());
    for (name, egress) in [("ingress", false), ("egress", true)] {
        let blocks: Vec<Value> = acl
            .entries()
            .iter()
            .filter(|e| e.egress() == Some(egress))
            .filter(|e| !e.rule_number().is_some_and(|n| CATCH_ALL.contains(&n)))
            .map(entry_block)
            .collect();
        a.insert(name.into(), Value::List(blocks));
    }
    a.insert("tags".into(), tag_map(acl.tags()));
    a
}

/// An `aws_default_network_acl`: the same state shape, plus `default_network_acl_id`.
fn default_acl_attributes(mut a: Attributes) -> Attributes {
    let id = a.get("id").cloned().unwrap_or(Value::Null);
    a.insert("default_network_acl_id".into(), id);
    a
}

/// An entry as an `ingress` / `egress` block of the provider's state.
fn entry_block(entry: &NetworkAclEntry) -> Value {
    let mut b = Attributes::new();
    b.insert("rule_no".into(), entry.rule_number().into());
    b.insert(
        "action".into(),
        entry.rule_action().map(|a| a.as_str()).into(),
    );
    b.insert("protocol".into(), entry.protocol().into());
    b.insert("cidr_block".into(), entry.cidr_block().unwrap_or("").into());
    b.insert(
        "ipv6_cidr_block".into(),
        entry.ipv6_cidr_block().unwrap_or("").into(),
    );
    let ports = entry.port_range();
    b.insert(
        "from_port".into(),
        ports.and_then(|p| p.from()).unwrap_or(0).into(),
    );
    b.insert(
        "to_port".into(),
        ports.and_then(|p| p.to()).unwrap_or(0).into(),
    );
    let icmp = entry.icmp_type_code();
    b.insert(
        "icmp_type".into(),
        icmp.and_then(|i| i.r#type()).unwrap_or(0).into(),
    );
    b.insert(
        "icmp_code".into(),
        icmp.and_then(|i| i.code()).unwrap_or(0).into(),
    );
    Value::Map(b)
}

/// An `aws_network_acl_rule` as the provider records it (its `id` is a hash of what the
/// configuration said, which no API returns: left out).
pub fn rule_attributes(acl_id: &str, entry: &NetworkAclEntry) -> Attributes {
    let mut a = Attributes::new();
    a.insert("network_acl_id".into(), acl_id.into());
    let egress = entry.egress().unwrap_or(false);
    a.insert("egress".into(), egress.into());
    // Not an attribute of the provider's: the flag the AWS CLI's delete command takes.
    a.insert(
        "direction".into(),
        if egress { "egress" } else { "ingress" }.into(),
    );
    a.insert("rule_number".into(), entry.rule_number().into());
    a.insert(
        "rule_action".into(),
        entry.rule_action().map(|a| a.as_str()).into(),
    );
    a.insert("protocol".into(), entry.protocol().into());
    a.insert("cidr_block".into(), entry.cidr_block().into());
    a.insert("ipv6_cidr_block".into(), entry.ipv6_cidr_block().into());
    let ports = entry.port_range();
    a.insert("from_port".into(), ports.and_then(|p| p.from()).into());
    a.insert("to_port".into(), ports.and_then(|p| p.to()).into());
    let icmp = entry.icmp_type_code();
    a.insert("icmp_type".into(), icmp.and_then(|i| i.r#type()).into());
    a.insert("icmp_code".into(), icmp.and_then(|i| i.code()).into());
    a
}

// ---- reverts ---------------------------------------------------------------------------------

/// An ACL's entries in one direction by rule number (canonical form).
fn by_rule(v: &Value) -> Result<BTreeMap<i64, BTreeMap<String, Value>>, String> {
    let mut out = BTreeMap::new();
    for e in canonical_entries(v).as_list().unwrap_or_default() {
        let m = e.as_map().ok_or("an entry that is not a block")?;
        let n = m
            .get("rule_no")
            .and_then(Value::as_f64)
            .ok_or("an entry without a rule number")?;
        out.insert(n as i64, m.clone());
    }
    Ok(out)
}

/// The call that writes entry `n` of `acl` (`entry`: its recorded fields; none to delete it).
fn entry_call(
    operation: &str,
    acl: &str,
    egress: bool,
    n: i64,
    entry: Option<&BTreeMap<String, Value>>,
) -> UnitCall {
    let mut call = UnitCall::new("ec2", operation, acl)
        .arg("network_acl_id", Arg::text(acl))
        .arg("egress", Arg::Value(Value::Bool(egress)))
        .arg("rule_number", Arg::Value(Value::from(n)));
    let Some(e) = entry else { return call };
    let field = |k: &str| e.get(k).cloned().unwrap_or(Value::Null);
    let protocol = field("protocol").scalar_text().unwrap_or_default();
    call = call
        .arg("protocol", Arg::text(protocol.clone()))
        .arg("rule_action", Arg::Value(field("action")));
    for k in ["cidr_block", "ipv6_cidr_block"] {
        if !field(k).is_empty_like() {
            call = call.arg(k, Arg::Value(field(k)));
        }
    }
    // The fields that mean something for the protocol, as the canonical form keeps them.
    if matches!(protocol.as_str(), "6" | "17") {
        call = call
            .arg("port_range_from", Arg::Value(field("from_port")))
            .arg("port_range_to", Arg::Value(field("to_port")));
    }
    if matches!(protocol.as_str(), "1" | "58") {
        call = call
            .arg("icmp_type", Arg::Value(field("icmp_type")))
            .arg("icmp_code", Arg::Value(field("icmp_code")));
    }
    call
}

/// An ACL's `ingress` / `egress` put back: the entries the cloud has beyond the state deleted,
/// the recorded ones it lacks created, the ones that differ under the same rule number
/// replaced. Only the difference is written.
fn plan_entries(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let acl = input.recorded_text("id")?;
    let mut calls = Vec::new();
    for c in input.changes {
        let egress = match c.path.attribute() {
            Some("egress") => true,
            Some("ingress") => false,
            other => return Err(format!("not an ACL's entries: {other:?}")),
        };
        if c.before.contains_sensitive() || c.after.contains_sensitive() {
            return Err("an entry is sensitive in the state: terraform puts it back".into());
        }
        let (want, have) = (by_rule(&c.before)?, by_rule(&c.after)?);
        for n in have.keys().filter(|n| !want.contains_key(n)) {
            calls.push(entry_call("DeleteNetworkAclEntry", &acl, egress, *n, None));
        }
        for (n, e) in &want {
            match have.get(n) {
                Some(h) if h == e => {}
                Some(_) => calls.push(entry_call(
                    "ReplaceNetworkAclEntry",
                    &acl,
                    egress,
                    *n,
                    Some(e),
                )),
                None => calls.push(entry_call(
                    "CreateNetworkAclEntry",
                    &acl,
                    egress,
                    *n,
                    Some(e),
                )),
            }
        }
    }
    Ok(calls)
}

fn subnet_list(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = v
        .as_list()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::scalar_text)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The call that puts `subnet` on `acl`.
fn association_call(subnet: &str, acl: &str) -> UnitCall {
    UnitCall::new("ec2", "ReplaceNetworkAclAssociation", subnet)
        .arg("subnet_id", Arg::text(subnet))
        .arg("network_acl_id", Arg::text(acl))
}

/// An ACL's `subnet_ids` put back as terraform would: each recorded subnet the cloud moved
/// elsewhere goes back on this ACL, and a subnet moved onto it goes to its VPC's default ACL
/// (named by the VPC: which ACL that is, is looked up when the call runs).
fn plan_subnets(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let acl = input.recorded_text("id")?;
    let vpc = input.recorded_text("vpc_id")?;
    let mut calls = Vec::new();
    for c in input.changes {
        let (want, have) = (subnet_list(&c.before), subnet_list(&c.after));
        for s in have.iter().filter(|s| !want.contains(s)) {
            calls.push(
                UnitCall::new("ec2", "ReplaceNetworkAclAssociation", s)
                    .arg("subnet_id", Arg::text(s.as_str()))
                    .arg(DEFAULT_OF_VPC, Arg::text(vpc.as_str())),
            );
        }
        for s in want.iter().filter(|s| !have.contains(s)) {
            calls.push(association_call(s, &acl));
        }
    }
    Ok(calls)
}

/// The argument that names the target ACL as "the default ACL of this VPC".
const DEFAULT_OF_VPC: &str = "default_network_acl_of_vpc_id";

/// An `aws_network_acl_association` put back: its subnet on the recorded ACL again.
fn plan_association(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let subnet = input.recorded_text("subnet_id")?;
    let acl = input.recorded_text("network_acl_id")?;
    Ok(vec![association_call(&subnet, &acl)])
}

fn int_arg(args: &Args, name: &str) -> Result<i32, String> {
    args.get(name)
        .and_then(Value::as_f64)
        .map(|n| n as i32)
        .ok_or_else(|| format!("the call has no number `{name}`"))
}

fn opt_text(args: &Args, name: &str) -> Option<String> {
    args.get(name)
        .and_then(Value::scalar_text)
        .filter(|t| !t.is_empty())
}

/// An entry's fields from a call's arguments.
struct EntryArgs {
    acl: String,
    egress: bool,
    rule_number: i32,
    protocol: String,
    action: RuleAction,
    cidr_block: Option<String>,
    ipv6_cidr_block: Option<String>,
    ports: Option<PortRange>,
    icmp: Option<IcmpTypeCode>,
}

impl EntryArgs {
    fn read(args: &Args) -> Result<EntryArgs, String> {
        let ports = match (args.get("port_range_from"), args.get("port_range_to")) {
            (None, None) => None,
            _ => Some(
                PortRange::builder()
                    .from(int_arg(args, "port_range_from")?)
                    .to(int_arg(args, "port_range_to")?)
                    .build(),
            ),
        };
        let icmp = match (args.get("icmp_type"), args.get("icmp_code")) {
            (None, None) => None,
            _ => Some(
                IcmpTypeCode::builder()
                    .r#type(int_arg(args, "icmp_type")?)
                    .code(int_arg(args, "icmp_code")?)
                    .build(),
            ),
        };
        Ok(EntryArgs {
            acl: text_arg(args, "network_acl_id")?,
            egress: args.get("egress").and_then(Value::as_bool).unwrap_or(false),
            rule_number: int_arg(args, "rule_number")?,
            protocol: text_arg(args, "protocol")?,
            action: RuleAction::from(text_arg(args, "rule_action")?.as_str()),
            cidr_block: opt_text(args, "cidr_block"),
            ipv6_cidr_block: opt_text(args, "ipv6_cidr_block"),
            ports,
            icmp,
        })
    }
}

/// The default ACL of `vpc`.
async fn default_acl(client: &Client, vpc: &str) -> Result<String, String> {
    let acls = client
        .describe_network_acls()
        .filters(Filter::builder().name("vpc-id").values(vpc).build())
        .filters(Filter::builder().name("default").values("true").build())
        .send()
        .await
        .map_err(call_error)?;
    acls.network_acls()
        .iter()
        .find(|a| a.is_default() == Some(true))
        .and_then(|a| a.network_acl_id())
        .map(str::to_string)
        .ok_or_else(|| format!("{vpc} has no default network ACL"))
}

/// An entry's fields, on `CreateNetworkAclEntry` and `ReplaceNetworkAclEntry` alike (two SDK
/// builders with the same setters).
macro_rules! entry {
    ($builder:expr, $entry:expr) => {{
        let e = $entry;
        $builder
            .network_acl_id(e.acl)
            .egress(e.egress)
            .rule_number(e.rule_number)
            .protocol(e.protocol)
            .rule_action(e.action)
            .set_cidr_block(e.cidr_block)
            .set_ipv6_cidr_block(e.ipv6_cidr_block)
            .set_port_range(e.ports)
            .set_icmp_type_code(e.icmp)
    }};
}

fn execute<'a>(client: &'a Client, call: &'a UnitCall, args: &'a Args) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            "CreateNetworkAclEntry" => {
                entry!(client.create_network_acl_entry(), EntryArgs::read(args)?)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(call_error)
            }
            "ReplaceNetworkAclEntry" => {
                entry!(client.replace_network_acl_entry(), EntryArgs::read(args)?)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(call_error)
            }
            "DeleteNetworkAclEntry" => client
                .delete_network_acl_entry()
                .network_acl_id(text_arg(args, "network_acl_id")?)
                .egress(args.get("egress").and_then(Value::as_bool).unwrap_or(false))
                .rule_number(int_arg(args, "rule_number")?)
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            "ReplaceNetworkAclAssociation" => {
                // The API replaces an association by its id, which changes with every move:
                // the subnet's current one is looked up right before.
                let subnet = text_arg(args, "subnet_id")?;
                let acls = client
                    .describe_network_acls()
                    .filters(
                        Filter::builder()
                            .name("association.subnet-id")
                            .values(&subnet)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(call_error)?;
                let current = acls
                    .network_acls()
                    .iter()
                    .flat_map(|a| a.associations())
                    .find(|a| a.subnet_id() == Some(subnet.as_str()))
                    .and_then(|a| a.network_acl_association_id())
                    .ok_or_else(|| format!("subnet {subnet} has no network ACL association"))?
                    .to_string();
                let target = match opt_text(args, "network_acl_id") {
                    Some(acl) => acl,
                    None => default_acl(client, &text_arg(args, DEFAULT_OF_VPC)?).await?,
                };
                client
                    .replace_network_acl_association()
                    .association_id(current)
                    .network_acl_id(target)
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(call_error)
            }
            other => Err(format!("{other}: not an operation of the network ACL unit")),
        }
    })
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{NetworkAclAssociation, Tag};
    let region = "us-east-1";
    let owner = "111122223333";
    let entry = |n: i32, egress: bool| {
        NetworkAclEntry::builder()
            .rule_number(n)
            .egress(egress)
            .rule_action(RuleAction::Allow)
    };
    let tcp = entry(100, false)
        .protocol("6")
        .cidr_block("10.0.0.0/16")
        .port_range(PortRange::builder().from(443).to(443).build())
        .build();
    let icmpv6 = entry(110, true)
        .protocol("58")
        .ipv6_cidr_block("2001:db8::/32")
        .icmp_type_code(IcmpTypeCode::builder().r#type(128).code(0).build())
        .build();
    let catch_all = entry(32767, false)
        .rule_action(RuleAction::Deny)
        .protocol("-1")
        .cidr_block("0.0.0.0/0")
        .build();
    let association = |n: &str| {
        NetworkAclAssociation::builder()
            .network_acl_association_id(format!("aclassoc-{n}"))
            .network_acl_id("acl-1")
            .subnet_id(format!("subnet-{n}"))
            .build()
    };
    let acl = |id: &str, default: bool| {
        NetworkAcl::builder()
            .network_acl_id(id)
            .vpc_id("vpc-1")
            .owner_id(owner)
            .is_default(default)
            .entries(tcp.clone())
            .entries(icmpv6.clone())
            .entries(catch_all.clone())
            .associations(association("1"))
            .tags(Tag::builder().key("Name").value("private").build())
            .build()
    };
    let custom = acl("acl-1", false);
    let default = acl("acl-0", true);
    let view = |ty: &str, id: &str, attributes: Attributes| {
        super::view(ty, id, true, region, Owner::User, attributes)
    };
    let mut out = vec![
        Sample {
            resource: view(ACL, "acl-1", acl_attributes(&custom, region)),
            import_id: "acl-1".into(),
        },
        Sample {
            resource: view(
                DEFAULT_ACL,
                "acl-0",
                default_acl_attributes(acl_attributes(&default, region)),
            ),
            import_id: "acl-0".into(),
        },
        Sample {
            resource: view(
                ASSOCIATION,
                "aclassoc-1",
                Attributes::from([
                    ("id".to_string(), Value::from("aclassoc-1")),
                    ("network_acl_id".to_string(), Value::from("acl-1")),
                    ("subnet_id".to_string(), Value::from("subnet-1")),
                ]),
            ),
            import_id: "aclassoc-1".into(),
        },
    ];
    // `NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS` (the provider's import format).
    for (entry, import_id) in [(&tcp, "acl-1:100:6:false"), (&icmpv6, "acl-1:110:58:true")] {
        let a = rule_attributes("acl-1", entry);
        out.push(Sample {
            resource: view(RULE, &rule_cloud_id(&a), a),
            import_id: import_id.into(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::RuleAction;

    fn all_traffic(n: i32, egress: bool) -> aws_sdk_ec2::types::builders::NetworkAclEntryBuilder {
        NetworkAclEntry::builder()
            .rule_number(n)
            .egress(egress)
            .protocol("-1")
            .rule_action(RuleAction::Allow)
    }

    #[test]
    fn only_the_entries_aws_creates_are_aws_default_entries() {
        assert!(is_aws_default_entry(
            &all_traffic(100, false).cidr_block("0.0.0.0/0").build()
        ));
        assert!(is_aws_default_entry(
            &all_traffic(101, true).ipv6_cidr_block("::/0").build()
        ));
        // The same entry under another number, a narrower source, a single port, a deny.
        assert!(!is_aws_default_entry(
            &all_traffic(90, false).cidr_block("0.0.0.0/0").build()
        ));
        assert!(!is_aws_default_entry(
            &all_traffic(100, false).cidr_block("10.0.0.0/8").build()
        ));
        assert!(!is_aws_default_entry(
            &all_traffic(100, false)
                .protocol("6")
                .cidr_block("0.0.0.0/0")
                .build()
        ));
        assert!(!is_aws_default_entry(
            &all_traffic(100, false)
                .rule_action(RuleAction::Deny)
                .cidr_block("0.0.0.0/0")
                .build()
        ));
    }

    fn block(n: i64, action: &str, protocol: &str, port: i64, cidr: &str) -> Value {
        Value::Map(Attributes::from([
            ("rule_no".to_string(), Value::from(n)),
            ("action".to_string(), Value::from(action)),
            ("protocol".to_string(), Value::from(protocol)),
            ("from_port".to_string(), Value::from(port)),
            ("to_port".to_string(), Value::from(port)),
            ("cidr_block".to_string(), Value::from(cidr)),
        ]))
    }

    /// The calls a unit revert plans for `changes` of a recorded `ty` with `recorded`.
    fn planned(
        revert: fn(&RevertInput<'_>) -> Result<Vec<UnitCall>, String>,
        ty: &str,
        recorded: Attributes,
        changes: Vec<crate::model::Change>,
    ) -> Result<Vec<UnitCall>, String> {
        use crate::model::{Address, Drift, DriftKind, RecordedResource, StateSource};
        let drift = Drift {
            kind: DriftKind::Changed,
            resource_type: ty.into(),
            id: "acl-1".into(),
            address: Some(Address::managed(ty, "this")),
            state: None,
            region: None,
            changes: changes.clone(),
            observed: None,
        };
        let recorded = RecordedResource {
            address: Address::managed(ty, "this"),
            resource_type: ty.into(),
            provider: String::new(),
            state: StateSource("terraform.tfstate".into()),
            schema_version: 0,
            attributes: recorded,
        };
        let refs: Vec<&crate::model::Change> = changes.iter().collect();
        revert(&RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &refs,
        })
    }

    fn change(attr: &str, before: Vec<Value>, after: Vec<Value>) -> crate::model::Change {
        crate::model::Change::new(
            crate::model::Path::root(attr),
            Value::List(before),
            Value::List(after),
        )
    }

    #[test]
    fn entries_are_put_back_by_their_difference_only() {
        let recorded = Attributes::from([("id".to_string(), Value::from("acl-1"))]);
        let https = block(100, "allow", "tcp", 443, "10.0.0.0/8");
        let calls = planned(
            plan_entries,
            ACL,
            recorded,
            vec![change(
                "ingress",
                vec![https.clone(), block(110, "deny", "-1", 0, "192.0.2.0/24")],
                vec![
                    // The same entry, as the API writes it: nothing to do.
                    block(100, "allow", "6", 443, "10.0.0.0/8"),
                    block(90, "allow", "6", 3389, "0.0.0.0/0"),
                    block(110, "deny", "-1", 0, "198.51.100.0/24"),
                ],
            )],
        )
        .unwrap();
        let shown: Vec<String> = calls
            .iter()
            .map(|c| {
                let args: Vec<String> = c
                    .args
                    .iter()
                    .map(|(k, v)| match v {
                        Arg::Value(v) => format!("{k}={}", v.scalar_text().unwrap_or_default()),
                        Arg::FromState(_) => format!("{k}=(state)"),
                    })
                    .collect();
                format!("{} {}", c.operation, args.join(" "))
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                "DeleteNetworkAclEntry egress=false network_acl_id=acl-1 rule_number=90",
                "ReplaceNetworkAclEntry cidr_block=192.0.2.0/24 egress=false \
                 network_acl_id=acl-1 protocol=-1 rule_action=deny rule_number=110",
            ]
        );
        // An egress entry lost: created again, ports for tcp.
        let calls = planned(
            plan_entries,
            DEFAULT_ACL,
            Attributes::from([("id".to_string(), Value::from("acl-0"))]),
            vec![change("egress", vec![https], vec![])],
        )
        .unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].operation, "CreateNetworkAclEntry");
        assert_eq!(calls[0].args["egress"], Arg::Value(Value::Bool(true)));
        assert_eq!(calls[0].args["protocol"], Arg::text("6"));
        assert_eq!(
            calls[0].args["port_range_from"],
            Arg::Value(Value::from(443))
        );
    }

    #[test]
    fn subnets_go_back_on_their_acl_and_strays_to_the_default() {
        let recorded = Attributes::from([
            ("id".to_string(), Value::from("acl-1")),
            ("vpc_id".to_string(), Value::from("vpc-1")),
        ]);
        let calls = planned(
            plan_subnets,
            ACL,
            recorded,
            vec![change(
                "subnet_ids",
                vec![Value::from("subnet-a")],
                vec![Value::from("subnet-b")],
            )],
        )
        .unwrap();
        assert_eq!(
            calls,
            vec![
                UnitCall::new("ec2", "ReplaceNetworkAclAssociation", "subnet-b")
                    .arg("subnet_id", Arg::text("subnet-b"))
                    .arg(DEFAULT_OF_VPC, Arg::text("vpc-1")),
                association_call("subnet-a", "acl-1"),
            ]
        );
    }

    #[test]
    fn catch_all_entries_are_left_out_like_the_provider_does() {
        let acl = NetworkAcl::builder()
            .network_acl_id("acl-1")
            .entries(all_traffic(100, false).cidr_block("0.0.0.0/0").build())
            .entries(
                all_traffic(32767, false)
                    .rule_action(RuleAction::Deny)
                    .cidr_block("0.0.0.0/0")
                    .build(),
            )
            .entries(
                all_traffic(32768, true)
                    .rule_action(RuleAction::Deny)
                    .ipv6_cidr_block("::/0")
                    .build(),
            )
            .build();
        let a = acl_attributes(&acl, "us-east-1");
        assert_eq!(a["ingress"].as_list().map(<[Value]>::len), Some(1));
        assert_eq!(a["egress"], Value::List(vec![]));
        let block = &a["ingress"].as_list().unwrap()[0];
        // No port range and no ICMP for protocol -1: zeros, as the provider records them.
        assert_eq!(block.get("from_port"), Some(&Value::from(0)));
        assert_eq!(block.get("icmp_type"), Some(&Value::from(0)));
        assert_eq!(block.get("ipv6_cidr_block"), Some(&Value::from("")));
    }
}
