# aws_iam_user: GetAccountAuthorizationDetails.
resource "aws_iam_user" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]

  attribute "name" {}
  attribute "path" { default = "/" }
  attribute "permissions_boundary" { default = "" }
  attribute "tags" { compare = "tag_map" }
}
