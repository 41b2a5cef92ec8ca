# aws_iam_openid_connect_provider: ListOpenIDConnectProviders; the client ids, thumbprints and
# tags from GetOpenIDConnectProvider, one call per provider, so only for the providers a state
# records (unit: src/provider/aws/iam/oidc_provider.rs). The URL is recorded as AWS returns it
# (no scheme).
resource "aws_iam_openid_connect_provider" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-open-id-connect-provider --open-id-connect-provider-arn {id}"

  attribute "url" { immutable = true }
  attribute "client_id_list" {
    compare = "set"
    revert  = "oidc_client_ids"
    read    = "recorded"
  }
  attribute "thumbprint_list" {
    compare = "set"
    default = []
    revert  = "oidc_thumbprints"
    read    = "recorded"
  }
  attribute "tags" {
    compare = "tag_map"
    read    = "recorded"
  }
}
