# aws_network_acl: DescribeNetworkAcls (unit: src/provider/aws/ec2/network_acl.rs). Inline
# `ingress` / `egress` are exclusive: an entry added out of band is drift of the ACL. When
# separate aws_network_acl_rule resources manage the ACL's entries in a direction, that
# direction is theirs (each rule reports itself; an extra entry is an unmanaged rule), and when
# aws_network_acl_association resources put subnets on it, `subnet_ids` is theirs.
# The catch-all deny entries (rules 32767, 32768) are left out on both sides, as the provider does.
resource "aws_network_acl" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-network-acl --network-acl-id {id}"

  attribute "vpc_id" { immutable = true }
  attribute "owner_id" { computed = true }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
  attribute "subnet_ids" {
    compare = "set"
    revert  = "nacl_subnets"
    managed_by "aws_network_acl_association" { via = "network_acl_id" }
  }
  attribute "ingress" {
    compare = "nacl_entries"
    revert  = "nacl_entries"
    managed_by "aws_network_acl_rule" {
      via   = "network_acl_id"
      where = { egress = false }
    }
  }
  attribute "egress" {
    compare = "nacl_entries"
    revert  = "nacl_entries"
    managed_by "aws_network_acl_rule" {
      via   = "network_acl_id"
      where = { egress = true }
    }
  }
}
