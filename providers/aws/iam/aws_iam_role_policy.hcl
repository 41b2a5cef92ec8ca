# aws_iam_role_policy: a role's inline policy; id is "ROLE:NAME".
resource "aws_iam_role_policy" {
  service  = "iam"
  scope    = "global"
  identity = ["role", "name"]
  import_name = "{role}_{name}"
  identity_separator = ":"
  recreate = "inline_policy"

  parent "aws_iam_role" {
    via       = "role"
    attribute = "inline_policy"
  }

  attribute "policy" {
    compare = "iam_policy_document"
    revert  = "inline_policy_document"
  }
  # The identity, written on import (the provider requires the role; the name it would
  # otherwise take from the import id).
  attribute "role" { import_only = true }
  attribute "name" { import_only = true }
}
