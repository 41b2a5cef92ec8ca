//! The plan's canonical form, its digest and the approval token derived from it.
//!
//! - **Canonical form**: the plan file's JSON without its `digest` and `signature` members, encoded the way
//!   RFC 8785 (JCS) encodes it: object members sorted by key (code point order; every key a
//!   plan has is ASCII, where this equals JCS's UTF-16 order), no insignificant whitespace,
//!   strings with JSON's minimal escaping, integers without fraction or exponent. A plan holds
//!   no non-integer number except inside an attribute value, which `serde_json` writes in the
//!   shortest round-trip form (as JCS does for the values terraform uses).
//! - **Digest**: `sha256:` + the hex SHA-256 of the canonical form.
//! - **Token**: `dg1-` + the first 24 hex digits of SHA-256(`driftgate-approve:` + digest).
//!   It is derived from public data: it proves that whoever passes it to `apply` saw (or was
//!   given) this exact plan, it is **not a secret** and grants nothing by itself.

use sha2::{Digest, Sha256};

use crate::model::plan::Plan;

use super::wire;

pub const DIGEST_PREFIX: &str = "sha256:";
pub const TOKEN_PREFIX: &str = "dg1-";

/// The canonical encoding of a JSON value (see the module docs).
pub fn canonical_json(v: &serde_json::Value) -> Vec<u8> {
    let mut out = Vec::new();
    write(v, &mut out);
    out
}

fn write(v: &serde_json::Value, out: &mut Vec<u8>) {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push(b'{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(&J::String(k.clone()), out);
                out.push(b':');
                write(&m[k], out);
            }
            out.push(b'}');
        }
        J::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write(x, out);
            }
            out.push(b']');
        }
        // Scalars: serde_json's compact form (minimal escaping, integers as integers).
        scalar => out.extend_from_slice(scalar.to_string().as_bytes()),
    }
}

/// The digest of a plan file's JSON: `digest` itself is left out, whatever it holds.
pub fn digest_json(plan_json: &serde_json::Value) -> String {
    let mut v = plan_json.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("digest");
        // The author's signature signs the digest: it cannot be inside it.
        o.remove("signature");
    }
    format!(
        "{DIGEST_PREFIX}{}",
        hex::encode(Sha256::digest(canonical_json(&v)))
    )
}

/// The digest of a plan (its `digest` field is ignored).
pub fn digest(plan: &Plan) -> String {
    let json = serde_json::to_value(wire::to_wire(plan)).unwrap_or(serde_json::Value::Null);
    digest_json(&json)
}

/// The hex SHA-256 of a labelled structure: `{"kind": KIND, "parts": PARTS}` in the canonical
/// form. Every input digest of a plan (policy, configuration, observation) is one, so a digest
/// always says which input it is over and which of its parts are present (`null` when absent):
/// no other input, and no other arrangement of the same files, hashes the same.
pub fn labelled(kind: &str, parts: serde_json::Value) -> String {
    let v = serde_json::json!({ "kind": kind, "parts": parts });
    hex::encode(Sha256::digest(canonical_json(&v)))
}

/// The approval token of a plan digest.
pub fn token(digest: &str) -> String {
    let h = Sha256::digest(format!("driftgate-approve:{digest}").as_bytes());
    format!("{TOKEN_PREFIX}{}", &hex::encode(h)[..24])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_json_sorts_keys_and_drops_whitespace() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{ "b": [1, 2.5, "x\n"], "a": {"d": null, "c": true} }"#)
                .unwrap();
        assert_eq!(
            String::from_utf8(canonical_json(&v)).unwrap(),
            r#"{"a":{"c":true,"d":null},"b":[1,2.5,"x\n"]}"#
        );
    }

    #[test]
    fn digest_ignores_the_digest_member_only() {
        let a = serde_json::json!({"x": 1, "digest": "whatever"});
        let b = serde_json::json!({"x": 1});
        let c = serde_json::json!({"x": 2});
        assert_eq!(digest_json(&a), digest_json(&b));
        assert_ne!(digest_json(&a), digest_json(&c));
        // The canonical form of {"x":1}, hashed independently.
        assert_eq!(
            digest_json(&b),
            format!("sha256:{}", hex::encode(Sha256::digest(br#"{"x":1}"#)))
        );
    }

    /// A digest names its input and which parts are present: the same bytes as another part,
    /// or as another input, never hash the same.
    #[test]
    fn labelled_digests_tell_inputs_and_parts_apart() {
        let bytes = "sha256-of-the-same-bytes";
        let a = labelled(
            "policy",
            serde_json::json!({"policy_file": bytes, "driftignore": null}),
        );
        let b = labelled(
            "policy",
            serde_json::json!({"policy_file": null, "driftignore": bytes}),
        );
        let c = labelled(
            "observation",
            serde_json::json!({"policy_file": bytes, "driftignore": null}),
        );
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            a,
            labelled(
                "policy",
                serde_json::json!({"driftignore": null, "policy_file": bytes})
            )
        );
    }

    #[test]
    fn token_is_derived_from_the_digest() {
        let t = token("sha256:00");
        assert!(t.starts_with("dg1-"));
        assert_eq!(t.len(), 4 + 24);
        assert_eq!(t, token("sha256:00"));
        assert_ne!(t, token("sha256:01"));
        let expected = hex::encode(Sha256::digest(b"driftgate-approve:sha256:00"));
        assert_eq!(&t[4..], &expected[..24]);
    }
}
