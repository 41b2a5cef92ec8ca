//! `aws_internet_gateway`: DescribeInternetGateways. The provider records the one VPC a gateway
//! is attached to (`vpc_id`, "" when detached); the gateway's `attachments` list holds at most
//! one VPC.

use aws_sdk_ec2::types::InternetGateway;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};

const TYPE: &str = "aws_internet_gateway";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit {
    label: "internet gateways",
    types: TYPES,
    list,
    samples,
    reverts: &[],
    operations: &[],
    execute: super::executes_nothing,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        // Every gateway of the region, or the asked ones by id.
        let gateways = pages_by!(
            cx,
            "DescribeInternetGateways",
            TYPES,
            super::id_filters(cx.asked(TYPES).as_ref(), "internet-gateway-id"),
            Vec::new(),
            |filters| cx
                .client
                .describe_internet_gateways()
                .max_results(PAGE)
                .set_filters(filters),
            internet_gateways
        );
        match gateways {
            Ok(gateways) => emit(cx, &gateways),
            Err(gap) => Found::gap(gap),
        }
    })
}

fn emit(cx: &Cx, gateways: &[InternetGateway]) -> Found {
    let mut found = Found::default();
    for gateway in gateways {
        let Some(id) = gateway.internet_gateway_id() else {
            continue;
        };
        let attributes = attributes(gateway, &cx.region);
        found
            .resources
            .push(cx.view(TYPE, id, Owner::User, attributes));
    }
    found
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
    vec![Sample {
        resource: super::view(
            TYPE,
            "igw-1",
            true,
            region,
            Owner::User,
            attributes(&gateway, region),
        ),
        import_id: "igw-1".into(),
    }]
}
