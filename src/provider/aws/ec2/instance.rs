//! `aws_instance`: DescribeInstances (terminated and shutting-down instances are gone:
//! filtered server-side, and again here).

use aws_sdk_ec2::types::{Filter, Instance, Reservation};

use super::{Cx, Found, Listed, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};

const TYPE: &str = "aws_instance";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit::new("instances", TYPES, list, samples);

/// The states of an instance that still exists.
pub fn live_states() -> Filter {
    Filter::builder()
        .name("instance-state-name")
        .values("pending")
        .values("running")
        .values("stopping")
        .values("stopped")
        .build()
}

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        // Every instance: the region's one listing, which the volume unit reads too; under
        // `only`, the named instances by id (never that listing). Nothing of a half-read
        // listing is emitted: the gap covers the region.
        let reservations = cx
            .instances(TYPES, cx.id_filters(TYPE, "instance-id"))
            .await;
        reservations.map_or_else(Found::gap, |reservations| emit(cx, &reservations))
    })
}

fn emit(cx: &Cx, reservations: &[Reservation]) -> Found {
    let mut found = Found::default();
    for reservation in reservations {
        for instance in reservation.instances() {
            let Some(id) = instance.instance_id() else {
                continue;
            };
            let state = instance
                .state()
                .and_then(|s| s.name())
                .map(|n| n.as_str())
                .unwrap_or("");
            if state == "terminated" || state == "shutting-down" {
                continue;
            }
            let attributes = attributes(instance, reservation.owner_id(), &cx.region);
            found
                .resources
                .push(cx.view(TYPE, id, Owner::User, attributes));
        }
    }
    found
}

/// An `aws_instance` as the provider records it.
pub fn attributes(instance: &Instance, owner_id: Option<&str>, region: &str) -> Attributes {
    let id = instance.instance_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, owner_id, &format!("instance/{id}")).into(),
    );
    a.insert("ami".into(), instance.image_id().into());
    a.insert(
        "instance_type".into(),
        instance.instance_type().map(|t| t.as_str()).into(),
    );
    a.insert("subnet_id".into(), instance.subnet_id().into());
    let placement = instance.placement();
    a.insert(
        "availability_zone".into(),
        placement.and_then(|p| p.availability_zone()).into(),
    );
    a.insert(
        "tenancy".into(),
        placement
            .and_then(|p| p.tenancy())
            .map(|t| t.as_str())
            .into(),
    );
    // In a VPC the provider records group ids in `vpc_security_group_ids` and leaves
    // `security_groups` (names, EC2-Classic style) empty.
    let mut group_ids: Vec<&str> = instance
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id())
        .collect();
    group_ids.sort();
    a.insert("vpc_security_group_ids".into(), group_ids.into());
    a.insert("key_name".into(), instance.key_name().unwrap_or("").into());
    a.insert(
        "iam_instance_profile".into(),
        instance
            .iam_instance_profile()
            .and_then(|p| p.arn())
            .map(instance_profile_name)
            .unwrap_or("")
            .into(),
    );
    a.insert("private_ip".into(), instance.private_ip_address().into());
    a.insert("private_dns".into(), instance.private_dns_name().into());
    a.insert(
        "public_ip".into(),
        instance.public_ip_address().unwrap_or("").into(),
    );
    // moto gap: moto may omit SourceDestCheck / EbsOptimized / Monitoring; they stay null.
    a.insert(
        "source_dest_check".into(),
        instance.source_dest_check().into(),
    );
    a.insert(
        "monitoring".into(),
        instance
            .monitoring()
            .and_then(|m| m.state())
            .map(|s| matches!(s.as_str(), "enabled" | "pending"))
            .into(),
    );
    a.insert("ebs_optimized".into(), instance.ebs_optimized().into());
    a.insert(
        "instance_state".into(),
        instance
            .state()
            .and_then(|s| s.name())
            .map(|n| n.as_str())
            .into(),
    );
    let primary_eni = instance
        .network_interfaces()
        .iter()
        .find(|eni| eni.attachment().and_then(|att| att.device_index()) == Some(0))
        .and_then(|eni| eni.network_interface_id());
    a.insert("primary_network_interface_id".into(), primary_eni.into());
    a.insert("tags".into(), tag_map(instance.tags()));
    a
}

/// The profile name from an instance profile ARN
/// (`arn:aws:iam::123456789012:instance-profile/path/name` -> `name`), as the provider records
/// `iam_instance_profile`.
pub fn instance_profile_name(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or(arn);
    resource.rsplit('/').next().unwrap_or(resource)
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{
        GroupIdentifier, IamInstanceProfile, InstanceState, InstanceStateName, InstanceType,
        Monitoring, MonitoringState, Placement, Tag, Tenancy,
    };
    let region = "us-east-1";
    let instance = Instance::builder()
        .instance_id("i-1")
        .image_id("ami-1")
        .instance_type(InstanceType::T3Micro)
        .subnet_id("subnet-1")
        .placement(
            Placement::builder()
                .availability_zone("us-east-1a")
                .tenancy(Tenancy::Default)
                .build(),
        )
        .security_groups(GroupIdentifier::builder().group_id("sg-1").build())
        .key_name("deploy")
        .iam_instance_profile(
            IamInstanceProfile::builder()
                .arn("arn:aws:iam::111122223333:instance-profile/app")
                .build(),
        )
        .private_ip_address("10.0.1.10")
        .private_dns_name("ip-10-0-1-10.ec2.internal")
        .public_ip_address("192.0.2.10")
        .source_dest_check(true)
        .monitoring(
            Monitoring::builder()
                .state(MonitoringState::Enabled)
                .build(),
        )
        .ebs_optimized(true)
        .state(
            InstanceState::builder()
                .name(InstanceStateName::Running)
                .build(),
        )
        .tags(Tag::builder().key("Name").value("app").build())
        .build();
    vec![Sample::regional(
        TYPE,
        "i-1",
        region,
        attributes(&instance, Some("111122223333"), region),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profile_arn_to_name() {
        assert_eq!(
            instance_profile_name("arn:aws:iam::123456789012:instance-profile/app"),
            "app"
        );
        assert_eq!(
            instance_profile_name("arn:aws:iam::123456789012:instance-profile/a/b/app"),
            "app"
        );
        assert_eq!(instance_profile_name("app"), "app");
    }
}
