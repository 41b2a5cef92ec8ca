# aws_iam_user_ssh_key: ListSSHPublicKeys per user; the fingerprint from GetSSHPublicKey, one
# call per key, so only for the keys a state records (unit: src/provider/aws/iam/ssh_key.rs).
# The key body is public but not compared: the fingerprint stands for it, as the provider
# records it; `encoding` is how terraform asked for the body, not a property of the key (the
# import id names SSH, the encoding the unit reads it in).
resource "aws_iam_user_ssh_key" {
  service   = "iam"
  scope     = "global"
  identity  = ["id"]
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
}
