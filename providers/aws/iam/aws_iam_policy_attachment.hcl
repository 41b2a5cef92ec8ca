# aws_iam_policy_attachment: exclusive over a managed policy's users, roles and groups (unit:
# src/provider/aws/iam/policy_attachment.rs): an entity attached outside terraform is a change of
# this resource. Terraform's id is a free name: the identity is the policy, and the object is
# never reported unmanaged (the per-entity attachments are).
resource "aws_iam_policy_attachment" {
  service  = "iam"
  scope    = "global"
  identity = ["policy_arn"]
  no_import = "the provider has no importer for it (its id is a free name); the object is never unmanaged"
  # The attached policy's document (customer managed), for the policy (never compared).
  context = ["policy"]

  attribute "users" {
    compare = "set"
    default = []

  revert  = "policy_entities"
  }
  attribute "roles" {
    compare = "set"
    default = []

  revert  = "policy_entities"
  }
  attribute "groups" {
    compare = "set"
    default = []

  revert  = "policy_entities"
  }
}
