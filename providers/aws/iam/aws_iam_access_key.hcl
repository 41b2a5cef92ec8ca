# aws_iam_access_key: ListAccessKeys per user (unit: src/provider/aws/iam/access_key.rs). The
# secret is never read: id, user and status only.
resource "aws_iam_access_key" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  import_name = "{user}_{id}"
  delete   = "aws iam delete-access-key --user-name {user} --access-key-id {id}"

  parent "aws_iam_user" { via = "user" }

  attribute "user" { immutable = true }
  attribute "status" {
    default = "Active"
    revert = "access_key_status"
  }
}
