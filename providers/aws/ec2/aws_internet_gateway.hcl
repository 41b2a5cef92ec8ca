# aws_internet_gateway: DescribeInternetGateways (unit: src/provider/aws/ec2/internet_gateway.rs).
# A gateway moved to another VPC (or detached) is drift of `vpc_id`; terraform puts it back by
# detaching and attaching, which interrupts traffic: driftgate leaves that to terraform.
resource "aws_internet_gateway" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-internet-gateway --internet-gateway-id {id}"

  attribute "vpc_id" { default = "" }
  attribute "owner_id" { computed = true }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
