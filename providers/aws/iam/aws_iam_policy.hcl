# aws_iam_policy: customer managed policies from GetAccountAuthorizationDetails (default version
# document); tags from ListPolicyTags, the one per-policy call no batch API covers, so a scan
# makes it only for the policies a state records (`read = "recorded"`); an unmanaged policy's
# tags are read when the whole object is wanted (`plan`: imports and tag guardrails).
resource "aws_iam_policy" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-policy --policy-arn {id}"

  attribute "name" { immutable = true }
  attribute "path" {
    default   = "/"
    immutable = true
  }
  attribute "description" {
    default   = ""
    immutable = true
  }
  attribute "policy" {
    compare = "iam_policy_document"
    revert  = "policy_version"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
    read    = "recorded"
  }
}
