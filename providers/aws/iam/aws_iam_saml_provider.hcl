# aws_iam_saml_provider: ListSAMLProviders; the metadata document and tags from GetSAMLProvider,
# one call per provider, so only for the providers a state records (unit:
# src/provider/aws/iam/saml_provider.rs). `valid_until` is AWS's reading of the metadata: not
# compared. No revert: the metadata would travel and be shown whole in a plan (`terraform
# apply` puts it back).
resource "aws_iam_saml_provider" {
  service  = "iam"
  scope    = "global"
  identity = ["id"]
  delete   = "aws iam delete-saml-provider --saml-provider-arn {id}"

  attribute "name" { immutable = true }
  attribute "saml_metadata_document" { read = "recorded" }
  attribute "tags" {
    compare = "tag_map"
    read    = "recorded"
  }
}
