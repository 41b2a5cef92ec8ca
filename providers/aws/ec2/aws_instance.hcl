# aws_instance: DescribeInstances (terminated instances count as gone).
resource "aws_instance" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 terminate-instances --instance-ids {id}"

  attribute "ami" { immutable = true }
  attribute "instance_type" { revert = "instance_attribute_stopped" }
  attribute "subnet_id" { immutable = true }
  attribute "availability_zone" { immutable = true }
  attribute "vpc_security_group_ids" {
    compare = "set"
    revert  = "instance_attribute"
  }
  attribute "key_name" {
    default   = ""
    immutable = true
  }
  attribute "iam_instance_profile" { default = "" }
  attribute "private_ip" { immutable = true }
  attribute "source_dest_check" {
    default = true
    revert  = "instance_attribute"
  }
  attribute "monitoring" {
    default = false
    revert  = "instance_monitoring"
  }
  attribute "ebs_optimized" {
    default = false
    revert  = "instance_attribute_stopped"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
