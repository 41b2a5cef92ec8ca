# aws_vpc_security_group_ingress_rule: DescribeSecurityGroupRules, one EC2 rule (sgr-...) each.
resource "aws_vpc_security_group_ingress_rule" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  parent "aws_security_group" {
    via       = "security_group_id"
    attribute = "ingress"
  }
  parent "aws_default_security_group" {
    via       = "security_group_id"
    attribute = "ingress"
  }

  attribute "security_group_id" {}
  attribute "ip_protocol" { compare = "ip_protocol" }
  # terraform records null ports for protocol -1; EC2 reports -1.
  attribute "from_port" { default = -1 }
  attribute "to_port" { default = -1 }
  attribute "cidr_ipv4" { default = "" }
  attribute "cidr_ipv6" { default = "" }
  attribute "prefix_list_id" { default = "" }
  attribute "referenced_security_group_id" { default = "" }
  attribute "description" { default = "" }
  attribute "tags" { compare = "tag_map" }
}
