//! `aws_iam_openid_connect_provider`: `ListOpenIDConnectProviders` (the ARNs, one call, no
//! pages), then `GetOpenIDConnectProvider` for the client ids, thumbprints and tags, one paced
//! read per provider a state records (`read = "recorded"`); an account holds at most 100.
//! An unread provider still carries its URL, from the ARN's last part. AWS returns the URL
//! without its scheme (and the state holds it so); it is observed with `https://`, as the
//! provider's configuration needs it (an import writes it), and compared as one (`https_url`).

use std::collections::BTreeSet;

use super::{Args, Executed, call_error, text_arg};
use crate::model::plan::{Arg, RevertInput, UnitCall, UnitRevert};
use aws_sdk_iam::operation::get_open_id_connect_provider::GetOpenIdConnectProviderOutput;

use super::{Cx, Found, Listed, Sample, Unit, global, tag_map};
use crate::model::{Attributes, Owner, Value};
use crate::provider::aws::calls::{failure_reason, gap};

pub const OIDC_PROVIDER: &str = "aws_iam_openid_connect_provider";
const TYPES: &[&str] = &[OIDC_PROVIDER];

pub const UNIT: Unit = Unit {
    label: "OIDC providers",
    types: TYPES,
    needs: &[],
    list,
    samples,
    reverts: REVERTS,
    operations: &[
        "AddClientIDToOpenIDConnectProvider",
        "RemoveClientIDFromOpenIDConnectProvider",
        "UpdateOpenIDConnectProviderThumbprint",
    ],
    execute,
};

fn list(cx: &Cx) -> Listed<'_> {
    Box::pin(async move {
        let arns: Vec<String> = match cx.client.list_open_id_connect_providers().send().await {
            Ok(out) => out
                .open_id_connect_provider_list()
                .iter()
                .filter_map(|p| p.arn())
                .map(str::to_string)
                .collect(),
            Err(e) => {
                return Found::gap(gap(
                    "iam",
                    None,
                    "ListOpenIDConnectProviders",
                    TYPES,
                    failure_reason(&e),
                ));
            }
        };
        let read: Vec<String> = arns
            .iter()
            .filter(|arn| cx.reads(OIDC_PROVIDER, arn))
            .cloned()
            .collect();
        let details = cx
            .each(UNIT.label, read, |client, arn| async move {
                match client
                    .get_open_id_connect_provider()
                    .open_id_connect_provider_arn(&arn)
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
            OIDC_PROVIDER,
            "GetOpenIDConnectProvider",
            "OIDC provider",
            &arns,
            &details,
            attributes,
        )
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
    vec![Sample {
        resource: global(OIDC_PROVIDER, arn, Owner::User, attributes(arn, Some(&out))),
        import_id: arn.into(),
    }]
}

// ---- reverts ---------------------------------------------------------------------------------

const REVERTS: &[UnitRevert] = &[
    UnitRevert {
        name: "oidc_client_ids",
        types: &[OIDC_PROVIDER],
        plan: plan_client_ids,
        disruptive: false,
    },
    UnitRevert {
        name: "oidc_thumbprints",
        types: &[OIDC_PROVIDER],
        plan: plan_thumbprints,
        disruptive: false,
    },
];

/// The client ids (audiences) put back: the ones added out of band removed first (trust
/// narrowed before anything is widened again), then the recorded ones missing added.
fn plan_client_ids(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let arn = input.recorded_text("arn")?;
    let recorded = super::names(input.recorded.attributes.get("client_id_list"));
    let observed = super::names(super::observed_value(input, "client_id_list"));
    let mut calls = Vec::new();
    for id in observed.difference(&recorded) {
        calls.push(
            UnitCall::new("iam", "RemoveClientIDFromOpenIDConnectProvider", &arn)
                .arg("client_id", Arg::text(id)),
        );
    }
    for id in recorded.difference(&observed) {
        calls.push(
            UnitCall::new("iam", "AddClientIDToOpenIDConnectProvider", &arn)
                .arg("client_id", Arg::text(id)),
        );
    }
    Ok(calls)
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

fn execute<'a>(
    client: &'a aws_sdk_iam::Client,
    call: &'a UnitCall,
    args: &'a Args,
) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            "AddClientIDToOpenIDConnectProvider" => client
                .add_client_id_to_open_id_connect_provider()
                .open_id_connect_provider_arn(&call.target)
                .client_id(text_arg(args, "client_id")?)
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            "RemoveClientIDFromOpenIDConnectProvider" => client
                .remove_client_id_from_open_id_connect_provider()
                .open_id_connect_provider_arn(&call.target)
                .client_id(text_arg(args, "client_id")?)
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            "UpdateOpenIDConnectProviderThumbprint" => {
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
            other => Err(format!("{other}: not an operation of this unit")),
        }
    })
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
