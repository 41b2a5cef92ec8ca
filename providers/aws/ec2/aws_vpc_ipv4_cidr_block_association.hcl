# aws_vpc_ipv4_cidr_block_association: a VPC's secondary IPv4 CIDR block, from DescribeVpcs'
# CidrBlockAssociationSet (unit: src/provider/aws/ec2/vpc.rs); the primary block is the VPC's
# own `cidr_block`, never this type. A block cannot be changed, only associated or
# disassociated.
resource "aws_vpc_ipv4_cidr_block_association" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 disassociate-vpc-cidr-block --association-id {id}"

  parent "aws_vpc" { via = "vpc_id" }
  parent "aws_default_vpc" { via = "vpc_id" }

  attribute "vpc_id" { immutable = true }
  attribute "cidr_block" { immutable = true }
}
