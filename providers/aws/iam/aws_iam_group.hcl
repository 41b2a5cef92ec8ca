# aws_iam_group: GetAccountAuthorizationDetails (unit: src/provider/aws/iam/group.rs). Its members,
# inline policies and attachments are resources of their own, shown under it.
resource "aws_iam_group" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-group --group-name {id}"

  attribute "name" { immutable = true }
  attribute "path" { default = "/" }
}
