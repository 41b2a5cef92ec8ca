# aws_iam_role_policy_attachment: identity is the pair (role, policy); terraform's id is random.
resource "aws_iam_role_policy_attachment" {
  service  = "iam"
  scope    = "global"
  identity = ["role", "policy_arn"]
  recreate = "attach_policy"

  parent "aws_iam_role" {
    via       = "role"
    attribute = "managed_policy_arns"
  }
}
