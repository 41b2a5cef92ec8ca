//! `aws_egress_only_internet_gateway`: DescribeEgressOnlyInternetGateways. The provider records
//! the one VPC it is attached to (`vpc_id`).

use aws_sdk_ec2::types::EgressOnlyInternetGateway;

use super::{Cx, Found, Listed, Sample, Unit, tag_map};
use crate::model::Attributes;

const TYPE: &str = "aws_egress_only_internet_gateway";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit::new("egress-only internet gateways", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let gateways = pages!(
            cx,
            "DescribeEgressOnlyInternetGateways",
            TYPES,
            // This API takes at most 255 results a page.
            cx.client
                .describe_egress_only_internet_gateways()
                .max_results(255),
            egress_only_internet_gateways
        );
        gateways.map_or_else(Found::gap, |gateways| {
            cx.views(
                TYPE,
                &gateways,
                EgressOnlyInternetGateway::egress_only_internet_gateway_id,
                attributes,
            )
        })
    })
}

/// An `aws_egress_only_internet_gateway` as the provider records it.
pub fn attributes(gateway: &EgressOnlyInternetGateway) -> Attributes {
    let mut a = Attributes::new();
    a.insert(
        "id".into(),
        gateway.egress_only_internet_gateway_id().into(),
    );
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
    let gateway = EgressOnlyInternetGateway::builder()
        .egress_only_internet_gateway_id("eigw-1")
        .attachments(
            InternetGatewayAttachment::builder()
                .vpc_id("vpc-1")
                .state(aws_sdk_ec2::types::AttachmentStatus::Attached)
                .build(),
        )
        .tags(Tag::builder().key("Name").value("main").build())
        .build();
    vec![Sample::regional(
        TYPE,
        "eigw-1",
        "us-east-1",
        attributes(&gateway),
    )]
}
