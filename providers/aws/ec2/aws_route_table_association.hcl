# aws_route_table_association: a subnet's (or a gateway's) explicit association with a route
# table, from DescribeRouteTables (unit: route_table.rs). Identified by its subnet or gateway:
# re-associating a subnet with another table (ReplaceRouteTableAssociation) gives the
# association a new id, and is a change of `route_table_id` of the same resource.
resource "aws_route_table_association" {
  service   = "ec2"
  scope     = "regional"
  identity  = ["subnet_id|gateway_id"]
  import_name = "{subnet_id|gateway_id}_{route_table_id}"
  import_id = "{subnet_id|gateway_id}/{route_table_id}"
  delete    = "aws ec2 disassociate-route-table --association-id {id}"

  parent "aws_route_table" { via = "route_table_id" }
  parent "aws_default_route_table" { via = "route_table_id" }

  attribute "route_table_id" { revert = "route_table_association" }
  # The identity, written on import: the one of the two the association has.
  attribute "subnet_id" {
    import_only = true
    optional    = true
  }
  attribute "gateway_id" {
    import_only = true
    optional    = true
  }
}
