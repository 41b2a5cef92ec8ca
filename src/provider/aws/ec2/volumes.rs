//! `aws_ebs_volume` and `aws_volume_attachment`: DescribeVolumes (one listing yields both; an
//! attachment is a volume's `Attachments` entry).
//!
//! A volume that is part of an instance is not an unmanaged volume: in the provider's model the
//! volumes an instance is launched with are recorded inside its `aws_instance`
//! (`root_block_device`, `ebs_block_device`), never as `aws_ebs_volume` and
//! `aws_volume_attachment`. Such a volume is one attached at its instance's root device name
//! (read with one DescribeInstances per batch of instances), or one that is deleted with its
//! instance (`DeleteOnTermination`: AttachVolume, and so `aws_volume_attachment`, never sets
//! it). Both views of it are the instance's (`Owner::Aws`): never reported unmanaged, and still
//! compared when a state records them (an imported root volume).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, Volume, VolumeAttachment, VolumeType};

use super::{
    Args, Cx, Executed, Found, Listed, PAGE, Sample, Unit, arn, call_error, tag_map, text_arg,
};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use crate::model::{Attributes, Gap, Owner, Value};

const VOLUME: &str = "aws_ebs_volume";
const ATTACHMENT: &str = "aws_volume_attachment";
const TYPES: &[&str] = &[VOLUME, ATTACHMENT];
/// The instance unit's type: when it is read whole, its listing gives the root device names.
const INSTANCE: &str = "aws_instance";
/// Instance ids per DescribeInstances filter.
const INSTANCE_BATCH: usize = 200;

pub const UNIT: Unit =
    Unit::new("ebs volumes", TYPES, list, samples).calls(REVERTS, &["ModifyVolume"], execute);

const REVERTS: &[UnitRevert] = &[UnitRevert::new(
    "modify_volume",
    &[VOLUME],
    plan_modify_volume,
)];

/// The ModifyVolume parameter each attribute is put back through.
const MODIFIABLE: &[(&str, &str)] = &[
    ("type", "volume_type"),
    ("iops", "iops"),
    ("throughput", "throughput"),
    ("multi_attach_enabled", "multi_attach_enabled"),
];

/// One ModifyVolume (online: the volume stays attached and in use) that sets every changed
/// attribute back to its recorded value. The size is not among them: a volume only grows.
fn plan_modify_volume(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let mut call = UnitCall::new("ec2", "ModifyVolume", &input.drift.id)
        .arg("volume_id", Arg::text(input.drift.id.clone()));
    for change in input.changes {
        let attribute = change.path.attribute().unwrap_or_default();
        let Some((_, parameter)) = MODIFIABLE.iter().find(|(a, _)| *a == attribute) else {
            return Err(format!("ModifyVolume does not set `{attribute}`"));
        };
        if change.before.is_null() {
            return Err(format!("no recorded `{attribute}` to put back"));
        }
        // No IOPS or throughput recorded (0): the type it goes back to sets them.
        if matches!(attribute, "iops" | "throughput") && change.before.as_f64() == Some(0.0) {
            continue;
        }
        call = call.arg(parameter, input.recorded_arg(attribute));
    }
    if call.args.len() == 1 {
        return Err("nothing ModifyVolume can put back".into());
    }
    Ok(vec![call])
}

fn execute<'a>(client: &'a Client, call: &'a UnitCall, args: &'a Args) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            "ModifyVolume" => {
                let number = |name: &str| args.get(name).and_then(Value::as_f64).map(|n| n as i32);
                client
                    .modify_volume()
                    .volume_id(text_arg(args, "volume_id")?)
                    .set_volume_type(
                        args.get("volume_type")
                            .and_then(Value::scalar_text)
                            .map(|t| VolumeType::from(t.as_str())),
                    )
                    .set_iops(number("iops"))
                    .set_throughput(number("throughput"))
                    .set_multi_attach_enabled(
                        args.get("multi_attach_enabled").and_then(Value::as_bool),
                    )
                    .send()
                    .await
                    .map(|_| ())
                    .map_err(call_error)
            }
            other => Err(format!("{other}: not an operation of this unit")),
        }
    })
}

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        // Every volume of the region, or the asked ones by id (an attachment is asked by its
        // volume's id: `parent "aws_ebs_volume" { via = "volume_id" }`).
        let volumes = pages_by!(
            cx,
            "DescribeVolumes",
            TYPES,
            super::id_filters(cx.asked(TYPES).as_ref(), "volume-id"),
            describe_volumes,
            volumes
        );
        let volumes = match volumes {
            Ok(volumes) => volumes,
            Err(gap) => return Found::gap(gap),
        };
        // The root device names of the instances whose volumes could be their root volume.
        let mut asked: BTreeSet<String> = BTreeSet::new();
        for volume in &volumes {
            for attachment in volume.attachments() {
                if attachment.delete_on_termination() != Some(true)
                    && let Some(instance) = attachment.instance_id()
                {
                    asked.insert(instance.to_string());
                }
            }
        }
        let roots = match root_devices(cx, asked).await {
            Ok(roots) => roots,
            Err(gap) => return Found::gap(gap),
        };
        emit(cx, &volumes, &roots)
    })
}

/// The root device names of the instances `asked`, by instance id. When the instance unit
/// reads every instance of the region, its listing (shared) answers, and only an instance it
/// does not hold (launched since, or no longer live) is read by id; else every asked instance
/// is read by id, [`INSTANCE_BATCH`] a call.
async fn root_devices(cx: &Cx, asked: BTreeSet<String>) -> Result<BTreeMap<String, String>, Gap> {
    let mut roots = BTreeMap::new();
    let mut unread = asked;
    if unread.is_empty() {
        return Ok(roots);
    }
    if cx.wants(INSTANCE) && cx.only(INSTANCE).is_none() {
        let listed = cx.instances(TYPES, vec![None]).await?;
        for instance in listed.iter().flat_map(|r| r.instances()) {
            if let Some(id) = instance.instance_id()
                && unread.remove(id)
                && let Some(root) = instance.root_device_name()
            {
                roots.insert(id.to_string(), root.to_string());
            }
        }
    }
    let unread: Vec<String> = unread.into_iter().collect();
    for batch in unread.chunks(INSTANCE_BATCH) {
        let reservations = pages!(
            cx,
            "DescribeInstances",
            TYPES,
            cx.client.describe_instances().max_results(PAGE).filters(
                Filter::builder()
                    .name("instance-id")
                    .set_values(Some(batch.to_vec()))
                    .build()
            ),
            reservations
        )?;
        for instance in reservations.iter().flat_map(|r| r.instances()) {
            if let (Some(id), Some(root)) = (instance.instance_id(), instance.root_device_name()) {
                roots.insert(id.to_string(), root.to_string());
            }
        }
    }
    Ok(roots)
}

/// The instance a volume is part of (see the module comment), if any.
fn part_of<'a>(volume: &'a Volume, roots: &BTreeMap<String, String>) -> Option<&'a str> {
    volume.attachments().iter().find_map(|a| {
        let instance = a.instance_id()?;
        let root = roots.get(instance).map(String::as_str);
        (a.delete_on_termination() == Some(true) || (root.is_some() && a.device() == root))
            .then_some(instance)
    })
}

fn emit(cx: &Cx, volumes: &[Volume], roots: &BTreeMap<String, String>) -> Found {
    let mut found = Found::default();
    for volume in volumes {
        let Some(id) = volume.volume_id() else {
            continue;
        };
        let owner = match part_of(volume, roots) {
            Some(instance) => Owner::Aws(format!("a volume of instance {instance}")),
            None => Owner::User,
        };
        found.resources.push(cx.view(
            VOLUME,
            id,
            owner.clone(),
            volume_attributes(volume, &cx.region),
        ));
        for attachment in volume.attachments() {
            let Some(a) = attachment_attributes(attachment) else {
                continue;
            };
            let cloud_id = a["id"].scalar_text().unwrap_or_default();
            found
                .resources
                .push(cx.view(ATTACHMENT, &cloud_id, owner.clone(), a));
        }
    }
    found
}

/// An `aws_ebs_volume` as the provider records it.
pub fn volume_attributes(volume: &Volume, region: &str) -> Attributes {
    let id = volume.volume_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("volume/{id}")).into(),
    );
    a.insert(
        "availability_zone".into(),
        volume.availability_zone().into(),
    );
    a.insert("size".into(), volume.size().into());
    a.insert(
        "type".into(),
        volume.volume_type().map(|t| t.as_str()).into(),
    );
    a.insert("iops".into(), volume.iops().into());
    a.insert("throughput".into(), volume.throughput().into());
    a.insert("encrypted".into(), volume.encrypted().into());
    a.insert("kms_key_id".into(), volume.kms_key_id().into());
    a.insert("snapshot_id".into(), volume.snapshot_id().into());
    a.insert(
        "multi_attach_enabled".into(),
        volume.multi_attach_enabled().into(),
    );
    a.insert("outpost_arn".into(), volume.outpost_arn().into());
    a.insert("tags".into(), tag_map(volume.tags()));
    a
}

/// An `aws_volume_attachment` as the provider records it, for an attachment that is in place
/// (attaching or attached). Its `id` is the provider's: `vai-` and the CRC-32 of
/// `DEVICE-INSTANCE-VOLUME-`.
pub fn attachment_attributes(attachment: &VolumeAttachment) -> Option<Attributes> {
    let state = attachment.state().map(|s| s.as_str()).unwrap_or("");
    if state != "attached" && state != "attaching" {
        return None;
    }
    let device = attachment.device()?;
    let instance = attachment.instance_id()?;
    let volume = attachment.volume_id()?;
    let mut a = Attributes::new();
    a.insert(
        "id".into(),
        format!(
            "vai-{}",
            super::crc32(format!("{device}-{instance}-{volume}-").as_bytes())
        )
        .into(),
    );
    a.insert("device_name".into(), device.into());
    a.insert("instance_id".into(), instance.into());
    a.insert("volume_id".into(), volume.into());
    Some(a)
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{Tag, VolumeAttachmentState};
    let region = "us-east-1";
    let attachment = VolumeAttachment::builder()
        .device("/dev/sdf")
        .instance_id("i-1")
        .volume_id("vol-1")
        .state(VolumeAttachmentState::Attached)
        .delete_on_termination(false)
        .build();
    let volume = Volume::builder()
        .volume_id("vol-1")
        .availability_zone("us-east-1a")
        .size(8)
        .volume_type(VolumeType::Gp3)
        .iops(3000)
        .throughput(125)
        .encrypted(true)
        .kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k-1")
        .snapshot_id("snap-1")
        .multi_attach_enabled(true)
        .outpost_arn("arn:aws:outposts:us-east-1:111122223333:outpost/op-1")
        .attachments(attachment.clone())
        .tags(Tag::builder().key("Name").value("data").build())
        .build();
    let attached = attachment_attributes(&attachment).expect("attached");
    let id = attached["id"].scalar_text().unwrap_or_default();
    vec![
        Sample::regional(VOLUME, "vol-1", region, volume_attributes(&volume, region)),
        Sample {
            resource: super::view(ATTACHMENT, &id, true, region, Owner::User, attached),
            import_id: "/dev/sdf:vol-1:i-1".into(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::VolumeAttachmentState;

    fn attached(device: &str, instance: &str, delete_on_termination: Option<bool>) -> Volume {
        Volume::builder()
            .volume_id("vol-1")
            .attachments(
                VolumeAttachment::builder()
                    .device(device)
                    .instance_id(instance)
                    .volume_id("vol-1")
                    .state(VolumeAttachmentState::Attached)
                    .set_delete_on_termination(delete_on_termination)
                    .build(),
            )
            .build()
    }

    #[test]
    fn attachment_id_is_the_providers() {
        // Recorded by terraform + provider 5.100 for this attachment (fixtures/live/compute).
        let a2 = VolumeAttachment::builder()
            .device("/dev/sdf")
            .instance_id("i-ea427de76373000e1")
            .volume_id("vol-317b71a5844a35ae1")
            .state(VolumeAttachmentState::Attached)
            .build();
        assert_eq!(
            attachment_attributes(&a2).unwrap()["id"],
            "vai-1839980460".into()
        );
        let detaching = VolumeAttachment::builder()
            .device("/dev/sdf")
            .instance_id("i-1")
            .volume_id("vol-1")
            .state(VolumeAttachmentState::Detaching)
            .build();
        assert!(attachment_attributes(&detaching).is_none());
    }

    #[test]
    fn a_volume_launched_with_its_instance_is_the_instances() {
        let roots: BTreeMap<String, String> = [("i-1".to_string(), "/dev/xvda".to_string())]
            .into_iter()
            .collect();
        // The root volume, even kept after termination.
        assert_eq!(
            part_of(&attached("/dev/xvda", "i-1", Some(false)), &roots),
            Some("i-1")
        );
        // A data volume deleted with its instance (an `ebs_block_device`).
        assert_eq!(
            part_of(&attached("/dev/sdg", "i-1", Some(true)), &roots),
            Some("i-1")
        );
        // A volume attached with AttachVolume: the account's own.
        assert_eq!(
            part_of(&attached("/dev/sdf", "i-1", Some(false)), &roots),
            None
        );
        assert_eq!(part_of(&attached("/dev/sdf", "i-1", None), &roots), None);
        assert_eq!(
            part_of(&attached("/dev/xvda", "i-2", None), &roots),
            None,
            "another instance's root device name"
        );
    }
}

#[cfg(test)]
mod revert_tests {
    use super::*;
    use crate::model::{
        Address, Change, Drift, DriftKind, Path, RecordedResource, StateSource, Value,
    };

    fn plan(changes: &[(&str, Value, Value)]) -> Result<Vec<UnitCall>, String> {
        let changes: Vec<Change> = changes
            .iter()
            .map(|(a, before, after)| Change::new(Path::root(*a), before.clone(), after.clone()))
            .collect();
        let drift = Drift {
            kind: DriftKind::Changed,
            resource_type: VOLUME.into(),
            id: "vol-1".into(),
            address: Some(Address::managed(VOLUME, "data")),
            state: None,
            region: Some("us-east-1".into()),
            changes: changes.clone(),
            observed: None,
        };
        let recorded = RecordedResource {
            address: Address::managed(VOLUME, "data"),
            resource_type: VOLUME.into(),
            provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
            state: StateSource("terraform.tfstate".into()),
            schema_version: 0,
            attributes: changes
                .iter()
                .map(|c| (c.path.attribute().unwrap().to_string(), c.before.clone()))
                .collect(),
        };
        let refs: Vec<&Change> = changes.iter().collect();
        plan_modify_volume(&RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &refs,
        })
    }

    #[test]
    fn one_modify_volume_puts_every_changed_attribute_back() {
        let calls = plan(&[
            ("type", Value::str("gp3"), Value::str("gp2")),
            ("iops", Value::from(3000), Value::from(100)),
        ])
        .unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].operation, "ModifyVolume");
        assert_eq!(calls[0].target, "vol-1");
        assert_eq!(calls[0].args["volume_type"], Arg::text("gp3"));
        assert_eq!(calls[0].args["iops"], Arg::Value(Value::from(3000)));
        assert_eq!(calls[0].args["volume_id"], Arg::text("vol-1"));
    }

    #[test]
    fn no_recorded_iops_is_left_to_the_type_and_size_is_never_modified() {
        let calls = plan(&[
            ("type", Value::str("gp2"), Value::str("io1")),
            ("iops", Value::from(0), Value::from(3000)),
        ])
        .unwrap();
        assert!(!calls[0].args.contains_key("iops"), "{calls:?}");
        assert!(plan(&[("iops", Value::from(0), Value::from(3000))]).is_err());
        assert!(plan(&[("size", Value::from(8), Value::from(16))]).is_err());
    }
}
