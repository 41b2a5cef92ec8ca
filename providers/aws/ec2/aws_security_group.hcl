# aws_security_group: DescribeSecurityGroups. Inline rules compare as sets of single-source
# rules, so terraform's grouping of CIDRs into one block does not matter.
resource "aws_security_group" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "name" { immutable = true }
  attribute "description" {
    default   = "Managed by Terraform"
    immutable = true
  }
  attribute "vpc_id" { immutable = true }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }

  # When separate rule resources manage this group's rules, the group's own `ingress` /
  # `egress` are theirs to report: terraform's refresh shows noise here, driftgate does not.
  attribute "ingress" {
    compare = "sg_rules"
    revert  = "sg_rules"
    managed_by "aws_security_group_rule" {
      via   = "security_group_id"
      where = { type = "ingress" }
    }
    managed_by "aws_vpc_security_group_ingress_rule" { via = "security_group_id" }
  }
  attribute "egress" {
    compare = "sg_rules"
    revert  = "sg_rules"
    managed_by "aws_security_group_rule" {
      via   = "security_group_id"
      where = { type = "egress" }
    }
    managed_by "aws_vpc_security_group_egress_rule" { via = "security_group_id" }
  }
}
