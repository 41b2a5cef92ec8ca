# aws_iam_group_policy: a group's inline policy; id is "GROUP:NAME" (unit: src/provider/aws/iam/group.rs).
resource "aws_iam_group_policy" {
  service            = "iam"
  scope              = "global"
  identity           = ["group", "name"]
  import_name = "{group}_{name}"
  identity_separator = ":"
  delete             = "aws iam delete-group-policy --group-name {group} --policy-name {name}"

  parent "aws_iam_group" { via = "group" }

  attribute "policy" {
    compare = "iam_policy_document"
    revert = "group_policy_document"
  }
  # The identity, written on import (the provider requires the group; the name it would
  # otherwise take from the import id).
  attribute "group" { import_only = true }
  attribute "name" { import_only = true }
}
