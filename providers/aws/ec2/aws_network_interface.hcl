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
  attribute "private_ips" {
    compare = "set"
    default = []
  }
  attribute "ipv6_addresses" {
    compare = "set"
    default = []
  }
  attribute "ipv4_prefixes" {
    compare = "set"
    default = []
  }
  attribute "ipv6_prefixes" {
    compare = "set"
    default = []
  }
  # Not compared: what the provider only computes (`owner_id`, `mac_address`, `outpost_arn`,
  # `private_dns_name`), the counts the lists above say (`private_ips_count`, ...: an import
  # writing both would conflict) and `private_ip` (the primary of `private_ips`); and
  # `attachment`. What an interface is attached to is recorded on it only when
  # terraform created it attached; an aws_network_interface_attachment or an instance's
  # `network_interface` block attaches it after, leaving the recorded value empty, and the
  # former is not a supported type yet (no `managed_by` can name it).
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
