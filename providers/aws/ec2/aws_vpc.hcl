# aws_vpc: DescribeVpcs, plus DescribeVpcAttribute for the two DNS flags (no batch API has them).
resource "aws_vpc" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "cidr_block" {}
  attribute "instance_tenancy" { default = "default" }
  attribute "enable_dns_support" { default = true }
  attribute "enable_dns_hostnames" { default = false }
  attribute "tags" { compare = "tag_map" }
}
