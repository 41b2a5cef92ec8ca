# aws_iam_account_password_policy: GetAccountPasswordPolicy, the account's one policy (unit:
# src/provider/aws/iam/password_policy.rs). Defaults are the provider's (AWS leaves unset ages
# and counts out).
resource "aws_iam_account_password_policy" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-account-password-policy"

  attribute "minimum_password_length" { default = 6 }
  attribute "require_symbols" { default = false }
  attribute "require_numbers" { default = false }
  attribute "require_uppercase_characters" { default = false }
  attribute "require_lowercase_characters" { default = false }
  attribute "allow_users_to_change_password" { default = true }
  attribute "max_password_age" { default = 0 }
  attribute "password_reuse_prevention" { default = 0 }
  attribute "hard_expiry" { default = false }
}
