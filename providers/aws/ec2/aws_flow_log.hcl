# aws_flow_log: DescribeFlowLogs (unit: src/provider/aws/ec2/flow_log.rs). A flow log cannot be
# changed once made, only its tags: any other change is terraform's to replace. Not compared:
# `log_group_name`, the deprecated spelling of a CloudWatch Logs `log_destination` (AWS returns
# both; an import writing both would conflict).
resource "aws_flow_log" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-flow-logs --flow-log-ids {id}"

  attribute "vpc_id" {
    default   = ""
    immutable = true
  }
  attribute "subnet_id" {
    default   = ""
    immutable = true
  }
  attribute "eni_id" {
    default   = ""
    immutable = true
  }
  attribute "transit_gateway_id" {
    default   = ""
    immutable = true
  }
  attribute "transit_gateway_attachment_id" {
    default   = ""
    immutable = true
  }
  attribute "traffic_type" {
    default   = ""
    immutable = true
  }
  attribute "log_destination_type" {
    default   = "cloud-watch-logs"
    immutable = true
  }
  attribute "log_destination" {
    default   = ""
    immutable = true
  }
  attribute "iam_role_arn" {
    default   = ""
    immutable = true
  }
  attribute "deliver_cross_account_role" {
    default   = ""
    immutable = true
  }
  attribute "log_format" { immutable = true }
  attribute "max_aggregation_interval" {
    default   = 600
    immutable = true
  }
  attribute "destination_options" {
    block     = true
    default   = []
    immutable = true
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
