# aws_default_vpc: a region's default VPC, which AWS creates and terraform adopts instead of
# creating (unit: src/provider/aws/ec2/vpc.rs, a second view of the same DescribeVpcs object as
# aws_vpc). AWS's: never unmanaged, no delete command. The DNS flags cost one
# DescribeVpcAttribute per VPC and flag (`read = "recorded"`); the provider turns both on for a
# default VPC. `dhcp_options_id` is an aws_vpc_dhcp_options_association's, as for aws_vpc.
resource "aws_default_vpc" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "cidr_block" { computed = true }
  attribute "instance_tenancy" {
    default  = "default"
    computed = true
  }
  attribute "enable_dns_support" {
    default = true
    read    = "recorded"
    revert  = "vpc_attribute"
  }
  attribute "enable_dns_hostnames" {
    default = true
    read    = "recorded"
    revert  = "vpc_attribute"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
