# aws_main_route_table_association: which table is a VPC's main one, from DescribeRouteTables
# (unit: route_table.rs); one per VPC, identified by the VPC. AWS makes it with the VPC, so an
# unrecorded one is never unmanaged; the provider has no import for it. `original_route_table_id`
# is the provider's own memory (the table to restore on destroy), not observable.
resource "aws_main_route_table_association" {
  service  = "ec2"
  scope    = "regional"
  identity = ["vpc_id"]
  no_import = "the provider has no importer for it; AWS makes a VPC's main association with the VPC, so an unrecorded one is AWS's, never unmanaged"

  parent "aws_route_table" { via = "route_table_id" }
  parent "aws_default_route_table" { via = "route_table_id" }

  attribute "route_table_id" { revert = "route_table_association" }
}
