# aws_iam_user_policy_attachment: identity is the pair (user, policy).
resource "aws_iam_user_policy_attachment" {
  service  = "iam"
  scope    = "global"
  identity = ["user", "policy_arn"]
  import_name = "{user}_{policy_arn}"
  recreate = "attach_policy"

  # A policy's exclusive aws_iam_policy_attachment describes its entities first.
  parent "aws_iam_policy_attachment" {
    via       = "policy_arn"
    attribute = "users"
  }
  parent "aws_iam_user" { via = "user" }

  # The identity, written on import (the provider requires both).
  attribute "user" { import_only = true }
  attribute "policy_arn" { import_only = true }
}
