# aws_default_subnet: the default subnet of one availability zone of the default VPC, which AWS
# creates and terraform adopts (unit: src/provider/aws/ec2/subnet.rs, a second view of the same
# DescribeSubnets object as aws_subnet). AWS's: never unmanaged, no delete command. A default
# subnet gives instances public IPs unless told otherwise.
resource "aws_default_subnet" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "vpc_id" { computed = true }
  attribute "cidr_block" { computed = true }
  attribute "availability_zone" {}
  attribute "map_public_ip_on_launch" {
    default = true
    revert  = "subnet_attribute"
  }
  attribute "assign_ipv6_address_on_creation" {
    default = false
    revert  = "subnet_attribute"
  }
  attribute "ipv6_cidr_block" { default = "" }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
