//! `aws_iam_saml_provider`: `ListSAMLProviders` (ARNs and validity, one call, no pages), then
//! `GetSAMLProvider` for the metadata document and tags, one paced read per provider a state
//! records (`read = "recorded"`); an account holds at most 100. The metadata is public (it
//! names the identity provider and its signing certificates) but long: reports show a change
//! of it as a line diff, and an unread provider carries its name only.

use aws_sdk_iam::operation::get_saml_provider::GetSamlProviderOutput;

use super::{Cx, Listed, Sample, Unit, date, tag_map};
use crate::model::Attributes;

pub const SAML_PROVIDER: &str = "aws_iam_saml_provider";
const TYPES: &[&str] = &[SAML_PROVIDER];

// A metadata document put back would travel whole in the plan and be shown whole when it
// is approved: left to `terraform apply` (manual).
pub const UNIT: Unit = Unit::new("SAML providers", TYPES, list, samples);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let listed = cx.client.list_saml_providers().send().await;
        let arns = listed.map(|out| {
            out.saml_provider_list()
                .iter()
                .filter_map(|p| Some(p.arn()?.to_string()))
                .collect()
        });
        let arns = match super::listed_arns("ListSAMLProviders", TYPES, arns) {
            Ok(arns) => arns,
            Err(found) => return found,
        };
        let read = |client: aws_sdk_iam::Client, arn: String| async move {
            super::unless_gone(
                client
                    .get_saml_provider()
                    .saml_provider_arn(&arn)
                    .send()
                    .await,
            )
        };
        let what = ("GetSAMLProvider", "SAML provider");
        cx.read_each((UNIT.label, SAML_PROVIDER), what, &arns, read, attributes)
            .await
    })
}

/// An `aws_iam_saml_provider`; its name is the ARN's last part. `read: None`: not read; the
/// metadata document, validity and tags are absent, never guessed.
pub fn attributes(arn: &str, read: Option<&GetSamlProviderOutput>) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), arn.into());
    a.insert("arn".into(), arn.into());
    let name = arn.split_once(":saml-provider/").map(|(_, name)| name);
    a.insert("name".into(), name.into());
    if let Some(out) = read {
        a.insert(
            "saml_metadata_document".into(),
            out.saml_metadata_document().into(),
        );
        a.insert("valid_until".into(), date(out.valid_until()));
        a.insert("tags".into(), tag_map(out.tags()));
    }
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::primitives::DateTime;
    use aws_sdk_iam::types::Tag;
    let arn = "arn:aws:iam::111122223333:saml-provider/corp";
    let out = GetSamlProviderOutput::builder()
        .saml_metadata_document("<md:EntityDescriptor entityID=\"https://idp.example.com\"/>")
        .valid_until(DateTime::from_secs(1_900_000_000))
        .create_date(DateTime::from_secs(1_800_000_000))
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .build();
    vec![Sample::global(
        SAML_PROVIDER,
        arn,
        attributes(arn, Some(&out)),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unread_provider_has_its_name_and_nothing_guessed() {
        let a = attributes("arn:aws:iam::111122223333:saml-provider/corp", None);
        assert_eq!(a["name"], "corp".into());
        assert!(!a.contains_key("saml_metadata_document"));
        assert!(!a.contains_key("tags"));
        let read = &samples()[0].resource.attributes;
        assert_eq!(read["valid_until"], "2030-03-17T17:46:40Z".into());
    }
}
