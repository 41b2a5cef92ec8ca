# aws_subnet: DescribeSubnets.
resource "aws_subnet" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-subnet --subnet-id {id}"

  attribute "vpc_id" { immutable = true }
  attribute "cidr_block" { immutable = true }
  attribute "availability_zone" { immutable = true }
  attribute "map_public_ip_on_launch" {
    default = false
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
