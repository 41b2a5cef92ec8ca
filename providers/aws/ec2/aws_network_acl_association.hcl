# aws_network_acl_association: which ACL a subnet is on (DescribeNetworkAcls; unit:
# src/provider/aws/ec2/network_acl.rs). Matched by subnet, so a subnet moved onto another ACL
# out of band is a change of `network_acl_id` (EC2 gives the moved association a new id).
# A subnet on its VPC's default ACL has an implicit association, AWS's.
resource "aws_network_acl_association" {
  service   = "ec2"
  scope     = "regional"
  identity  = ["subnet_id"]
  import_id = "{id}"

  parent "aws_network_acl" {
    via       = "network_acl_id"
    attribute = "subnet_ids"
  }

  attribute "network_acl_id" { revert = "nacl_association" }
  # The identity, written on import (the provider requires it).
  attribute "subnet_id" { import_only = true }
}
