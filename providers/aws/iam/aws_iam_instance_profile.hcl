# aws_iam_instance_profile: ListInstanceProfiles, with the role inside the profile; tags from
# GetInstanceProfile, one call per profile, so only for the profiles a state records (unit:
# src/provider/aws/iam/instance_profile.rs).
resource "aws_iam_instance_profile" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-instance-profile --instance-profile-name {id}"

  attribute "name" { immutable = true }
  attribute "path" {
    default   = "/"
    immutable = true
  }
  attribute "role" {
    default = ""
    revert = "profile_role"
  }
  attribute "tags" {
    compare = "tag_map"
    read    = "recorded"
  }
}
