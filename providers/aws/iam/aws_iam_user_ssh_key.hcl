# aws_iam_user_ssh_key: ListSSHPublicKeys per user; the fingerprint from GetSSHPublicKey, one
# call per key, so only for the keys a state records (unit: src/provider/aws/iam/ssh_key.rs).
# The key body is public but not compared: the fingerprint stands for it, as the provider
# records it; `encoding` is how terraform asked for the body, not a property of the key (the
# import id names SSH, the encoding the unit reads it in).
resource "aws_iam_user_ssh_key" {
  service   = "iam"
  scope     = "global"
  identity  = ["id"]
  import_name = "{username}_{id}"
  import_id = "{username}:{id}:SSH"
  delete    = "aws iam delete-ssh-public-key --user-name {username} --ssh-public-key-id {id}"

  parent "aws_iam_user" { via = "username" }

  attribute "username" { immutable = true }
  attribute "status" {
    default = "Active"
    revert  = "ssh_key_status"
  }
  attribute "fingerprint" {
    computed  = true
    immutable = true
    read      = "recorded"
  }
  # Written on import: the body as GetSSHPublicKey returns it (read with the fingerprint, so
  # for the keys `plan` reads), and the encoding the import id names.
  attribute "public_key" {
    import_only = true
    read        = "recorded"
  }
  attribute "encoding" {
    import_only = true
    value       = "SSH"
  }
}
