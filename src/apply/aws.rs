//! The inverse of `provider::aws`: one plan [`Call`] becomes one AWS SDK write request (or, for
//! an IAM policy's version limit, the read that decides it). This is the only code in driftgate
//! that changes the cloud, and it runs only the calls of a plan that `apply::verify` accepted.
//!
//! Values come in as [`Arg`]s: a clear value, or a reference into the state that the caller's
//! resolver reads again at apply time (a sensitive value is never in the plan file).

use std::time::Duration;

use aws_config::SdkConfig;
use aws_sdk_ec2::error::ProvideErrorMetadata;
use aws_sdk_ec2::types as ec2;
use aws_sdk_iam::types as iam;

use crate::model::Value;
use crate::model::plan::{Arg, Call, IamEntity, SgRule, SgSource, VersionSelector};

/// What a call failed with: the AWS error code and message (never a request body, which may
/// carry a restored secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallError {
    pub api: String,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.api, self.message)
    }
}

/// Resolves an [`Arg`] to the value to send (reading the state again for a `FromState`).
pub type Resolve<'a> = &'a (dyn Fn(&Arg) -> Result<Value, String> + Sync);

/// SDK clients for one region (EC2) and the account (IAM).
pub struct Clients {
    ec2: aws_sdk_ec2::Client,
    iam: aws_sdk_iam::Client,
}

impl Clients {
    pub fn new(sdk: &SdkConfig, region: Option<&str>) -> Clients {
        // As for the reads: a refused connection is final, an unresolvable name tried once
        // more, not ten times.
        use crate::aws_client::connection::ConnectionFailuresAreFinal;
        let mut ec2 = aws_sdk_ec2::config::Builder::from(sdk)
            .retry_classifier(ConnectionFailuresAreFinal::default());
        if let Some(r) = region {
            ec2 = ec2.region(aws_sdk_ec2::config::Region::new(r.to_string()));
        }
        let mut iam = aws_sdk_iam::config::Builder::from(sdk)
            .retry_classifier(ConnectionFailuresAreFinal::default());
        if sdk.region().is_none() {
            iam = iam.region(aws_sdk_iam::config::Region::new("us-east-1"));
        }
        Clients {
            ec2: aws_sdk_ec2::Client::from_conf(ec2.build()),
            iam: aws_sdk_iam::Client::from_conf(iam.build()),
        }
    }
}

fn aws_error<E: ProvideErrorMetadata + std::error::Error + 'static>(api: &str, e: E) -> CallError {
    CallError {
        api: api.to_string(),
        message: crate::aws_client::connection::write_error(&e),
    }
}

fn text(api: &str, resolve: Resolve<'_>, arg: &Arg) -> Result<String, CallError> {
    let v = resolve(arg).map_err(|m| CallError {
        api: api.to_string(),
        message: m,
    })?;
    let v = match v {
        Value::Sensitive(crate::model::Secret::Clear(inner)) => *inner,
        other => other,
    };
    v.scalar_text().ok_or_else(|| CallError {
        api: api.to_string(),
        message: "the value to restore is not a single text value".into(),
    })
}

fn ip_permission(rule: &SgRule) -> ec2::IpPermission {
    let mut p = ec2::IpPermission::builder().ip_protocol(&rule.protocol);
    if let Some(from) = rule.from_port {
        p = p.from_port(from as i32);
    }
    if let Some(to) = rule.to_port {
        p = p.to_port(to as i32);
    }
    let description = (!rule.description.is_empty()).then(|| rule.description.clone());
    p = match &rule.source {
        SgSource::CidrIpv4(c) => p.ip_ranges(
            ec2::IpRange::builder()
                .cidr_ip(c)
                .set_description(description)
                .build(),
        ),
        SgSource::CidrIpv6(c) => p.ipv6_ranges(
            ec2::Ipv6Range::builder()
                .cidr_ipv6(c)
                .set_description(description)
                .build(),
        ),
        SgSource::PrefixList(id) => p.prefix_list_ids(
            ec2::PrefixListId::builder()
                .prefix_list_id(id)
                .set_description(description)
                .build(),
        ),
        SgSource::Group(id) => p.user_id_group_pairs(
            ec2::UserIdGroupPair::builder()
                .group_id(id)
                .set_description(description)
                .build(),
        ),
    };
    p.build()
}

fn rule_request(rule: &SgRule) -> ec2::SecurityGroupRuleRequest {
    let mut r = ec2::SecurityGroupRuleRequest::builder()
        .ip_protocol(&rule.protocol)
        .description(&rule.description);
    if let Some(from) = rule.from_port {
        r = r.from_port(from as i32);
    }
    if let Some(to) = rule.to_port {
        r = r.to_port(to as i32);
    }
    match &rule.source {
        SgSource::CidrIpv4(c) => r.cidr_ipv4(c),
        SgSource::CidrIpv6(c) => r.cidr_ipv6(c),
        SgSource::PrefixList(id) => r.prefix_list_id(id),
        SgSource::Group(id) => r.referenced_group_id(id),
    }
    .build()
}

fn bool_attr(v: bool) -> ec2::AttributeBooleanValue {
    ec2::AttributeBooleanValue::builder().value(v).build()
}

fn iam_tags(
    api: &str,
    tags: &std::collections::BTreeMap<String, Arg>,
    resolve: Resolve<'_>,
) -> Result<Vec<iam::Tag>, CallError> {
    tags.iter()
        .map(|(k, v)| {
            iam::Tag::builder()
                .key(k)
                .value(text(api, resolve, v)?)
                .build()
                .map_err(|e| CallError {
                    api: api.to_string(),
                    message: e.to_string(),
                })
        })
        .collect()
}

/// How long `StopInstances` may take to reach `stopped` before the action fails.
const STOP_TIMEOUT: Duration = Duration::from_secs(300);

async fn wait_stopped(c: &Clients, instance_id: &str) -> Result<(), CallError> {
    let api = "ec2:DescribeInstances";
    let started = std::time::Instant::now();
    loop {
        let out = c
            .ec2
            .describe_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|e| aws_error(api, e))?;
        let state = out
            .reservations()
            .iter()
            .flat_map(|r| r.instances())
            .find_map(|i| i.state().and_then(|s| s.name()).cloned());
        if state == Some(ec2::InstanceStateName::Stopped) {
            return Ok(());
        }
        if started.elapsed() > STOP_TIMEOUT {
            return Err(CallError {
                api: api.into(),
                message: format!("{instance_id} did not stop within {STOP_TIMEOUT:?}"),
            });
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

/// One call being run: the clients, the call's API name (for errors) and the resolver of its
/// arguments.
#[derive(Clone, Copy)]
struct Request<'a> {
    c: &'a Clients,
    api: &'a str,
    resolve: Resolve<'a>,
}

/// One IAM request on a role, a user or a managed policy (IAM's twin APIs, each naming its
/// entity with its own parameter: `role_name`, `user_name`, `policy_arn`), sent:
/// `iam_entity_call!(c, api, entity, name; tag_role, tag_user, policy: tag_policy; set_tags(t))`.
/// Where a managed policy has no such API, `policy: (why)` refuses the call with that reason.
macro_rules! iam_entity_call {
    ($c:expr, $api:expr, $entity:expr, $name:expr;
     $role:ident, $user:ident, policy: $policy:tt; $($setter:ident($value:expr)),*) => {
        match $entity {
            IamEntity::Role => $c.iam.$role().role_name($name)$(.$setter($value))*
                .send().await.map(drop).map_err(|x| aws_error($api, x)),
            IamEntity::User => $c.iam.$user().user_name($name)$(.$setter($value))*
                .send().await.map(drop).map_err(|x| aws_error($api, x)),
            IamEntity::Policy => iam_entity_call!(@policy $c, $api, $name, $policy; $($setter($value)),*),
        }
    };
    (@policy $c:expr, $api:expr, $name:expr, ($why:expr); $($setter:ident($value:expr)),*) => {
        Err(unsupported($api, $why))
    };
    (@policy $c:expr, $api:expr, $name:expr, $op:ident; $($setter:ident($value:expr)),*) => {
        $c.iam.$op().policy_arn($name)$(.$setter($value))*
            .send().await.map(drop).map_err(|x| aws_error($api, x))
    };
}

/// Runs one call.
pub async fn run(c: &Clients, call: &Call, resolve: Resolve<'_>) -> Result<(), CallError> {
    let api = &call.api();
    let cx = Request { c, api, resolve };
    match call {
        Call::Unit(unit) => cx.unit_call(unit).await,
        Call::Ec2CreateTags { resource_id, tags } => cx.ec2_create_tags(resource_id, tags).await,
        Call::Ec2DeleteTags { resource_id, keys } => cx.ec2_delete_tags(resource_id, keys).await,
        Call::Ec2AuthorizeSecurityGroupIngress { group_id, rule }
        | Call::Ec2AuthorizeSecurityGroupEgress { group_id, rule }
        | Call::Ec2RevokeSecurityGroupIngress { group_id, rule }
        | Call::Ec2RevokeSecurityGroupEgress { group_id, rule } => {
            cx.rule_change(call, group_id, rule).await
        }
        Call::Ec2ModifySecurityGroupRules {
            group_id,
            rule_id,
            rule,
        } => cx.modify_rule(group_id, rule_id, rule).await,
        Call::Ec2ModifyVpcAttribute {
            vpc_id,
            attribute,
            value,
        } => cx.vpc_attribute(vpc_id, attribute, *value).await,
        Call::Ec2ModifySubnetAttribute {
            subnet_id,
            attribute,
            value,
        } => cx.subnet_attribute(subnet_id, attribute, *value).await,
        Call::Ec2ModifyInstanceAttribute {
            instance_id,
            attribute,
            value,
        } => cx.instance_attribute(instance_id, attribute, value).await,
        Call::Ec2MonitorInstances { instance_id } => cx.monitoring(instance_id, true).await,
        Call::Ec2UnmonitorInstances { instance_id } => cx.monitoring(instance_id, false).await,
        Call::Ec2StopInstances { instance_id } => cx.stop_instance(instance_id).await,
        Call::Ec2StartInstances { instance_id } => cx.start_instance(instance_id).await,
        Call::Ec2DeleteSecurityGroup { group_id } => cx.delete_security_group(group_id).await,
        Call::IamTag { entity, name, tags } => cx.iam_tag(*entity, name, tags).await,
        Call::IamUntag { entity, name, keys } => cx.iam_untag(*entity, name, keys).await,
        Call::IamUpdateAssumeRolePolicy {
            role_name,
            document,
        } => cx.update_trust_policy(role_name, document).await,
        Call::IamUpdateRole {
            role_name,
            description,
            max_session_duration: max,
        } => cx.update_role(role_name, description, max).await,
        Call::IamUpdateUser {
            user_name,
            new_path,
        } => cx.update_user(user_name, new_path).await,
        Call::IamPutInlinePolicy {
            entity,
            name,
            policy_name: policy,
            document: d,
        } => cx.inline_policy(*entity, name, policy, Some(d)).await,
        Call::IamDeleteInlinePolicy {
            entity,
            name,
            policy_name,
        } => cx.inline_policy(*entity, name, policy_name, None).await,
        Call::IamAttachPolicy {
            entity,
            name,
            policy_arn,
        } => cx.managed_policy(*entity, name, policy_arn, true).await,
        Call::IamDetachPolicy {
            entity,
            name,
            policy_arn,
        } => cx.managed_policy(*entity, name, policy_arn, false).await,
        Call::IamPutPermissionsBoundary {
            entity,
            name,
            policy_arn: arn,
        } => cx.permissions_boundary(*entity, name, Some(arn)).await,
        Call::IamDeletePermissionsBoundary { entity, name } => {
            cx.permissions_boundary(*entity, name, None).await
        }
        Call::IamDeletePolicyVersion {
            policy_arn,
            version: VersionSelector::OldestNonDefaultAtLimit,
        } => cx.make_room_for_a_version(policy_arn).await,
        Call::IamCreatePolicyVersion {
            policy_arn,
            document,
            set_as_default,
        } => {
            cx.create_policy_version(policy_arn, document, *set_as_default)
                .await
        }
        Call::ConfigEdit { .. } => Err(unsupported(api, "a configuration edit is not an AWS call")),
    }
}

impl Request<'_> {
    /// A resource unit's own call (`provider::aws::execute`), its arguments resolved by name.
    async fn unit_call(&self, unit: &crate::model::plan::UnitCall) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        let mut args = std::collections::BTreeMap::new();
        for (name, arg) in &unit.args {
            let value = resolve(arg).map_err(|message| CallError {
                api: api.to_string(),
                message: format!("`{name}`: {message}"),
            })?;
            args.insert(name.clone(), value);
        }
        crate::provider::aws::execute(&c.ec2, &c.iam, unit, &args)
            .await
            .map_err(|message| CallError {
                api: api.to_string(),
                message,
            })
    }

    // EC2: tags, security groups, VPC and subnet attributes, instances.

    async fn ec2_create_tags(
        &self,
        resource_id: &str,
        tags: &std::collections::BTreeMap<String, Arg>,
    ) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        let mut req = c.ec2.create_tags().resources(resource_id);
        for (k, v) in tags {
            req = req.tags(
                ec2::Tag::builder()
                    .key(k)
                    .value(text(api, resolve, v)?)
                    .build(),
            );
        }
        req.send().await.map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    async fn ec2_delete_tags(&self, resource_id: &str, keys: &[String]) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let mut req = c.ec2.delete_tags().resources(resource_id);
        for k in keys {
            req = req.tags(ec2::Tag::builder().key(k).build());
        }
        req.send().await.map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    /// Adds or removes one rule of a security group's ingress or egress list, as `call` says.
    async fn rule_change(
        &self,
        call: &Call,
        group_id: &str,
        rule: &SgRule,
    ) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let permission = ip_permission(rule);
        // The four requests take the same two fields.
        macro_rules! sent {
            ($op:ident) => {
                c.ec2
                    .$op()
                    .group_id(group_id)
                    .ip_permissions(permission)
                    .send()
                    .await
                    .map(drop)
                    .map_err(|x| aws_error(api, x))
            };
        }
        match call {
            Call::Ec2AuthorizeSecurityGroupIngress { .. } => {
                sent!(authorize_security_group_ingress)
            }
            Call::Ec2AuthorizeSecurityGroupEgress { .. } => sent!(authorize_security_group_egress),
            Call::Ec2RevokeSecurityGroupIngress { .. } => sent!(revoke_security_group_ingress),
            Call::Ec2RevokeSecurityGroupEgress { .. } => sent!(revoke_security_group_egress),
            _ => Err(unsupported(api, "not a change of a security group rule")),
        }
    }

    async fn modify_rule(
        &self,
        group_id: &str,
        rule_id: &str,
        rule: &SgRule,
    ) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        c.ec2
            .modify_security_group_rules()
            .group_id(group_id)
            .security_group_rules(
                ec2::SecurityGroupRuleUpdate::builder()
                    .security_group_rule_id(rule_id)
                    .security_group_rule(rule_request(rule))
                    .build(),
            )
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    async fn delete_security_group(&self, group_id: &str) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        c.ec2
            .delete_security_group()
            .group_id(group_id)
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    async fn vpc_attribute(
        &self,
        vpc_id: &str,
        attribute: &str,
        value: bool,
    ) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let req = c.ec2.modify_vpc_attribute().vpc_id(vpc_id);
        let req = match attribute {
            "enableDnsSupport" => req.enable_dns_support(bool_attr(value)),
            "enableDnsHostnames" => req.enable_dns_hostnames(bool_attr(value)),
            "enableNetworkAddressUsageMetrics" => {
                req.enable_network_address_usage_metrics(bool_attr(value))
            }
            other => return Err(unsupported(api, other)),
        };
        req.send().await.map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    async fn subnet_attribute(
        &self,
        subnet_id: &str,
        attribute: &str,
        value: bool,
    ) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let req = c.ec2.modify_subnet_attribute().subnet_id(subnet_id);
        let req = match attribute {
            "mapPublicIpOnLaunch" => req.map_public_ip_on_launch(bool_attr(value)),
            "assignIpv6AddressOnCreation" => req.assign_ipv6_address_on_creation(bool_attr(value)),
            other => return Err(unsupported(api, other)),
        };
        req.send().await.map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    async fn instance_attribute(
        &self,
        instance_id: &str,
        attribute: &str,
        value: &Arg,
    ) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        let req = c.ec2.modify_instance_attribute().instance_id(instance_id);
        let v = resolve(value).map_err(|m| CallError {
            api: api.into(),
            message: m,
        })?;
        let flag = |v: &Value| {
            v.as_bool().ok_or_else(|| CallError {
                api: api.into(),
                message: format!("{attribute} takes true or false"),
            })
        };
        let req = match attribute {
            "sourceDestCheck" => req.source_dest_check(bool_attr(flag(&v)?)),
            "ebsOptimized" => req.ebs_optimized(bool_attr(flag(&v)?)),
            "disableApiTermination" => req.disable_api_termination(bool_attr(flag(&v)?)),
            "disableApiStop" => req.disable_api_stop(bool_attr(flag(&v)?)),
            "instanceType" => req.instance_type(
                ec2::AttributeValue::builder()
                    .value(text(api, resolve, value)?)
                    .build(),
            ),
            "groupSet" => {
                let groups: Vec<String> = v
                    .as_list()
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Value::scalar_text)
                    .collect();
                req.set_groups(Some(groups))
            }
            other => return Err(unsupported(api, other)),
        };
        req.send().await.map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    /// Turns an instance's detailed monitoring on (`MonitorInstances`) or off.
    async fn monitoring(&self, instance_id: &str, on: bool) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        if on {
            c.ec2
                .monitor_instances()
                .instance_ids(instance_id)
                .send()
                .await
                .map(drop)
                .map_err(|x| aws_error(api, x))
        } else {
            c.ec2
                .unmonitor_instances()
                .instance_ids(instance_id)
                .send()
                .await
                .map(drop)
                .map_err(|x| aws_error(api, x))
        }
    }

    /// Stops an instance and waits until it is `stopped`.
    async fn stop_instance(&self, instance_id: &str) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        c.ec2
            .stop_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        wait_stopped(c, instance_id).await
    }

    async fn start_instance(&self, instance_id: &str) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        c.ec2
            .start_instances()
            .instance_ids(instance_id)
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    // IAM: tags, role and user settings, inline and managed policies, permissions boundaries,
    // policy versions. A call on an entity that has no such thing (a policy's inline policy) is
    // refused.

    async fn iam_tag(
        &self,
        entity: IamEntity,
        name: &str,
        tags: &std::collections::BTreeMap<String, Arg>,
    ) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        let tags = Some(iam_tags(api, tags, resolve)?);
        iam_entity_call!(c, api, entity, name; tag_role, tag_user, policy: tag_policy; set_tags(tags))
    }

    async fn iam_untag(
        &self,
        entity: IamEntity,
        name: &str,
        keys: &[String],
    ) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let keys = Some(keys.to_vec());
        iam_entity_call!(c, api, entity, name;
            untag_role, untag_user, policy: untag_policy; set_tag_keys(keys))
    }

    /// Replaces a role's trust policy (`UpdateAssumeRolePolicy`).
    async fn update_trust_policy(&self, role_name: &str, document: &Arg) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        c.iam
            .update_assume_role_policy()
            .role_name(role_name)
            .policy_document(text(api, resolve, document)?)
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    /// Sets a role's description and maximum session duration, each when given.
    async fn update_role(
        &self,
        role_name: &str,
        description: &Option<Arg>,
        max_session_duration: &Option<i64>,
    ) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        let description = match description {
            Some(d) => Some(text(api, resolve, d)?),
            None => None,
        };
        c.iam
            .update_role()
            .role_name(role_name)
            .set_description(description)
            .set_max_session_duration(max_session_duration.map(|m| m as i32))
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    async fn update_user(&self, user_name: &str, new_path: &str) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        c.iam
            .update_user()
            .user_name(user_name)
            .new_path(new_path)
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    /// Puts an inline policy's document (`Some`), or deletes the inline policy (`None`).
    async fn inline_policy(
        &self,
        entity: IamEntity,
        name: &str,
        policy_name: &str,
        document: Option<&Arg>,
    ) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        let why = "a policy has no inline policy";
        match document {
            Some(document) => {
                let document = text(api, resolve, document)?;
                iam_entity_call!(c, api, entity, name; put_role_policy, put_user_policy,
                    policy: (why); policy_name(policy_name), policy_document(document))
            }
            None => iam_entity_call!(c, api, entity, name;
                delete_role_policy, delete_user_policy, policy: (why); policy_name(policy_name)),
        }
    }

    /// Attaches a managed policy to a role or user (`attach`), or detaches it.
    async fn managed_policy(
        &self,
        entity: IamEntity,
        name: &str,
        policy_arn: &str,
        attach: bool,
    ) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let why = "a policy is not a principal";
        if attach {
            iam_entity_call!(c, api, entity, name;
                attach_role_policy, attach_user_policy, policy: (why); policy_arn(policy_arn))
        } else {
            iam_entity_call!(c, api, entity, name;
                detach_role_policy, detach_user_policy, policy: (why); policy_arn(policy_arn))
        }
    }

    /// Sets a role's or user's permissions boundary (`Some`), or deletes it (`None`).
    async fn permissions_boundary(
        &self,
        entity: IamEntity,
        name: &str,
        policy_arn: Option<&str>,
    ) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let why = "a policy is not a principal";
        match policy_arn {
            Some(arn) => iam_entity_call!(c, api, entity, name;
                put_role_permissions_boundary, put_user_permissions_boundary,
                policy: (why); permissions_boundary(arn)),
            None => iam_entity_call!(c, api, entity, name;
                delete_role_permissions_boundary, delete_user_permissions_boundary,
                policy: (why);),
        }
    }

    /// Deletes the oldest non-default version of a managed policy when it is at IAM's version
    /// limit, so that the next `CreatePolicyVersion` has room; below the limit it does nothing.
    async fn make_room_for_a_version(&self, policy_arn: &str) -> Result<(), CallError> {
        let Request { c, api, .. } = *self;
        let versions = c
            .iam
            .list_policy_versions()
            .policy_arn(policy_arn)
            .send()
            .await
            .map_err(|err| aws_error("iam:ListPolicyVersions", err))?;
        let versions = versions.versions();
        if (versions.len() as u64) < crate::model::plan::IAM_POLICY_VERSION_LIMIT {
            // Room for one more: nothing to delete.
            return Ok(());
        }
        let oldest = versions
            .iter()
            .filter(|v| !v.is_default_version())
            .min_by_key(|v| {
                (
                    v.create_date().map(|d| d.secs()).unwrap_or(i64::MAX),
                    v.version_id().unwrap_or_default().to_string(),
                )
            })
            .and_then(|v| v.version_id().map(str::to_string));
        let Some(oldest) = oldest else {
            return Err(CallError {
                api: api.into(),
                message:
                    "the policy is at IAM's version limit with no non-default version to delete"
                        .into(),
            });
        };
        c.iam
            .delete_policy_version()
            .policy_arn(policy_arn)
            .version_id(oldest)
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }

    async fn create_policy_version(
        &self,
        policy_arn: &str,
        document: &Arg,
        set_as_default: bool,
    ) -> Result<(), CallError> {
        let Request { c, api, resolve } = *self;
        c.iam
            .create_policy_version()
            .policy_arn(policy_arn)
            .policy_document(text(api, resolve, document)?)
            .set_as_default(set_as_default)
            .send()
            .await
            .map_err(|x| aws_error(api, x))?;
        Ok(())
    }
}

fn unsupported(api: &str, what: &str) -> CallError {
    CallError {
        api: api.to_string(),
        message: format!("driftgate cannot make this call: {what}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::error::{ConnectorError, SdkError};
    use aws_sdk_ec2::operation::create_tags::CreateTagsError;

    /// A write that could not be sent names why, as a gap does.
    #[test]
    fn a_failed_write_names_the_connection_failure() {
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        let e: SdkError<CreateTagsError, ()> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(refused)));
        let err = aws_error("ec2:CreateTags", e);
        assert!(err.message.starts_with("connection refused"), "{err}");
        let other = std::io::Error::other("broken pipe");
        let e: SdkError<CreateTagsError, ()> =
            SdkError::dispatch_failure(ConnectorError::io(Box::new(other)));
        assert_eq!(
            aws_error("ec2:CreateTags", e).message,
            "the request did not reach AWS or had no response"
        );
    }
}
