//! IAM policy documents compared by meaning, in the spirit of
//! hashicorp/awspolicyequivalence: a document is parsed and rewritten into one canonical form
//! where every difference that IAM ignores is gone.
//!
//! Canonical form: `Statement` is always a list, sorted; in each statement `Action`,
//! `NotAction`, `Resource`, `NotResource` are sorted, de-duplicated lists (actions lowercased:
//! IAM matches them case-insensitively); `Principal` is `"*"` or a map of sorted lists (a bare
//! account id becomes its root ARN, `{"AWS": "*"}` is `"*"`); `Condition` values are sorted
//! lists. Keys of JSON objects are sorted by serde_json. Documents that do not parse are left as
//! the raw text (compared exactly), so a broken document is never hidden.

use serde_json::{Map, Value as Json};

/// The canonical pretty-printed form of a policy document, or `None` when it is not a JSON
/// policy document.
pub fn canonical_document(text: &str) -> Option<String> {
    let doc: Json = serde_json::from_str(text.trim()).ok()?;
    let Json::Object(doc) = doc else { return None };
    let mut out = Map::new();
    for (k, v) in doc {
        match k.as_str() {
            "Statement" => {
                let list = match v {
                    Json::Array(a) => a,
                    other => vec![other],
                };
                let mut statements: Vec<Json> = list.into_iter().map(canonical_statement).collect();
                statements.sort_by_key(|s| s.to_string());
                statements.dedup();
                out.insert(k, Json::Array(statements));
            }
            _ => {
                out.insert(k, v);
            }
        }
    }
    serde_json::to_string_pretty(&Json::Object(out)).ok()
}

fn canonical_statement(s: Json) -> Json {
    let Json::Object(s) = s else { return s };
    let mut out = Map::new();
    for (k, v) in s {
        let v = match k.as_str() {
            "Action" | "NotAction" => string_set(v, true),
            "Resource" | "NotResource" => string_set(v, false),
            "Principal" | "NotPrincipal" => principal(v),
            "Condition" => condition(v),
            _ => v,
        };
        out.insert(k, v);
    }
    Json::Object(out)
}

/// A string or a list of strings as a sorted, de-duplicated list.
fn string_set(v: Json, lowercase: bool) -> Json {
    let items = match v {
        Json::Array(a) => a,
        other => vec![other],
    };
    let mut strings: Vec<Json> = items
        .into_iter()
        .map(|x| match x {
            Json::String(s) if lowercase => Json::String(s.to_ascii_lowercase()),
            other => other,
        })
        .collect();
    strings.sort_by_key(|x| x.to_string());
    strings.dedup();
    Json::Array(strings)
}

fn principal(v: Json) -> Json {
    match v {
        Json::String(s) if s == "*" => Json::String(s),
        Json::Object(m) => {
            if m.len() == 1 && m.get("AWS").is_some_and(|a| a == "*") {
                return Json::String("*".into());
            }
            let mut out = Map::new();
            for (k, v) in m {
                let mut set = string_set(v, false);
                if k == "AWS"
                    && let Json::Array(items) = &mut set
                {
                    for item in items.iter_mut() {
                        if let Json::String(s) = item
                            && s.len() == 12
                            && s.bytes().all(|b| b.is_ascii_digit())
                        {
                            *s = format!("arn:aws:iam::{s}:root");
                        }
                    }
                    items.sort_by_key(|x| x.to_string());
                    items.dedup();
                }
                out.insert(k, set);
            }
            Json::Object(out)
        }
        other => other,
    }
}

fn condition(v: Json) -> Json {
    let Json::Object(ops) = v else { return v };
    let mut out = Map::new();
    for (op, keys) in ops {
        let keys = match keys {
            Json::Object(keys) => Json::Object(
                keys.into_iter()
                    .map(|(k, vals)| (k, string_set(vals, false)))
                    .collect(),
            ),
            other => other,
        };
        out.insert(op, keys);
    }
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same(a: &str, b: &str) {
        assert_eq!(canonical_document(a), canonical_document(b), "\n{a}\n{b}");
        assert!(canonical_document(a).is_some());
    }

    fn differ(a: &str, b: &str) {
        assert_ne!(canonical_document(a), canonical_document(b), "\n{a}\n{b}");
    }

    #[test]
    fn equal_by_meaning() {
        same(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            r#"{ "Statement": { "Resource": ["*"], "Action": ["S3:GetObject", "s3:getobject"], "Effect": "Allow" },
                "Version": "2012-10-17" }"#,
        );
        same(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":["sts:AssumeRole"]}]}"#,
        );
        same(
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::123456789012:root"]},"Action":"sts:AssumeRole"}]}"#,
        );
        same(
            r#"{"Statement":[{"Sid":"a","Effect":"Allow","Action":"a:b","Resource":"x"},{"Sid":"b","Effect":"Deny","Action":"c:d","Resource":"y"}]}"#,
            r#"{"Statement":[{"Sid":"b","Effect":"Deny","Action":"c:d","Resource":"y"},{"Sid":"a","Effect":"Allow","Action":"a:b","Resource":"x"}]}"#,
        );
        same(
            r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":"v"}}}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*","Condition":{"StringEquals":{"k":["v"]}}}]}"#,
        );
    }

    #[test]
    fn different_meaning_differs() {
        differ(
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#,
        );
        differ(
            r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"arn:aws:s3:::Bucket"}]}"#,
            r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"arn:aws:s3:::bucket"}]}"#,
        );
        differ(
            r#"{"Statement":[{"Effect":"Allow","Action":"a:b","Resource":"*"}]}"#,
            r#"{"Statement":[{"Effect":"Deny","Action":"a:b","Resource":"*"}]}"#,
        );
    }

    #[test]
    fn not_a_document() {
        assert_eq!(canonical_document("not json"), None);
        assert_eq!(canonical_document("[1,2]"), None);
    }
}
