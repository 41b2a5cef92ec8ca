# aws_security_group_rule: one resource may stand for several EC2 rules (one per CIDR block,
# prefix list or source group); each is matched on its own and compared in full (set attributes
# are the union; any other attribute is compared against every EC2 rule it stands for).
# It has no ARN: its region is its parent group's (the first `parent` found in the states).
resource "aws_security_group_rule" {
  service  = "ec2"
  scope    = "regional"
  identity = ["security_group_id", "type", "protocol", "from_port", "to_port"]
  import_name = "{security_group_id}_{type}_{protocol}_{from_port}_{to_port}_{cidr_blocks|ipv6_cidr_blocks|prefix_list_ids|source_security_group_id|self}"
  recreate = "sg_rule_sources"
  identity_fanout = ["cidr_blocks", "ipv6_cidr_blocks", "prefix_list_ids", "source_security_group_id", "self"]

  parent "aws_security_group" {
    via       = "security_group_id"
    attribute = "ingress"
    where     = { type = "ingress" }
  }
  parent "aws_security_group" {
    via       = "security_group_id"
    attribute = "egress"
    where     = { type = "egress" }
  }
  parent "aws_default_security_group" {
    via       = "security_group_id"
    attribute = "ingress"
    where     = { type = "ingress" }
  }
  parent "aws_default_security_group" {
    via       = "security_group_id"
    attribute = "egress"
    where     = { type = "egress" }
  }

  attribute "protocol" {
    compare   = "ip_protocol"
    immutable = true
  }
  attribute "from_port" {
    compare   = "port"
    immutable = true
  }
  attribute "to_port" {
    compare   = "port"
    immutable = true
  }
  attribute "cidr_blocks" {
    compare = "set"
    revert  = "sg_rule_sources"
  }
  attribute "ipv6_cidr_blocks" {
    compare = "set"
    revert  = "sg_rule_sources"
  }
  attribute "prefix_list_ids" {
    compare = "set"
    revert  = "sg_rule_sources"
  }
  attribute "description" { default = "" }
  # Identity, written on import (the provider requires them).
  attribute "security_group_id" { import_only = true }
  attribute "type" { import_only = true }
}
