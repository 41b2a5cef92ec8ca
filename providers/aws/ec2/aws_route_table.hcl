# aws_route_table: DescribeRouteTables (unit: src/provider/aws/ec2/route_table.rs). A VPC's main
# table is AWS's (it comes with the VPC): never unmanaged unless `--strict`.
resource "aws_route_table" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-route-table --route-table-id {id}"

  attribute "vpc_id" { immutable = true }
  attribute "owner_id" { computed = true }
  attribute "propagating_vgws" {
    compare = "set"
    default = []
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }

  # Inline routes are the table's, exclusively: a route added by hand is drift of `route`.
  # When separate aws_route resources manage this table's routes, they report it (an extra
  # route is an unmanaged aws_route); the table's `route` is theirs and not compared here.
  attribute "route" {
    compare = "routes"
    revert  = "routes"
    managed_by "aws_route" { via = "route_table_id" }
  }
}
