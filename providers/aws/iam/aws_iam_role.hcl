# aws_iam_role: GetAccountAuthorizationDetails (documents, tags, attachments, inline policies)
# and ListRoles (description, max session duration, which the former does not return).
resource "aws_iam_role" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-role --role-name {id}"

  attribute "name" { immutable = true }
  attribute "path" {
    default   = "/"
    immutable = true
  }
  attribute "description" {
    default = ""
    revert  = "update_role"
  }
  attribute "assume_role_policy" {
    compare = "iam_policy_document"
    revert  = "assume_role_policy"
  }
  attribute "max_session_duration" {
    default = 3600
    revert  = "update_role"
  }
  attribute "permissions_boundary" {
    default = ""
    revert  = "permissions_boundary"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
  attribute "managed_policy_arns" {
    compare = "set"
    revert  = "managed_policy_arns"
    managed_by "aws_iam_role_policy_attachment" { via = "role" }
  }
  attribute "inline_policy" {
    compare = "inline_policies"
    revert  = "inline_policies"
    managed_by "aws_iam_role_policy" { via = "role" }
  }
}
