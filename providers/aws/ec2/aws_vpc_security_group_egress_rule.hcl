# aws_vpc_security_group_egress_rule: DescribeSecurityGroupRules, one EC2 rule (sgr-...) each.
resource "aws_vpc_security_group_egress_rule" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  parent "aws_security_group" {
    via       = "security_group_id"
    attribute = "egress"
  }
  parent "aws_default_security_group" {
    via       = "security_group_id"
    attribute = "egress"
  }

  attribute "security_group_id" { immutable = true }
  attribute "ip_protocol" {
    compare = "ip_protocol"
    revert  = "vpc_sg_rule"
  }
  # terraform records null ports for protocol -1; EC2 reports -1.
  attribute "from_port" {
    default = -1
    revert  = "vpc_sg_rule"
  }
  attribute "to_port" {
    default = -1
    revert  = "vpc_sg_rule"
  }
  attribute "cidr_ipv4" {
    default = ""
    revert  = "vpc_sg_rule"
  }
  attribute "cidr_ipv6" {
    default = ""
    revert  = "vpc_sg_rule"
  }
  attribute "prefix_list_id" {
    default = ""
    revert  = "vpc_sg_rule"
  }
  attribute "referenced_security_group_id" {
    default = ""
    revert  = "vpc_sg_rule"
  }
  attribute "description" {
    default = ""
    revert  = "vpc_sg_rule"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
