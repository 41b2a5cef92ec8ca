//! IAM policy documents compared by meaning: a document is parsed and rewritten into one
//! canonical form where every difference that IAM (and hashicorp/awspolicyequivalence, which
//! the terraform AWS provider uses to suppress diffs) ignores is gone. What stays is a real
//! change: a new principal, a new action, a changed condition value, a changed `Sid`.
//!
//! Canonical form (a pretty-printed JSON text with sorted keys):
//! - the text may be wrapped in a one-item list (`[{...}]`, as some services return); an empty
//!   document (`""`, `{}`, `[]`, `[{}]`) is `""`;
//! - `Version` and `Id` compare exactly; an empty one is absent;
//! - `Statement` is always a sorted list without duplicates (one object ≡ a one-item list;
//!   absent ≡ `null` ≡ `[]`);
//! - in a statement: `Sid` compares exactly, and `""` ≡ absent; `Effect` case-insensitively;
//!   `Action`/`NotAction` are sorted sets of lowercased strings (IAM matches actions
//!   case-insensitively); `Resource`/`NotResource` are sorted sets (a string ≡ a one-item
//!   list); an empty set ≡ absent;
//! - `Principal`/`NotPrincipal`: each type's identifiers a sorted set; a type with no
//!   identifiers is dropped, and an empty principal is absent; a 12-digit account id ≡ that
//!   account's root ARN in any partition (`arn:aws:iam::123456789012:root`), written as the bare
//!   id; `{"AWS": "*"}` ≡ `{"AWS": ["*"]}` ≡ `{"*": "*"}` ≡ `"*"`;
//! - `Condition`: each operator's keys map to sorted sets of strings: `true` ≡ `"true"`,
//!   `1` ≡ `"1"`, a value ≡ a one-item list; operators and keys compare exactly; `{}` ≡ absent.
//!
//! Where we part from awspolicyequivalence, on purpose:
//! - the library tells `"Principal": "*"` from `{"AWS": "*"}`; AWS documents the two as
//!   equivalent (IAM user guide, "Principal: anonymous users") and rewrites `{"*": "*"}` to
//!   `"*"` itself, so here they are one;
//! - the library takes `"Principal": "*"` (or any non-map principal) as equal to *no* principal
//!   (both compare as an empty map); here they differ, since a trust policy that lost its
//!   principal is a real change;
//! - the library compares actions case-sensitively; IAM does not, so neither do we;
//! - the library compares set lengths (so `["a", "a"]` differs from `["a"]`); by meaning
//!   duplicates are nothing, and here they are dropped, as are duplicate statements.
//!
//! Documents that do not parse are left as the raw text (compared exactly), so a broken
//! document is never hidden.

use std::collections::BTreeMap;

use serde_json::{Map, Value as Json};

/// The canonical pretty-printed form of a policy document, or `None` when it is not a JSON
/// policy document. An empty document is `""`.
pub fn canonical_document(text: &str) -> Option<String> {
    let doc = parse_document(text)?;
    let Some(doc) = doc else {
        return Some(String::new());
    };
    let doc = canonical_json(doc)?;
    if doc.as_object().is_some_and(Map::is_empty) {
        return Some(String::new());
    }
    serde_json::to_string_pretty(&doc).ok()
}

/// The document a text holds: `Some(None)` for an empty document (`""`, `[]`), `None` when the
/// text is not a JSON object (or a one-item list of one).
pub fn parse_document(text: &str) -> Option<Option<Json>> {
    let text = text.trim();
    if text.is_empty() {
        return Some(None);
    }
    let doc: Json = serde_json::from_str(text).ok()?;
    let doc = match doc {
        Json::Array(mut a) if a.len() <= 1 => match a.pop() {
            Some(one) => one,
            None => return Some(None),
        },
        other => other,
    };
    doc.is_object().then_some(Some(doc))
}

/// The canonical form of a parsed document (`None` when it is not an object).
fn canonical_json(doc: Json) -> Option<Json> {
    let Json::Object(doc) = doc else { return None };
    let mut out = BTreeMap::new();
    for (k, v) in doc {
        let v = match k.as_str() {
            "Statement" => statements(v),
            "Version" | "Id" => Some(v).filter(|v| v.as_str() != Some("")),
            _ => Some(v),
        };
        if let Some(v) = v {
            out.insert(k, v);
        }
    }
    Some(object(out))
}

/// A JSON object with its keys sorted (serde_json keeps insertion order).
fn object(m: BTreeMap<String, Json>) -> Json {
    Json::Object(m.into_iter().collect())
}

fn statements(v: Json) -> Option<Json> {
    let list = match v {
        Json::Null => return None,
        Json::Array(a) => a,
        s @ Json::Object(_) => vec![s],
        // Not a statement list: kept, compared exactly.
        other => return Some(other),
    };
    let mut list: Vec<(String, Json)> = list
        .into_iter()
        .map(|s| {
            let s = canonical_statement(s);
            (s.to_string(), s)
        })
        .collect();
    list.sort_by(|a, b| a.0.cmp(&b.0));
    list.dedup_by(|a, b| a.0 == b.0);
    (!list.is_empty()).then(|| Json::Array(list.into_iter().map(|(_, s)| s).collect()))
}

/// One statement in canonical form; anything that is not an object is kept as it is.
pub fn canonical_statement(s: Json) -> Json {
    let Json::Object(s) = s else { return s };
    let mut out = BTreeMap::new();
    for (k, v) in s {
        let v = match k.as_str() {
            "Sid" => Some(v).filter(|v| v.as_str() != Some("")),
            "Effect" => Some(effect(v)),
            "Action" | "NotAction" => string_set(v, true),
            "Resource" | "NotResource" => string_set(v, false),
            "Principal" | "NotPrincipal" => principal(v),
            "Condition" => condition(v),
            _ => Some(v),
        };
        if let Some(v) = v {
            out.insert(k, v);
        }
    }
    object(out)
}

fn effect(v: Json) -> Json {
    match v.as_str() {
        Some(e) if e.eq_ignore_ascii_case("allow") => Json::String("Allow".into()),
        Some(e) if e.eq_ignore_ascii_case("deny") => Json::String("Deny".into()),
        _ => v,
    }
}

/// A scalar as the string IAM reads it: `true` is `"true"`, `1` is `"1"`.
fn scalar_text(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(b.to_string()),
        Json::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 9e15 => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        }),
        _ => None,
    }
}

/// A scalar or a list of scalars as a sorted set of strings (`None` for an empty set); a value
/// of another shape is kept as it is, compared exactly.
fn string_set(v: Json, lowercase: bool) -> Option<Json> {
    let items = match &v {
        Json::Null => return None,
        Json::Array(a) => a.iter().map(scalar_text).collect::<Option<Vec<_>>>(),
        one => scalar_text(one).map(|s| vec![s]),
    };
    let Some(mut items) = items else {
        return Some(v);
    };
    if lowercase {
        items.iter_mut().for_each(|s| *s = s.to_ascii_lowercase());
    }
    items.sort();
    items.dedup();
    (!items.is_empty()).then(|| Json::Array(items.into_iter().map(Json::String).collect()))
}

/// An account's root written as an ARN (`arn:<partition>:iam::<id>:root`) is the account id.
pub fn canonical_principal_id(p: &str) -> String {
    let parts: Vec<&str> = p.split(':').collect();
    if let ["arn", partition, "iam", _region, account, "root"] = parts.as_slice()
        && !partition.is_empty()
        && is_account_id(account)
    {
        return (*account).to_string();
    }
    p.to_string()
}

fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

fn principal(v: Json) -> Option<Json> {
    match v {
        Json::Null => None,
        Json::String(s) => Some(Json::String(canonical_principal_id(&s))),
        Json::Object(m) => {
            let mut out = BTreeMap::new();
            for (kind, ids) in m {
                match string_set(ids, false) {
                    Some(Json::Array(ids)) => {
                        let mut ids: Vec<String> = ids
                            .iter()
                            .filter_map(Json::as_str)
                            .map(canonical_principal_id)
                            .collect();
                        ids.sort();
                        ids.dedup();
                        out.insert(
                            kind,
                            Json::Array(ids.into_iter().map(Json::String).collect()),
                        );
                    }
                    Some(other) => {
                        out.insert(kind, other);
                    }
                    None => {}
                }
            }
            let star = || Json::Array(vec![Json::String("*".into())]);
            if out.len() == 1 && (out.get("AWS") == Some(&star()) || out.get("*") == Some(&star()))
            {
                return Some(Json::String("*".into()));
            }
            (!out.is_empty()).then(|| object(out))
        }
        other => Some(other),
    }
}

fn condition(v: Json) -> Option<Json> {
    let ops = match v {
        Json::Null => return None,
        Json::Object(ops) => ops,
        other => return Some(other),
    };
    let mut out = BTreeMap::new();
    for (op, keys) in ops {
        let keys = match keys {
            Json::Object(keys) => object(
                keys.into_iter()
                    .map(|(k, vals)| {
                        // An empty list stays: `[]` is not the absence of the key.
                        let vals = string_set(vals, false).unwrap_or(Json::Array(Vec::new()));
                        (k, vals)
                    })
                    .collect(),
            ),
            other => other,
        };
        out.insert(op, keys);
    }
    (!out.is_empty()).then(|| object(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A trust statement for `principal` with `extra` fields, in a document.
    fn trust(principal: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"","Effect":"Allow","Principal":{principal},"Action":"sts:AssumeRole"}}]}}"#
        )
    }

    /// An s3:PutObject statement on one bucket with `condition`.
    fn conditioned(condition: &str) -> String {
        format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Sid":"s1","Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::b/*"],"Condition":{condition}}}]}}"#
        )
    }

    const SPOT: &str = r#"{"Service":"spotfleet.amazonaws.com"}"#;

    /// The cases hashicorp/awspolicyequivalence documents in its tests (rewritten, not copied),
    /// and the ones where driftgate goes by IAM's documented meaning instead (marked).
    fn cases() -> Vec<(&'static str, String, String, bool)> {
        [
            document_cases(),
            action_cases(),
            principal_cases(),
            account_principal_cases(),
            wildcard_principal_cases(),
            condition_cases(),
            statement_cases(),
        ]
        .concat()
    }

    /// Whole documents: the same text, Version, Effect, empty and wrapped documents.
    fn document_cases() -> Vec<(&'static str, String, String, bool)> {
        let s = |x: &str| x.to_string();
        vec![
            ("identical text", trust(SPOT), trust(SPOT), true),
            (
                "a different Effect",
                trust(SPOT),
                trust(SPOT).replace("Allow", "Deny"),
                false,
            ),
            (
                "a different Version",
                trust(SPOT),
                trust(SPOT).replace("2012-10-17", "2008-10-17"),
                false,
            ),
            (
                "Version on one side only",
                trust(SPOT),
                trust(SPOT).replace(r#""Version":"2012-10-17","#, ""),
                false,
            ),
            (
                "Effect in lower case",
                trust(SPOT),
                trust(SPOT).replace("Allow", "allow"),
                true,
            ),
            (
                "an empty list vs a list of an empty object",
                s("[]"),
                s("[{}]"),
                true,
            ),
            ("no text vs an empty object", s(""), s("{}"), true),
            (
                "a document wrapped in a one-item list",
                trust(SPOT),
                format!(" [ {} ] ", trust(SPOT)),
                true,
            ),
        ]
    }

    /// Action and NotAction: a string or a list, IAM's case-insensitive matching.
    fn action_cases() -> Vec<(&'static str, String, String, bool)> {
        let s = |x: &str| x.to_string();
        vec![
            (
                "Action as a one-item list vs a string",
                trust(SPOT),
                s(
                    r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":"spotfleet.amazonaws.com"}}]}"#,
                ),
                true,
            ),
            (
                "a different action",
                trust(SPOT),
                s(
                    r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Action":["sts:GetSessionToken"],"Effect":"Allow","Principal":{"Service":"spotfleet.amazonaws.com"}}]}"#,
                ),
                false,
            ),
            (
                "NotAction as a string vs a list",
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","NotAction":["sts:GetSessionToken"]}]}"#,
                ),
                s(
                    r#"{"Statement":[{"NotAction":"sts:GetSessionToken","Effect":"Allow","Action":["sts:AssumeRole"]}]}"#,
                ),
                true,
            ),
            (
                "NotAction on one side only",
                s(r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#),
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","NotAction":"sts:GetSessionToken"}]}"#,
                ),
                false,
            ),
            // Actions: IAM matches them case-insensitively (the library does not).
            (
                "action case",
                s(r#"{"Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}"#),
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":["EC2:describe*"],"Resource":"*"}]}"#,
                ),
                true,
            ),
            (
                "a wider action",
                s(r#"{"Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}"#),
                s(r#"{"Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#),
                false,
            ),
            (
                "duplicate actions and statements",
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":["a:b","a:b"],"Resource":"*"},{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
                ),
                s(r#"{"Statement":{"Effect":"Allow","Action":"a:b","Resource":["*"]}}"#),
                true,
            ),
        ]
    }

    /// Principal and NotPrincipal: one item or a list, empty lists, another principal.
    fn principal_cases() -> Vec<(&'static str, String, String, bool)> {
        let s = |x: &str| x.to_string();
        vec![
            (
                "principal as a one-item list vs a string",
                trust(SPOT),
                trust(r#"{"Service":["spotfleet.amazonaws.com"]}"#),
                true,
            ),
            (
                "a different principal",
                trust(r#"{"Service":"ec2.amazonaws.com"}"#),
                trust(r#"{"Service":["spotfleet.amazonaws.com"]}"#),
                false,
            ),
            ("string principal", trust(r#""*""#), trust(r#""*""#), true),
            (
                "a different NotPrincipal",
                s(
                    r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"Service":"ec2.amazonaws.com"},"Action":"*"}]}"#,
                ),
                s(
                    r#"{"Statement":[{"Effect":"Deny","NotPrincipal":{"Service":["spotfleet.amazonaws.com"]},"Action":"*"}]}"#,
                ),
                false,
            ),
            (
                "an empty principal vs an empty Service list",
                trust("{}"),
                trust(r#"{"Service":[]}"#),
                true,
            ),
            (
                "empty principal lists of two types",
                trust(r#"{"Service":[]}"#),
                trust(r#"{"AWS":[]}"#),
                true,
            ),
            (
                "an empty principal vs none",
                trust("{}"),
                s(
                    r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
                ),
                true,
            ),
            (
                "principal lists all empty vs none",
                trust(r#"{"Service":[],"AWS":[]}"#),
                s(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
                ),
                true,
            ),
            (
                "assume-role policy, lists vs strings",
                s(
                    r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}],"Version":"2012-10-17"}"#,
                ),
                s(
                    r#"{"Statement":[{"Action":["sts:AssumeRole"],"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com"]}}],"Version":"2012-10-17"}"#,
                ),
                true,
            ),
            (
                "assume-role policy, another service",
                s(
                    r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}],"Version":"2012-10-17"}"#,
                ),
                s(
                    r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":["rds.amazonaws.com"]}}],"Version":"2012-10-17"}"#,
                ),
                false,
            ),
        ]
    }

    /// AWS principals: an account id and its root ARN, lists of ARNs in any order.
    fn account_principal_cases() -> Vec<(&'static str, String, String, bool)> {
        vec![
            (
                "string principal: account id vs its root ARN",
                trust(r#""123456789012""#),
                trust(r#""arn:aws:iam::123456789012:root""#),
                true,
            ),
            (
                "AWS principal: account id vs its root ARN",
                trust(r#"{"AWS":"123456789012"}"#),
                trust(r#"{"AWS":"arn:aws:iam::123456789012:root"}"#),
                true,
            ),
            (
                "AWS principal: account id in a list vs its root ARN in another partition",
                trust(r#"{"AWS":["123456789012"]}"#),
                trust(r#"{"AWS":["arn:aws-cn:iam::123456789012:root"]}"#),
                true,
            ),
            (
                "AWS principals: ids and root ARNs mixed",
                trust(r#"{"AWS":["123456789012","arn:aws:iam::999999999999:root"]}"#),
                trust(r#"{"AWS":["arn:aws:iam::123456789012:root","999999999999"]}"#),
                true,
            ),
            (
                "a root ARN of another account",
                trust(r#"{"AWS":"123456789012"}"#),
                trust(r#"{"AWS":"arn:aws:iam::210987654321:root"}"#),
                false,
            ),
            (
                "a role ARN is not its account",
                trust(r#"{"AWS":"123456789012"}"#),
                trust(r#"{"AWS":"arn:aws:iam::123456789012:role/x"}"#),
                false,
            ),
            (
                "principal lists in any order",
                trust(
                    r#"{"AWS":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b","arn:aws:iam::123456789012:role/c"]}"#,
                ),
                trust(
                    r#"{"AWS":["arn:aws:iam::123456789012:role/c","arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b"]}"#,
                ),
                true,
            ),
            (
                "a principal replaced in a list",
                trust(
                    r#"{"AWS":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b"]}"#,
                ),
                trust(
                    r#"{"AWS":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/evil"]}"#,
                ),
                false,
            ),
            (
                "a new principal added to a list",
                trust(r#"{"AWS":"arn:aws:iam::123456789012:role/a"}"#),
                trust(
                    r#"{"AWS":["arn:aws:iam::123456789012:role/a","arn:aws:iam::999999999999:root"]}"#,
                ),
                false,
            ),
        ]
    }

    /// "*" as a principal: alone, under AWS, as IAM rewrites it; and where it is not the same.
    fn wildcard_principal_cases() -> Vec<(&'static str, String, String, bool)> {
        let s = |x: &str| x.to_string();
        vec![
            (
                "AWS \"*\" vs AWS [\"*\"]",
                trust(r#"{"AWS":"*"}"#),
                trust(r#"{"AWS":["*"]}"#),
                true,
            ),
            // driftgate: AWS documents these as equivalent; the library does not.
            (
                "\"*\" vs AWS \"*\" (by IAM's documentation)",
                trust(r#""*""#),
                trust(r#"{"AWS":"*"}"#),
                true,
            ),
            (
                "\"*\" vs {\"*\": \"*\"} (AWS rewrites the latter)",
                trust(r#""*""#),
                trust(r#"{"*":"*"}"#),
                true,
            ),
            // driftgate: the library finds these equal; a trust policy that lost its principal
            // is a real change.
            (
                "\"*\" vs no principal",
                trust(r#""*""#),
                s(
                    r#"{"Version":"2012-10-17","Statement":[{"Sid":"","Effect":"Allow","Action":"sts:AssumeRole"}]}"#,
                ),
                false,
            ),
            (
                "AWS \"*\" vs a service",
                trust(r#"{"AWS":"*"}"#),
                trust(SPOT),
                false,
            ),
        ]
    }

    /// Condition blocks: operators, values as strings or lists, quoted numbers and booleans.
    fn condition_cases() -> Vec<(&'static str, String, String, bool)> {
        vec![
            (
                "the same condition",
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":["public-read"]}}"#),
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":["public-read"]}}"#),
                true,
            ),
            (
                "a different condition operator",
                conditioned(r#"{"StringNotEquals":{"s3:x-amz-acl":["public-read"]}}"#),
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":["public-read"]}}"#),
                false,
            ),
            (
                "a condition value as a string vs a one-item list",
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":"public-read"}}"#),
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":["public-read"]}}"#),
                true,
            ),
            (
                "a changed condition value",
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":"public-read"}}"#),
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":"private"}}"#),
                false,
            ),
            (
                "one condition vs three",
                conditioned(r#"{"StringEquals":{"s3:x-amz-acl":"public-read"}}"#),
                conditioned(
                    r#"{"DateGreaterThan":{"aws:CurrentTime":"2013-08-16T12:00:00Z"},"DateLessThan":{"aws:CurrentTime":"2013-08-16T15:00:00Z"},"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]}}"#,
                ),
                false,
            ),
            (
                "several conditions, value lists in any order",
                conditioned(
                    r#"{"IpAddress":{"aws:SourceIp":["192.0.2.0/24","203.0.113.0/24"]},"DateLessThan":{"aws:CurrentTime":"2013-08-16T15:00:00Z"}}"#,
                ),
                conditioned(
                    r#"{"DateLessThan":{"aws:CurrentTime":["2013-08-16T15:00:00Z"]},"IpAddress":{"aws:SourceIp":["203.0.113.0/24","192.0.2.0/24"]}}"#,
                ),
                true,
            ),
            (
                "boolean condition value with and without quotes",
                conditioned(r#"{"Bool":{"aws:MultiFactorAuthPresent":true}}"#),
                conditioned(r#"{"Bool":{"aws:MultiFactorAuthPresent":"true"}}"#),
                true,
            ),
            (
                "numeric condition value with and without quotes",
                conditioned(r#"{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":100}}"#),
                conditioned(r#"{"NumericLessThanEquals":{"aws:MultiFactorAuthAge":"100"}}"#),
                true,
            ),
            (
                "numeric condition values, a list with and without quotes",
                conditioned(r#"{"NumericEquals":{"aws:MultiFactorAuthAge":[100.01,200.2]}}"#),
                conditioned(r#"{"NumericEquals":{"aws:MultiFactorAuthAge":["200.2","100.01"]}}"#),
                true,
            ),
            (
                "a condition holding an empty list",
                conditioned(r#"{"ArnEquals":{"aws:SourceArn":[]}}"#),
                conditioned(r#"{"ArnEquals":{"aws:SourceArn":[]}}"#),
                true,
            ),
            (
                "an empty condition list vs the key absent",
                conditioned(r#"{"ArnEquals":{"aws:SourceArn":[]}}"#),
                conditioned(r#"{"ArnEquals":{}}"#),
                false,
            ),
        ]
    }

    /// Statements and their Sid and Resource: order, one object or a list, duplicates.
    fn statement_cases() -> Vec<(&'static str, String, String, bool)> {
        let s = |x: &str| x.to_string();
        vec![
            (
                "statements in another order",
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":["s3:ListAllMyBuckets","s3:GetBucketLocation"],"Resource":"arn:aws:s3:::*"},{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::B/home/${aws:username}","arn:aws:s3:::B/home/${aws:username}/*"]}]}"#,
                ),
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":["arn:aws:s3:::B/home/${aws:username}/*","arn:aws:s3:::B/home/${aws:username}"]},{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:ListAllMyBuckets"],"Resource":"arn:aws:s3:::*"}]}"#,
                ),
                true,
            ),
            (
                "a statement missing",
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::B"},{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::B/*"}]}"#,
                ),
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::B/*"}]}"#,
                ),
                false,
            ),
            (
                "one Statement object vs a one-item list",
                s(
                    r#"{"Version":"2012-10-17","Statement":{"Sid":"","Effect":"Allow","Principal":{"Service":"spotfleet.amazonaws.com"},"Action":"sts:AssumeRole"}}"#,
                ),
                trust(r#"{"Service":"spotfleet.amazonaws.com"}"#).replace("Allow", "allow"),
                true,
            ),
            (
                "Resource: numbers in another order",
                s(
                    r#"{"Statement":[{"Sid":"s1","Effect":"Allow","Action":["s3:PutObject"],"Resource":[42,86]}]}"#,
                ),
                s(
                    r#"{"Statement":[{"Sid":"s1","Effect":"Allow","Action":"s3:PutObject","Resource":[86,42]}]}"#,
                ),
                true,
            ),
            (
                "Statement absent vs an empty list",
                s(r#"{"Version":"2012-10-17"}"#),
                s(r#"{"Version":"2012-10-17","Statement":[]}"#),
                true,
            ),
            // Sid: "" is absent; any other Sid compares exactly.
            (
                "an empty Sid vs none",
                trust(SPOT),
                trust(SPOT).replace(r#""Sid":"","#, ""),
                true,
            ),
            (
                "a Sid added",
                trust(SPOT),
                trust(SPOT).replace(r#""Sid":"""#, r#""Sid":"x""#),
                false,
            ),
            (
                "a Sid changed",
                trust(SPOT).replace(r#""Sid":"""#, r#""Sid":"x""#),
                trust(SPOT).replace(r#""Sid":"""#, r#""Sid":"X""#),
                false,
            ),
            (
                "resource case matters",
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"arn:aws:s3:::Bucket"}]}"#,
                ),
                s(
                    r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"arn:aws:s3:::bucket"}]}"#,
                ),
                false,
            ),
        ]
    }

    #[test]
    fn equivalence_table() {
        let mut wrong = Vec::new();
        for (name, a, b, equivalent) in cases() {
            let (ca, cb) = (canonical_document(&a), canonical_document(&b));
            assert!(
                ca.is_some() && cb.is_some(),
                "{name}: not read as documents"
            );
            if (ca == cb) != equivalent {
                wrong.push(format!(
                    "{name}: expected {}\n  {a}\n  {b}\n  -> {ca:?}\n  -> {cb:?}",
                    if equivalent {
                        "equivalent"
                    } else {
                        "different"
                    }
                ));
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    #[test]
    fn canonical_is_idempotent_on_the_table() {
        for (name, a, b, _) in cases() {
            for text in [a, b] {
                let once = canonical_document(&text).unwrap();
                assert_eq!(
                    canonical_document(&once).as_deref(),
                    Some(once.as_str()),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn not_a_document() {
        for text in ["not json", "[1,2]", "42", "[{}, {}]", "\"x\""] {
            assert_eq!(canonical_document(text), None, "{text}");
        }
    }

    #[test]
    fn canonical_keys_are_sorted_whatever_the_input_order() {
        let c = canonical_document(
            r#"{"Version":"2012-10-17","Statement":[{"Resource":"*","Effect":"Allow","Action":"a:b"}]}"#,
        )
        .unwrap();
        let statement = c.find("\"Statement\"").unwrap();
        let version = c.find("\"Version\"").unwrap();
        assert!(statement < version, "{c}");
        let (a, e, r) = (
            c.find("\"Action\"").unwrap(),
            c.find("\"Effect\"").unwrap(),
            c.find("\"Resource\"").unwrap(),
        );
        assert!(a < e && e < r, "{c}");
    }
}
