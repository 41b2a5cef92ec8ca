//! Security groups and their rules, from DescribeSecurityGroups and
//! DescribeSecurityGroupRules: `aws_security_group`, `aws_default_security_group` (a default
//! group seen as the resource terraform adopts it with), and each EC2 rule as its
//! `aws_vpc_security_group_ingress_rule` / `_egress_rule` and as an `aws_security_group_rule`.
//!
//! Ownership: default security groups are AWS's; of a default group's rules only the two AWS
//! puts there (all traffic from the group itself, all traffic out) are, every other rule is the
//! account's. A rule or permission with no source driftgate can read becomes a `Gap`, never a
//! dropped or guessed rule.
//!
//! Read by id (`Cx::only`): groups by `group-id`, EC2 rules by `security-group-rule-id`; an
//! `aws_security_group_rule` has no cloud id of its own (one may stand for several EC2 rules),
//! so its ids are its groups' ids and every rule of those groups is read (`group-id`).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, IpPermission, SecurityGroup, SecurityGroupRule};

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Gap, Owner, Value};
use crate::provider::aws::calls::gap;

const GROUP: &str = "aws_security_group";
const DEFAULT_GROUP: &str = "aws_default_security_group";
const LEGACY_RULE: &str = "aws_security_group_rule";
const INGRESS_RULE: &str = "aws_vpc_security_group_ingress_rule";
const EGRESS_RULE: &str = "aws_vpc_security_group_egress_rule";

pub const UNIT: Unit = Unit::new(
    "security groups",
    &[GROUP, DEFAULT_GROUP, LEGACY_RULE, INGRESS_RULE, EGRESS_RULE],
    list,
    samples,
);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let group_types: Vec<&str> = [GROUP, DEFAULT_GROUP]
            .into_iter()
            .filter(|t| cx.wants(t))
            .collect();
        let rule_types: Vec<&str> = [LEGACY_RULE, INGRESS_RULE, EGRESS_RULE]
            .into_iter()
            .filter(|t| cx.wants(t))
            .collect();
        // Without the groups, neither the groups nor the ownership of rules is known.
        let mut lost: Vec<&str> = rule_types.clone();
        lost.extend(&group_types);
        let (groups, rules) = tokio::join!(
            read_groups(cx, &group_types, &lost, !rule_types.is_empty()),
            read_rules(cx, &rule_types)
        );
        let mut found = Found::default();
        let (groups, emitted) = match groups {
            Ok(groups) => groups,
            Err(gap) => {
                found.gaps.push(gap);
                if let Err(gap) = rules {
                    found.gaps.push(gap);
                }
                return found;
            }
        };
        let default_groups: BTreeSet<&str> = groups
            .iter()
            .filter(|g| g.group_name() == Some("default"))
            .filter_map(|g| g.group_id())
            .collect();
        if !group_types.is_empty() {
            let emitted: Vec<SecurityGroup> = groups
                .iter()
                .filter(|g| {
                    emitted
                        .as_ref()
                        .is_none_or(|ids| g.group_id().is_some_and(|id| ids.contains(id)))
                })
                .cloned()
                .collect();
            emit_groups(
                &emitted,
                &default_groups,
                &group_types,
                &cx.region,
                &cx.wanted,
                &mut found,
            );
        }
        match rules {
            Ok(rules) => emit_rules(
                &rules,
                &default_groups,
                &rule_types,
                &cx.region,
                &cx.wanted,
                &mut found,
            ),
            Err(gap) => found.gaps.push(gap),
        }
        found
    })
}

/// The ids of the asked objects of `types`, when the request names them for every one of
/// them; `None`: every object.
fn asked_ids(cx: &Cx, types: &[&str]) -> Option<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    for t in types {
        ids.extend(cx.only(t)?.iter().cloned());
    }
    Some(ids)
}

fn default_groups_only() -> Filter {
    Filter::builder()
        .name("group-name")
        .values("default")
        .build()
}

/// Owns the `DescribeSecurityGroups` sweep: the groups asked for (every group, or the ones the
/// request names, returned with them), and, when rules are asked, the default groups (rules
/// need to know whether their group is a default group: AWS's own default rules of a default
/// group are AWS's), which is one small page.
async fn read_groups(
    cx: &Cx,
    group_types: &[&str],
    lost: &[&str],
    rules_asked: bool,
) -> Result<(Vec<SecurityGroup>, Option<BTreeSet<String>>), Gap> {
    let asked = if group_types.is_empty() {
        Some(BTreeSet::new())
    } else {
        asked_ids(cx, group_types)
    };
    let mut groups = pages_by!(
        cx,
        "DescribeSecurityGroups",
        lost,
        super::id_filters(asked.as_ref(), "group-id"),
        describe_security_groups,
        security_groups
    )?;
    if asked.is_some() && rules_asked {
        let defaults = pages!(
            cx,
            "DescribeSecurityGroups",
            lost,
            cx.client
                .describe_security_groups()
                .max_results(PAGE)
                .filters(default_groups_only()),
            security_groups
        )?;
        groups.extend(defaults);
        let mut seen = BTreeSet::new();
        groups.retain(|g| seen.insert(g.group_id().map(str::to_string)));
    }
    Ok((groups, asked))
}

/// Owns the `DescribeSecurityGroupRules` sweep (none when no rule type is asked): every rule,
/// or the ones the request names (EC2 rules by id, `aws_security_group_rule`s by group).
async fn read_rules(cx: &Cx, rule_types: &[&str]) -> Result<Vec<SecurityGroupRule>, Gap> {
    if rule_types.is_empty() {
        return Ok(Vec::new());
    }
    let request = |filters: Option<Vec<Filter>>| {
        cx.client
            .describe_security_group_rules()
            .max_results(PAGE)
            .set_filters(filters)
    };
    let by_rule: Vec<&str> = rule_types
        .iter()
        .copied()
        .filter(|t| *t != LEGACY_RULE)
        .collect();
    let by_group: Vec<&str> = rule_types
        .iter()
        .copied()
        .filter(|t| *t == LEGACY_RULE)
        .collect();
    let (Some(rule_ids), Some(group_ids)) = (asked_ids(cx, &by_rule), asked_ids(cx, &by_group))
    else {
        return pages!(
            cx,
            "DescribeSecurityGroupRules",
            rule_types,
            request(None),
            security_group_rules
        );
    };
    // The asked rules, then the rules of the asked groups (one listing: one gap).
    let rule_batches = super::id_filters(Some(&rule_ids), "security-group-rule-id");
    let group_batches = super::id_filters(Some(&group_ids), "group-id");
    let mut rules = pages_by!(
        cx,
        "DescribeSecurityGroupRules",
        rule_types,
        rule_batches.into_iter().chain(group_batches),
        Vec::new(),
        |filters| request(filters),
        security_group_rules
    )?;
    let mut seen = BTreeSet::new();
    rules.retain(|r| seen.insert(r.security_group_rule_id().map(str::to_string)));
    Ok(rules)
}

/// Owns group views: each group as an `aws_security_group` and, for a default group, as an
/// `aws_default_security_group`; a group whose rules cannot be read is a gap.
pub(crate) fn emit_groups(
    groups: &[SecurityGroup],
    default_groups: &BTreeSet<&str>,
    group_types: &[&str],
    region: &str,
    wanted: &BTreeSet<String>,
    found: &mut Found,
) {
    for group in groups {
        let Some(id) = group.group_id() else { continue };
        let attributes = match security_group_attributes(group, region) {
            Ok(a) => a,
            Err(unreadable) => {
                // Emitting the group without the rule would hide it; with a guessed one
                // would invent drift. The group's type is not checked in this region.
                found.gaps.push(gap(
                    "ec2",
                    Some(region),
                    "DescribeSecurityGroups",
                    group_types,
                    format!("security group {id}: {unreadable}"),
                ));
                continue;
            }
        };
        let default = default_groups.contains(id);
        let owner = if default {
            Owner::Aws("default security group".into())
        } else {
            Owner::User
        };
        if wanted.contains(GROUP) {
            found.resources.push(super::view(
                GROUP,
                id,
                true,
                region,
                owner.clone(),
                attributes.clone(),
            ));
        }
        // A default group is also what an `aws_default_security_group` manages: a second
        // view of the same object (the same state shape), so a recorded one matches it.
        if default && wanted.contains(DEFAULT_GROUP) {
            found.resources.push(super::view(
                DEFAULT_GROUP,
                id,
                !wanted.contains(GROUP),
                region,
                owner,
                attributes,
            ));
        }
    }
}

/// Owns rule views: each rule as its ingress/egress rule and as an `aws_security_group_rule`,
/// owned by AWS only when it is AWS's default rule of a default group; a rule with no source
/// is a gap.
pub(crate) fn emit_rules(
    rules: &[SecurityGroupRule],
    default_groups: &BTreeSet<&str>,
    rule_types: &[&str],
    region: &str,
    wanted: &BTreeSet<String>,
    found: &mut Found,
) {
    for rule in rules {
        let Some(id) = rule.security_group_rule_id() else {
            continue;
        };
        if !has_source(rule) {
            found.gaps.push(gap(
                "ec2",
                Some(region),
                "DescribeSecurityGroupRules",
                rule_types,
                format!(
                    "rule {id} of {}: {}",
                    rule.group_id().unwrap_or("?"),
                    NO_SOURCE
                ),
            ));
            continue;
        }
        let in_default_group = rule.group_id().is_some_and(|g| default_groups.contains(g));
        let owner = if in_default_group && is_aws_default_rule(rule) {
            Owner::Aws("default rule of a default security group".into())
        } else {
            Owner::User
        };
        let egress = rule.is_egress() == Some(true);
        let primary_type = if egress { EGRESS_RULE } else { INGRESS_RULE };
        if wanted.contains(primary_type) {
            found.resources.push(super::view(
                primary_type,
                id,
                true,
                region,
                owner.clone(),
                vpc_rule_attributes(rule, region),
            ));
        }
        if wanted.contains(LEGACY_RULE) {
            found.resources.push(super::view(
                LEGACY_RULE,
                id,
                !wanted.contains(primary_type),
                region,
                owner,
                legacy_rule_attributes(rule),
            ));
        }
    }
}

/// Why a rule with no source cannot be compared.
const NO_SOURCE: &str = "a rule with no source driftgate recognises (IPv4 CIDR, IPv6 CIDR, \
                         prefix list or security group); it cannot be compared";

/// Whether an EC2 rule names one source driftgate can compare.
fn has_source(rule: &SecurityGroupRule) -> bool {
    rule.cidr_ipv4().is_some()
        || rule.cidr_ipv6().is_some()
        || rule.prefix_list_id().is_some()
        || rule
            .referenced_group_info()
            .and_then(|r| r.group_id())
            .is_some()
}

/// Whether a rule of a default security group is one AWS itself puts there: all traffic in
/// from the group itself, or all traffic out to the IPv4 (or, where the VPC has IPv6, the IPv6)
/// internet. Any other rule of a default group is the account's doing.
pub fn is_aws_default_rule(rule: &SecurityGroupRule) -> bool {
    if protocol_name(rule.ip_protocol().unwrap_or("")) != "-1" {
        return false;
    }
    let referenced = rule.referenced_group_info().and_then(|r| r.group_id());
    let no_cidr = rule.cidr_ipv4().is_none() && rule.cidr_ipv6().is_none();
    let no_prefix = rule.prefix_list_id().is_none();
    if rule.is_egress() == Some(true) {
        referenced.is_none()
            && no_prefix
            && matches!(
                (rule.cidr_ipv4(), rule.cidr_ipv6()),
                (Some("0.0.0.0/0"), None) | (None, Some("::/0"))
            )
    } else {
        no_cidr && no_prefix && referenced.is_some() && referenced == rule.group_id()
    }
}

/// An `aws_security_group` (or `aws_default_security_group`) as the provider records it,
/// inline rules included. Fails on a permission with no source it can read.
pub fn security_group_attributes(
    group: &SecurityGroup,
    region: &str,
) -> Result<Attributes, &'static str> {
    let id = group.group_id().unwrap_or_default();
    let owner_id = group.owner_id();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    let arn_value = group
        .security_group_arn()
        .map(str::to_string)
        .unwrap_or_else(|| arn(region, owner_id, &format!("security-group/{id}")));
    a.insert("arn".into(), arn_value.into());
    a.insert("name".into(), group.group_name().into());
    a.insert("description".into(), group.description().into());
    a.insert("vpc_id".into(), group.vpc_id().into());
    a.insert("owner_id".into(), owner_id.into());
    a.insert("tags".into(), tag_map(group.tags()));
    a.insert(
        "ingress".into(),
        flatten_ip_permissions(group.ip_permissions(), id, owner_id)?,
    );
    a.insert(
        "egress".into(),
        flatten_ip_permissions(group.ip_permissions_egress(), id, owner_id)?,
    );
    Ok(a)
}

/// EC2's `IpPermissions` as the provider's `ingress` / `egress` blocks: one block per source
/// (CIDR, IPv6 CIDR, prefix list, group pair), every key present, a pair naming the group itself
/// as `self = true`, a pair in another account as `ACCOUNT/sg-...`. Absent ports are 0 (EC2
/// omits them for protocol `-1`). Sorted, since terraform holds them as a set. A permission
/// with no source is an error in the data, never dropped.
pub fn flatten_ip_permissions(
    permissions: &[IpPermission],
    group_id: &str,
    owner_id: Option<&str>,
) -> Result<Value, &'static str> {
    let mut blocks = Vec::new();
    for perm in permissions {
        if perm.ip_ranges().is_empty()
            && perm.ipv6_ranges().is_empty()
            && perm.prefix_list_ids().is_empty()
            && perm.user_id_group_pairs().is_empty()
        {
            return Err(NO_SOURCE);
        }
        let protocol = protocol_name(perm.ip_protocol().unwrap_or("-1"));
        let from_port = perm.from_port().unwrap_or(0);
        let to_port = perm.to_port().unwrap_or(0);
        let block = |description: Option<&str>| {
            let mut b = BTreeMap::new();
            b.insert("cidr_blocks".to_string(), Value::List(vec![]));
            b.insert("description".to_string(), description.unwrap_or("").into());
            b.insert("from_port".to_string(), from_port.into());
            b.insert("ipv6_cidr_blocks".to_string(), Value::List(vec![]));
            b.insert("prefix_list_ids".to_string(), Value::List(vec![]));
            b.insert("protocol".to_string(), protocol.clone().into());
            b.insert("security_groups".to_string(), Value::List(vec![]));
            b.insert("self".to_string(), false.into());
            b.insert("to_port".to_string(), to_port.into());
            b
        };
        for range in perm.ip_ranges() {
            let mut b = block(range.description());
            b.insert("cidr_blocks".into(), vec![range.cidr_ip()].into());
            blocks.push(Value::Map(b));
        }
        for range in perm.ipv6_ranges() {
            let mut b = block(range.description());
            b.insert("ipv6_cidr_blocks".into(), vec![range.cidr_ipv6()].into());
            blocks.push(Value::Map(b));
        }
        for prefix in perm.prefix_list_ids() {
            let mut b = block(prefix.description());
            b.insert(
                "prefix_list_ids".into(),
                vec![prefix.prefix_list_id()].into(),
            );
            blocks.push(Value::Map(b));
        }
        for pair in perm.user_id_group_pairs() {
            let mut b = block(pair.description());
            let pair_group = pair.group_id().unwrap_or_default();
            if pair_group == group_id {
                b.insert("self".into(), true.into());
            } else {
                let name = match (pair.user_id(), owner_id) {
                    (Some(user), Some(owner)) if user != owner => format!("{user}/{pair_group}"),
                    _ => pair_group.to_string(),
                };
                b.insert("security_groups".into(), vec![name].into());
            }
            blocks.push(Value::Map(b));
        }
    }
    blocks.sort();
    Ok(Value::List(blocks))
}

/// The primary view of one EC2 rule: `aws_vpc_security_group_ingress_rule` /
/// `aws_vpc_security_group_egress_rule`. Ports are EC2's (-1 for protocol `-1`).
pub fn vpc_rule_attributes(rule: &SecurityGroupRule, region: &str) -> Attributes {
    let id = rule.security_group_rule_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert("security_group_rule_id".into(), id.into());
    // moto gap: moto omits SecurityGroupRuleArn; build it as the provider does.
    let arn_value = rule
        .security_group_rule_arn()
        .map(str::to_string)
        .unwrap_or_else(|| {
            arn(
                region,
                rule.group_owner_id(),
                &format!("security-group-rule/{id}"),
            )
        });
    a.insert("arn".into(), arn_value.into());
    a.insert("security_group_id".into(), rule.group_id().into());
    a.insert("ip_protocol".into(), rule.ip_protocol().into());
    a.insert("from_port".into(), rule.from_port().into());
    a.insert("to_port".into(), rule.to_port().into());
    a.insert("cidr_ipv4".into(), rule.cidr_ipv4().into());
    a.insert("cidr_ipv6".into(), rule.cidr_ipv6().into());
    a.insert("prefix_list_id".into(), rule.prefix_list_id().into());
    a.insert(
        "referenced_security_group_id".into(),
        rule.referenced_group_info()
            .and_then(|r| r.group_id())
            .into(),
    );
    a.insert("description".into(), rule.description().into());
    a.insert("tags".into(), tag_map(rule.tags()));
    a
}

/// The `aws_security_group_rule` view of one EC2 rule. One terraform `aws_security_group_rule`
/// may stand for several EC2 rules; each EC2 rule is one view here, with one-element source
/// lists. The provider reads this resource back from `DescribeSecurityGroups`, where protocol
/// `-1` has no ports, and records 0 for them; so does this view.
pub fn legacy_rule_attributes(rule: &SecurityGroupRule) -> Attributes {
    let group_id = rule.group_id();
    let protocol = protocol_name(rule.ip_protocol().unwrap_or("-1"));
    let (from_port, to_port) = if protocol == "-1" {
        (Some(0), Some(0))
    } else {
        (rule.from_port(), rule.to_port())
    };
    let one = |v: Option<&str>| Value::List(v.map(Value::from).into_iter().collect());
    let referenced = rule.referenced_group_info().and_then(|r| r.group_id());
    let is_self = referenced.is_some() && referenced == group_id;
    let mut a = Attributes::new();
    a.insert("security_group_id".into(), group_id.into());
    a.insert(
        "type".into(),
        if rule.is_egress() == Some(true) {
            "egress"
        } else {
            "ingress"
        }
        .into(),
    );
    a.insert("protocol".into(), protocol.into());
    a.insert("from_port".into(), from_port.into());
    a.insert("to_port".into(), to_port.into());
    a.insert("cidr_blocks".into(), one(rule.cidr_ipv4()));
    a.insert("ipv6_cidr_blocks".into(), one(rule.cidr_ipv6()));
    a.insert("prefix_list_ids".into(), one(rule.prefix_list_id()));
    a.insert(
        "source_security_group_id".into(),
        if is_self { None } else { referenced }.into(),
    );
    a.insert("self".into(), is_self.into());
    a.insert("description".into(), rule.description().into());
    a
}

/// The provider's protocol normalization (`protocolForValue`): lower case, `all` is `-1`, and the
/// common protocol numbers become their names.
pub fn protocol_name(protocol: &str) -> String {
    let p = protocol.to_ascii_lowercase();
    match p.as_str() {
        "all" | "-1" => "-1".into(),
        "1" => "icmp".into(),
        "2" => "igmp".into(),
        "6" => "tcp".into(),
        "17" => "udp".into(),
        "47" => "gre".into(),
        "50" => "esp".into(),
        "51" => "ah".into(),
        "58" => "icmpv6".into(),
        _ => p,
    }
}

const SAMPLE_REGION: &str = "us-east-1";
const SAMPLE_OWNER: &str = "111122223333";

fn sample_tags() -> Vec<aws_sdk_ec2::types::Tag> {
    vec![
        aws_sdk_ec2::types::Tag::builder()
            .key("Name")
            .value("app")
            .build(),
    ]
}

fn samples() -> Vec<Sample> {
    let wanted: BTreeSet<String> = UNIT.types.iter().map(|t| t.to_string()).collect();
    let mut found = Found::default();
    let default_groups: BTreeSet<&str> = ["sg-1"].into();
    emit_groups(
        &[sample_group()],
        &default_groups,
        &[GROUP, DEFAULT_GROUP],
        SAMPLE_REGION,
        &wanted,
        &mut found,
    );
    let (rules, legacy_ids) = sample_rules();
    emit_rules(
        &rules,
        &default_groups,
        &[LEGACY_RULE, INGRESS_RULE, EGRESS_RULE],
        SAMPLE_REGION,
        &wanted,
        &mut found,
    );
    assert!(found.gaps.is_empty(), "samples left gaps: {:?}", found.gaps);
    found
        .resources
        .into_iter()
        .map(|resource| {
            // Every type but the legacy rule is imported by its cloud id (`sg-...`, `sgr-...`).
            let import_id = match resource.resource_type.as_str() {
                LEGACY_RULE => legacy_ids[&resource.cloud_id].to_string(),
                _ => resource.cloud_id.clone(),
            };
            Sample {
                resource,
                import_id,
            }
        })
        .collect()
}

/// A VPC's default group with one ingress and one egress permission.
fn sample_group() -> SecurityGroup {
    use aws_sdk_ec2::types::IpRange;
    SecurityGroup::builder()
        .group_id("sg-1")
        .group_name("default")
        .description("default VPC security group")
        .vpc_id("vpc-1")
        .owner_id(SAMPLE_OWNER)
        .set_tags(Some(sample_tags()))
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("10.0.0.0/16")
                        .description("ssh")
                        .build(),
                )
                .build(),
        )
        .ip_permissions_egress(
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .build()
}

/// One rule per kind of source, in each direction, each with the import id the provider
/// documents for an `aws_security_group_rule`:
/// `SECURITYGROUPID_TYPE_PROTOCOL_FROMPORT_TOPORT_SOURCE` (by rule id).
fn sample_rules() -> (Vec<SecurityGroupRule>, BTreeMap<String, &'static str>) {
    use aws_sdk_ec2::types::ReferencedSecurityGroup;
    let mut rules = Vec::new();
    let mut legacy_ids: BTreeMap<String, &str> = BTreeMap::new();
    for (dir, egress) in [("in", false), ("out", true)] {
        let id = |kind: &str| format!("sgr-{dir}-{kind}");
        let group = |g: &str| ReferencedSecurityGroup::builder().group_id(g).build();
        let rule = |id: &str| {
            SecurityGroupRule::builder()
                .security_group_rule_id(id)
                .security_group_rule_arn(format!(
                    "arn:aws:ec2:{SAMPLE_REGION}:{SAMPLE_OWNER}:security-group-rule/{id}"
                ))
                .group_id("sg-1")
                .group_owner_id(SAMPLE_OWNER)
                .is_egress(egress)
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .description("https")
                .set_tags(Some(sample_tags()))
        };
        rules.extend([
            rule(&id("cidr")).cidr_ipv4("10.0.0.0/16").build(),
            rule(&id("ipv6")).cidr_ipv6("2001:db8::/32").build(),
            rule(&id("pl")).prefix_list_id("pl-1").build(),
            rule(&id("group"))
                .referenced_group_info(group("sg-2"))
                .build(),
            rule(&id("self"))
                .referenced_group_info(group("sg-1"))
                .build(),
        ]);
        let documented: [(&str, &str); 5] = if egress {
            [
                ("cidr", "sg-1_egress_tcp_443_443_10.0.0.0/16"),
                ("ipv6", "sg-1_egress_tcp_443_443_2001:db8::/32"),
                ("pl", "sg-1_egress_tcp_443_443_pl-1"),
                ("group", "sg-1_egress_tcp_443_443_sg-2"),
                ("self", "sg-1_egress_tcp_443_443_self"),
            ]
        } else {
            [
                ("cidr", "sg-1_ingress_tcp_443_443_10.0.0.0/16"),
                ("ipv6", "sg-1_ingress_tcp_443_443_2001:db8::/32"),
                ("pl", "sg-1_ingress_tcp_443_443_pl-1"),
                ("group", "sg-1_ingress_tcp_443_443_sg-2"),
                ("self", "sg-1_ingress_tcp_443_443_self"),
            ]
        };
        for (kind, import_id) in documented {
            legacy_ids.insert(id(kind), import_id);
        }
    }
    (rules, legacy_ids)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{
        IpRange, Ipv6Range, PrefixListId, ReferencedSecurityGroup, UserIdGroupPair,
    };

    fn block(entries: &[(&str, Value)]) -> Value {
        let mut b = BTreeMap::new();
        for (k, v) in [
            ("cidr_blocks", Value::List(vec![])),
            ("description", Value::from("")),
            ("ipv6_cidr_blocks", Value::List(vec![])),
            ("prefix_list_ids", Value::List(vec![])),
            ("security_groups", Value::List(vec![])),
            ("self", Value::from(false)),
        ] {
            b.insert(k.to_string(), v);
        }
        for (k, v) in entries {
            b.insert(k.to_string(), v.clone());
        }
        Value::Map(b)
    }

    #[test]
    fn ip_permissions_flatten_one_block_per_source() {
        let perms = vec![
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .description("world")
                        .build(),
                )
                .ipv6_ranges(Ipv6Range::builder().cidr_ipv6("::/0").build())
                .build(),
            IpPermission::builder()
                .ip_protocol("6")
                .from_port(22)
                .to_port(22)
                .user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id("sg-self")
                        .user_id("111")
                        .build(),
                )
                .user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id("sg-other")
                        .user_id("222")
                        .build(),
                )
                .prefix_list_ids(PrefixListId::builder().prefix_list_id("pl-1").build())
                .build(),
        ];
        let got = flatten_ip_permissions(&perms, "sg-self", Some("111")).unwrap();
        let tcp = |from: i32, extra: &[(&str, Value)]| {
            let mut entries = vec![
                ("protocol", Value::from("tcp")),
                ("from_port", Value::from(from)),
                ("to_port", Value::from(from)),
            ];
            entries.extend(extra.iter().cloned());
            block(&entries)
        };
        let mut want = vec![
            tcp(443, &[("cidr_blocks", vec!["10.0.0.0/8"].into())]),
            tcp(
                443,
                &[
                    ("cidr_blocks", vec!["0.0.0.0/0"].into()),
                    ("description", "world".into()),
                ],
            ),
            tcp(443, &[("ipv6_cidr_blocks", vec!["::/0"].into())]),
            tcp(22, &[("self", true.into())]),
            tcp(22, &[("security_groups", vec!["222/sg-other"].into())]),
            tcp(22, &[("prefix_list_ids", vec!["pl-1"].into())]),
        ];
        want.sort();
        assert_eq!(got, Value::List(want));
    }

    #[test]
    fn a_permission_with_no_source_is_an_error_never_dropped() {
        let mut perms = vec![
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
                .build(),
        ];
        assert!(flatten_ip_permissions(&perms, "sg-1", None).is_ok());
        perms.push(IpPermission::builder().ip_protocol("-1").build());
        assert_eq!(flatten_ip_permissions(&perms, "sg-1", None), Err(NO_SOURCE));
        let group = SecurityGroup::builder()
            .group_id("sg-1")
            .ip_permissions_egress(perms[1].clone())
            .build();
        assert!(security_group_attributes(&group, "us-east-1").is_err());

        let sourceless = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .group_id("sg-1")
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .build();
        assert!(!has_source(&sourceless));
    }

    fn rule(
        egress: bool,
        protocol: &str,
    ) -> aws_sdk_ec2::types::builders::SecurityGroupRuleBuilder {
        SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .group_id("sg-default")
            .is_egress(egress)
            .ip_protocol(protocol)
            .from_port(-1)
            .to_port(-1)
    }

    #[test]
    fn only_aws_own_rules_of_a_default_group_are_aws_owned() {
        let own = ReferencedSecurityGroup::builder()
            .group_id("sg-default")
            .build();
        // AWS's defaults: all traffic from the group itself, all traffic out (IPv4, IPv6).
        assert!(is_aws_default_rule(
            &rule(false, "-1").referenced_group_info(own.clone()).build()
        ));
        assert!(is_aws_default_rule(
            &rule(true, "-1").cidr_ipv4("0.0.0.0/0").build()
        ));
        assert!(is_aws_default_rule(
            &rule(true, "-1").cidr_ipv6("::/0").build()
        ));
        // Anything else is the account's: SSH from the world, all traffic from the world,
        // all traffic from another group, egress narrowed, ingress from the group on one port.
        assert!(!is_aws_default_rule(
            &rule(false, "tcp")
                .from_port(22)
                .to_port(22)
                .cidr_ipv4("0.0.0.0/0")
                .build()
        ));
        assert!(!is_aws_default_rule(
            &rule(false, "-1").cidr_ipv4("0.0.0.0/0").build()
        ));
        assert!(!is_aws_default_rule(
            &rule(false, "-1")
                .referenced_group_info(ReferencedSecurityGroup::builder().group_id("sg-x").build())
                .build()
        ));
        assert!(!is_aws_default_rule(
            &rule(true, "-1").cidr_ipv4("10.0.0.0/8").build()
        ));
        assert!(!is_aws_default_rule(
            &rule(false, "tcp")
                .from_port(443)
                .to_port(443)
                .referenced_group_info(own)
                .build()
        ));
    }

    #[test]
    fn all_protocol_ports_default_to_zero() {
        let perms = vec![
            IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        ];
        let got = flatten_ip_permissions(&perms, "sg-1", None).unwrap();
        let want = block(&[
            ("protocol", "-1".into()),
            ("from_port", 0.into()),
            ("to_port", 0.into()),
            ("cidr_blocks", vec!["0.0.0.0/0"].into()),
        ]);
        assert_eq!(got, Value::List(vec![want]));
    }

    #[test]
    fn protocols_normalize_like_the_provider() {
        assert_eq!(protocol_name("TCP"), "tcp");
        assert_eq!(protocol_name("6"), "tcp");
        assert_eq!(protocol_name("all"), "-1");
        assert_eq!(protocol_name("-1"), "-1");
        assert_eq!(protocol_name("58"), "icmpv6");
        assert_eq!(protocol_name("132"), "132");
    }

    #[test]
    fn rule_views() {
        let rule = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-1")
            .group_id("sg-1")
            .group_owner_id("111")
            .is_egress(false)
            .ip_protocol("tcp")
            .from_port(80)
            .to_port(81)
            .referenced_group_info(ReferencedSecurityGroup::builder().group_id("sg-1").build())
            .build();
        let legacy = legacy_rule_attributes(&rule);
        assert_eq!(legacy["self"], Value::from(true));
        assert_eq!(legacy["source_security_group_id"], Value::Null);
        assert_eq!(legacy["cidr_blocks"], Value::List(vec![]));
        assert_eq!(legacy["type"], Value::from("ingress"));
        assert_eq!(legacy["from_port"], Value::from(80));
        let primary = vpc_rule_attributes(&rule, "us-east-1");
        assert_eq!(primary["referenced_security_group_id"], Value::from("sg-1"));
        assert_eq!(
            primary["arn"],
            Value::from("arn:aws:ec2:us-east-1:111:security-group-rule/sgr-1")
        );

        let all = SecurityGroupRule::builder()
            .security_group_rule_id("sgr-2")
            .group_id("sg-1")
            .is_egress(true)
            .ip_protocol("-1")
            .from_port(-1)
            .to_port(-1)
            .cidr_ipv4("0.0.0.0/0")
            .build();
        let legacy = legacy_rule_attributes(&all);
        assert_eq!(legacy["from_port"], Value::from(0));
        assert_eq!(legacy["cidr_blocks"], Value::from(vec!["0.0.0.0/0"]));
        assert_eq!(legacy["type"], Value::from("egress"));
        assert_eq!(legacy["self"], Value::from(false));
        let primary = vpc_rule_attributes(&all, "us-east-1");
        assert_eq!(primary["from_port"], Value::from(-1));
        assert_eq!(primary["cidr_ipv6"], Value::Null);
    }
}
