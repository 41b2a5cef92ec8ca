# aws_iam_account_alias: ListAccountAliases (unit: src/provider/aws/iam/account_alias.rs).
resource "aws_iam_account_alias" {
  service  = "iam"
  scope    = "global"
  identity = ["account_alias"]
  delete   = "aws iam delete-account-alias --account-alias {account_alias}"

  # The identity, written on import (the provider requires it).
  attribute "account_alias" { import_only = true }
}
