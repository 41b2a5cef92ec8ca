# aws_iam_group_policy_attachment: identity is the pair (group, policy); terraform's id is random
# (unit: src/provider/aws/iam/group.rs). An attachment a policy's exclusive
# aws_iam_policy_attachment records is a change of that resource's `groups`.
resource "aws_iam_group_policy_attachment" {
  service  = "iam"
  scope    = "global"
  identity = ["group", "policy_arn"]
  import_name = "{group}_{policy_arn}"
  # The attached policy's document (customer managed), for the policy (never compared).
  context = ["policy"]
  delete   = "aws iam detach-group-policy --group-name {group} --policy-arn {policy_arn}"

  parent "aws_iam_policy_attachment" {
    via       = "policy_arn"
    attribute = "groups"
  }
  parent "aws_iam_group" { via = "group" }

  # The identity, written on import (the provider requires both).
  attribute "group" { import_only = true }
  attribute "policy_arn" { import_only = true }
}
