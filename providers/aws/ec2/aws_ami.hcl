# aws_ami: DescribeImages with Owners=self (unit: src/provider/aws/ec2/images.rs): public,
# Amazon and shared images are not the account's. Every registration attribute is immutable
# (terraform registers a new image); the description and tags change in place. The block
# device mappings are not compared but the root snapshot is. The snapshots backing an own image
# are the image's (never unmanaged `aws_ebs_snapshot`s).
resource "aws_ami" {
  service  = "ec2"
  scope    = "regional"
  identity = ["id"]
  delete   = "aws ec2 deregister-image --image-id {id}"

  attribute "name" { immutable = true }
  attribute "description" { default = "" }
  attribute "architecture" {
    default   = ""
    immutable = true
  }
  attribute "virtualization_type" {
    default   = ""
    immutable = true
  }
  attribute "root_device_name" {
    default   = ""
    immutable = true
  }
  attribute "root_snapshot_id" {
    computed  = true
    default   = ""
    immutable = true
  }
  attribute "ena_support" {
    default   = false
    immutable = true
  }
  attribute "sriov_net_support" {
    default   = ""
    immutable = true
  }
  attribute "boot_mode" {
    default   = ""
    immutable = true
  }
  attribute "imds_support" {
    default   = ""
    immutable = true
  }
  attribute "tpm_support" {
    default   = ""
    immutable = true
  }
  attribute "kernel_id" {
    default   = ""
    immutable = true
  }
  attribute "ramdisk_id" {
    default   = ""
    immutable = true
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
