# aws_instance: DescribeInstances (terminated instances count as gone).
resource "aws_instance" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]

  attribute "ami" {}
  attribute "instance_type" {}
  attribute "subnet_id" {}
  attribute "availability_zone" {}
  attribute "vpc_security_group_ids" { compare = "set" }
  attribute "key_name" { default = "" }
  attribute "iam_instance_profile" { default = "" }
  attribute "private_ip" {}
  attribute "source_dest_check" { default = true }
  attribute "monitoring" { default = false }
  attribute "ebs_optimized" { default = false }
  attribute "tags" { compare = "tag_map" }
}
