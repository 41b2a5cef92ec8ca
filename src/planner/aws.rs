//! The inverse of the AWS provider's mapping: for each named [`Revert`] and [`Recreate`] of the
//! specs (`providers/aws/**.hcl` names them per attribute and per type), the SDK operations
//! that put the recorded value back. Pure: it reads the finding's canonical changes and the
//! recorded attributes, never the cloud.
//!
//! Values to restore come from the *recorded* attributes as the state holds them (an IAM
//! document as written, not its canonical form); a sensitive one becomes an
//! [`Arg::FromState`] reference, never a value.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::plan::{
    Arg, Call, IamEntity, RevertInput, SgRule, SgSource, StateRef, UnitRevert, VersionSelector,
};
use crate::model::{Change, Drift, Path, RecordedResource, Secret, Segment, Value};
use crate::normalize::sg::{canonical_port, canonical_protocol};
use crate::spec::{Recreate, Revert};

/// The calls that revert a group of changes, and whether they interrupt a running workload.
#[derive(Debug, Clone, PartialEq)]
pub struct Reverted {
    pub calls: Vec<Call>,
    pub disruptive: bool,
}

/// Why a change cannot be reverted through the SDK (the action becomes `manual`).
pub type Unsupported = String;

/// What a reverter works from.
pub struct Context<'a> {
    pub drift: &'a Drift,
    pub recorded: &'a RecordedResource,
    /// The reverts resource units provide (`Revert::Unit`), as the caller was given them.
    pub units: &'a [&'a UnitRevert],
}

impl Context<'_> {
    fn at(&self, path: Path) -> StateRef {
        StateRef {
            state: self.recorded.state.clone(),
            address: self.recorded.address.clone(),
            path,
        }
    }

    fn raw(&self, attribute: &str) -> &Value {
        self.recorded
            .attributes
            .get(attribute)
            .unwrap_or(&Value::Null)
    }

    /// A recorded attribute as a call argument (a reference when it is sensitive).
    fn recorded_arg(&self, attribute: &str) -> Arg {
        Arg::recorded(self.raw(attribute), self.at(Path::root(attribute)))
    }

    fn recorded_text(&self, attribute: &str) -> Result<String, Unsupported> {
        match self.raw(attribute) {
            Value::String(s) => Ok(s.clone()),
            Value::Sensitive(_) => Err(format!("`{attribute}` is sensitive in the state")),
            other => other
                .scalar_text()
                .ok_or_else(|| format!("`{attribute}` is not recorded as text")),
        }
    }

    fn id(&self) -> &str {
        &self.drift.id
    }

    fn iam_entity(&self) -> Result<IamEntity, Unsupported> {
        match self.drift.resource_type.as_str() {
            "aws_iam_role" | "aws_iam_role_policy" | "aws_iam_role_policy_attachment" => {
                Ok(IamEntity::Role)
            }
            "aws_iam_user" | "aws_iam_user_policy" | "aws_iam_user_policy_attachment" => {
                Ok(IamEntity::User)
            }
            "aws_iam_policy" => Ok(IamEntity::Policy),
            other => Err(format!("no IAM entity for `{other}`")),
        }
    }

    /// The principal an inline policy or attachment belongs to (`role` or `user`).
    fn principal(&self) -> Result<(IamEntity, String), Unsupported> {
        let entity = self.iam_entity()?;
        let attr = match entity {
            IamEntity::Role => "role",
            IamEntity::User => "user",
            IamEntity::Policy => return Err("a policy has no principal".into()),
        };
        Ok((entity, self.recorded_text(attr)?))
    }
}

/// A scalar with its sensitivity marker removed (the recorded side holds clear values).
fn clear(v: &Value) -> &Value {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => inner,
        other => other,
    }
}

fn as_bool(v: &Value, what: &str) -> Result<bool, Unsupported> {
    clear(v)
        .as_bool()
        .ok_or_else(|| format!("`{what}` is not recorded as a bool"))
}

/// The calls that put `changes` (all named by attributes whose spec says `revert`) back.
pub fn revert(
    revert: Revert,
    ctx: &Context<'_>,
    changes: &[&Change],
) -> Result<Reverted, Unsupported> {
    let calls = |calls| {
        Ok(Reverted {
            calls,
            disruptive: false,
        })
    };
    match revert {
        Revert::Tags => calls(tags(ctx, changes)?),
        Revert::SgRules => calls(sg_rules(ctx, changes)?),
        Revert::SgRuleSources => calls(sg_rule_sources(ctx, changes)?),
        Revert::VpcSgRule => calls(vpc_sg_rule(ctx)?),
        Revert::VpcAttribute => calls(vpc_attributes(ctx, changes)?),
        Revert::SubnetAttribute => calls(subnet_attributes(ctx, changes)?),
        Revert::InstanceAttribute => calls(instance_attributes(ctx, changes)?),
        Revert::InstanceMonitoring => calls(instance_monitoring(ctx, changes)?),
        Revert::InstanceAttributeStopped => Ok(Reverted {
            calls: instance_attributes_stopped(ctx, changes)?,
            disruptive: true,
        }),
        Revert::AssumeRolePolicy => calls(vec![Call::IamUpdateAssumeRolePolicy {
            role_name: ctx.id().to_string(),
            document: ctx.recorded_arg("assume_role_policy"),
        }]),
        Revert::UpdateRole => calls(vec![update_role(ctx, changes)?]),
        Revert::PermissionsBoundary => calls(vec![permissions_boundary(ctx)?]),
        Revert::InlinePolicyDocument => {
            let (entity, name) = ctx.principal()?;
            calls(vec![Call::IamPutInlinePolicy {
                entity,
                name,
                policy_name: ctx.recorded_text("name")?,
                document: ctx.recorded_arg("policy"),
            }])
        }
        Revert::InlinePolicies => calls(inline_policies(ctx, changes)?),
        Revert::ManagedPolicyArns => calls(managed_policy_arns(ctx, changes)?),
        Revert::PolicyVersion => calls(policy_version(ctx)),
        Revert::UpdateUser => calls(vec![Call::IamUpdateUser {
            user_name: ctx.id().to_string(),
            new_path: match ctx.recorded_text("path") {
                Ok(p) if !p.is_empty() => p,
                _ => "/".to_string(),
            },
        }]),
        Revert::Unit(name) => unit_revert(name, ctx, changes),
    }
}

/// A VPC's DNS flags, each set back with `ModifyVpcAttribute`.
fn vpc_attributes(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    flags(changes, |attr, value| {
        let attribute = match attr {
            "enable_dns_support" => "enableDnsSupport",
            "enable_dns_hostnames" => "enableDnsHostnames",
            _ => return None,
        };
        Some(Call::Ec2ModifyVpcAttribute {
            vpc_id: ctx.id().to_string(),
            attribute: attribute.into(),
            value,
        })
    })
}

/// A subnet's address flags, each set back with `ModifySubnetAttribute`.
fn subnet_attributes(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    flags(changes, |attr, value| {
        let attribute = match attr {
            "map_public_ip_on_launch" => "mapPublicIpOnLaunch",
            "assign_ipv6_address_on_creation" => "assignIpv6AddressOnCreation",
            _ => return None,
        };
        Some(Call::Ec2ModifySubnetAttribute {
            subnet_id: ctx.id().to_string(),
            attribute: attribute.into(),
            value,
        })
    })
}

/// An instance's detailed monitoring, turned back on or off.
fn instance_monitoring(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    flags(changes, |_, on| {
        let instance_id = ctx.id().to_string();
        Some(if on {
            Call::Ec2MonitorInstances { instance_id }
        } else {
            Call::Ec2UnmonitorInstances { instance_id }
        })
    })
}

/// Attributes an instance takes only while stopped: stop it, set them back, start it.
fn instance_attributes_stopped(
    ctx: &Context<'_>,
    changes: &[&Change],
) -> Result<Vec<Call>, Unsupported> {
    let instance_id = ctx.id().to_string();
    let mut out = vec![Call::Ec2StopInstances {
        instance_id: instance_id.clone(),
    }];
    out.extend(instance_attributes(ctx, changes)?);
    out.push(Call::Ec2StartInstances { instance_id });
    Ok(out)
}

/// A role's description and maximum session duration, the ones that changed, as recorded
/// (an absent description is the empty one, an absent duration IAM's default of an hour).
fn update_role(ctx: &Context<'_>, changes: &[&Change]) -> Result<Call, Unsupported> {
    let touched: BTreeSet<&str> = changes.iter().filter_map(|c| c.path.attribute()).collect();
    let description = touched
        .contains("description")
        .then(|| match ctx.raw("description") {
            Value::Null => Arg::text(""),
            _ => ctx.recorded_arg("description"),
        });
    let max_session_duration = if touched.contains("max_session_duration") {
        let v = clear(ctx.raw("max_session_duration"));
        Some(match v.as_f64() {
            Some(n) => n as i64,
            None if v.is_null() => 3600,
            None => return Err("`max_session_duration` is not a number".into()),
        })
    } else {
        None
    };
    Ok(Call::IamUpdateRole {
        role_name: ctx.id().to_string(),
        description,
        max_session_duration,
    })
}

/// A user's or role's permissions boundary: put back as recorded, or deleted when none was.
fn permissions_boundary(ctx: &Context<'_>) -> Result<Call, Unsupported> {
    let entity = ctx.iam_entity()?;
    let name = ctx.id().to_string();
    let arn = clear(ctx.raw("permissions_boundary"));
    Ok(match arn.as_str() {
        Some(a) if !a.is_empty() => Call::IamPutPermissionsBoundary {
            entity,
            name,
            policy_arn: a.to_string(),
        },
        _ => Call::IamDeletePermissionsBoundary { entity, name },
    })
}

/// A managed policy's document: a new default version with the recorded one, after making
/// room under IAM's version limit.
fn policy_version(ctx: &Context<'_>) -> Vec<Call> {
    vec![
        Call::IamDeletePolicyVersion {
            policy_arn: ctx.id().to_string(),
            version: VersionSelector::OldestNonDefaultAtLimit,
        },
        Call::IamCreatePolicyVersion {
            policy_arn: ctx.id().to_string(),
            document: ctx.recorded_arg("policy"),
            set_as_default: true,
        },
    ]
}

/// A unit's revert: the unit that serves the type and provides the name plans the calls.
fn unit_revert(
    name: &str,
    ctx: &Context<'_>,
    changes: &[&Change],
) -> Result<Reverted, Unsupported> {
    let ty = ctx.drift.resource_type.as_str();
    let unit = ctx
        .units
        .iter()
        .find(|u| u.name == name && u.types.contains(&ty))
        .ok_or_else(|| format!("no unit provides the revert `{name}` for `{ty}`"))?;
    let input = RevertInput {
        drift: ctx.drift,
        recorded: ctx.recorded,
        changes,
    };
    let calls = (unit.plan)(&input)?;
    Ok(Reverted {
        calls: calls.into_iter().map(Call::Unit).collect(),
        disruptive: unit.disruptive,
    })
}

/// The calls that re-create a missing resource.
pub fn recreate(recreate: Recreate, ctx: &Context<'_>) -> Result<Vec<Call>, Unsupported> {
    match recreate {
        Recreate::SgRuleSources => {
            let (group_id, ingress) = sg_rule_frame(ctx)?;
            let attrs = &ctx.recorded.attributes;
            let mut sources = Vec::new();
            for list in ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids"] {
                for item in attrs.get(list).and_then(Value::as_list).unwrap_or(&[]) {
                    sources.push(source_of(list, item, &group_id)?);
                }
            }
            if let Some(g) = attrs
                .get("source_security_group_id")
                .and_then(Value::as_str)
                .filter(|g| !g.is_empty())
            {
                sources.push(SgSource::Group(g.to_string()));
            }
            if attrs.get("self").and_then(Value::as_bool) == Some(true) {
                sources.push(SgSource::Group(group_id.clone()));
            }
            if sources.is_empty() {
                return Err("the rule records no source".into());
            }
            sources.sort();
            sources.dedup();
            sources
                .into_iter()
                .map(|source| {
                    let rule = sg_rule_from_recorded(ctx, source)?;
                    Ok(authorize(ingress, &group_id, rule))
                })
                .collect()
        }
        Recreate::AttachPolicy => {
            let (entity, name) = ctx.principal()?;
            Ok(vec![Call::IamAttachPolicy {
                entity,
                name,
                policy_arn: ctx.recorded_text("policy_arn")?,
            }])
        }
        Recreate::InlinePolicy => {
            let (entity, name) = ctx.principal()?;
            Ok(vec![Call::IamPutInlinePolicy {
                entity,
                name,
                policy_name: ctx.recorded_text("name")?,
                document: ctx.recorded_arg("policy"),
            }])
        }
    }
}

/// One call per changed bool attribute, with the recorded value.
fn flags(
    changes: &[&Change],
    call: impl Fn(&str, bool) -> Option<Call>,
) -> Result<Vec<Call>, Unsupported> {
    changes
        .iter()
        .map(|c| {
            let attr = c.path.attribute().unwrap_or_default();
            let value = as_bool(&c.before, attr)?;
            call(attr, value).ok_or_else(|| format!("no SDK operation sets `{attr}`"))
        })
        .collect()
}

fn instance_attributes(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    let instance_id = ctx.id().to_string();
    let mut out = Vec::new();
    let touched: BTreeSet<&str> = changes.iter().filter_map(|c| c.path.attribute()).collect();
    for attr in touched {
        let (attribute, value) = match attr {
            "source_dest_check" => (
                "sourceDestCheck",
                Arg::Value(Value::Bool(as_bool(ctx.raw(attr), attr).unwrap_or(true))),
            ),
            "ebs_optimized" => (
                "ebsOptimized",
                Arg::Value(Value::Bool(as_bool(ctx.raw(attr), attr).unwrap_or(false))),
            ),
            "instance_type" => ("instanceType", ctx.recorded_arg(attr)),
            "vpc_security_group_ids" => {
                let mut groups: Vec<Value> = clear(ctx.raw(attr)).as_list().unwrap_or(&[]).to_vec();
                groups.sort();
                groups.dedup();
                ("groupSet", Arg::Value(Value::List(groups)))
            }
            other => return Err(format!("no SDK operation sets `{other}` in place")),
        };
        out.push(Call::Ec2ModifyInstanceAttribute {
            instance_id: instance_id.clone(),
            attribute: attribute.into(),
            value,
        });
    }
    Ok(out)
}

/// Tag changes per key: `tags.KEY` paths, or a whole map when the diff could not descend.
fn tags(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    let mut per_key: BTreeMap<String, Value> = BTreeMap::new();
    for c in changes {
        match c.path.0.as_slice() {
            [Segment::Key(_), Segment::Key(k)] => {
                per_key.insert(k.clone(), c.before.clone());
            }
            [Segment::Key(_)] => {
                let (Some(before), Some(after)) = (clear(&c.before).as_map(), c.after.as_map())
                else {
                    return Err("the tag map is sensitive or not a map".into());
                };
                for k in before.keys().chain(after.keys()) {
                    if before.get(k) != after.get(k) {
                        per_key.insert(k.clone(), before.get(k).cloned().unwrap_or(Value::Null));
                    }
                }
            }
            _ => return Err(format!("unexpected tag path `{}`", c.path)),
        }
    }
    // The canonical tag map prefers `tags_all` on the recorded side: a value comes from there.
    let source = if ctx.raw("tags_all").as_map().is_some() {
        "tags_all"
    } else {
        "tags"
    };
    let mut set = BTreeMap::new();
    let mut remove = Vec::new();
    for (k, recorded) in per_key {
        if clear(&recorded).is_null() {
            remove.push(k);
        } else {
            let at = ctx.at(Path::root(source).key(k.clone()));
            set.insert(k, Arg::recorded(&recorded, at));
        }
    }
    let id = ctx.id().to_string();
    let mut out = Vec::new();
    let service_iam = ctx.drift.resource_type.starts_with("aws_iam_");
    if !remove.is_empty() {
        out.push(if service_iam {
            Call::IamUntag {
                entity: ctx.iam_entity()?,
                name: id.clone(),
                keys: remove,
            }
        } else {
            Call::Ec2DeleteTags {
                resource_id: id.clone(),
                keys: remove,
            }
        });
    }
    if !set.is_empty() {
        out.push(if service_iam {
            Call::IamTag {
                entity: ctx.iam_entity()?,
                name: id,
                tags: set,
            }
        } else {
            Call::Ec2CreateTags {
                resource_id: id,
                tags: set,
            }
        });
    }
    Ok(out)
}

fn authorize(ingress: bool, group_id: &str, rule: SgRule) -> Call {
    let group_id = group_id.to_string();
    if ingress {
        Call::Ec2AuthorizeSecurityGroupIngress { group_id, rule }
    } else {
        Call::Ec2AuthorizeSecurityGroupEgress { group_id, rule }
    }
}

fn revoke(ingress: bool, group_id: &str, rule: SgRule) -> Call {
    let group_id = group_id.to_string();
    if ingress {
        Call::Ec2RevokeSecurityGroupIngress { group_id, rule }
    } else {
        Call::Ec2RevokeSecurityGroupEgress { group_id, rule }
    }
}

fn port(v: Option<&Value>, protocol: &str) -> Result<Option<i64>, Unsupported> {
    if protocol == "-1" {
        return Ok(None);
    }
    match v.and_then(Value::as_f64) {
        Some(n) => Ok(Some(n as i64)),
        None => Err("a rule's port is not a number".into()),
    }
}

/// One canonical single-source block of `normalize::sg` as an EC2 permission.
fn sg_rule_of_block(block: &Value, own_group: &str) -> Result<SgRule, Unsupported> {
    let b = block
        .as_map()
        .ok_or_else(|| "a rule is not a block (sensitive?)".to_string())?;
    let protocol = b
        .get("protocol")
        .and_then(Value::scalar_text)
        .ok_or("a rule has no protocol")?;
    let source = if b.get("self").and_then(Value::as_bool) == Some(true) {
        SgSource::Group(own_group.to_string())
    } else {
        let mut found = None;
        for list in [
            "cidr_blocks",
            "ipv6_cidr_blocks",
            "prefix_list_ids",
            "security_groups",
        ] {
            if let Some(item) = b.get(list).and_then(Value::as_list).and_then(|l| l.first()) {
                found = Some(source_of(list, item, own_group)?);
            }
        }
        found.ok_or("a rule has no source")?
    };
    Ok(SgRule {
        from_port: port(b.get("from_port"), &protocol)?,
        to_port: port(b.get("to_port"), &protocol)?,
        protocol,
        source,
        description: b
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

fn source_of(list: &str, item: &Value, own_group: &str) -> Result<SgSource, Unsupported> {
    let text = item
        .as_str()
        .ok_or_else(|| format!("an entry of `{list}` is not text"))?
        .to_string();
    Ok(match list {
        "cidr_blocks" => SgSource::CidrIpv4(text),
        "ipv6_cidr_blocks" => SgSource::CidrIpv6(text),
        "prefix_list_ids" => SgSource::PrefixList(text),
        "security_groups" if text.is_empty() => SgSource::Group(own_group.to_string()),
        _ => SgSource::Group(text),
    })
}

/// A group's inline rules: revoke what the cloud has and the state does not, then authorize
/// what the state has and the cloud does not (both sides are canonical single-source rules).
fn sg_rules(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    let group_id = ctx.id();
    let mut revokes = Vec::new();
    let mut authorizes = Vec::new();
    for c in changes {
        let ingress = match c.path.attribute() {
            Some("ingress") => true,
            Some("egress") => false,
            _ => return Err(format!("unexpected rule path `{}`", c.path)),
        };
        let (Some(recorded), Some(observed)) = (c.before.as_list(), c.after.as_list()) else {
            return Err("the rules are sensitive or not a list".into());
        };
        for extra in observed.iter().filter(|r| !recorded.contains(r)) {
            revokes.push(revoke(
                ingress,
                group_id,
                sg_rule_of_block(extra, group_id)?,
            ));
        }
        for gone in recorded.iter().filter(|r| !observed.contains(r)) {
            authorizes.push(authorize(
                ingress,
                group_id,
                sg_rule_of_block(gone, group_id)?,
            ));
        }
    }
    revokes.extend(authorizes);
    Ok(revokes)
}

/// An `aws_security_group_rule`'s group and direction.
fn sg_rule_frame(ctx: &Context<'_>) -> Result<(String, bool), Unsupported> {
    let group_id = ctx.recorded_text("security_group_id")?;
    let ingress = match ctx.recorded_text("type")?.as_str() {
        "ingress" => true,
        "egress" => false,
        other => return Err(format!("unknown rule type `{other}`")),
    };
    Ok((group_id, ingress))
}

/// An `aws_security_group_rule`'s permission for one source, from its recorded attributes.
fn sg_rule_from_recorded(ctx: &Context<'_>, source: SgSource) -> Result<SgRule, Unsupported> {
    let attrs = &ctx.recorded.attributes;
    let protocol_value = canonical_protocol(attrs.get("protocol").unwrap_or(&Value::Null));
    let protocol = protocol_value
        .scalar_text()
        .ok_or("the rule has no protocol")?;
    let p = |name: &str| {
        let v = canonical_port(
            attrs.get(name).unwrap_or(&Value::Null),
            Some(&protocol_value),
        );
        port(Some(&v), &protocol)
    };
    Ok(SgRule {
        from_port: p("from_port")?,
        to_port: p("to_port")?,
        protocol: protocol.clone(),
        source,
        description: attrs
            .get("description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    })
}

/// An `aws_security_group_rule`'s source lists: authorize what the state has and the cloud
/// lacks, revoke what the cloud has beyond the state.
fn sg_rule_sources(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    let (group_id, ingress) = sg_rule_frame(ctx)?;
    let mut revokes = Vec::new();
    let mut authorizes = Vec::new();
    for c in changes {
        let list = c.path.attribute().unwrap_or_default();
        let empty = Vec::new();
        let recorded = c.before.as_list().unwrap_or(&empty);
        let observed = c.after.as_list().unwrap_or(&empty);
        if c.before.is_sensitive() || c.after.is_sensitive() {
            return Err(format!("`{list}` is sensitive"));
        }
        for extra in observed.iter().filter(|x| !recorded.contains(x)) {
            let rule = sg_rule_from_recorded(ctx, source_of(list, extra, &group_id)?)?;
            revokes.push(revoke(ingress, &group_id, rule));
        }
        for gone in recorded.iter().filter(|x| !observed.contains(x)) {
            let rule = sg_rule_from_recorded(ctx, source_of(list, gone, &group_id)?)?;
            authorizes.push(authorize(ingress, &group_id, rule));
        }
    }
    revokes.extend(authorizes);
    Ok(revokes)
}

/// An `aws_vpc_security_group_*_rule` (one `sgr-`): set it back whole.
fn vpc_sg_rule(ctx: &Context<'_>) -> Result<Vec<Call>, Unsupported> {
    let attrs = &ctx.recorded.attributes;
    let text = |k: &str| {
        attrs
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let protocol = canonical_protocol(attrs.get("ip_protocol").unwrap_or(&Value::Null))
        .scalar_text()
        .ok_or("the rule has no protocol")?;
    let source = if let Some(c) = text("cidr_ipv4") {
        SgSource::CidrIpv4(c)
    } else if let Some(c) = text("cidr_ipv6") {
        SgSource::CidrIpv6(c)
    } else if let Some(p) = text("prefix_list_id") {
        SgSource::PrefixList(p)
    } else if let Some(g) = text("referenced_security_group_id") {
        SgSource::Group(g)
    } else {
        return Err("the rule records no source".into());
    };
    let port = |k: &str| -> Result<Option<i64>, Unsupported> {
        match attrs.get(k) {
            _ if protocol == "-1" => Ok(None),
            Some(v) => Ok(v.as_f64().map(|n| n as i64)),
            None => Ok(None),
        }
    };
    Ok(vec![Call::Ec2ModifySecurityGroupRules {
        group_id: ctx.recorded_text("security_group_id")?,
        rule_id: ctx.id().to_string(),
        rule: SgRule {
            from_port: port("from_port")?,
            to_port: port("to_port")?,
            protocol,
            source,
            description: text("description").unwrap_or_default(),
        },
    }])
}

/// A role's `inline_policy` blocks: delete the names the state does not have, put back every
/// recorded one that is absent or differs (its document as the state records it).
fn inline_policies(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    let entity = ctx.iam_entity()?;
    let name = ctx.id().to_string();
    let by_name = |v: &Value| -> Result<BTreeMap<String, Value>, Unsupported> {
        let list = v
            .as_list()
            .ok_or_else(|| "the inline policies are sensitive or not a list".to_string())?;
        Ok(list
            .iter()
            .filter_map(|b| {
                let n = b.get("name")?.as_str()?.to_string();
                Some((n, b.clone()))
            })
            .collect())
    };
    let mut deletes = Vec::new();
    let mut puts = Vec::new();
    for c in changes {
        let recorded = by_name(&c.before)?;
        let observed = by_name(&c.after)?;
        for extra in observed.keys().filter(|k| !recorded.contains_key(*k)) {
            deletes.push(Call::IamDeleteInlinePolicy {
                entity,
                name: name.clone(),
                policy_name: extra.clone(),
            });
        }
        for (policy_name, block) in &recorded {
            if observed.get(policy_name) == Some(block) {
                continue;
            }
            // The document as the state writes it, not its canonical form.
            let raw = ctx.raw("inline_policy").as_list().unwrap_or(&[]);
            let (index, doc) = raw
                .iter()
                .enumerate()
                .find(|(_, b)| b.get("name").and_then(Value::as_str) == Some(policy_name))
                .and_then(|(i, b)| Some((i, b.get("policy")?)))
                .ok_or_else(|| format!("inline policy `{policy_name}` is not in the state"))?;
            let at = ctx.at(Path::root("inline_policy").index(index).key("policy"));
            puts.push(Call::IamPutInlinePolicy {
                entity,
                name: name.clone(),
                policy_name: policy_name.clone(),
                document: Arg::recorded(doc, at),
            });
        }
    }
    deletes.extend(puts);
    Ok(deletes)
}

/// A role's `managed_policy_arns`: detach the extra ones, attach the recorded ones.
fn managed_policy_arns(ctx: &Context<'_>, changes: &[&Change]) -> Result<Vec<Call>, Unsupported> {
    let entity = ctx.iam_entity()?;
    let name = ctx.id().to_string();
    let mut detaches = Vec::new();
    let mut attaches = Vec::new();
    for c in changes {
        let empty = Vec::new();
        let recorded = c.before.as_list().unwrap_or(&empty);
        let observed = c.after.as_list().unwrap_or(&empty);
        let arn = |v: &Value| {
            v.as_str()
                .map(str::to_string)
                .ok_or_else(|| "a policy ARN is not text".to_string())
        };
        for extra in observed.iter().filter(|x| !recorded.contains(x)) {
            detaches.push(Call::IamDetachPolicy {
                entity,
                name: name.clone(),
                policy_arn: arn(extra)?,
            });
        }
        for gone in recorded.iter().filter(|x| !observed.contains(x)) {
            attaches.push(Call::IamAttachPolicy {
                entity,
                name: name.clone(),
                policy_arn: arn(gone)?,
            });
        }
    }
    detaches.extend(attaches);
    Ok(detaches)
}
