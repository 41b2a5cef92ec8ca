# aws_vpc: DescribeVpcs, plus DescribeVpcAttribute for the two DNS flags (no batch API has them).
resource "aws_vpc" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "cidr_block" { immutable = true }
  attribute "instance_tenancy" { default = "default" }
  attribute "enable_dns_support" {
    default = true
    revert  = "vpc_attribute"
  }
  attribute "enable_dns_hostnames" {
    default = false
    revert  = "vpc_attribute"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
