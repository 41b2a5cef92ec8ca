//! `aws_customer_gateway`: DescribeCustomerGateways (not paginated: the API returns every
//! gateway at once). A deleted gateway stays listed for a while in state `deleted`: it is gone,
//! and left out. Read by id under `only` (`customer-gateway-id`).

use aws_sdk_ec2::types::CustomerGateway;

use super::{Cx, Found, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

const TYPE: &str = "aws_customer_gateway";
const TYPES: &[&str] = &[TYPE];

pub const UNIT: Unit = Unit::new("customer gateways", TYPES, list, samples);

fn list(cx: &Cx) -> super::Listed<'_> {
    Box::pin(async move {
        // Every gateway, or under `only` the named ones (`customer-gateway-id`, one call per
        // batch of ids).
        let mut gateways = Vec::new();
        for filter in cx.id_filters(TYPE, "customer-gateway-id") {
            let read = cx
                .client
                .describe_customer_gateways()
                .set_filters(filter.map(|f| vec![f]))
                .send()
                .await;
            match read {
                Ok(out) => gateways.extend(out.customer_gateways.unwrap_or_default()),
                Err(e) => {
                    return Found::gap(gap(
                        "ec2",
                        Some(&cx.region),
                        "DescribeCustomerGateways",
                        TYPES,
                        failure_reason(&e),
                    ));
                }
            }
        }
        emit(cx, &gateways)
    })
}

fn emit(cx: &Cx, gateways: &[CustomerGateway]) -> Found {
    let mut found = Found::default();
    for gateway in gateways {
        let Some(id) = gateway.customer_gateway_id() else {
            continue;
        };
        if matches!(gateway.state(), Some("deleted" | "deleting")) {
            continue;
        }
        let a = attributes(gateway, &cx.region);
        found.resources.push(cx.view(TYPE, id, Owner::User, a));
    }
    found
}

/// An `aws_customer_gateway` as the provider records it (the API returns no owner: the ARN's
/// account is left empty, and the ARN is not compared).
pub fn attributes(gateway: &CustomerGateway, region: &str) -> Attributes {
    let id = gateway.customer_gateway_id().unwrap_or_default();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("customer-gateway/{id}")).into(),
    );
    a.insert("bgp_asn".into(), gateway.bgp_asn().into());
    a.insert("bgp_asn_extended".into(), gateway.bgp_asn_extended().into());
    a.insert("certificate_arn".into(), gateway.certificate_arn().into());
    a.insert("device_name".into(), gateway.device_name().into());
    a.insert("ip_address".into(), gateway.ip_address().into());
    a.insert("type".into(), gateway.r#type().into());
    a.insert("tags".into(), tag_map(gateway.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::Tag;
    let region = "us-east-1";
    let gateway = CustomerGateway::builder()
        .customer_gateway_id("cgw-1")
        .bgp_asn("65000")
        .bgp_asn_extended("4200000000")
        .certificate_arn("arn:aws:acm:us-east-1:111122223333:certificate/abc")
        .device_name("office-router")
        .ip_address("198.51.100.1")
        .r#type("ipsec.1")
        .state("available")
        .tags(Tag::builder().key("Name").value("office").build())
        .build();
    vec![Sample::regional(
        TYPE,
        "cgw-1",
        region,
        attributes(&gateway, region),
    )]
}
