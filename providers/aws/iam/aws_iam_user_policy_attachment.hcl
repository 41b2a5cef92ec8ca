# aws_iam_user_policy_attachment: identity is the pair (user, policy).
resource "aws_iam_user_policy_attachment" {
  service  = "iam"
  scope    = "global"
  identity = ["user", "policy_arn"]
  recreate = "attach_policy"

  parent "aws_iam_user" { via = "user" }
}
