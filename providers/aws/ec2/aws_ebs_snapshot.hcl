# aws_ebs_snapshot: DescribeSnapshots with OwnerIds=self (unit: src/provider/aws/ec2/images.rs):
# public and shared snapshots are not the account's. A snapshot backing one of the account's
# images is the image's (CreateImage and CopyImage make them; the provider records them inside
# the image), never an unmanaged snapshot.
resource "aws_ebs_snapshot" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-snapshot --snapshot-id {id}"

  attribute "volume_id" { immutable = true }
  attribute "volume_size" {
    immutable = true
    computed  = true
  }
  attribute "description" {
    default   = ""
    immutable = true
  }
  attribute "encrypted" {
    computed  = true
    default   = false
    immutable = true
  }
  attribute "kms_key_id" {
    computed  = true
    default   = ""
    immutable = true
  }
  # `standard` or `archive` (ModifySnapshotTier); moto reports none.
  attribute "storage_tier" { default = "" }
  attribute "outpost_arn" {
    default   = ""
    immutable = true
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
