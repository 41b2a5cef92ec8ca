//! `aws_vpc_peering_connection`: DescribeVpcPeeringConnections. The provider records the
//! requester's side: `vpc_id` is the requester VPC, `peer_*` the accepter's, and `accepter` /
//! `requester` each side's options as one block (`allow_remote_vpc_dns_resolution`), none when
//! EC2 returns no options for that side (a connection not yet active).
//!
//! A connection is listed by both regions (and accounts) it joins; it is an
//! `aws_vpc_peering_connection` in the requester's region only (in the accepter's it is an
//! `aws_vpc_peering_connection_accepter`, which driftgate does not observe yet). Connections
//! that are gone or never came up (`deleted`, `rejected`, `failed`, `expired`, and the
//! transitions to them), which EC2 keeps listing for a while, are not there.

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{
    PeeringConnectionOptionsRequest, VpcPeeringConnection, VpcPeeringConnectionOptionsDescription,
};

use super::{Args, Cx, Executed, Found, Listed, PAGE, Sample, Unit, call_error, tag_map, text_arg};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use crate::model::{Attributes, Owner, Value};

const TYPE: &str = "aws_vpc_peering_connection";
const TYPES: &[&str] = &[TYPE];

/// The option the provider records in each side's block.
const DNS: &str = "allow_remote_vpc_dns_resolution";

pub const UNIT: Unit = Unit::new("VPC peering connections", TYPES, list, samples).calls(
    &[UnitRevert::new("peering_options", TYPES, plan_options)],
    &["ModifyVpcPeeringConnectionOptions"],
    execute,
);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let connections = pages_by!(
            cx,
            "DescribeVpcPeeringConnections",
            TYPES,
            cx.id_filters(TYPE, "vpc-peering-connection-id"),
            describe_vpc_peering_connections,
            vpc_peering_connections
        );
        connections.map_or_else(Found::gap, |connections| emit(cx, &connections))
    })
}

fn emit(cx: &Cx, connections: &[VpcPeeringConnection]) -> Found {
    let mut found = Found::default();
    for connection in connections {
        let Some(id) = connection.vpc_peering_connection_id() else {
            continue;
        };
        // moto gap: moto ignores `Filters` here and answers every connection.
        if cx.only(TYPE).is_some_and(|ids| !ids.contains(id)) {
            continue;
        }
        if !is_up(connection) || !requested_in(connection, &cx.region) {
            continue;
        }
        found
            .resources
            .push(cx.view(TYPE, id, Owner::User, attributes(connection, &cx.region)));
    }
    found
}

/// Whether a connection exists (asked for, being set up or active), as opposed to one EC2
/// still lists after it was deleted, rejected, failed or expired.
fn is_up(connection: &VpcPeeringConnection) -> bool {
    connection
        .status()
        .and_then(|s| s.code())
        .is_none_or(|code| {
            matches!(
                code.as_str(),
                "initiating-request" | "pending-acceptance" | "provisioning" | "active"
            )
        })
}

/// Whether this region holds the requester's side (a connection without a region is taken as
/// this region's).
fn requested_in(connection: &VpcPeeringConnection, region: &str) -> bool {
    connection
        .requester_vpc_info()
        .and_then(|r| r.region())
        .is_none_or(|r| r == region)
}

/// One side's options as the provider records them: one block, or none.
fn options_block(options: Option<&VpcPeeringConnectionOptionsDescription>) -> Value {
    match options {
        Some(o) => Value::List(vec![Value::Map(Attributes::from([(
            DNS.to_string(),
            Value::Bool(o.allow_dns_resolution_from_remote_vpc().unwrap_or(false)),
        )]))]),
        None => Value::List(Vec::new()),
    }
}

/// An `aws_vpc_peering_connection` as the provider records it.
pub fn attributes(connection: &VpcPeeringConnection, region: &str) -> Attributes {
    let requester = connection.requester_vpc_info();
    let accepter = connection.accepter_vpc_info();
    let mut a = Attributes::new();
    a.insert("id".into(), connection.vpc_peering_connection_id().into());
    a.insert("vpc_id".into(), requester.and_then(|r| r.vpc_id()).into());
    a.insert(
        "peer_vpc_id".into(),
        accepter.and_then(|r| r.vpc_id()).into(),
    );
    a.insert(
        "peer_owner_id".into(),
        accepter.and_then(|r| r.owner_id()).into(),
    );
    a.insert(
        "peer_region".into(),
        accepter.and_then(|r| r.region()).unwrap_or(region).into(),
    );
    a.insert(
        "accept_status".into(),
        connection
            .status()
            .and_then(|s| s.code())
            .map(|c| c.as_str())
            .into(),
    );
    a.insert(
        "accepter".into(),
        options_block(accepter.and_then(|r| r.peering_options())),
    );
    a.insert(
        "requester".into(),
        options_block(requester.and_then(|r| r.peering_options())),
    );
    a.insert("tags".into(), tag_map(connection.tags()));
    a
}

// ---- reverts ---------------------------------------------------------------------------------

/// The recorded DNS option of one side (`accepter` / `requester`): off when the state records
/// no block (the provider's default).
fn recorded_dns(input: &RevertInput<'_>, side: &str) -> Result<bool, String> {
    match input.recorded.attributes.get(side) {
        Some(v) if v.contains_sensitive() => Err(format!("`{side}` is sensitive in the state")),
        None | Some(Value::Null) => Ok(false),
        Some(v) => match v.as_list() {
            Some([]) => Ok(false),
            Some([block]) => block
                .get(DNS)
                .and_then(Value::as_bool)
                .ok_or_else(|| format!("the recorded `{side}` block has no `{DNS}`")),
            _ => Err(format!("`{side}` is not recorded as one block")),
        },
    }
}

/// Each changed side's options set back to the recorded ones
/// (ModifyVpcPeeringConnectionOptions, one call for both sides).
fn plan_options(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let id = input.recorded_text("id")?;
    let mut call = UnitCall::new("ec2", "ModifyVpcPeeringConnectionOptions", &id)
        .arg("vpc_peering_connection_id", Arg::text(&id));
    for c in input.changes {
        let side = match c.path.attribute() {
            Some(side @ ("accepter" | "requester")) => side,
            other => return Err(format!("not a side's options: {other:?}")),
        };
        call = call.arg(
            &format!("{side}_allow_dns_resolution_from_remote_vpc"),
            Arg::Value(Value::Bool(recorded_dns(input, side)?)),
        );
    }
    Ok(vec![call])
}

/// A side's options from the call's arguments, when it names that side.
fn side_options(args: &Args, side: &str) -> Option<PeeringConnectionOptionsRequest> {
    let allow = args
        .get(&format!("{side}_allow_dns_resolution_from_remote_vpc"))
        .and_then(Value::as_bool)?;
    Some(
        PeeringConnectionOptionsRequest::builder()
            .allow_dns_resolution_from_remote_vpc(allow)
            .build(),
    )
}

fn execute<'a>(client: &'a Client, call: &'a UnitCall, args: &'a Args) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            "ModifyVpcPeeringConnectionOptions" => client
                .modify_vpc_peering_connection_options()
                .vpc_peering_connection_id(text_arg(args, "vpc_peering_connection_id")?)
                .set_accepter_peering_connection_options(side_options(args, "accepter"))
                .set_requester_peering_connection_options(side_options(args, "requester"))
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            other => Err(format!(
                "{other}: not an operation of the VPC peering connection unit"
            )),
        }
    })
}

fn samples() -> Vec<Sample> {
    use aws_sdk_ec2::types::{
        Tag, VpcPeeringConnectionStateReason, VpcPeeringConnectionStateReasonCode,
        VpcPeeringConnectionVpcInfo,
    };
    let region = "us-east-1";
    let side = |vpc: &str, allow: bool| {
        VpcPeeringConnectionVpcInfo::builder()
            .vpc_id(vpc)
            .owner_id("111122223333")
            .region("us-east-1")
            .cidr_block("10.0.0.0/16")
            .peering_options(
                VpcPeeringConnectionOptionsDescription::builder()
                    .allow_dns_resolution_from_remote_vpc(allow)
                    .build(),
            )
            .build()
    };
    let connection = VpcPeeringConnection::builder()
        .vpc_peering_connection_id("pcx-1")
        .requester_vpc_info(side("vpc-1", true))
        .accepter_vpc_info(side("vpc-2", true))
        .status(
            VpcPeeringConnectionStateReason::builder()
                .code(VpcPeeringConnectionStateReasonCode::Active)
                .build(),
        )
        .tags(Tag::builder().key("Name").value("peer").build())
        .build();
    vec![Sample::regional(
        TYPE,
        "pcx-1",
        region,
        attributes(&connection, region),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{
        VpcPeeringConnectionStateReason, VpcPeeringConnectionStateReasonCode,
        VpcPeeringConnectionVpcInfo,
    };

    fn connection(code: VpcPeeringConnectionStateReasonCode, region: &str) -> VpcPeeringConnection {
        VpcPeeringConnection::builder()
            .vpc_peering_connection_id("pcx-1")
            .requester_vpc_info(
                VpcPeeringConnectionVpcInfo::builder()
                    .vpc_id("vpc-1")
                    .region(region)
                    .build(),
            )
            .accepter_vpc_info(
                VpcPeeringConnectionVpcInfo::builder()
                    .vpc_id("vpc-2")
                    .region("eu-west-1")
                    .build(),
            )
            .status(
                VpcPeeringConnectionStateReason::builder()
                    .code(code)
                    .build(),
            )
            .build()
    }

    #[test]
    fn only_live_connections_of_the_requesters_region_are_observed() {
        use VpcPeeringConnectionStateReasonCode as C;
        for (code, up) in [
            (C::Active, true),
            (C::PendingAcceptance, true),
            (C::Provisioning, true),
            (C::Deleted, false),
            (C::Deleting, false),
            (C::Rejected, false),
            (C::Failed, false),
            (C::Expired, false),
        ] {
            assert_eq!(
                is_up(&connection(code.clone(), "us-east-1")),
                up,
                "{code:?}"
            );
        }
        let c = connection(C::Active, "us-east-1");
        assert!(requested_in(&c, "us-east-1"));
        // The accepter's region sees it too: not an aws_vpc_peering_connection there.
        assert!(!requested_in(&c, "eu-west-1"));
    }

    #[test]
    fn a_side_without_options_records_no_block() {
        let a = attributes(
            &connection(
                VpcPeeringConnectionStateReasonCode::PendingAcceptance,
                "us-east-1",
            ),
            "us-east-1",
        );
        assert_eq!(a["accepter"], Value::List(vec![]));
        assert_eq!(a["requester"], Value::List(vec![]));
        assert_eq!(a["peer_region"], Value::from("eu-west-1"));
        assert_eq!(a["accept_status"], Value::from("pending-acceptance"));
    }

    #[test]
    fn options_are_put_back_to_the_recorded_ones_side_by_side() {
        use crate::model::{
            Address, Change, Drift, DriftKind, Path, RecordedResource, StateSource,
        };
        let block = |on: bool| {
            Value::List(vec![Value::Map(Attributes::from([(
                DNS.to_string(),
                Value::Bool(on),
            )]))])
        };
        let recorded = RecordedResource {
            address: Address::managed(TYPE, "this"),
            resource_type: TYPE.into(),
            provider: String::new(),
            state: StateSource("terraform.tfstate".into()),
            schema_version: 0,
            attributes: Attributes::from([
                ("id".to_string(), Value::from("pcx-1")),
                ("accepter".to_string(), block(false)),
                // No block recorded: the option is off.
                ("requester".to_string(), Value::List(vec![])),
            ]),
        };
        let changes = vec![
            Change::new(Path::root("accepter"), block(false), block(true)),
            Change::new(Path::root("requester"), Value::List(vec![]), block(true)),
        ];
        let drift = Drift {
            kind: DriftKind::Changed,
            resource_type: TYPE.into(),
            id: "pcx-1".into(),
            address: Some(Address::managed(TYPE, "this")),
            state: None,
            region: None,
            changes: changes.clone(),
            observed: None,
        };
        let refs: Vec<&Change> = changes.iter().collect();
        let input = RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &refs[..1],
        };
        let only_accepter = UnitCall::new("ec2", "ModifyVpcPeeringConnectionOptions", "pcx-1")
            .arg("vpc_peering_connection_id", Arg::text("pcx-1"))
            .arg(
                "accepter_allow_dns_resolution_from_remote_vpc",
                Arg::Value(Value::Bool(false)),
            );
        assert_eq!(plan_options(&input), Ok(vec![only_accepter.clone()]));
        let both = RevertInput {
            changes: &refs,
            ..input
        };
        assert_eq!(
            plan_options(&both),
            Ok(vec![only_accepter.arg(
                "requester_allow_dns_resolution_from_remote_vpc",
                Arg::Value(Value::Bool(false)),
            )])
        );
        // What the executor sends: only the sides the call names.
        let args: Args = [(
            "accepter_allow_dns_resolution_from_remote_vpc".to_string(),
            Value::Bool(false),
        )]
        .into();
        assert!(side_options(&args, "accepter").is_some());
        assert!(side_options(&args, "requester").is_none());
    }
}
