# aws_launch_template: DescribeLaunchTemplates (unit: src/provider/aws/ec2/launch_templates.rs).
# The template's own attributes: a version added or made default out of band changes
# `latest_version` / `default_version` (terraform writes a new version to put the launch data
# back). The launch data of each version is not read (one call per template).
resource "aws_launch_template" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  import_name = "{name}"
  delete   = "aws ec2 delete-launch-template --launch-template-id {id}"

  attribute "name" { immutable = true }
  attribute "default_version" {}
  attribute "latest_version" { computed = true }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
