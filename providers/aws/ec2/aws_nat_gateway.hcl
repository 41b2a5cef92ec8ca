# aws_nat_gateway: DescribeNatGateways (unit: src/provider/aws/ec2/nat_gateway.rs).
resource "aws_nat_gateway" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-nat-gateway --nat-gateway-id {id}"

  attribute "subnet_id" { immutable = true }
  attribute "connectivity_type" {
    default   = "public"
    immutable = true
  }
  attribute "allocation_id" {
    default   = ""
    immutable = true
  }
  attribute "private_ip" { immutable = true }
  attribute "secondary_allocation_ids" {
    compare = "set"
    default = []
  }
  attribute "secondary_private_ip_addresses" {
    compare = "set"
    default = []
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
