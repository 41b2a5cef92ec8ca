# aws_iam_service_linked_role: the roles under /aws-service-role/ of GetAccountAuthorizationDetails
# (with their tags); the description from GetRole, one call per role, so only for the roles a
# state records (unit: src/provider/aws/iam/service_linked_role.rs). AWS creates these roles
# itself: an unrecorded one is AWS's, not unmanaged. Service and suffix are parts of the ARN.
resource "aws_iam_service_linked_role" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-service-linked-role --role-name {name}"

  attribute "aws_service_name" { immutable = true }
  attribute "custom_suffix" {
    default   = ""
    immutable = true
  }
  attribute "description" {
    default = ""
    revert  = "service_linked_role_description"
    read    = "recorded"
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "service_linked_role_tags"
  }
}
