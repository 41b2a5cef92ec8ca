# aws_subnet: DescribeSubnets.
resource "aws_subnet" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "vpc_id" {}
  attribute "cidr_block" {}
  attribute "availability_zone" {}
  attribute "map_public_ip_on_launch" { default = false }
  attribute "assign_ipv6_address_on_creation" { default = false }
  attribute "ipv6_cidr_block" { default = "" }
  attribute "tags" { compare = "tag_map" }
}
