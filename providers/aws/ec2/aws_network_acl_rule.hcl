# aws_network_acl_rule: one entry of a network ACL (DescribeNetworkAcls; unit:
# src/provider/aws/ec2/network_acl.rs). An entry is identified, as by the EC2 API, by its ACL,
# direction and rule number; its `id` is a hash of the configuration no API returns. The
# provider records `protocol` as a number; names and numbers compare equal.
# An entry no state records is a change of its ACL when the ACL's own `ingress` / `egress`
# describes it (inline entries), else an unmanaged rule.
resource "aws_network_acl_rule" {
  service            = "ec2"
  scope              = "regional"
  identity           = ["network_acl_id", "egress", "rule_number"]
  import_name = "{network_acl_id}_{egress}_{rule_number}"
  identity_separator = ":"
  import_id          = "{network_acl_id}:{rule_number}:{protocol}:{egress}"
  delete             = "aws ec2 delete-network-acl-entry --network-acl-id {network_acl_id} --rule-number {rule_number} --{direction}"

  parent "aws_network_acl" {
    via       = "network_acl_id"
    attribute = "ingress"
    where     = { egress = false }
  }
  parent "aws_network_acl" {
    via       = "network_acl_id"
    attribute = "egress"
    where     = { egress = true }
  }
  parent "aws_default_network_acl" {
    via       = "network_acl_id"
    attribute = "ingress"
    where     = { egress = false }
  }
  parent "aws_default_network_acl" {
    via       = "network_acl_id"
    attribute = "egress"
    where     = { egress = true }
  }

  attribute "network_acl_id" { immutable = true }
  attribute "egress" { immutable = true }
  attribute "rule_number" { immutable = true }
  attribute "rule_action" { immutable = true }
  attribute "protocol" {
    compare   = "nacl_protocol"
    immutable = true
  }
  attribute "cidr_block" {
    default   = ""
    immutable = true
  }
  attribute "ipv6_cidr_block" {
    default   = ""
    immutable = true
  }
  attribute "from_port" {
    compare   = "nacl_port"
    immutable = true
  }
  attribute "to_port" {
    compare   = "nacl_port"
    immutable = true
  }
  attribute "icmp_type" {
    compare   = "nacl_icmp"
    immutable = true
  }
  attribute "icmp_code" {
    compare   = "nacl_icmp"
    immutable = true
  }
}
