# aws_iam_policy: customer managed policies from GetAccountAuthorizationDetails (default version
# document); tags from ListPolicyTags, the one per-policy call no batch API covers.
resource "aws_iam_policy" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]

  attribute "name" {}
  attribute "path" { default = "/" }
  attribute "description" { default = "" }
  attribute "policy" { compare = "iam_policy_document" }
  attribute "tags" { compare = "tag_map" }
}
