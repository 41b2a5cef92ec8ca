//! Alignment for display: the observed value with its list items and JSON object keys put in
//! the recorded value's order wherever the two agree by meaning, so that a line diff of the two
//! shows only real changes. Presentation only: nothing is compared here, and nothing is added,
//! dropped or rewritten, only reordered (a JSON document is re-serialized in the new order).
//! Keys of JSON objects print sorted on both sides (serde_json's map is ordered by key), so
//! they are aligned already; lists (statements, actions, principals, blocks) keep their order
//! and are aligned here.
//!
//! List items are matched first by meaning (an IAM statement by its canonical form, an action
//! case-insensitively, anything else by equality); each recorded item left over is then paired
//! with the most similar observed item left over (the most equal keys), so a changed item
//! stands where it stood and differs line by line. Observed items left after that come last.
//! A value that holds a secret is never looked into.

use std::cmp::Reverse;

use serde_json::{Map, Value as Json};

use super::iam;
use crate::model::Value;

/// `observed`, reordered like `recorded` where they agree.
pub fn observed_like(recorded: &Value, observed: &Value) -> Value {
    if recorded.contains_sensitive() || observed.contains_sensitive() {
        return observed.clone();
    }
    match (recorded, observed) {
        (Value::String(r), Value::String(o)) => match (json_text(r), json_text(o)) {
            (Some(rj), Some(oj)) => {
                let aligned = align_json(&rj, oj.clone(), "");
                if aligned == oj && serde_json::to_string(&aligned).ok() == Some(o.clone()) {
                    observed.clone()
                } else {
                    serde_json::to_string(&aligned)
                        .map(Value::String)
                        .unwrap_or_else(|_| observed.clone())
                }
            }
            _ => observed.clone(),
        },
        (Value::List(r), Value::List(o)) => {
            Value::List(align_items(r, o, |a, b| a == b, value_score, observed_like))
        }
        (Value::Map(r), Value::Map(o)) => Value::Map(
            o.iter()
                .map(|(k, ov)| {
                    let v = match r.get(k) {
                        Some(rv) => observed_like(rv, ov),
                        None => ov.clone(),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        _ => observed.clone(),
    }
}

/// A string holding a JSON object or array.
fn json_text(s: &str) -> Option<Json> {
    let t = s.trim_start();
    if !(t.starts_with('{') || t.starts_with('[')) {
        return None;
    }
    serde_json::from_str(s).ok()
}

/// Observed items in recorded order: matched items first (in the recorded items' order), then
/// the observed items nothing matched, in their own order.
fn align_items<T: Clone>(
    recorded: &[T],
    observed: &[T],
    same: impl Fn(&T, &T) -> bool,
    score: impl Fn(&T, &T) -> usize,
    inner: impl Fn(&T, &T) -> T,
) -> Vec<T> {
    let mut used = vec![false; observed.len()];
    let mut pair: Vec<Option<usize>> = vec![None; recorded.len()];
    for (i, r) in recorded.iter().enumerate() {
        if let Some(j) = (0..observed.len()).find(|&j| !used[j] && same(r, &observed[j])) {
            used[j] = true;
            pair[i] = Some(j);
        }
    }
    for (i, r) in recorded.iter().enumerate() {
        if pair[i].is_some() {
            continue;
        }
        let best = (0..observed.len())
            .filter(|&j| !used[j])
            .max_by_key(|&j| (score(r, &observed[j]), Reverse(j)));
        if let Some(j) = best {
            used[j] = true;
            pair[i] = Some(j);
        }
    }
    let mut out: Vec<T> = pair
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.map(|j| inner(&recorded[i], &observed[j])))
        .collect();
    out.extend(
        observed
            .iter()
            .zip(&used)
            .filter(|(_, u)| !**u)
            .map(|(o, _)| o.clone()),
    );
    out
}

fn value_score(a: &Value, b: &Value) -> usize {
    match (a, b) {
        (Value::Map(a), Value::Map(b)) => a.iter().filter(|(k, v)| b.get(*k) == Some(v)).count(),
        _ => 0,
    }
}

/// What an item of the list under `key` means, for matching.
fn meaning(v: &Json, key: &str) -> Json {
    match (key, v) {
        ("Statement", _) => iam::canonical_statement(v.clone()),
        ("Action" | "NotAction", Json::String(s)) => Json::String(s.to_ascii_lowercase()),
        _ => v.clone(),
    }
}

fn json_score(a: &Json, b: &Json) -> usize {
    match (a, b) {
        (Json::Object(a), Json::Object(b)) => {
            a.iter().filter(|(k, v)| b.get(*k) == Some(v)).count()
        }
        _ => 0,
    }
}

/// `observed` (found under `key`) in `recorded`'s order.
fn align_json(recorded: &Json, observed: Json, key: &str) -> Json {
    match (recorded, observed) {
        (Json::Object(r), Json::Object(mut o)) => {
            let mut out = Map::new();
            for (k, rv) in r {
                if let Some(ov) = o.remove(k) {
                    out.insert(k.clone(), align_json(rv, ov, k));
                }
            }
            out.extend(o);
            Json::Object(out)
        }
        (Json::Array(r), Json::Array(o)) => Json::Array(align_items(
            r,
            &o,
            |a, b| meaning(a, key) == meaning(b, key),
            json_score,
            |a, b| align_json(a, b.clone(), key),
        )),
        (_, o) => o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aligned(recorded: &str, observed: &str) -> String {
        let out = observed_like(&Value::str(recorded), &Value::str(observed));
        out.as_str().unwrap().to_string()
    }

    #[test]
    fn documents_take_the_recorded_order_of_statements() {
        let recorded = r#"{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"},{"Action":"ec2:Describe*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#;
        let observed = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*","Action":["EC2:describe*"]},{"Resource":"*","Effect":"Allow","Action":"s3:GetObject"}]}"#;
        assert_eq!(
            aligned(recorded, observed),
            r#"{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Resource":"*"},{"Action":["EC2:describe*"],"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#
        );
    }

    #[test]
    fn a_changed_statement_stands_where_it_stood() {
        let recorded = r#"{"Statement":[{"Sid":"a","Action":"s3:GetObject","Resource":"*"},{"Sid":"b","Action":"sqs:*","Resource":"*"}]}"#;
        let observed = r#"{"Statement":[{"Sid":"b","Action":"sqs:*","Resource":"*"},{"Sid":"a","Resource":"*","Action":["s3:GetObject","s3:DeleteObject"]},{"Sid":"c","Action":"*","Resource":"*"}]}"#;
        assert_eq!(
            aligned(recorded, observed),
            r#"{"Statement":[{"Action":["s3:GetObject","s3:DeleteObject"],"Resource":"*","Sid":"a"},{"Action":"sqs:*","Resource":"*","Sid":"b"},{"Action":"*","Resource":"*","Sid":"c"}]}"#
        );
    }

    #[test]
    fn lists_of_blocks_take_the_recorded_order() {
        let block = |name: &str, policy: &str| {
            Value::Map(
                [
                    ("name".to_string(), Value::str(name)),
                    ("policy".to_string(), Value::str(policy)),
                ]
                .into(),
            )
        };
        let recorded = Value::List(vec![
            block("a", r#"{"Version":"1","Statement":[]}"#),
            block("b", "{}"),
        ]);
        let observed = Value::List(vec![
            block("b", "{}"),
            block("a", r#"{"Statement":[],"Version":"2"}"#),
        ]);
        assert_eq!(
            observed_like(&recorded, &observed),
            Value::List(vec![
                block("a", r#"{"Statement":[],"Version":"2"}"#),
                block("b", "{}"),
            ])
        );
    }

    #[test]
    fn nothing_is_added_or_dropped_and_secrets_are_not_looked_into() {
        let recorded = Value::from(vec!["a", "b", "c"]);
        let observed = Value::from(vec!["d", "c", "a"]);
        assert_eq!(
            observed_like(&recorded, &observed),
            Value::from(vec!["a", "d", "c"])
        );
        let secret = Value::List(vec![Value::sensitive(Value::str("b")), Value::str("a")]);
        let observed = Value::from(vec!["b", "a"]);
        assert_eq!(observed_like(&secret, &observed), observed);
    }
}
