# aws_vpc_endpoint: DescribeVpcEndpoints (unit: src/provider/aws/ec2/network_interface.rs). The
# policy is compared by meaning, as an IAM policy is; it, the route tables, subnets, security
# groups and private DNS go back through one ModifyVpcEndpoint. An endpoint another AWS service
# made (requester-managed) is AWS's, never unmanaged. (The association types that manage the
# lists apart, aws_vpc_endpoint_*_association, are not supported yet: a state with one is
# NOT CHECKED; once they are, the lists get `managed_by` them.)
resource "aws_vpc_endpoint" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-vpc-endpoints --vpc-endpoint-ids {id}"

  attribute "vpc_id" { immutable = true }
  attribute "service_name" { immutable = true }
  attribute "vpc_endpoint_type" {
    default   = "Gateway"
    immutable = true
  }
  attribute "policy" {
    compare = "iam_policy_document"
    revert  = "vpc_endpoint"
  }
  attribute "route_table_ids" {
    compare = "set"
    default = []
    revert  = "vpc_endpoint"
  }
  attribute "subnet_ids" {
    compare = "set"
    default = []
    revert  = "vpc_endpoint"
  }
  attribute "security_group_ids" {
    compare = "set"
    default = []
    revert  = "vpc_endpoint"
  }
  attribute "private_dns_enabled" {
    default = false
    revert  = "vpc_endpoint"
  }
  attribute "ip_address_type" { default = "" }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
