//! Virtual private gateways and their VPC attachments, from one DescribeVpnGateways (the API
//! does not page): `aws_vpn_gateway` and `aws_vpn_gateway_attachment`.
//!
//! A gateway is attached to at most one VPC; the provider records that VPC on the gateway
//! (`vpc_id`) unless an `aws_vpn_gateway_attachment` attaches it (`managed_by` in the spec). An
//! attachment is its gateway's `vpc_id` seen from the other side: the provider cannot import
//! one, and an unrecorded attachment is shown as its gateway's change (or in its unmanaged
//! gateway), never as an unmanaged object of its own (`Owner::Aws`); a recorded one is compared.
//! Its id is the provider's: `vpn-attachment-` and the CRC-32 (hex) of `VPC-GATEWAY`.

use aws_sdk_ec2::types::{VpcAttachment, VpnGateway};

use super::{Cx, Found, Listed, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner, Value};
use crate::provider::aws::calls::{failure_reason, gap};

const GATEWAY: &str = "aws_vpn_gateway";
const ATTACHMENT: &str = "aws_vpn_gateway_attachment";
const TYPES: &[&str] = &[GATEWAY, ATTACHMENT];

pub const UNIT: Unit = Unit::new("VPN gateways", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        // Attachments are not asked for by id (theirs is the provider's); a gateway is.
        let filters = if cx.wants(ATTACHMENT) {
            vec![None]
        } else {
            cx.id_filters(GATEWAY, "vpn-gateway-id")
        };
        let mut gateways = Vec::new();
        for filter in filters {
            match cx
                .client
                .describe_vpn_gateways()
                .set_filters(filter.map(|f| vec![f]))
                .send()
                .await
            {
                Ok(out) => gateways.extend(out.vpn_gateways.unwrap_or_default()),
                Err(e) => {
                    return Found::gap(gap(
                        "ec2",
                        Some(&cx.region),
                        "DescribeVpnGateways",
                        TYPES,
                        failure_reason(&e),
                    ));
                }
            }
        }
        let mut found = Found::default();
        let only = cx.only(GATEWAY);
        for gateway in gateways.iter().filter(|g| is_live(g)) {
            let Some(id) = gateway.vpn_gateway_id() else {
                continue;
            };
            if cx.wants(GATEWAY) && only.is_none_or(|ids| ids.contains(id)) {
                found.resources.push(cx.view(
                    GATEWAY,
                    id,
                    Owner::User,
                    attributes(gateway, &cx.region),
                ));
            }
            if cx.wants(ATTACHMENT) {
                for attachment in gateway.vpc_attachments() {
                    if let Some(a) = attachment_attributes(id, attachment) {
                        let cloud_id = a["id"].scalar_text().unwrap_or_default();
                        found.resources.push(cx.view(
                            ATTACHMENT,
                            &cloud_id,
                            Owner::Aws(format!("the VPC of VPN gateway {id} (its vpc_id)")),
                            a,
                        ));
                    }
                }
            }
        }
        found
    })
}

/// Not deleted or being deleted (the provider reads those as gone).
fn is_live(gateway: &VpnGateway) -> bool {
    !gateway
        .state()
        .is_some_and(|s| matches!(s.as_str(), "deleted" | "deleting"))
}

/// Attached or attaching.
fn is_attached(attachment: &VpcAttachment) -> bool {
    attachment
        .state()
        .is_some_and(|s| matches!(s.as_str(), "attached" | "attaching"))
}

/// An `aws_vpn_gateway` as the provider records it.
pub fn attributes(gateway: &VpnGateway, region: &str) -> Attributes {
    let id = gateway.vpn_gateway_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("vpn-gateway/{id}")).into(),
    );
    // The provider records the ASN as a string.
    a.insert(
        "amazon_side_asn".into(),
        gateway
            .amazon_side_asn()
            .map(|n| n.to_string())
            .unwrap_or_default()
            .into(),
    );
    a.insert(
        "availability_zone".into(),
        gateway.availability_zone().unwrap_or("").into(),
    );
    let vpc = gateway
        .vpc_attachments()
        .iter()
        .filter(|at| is_attached(at))
        .find_map(|at| at.vpc_id())
        .unwrap_or("");
    a.insert("vpc_id".into(), vpc.into());
    a.insert("tags".into(), tag_map(gateway.tags()));
    a
}

/// An `aws_vpn_gateway_attachment` as the provider records it, for an attachment in place.
pub fn attachment_attributes(gateway: &str, attachment: &VpcAttachment) -> Option<Attributes> {
    if !is_attached(attachment) {
        return None;
    }
    let vpc = attachment.vpc_id()?;
    let mut a = Attributes::new();
    a.insert("id".into(), attachment_id(vpc, gateway).into());
    a.insert("vpc_id".into(), vpc.into());
    a.insert("vpn_gateway_id".into(), Value::from(gateway));
    Some(a)
}

/// The provider's id: `vpn-attachment-` and `%x` of the CRC-32 of `VPC-GATEWAY`.
pub fn attachment_id(vpc: &str, gateway: &str) -> String {
    format!(
        "vpn-attachment-{:x}",
        super::crc32(format!("{vpc}-{gateway}").as_bytes())
    )
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{AttachmentStatus, Tag};
    let region = "us-east-1";
    let attachment = VpcAttachment::builder()
        .vpc_id("vpc-1")
        .state(AttachmentStatus::Attached)
        .build();
    let gateway = VpnGateway::builder()
        .vpn_gateway_id("vgw-1")
        .amazon_side_asn(64512)
        .availability_zone("us-east-1a")
        .state(aws_sdk_ec2::types::VpnState::Available)
        .vpc_attachments(attachment.clone())
        .tags(Tag::builder().key("Name").value("vgw").build())
        .build();
    let attached = attachment_attributes("vgw-1", &attachment).expect("attached");
    let id = attached["id"].scalar_text().unwrap_or_default();
    vec![
        Sample::regional(GATEWAY, "vgw-1", region, attributes(&gateway, region)),
        // The provider has no importer for an attachment (see the module comment).
        Sample {
            resource: super::view(
                ATTACHMENT,
                &id,
                true,
                region,
                Owner::Aws("the VPC of VPN gateway vgw-1 (its vpc_id)".into()),
                attached,
            ),
            import_id: String::new(),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::AttachmentStatus;

    #[test]
    fn attachment_id_is_the_providers() {
        // Recorded by terraform + provider 5.100 for this attachment (fixtures/live/interfaces).
        assert_eq!(
            attachment_id("vpc-91d5148bd239c51ce", "vgw-83cad5b8c2c63f0ce"),
            "vpn-attachment-6a2fa9c6"
        );
    }

    #[test]
    fn a_detached_vpc_is_no_attachment_and_no_vpc_id() {
        let detached = VpcAttachment::builder()
            .vpc_id("vpc-1")
            .state(AttachmentStatus::Detached)
            .build();
        assert!(attachment_attributes("vgw-1", &detached).is_none());
        let gateway = VpnGateway::builder()
            .vpn_gateway_id("vgw-1")
            .vpc_attachments(detached)
            .build();
        assert_eq!(attributes(&gateway, "us-east-1")["vpc_id"], Value::str(""));
        let deleted = VpnGateway::builder()
            .state(aws_sdk_ec2::types::VpnState::Deleted)
            .build();
        assert!(!is_live(&deleted));
    }
}
