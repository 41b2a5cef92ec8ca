# aws_key_pair: DescribeKeyPairs (unit: src/provider/aws/ec2/key_pairs.rs), identified by its
# key pair id (`key-...`, what CreateTags takes; the provider's id and import id are the name).
# A key deleted and re-imported under the same name is another key pair: missing, and the new
# one unmanaged. AWS does not return the public key material the
# provider was given (`public_key` stays the configuration's): compared is what AWS returns,
# the name, fingerprint and type, and the tags.
resource "aws_key_pair" {
  service   = "ec2"
  scope     = "regional"
  identity  = ["key_pair_id"]
  import_name = "{key_name}"
  import_id = "{key_name}"
  delete    = "aws ec2 delete-key-pair --key-name {key_name}"

  attribute "key_name" { immutable = true }
  attribute "fingerprint" {
    immutable = true
    computed  = true
  }
  attribute "key_type" {
    immutable = true
    computed  = true
  }
  # Written on import: the key material, as DescribeKeyPairs returns it with IncludePublicKey.
  # The provider never reads it back (it keeps the configuration's), so terraform would
  # replace the key pair for any value: written with `lifecycle { ignore_changes }`.
  attribute "public_key" {
    import_only    = true
    ignore_changes = true
  }
  attribute "tags" {
    compare = "tag_map"
    revert  = "tags"
  }
}
