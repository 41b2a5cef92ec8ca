//! `aws_iam_saml_provider`: `ListSAMLProviders` (ARNs and validity, one call, no pages), then
//! `GetSAMLProvider` for the metadata document and tags, one paced read per provider a state
//! records (`read = "recorded"`); an account holds at most 100. The metadata is public (it
//! names the identity provider and its signing certificates) but long: reports show a change
//! of it as a line diff, and an unread provider carries its name only.

use aws_sdk_iam::operation::get_saml_provider::GetSamlProviderOutput;

use super::{Cx, Found, Listed, Sample, Unit, date, global, tag_map};
use crate::model::{Attributes, Owner};
use crate::provider::aws::calls::{failure_reason, gap};

pub const SAML_PROVIDER: &str = "aws_iam_saml_provider";
const TYPES: &[&str] = &[SAML_PROVIDER];

pub const UNIT: Unit = Unit {
    label: "SAML providers",
    types: TYPES,
    needs: &[],
    list,
    samples,
    // A metadata document put back would travel whole in the plan and be shown whole when it
    // is approved: left to `terraform apply` (manual).
    reverts: &[],
    operations: &[],
    execute: super::executes_nothing,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let arns: Vec<String> = match cx.client.list_saml_providers().send().await {
            Ok(out) => out
                .saml_provider_list()
                .iter()
                .filter_map(|p| p.arn())
                .map(str::to_string)
                .collect(),
            Err(e) => {
                return Found::gap(gap(
                    "iam",
                    None,
                    "ListSAMLProviders",
                    TYPES,
                    failure_reason(&e),
                ));
            }
        };
        let read: Vec<String> = arns
            .iter()
            .filter(|arn| cx.reads(SAML_PROVIDER, arn))
            .cloned()
            .collect();
        let details = cx
            .each(UNIT.label, read, |client, arn| async move {
                match client
                    .get_saml_provider()
                    .saml_provider_arn(&arn)
                    .send()
                    .await
                {
                    Ok(out) => Ok(Some(out)),
                    // Deleted since the listing: gone, not a failure.
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_no_such_entity_exception()) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(failure_reason(&e)),
                }
            })
            .await;
        cx.emit_read(
            SAML_PROVIDER,
            "GetSAMLProvider",
            "SAML provider",
            &arns,
            &details,
            attributes,
        )
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
    vec![Sample {
        resource: global(SAML_PROVIDER, arn, Owner::User, attributes(arn, Some(&out))),
        import_id: arn.into(),
    }]
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
