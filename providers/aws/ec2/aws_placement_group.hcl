# aws_placement_group: DescribePlacementGroups (unit: src/provider/aws/ec2/placement_group.rs).
# Identified by its `placement_group_id` (the id EC2 tags by); imported by its name, the
# provider's id. Nothing but its tags can change in place.
resource "aws_placement_group" {
  service   = "ec2"
  scope     = "regional"
  identity  = ["placement_group_id"]
  import_id = "{name}"
  delete    = "aws ec2 delete-placement-group --group-name {name}"

  attribute "name" { immutable = true }
  attribute "strategy" { immutable = true }
  attribute "partition_count" {
    default   = 0
    immutable = true
  }
  attribute "spread_level" {
    default   = ""
    immutable = true
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
