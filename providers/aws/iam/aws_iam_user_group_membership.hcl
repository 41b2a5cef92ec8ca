# aws_iam_user_group_membership: not exclusive (unit: src/provider/aws/iam/group.rs). Each
# (user, group) pair is one object; a resource stands for the pairs of its `groups`. A pair no
# state records is unmanaged, unless the group's exclusive aws_iam_group_membership records the
# group: then it is a change of that resource's `users`.
resource "aws_iam_user_group_membership" {
  service         = "iam"
  scope           = "global"
  # The pair's group (its import id and delete command), and what the group holds, for the
  # policy; never compared.
  context         = ["group", "group_policies", "group_policy_arns"]
  identity        = ["user"]
  import_name = "{user}_{group}"
  identity_fanout = ["groups"]
  import_id       = "{user}/{group}"
  delete          = "aws iam remove-user-from-group --user-name {user} --group-name {group}"

  parent "aws_iam_group_membership" {
    via       = "group"
    attribute = "users"
  }
  parent "aws_iam_group" { via = "group" }

  # Written on import: the user, and the pair's one group (the import id names it).
  attribute "user" { import_only = true }
  attribute "groups" {
    import_only = true
    value       = ["{group}"]
  }
}
