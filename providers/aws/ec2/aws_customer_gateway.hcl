# aws_customer_gateway: DescribeCustomerGateways (unit: src/provider/aws/ec2/customer_gateway.rs).
# Every attribute but the tags is immutable (a gateway cannot be edited, only replaced).
# `bgp_asn` is recorded as a string; `bgp_asn_extended` is set instead for 4-byte ASNs.
resource "aws_customer_gateway" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-customer-gateway --customer-gateway-id {id}"

  attribute "bgp_asn" {
    default   = ""
    immutable = true
  }
  attribute "bgp_asn_extended" {
    default   = ""
    immutable = true
  }
  attribute "certificate_arn" {
    default   = ""
    immutable = true
  }
  attribute "device_name" {
    default   = ""
    immutable = true
  }
  attribute "ip_address" {
    default   = ""
    immutable = true
  }
  attribute "type" { immutable = true }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
