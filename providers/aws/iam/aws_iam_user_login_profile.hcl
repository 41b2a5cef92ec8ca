# aws_iam_user_login_profile: GetLoginProfile per user (unit: src/provider/aws/iam/login_profile.rs).
# Existence only: the password is never read.
resource "aws_iam_user_login_profile" {
  service  = "iam"
  scope    = "global"
  identity = ["user"]
  delete   = "aws iam delete-login-profile --user-name {user}"

  parent "aws_iam_user" { via = "user" }

  # The identity, written on import (the provider requires it).
  attribute "user" { import_only = true }
  # What the provider cannot read back on import, ignored as its import docs ask
  # (`lifecycle { ignore_changes = [password_length, password_reset_required, pgp_key] }`):
  # never written, so the password is left as it is.
  attribute "password_length" {
    import_only    = true
    optional       = true
    ignore_changes = true
  }
  attribute "password_reset_required" {
    import_only    = true
    optional       = true
    ignore_changes = true
  }
  attribute "pgp_key" {
    import_only    = true
    optional       = true
    ignore_changes = true
  }
}
