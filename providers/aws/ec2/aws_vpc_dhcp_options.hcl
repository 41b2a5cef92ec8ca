# aws_vpc_dhcp_options: DescribeDhcpOptions (unit: src/provider/aws/ec2/dhcp_options.rs). Every
# option is immutable (a set cannot be edited, only replaced); name server lists keep their
# order, which is the order clients ask them in. The set AWS creates for the default VPC is
# AWS's, never unmanaged.
resource "aws_vpc_dhcp_options" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-dhcp-options --dhcp-options-id {id}"

  attribute "domain_name" {
    default   = ""
    immutable = true
  }
  attribute "domain_name_servers" {
    default   = []
    immutable = true
  }
  attribute "ntp_servers" {
    default   = []
    immutable = true
  }
  attribute "netbios_name_servers" {
    default   = []
    immutable = true
  }
  attribute "netbios_node_type" {
    default   = ""
    immutable = true
  }
  attribute "ipv6_address_preferred_lease_time" {
    default   = ""
    immutable = true
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
