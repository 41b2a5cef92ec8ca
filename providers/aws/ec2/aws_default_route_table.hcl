# aws_default_route_table: a VPC's default (main) route table, which AWS creates with the VPC
# and terraform adopts instead of creating. Observed through the same DescribeRouteTables as
# aws_route_table (a second view of every table: the provider adopts a table by its id). On
# adoption the provider removes every route and writes the configured ones, so `route`
# describes all of the table's own routes (the local route is AWS's and never in it).
resource "aws_default_route_table" {
  service   = "ec2"
  scope     = "regional"
  identity  = ["id"]
  import_id = "{vpc_id}"

  attribute "default_route_table_id" { immutable = true }
  attribute "vpc_id" { computed = true }
  attribute "owner_id" { computed = true }
  attribute "propagating_vgws" {
    compare = "set"
    default = []
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
  attribute "route" {
    compare = "routes"
    revert  = "routes"
    managed_by "aws_route" { via = "route_table_id" }
  }
}
