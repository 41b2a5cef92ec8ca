# aws_iam_role_policy_attachment: identity is the pair (role, policy); terraform's id is random.
resource "aws_iam_role_policy_attachment" {
  service  = "iam"
  scope    = "global"
  identity = ["role", "policy_arn"]
  import_name = "{role}_{policy_arn}"
  recreate = "attach_policy"

  # A policy's exclusive aws_iam_policy_attachment describes its entities first.
  parent "aws_iam_policy_attachment" {
    via       = "policy_arn"
    attribute = "roles"
  }
  parent "aws_iam_role" {
    via       = "role"
    attribute = "managed_policy_arns"
  }

  # The identity, written on import (the provider requires both).
  attribute "role" { import_only = true }
  attribute "policy_arn" { import_only = true }
}
