//! An IAM identity provider trusts something it did not: an OIDC audience or certificate
//! thumbprint added, or a SAML provider's metadata replaced.

use std::collections::BTreeSet;

use super::{Rule, Subject};
use crate::model::{Severity, Value};

pub const RULE: Rule = Rule {
    id: "iam_identity_provider_widened",
    severity: Severity::High,
    summary: "IAM identity provider trusts a new audience, certificate or SAML metadata",
    why: "federated sign-in trusts something new",
    explanation: "\
Fires when an aws_iam_openid_connect_provider's client_id_list or thumbprint_list holds an
entry the recorded one did not (a new audience whose tokens are accepted, or another
certificate the provider's TLS endpoint may present), and when an aws_iam_saml_provider's
saml_metadata_document differs from the recorded one (the metadata names the identity
provider and the keys whose assertions AWS accepts). Roles that trust the provider can then be
assumed with tokens or assertions that were not accepted before. Removing an entry is not a
finding of this rule.",
    example: "\
aws_iam_openid_connect_provider.ci  ~ client_id_list
  recorded: [\"sts.amazonaws.com\"]
  observed: [\"sts.amazonaws.com\", \"some-other-app\"]",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// The entries of a list value.
fn entries(v: &Value) -> BTreeSet<String> {
    match v {
        Value::List(l) => l.iter().filter_map(Value::scalar_text).collect(),
        other => other.scalar_text().into_iter().collect(),
    }
}

/// The entries the observed list has and the recorded one has not.
fn added(s: &Subject<'_>) -> Vec<String> {
    let Some(c) = s.change() else {
        return Vec::new();
    };
    let before = entries(&c.before);
    entries(&c.after).difference(&before).cloned().collect()
}

fn oidc_list(s: &Subject<'_>) -> bool {
    s.resource_type() == "aws_iam_openid_connect_provider"
        && matches!(s.attribute(), Some("client_id_list" | "thumbprint_list"))
}

fn applies(s: &Subject<'_>) -> bool {
    if oidc_list(s) {
        return !added(s).is_empty();
    }
    s.resource_type() == "aws_iam_saml_provider" && s.attribute() == Some("saml_metadata_document")
}

fn detail(s: &Subject<'_>) -> Option<String> {
    if !oidc_list(s) {
        return None;
    }
    let added = added(s);
    Some(match s.attribute() {
        Some("client_id_list") => format!("audience added: {}", added.join(", ")),
        // A thumbprint says nothing to a reader; how many were added does.
        _ if added.len() == 1 => "a certificate thumbprint added".to_string(),
        _ => format!("{} certificate thumbprints added", added.len()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    #[test]
    fn an_audience_or_thumbprint_added() {
        let d = change(
            "aws_iam_openid_connect_provider",
            "client_id_list",
            Value::from(vec!["sts.amazonaws.com"]),
            Value::from(vec!["sts.amazonaws.com", "other-app"]),
        );
        assert!(hits(&RULE, &d));
        let subject = Subject::Change {
            drift: &d,
            change: &d.changes[0],
        };
        assert_eq!(
            detail(&subject).as_deref(),
            Some("audience added: other-app")
        );
        assert!(hits_change(
            &RULE,
            "aws_iam_openid_connect_provider",
            "thumbprint_list",
            Value::from(vec!["aa"]),
            Value::from(vec!["bb"])
        ));
    }

    #[test]
    fn removal_or_other_attributes_are_not_widening() {
        assert!(!hits_change(
            &RULE,
            "aws_iam_openid_connect_provider",
            "client_id_list",
            Value::from(vec!["a", "b"]),
            Value::from(vec!["a"])
        ));
        assert!(!hits_change(
            &RULE,
            "aws_iam_openid_connect_provider",
            "tags",
            Value::Map(Default::default()),
            Value::Map(Default::default())
        ));
        assert!(!hits_change(
            &RULE,
            "aws_iam_role",
            "client_id_list",
            Value::from(vec!["a"]),
            Value::from(vec!["a", "b"])
        ));
    }

    #[test]
    fn saml_metadata_replaced() {
        assert!(hits_change(
            &RULE,
            "aws_iam_saml_provider",
            "saml_metadata_document",
            "<md:EntityDescriptor/>",
            Value::str("<md:EntityDescriptor entityID=\"x\"/>")
        ));
    }
}
