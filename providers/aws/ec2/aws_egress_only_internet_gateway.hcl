# aws_egress_only_internet_gateway: DescribeEgressOnlyInternetGateways (unit:
# src/provider/aws/ec2/egress_only_internet_gateway.rs).
resource "aws_egress_only_internet_gateway" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-egress-only-internet-gateway --egress-only-internet-gateway-id {id}"

  attribute "vpc_id" { immutable = true }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
