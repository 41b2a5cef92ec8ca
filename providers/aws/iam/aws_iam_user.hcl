# aws_iam_user: GetAccountAuthorizationDetails.
resource "aws_iam_user" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-user --user-name {id}"

  attribute "name" { immutable = true }
  attribute "path" {
    default = "/"
    revert  = "update_user"
  }
  attribute "permissions_boundary" {
    default = ""
    revert  = "permissions_boundary"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
