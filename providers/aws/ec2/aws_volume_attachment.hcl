# aws_volume_attachment: an entry of a volume's `Attachments` in DescribeVolumes (unit:
# src/provider/aws/ec2/volumes.rs), attaching or attached. Identified by what it joins, the
# provider's import id `DEVICE_NAME:VOLUME_ID:INSTANCE_ID`; every part is immutable (a volume
# detached and attached elsewhere is this attachment missing and another one unmanaged). An
# attachment of a volume that is part of its instance (root volume, deleted with the instance)
# is the instance's, never unmanaged. It belongs to its volume and its instance (which also place
# it in its region when it is missing); an attachment of an unmanaged volume is shown with it.
resource "aws_volume_attachment" {
  service            = "ec2"
  scope              = "regional"
  identity           = ["device_name", "volume_id", "instance_id"]
  import_name = "{instance_id}_{device_name}"
  identity_separator = ":"
  delete             = "aws ec2 detach-volume --volume-id {volume_id} --instance-id {instance_id} --device {device_name}"

  parent "aws_ebs_volume" { via = "volume_id" }
  parent "aws_instance" { via = "instance_id" }

  attribute "device_name" { immutable = true }
  attribute "volume_id" { immutable = true }
  attribute "instance_id" { immutable = true }
}
