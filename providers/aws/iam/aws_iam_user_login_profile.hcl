# aws_iam_user_login_profile: GetLoginProfile per user (unit: src/provider/aws/iam/login_profile.rs).
# Existence only: the password is never read.
resource "aws_iam_user_login_profile" {
  service  = "iam"
  scope    = "global"
  identity = ["user"]
  delete   = "aws iam delete-login-profile --user-name {user}"

  parent "aws_iam_user" { via = "user" }
}
