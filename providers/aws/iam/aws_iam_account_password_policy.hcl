# aws_iam_account_password_policy: GetAccountPasswordPolicy, the account's one policy (unit:
# src/provider/aws/iam/password_policy.rs). Defaults are the provider's (AWS leaves unset ages
# and counts out).
resource "aws_iam_account_password_policy" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-account-password-policy"

  attribute "minimum_password_length" {
    default = 6
    revert = "password_policy"
  }
  attribute "require_symbols" {
    default = false
    revert = "password_policy"
  }
  attribute "require_numbers" {
    default = false
    revert = "password_policy"
  }
  attribute "require_uppercase_characters" {
    default = false
    revert = "password_policy"
  }
  attribute "require_lowercase_characters" {
    default = false
    revert = "password_policy"
  }
  attribute "allow_users_to_change_password" {
    default = true
    revert = "password_policy"
  }
  attribute "max_password_age" {
    default = 0
    revert = "password_policy"
  }
  attribute "password_reuse_prevention" {
    default = 0
    revert = "password_policy"
  }
  attribute "hard_expiry" {
    default = false
    revert = "password_policy"
  }
}
