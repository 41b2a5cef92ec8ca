# aws_vpc: DescribeVpcs, plus DescribeVpcAttribute for the two DNS flags (no batch API has them):
# one call per VPC and flag, so a scan makes them only for the VPCs a state records (`read =
# "recorded"`); an unmanaged VPC's flags are read when the whole object is wanted (`plan`).
# No severity rule judges an unmanaged VPC by its DNS flags.
resource "aws_vpc" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-vpc --vpc-id {id}"

  attribute "cidr_block" { immutable = true }
  attribute "instance_tenancy" { default = "default" }
  attribute "enable_dns_support" {
    default = true
    read    = "recorded"
    revert  = "vpc_attribute"
  }
  attribute "enable_dns_hostnames" {
    default = false
    read    = "recorded"
    revert  = "vpc_attribute"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
