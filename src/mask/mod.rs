//! The one redaction layer. Every renderer (and the audit log) turns a [`Value`] into a
//! [`Masked`] value before it prints anything; [`Masked`] has no constructor but [`mask`], so a
//! renderer cannot print a raw value by accident.
//!
//! A sensitive value ([`Value::Sensitive`], anywhere in a tree) never survives masking: it
//! becomes the marker `(sensitive)`. An unknown value becomes `(known after apply)`.
//!
//! [`fingerprint`] is the other half: a keyed hash (HMAC-SHA256) of a value's canonical
//! encoding, so a recorded observation can store *that* a secret is what it was without
//! storing the secret (see `docs/observation-format.md`).
//!
//! [`mask_args`] and [`mask_text`] mask text that is not a value: command lines (secret flag
//! values such as `--approve TOKEN`) and free text (credentials and query strings in URLs).

mod args;
mod clean;

pub use args::{mask_args, mask_text, mask_url, mask_webhook};
pub use clean::{clean, clean_output, clean_text, json_pretty};

use std::collections::BTreeMap;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::model::{Attributes, Secret, Value, format_number};

/// How a sensitive value prints, everywhere.
pub const SENSITIVE: &str = "(sensitive)";
/// How an unknown value prints, everywhere.
pub const UNKNOWN: &str = "(known after apply)";
/// The prefix of every fingerprint [`fingerprint`] returns.
pub const FINGERPRINT_PREFIX: &str = "hmac-sha256:";

/// A value that has been through [`mask`]: secrets are gone, only markers remain.
#[derive(Debug, Clone, PartialEq)]
pub struct Masked(Node);

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    List(Vec<Node>),
    Map(BTreeMap<String, Node>),
    /// Where a sensitive value was.
    Redacted,
    Unknown,
}

/// Masks a value: every [`Value::Sensitive`] in the tree becomes `(sensitive)`.
pub fn mask(v: &Value) -> Masked {
    Masked(node(v))
}

/// Masks every attribute of a resource.
pub fn mask_attributes(attributes: &Attributes) -> BTreeMap<String, Masked> {
    attributes
        .iter()
        .map(|(k, v)| (k.clone(), mask(v)))
        .collect()
}

fn node(v: &Value) -> Node {
    match v {
        Value::Null => Node::Null,
        Value::Bool(b) => Node::Bool(*b),
        Value::Number(n) => Node::Number(*n),
        Value::String(s) => Node::String(s.clone()),
        Value::List(l) => Node::List(l.iter().map(node).collect()),
        Value::Map(m) => Node::Map(m.iter().map(|(k, v)| (k.clone(), node(v))).collect()),
        Value::Sensitive(_) => Node::Redacted,
        Value::Unknown => Node::Unknown,
    }
}

impl Masked {
    /// True when the whole value is a redacted secret.
    pub fn is_redacted(&self) -> bool {
        matches!(self.0, Node::Redacted)
    }

    pub fn is_null(&self) -> bool {
        matches!(self.0, Node::Null)
    }

    /// True for a string holding a JSON object or array (an IAM policy document).
    pub fn is_json_text(&self) -> bool {
        match &self.0 {
            Node::String(s) => is_json_text(s),
            _ => false,
        }
    }

    /// True for a string of more than one line.
    pub fn is_multiline(&self) -> bool {
        matches!(&self.0, Node::String(s) if s.contains('\n'))
    }

    /// True when the value, or anything inside it, was redacted.
    pub fn contains_redacted(&self) -> bool {
        fn walk(n: &Node) -> bool {
            match n {
                Node::Redacted => true,
                Node::List(l) => l.iter().any(walk),
                Node::Map(m) => m.values().any(walk),
                _ => false,
            }
        }
        walk(&self.0)
    }

    /// The value as JSON; markers become the strings `(sensitive)` and `(known after apply)`.
    /// Numbers that are integers print without a fraction; a number JSON cannot hold (NaN,
    /// infinity) prints as a string.
    pub fn to_json(&self) -> serde_json::Value {
        json(&self.0)
    }

    /// One line for a table cell: JSON-like (strings quoted, so `""` and `null` are told
    /// apart), with the markers unquoted.
    pub fn inline(&self) -> String {
        let mut out = String::new();
        inline(&self.0, &mut out);
        out
    }

    /// A readable multi-line text for values that are documents, for a line diff:
    /// a string holding a JSON object or array (an IAM policy) as canonical pretty JSON with
    /// sorted keys; a list or map as the same pretty JSON; a multi-line string as itself.
    /// `None` for everything else (scalars, markers).
    pub fn document(&self) -> Option<String> {
        match &self.0 {
            Node::String(s) => match parse_json_text(s) {
                Some(parsed) => Some(pretty(&parsed)),
                None => s.contains('\n').then(|| s.clone()),
            },
            Node::List(_) | Node::Map(_) => Some(pretty(&json(&self.0))),
            _ => None,
        }
    }
}

impl serde::Serialize for Masked {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

fn parse_json_text(s: &str) -> Option<serde_json::Value> {
    let trimmed = s.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(s).ok()
}

fn is_json_text(s: &str) -> bool {
    parse_json_text(s).is_some()
}

/// Pretty JSON with sorted keys (serde_json's map is ordered by key) and a trailing newline.
fn pretty(v: &serde_json::Value) -> String {
    let mut s = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    s.push('\n');
    s
}

/// A JSON number for an f64: integers without a fraction (`443`, not `443.0`).
pub(crate) fn json_number(n: f64) -> serde_json::Value {
    if n.fract() == 0.0 && n.abs() < 9_007_199_254_740_992.0 {
        serde_json::Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n)
            .map(serde_json::Value::Number)
            .unwrap_or_else(|| serde_json::Value::String(format_number(n)))
    }
}

fn json(n: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match n {
        Node::Null => J::Null,
        Node::Bool(b) => J::Bool(*b),
        Node::Number(x) => json_number(*x),
        Node::String(s) => J::String(s.clone()),
        Node::List(l) => J::Array(l.iter().map(json).collect()),
        Node::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), json(v))).collect()),
        Node::Redacted => J::String(SENSITIVE.to_string()),
        Node::Unknown => J::String(UNKNOWN.to_string()),
    }
}

fn quoted(s: &str, out: &mut String) {
    out.push_str(&serde_json::Value::String(s.to_string()).to_string());
}

fn inline(n: &Node, out: &mut String) {
    match n {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Number(x) => out.push_str(&format_number(*x)),
        Node::String(s) => quoted(s, out),
        Node::List(l) => {
            out.push('[');
            for (i, v) in l.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                inline(v, out);
            }
            out.push(']');
        }
        Node::Map(m) => {
            out.push('{');
            for (i, (k, v)) in m.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quoted(k, out);
                out.push_str(": ");
                inline(v, out);
            }
            out.push('}');
        }
        Node::Redacted => out.push_str(SENSITIVE),
        Node::Unknown => out.push_str(UNKNOWN),
    }
}

// ---- fingerprints ------------------------------------------------------------------------

/// Every scalar text in a value (strings, numbers, bools), for [`scrub_known`]: texts shorter
/// than 4 characters are left out (they would scrub common words).
pub fn scalar_texts(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Sensitive(Secret::Clear(x)) => scalar_texts(x, out),
        Value::List(l) => l.iter().for_each(|x| scalar_texts(x, out)),
        Value::Map(m) => m.values().for_each(|x| scalar_texts(x, out)),
        other => {
            if let Some(t) = other.scalar_text().filter(|t| t.len() >= 4) {
                out.push(t);
            }
        }
    }
}

/// `text` with every known secret (a value the states hold as sensitive, or one restored
/// from them) replaced by [`SENSITIVE`]: for text that did not come through [`mask`], such as
/// an AWS error message echoing what it was sent, or context lines of the user's `.tf` files.
/// The longest secrets go first, so a secret that contains (or starts with) another one is
/// replaced whole, never leaving its tail in clear.
pub fn scrub_known(text: &str, secrets: &[String]) -> String {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    secrets.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
    let mut out = text.to_string();
    for secret in secrets {
        out = out.replace(secret, SENSITIVE);
    }
    out
}

/// A keyed fingerprint of a value: `hmac-sha256:<64 hex>`, HMAC-SHA256 under `key` of the
/// value's canonical encoding (see [`canonical_bytes`]).
///
/// Sensitivity is a marking, not content: `fingerprint(sensitive(x)) == fingerprint(x)`, so a
/// recorded secret and an observed one compare by fingerprint. A value that already is a
/// fingerprint (`Secret::Fingerprint`, from a recorded observation) returns that fingerprint
/// unchanged: it was made under the observation's key, the same key a replay passes here.
pub fn fingerprint(v: &Value, key: &[u8]) -> String {
    match v {
        Value::Sensitive(Secret::Fingerprint(f)) => f.clone(),
        Value::Sensitive(Secret::Clear(inner)) => fingerprint(inner, key),
        _ => {
            // HMAC takes keys of any length, so this cannot fail; the fallback keeps the
            // function total without a panic path.
            let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
                Ok(mac) => mac,
                Err(_) => return format!("{FINGERPRINT_PREFIX}invalid-key"),
            };
            mac.update(&canonical_bytes(v));
            format!(
                "{FINGERPRINT_PREFIX}{}",
                hex::encode(mac.finalize().into_bytes())
            )
        }
    }
}

/// Replaces every clear secret in a tree by its fingerprint under `key`
/// (`Sensitive(Clear(x))` -> `Sensitive(Fingerprint(fingerprint(x, key)))`), so a recorded
/// value compares with a replayed observation's fingerprint.
pub fn fingerprint_secrets(v: &Value, key: &[u8]) -> Value {
    match v {
        Value::Sensitive(Secret::Clear(_)) => {
            Value::Sensitive(Secret::Fingerprint(fingerprint(v, key)))
        }
        Value::List(l) => Value::List(l.iter().map(|x| fingerprint_secrets(x, key)).collect()),
        Value::Map(m) => Value::Map(
            m.iter()
                .map(|(k, x)| (k.clone(), fingerprint_secrets(x, key)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The canonical encoding the fingerprint is taken over: a type tag per node, lengths as
/// 8-byte big-endian integers, map entries in key order. Two values have the same encoding
/// exactly when they are equal as [`Value`]s, with two deliberate exceptions: sensitivity
/// markers are transparent (a nested clear secret encodes as its content), and numbers encode
/// by their terraform text (`format_number`), so `-0` and `0` are one number.
pub fn canonical_bytes(v: &Value) -> Vec<u8> {
    let mut out = b"driftgate-value-v1\0".to_vec();
    encode(v, &mut out);
    out
}

fn encode_len(n: usize, out: &mut Vec<u8>) {
    out.extend_from_slice(&(n as u64).to_be_bytes());
}

fn encode_str(s: &str, out: &mut Vec<u8>) {
    encode_len(s.len(), out);
    out.extend_from_slice(s.as_bytes());
}

fn encode(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(b'z'),
        Value::Bool(b) => out.extend_from_slice(if *b { b"t" } else { b"f" }),
        Value::Number(n) => {
            out.push(b'n');
            encode_str(&format_number(*n), out);
        }
        Value::String(s) => {
            out.push(b's');
            encode_str(s, out);
        }
        Value::List(l) => {
            out.push(b'l');
            encode_len(l.len(), out);
            for x in l {
                encode(x, out);
            }
        }
        Value::Map(m) => {
            out.push(b'm');
            encode_len(m.len(), out);
            for (k, x) in m {
                encode_str(k, out);
                encode(x, out);
            }
        }
        Value::Sensitive(Secret::Clear(inner)) => encode(inner, out),
        Value::Sensitive(Secret::Fingerprint(f)) => {
            out.push(b'h');
            encode_str(f, out);
        }
        Value::Unknown => out.push(b'u'),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: &[(&str, Value)]) -> Value {
        Value::Map(
            entries
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn secrets_never_survive_masking() {
        let v = map(&[
            ("password", Value::sensitive(Value::str("hunter2"))),
            (
                "nested",
                Value::List(vec![Value::sensitive(map(&[("k", Value::str("hunter2"))]))]),
            ),
            ("plain", Value::str("visible")),
        ]);
        let m = mask(&v);
        assert!(m.contains_redacted());
        assert!(!m.is_redacted());
        let json = m.to_json().to_string();
        let inline = m.inline();
        let doc = m.document().unwrap();
        for text in [&json, &inline, &doc] {
            assert!(!text.contains("hunter2"), "{text}");
            assert!(text.contains("(sensitive)"), "{text}");
            assert!(text.contains("visible"), "{text}");
        }
        assert!(mask(&Value::sensitive(Value::str("x"))).is_redacted());
        // A fingerprinted secret is masked the same way.
        let f = Value::Sensitive(Secret::Fingerprint("hmac-sha256:ab".into()));
        assert_eq!(mask(&f).inline(), "(sensitive)");
    }

    #[test]
    fn inline_text_tells_types_apart() {
        assert_eq!(mask(&Value::str("")).inline(), "\"\"");
        assert_eq!(mask(&Value::Null).inline(), "null");
        assert_eq!(mask(&Value::str("null")).inline(), "\"null\"");
        assert_eq!(mask(&Value::from(443)).inline(), "443");
        assert_eq!(mask(&Value::Number(1.5)).inline(), "1.5");
        assert_eq!(mask(&Value::Unknown).inline(), "(known after apply)");
        assert_eq!(
            mask(&map(&[
                ("b", Value::from(true)),
                ("a", Value::from(vec!["x"]))
            ]))
            .inline(),
            "{\"a\": [\"x\"], \"b\": true}"
        );
    }

    #[test]
    fn json_numbers_are_integers_when_they_can_be() {
        assert_eq!(mask(&Value::from(443)).to_json().to_string(), "443");
        assert_eq!(mask(&Value::Number(0.25)).to_json().to_string(), "0.25");
        assert_eq!(
            mask(&Value::Number(f64::NAN)).to_json(),
            serde_json::Value::String("NaN".into())
        );
    }

    #[test]
    fn documents_are_canonical_pretty_json() {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*"}]}"#;
        let doc = mask(&Value::str(policy)).document().unwrap();
        assert_eq!(
            doc,
            "{\n  \"Statement\": [\n    {\n      \"Action\": \"s3:*\",\n      \"Effect\": \"Allow\"\n    }\n  ],\n  \"Version\": \"2012-10-17\"\n}\n"
        );
        assert_eq!(mask(&Value::str("a\nb")).document().unwrap(), "a\nb");
        assert_eq!(mask(&Value::str("{not json")).document(), None);
        assert_eq!(mask(&Value::str("t3.micro")).document(), None);
        assert_eq!(mask(&Value::sensitive(Value::str(policy))).document(), None);
    }

    #[test]
    fn attributes_mask_one_by_one() {
        let mut a = Attributes::new();
        a.insert("id".into(), Value::str("i-1"));
        a.insert("secret".into(), Value::sensitive(Value::str("s3cr3t")));
        let m = mask_attributes(&a);
        assert_eq!(m["id"].inline(), "\"i-1\"");
        assert!(m["secret"].is_redacted());
        assert!(!serde_json::to_string(&m).unwrap().contains("s3cr3t"));
    }

    #[test]
    fn fingerprints_are_keyed_hmacs_of_the_value() {
        let key = b"key";
        let a = fingerprint(&Value::str("hunter2"), key);
        assert!(a.starts_with("hmac-sha256:"));
        assert_eq!(a.len(), "hmac-sha256:".len() + 64);
        assert!(!a.contains("hunter2"));
        // Deterministic, keyed, and blind to the sensitivity marker.
        assert_eq!(a, fingerprint(&Value::str("hunter2"), key));
        assert_ne!(a, fingerprint(&Value::str("hunter2"), b"other key"));
        assert_ne!(a, fingerprint(&Value::str("hunter3"), key));
        assert_eq!(
            a,
            fingerprint(&Value::sensitive(Value::str("hunter2")), key)
        );
        // An existing fingerprint is kept as it is.
        let f = Value::Sensitive(Secret::Fingerprint(a.clone()));
        assert_eq!(fingerprint(&f, b"whatever"), a);
    }

    #[test]
    fn fingerprint_matches_a_known_hmac() {
        // HMAC-SHA256("key", canonical("x")), computed independently of `fingerprint`.
        let mut mac = Hmac::<Sha256>::new_from_slice(b"key").unwrap();
        mac.update(b"driftgate-value-v1\0s\0\0\0\0\0\0\0\x01x");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(
            fingerprint(&Value::str("x"), b"key"),
            format!("hmac-sha256:{expected}")
        );
    }

    #[test]
    fn canonical_encoding_separates_types_and_structure() {
        let distinct = [
            Value::Null,
            Value::from(true),
            Value::from(false),
            Value::from(1),
            Value::str("1"),
            Value::str(""),
            Value::List(vec![]),
            Value::Map(BTreeMap::new()),
            Value::Unknown,
            Value::from(vec!["a", "b"]),
            Value::from(vec!["ab"]),
            map(&[("a", Value::str("b"))]),
            map(&[("ab", Value::str(""))]),
            Value::List(vec![Value::str("a"), Value::Null]),
            Value::List(vec![Value::List(vec![Value::str("a")]), Value::str("b")]),
        ];
        let encodings: std::collections::BTreeSet<Vec<u8>> =
            distinct.iter().map(canonical_bytes).collect();
        assert_eq!(encodings.len(), distinct.len());
    }

    #[test]
    fn fingerprint_secrets_replaces_only_clear_secrets() {
        let v = map(&[
            ("a", Value::sensitive(Value::str("x"))),
            ("b", Value::str("y")),
        ]);
        let f = fingerprint_secrets(&v, b"k");
        let m = f.as_map().unwrap();
        assert_eq!(
            m["a"],
            Value::Sensitive(Secret::Fingerprint(fingerprint(&Value::str("x"), b"k")))
        );
        assert_eq!(m["b"], Value::str("y"));
    }
}
