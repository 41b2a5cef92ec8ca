//! `aws_internet_gateway`: DescribeInternetGateways. The provider records the one VPC a gateway
//! is attached to (`vpc_id`, "" when detached); the gateway's `attachments` list holds at most
//! one VPC.

use aws_sdk_ec2::types::InternetGateway;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::Attributes;

const TYPE: &str = "aws_internet_gateway";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit::new("internet gateways", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        // Every gateway of the region, or the asked ones by id.
        let gateways = pages_by!(
            cx,
            "DescribeInternetGateways",
            TYPES,
            super::id_filters(cx.asked(TYPES).as_ref(), "internet-gateway-id"),
            describe_internet_gateways,
            internet_gateways
        );
        gateways.map_or_else(Found::gap, |gateways| {
            cx.views(TYPE, &gateways, InternetGateway::internet_gateway_id, |g| {
                attributes(g, &cx.region)
            })
        })
    })
}

/// An `aws_internet_gateway` as the provider records it.
pub fn attributes(gateway: &InternetGateway, region: &str) -> Attributes {
    let id = gateway.internet_gateway_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(
            region,
            gateway.owner_id(),
            &format!("internet-gateway/{id}"),
        )
        .into(),
    );
    a.insert("owner_id".into(), gateway.owner_id().into());
    let vpc = gateway
        .attachments()
        .iter()
        .find_map(|attachment| attachment.vpc_id())
        .unwrap_or("");
    a.insert("vpc_id".into(), vpc.into());
    a.insert("tags".into(), tag_map(gateway.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{InternetGatewayAttachment, Tag};
    let region = "us-east-1";
    let gateway = InternetGateway::builder()
        .internet_gateway_id("igw-1")
        .owner_id("111122223333")
        .attachments(
            InternetGatewayAttachment::builder()
                .vpc_id("vpc-1")
                .state(aws_sdk_ec2::types::AttachmentStatus::from("available"))
                .build(),
        )
        .tags(Tag::builder().key("Name").value("main").build())
        .build();
    vec![Sample::regional(
        TYPE,
        "igw-1",
        region,
        attributes(&gateway, region),
    )]
}
