# aws_vpn_gateway_attachment: a gateway's VPC attachment, from DescribeVpnGateways (unit:
# src/provider/aws/ec2/vpn_gateway.rs). The provider cannot import one: an unrecorded attachment
# is its gateway's `vpc_id`, never unmanaged. A detached one is missing; attaching it again is
# left to terraform.
resource "aws_vpn_gateway_attachment" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  no_import = "the provider has no importer for it; an unrecorded attachment is its gateway's `vpc_id` (the gateway's change, or in the unmanaged gateway's import), never unmanaged"
  delete   = "aws ec2 detach-vpn-gateway --vpn-gateway-id {vpn_gateway_id} --vpc-id {vpc_id}"

  parent "aws_vpn_gateway" { via = "vpn_gateway_id" }

  attribute "vpc_id" { immutable = true }
  attribute "vpn_gateway_id" { immutable = true }
}
