# aws_vpc_dhcp_options_association: which DHCP options set a VPC uses, from DescribeVpcs'
# DhcpOptionsId (unit: src/provider/aws/ec2/vpc.rs); one per VPC that has a set (`default` is
# EC2's word for none), identified by the VPC: associating another set is a change of
# `dhcp_options_id`, put back with AssociateDhcpOptions. A VPC's association with the set AWS
# made for the default VPC is AWS's, never unmanaged; an unmanaged one is removed by giving the
# VPC no set.
resource "aws_vpc_dhcp_options_association" {
  service   = "ec2"
  scope     = "regional"
  identity  = ["vpc_id"]
  import_name = "{vpc_id}"
  import_id = "{vpc_id}"
  delete    = "aws ec2 associate-dhcp-options --dhcp-options-id default --vpc-id {vpc_id}"

  parent "aws_vpc" { via = "vpc_id" }
  parent "aws_default_vpc" { via = "vpc_id" }

  attribute "dhcp_options_id" { revert = "dhcp_options_association" }
  # The identity, written on import (the provider requires it).
  attribute "vpc_id" { import_only = true }
}
