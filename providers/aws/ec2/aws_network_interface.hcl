# aws_network_interface: DescribeNetworkInterfaces (unit: src/provider/aws/ec2/network_interface.rs).
# Interfaces AWS makes for a service (requester-managed, a NAT gateway's, an interface endpoint's)
# and an instance's primary interface are theirs, never unmanaged. The description, the source/
# destination check and the security groups go back through ModifyNetworkInterfaceAttribute.
resource "aws_network_interface" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-network-interface --network-interface-id {id}"

  attribute "subnet_id" { immutable = true }
  attribute "owner_id" {}
  attribute "interface_type" {
    default   = "interface"
    immutable = true
  }
  attribute "description" {
    default = ""
    revert  = "network_interface_attribute"
  }
  attribute "source_dest_check" {
    default = true
    revert  = "network_interface_attribute"
  }
  attribute "security_groups" {
    compare = "set"
    default = []
    revert  = "network_interface_attribute"
  }
  attribute "private_ip" { immutable = true }
  attribute "private_ips" {
    compare = "set"
    default = []
  }
  attribute "private_ips_count" { default = 0 }
  attribute "ipv6_addresses" {
    compare = "set"
    default = []
  }
  attribute "ipv6_address_count" { default = 0 }
  attribute "ipv4_prefixes" {
    compare = "set"
    default = []
  }
  attribute "ipv4_prefix_count" { default = 0 }
  attribute "ipv6_prefixes" {
    compare = "set"
    default = []
  }
  attribute "ipv6_prefix_count" { default = 0 }
  attribute "outpost_arn" {
    default   = ""
    immutable = true
  }
  # Not compared: `attachment`. What an interface is attached to is recorded on it only when
  # terraform created it attached; an aws_network_interface_attachment or an instance's
  # `network_interface` block attaches it after, leaving the recorded value empty, and the
  # former is not a supported type yet (no `managed_by` can name it).
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
