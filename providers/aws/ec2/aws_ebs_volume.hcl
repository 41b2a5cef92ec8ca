# aws_ebs_volume: DescribeVolumes (unit: src/provider/aws/ec2/volumes.rs). The volumes an
# instance is launched with (its root volume, and any volume deleted with it) are part of its
# `aws_instance` in the provider's model (`root_block_device`, `ebs_block_device`): they are the
# instance's, never unmanaged volumes. Type, IOPS, throughput and multi-attach are put back in
# place by one ModifyVolume (online); a grown size cannot be put back (a volume only grows:
# terraform replaces it).
resource "aws_ebs_volume" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 delete-volume --volume-id {id}"

  attribute "availability_zone" { immutable = true }
  attribute "size" {}
  attribute "type" { revert = "modify_volume" }
  # Computed: what AWS reports (gp2's baseline, gp3's 3000); 0 where the type has none.
  attribute "iops" {
    default = 0
    revert  = "modify_volume"
  }
  attribute "throughput" {
    default = 0
    revert  = "modify_volume"
  }
  attribute "encrypted" {
    default   = false
    immutable = true
  }
  attribute "kms_key_id" {
    default   = ""
    immutable = true
  }
  attribute "snapshot_id" {
    default   = ""
    immutable = true
  }
  attribute "multi_attach_enabled" {
    default = false
    revert  = "modify_volume"
  }
  attribute "outpost_arn" {
    default   = ""
    immutable = true
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
