//! IAM policy documents judged by meaning: what the observed document grants that the recorded
//! one did not.
//!
//! Documents arrive as JSON strings (the `policy` / `assume_role_policy` attributes, the
//! `policy` of each `inline_policy` block); `Statement` may be one object or a list, `Action`,
//! `Resource` and principals a string or a list. Actions compare case-insensitively (IAM does),
//! and an action or resource written with wildcards covers what it matches, so replacing `*`
//! with `s3:GetObject` is a narrowing, not a new grant.
//!
//! The scan hands this module the canonical forms of `normalize::iam` (sorted lists, lowercased
//! actions, `"*"` for every spelling of "everyone", account ids for root ARNs); it reads the
//! raw forms just as well, and a test holds the two readings equal.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use crate::model::{Secret, Value};
use crate::normalize::iam::canonical_principal_id;
use crate::policy::pattern::Pattern;

/// What one side's documents allow.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Grants {
    /// (action lowercased, resource) of every `Allow` statement; a statement without
    /// `Resource` (a trust policy) grants on `""`.
    pub pairs: BTreeSet<(String, String)>,
    /// `Allow` statements that use `NotAction`.
    pub not_action: usize,
    /// `Allow` statements that use `NotResource`.
    pub not_resource: usize,
    /// `Allow` statements that use `NotPrincipal` (everyone but the named).
    pub not_principal: usize,
    /// (principal type, principal) of every `Allow` statement; `*` is `("AWS", "*")`.
    pub principals: BTreeSet<(String, String)>,
}

/// What an IAM document change did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Broadening {
    /// A newly granted `*` / `service:*` action, or a new grant on resource `*`.
    pub wildcard: bool,
    /// An `Allow` with `NotAction` / `NotResource` / `NotPrincipal` appeared.
    pub negation: bool,
    /// A principal that was not there before.
    pub new_principal: bool,
}

impl Broadening {
    pub fn any(&self) -> bool {
        self.wildcard || self.negation || self.new_principal
    }
}

fn to_json(v: &Value) -> Json {
    match v {
        Value::Null | Value::Unknown | Value::Sensitive(Secret::Fingerprint(_)) => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Number(n) => serde_json::Number::from_f64(*n).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::List(l) => Json::Array(l.iter().map(to_json).collect()),
        Value::Map(m) => Json::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
        Value::Sensitive(Secret::Clear(inner)) => to_json(inner),
    }
}

/// Every policy document in `v`, or `None` when something in it is not a readable document
/// (then the change can only be judged as "changed").
pub fn documents(v: &Value) -> Option<Vec<Json>> {
    let mut out = Vec::new();
    collect(v, &mut out).then_some(out)
}

fn collect(v: &Value, out: &mut Vec<Json>) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) if s.trim().is_empty() => true,
        Value::String(s) => match serde_json::from_str::<Json>(s) {
            Ok(doc @ Json::Object(_)) => {
                out.push(doc);
                true
            }
            _ => false,
        },
        Value::List(l) => l.iter().all(|x| collect(x, out)),
        Value::Map(m) if m.contains_key("Statement") => {
            out.push(to_json(v));
            true
        }
        // An inline policy block: `{name, policy}`.
        Value::Map(m) => match m.get("policy") {
            Some(p) => collect(p, out),
            None => true,
        },
        Value::Sensitive(Secret::Clear(inner)) => collect(inner, out),
        _ => false,
    }
}

fn string_list(v: Option<&Json>) -> Vec<String> {
    match v {
        Some(Json::String(s)) => vec![s.clone()],
        Some(Json::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    }
}

fn principals(v: &Json, out: &mut BTreeSet<(String, String)>) {
    match v {
        Json::String(s) if s == "*" => {
            out.insert(("AWS".into(), "*".into()));
        }
        // Only "*" is valid as a bare string; read anything else as an AWS principal.
        Json::String(s) => {
            out.insert(("AWS".into(), canonical_principal_id(s)));
        }
        Json::Object(m) => {
            for (kind, ids) in m {
                for id in string_list(Some(ids)) {
                    let id = match kind.as_str() {
                        // An account's root ARN (any partition) is the account id: one principal.
                        "AWS" => canonical_principal_id(&id),
                        "Service" => id.to_ascii_lowercase(),
                        _ => id,
                    };
                    out.insert((kind.clone(), id));
                }
            }
        }
        _ => {}
    }
}

pub fn grants(docs: &[Json]) -> Grants {
    let mut g = Grants::default();
    for doc in docs {
        let statements = match doc.get("Statement") {
            Some(Json::Array(a)) => a.clone(),
            Some(s @ Json::Object(_)) => vec![s.clone()],
            _ => Vec::new(),
        };
        for s in &statements {
            let effect = s.get("Effect").and_then(Json::as_str).unwrap_or("");
            if !effect.eq_ignore_ascii_case("allow") {
                continue;
            }
            g.not_action += usize::from(s.get("NotAction").is_some());
            g.not_resource += usize::from(s.get("NotResource").is_some());
            g.not_principal += usize::from(s.get("NotPrincipal").is_some());
            if let Some(p) = s.get("Principal") {
                principals(p, &mut g.principals);
            }
            let actions = string_list(s.get("Action"));
            let mut resources = string_list(s.get("Resource"));
            if resources.is_empty() && s.get("NotResource").is_none() {
                resources.push(String::new());
            }
            for a in &actions {
                for r in &resources {
                    g.pairs.insert((a.to_ascii_lowercase(), r.clone()));
                }
            }
        }
    }
    g
}

fn is_wildcard_action(a: &str) -> bool {
    a == "*" || a.ends_with(":*")
}

fn covered(pair: &(String, String), before: &Grants) -> bool {
    before.pairs.iter().any(|(ba, br)| {
        let action = ba == &pair.0
            || (ba.contains(['*', '?']) && Pattern::new(ba).is_ok_and(|p| p.is_match(&pair.0)));
        let resource = br == &pair.1
            || (br.contains(['*', '?']) && Pattern::new(br).is_ok_and(|p| p.is_match(&pair.1)));
        action && resource
    })
}

/// What `after` grants beyond `before`.
pub fn broadening(before: &Grants, after: &Grants) -> Broadening {
    let wildcard = after
        .pairs
        .iter()
        .filter(|(a, r)| is_wildcard_action(a) || r == "*")
        .any(|p| !covered(p, before));
    let negation = (after.not_action > 0 && before.not_action == 0)
        || (after.not_resource > 0 && before.not_resource == 0)
        || (after.not_principal > 0 && before.not_principal == 0);
    let new_principal = after.principals.iter().any(|p| {
        !before.principals.contains(p) && !before.principals.contains(&("AWS".into(), "*".into()))
    });
    Broadening {
        wildcard,
        negation,
        new_principal,
    }
}

/// AWS managed policies that grant administrator-equivalent power. Their documents are not in
/// an observation (the account does not own them), so they are known by ARN.
const PRIVILEGED_AWS_MANAGED: &[&str] =
    &["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"];

/// Whether documents grant administrator-equivalent power: an action `*` or `service:*` on
/// resource `*`, or an Allow with `NotAction` (everything but what it names). The same reading
/// of documents as [`broadening`], applied to one side.
pub fn privileged(docs: &[Json]) -> bool {
    let g = grants(docs);
    g.not_action > 0
        || g.pairs
            .iter()
            .any(|(action, resource)| is_wildcard_action(action) && resource == "*")
}

/// Whether what an observed object holds is privileged: any of its documents (`documents`: a
/// document, a list of them, or null) or an AWS managed policy among `arns` known to be.
/// Unreadable documents are not judged privileged (other rules grade their changes).
pub fn holds_privileged(documents_value: Option<&Value>, arns: &[&str]) -> bool {
    let by_arn = arns.iter().any(|arn| {
        arn.split(':').nth(4) == Some("aws")
            && arn
                .rsplit('/')
                .next()
                .is_some_and(|name| PRIVILEGED_AWS_MANAGED.contains(&name))
    });
    by_arn
        || documents_value
            .and_then(documents)
            .is_some_and(|docs| privileged(&docs))
}

/// Attributes that hold IAM policy documents.
pub const DOCUMENT_ATTRIBUTES: &[&str] = &["policy", "assume_role_policy", "inline_policy"];

/// For a change to a document attribute of an IAM resource: what it broadened, or `None` when
/// the change is not about a readable document.
pub fn document_change(
    resource_type: &str,
    path_attr: Option<&str>,
    before: &Value,
    after: &Value,
) -> Option<Broadening> {
    if !resource_type.starts_with("aws_iam_")
        || !path_attr.is_some_and(|a| DOCUMENT_ATTRIBUTES.contains(&a))
    {
        return None;
    }
    let b = grants(&documents(before)?);
    let a = grants(&documents(after)?);
    Some(broadening(&b, &a))
}

/// What a document change newly grants through wildcards, in a few words for a report:
/// `ec2:* on *`, `an Allow with NotAction`. `None` when it grants nothing new that way (or is
/// not a readable IAM document change).
pub fn describe_wildcards(
    resource_type: &str,
    path_attr: Option<&str>,
    before: &Value,
    after: &Value,
) -> Option<String> {
    if !resource_type.starts_with("aws_iam_")
        || !path_attr.is_some_and(|a| DOCUMENT_ATTRIBUTES.contains(&a))
    {
        return None;
    }
    let b = grants(&documents(before)?);
    let a = grants(&documents(after)?);
    let new: Vec<&(String, String)> = a
        .pairs
        .iter()
        .filter(|(act, r)| is_wildcard_action(act) || r == "*")
        .filter(|p| !covered(p, &b))
        .collect();
    // Wildcard actions by name (`*`, `service:*`: their case carries no meaning); named actions
    // on `*` only counted, since grants hold them lowercased and reports print documents as
    // the user wrote them.
    let mut parts: Vec<String> = new
        .iter()
        .filter(|(act, _)| is_wildcard_action(act))
        .map(|(act, r)| {
            if r.is_empty() {
                act.clone()
            } else {
                format!("{act} on {r}")
            }
        })
        .collect();
    let named_on_star = new
        .iter()
        .filter(|(act, _)| !is_wildcard_action(act))
        .count();
    if named_on_star > 0 {
        parts.push(format!(
            "{named_on_star} {} on *",
            if named_on_star == 1 {
                "action"
            } else {
                "actions"
            }
        ));
    }
    for (n_after, n_before, what) in [
        (a.not_action, b.not_action, "an Allow with NotAction"),
        (a.not_resource, b.not_resource, "an Allow with NotResource"),
        (
            a.not_principal,
            b.not_principal,
            "an Allow with NotPrincipal",
        ),
    ] {
        if n_after > 0 && n_before == 0 {
            parts.push(what.to_string());
        }
    }
    if parts.is_empty() {
        return None;
    }
    if parts.len() > 3 {
        let more = parts.len() - 2;
        parts.truncate(2);
        parts.push(format!("{more} more"));
    }
    Some(parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_new_wildcard_grants_in_a_few_words() {
        let narrow = Value::str(
            r#"{"Statement":{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}}"#,
        );
        let wide =
            Value::str(r#"{"Statement":{"Effect":"Allow","Action":"ec2:*","Resource":"*"}}"#);
        assert_eq!(
            describe_wildcards("aws_iam_policy", Some("policy"), &narrow, &wide).as_deref(),
            Some("ec2:* on *")
        );
        assert_eq!(
            describe_wildcards("aws_iam_policy", Some("policy"), &wide, &narrow),
            None
        );
        // A named action on `*` is counted, never printed in another case than written.
        let named = Value::str(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
        );
        let none = Value::str(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b"}}"#,
        );
        assert_eq!(
            describe_wildcards("aws_iam_policy", Some("policy"), &none, &named).as_deref(),
            Some("1 action on *")
        );
        let not_action = Value::str(
            r#"{"Statement":{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::b"}}"#,
        );
        assert_eq!(
            describe_wildcards("aws_iam_policy", Some("policy"), &narrow, &not_action).as_deref(),
            Some("an Allow with NotAction")
        );
    }

    fn g(doc: &str) -> Grants {
        grants(&documents(&Value::str(doc)).unwrap())
    }

    #[test]
    fn wildcards_are_judged_by_coverage() {
        let narrow = g(
            r#"{"Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}"#,
        );
        let star = g(r#"{"Statement":[{"Effect":"Allow","Action":["*"],"Resource":"*"}]}"#);
        assert!(broadening(&narrow, &star).wildcard);
        assert!(!broadening(&star, &narrow).any());
        // Case: IAM actions are case-insensitive.
        let upper = g(
            r#"{"Statement":[{"Effect":"Allow","Action":"S3:GetObject","Resource":"arn:aws:s3:::b/*"}]}"#,
        );
        assert!(!broadening(&narrow, &upper).any());
        // A Deny with "*" grants nothing.
        let deny = g(r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#);
        assert!(!broadening(&narrow, &deny).any());
    }

    #[test]
    fn principals_compare_by_meaning() {
        let a = g(
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":"123456789012"}}]}"#,
        );
        let b = g(
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["arn:aws:iam::123456789012:root"]}}]}"#,
        );
        assert!(!broadening(&a, &b).any());
        let c =
            g(r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":"*"}]}"#);
        assert!(broadening(&a, &c).new_principal);
        assert!(!broadening(&c, &a).new_principal);
    }

    #[test]
    fn canonical_forms_are_judged_like_the_raw_ones() {
        use crate::normalize::iam::canonical_document;
        let docs = [
            r#"{"Statement":{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}}"#,
            r#"{"Statement":[{"Effect":"allow","Action":["EC2:*"],"Resource":["*"]}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":"ec2.amazonaws.com"}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"Service":["ec2.amazonaws.com"],"AWS":"arn:aws:iam::123456789012:root"}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Principal":{"AWS":["*"]}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}"#,
        ];
        let raw = |d: &str| g(d);
        let canonical = |d: &str| g(&canonical_document(d).unwrap());
        for a in docs {
            for b in docs {
                assert_eq!(
                    broadening(&raw(a), &raw(b)),
                    broadening(&canonical(a), &canonical(b)),
                    "\n{a}\n{b}"
                );
            }
        }
        // A new principal in a trust policy, compared in canonical form, is still one.
        let before = canonical(docs[2]);
        assert!(broadening(&before, &canonical(docs[3])).new_principal);
        assert!(broadening(&before, &canonical(docs[4])).new_principal);
        assert!(!broadening(&canonical(docs[4]), &before).new_principal);
    }

    #[test]
    fn unreadable_documents_are_none() {
        assert!(documents(&Value::str("not json")).is_none());
        assert_eq!(documents(&Value::Null).unwrap().len(), 0);
    }
}
