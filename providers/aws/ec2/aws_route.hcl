# aws_route: one route of a table, from DescribeRouteTables (unit: route_table.rs). Identified,
# like the provider's import id, by its table and its destination (IPv4 CIDR, IPv6 CIDR or
# prefix list): `rtb-1_0.0.0.0/0`. A table's local route is AWS's. A route no state records is
# a change of its table's `route` when the table records its routes inline, else an unmanaged
# aws_route. The delete command covers IPv4 routes; another destination is deleted by hand
# (`aws ec2 delete-route --destination-ipv6-cidr-block` / `--destination-prefix-list-id`).
resource "aws_route" {
  service            = "ec2"
  scope              = "regional"
  identity           = ["route_table_id", "destination_cidr_block|destination_ipv6_cidr_block|destination_prefix_list_id"]
  import_name = "{route_table_id}_{destination_cidr_block|destination_ipv6_cidr_block|destination_prefix_list_id}"
  identity_separator = "_"
  delete             = "aws ec2 delete-route --route-table-id {route_table_id} --destination-cidr-block {destination_cidr_block}"

  parent "aws_route_table" {
    via       = "route_table_id"
    attribute = "route"
  }
  parent "aws_default_route_table" {
    via       = "route_table_id"
    attribute = "route"
  }

  # The table and the destination are the route's identity (always equal once matched); named
  # here as the arguments an import writes.
  attribute "route_table_id" { immutable = true }
  attribute "destination_cidr_block" {
    default   = ""
    immutable = true
  }
  attribute "destination_ipv6_cidr_block" {
    default   = ""
    immutable = true
  }
  attribute "destination_prefix_list_id" {
    default   = ""
    immutable = true
  }

  # The target: exactly one is set; the provider records "" for the others. A target changed by
# hand is put back with ReplaceRoute.
  attribute "carrier_gateway_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "core_network_arn" {
    default = ""
    revert  = "route_target"
  }
  attribute "egress_only_gateway_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "gateway_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "local_gateway_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "nat_gateway_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "network_interface_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "transit_gateway_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "vpc_endpoint_id" {
    default = ""
    revert  = "route_target"
  }
  attribute "vpc_peering_connection_id" {
    default = ""
    revert  = "route_target"
  }
}
