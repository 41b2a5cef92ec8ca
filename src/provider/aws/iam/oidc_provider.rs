//! `aws_iam_openid_connect_provider`: `ListOpenIDConnectProviders` (the ARNs, one call, no
//! pages), then `GetOpenIDConnectProvider` for the client ids, thumbprints and tags, one paced
//! read per provider a state records (`read = "recorded"`); an account holds at most 100.
//! An unread provider still carries its URL, from the ARN's last part. AWS returns the URL
//! without its scheme (and the state holds it so); it is observed with `https://`, as the
//! provider's configuration needs it (an import writes it), and compared as one (`https_url`).

use std::collections::BTreeSet;

use super::{Args, call_error, text_arg};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput;

use super::{Cx, Listed, Sample, Unit, tag_map};
use crate::model::{Attributes, Value};

pub const OIDC_PROVIDER: &str = "aws_iam_openid_connect_provider";
const TYPES: &[&str] = &[OIDC_PROVIDER];

pub const UNIT: Unit = Unit::new("OIDC providers", TYPES, list, samples).calls(
    REVERTS,
    &[
        "AddClientIDToOpenIDConnectProvider",
        "RemoveClientIDFromOpenIDConnectProvider",
        "UpdateOpenIDConnectProviderThumbprint",
    ],
    execute,
);

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let listed = cx.client.list_open_id_connect_providers().send().await;
        let arns = listed.map(|out| {
            out.open_id_connect_provider_list()
                .iter()
                .filter_map(|p| Some(p.arn()?.to_string()))
                .collect()
        });
        let arns = match super::listed_arns("ListOpenIDConnectProviders", TYPES, arns) {
            Ok(arns) => arns,
            Err(found) => return found,
        };
        let read = |client: aws_sdk_iam::Client, arn: String| async move {
            let out = client
                .get_open_id_connect_provider()
                .open_id_connect_provider_arn(&arn)
                .send()
                .await;
            super::unless_gone(out)
        };
        let what = ("GetOpenIDConnectProvider", "OIDC provider");
        cx.read_each((UNIT.label, OIDC_PROVIDER), what, &arns, read, attributes)
            .await
    })
}

/// A sorted list of strings (a set attribute).
fn sorted(items: &[String]) -> Value {
    let set: BTreeSet<&str> = items.iter().map(String::as_str).collect();
    set.into_iter().collect::<Vec<_>>().into()
}

/// An `aws_iam_openid_connect_provider`. `read: None`: not read; the client ids, thumbprints
/// and tags are absent, never guessed.
pub fn attributes(arn: &str, read: Option<&GetOpenIdConnectProviderOutput>) -> Attributes {
    let mut a = Attributes::new();
    a.insert("id".into(), arn.into());
    a.insert("arn".into(), arn.into());
    let from_arn = arn.split_once(":oidc-provider/").map(|(_, url)| url);
    let url = read.and_then(|o| o.url()).or(from_arn).map(|url| {
        if url
            .get(..8)
            .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
        {
            url.to_string()
        } else {
            format!("https://{url}")
        }
    });
    a.insert("url".into(), url.into());
    if let Some(out) = read {
        a.insert("client_id_list".into(), sorted(out.client_id_list()));
        a.insert("thumbprint_list".into(), sorted(out.thumbprint_list()));
        a.insert("tags".into(), tag_map(out.tags()));
    }
    a
}

fn samples() -> Vec<Sample> {
    use aws_sdk_iam::types::Tag;
    let arn = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";
    let out = GetOpenIdConnectProviderOutput::builder()
        .url("token.actions.githubusercontent.com")
        .client_id_list("sts.amazonaws.com")
        .thumbprint_list("6938fd4d98bab03faadb97b34396831e3780aea1")
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .build();
    vec![Sample::global(
        OIDC_PROVIDER,
        arn,
        attributes(arn, Some(&out)),
    )]
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[
    UnitRevert::new("oidc_client_ids", &[OIDC_PROVIDER], plan_client_ids),
    UnitRevert::new("oidc_thumbprints", &[OIDC_PROVIDER], plan_thumbprints),
];

/// The client ids (audiences) put back: the ones added out of band removed first (trust
/// narrowed before anything is widened again), then the recorded ones missing added.
fn plan_client_ids(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let ops = (
        "RemoveClientIDFromOpenIDConnectProvider",
        "AddClientIDToOpenIDConnectProvider",
    );
    let (remove, add) = super::set_calls(input, ("arn", "client_id_list"), "client_id", ops)?;
    Ok([remove, add].concat())
}

/// The recorded thumbprints put back, the whole list in one call (the API replaces it). As
/// one comma-separated text: a thumbprint is 40 hex digits.
fn plan_thumbprints(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let arn = input.recorded_text("arn")?;
    let recorded = super::names(input.recorded.attributes.get("thumbprint_list"));
    if recorded.is_empty() {
        // The API needs at least one (an empty list is not a state AWS can hold here).
        return Err("no thumbprint is recorded".into());
    }
    let list: Vec<&str> = recorded.iter().map(String::as_str).collect();
    Ok(vec![
        UnitCall::new("iam", "UpdateOpenIDConnectProviderThumbprint", &arn)
            .arg("thumbprint_list", Arg::text(list.join(","))),
    ])
}

iam_calls! {
    "AddClientIDToOpenIDConnectProvider" =>
        add_client_id_to_open_id_connect_provider(open_id_connect_provider_arn; client_id),
    "RemoveClientIDFromOpenIDConnectProvider" =>
        remove_client_id_from_open_id_connect_provider(open_id_connect_provider_arn; client_id);
    "UpdateOpenIDConnectProviderThumbprint" => update_thumbprints,
}

/// UpdateOpenIDConnectProviderThumbprint: the whole list, from its comma-separated text.
async fn update_thumbprints(
    client: &aws_sdk_iam::Client,
    call: &UnitCall,
    args: &Args,
) -> Result<(), String> {
    let list = text_arg(args, "thumbprint_list")?;
    client
        .update_open_id_connect_provider_thumbprint()
        .open_id_connect_provider_arn(&call.target)
        .set_thumbprint_list(Some(list.split(',').map(str::to_string).collect()))
        .send()
        .await
        .map(|_| ())
        .map_err(call_error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::aws::iam::{planned, revert_case};

    const ARN: &str = "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com";

    #[test]
    fn the_added_audience_removed_and_the_recorded_one_back() {
        let case = revert_case(
            OIDC_PROVIDER,
            vec![
                ("arn", ARN.into()),
                ("client_id_list", vec!["sts.amazonaws.com"].into()),
            ],
            vec![(
                "client_id_list",
                vec!["sts.amazonaws.com"].into(),
                vec!["evil-app"].into(),
            )],
        );
        assert_eq!(
            planned(plan_client_ids, &case),
            [
                format!("RemoveClientIDFromOpenIDConnectProvider {ARN} client_id=evil-app"),
                format!("AddClientIDToOpenIDConnectProvider {ARN} client_id=sts.amazonaws.com"),
            ]
        );
    }

    #[test]
    fn the_recorded_thumbprints_in_one_call() {
        let case = revert_case(
            OIDC_PROVIDER,
            vec![
                ("arn", ARN.into()),
                ("thumbprint_list", vec!["bb", "aa"].into()),
            ],
            vec![(
                "thumbprint_list",
                vec!["aa", "bb"].into(),
                vec!["cc"].into(),
            )],
        );
        assert_eq!(
            planned(plan_thumbprints, &case),
            [format!(
                "UpdateOpenIDConnectProviderThumbprint {ARN} thumbprint_list=aa,bb"
            )]
        );
    }

    #[test]
    fn an_unread_provider_has_its_url_from_the_arn_and_nothing_guessed() {
        let a = attributes(ARN, None);
        assert_eq!(
            a["url"],
            "https://token.actions.githubusercontent.com".into()
        );
        assert!(!a.contains_key("client_id_list"));
        assert!(!a.contains_key("tags"));
    }
}
