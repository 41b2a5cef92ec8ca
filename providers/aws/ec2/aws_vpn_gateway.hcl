# aws_vpn_gateway: DescribeVpnGateways (unit: src/provider/aws/ec2/vpn_gateway.rs). The VPC it is
# attached to is the gateway's own unless an aws_vpn_gateway_attachment attaches it (made after
# the gateway, so the gateway's recorded `vpc_id` is empty). Attaching and detaching interrupt
# the VPN: driftgate leaves that to terraform.
resource "aws_vpn_gateway" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-vpn-gateway --vpn-gateway-id {id}"

  attribute "amazon_side_asn" { immutable = true }
  attribute "availability_zone" {
    default   = ""
    immutable = true
  }
  attribute "vpc_id" {
    default = ""
    managed_by "aws_vpn_gateway_attachment" { via = "vpn_gateway_id" }
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
