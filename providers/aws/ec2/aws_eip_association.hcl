# aws_eip_association: an EIP's association, from DescribeAddresses (unit:
# src/provider/aws/ec2/nat_gateway.rs). The association a NAT gateway makes for its address is the
# gateway's (AWS's), never an unmanaged aws_eip_association.
resource "aws_eip_association" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 disassociate-address --association-id {id}"

  parent "aws_eip" { via = "allocation_id" }

  attribute "allocation_id" { immutable = true }
  attribute "instance_id" {
    default   = ""
    immutable = true
  }
  attribute "network_interface_id" {
    default   = ""
    immutable = true
  }
  attribute "private_ip_address" {
    default   = ""
    immutable = true
  }
  attribute "public_ip" { immutable = true }
}
