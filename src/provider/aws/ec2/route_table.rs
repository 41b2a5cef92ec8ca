//! Route tables and what hangs off them, from one DescribeRouteTables: `aws_route_table` (one
//! per table), `aws_default_route_table` (a second view of every table: the provider adopts a
//! table by its id), `aws_route` (one per route), `aws_route_table_association` (one per
//! subnet or gateway association) and `aws_main_route_table_association` (one per VPC).
//!
//! Ownership: a VPC's main table, its main association and every table's local route are made
//! by AWS with the VPC (`Owner::Aws`), as are the routes the provider does not let terraform
//! manage (propagated from a virtual private gateway, a gateway endpoint's prefix-list
//! routes, VPC Lattice's). A table's `route` holds what the provider records there: every
//! route but those.
//!
//! An `aws_route` is identified by its table and destination (`rtb-1_0.0.0.0/0`, the
//! provider's import id); an association by its subnet (or gateway), which a re-association
//! keeps while EC2 gives it a new association id.
//!
//! Under `only` (what `apply` re-observes) the tables are read by filter ([`Named`]): the
//! named tables by id, and the tables that now hold the named associations (by subnet, gateway,
//! or VPC for a main one), so a moved association is read where it is: changed, not missing.

use std::collections::BTreeSet;

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, Route, RouteOrigin, RouteTable, RouteTableAssociation};

use super::{Args, Cx, Executed, Found, Listed, PAGE, Sample, Unit, call_error, tag_map, text_arg};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use crate::model::{Attributes, ObservedResource, Owner, Value};
use crate::normalize::routes::canonical_routes;

const TABLE: &str = "aws_route_table";
const DEFAULT_TABLE: &str = "aws_default_route_table";
const ROUTE: &str = "aws_route";
const ASSOCIATION: &str = "aws_route_table_association";
const MAIN_ASSOCIATION: &str = "aws_main_route_table_association";
const TYPES: &[&str] = &[TABLE, DEFAULT_TABLE, ROUTE, ASSOCIATION, MAIN_ASSOCIATION];

pub const UNIT: Unit =
    Unit::new("route tables", TYPES, list, samples).calls(REVERTS, OPERATIONS, execute);

const REVERTS: &[UnitRevert] = &[
    UnitRevert::new("routes", &[TABLE, DEFAULT_TABLE], plan_routes),
    UnitRevert::new("route_target", &[ROUTE], plan_route_target),
    UnitRevert::new(
        "route_table_association",
        &[ASSOCIATION, MAIN_ASSOCIATION],
        plan_association,
    ),
];

const OPERATIONS: &[&str] = &[
    "CreateRoute",
    "DeleteRoute",
    "ReplaceRoute",
    "ReplaceRouteTableAssociation",
];

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        match read_tables(cx).await {
            Ok(tables) => {
                let mut found = Found::default();
                for table in &tables {
                    found.resources.extend(emit(table, &cx.region));
                }
                found
            }
            Err(gap) => Found::gap(gap),
        }
    })
}

/// The objects the request names (`only`, what `apply` re-observes), when it names those of
/// every asked type: the tables read by id (a table, its default-table view, the table of a
/// route), the subnets and gateways of the named associations and the VPCs of the named main
/// associations (an association is named by what identifies it: see `Touched::ids`).
#[derive(Debug, Default)]
struct Named {
    tables: BTreeSet<String>,
    subnets: BTreeSet<String>,
    gateways: BTreeSet<String>,
    vpcs: BTreeSet<String>,
}

impl Named {
    /// `None`: some asked type is read whole (every table of the region).
    fn of(cx: &Cx) -> Option<Named> {
        let mut named = Named::default();
        for t in TYPES.iter().filter(|t| cx.wants(t)) {
            let ids = cx.only(t)?.iter().cloned();
            match *t {
                // An association's identity is its subnet or its gateway (an internet or
                // virtual private gateway): EC2's id prefixes tell them apart.
                ASSOCIATION => {
                    let (subnets, gateways): (Vec<String>, Vec<String>) =
                        ids.partition(|id| id.starts_with("subnet-"));
                    named.subnets.extend(subnets);
                    named.gateways.extend(gateways);
                }
                MAIN_ASSOCIATION => named.vpcs.extend(ids),
                _ => named.tables.extend(ids),
            }
        }
        Some(named)
    }

    /// Whether a table is one the request names, or holds a named association: where a moved
    /// association is now, so that it is seen as changed rather than missing.
    fn matches(&self, table: &RouteTable) -> bool {
        table
            .route_table_id()
            .is_some_and(|id| self.tables.contains(id))
            || table
                .associations()
                .iter()
                .filter(|a| is_associated(a))
                .any(|a| {
                    a.subnet_id().is_some_and(|s| self.subnets.contains(s))
                        || a.gateway_id().is_some_and(|g| self.gateways.contains(g))
                        || (is_main(a) && table.vpc_id().is_some_and(|v| self.vpcs.contains(v)))
                })
    }
}

/// The region's route tables (one listing), or under `only` those [`Named`] names, read by
/// filter: `route-table-id`, `association.subnet-id`, `association.gateway-id`, and `vpc-id`
/// with `association.main` (a VPC's main table), batched, deduplicated.
async fn read_tables(cx: &Cx) -> Result<Vec<RouteTable>, crate::model::Gap> {
    let Some(named) = Named::of(cx) else {
        return pages_by!(
            cx,
            "DescribeRouteTables",
            TYPES,
            [None],
            describe_route_tables,
            route_tables
        );
    };
    let batches = super::id_filters(Some(&named.tables), "route-table-id")
        .into_iter()
        .chain(super::id_filters(
            Some(&named.subnets),
            "association.subnet-id",
        ))
        .chain(super::id_filters(
            Some(&named.gateways),
            "association.gateway-id",
        ));
    let mut tables = pages_by!(
        cx,
        "DescribeRouteTables",
        TYPES,
        batches,
        describe_route_tables,
        route_tables
    )?;
    let main = Filter::builder()
        .name("association.main")
        .values("true")
        .build();
    tables.extend(pages_by!(
        cx,
        "DescribeRouteTables",
        TYPES,
        super::id_filters(Some(&named.vpcs), "vpc-id"),
        vec![main.clone()],
        |filters| cx
            .client
            .describe_route_tables()
            .max_results(PAGE)
            .set_filters(filters),
        route_tables
    )?);
    let mut seen = BTreeSet::new();
    tables.retain(|t| named.matches(t) && seen.insert(t.route_table_id().map(str::to_string)));
    Ok(tables)
}

/// Every observed object of one table.
pub fn emit(table: &RouteTable, region: &str) -> Vec<ObservedResource> {
    let Some(id) = table.route_table_id() else {
        return Vec::new();
    };
    let view = |ty: &str, cloud_id: &str, primary: bool, owner: Owner, a: Attributes| {
        super::view(ty, cloud_id, primary, region, owner, a)
    };
    let mut out = Vec::new();
    let main = table.associations().iter().any(is_main);
    let owner = if main {
        Owner::Aws("main route table".into())
    } else {
        Owner::User
    };
    let attributes = table_attributes(table, region);
    let mut default = attributes.clone();
    default.insert("default_route_table_id".into(), id.into());
    out.push(view(TABLE, id, true, owner.clone(), attributes));
    out.push(view(DEFAULT_TABLE, id, false, owner, default));
    for route in table.routes() {
        let Some(destination) = destination(route) else {
            continue;
        };
        if is_propagated(route) {
            continue;
        }
        let owner = match aws_route(route) {
            Some(why) => Owner::Aws(why.into()),
            None => Owner::User,
        };
        let cloud_id = format!("{id}_{destination}");
        out.push(view(
            ROUTE,
            &cloud_id,
            true,
            owner,
            route_attributes(route, id),
        ));
    }
    for association in table.associations() {
        if !is_associated(association) {
            continue;
        }
        let Some(association_id) = association.route_table_association_id() else {
            continue;
        };
        let mut a = Attributes::new();
        a.insert("id".into(), association_id.into());
        a.insert("route_table_id".into(), id.into());
        if is_main(association) {
            a.insert("vpc_id".into(), table.vpc_id().into());
            out.push(view(
                MAIN_ASSOCIATION,
                association_id,
                true,
                Owner::Aws("main route table association".into()),
                a,
            ));
        } else {
            a.insert(
                "subnet_id".into(),
                association.subnet_id().unwrap_or("").into(),
            );
            a.insert(
                "gateway_id".into(),
                association.gateway_id().unwrap_or("").into(),
            );
            out.push(view(ASSOCIATION, association_id, true, Owner::User, a));
        }
    }
    out
}

fn is_main(association: &RouteTableAssociation) -> bool {
    association.main() == Some(true) && is_associated(association)
}

/// Associated (or associating): not one being or already taken apart. moto gap: moto may
/// leave out the state; an association it lists is then taken as associated.
fn is_associated(association: &RouteTableAssociation) -> bool {
    association
        .association_state()
        .and_then(|s| s.state())
        .is_none_or(|s| matches!(s.as_str(), "associated" | "associating"))
}

fn destination(route: &Route) -> Option<&str> {
    route
        .destination_cidr_block()
        .or(route.destination_ipv6_cidr_block())
        .or(route.destination_prefix_list_id())
        .filter(|d| !d.is_empty())
}

fn is_propagated(route: &Route) -> bool {
    route.origin() == Some(&RouteOrigin::EnableVgwRoutePropagation)
}

/// Why a route is AWS's rather than the account's, if it is.
fn aws_route(route: &Route) -> Option<&'static str> {
    match route.gateway_id().unwrap_or("") {
        "local" => Some("local route"),
        "VpcLattice" => Some("VPC Lattice route"),
        g if g.starts_with("vpce-") && route.destination_prefix_list_id().is_some() => {
            Some("gateway endpoint route")
        }
        _ => None,
    }
}

/// An `aws_route_table` as the provider records it. `route` holds the routes the provider
/// records (not local, propagated, gateway endpoint or VPC Lattice routes), each block with
/// only the fields EC2 set (the `routes` compare mode makes `""` and absent one).
pub fn table_attributes(table: &RouteTable, region: &str) -> Attributes {
    let id = table.route_table_id().unwrap_or_default();
    let owner = table.owner_id();
    let mut a = super::vpc_object(region, ("route-table", id), owner, table.vpc_id());
    let mut vgws: Vec<&str> = table
        .propagating_vgws()
        .iter()
        .filter_map(|v| v.gateway_id())
        .collect();
    vgws.sort();
    a.insert("propagating_vgws".into(), vgws.into());
    let routes: Vec<Value> = table
        .routes()
        .iter()
        .filter(|r| destination(r).is_some() && !is_propagated(r) && aws_route(r).is_none())
        .map(route_block)
        .collect();
    a.insert("route".into(), Value::List(routes));
    a.insert("tags".into(), tag_map(table.tags()));
    a
}

/// The target fields of a route under the provider's names (a gateway endpoint, reported by
/// EC2 as a `GatewayId`, is the provider's `vpc_endpoint_id`).
fn targets(route: &Route) -> Vec<(&'static str, Option<&str>)> {
    let gateway = route.gateway_id();
    let endpoint = gateway.filter(|g| g.starts_with("vpce-"));
    vec![
        ("carrier_gateway_id", route.carrier_gateway_id()),
        ("core_network_arn", route.core_network_arn()),
        (
            "egress_only_gateway_id",
            route.egress_only_internet_gateway_id(),
        ),
        ("gateway_id", gateway.filter(|_| endpoint.is_none())),
        ("local_gateway_id", route.local_gateway_id()),
        ("nat_gateway_id", route.nat_gateway_id()),
        ("network_interface_id", route.network_interface_id()),
        ("transit_gateway_id", route.transit_gateway_id()),
        ("vpc_endpoint_id", endpoint),
        (
            "vpc_peering_connection_id",
            route.vpc_peering_connection_id(),
        ),
    ]
}

/// One `route` block of a table.
fn route_block(route: &Route) -> Value {
    let mut m = std::collections::BTreeMap::new();
    for (k, v) in [
        ("cidr_block", route.destination_cidr_block()),
        ("ipv6_cidr_block", route.destination_ipv6_cidr_block()),
        (
            "destination_prefix_list_id",
            route.destination_prefix_list_id(),
        ),
    ]
    .into_iter()
    .chain(targets(route))
    {
        if let Some(v) = v.filter(|v| !v.is_empty()) {
            m.insert(k.to_string(), Value::from(v));
        }
    }
    Value::Map(m)
}

/// An `aws_route` as the provider records it (`""` for every field EC2 left out).
pub fn route_attributes(route: &Route, table_id: &str) -> Attributes {
    let mut a = Attributes::new();
    a.insert("route_table_id".into(), table_id.into());
    for (k, v) in [
        ("destination_cidr_block", route.destination_cidr_block()),
        (
            "destination_ipv6_cidr_block",
            route.destination_ipv6_cidr_block(),
        ),
        (
            "destination_prefix_list_id",
            route.destination_prefix_list_id(),
        ),
        ("instance_id", route.instance_id()),
        ("instance_owner_id", route.instance_owner_id()),
        ("origin", route.origin().map(|o| o.as_str())),
        ("state", route.state().map(|s| s.as_str())),
    ]
    .into_iter()
    .chain(targets(route))
    {
        a.insert(k.into(), v.unwrap_or("").into());
    }
    a
}

// ---- reverts ---------------------------------------------------------------------------------

/// A route's destination fields (the provider's block names) and the API's parameter names.
const DESTINATIONS: [(&str, &str); 3] = [
    ("cidr_block", "destination_cidr_block"),
    ("ipv6_cidr_block", "destination_ipv6_cidr_block"),
    ("destination_prefix_list_id", "destination_prefix_list_id"),
];

/// The API's parameter name for a target field of the provider (`route` blocks and
/// `aws_route` use the same names).
fn target_parameter(field: &str) -> &str {
    match field {
        "egress_only_gateway_id" => "egress_only_internet_gateway_id",
        other => other,
    }
}

/// An API parameter and its value (`("destination_cidr_block", "0.0.0.0/0")`).
type Param = (&'static str, String);

/// A route block's destination, and its target.
fn route_parts(block: &Value) -> Option<(Param, Option<Param>)> {
    let text = |k: &str| {
        block
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let destination = DESTINATIONS
        .iter()
        .find_map(|(field, parameter)| Some((*parameter, text(field)?)))?;
    let target = crate::normalize::routes::TARGETS
        .iter()
        .find_map(|field| Some((target_parameter(field), text(field)?)));
    Some((destination, target))
}

/// A table's inline routes put back: routes added by hand deleted, routes removed re-created,
/// routes whose target changed pointed at the recorded target again (DeleteRoute,
/// CreateRoute, ReplaceRoute).
fn plan_routes(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let table = input.recorded_text("id")?;
    let recorded = canonical_routes(
        input
            .recorded
            .attributes
            .get("route")
            .unwrap_or(&Value::Null),
    );
    // What the table holds now: the scan's view of it, else the change of the whole set.
    let observed = input
        .drift
        .observed
        .as_ref()
        .and_then(|o| o.get("route"))
        .or_else(|| {
            input
                .changes
                .iter()
                .find(|c| c.path.0.len() == 1)
                .map(|c| &c.after)
        })
        .ok_or("the table's routes as observed are not known")?;
    let observed = canonical_routes(observed);
    if recorded.contains_sensitive() || observed.contains_sensitive() {
        return Err("a route is sensitive in the state".into());
    }
    let parts = |v: &Value| -> Result<Vec<_>, String> {
        v.as_list()
            .unwrap_or(&[])
            .iter()
            .map(|b| route_parts(b).ok_or_else(|| "a route has no destination".to_string()))
            .collect()
    };
    let (recorded, observed) = (parts(&recorded)?, parts(&observed)?);
    let mut calls = Vec::new();
    for (destination, target) in &observed {
        if !recorded.iter().any(|(d, _)| d == destination) {
            calls.push(
                UnitCall::new("ec2", "DeleteRoute", &table)
                    .arg("route_table_id", Arg::text(&table))
                    .arg(destination.0, Arg::text(&destination.1)),
            );
        } else if let Some((_, Some(want))) = recorded.iter().find(|(d, _)| d == destination)
            && target.as_ref() != Some(want)
        {
            calls.push(
                UnitCall::new("ec2", "ReplaceRoute", &table)
                    .arg("route_table_id", Arg::text(&table))
                    .arg(destination.0, Arg::text(&destination.1))
                    .arg(want.0, Arg::text(&want.1)),
            );
        }
    }
    for (destination, target) in &recorded {
        if observed.iter().any(|(d, _)| d == destination) {
            continue;
        }
        let (parameter, value) = target
            .as_ref()
            .ok_or_else(|| format!("the recorded route to {} has no target", destination.1))?;
        calls.push(
            UnitCall::new("ec2", "CreateRoute", &table)
                .arg("route_table_id", Arg::text(&table))
                .arg(destination.0, Arg::text(&destination.1))
                .arg(parameter, Arg::text(value)),
        );
    }
    Ok(calls)
}

/// An `aws_route` pointed at its recorded target again (ReplaceRoute).
fn plan_route_target(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let table = input.recorded_text("route_table_id")?;
    let recorded = &input.recorded.attributes;
    let mut block = std::collections::BTreeMap::new();
    // `aws_route` names its destination as the API does.
    for (field, parameter) in DESTINATIONS {
        if let Some(v) = recorded.get(parameter) {
            block.insert(field.to_string(), v.clone());
        }
    }
    for field in crate::normalize::routes::TARGETS {
        if let Some(v) = recorded.get(field) {
            block.insert(field.to_string(), v.clone());
        }
    }
    let block = Value::Map(block);
    if block.contains_sensitive() {
        return Err("the route is sensitive in the state".into());
    }
    let (destination, target) = route_parts(&block).ok_or("the route records no destination")?;
    let (parameter, value) = target.ok_or("the route records no target")?;
    Ok(vec![
        UnitCall::new("ec2", "ReplaceRoute", &table)
            .arg("route_table_id", Arg::text(&table))
            .arg(destination.0, Arg::text(&destination.1))
            .arg(parameter, Arg::text(&value)),
    ])
}

/// A subnet (or gateway, or the VPC's main association) associated with its recorded table
/// again (ReplaceRouteTableAssociation). The association to replace is the one the scan
/// observed (a re-association by hand gave it a new id), else the recorded one.
fn plan_association(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let table = input.recorded_text("route_table_id")?;
    let association = match input
        .drift
        .observed
        .as_ref()
        .and_then(|o| o.get("id"))
        .and_then(Value::as_str)
    {
        Some(id) => id.to_string(),
        None => input.recorded_text("id")?,
    };
    Ok(vec![
        UnitCall::new("ec2", "ReplaceRouteTableAssociation", &association)
            .arg("association_id", Arg::text(&association))
            .arg("route_table_id", Arg::text(&table)),
    ])
}

/// An optional text argument.
fn opt(args: &Args, name: &str) -> Option<String> {
    args.get(name).and_then(Value::scalar_text)
}

/// A route's destination and target from a unit call's arguments, on `CreateRoute` and
/// `ReplaceRoute` alike (two SDK builders with the same setters).
macro_rules! route {
    ($builder:expr, $args:expr) => {
        $builder
            .set_destination_cidr_block(opt($args, "destination_cidr_block"))
            .set_destination_ipv6_cidr_block(opt($args, "destination_ipv6_cidr_block"))
            .set_destination_prefix_list_id(opt($args, "destination_prefix_list_id"))
            .set_carrier_gateway_id(opt($args, "carrier_gateway_id"))
            .set_core_network_arn(opt($args, "core_network_arn"))
            .set_egress_only_internet_gateway_id(opt($args, "egress_only_internet_gateway_id"))
            .set_gateway_id(opt($args, "gateway_id"))
            .set_local_gateway_id(opt($args, "local_gateway_id"))
            .set_nat_gateway_id(opt($args, "nat_gateway_id"))
            .set_network_interface_id(opt($args, "network_interface_id"))
            .set_transit_gateway_id(opt($args, "transit_gateway_id"))
            .set_vpc_endpoint_id(opt($args, "vpc_endpoint_id"))
            .set_vpc_peering_connection_id(opt($args, "vpc_peering_connection_id"))
    };
}

fn execute<'a>(client: &'a Client, call: &'a UnitCall, args: &'a Args) -> Executed<'a> {
    Box::pin(async move {
        let table = || text_arg(args, "route_table_id");
        match call.operation.as_str() {
            "CreateRoute" => route!(client.create_route().route_table_id(table()?), args)
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            "ReplaceRoute" => route!(client.replace_route().route_table_id(table()?), args)
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            "DeleteRoute" => client
                .delete_route()
                .route_table_id(table()?)
                .set_destination_cidr_block(opt(args, "destination_cidr_block"))
                .set_destination_ipv6_cidr_block(opt(args, "destination_ipv6_cidr_block"))
                .set_destination_prefix_list_id(opt(args, "destination_prefix_list_id"))
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            "ReplaceRouteTableAssociation" => client
                .replace_route_table_association()
                .association_id(text_arg(args, "association_id")?)
                .route_table_id(table()?)
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            other => Err(format!("{other}: not an operation of this unit")),
        }
    })
}

fn samples() -> Vec<Sample> {
    let routes = sample_routes();
    let mut out = Vec::new();
    for t in [
        sample_table("rtb-1", false, &routes),
        sample_table("rtb-main", true, &routes),
    ] {
        for resource in emit(&t, "us-east-1") {
            let import_id = sample_import_id(&resource);
            out.push(Sample {
                resource,
                import_id,
            });
        }
    }
    out
}

/// One route per target field (and per kind of destination).
fn sample_routes() -> Vec<Route> {
    use aws_sdk_ec2::types::RouteState;
    let route = |cidr: &str| {
        Route::builder()
            .destination_cidr_block(cidr)
            .origin(RouteOrigin::CreateRoute)
            .state(RouteState::Active)
    };
    vec![
        Route::builder()
            .destination_cidr_block("10.0.0.0/16")
            .gateway_id("local")
            .origin(RouteOrigin::CreateRouteTable)
            .build(),
        route("0.0.0.0/0").gateway_id("igw-1").build(),
        route("10.1.0.0/16").carrier_gateway_id("cagw-1").build(),
        route("10.2.0.0/16")
            .core_network_arn("arn:aws:networkmanager::111122223333:core-network/core-1")
            .build(),
        Route::builder()
            .destination_ipv6_cidr_block("::/0")
            .egress_only_internet_gateway_id("eigw-1")
            .origin(RouteOrigin::CreateRoute)
            .build(),
        route("10.3.0.0/16").local_gateway_id("lgw-1").build(),
        route("10.4.0.0/16")
            .nat_gateway_id("nat-1")
            .network_interface_id("eni-nat")
            .build(),
        route("10.5.0.0/16")
            .instance_id("i-1")
            .instance_owner_id("111122223333")
            .network_interface_id("eni-1")
            .build(),
        route("10.6.0.0/16").transit_gateway_id("tgw-1").build(),
        Route::builder()
            .destination_prefix_list_id("pl-1")
            .gateway_id("vgw-1")
            .origin(RouteOrigin::CreateRoute)
            .build(),
        route("10.7.0.0/16")
            .vpc_peering_connection_id("pcx-1")
            .build(),
        route("10.8.0.0/16").gateway_id("vpce-1").build(),
        route("10.9.0.0/16")
            .gateway_id("vgw-1")
            .origin(RouteOrigin::EnableVgwRoutePropagation)
            .build(),
    ]
}

/// A table with `routes`, a subnet and a gateway association, and the main association when
/// `main`.
fn sample_table(id: &str, main: bool, routes: &[Route]) -> RouteTable {
    use aws_sdk_ec2::types::{
        PropagatingVgw, RouteTableAssociationState, RouteTableAssociationStateCode, Tag,
    };
    let associated = || {
        RouteTableAssociationState::builder()
            .state(RouteTableAssociationStateCode::Associated)
            .build()
    };
    let mut b = RouteTable::builder()
        .route_table_id(id)
        .vpc_id("vpc-1")
        .owner_id("111122223333")
        .set_routes(Some(routes.to_vec()))
        .propagating_vgws(PropagatingVgw::builder().gateway_id("vgw-1").build())
        .tags(Tag::builder().key("Name").value("main").build())
        .associations(
            RouteTableAssociation::builder()
                .route_table_association_id(format!("rtbassoc-{id}-subnet"))
                .route_table_id(id)
                .subnet_id(format!("subnet-{id}"))
                .main(false)
                .association_state(associated())
                .build(),
        )
        .associations(
            RouteTableAssociation::builder()
                .route_table_association_id(format!("rtbassoc-{id}-igw"))
                .route_table_id(id)
                .gateway_id("igw-1")
                .main(false)
                .association_state(associated())
                .build(),
        );
    if main {
        b = b.associations(
            RouteTableAssociation::builder()
                .route_table_association_id(format!("rtbassoc-{id}-main"))
                .route_table_id(id)
                .main(true)
                .association_state(associated())
                .build(),
        );
    }
    b.build()
}

/// The provider's documented import id of a sample resource.
fn sample_import_id(resource: &ObservedResource) -> String {
    let a = &resource.attributes;
    let s = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or("").to_string();
    match resource.resource_type.as_str() {
        TABLE => s("id"),
        // The provider adopts a default table by its VPC's id.
        DEFAULT_TABLE => s("vpc_id"),
        ROUTE => resource.cloud_id.clone(),
        ASSOCIATION if s("subnet_id").is_empty() => {
            format!("{}/{}", s("gateway_id"), s("route_table_id"))
        }
        ASSOCIATION => format!("{}/{}", s("subnet_id"), s("route_table_id")),
        // The provider has no importer for it (see `NO_IMPORT` in the coherence test).
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_type(samples: &[Sample], ty: &str) -> Vec<Attributes> {
        samples
            .iter()
            .filter(|s| s.resource.resource_type == ty)
            .map(|s| s.resource.attributes.clone())
            .collect()
    }

    #[test]
    fn a_table_records_only_the_routes_the_provider_records() {
        let all = samples();
        let tables = by_type(&all, TABLE);
        let routes = tables[0]["route"].as_list().unwrap();
        // 13 routes: local, propagated and the gateway endpoint's are not the table's own...
        // the prefix-list route to a virtual private gateway is.
        assert_eq!(routes.len(), 11, "{routes:?}");
        assert!(
            !routes
                .iter()
                .any(|r| r.get("gateway_id") == Some(&Value::str("local")))
        );
        let endpoint = routes
            .iter()
            .find(|r| r.get("cidr_block") == Some(&Value::str("10.8.0.0/16")))
            .unwrap();
        assert_eq!(endpoint.get("vpc_endpoint_id"), Some(&Value::str("vpce-1")));
        assert_eq!(endpoint.get("gateway_id"), None);
    }

    #[test]
    fn aws_owns_the_main_table_its_association_and_local_routes() {
        let all = samples();
        let owner = |ty: &str, id: &str| {
            all.iter()
                .find(|s| s.resource.resource_type == ty && s.resource.cloud_id == id)
                .map(|s| s.resource.owner.clone())
                .unwrap_or_else(|| panic!("no {ty} {id}"))
        };
        assert_eq!(owner(TABLE, "rtb-1"), Owner::User);
        assert!(matches!(owner(TABLE, "rtb-main"), Owner::Aws(_)));
        assert!(matches!(owner(ROUTE, "rtb-1_10.0.0.0/16"), Owner::Aws(_)));
        assert_eq!(owner(ROUTE, "rtb-1_0.0.0.0/0"), Owner::User);
        assert!(matches!(
            owner(MAIN_ASSOCIATION, "rtbassoc-rtb-main-main"),
            Owner::Aws(_)
        ));
        assert_eq!(owner(ASSOCIATION, "rtbassoc-rtb-1-subnet"), Owner::User);
        // Propagated routes are not emitted at all.
        assert!(
            !all.iter()
                .any(|s| s.resource.cloud_id == "rtb-1_10.9.0.0/16")
        );
        // A route records "" for what EC2 left out, as the provider does.
        let route = by_type(&all, ROUTE)
            .into_iter()
            .find(|a| a["destination_cidr_block"] == Value::str("0.0.0.0/0"))
            .unwrap();
        assert_eq!(route["nat_gateway_id"], Value::str(""));
        assert_eq!(route["gateway_id"], Value::str("igw-1"));
    }

    fn recorded(ty: &str, attributes: Attributes) -> crate::model::RecordedResource {
        crate::model::RecordedResource {
            address: crate::model::Address::managed(ty, "x"),
            resource_type: ty.into(),
            provider: String::new(),
            state: crate::model::StateSource("terraform.tfstate".into()),
            schema_version: 0,
            attributes,
        }
    }

    fn drift(ty: &str, observed: Option<Attributes>) -> crate::model::Drift {
        crate::model::Drift {
            kind: crate::model::DriftKind::Changed,
            resource_type: ty.into(),
            id: "x".into(),
            address: None,
            state: None,
            region: None,
            changes: Vec::new(),
            observed,
        }
    }

    fn block(pairs: &[(&str, &str)]) -> Value {
        Value::Map(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), Value::str(*v)))
                .collect(),
        )
    }

    fn shown(calls: &[UnitCall]) -> Vec<String> {
        calls
            .iter()
            .map(|c| {
                let args: Vec<String> = c
                    .args
                    .iter()
                    .map(|(k, v)| match v {
                        Arg::Value(v) => format!("{k}={}", v.scalar_text().unwrap_or_default()),
                        Arg::FromState(_) => format!("{k}=(state)"),
                    })
                    .collect();
                format!("{} {} {}", c.operation, c.target, args.join(" "))
            })
            .collect()
    }

    #[test]
    fn inline_routes_are_put_back_route_by_route() {
        let mut attributes = Attributes::new();
        attributes.insert("id".into(), Value::str("rtb-1"));
        // The provider's shape: "" for every unset field.
        attributes.insert(
            "route".into(),
            Value::List(vec![
                block(&[
                    ("cidr_block", "0.0.0.0/0"),
                    ("nat_gateway_id", "nat-1"),
                    ("gateway_id", ""),
                ]),
                block(&[
                    ("ipv6_cidr_block", "::/0"),
                    ("egress_only_gateway_id", "eigw-1"),
                ]),
                block(&[("cidr_block", "10.8.0.0/16"), ("gateway_id", "vgw-1")]),
            ]),
        );
        let recorded = recorded(TABLE, attributes);
        let mut observed = Attributes::new();
        observed.insert(
            "route".into(),
            Value::List(vec![
                // Target changed by hand, a route added, the IPv6 route deleted.
                block(&[("cidr_block", "0.0.0.0/0"), ("gateway_id", "igw-1")]),
                block(&[("cidr_block", "10.99.0.0/16"), ("gateway_id", "igw-1")]),
                block(&[("cidr_block", "10.8.0.0/16"), ("gateway_id", "vgw-1")]),
            ]),
        );
        let drift = drift(TABLE, Some(observed));
        let input = RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &[],
        };
        assert_eq!(
            shown(&plan_routes(&input).unwrap()),
            [
                "ReplaceRoute rtb-1 destination_cidr_block=0.0.0.0/0 nat_gateway_id=nat-1 route_table_id=rtb-1",
                "DeleteRoute rtb-1 destination_cidr_block=10.99.0.0/16 route_table_id=rtb-1",
                "CreateRoute rtb-1 destination_ipv6_cidr_block=::/0 egress_only_internet_gateway_id=eigw-1 route_table_id=rtb-1",
            ]
        );
    }

    #[test]
    fn a_route_target_and_an_association_are_put_back() {
        let route = samples()
            .into_iter()
            .find(|s| s.resource.cloud_id == "rtb-1_10.4.0.0/16")
            .unwrap();
        let recorded_route = recorded(ROUTE, route.resource.attributes);
        let drift_route = drift(ROUTE, None);
        let input = RevertInput {
            drift: &drift_route,
            recorded: &recorded_route,
            changes: &[],
        };
        assert_eq!(
            shown(&plan_route_target(&input).unwrap()),
            [
                "ReplaceRoute rtb-1 destination_cidr_block=10.4.0.0/16 nat_gateway_id=nat-1 route_table_id=rtb-1"
            ]
        );
        // A re-associated subnet: the association the scan sees now is replaced.
        let mut attributes = Attributes::new();
        attributes.insert("id".into(), Value::str("rtbassoc-old"));
        attributes.insert("subnet_id".into(), Value::str("subnet-1"));
        attributes.insert("route_table_id".into(), Value::str("rtb-private"));
        let recorded_association = recorded(ASSOCIATION, attributes);
        let mut now = Attributes::new();
        now.insert("id".into(), Value::str("rtbassoc-new"));
        let drift_association = drift(ASSOCIATION, Some(now));
        let input = RevertInput {
            drift: &drift_association,
            recorded: &recorded_association,
            changes: &[],
        };
        assert_eq!(
            shown(&plan_association(&input).unwrap()),
            [
                "ReplaceRouteTableAssociation rtbassoc-new association_id=rtbassoc-new route_table_id=rtb-private"
            ]
        );
    }
}
