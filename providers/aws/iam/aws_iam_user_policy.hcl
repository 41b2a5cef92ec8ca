# aws_iam_user_policy: a user's inline policy; id is "USER:NAME".
resource "aws_iam_user_policy" {
  service  = "iam"
  scope    = "global"
  identity = ["user", "name"]
  import_name = "{user}_{name}"
  identity_separator = ":"
  recreate = "inline_policy"

  parent "aws_iam_user" { via = "user" }

  attribute "policy" {
    compare = "iam_policy_document"
    revert  = "inline_policy_document"
  }
  # The identity, written on import (the provider requires the user; the name it would
  # otherwise take from the import id).
  attribute "user" { import_only = true }
  attribute "name" { import_only = true }
}
