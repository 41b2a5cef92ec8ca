# aws_eip: DescribeAddresses (unit: src/provider/aws/ec2/nat_gateway.rs). What the address is
# attached to (`instance`, `network_interface`) is the EIP's own unless an aws_eip_association or an
# aws_nat_gateway attaches it: then it is theirs (they are created after the EIP, so its
# recorded values are empty) and not compared here.
resource "aws_eip" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 release-address --allocation-id {id}"

  attribute "domain" {
    default   = "vpc"
    immutable = true
  }
  attribute "public_ip" {
    immutable = true
    computed  = true
  }
  attribute "public_ipv4_pool" {
    default   = ""
    immutable = true
  }
  attribute "network_border_group" {
    default   = ""
    immutable = true
  }
  attribute "customer_owned_ipv4_pool" { default = "" }
  attribute "instance" {
    default = ""
    managed_by "aws_eip_association" { via = "allocation_id" }
    managed_by "aws_nat_gateway" { via = "allocation_id" }
  }
  attribute "network_interface" {
    default = ""
    managed_by "aws_eip_association" { via = "allocation_id" }
    managed_by "aws_nat_gateway" { via = "allocation_id" }
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
