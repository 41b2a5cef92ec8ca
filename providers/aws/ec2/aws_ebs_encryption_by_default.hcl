# aws_ebs_encryption_by_default: GetEbsEncryptionByDefault (unit:
# src/provider/aws/ec2/ebs_encryption_by_default.rs). A setting of the account in each region:
# one per region, always there, so never unmanaged. The provider's `id` is a random unique id;
# the resource is matched to its region's setting by `setting`, which the provider does not
# record (its default, `default`, on the recorded side) and is the provider's import id.
# Turning it off is graded by the rule `ebs_encryption_by_default_off`.
resource "aws_ebs_encryption_by_default" {
  service  = "ec2"
  scope    = "regional"
  identity = ["setting"]

  attribute "setting" {
    default  = "default"
    computed = true
  }
  # Put back by EnableEbsEncryptionByDefault / DisableEbsEncryptionByDefault.
  attribute "enabled" {
    default = true
    revert  = "ebs_encryption_by_default"
  }
}
