# aws_vpc_peering_connection: the requester's side of a VPC peering connection,
# DescribeVpcPeeringConnections (unit: src/provider/aws/ec2/vpc_peering_connection.rs). Observed
# in the requester VPC's region only; one that was deleted, rejected, failed or expired is gone.
# `accepter` / `requester` are each side's options (one block, none before the connection is
# active; no block means the option is off, as the provider's default says), put back with
# ModifyVpcPeeringConnectionOptions. `accept_status` is computed (it
# moves on by itself while a connection comes up) and not compared.
resource "aws_vpc_peering_connection" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-vpc-peering-connection --vpc-peering-connection-id {id}"

  attribute "vpc_id" { immutable = true }
  attribute "peer_vpc_id" { immutable = true }
  attribute "peer_owner_id" { immutable = true }
  attribute "peer_region" { immutable = true }
  attribute "accepter" {
    block   = true
    default = [{ allow_remote_vpc_dns_resolution = false }]
    revert  = "peering_options"
  }
  attribute "requester" {
    block   = true
    default = [{ allow_remote_vpc_dns_resolution = false }]
    revert  = "peering_options"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
