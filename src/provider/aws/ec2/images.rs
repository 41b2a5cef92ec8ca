//! `aws_ami` and `aws_ebs_snapshot`: DescribeImages and DescribeSnapshots, both with
//! `Owners=self` / `OwnerIds=self`: only the account's own (public and Amazon images and
//! snapshots, and other accounts' ones shared with this one, are not the account's). The
//! image's block device mappings are not compared (their snapshots are fixed at registration),
//! but its root snapshot is (`root_snapshot_id`).
//!
//! A snapshot that backs one of the account's images is the image's: CreateImage and CopyImage
//! (`aws_ami_from_instance`, `aws_ami_copy`) make them, and the provider records them inside the
//! image, not as `aws_ebs_snapshot`. Such a snapshot is never reported unmanaged
//! (`Owner::Aws`), and still compared when a state records it (a snapshot an `aws_ami` was
//! registered from).

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Image, Snapshot};

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};

const TYPE: &str = "aws_ami";
const SNAPSHOT: &str = "aws_ebs_snapshot";
const TYPES: &[&str] = &[TYPE, SNAPSHOT];

pub const UNIT: Unit = Unit::new("images and snapshots", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        // Every own image and snapshot of the region, or the asked ones by id.
        let asked_images = cx.asked(&[TYPE]);
        let asked_snapshots = cx.asked(&[SNAPSHOT]);
        let images = match own_images(cx, asked_images.as_ref(), "image-id").await {
            Ok(images) => images,
            Err(gap) => return Found::gap(gap),
        };
        let snapshots = pages_by!(
            cx,
            "DescribeSnapshots",
            TYPES,
            super::id_filters(asked_snapshots.as_ref(), "snapshot-id"),
            Vec::new(),
            |filters| cx
                .client
                .describe_snapshots()
                .owner_ids("self")
                .max_results(PAGE)
                .set_filters(filters),
            snapshots
        );
        let snapshots = match snapshots {
            Ok(snapshots) => snapshots,
            Err(gap) => return Found::gap(gap),
        };
        // Whether a snapshot backs an image: the images read, when they are every image;
        // else the images that hold the read snapshots.
        let backers = match (&asked_images, snapshot_ids(&snapshots)) {
            (None, _) => Vec::new(),
            (Some(_), ids) if ids.is_empty() => Vec::new(),
            (Some(_), ids) => match backing_images(cx, &ids).await {
                Ok(backers) => backers,
                Err(gap) => return Found::gap(gap),
            },
        };
        emit(cx, &images, &snapshots, &backers)
    })
}

/// The account's own images: every one, or those whose `filter` is one of `ids`.
async fn own_images(
    cx: &Cx,
    ids: Option<&BTreeSet<String>>,
    filter: &str,
) -> Result<Vec<Image>, crate::model::Gap> {
    pages_by!(
        cx,
        "DescribeImages",
        TYPES,
        super::id_filters(ids, filter),
        Vec::new(),
        |filters| cx
            .client
            .describe_images()
            .owners("self")
            .max_results(PAGE)
            .set_filters(filters),
        images
    )
}

fn snapshot_ids(snapshots: &[Snapshot]) -> BTreeSet<String> {
    snapshots
        .iter()
        .filter_map(|s| s.snapshot_id().map(str::to_string))
        .collect()
}

/// The own images that hold one of `snapshots` (`block-device-mapping.snapshot-id`).
async fn backing_images(
    cx: &Cx,
    snapshots: &BTreeSet<String>,
) -> Result<Vec<Image>, crate::model::Gap> {
    own_images(cx, Some(snapshots), "block-device-mapping.snapshot-id").await
}

/// The image each snapshot backs, by snapshot id.
fn backing(images: &[Image]) -> BTreeMap<&str, &str> {
    let mut out = BTreeMap::new();
    for image in images {
        let Some(id) = image.image_id() else { continue };
        for mapping in image.block_device_mappings() {
            if let Some(snapshot) = mapping.ebs().and_then(|e| e.snapshot_id()) {
                out.entry(snapshot).or_insert(id);
            }
        }
    }
    out
}

fn emit(cx: &Cx, images: &[Image], snapshots: &[Snapshot], backers: &[Image]) -> Found {
    let mut found = Found::default();
    let mut backing = backing(images);
    for (snapshot, image) in self::backing(backers) {
        backing.entry(snapshot).or_insert(image);
    }
    for snapshot in snapshots {
        let Some(id) = snapshot.snapshot_id() else {
            continue;
        };
        let owner = match backing.get(id) {
            Some(image) => Owner::Aws(format!("a snapshot of image {image}")),
            None => Owner::User,
        };
        found.resources.push(cx.view(
            SNAPSHOT,
            id,
            owner,
            snapshot_attributes(snapshot, &cx.region),
        ));
    }
    for image in images {
        let Some(id) = image.image_id() else {
            continue;
        };
        // A deregistered image may still be listed for a while.
        if image.state().map(|s| s.as_str()) == Some("deregistered") {
            continue;
        }
        let attributes = attributes(image, &cx.region);
        found
            .resources
            .push(cx.view(TYPE, id, Owner::User, attributes));
    }
    found
}

/// An `aws_ami` as the provider records it.
pub fn attributes(image: &Image, region: &str) -> Attributes {
    let id = image.image_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    // The provider's image ARN has no account.
    a.insert(
        "arn".into(),
        arn(region, None, &format!("image/{id}")).into(),
    );
    a.insert("name".into(), image.name().into());
    a.insert("description".into(), image.description().into());
    a.insert(
        "architecture".into(),
        image.architecture().map(|v| v.as_str()).into(),
    );
    a.insert(
        "virtualization_type".into(),
        image.virtualization_type().map(|v| v.as_str()).into(),
    );
    a.insert("root_device_name".into(), image.root_device_name().into());
    a.insert("ena_support".into(), image.ena_support().into());
    a.insert("sriov_net_support".into(), image.sriov_net_support().into());
    a.insert(
        "boot_mode".into(),
        image.boot_mode().map(|v| v.as_str()).into(),
    );
    a.insert(
        "imds_support".into(),
        image.imds_support().map(|v| v.as_str()).into(),
    );
    a.insert(
        "tpm_support".into(),
        image.tpm_support().map(|v| v.as_str()).into(),
    );
    let root = image.root_device_name();
    let root_snapshot = image
        .block_device_mappings()
        .iter()
        .find(|m| root.is_some() && m.device_name() == root)
        .and_then(|m| m.ebs())
        .and_then(|e| e.snapshot_id());
    a.insert("root_snapshot_id".into(), root_snapshot.into());
    a.insert("kernel_id".into(), image.kernel_id().into());
    a.insert("ramdisk_id".into(), image.ramdisk_id().into());
    a.insert("owner_id".into(), image.owner_id().into());
    a.insert("tags".into(), tag_map(image.tags()));
    a
}

/// An `aws_ebs_snapshot` as the provider records it.
pub fn snapshot_attributes(snapshot: &Snapshot, region: &str) -> Attributes {
    let id = snapshot.snapshot_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("snapshot/{id}")).into(),
    );
    a.insert("volume_id".into(), snapshot.volume_id().into());
    a.insert("volume_size".into(), snapshot.volume_size().into());
    a.insert("description".into(), snapshot.description().into());
    a.insert("encrypted".into(), snapshot.encrypted().into());
    a.insert("kms_key_id".into(), snapshot.kms_key_id().into());
    a.insert(
        "storage_tier".into(),
        snapshot.storage_tier().map(|t| t.as_str()).into(),
    );
    a.insert("outpost_arn".into(), snapshot.outpost_arn().into());
    a.insert("owner_id".into(), snapshot.owner_id().into());
    a.insert("tags".into(), tag_map(snapshot.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{
        ArchitectureValues, BlockDeviceMapping, BootModeValues, EbsBlockDevice, ImdsSupportValues,
        StorageTier, Tag, TpmSupportValues, VirtualizationType,
    };
    let region = "us-east-1";
    let image = Image::builder()
        .image_id("ami-1")
        .name("app-image")
        .description("the app")
        .architecture(ArchitectureValues::X8664)
        .virtualization_type(VirtualizationType::Hvm)
        .root_device_name("/dev/xvda")
        .block_device_mappings(
            BlockDeviceMapping::builder()
                .device_name("/dev/xvda")
                .ebs(EbsBlockDevice::builder().snapshot_id("snap-1").build())
                .build(),
        )
        .ena_support(true)
        .sriov_net_support("simple")
        .boot_mode(BootModeValues::Uefi)
        .imds_support(ImdsSupportValues::V20)
        .tpm_support(TpmSupportValues::V20)
        .kernel_id("aki-1")
        .ramdisk_id("ari-1")
        .owner_id("111122223333")
        .tags(Tag::builder().key("Name").value("app").build())
        .build();
    let image = Sample::regional(TYPE, "ami-1", region, attributes(&image, region));
    let snapshot = Snapshot::builder()
        .snapshot_id("snap-2")
        .volume_id("vol-1")
        .volume_size(8)
        .description("nightly")
        .encrypted(true)
        .kms_key_id("arn:aws:kms:us-east-1:111122223333:key/k-1")
        .storage_tier(StorageTier::Standard)
        .outpost_arn("arn:aws:outposts:us-east-1:111122223333:outpost/op-1")
        .owner_id("111122223333")
        .tags(Tag::builder().key("Name").value("nightly").build())
        .build();
    vec![
        image,
        Sample::regional(
            SNAPSHOT,
            "snap-2",
            region,
            snapshot_attributes(&snapshot, region),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{BlockDeviceMapping, EbsBlockDevice};

    #[test]
    fn a_snapshot_backing_an_image_is_the_images() {
        let image = Image::builder()
            .image_id("ami-1")
            .root_device_name("/dev/xvda")
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/xvda")
                    .ebs(EbsBlockDevice::builder().snapshot_id("snap-root").build())
                    .build(),
            )
            .block_device_mappings(
                BlockDeviceMapping::builder()
                    .device_name("/dev/sdf")
                    .ebs(EbsBlockDevice::builder().snapshot_id("snap-data").build())
                    .build(),
            )
            .build();
        let b = backing(std::slice::from_ref(&image));
        assert_eq!(b.get("snap-root"), Some(&"ami-1"));
        assert_eq!(b.get("snap-data"), Some(&"ami-1"));
        assert_eq!(b.get("snap-other"), None);
        assert_eq!(
            attributes(&image, "us-east-1")["root_snapshot_id"],
            "snap-root".into()
        );
    }
}
