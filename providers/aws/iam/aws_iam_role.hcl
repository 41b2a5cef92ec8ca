# aws_iam_role: GetAccountAuthorizationDetails (documents, tags, attachments, inline policies)
# and ListRoles (description, max session duration, which the former does not return).
resource "aws_iam_role" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]

  attribute "name" {}
  attribute "path" { default = "/" }
  attribute "description" { default = "" }
  attribute "assume_role_policy" { compare = "iam_policy_document" }
  attribute "max_session_duration" { default = 3600 }
  attribute "permissions_boundary" { default = "" }
  attribute "tags" { compare = "tag_map" }
  attribute "managed_policy_arns" {
    compare = "set"
    managed_by "aws_iam_role_policy_attachment" { via = "role" }
  }
  attribute "inline_policy" {
    compare = "inline_policies"
    managed_by "aws_iam_role_policy" { via = "role" }
  }
}
