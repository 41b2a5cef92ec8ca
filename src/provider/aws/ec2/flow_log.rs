//! `aws_flow_log`: DescribeFlowLogs. A flow log cannot be changed once made (only its tags): a
//! changed attribute is terraform's to replace. The provider records the flow log's resource
//! in the attribute its id names (`vpc-` in `vpc_id`, `subnet-` in `subnet_id`, `eni-` in
//! `eni_id`, `tgw-attach-` in `transit_gateway_attachment_id`, `tgw-` in
//! `transit_gateway_id`), the others null.

use aws_sdk_ec2::types::FlowLog;

use super::{Cx, Found, Listed, PAGE, Sample, Unit, arn, tag_map};
use crate::model::{Attributes, Value};

const TYPE: &str = "aws_flow_log";
const TYPES: &[&str] = &[TYPE];

/// The attribute each resource id prefix is recorded in (longest prefix first).
const RESOURCE_ATTRIBUTES: &[(&str, &str)] = &[
    ("tgw-attach-", "transit_gateway_attachment_id"),
    ("tgw-", "transit_gateway_id"),
    ("vpc-", "vpc_id"),
    ("subnet-", "subnet_id"),
    ("eni-", "eni_id"),
];

pub const UNIT: Unit = Unit::new("flow logs", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let logs = pages_by!(
            cx,
            "DescribeFlowLogs",
            TYPES,
            cx.id_filters(TYPE, "flow-log-id"),
            vec![],
            |f| cx
                .client
                .describe_flow_logs()
                .max_results(PAGE)
                .set_filter(f),
            flow_logs
        );
        let logs = match logs {
            Ok(logs) => logs,
            Err(gap) => return Found::gap(gap),
        };
        cx.views(TYPE, &logs, FlowLog::flow_log_id, |log| {
            attributes(log, &cx.region)
        })
    })
}

/// An `aws_flow_log` as the provider records it.
pub fn attributes(log: &FlowLog, region: &str) -> Attributes {
    let id = log.flow_log_id().unwrap_or_default();
    let text = |v: Option<&str>| v.unwrap_or("").to_string();
    let mut a = Attributes::new();
    a.insert("id".into(), id.into());
    a.insert(
        "arn".into(),
        arn(region, None, &format!("vpc-flow-log/{id}")).into(),
    );
    let resource = log.resource_id().unwrap_or_default();
    for (_, attribute) in RESOURCE_ATTRIBUTES {
        a.entry((*attribute).to_string()).or_insert(Value::Null);
    }
    if let Some((_, attribute)) = RESOURCE_ATTRIBUTES
        .iter()
        .find(|(prefix, _)| resource.starts_with(prefix))
    {
        a.insert((*attribute).to_string(), resource.into());
    }
    a.insert(
        "traffic_type".into(),
        log.traffic_type().map(|t| t.as_str()).into(),
    );
    a.insert(
        "log_destination_type".into(),
        log.log_destination_type().map(|t| t.as_str()).into(),
    );
    a.insert("log_destination".into(), text(log.log_destination()).into());
    a.insert("log_group_name".into(), text(log.log_group_name()).into());
    a.insert(
        "iam_role_arn".into(),
        text(log.deliver_logs_permission_arn()).into(),
    );
    a.insert(
        "deliver_cross_account_role".into(),
        text(log.deliver_cross_account_role()).into(),
    );
    a.insert("log_format".into(), text(log.log_format()).into());
    a.insert(
        "max_aggregation_interval".into(),
        log.max_aggregation_interval().into(),
    );
    let options: Vec<Value> = log
        .destination_options()
        .map(|o| {
            let mut m = std::collections::BTreeMap::new();
            m.insert(
                "file_format".to_string(),
                Value::from(o.file_format().map(|f| f.as_str()).unwrap_or("")),
            );
            m.insert(
                "hive_compatible_partitions".to_string(),
                Value::from(o.hive_compatible_partitions().unwrap_or(false)),
            );
            m.insert(
                "per_hour_partition".to_string(),
                Value::from(o.per_hour_partition().unwrap_or(false)),
            );
            Value::Map(m)
        })
        .into_iter()
        .collect();
    a.insert("destination_options".into(), Value::List(options));
    a.insert("tags".into(), tag_map(log.tags()));
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{
        DestinationFileFormat, DestinationOptionsResponse, LogDestinationType, Tag, TrafficType,
    };
    let region = "us-east-1";
    let log = |id: &str, resource: &str| {
        FlowLog::builder()
            .flow_log_id(id)
            .resource_id(resource)
            .traffic_type(TrafficType::All)
            .log_destination_type(LogDestinationType::S3)
            .log_destination("arn:aws:s3:::flow-logs")
            .log_group_name("flow-logs")
            .deliver_logs_permission_arn("arn:aws:iam::111122223333:role/flow-logs")
            .deliver_cross_account_role("arn:aws:iam::444455556666:role/deliver")
            .log_format("${version} ${srcaddr}")
            .max_aggregation_interval(60)
            .destination_options(
                DestinationOptionsResponse::builder()
                    .file_format(DestinationFileFormat::Parquet)
                    .hive_compatible_partitions(true)
                    .per_hour_partition(true)
                    .build(),
            )
            .tags(Tag::builder().key("Name").value("vpc").build())
            .build()
    };
    // One flow log per kind of resource, each recorded in its own attribute.
    let mut out = vec![Sample::regional(
        TYPE,
        "fl-1",
        region,
        attributes(&log("fl-1", "vpc-1"), region),
    )];
    for (n, resource) in ["subnet-1", "eni-1", "tgw-1", "tgw-attach-1"]
        .into_iter()
        .enumerate()
    {
        let id = format!("fl-{}", n + 2);
        let other = log(&id, resource);
        out.push(Sample::regional(
            TYPE,
            &id,
            region,
            attributes(&other, region),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_resource_is_recorded_in_the_attribute_its_id_names() {
        let of = |resource: &str| {
            attributes(
                &FlowLog::builder()
                    .flow_log_id("fl-1")
                    .resource_id(resource)
                    .build(),
                "us-east-1",
            )
        };
        let a = of("tgw-attach-1");
        assert_eq!(
            a["transit_gateway_attachment_id"],
            Value::str("tgw-attach-1")
        );
        assert_eq!(a["transit_gateway_id"], Value::Null);
        let a = of("subnet-1");
        assert_eq!(a["subnet_id"], Value::str("subnet-1"));
        assert_eq!(a["vpc_id"], Value::Null);
        assert_eq!(of("eni-1")["eni_id"], Value::str("eni-1"));
        assert_eq!(of("tgw-1")["transit_gateway_id"], Value::str("tgw-1"));
    }
}
