# aws_iam_group_membership: exclusive over a group's members (unit: src/provider/aws/iam/group.rs).
# One observed object per group with every member, so a user slipped into the group is a change
# of `users`. Terraform's id is a free name: the identity is the group, and the object is never
# reported unmanaged (the per-pair aws_iam_user_group_membership is).
resource "aws_iam_group_membership" {
  service  = "iam"
  scope    = "global"
  identity = ["group"]
  no_import = "the provider has no importer for it (its id is a free name); the object is never unmanaged"
  # What the group holds, for the policy (never compared).
  context = ["group_policies", "group_policy_arns"]

  parent "aws_iam_group" { via = "group" }

  attribute "users" {
    compare = "set"
    default = []

  revert  = "group_members"
  }
}
