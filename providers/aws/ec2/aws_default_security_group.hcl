# aws_default_security_group: a VPC's default group (group name `default`), which AWS creates
# with the VPC and terraform adopts instead of creating. Observed through the same
# DescribeSecurityGroups as aws_security_group (a second view of the same object), with the same
# state shape; on adoption the provider revokes every rule and writes the configured ones, so
# `ingress` / `egress` describe all of the group's rules.
resource "aws_default_security_group" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "name" { computed = true }
  attribute "description" { computed = true }
  attribute "vpc_id" {}
  attribute "tags" { compare = "tag_map" }

  attribute "ingress" {
    compare = "sg_rules"
    managed_by "aws_security_group_rule" {
      via   = "security_group_id"
      where = { type = "ingress" }
    }
    managed_by "aws_vpc_security_group_ingress_rule" { via = "security_group_id" }
  }
  attribute "egress" {
    compare = "sg_rules"
    managed_by "aws_security_group_rule" {
      via   = "security_group_id"
      where = { type = "egress" }
    }
    managed_by "aws_vpc_security_group_egress_rule" { via = "security_group_id" }
  }
}
