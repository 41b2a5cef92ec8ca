# aws_default_network_acl: a VPC's default network ACL, which AWS creates with the VPC and
# terraform adopts (DescribeNetworkAcls, a second view of the same object as aws_network_acl).
# On adoption the provider deletes every entry and writes the configured ones, so `ingress` /
# `egress` describe all of the ACL's entries (but the catch-all denies).
# `subnet_ids` is not compared: AWS puts every subnet that is not on another ACL here, so the
# recorded list depends on which subnets existed when terraform adopted the ACL (the
# terraform-aws-modules/vpc module ignores its changes for that reason); a subnet moved off
# an ACL shows on that ACL or association.
resource "aws_default_network_acl" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "vpc_id" { computed = true }
  # The ACL terraform adopts, which the provider requires: the import id.
  attribute "default_network_acl_id" {
    import_only = true
    value       = "{id}"
  }
  attribute "owner_id" { computed = true }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
  attribute "ingress" {
    block   = true
    compare = "nacl_entries"
    revert  = "nacl_entries"
    managed_by "aws_network_acl_rule" {
      via   = "network_acl_id"
      where = { egress = false }
    }
  }
  attribute "egress" {
    block   = true
    compare = "nacl_entries"
    revert  = "nacl_entries"
    managed_by "aws_network_acl_rule" {
      via   = "network_acl_id"
      where = { egress = true }
    }
  }
}
