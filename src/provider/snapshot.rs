//! The recorded-observation file: what `driftgate observe --out FILE` writes and
//! `driftgate scan --observed FILE` replays. The format is documented in
//! `docs/observation-format.md`; these wire types are its only definition in code.
//!
//! Secrets never reach the file: a sensitive value is written as its fingerprint
//! (`{"sensitive": "hmac-sha256:..."}`, see [`crate::mask::fingerprint`]) and read back as
//! [`Secret::Fingerprint`]. The fingerprint key is either the user's
//! (`DRIFTGATE_FINGERPRINT_KEY`, kept outside the file; the file records only its id) or a
//! random 32-byte salt stored in the file.
//!
//! Values are plain JSON where they can be; four single-key objects are markers:
//! `{"sensitive": "hmac-sha256:.."}`, `{"unknown": true}`, `{"number": "NaN"}` (a number JSON
//! cannot hold) and `{"map": {..}}`, the escape for a real map whose only key is one of those
//! four names. Every [`Value`] round-trips.

use std::collections::BTreeMap;

use miette::{NamedSource, SourceSpan};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::codec::{decode, encode};
use crate::error::{Error, Result};
use crate::model::{Gap, Observation, ObservedResource, Owner};

/// The version of the file format this driftgate writes and reads.
pub const FORMAT_VERSION: u64 = 1;

const ALGORITHM: &str = "hmac-sha256";
const HELP_RECORD: &str = "record a new one with `driftgate observe --out FILE`";

/// The key secrets are fingerprinted with when an observation is written.
#[derive(Clone, PartialEq, Eq)]
pub struct FingerprintKey(KeyKind);

#[derive(Clone, PartialEq, Eq)]
enum KeyKind {
    /// The user's key (from `DRIFTGATE_FINGERPRINT_KEY`): only its id goes into the file.
    User(Vec<u8>),
    /// A random salt, stored in the file.
    Salt([u8; 32]),
}

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            KeyKind::User(k) => write!(f, "FingerprintKey::User(id {})", key_id(k)),
            KeyKind::Salt(_) => write!(f, "FingerprintKey::Salt(..)"),
        }
    }
}

impl FingerprintKey {
    /// The user's key when one is given, else a fresh random salt from the operating system.
    #[allow(clippy::result_large_err)] // `Error` is large (span-carrying variants).
    pub fn new(user_key: Option<Vec<u8>>) -> Result<FingerprintKey> {
        match user_key {
            Some(k) if k.is_empty() => Err(Error::ObservationKey {
                path: "DRIFTGATE_FINGERPRINT_KEY".into(),
                reason: "the fingerprint key is empty".into(),
                help: "unset DRIFTGATE_FINGERPRINT_KEY to use a random salt, or set it to a long random secret".into(),
            }),
            Some(k) => Ok(FingerprintKey::user(k)),
            None => {
                let mut salt = [0u8; 32];
                getrandom::fill(&mut salt).map_err(|e| Error::FingerprintSalt(e.to_string()))?;
                Ok(FingerprintKey::salt(salt))
            }
        }
    }

    /// A key the user keeps outside the file.
    pub fn user(key: Vec<u8>) -> FingerprintKey {
        FingerprintKey(KeyKind::User(key))
    }

    /// A salt that is written into the file (for tests and callers that make their own).
    pub fn salt(salt: [u8; 32]) -> FingerprintKey {
        FingerprintKey(KeyKind::Salt(salt))
    }

    /// The HMAC key.
    pub fn bytes(&self) -> &[u8] {
        match &self.0 {
            KeyKind::User(k) => k,
            KeyKind::Salt(s) => s,
        }
    }
}

/// A short public id of a key: the first 8 hex digits of its SHA-256. It tells a wrong key
/// from the right one; it is no help in guessing the key.
pub fn key_id(key: &[u8]) -> String {
    hex::encode(Sha256::digest(key))[..8].to_string()
}

// ---- wire types -----------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWire {
    format_version: u64,
    #[serde(default)]
    driftgate_version: Option<String>,
    #[serde(default)]
    fingerprints: Option<FingerprintsWire>,
    regions: Vec<String>,
    resource_types: Vec<String>,
    resources: Vec<ResourceWire>,
    #[serde(default)]
    gaps: Vec<GapWire>,
    #[serde(default)]
    api_calls: BTreeMap<String, u64>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FingerprintsWire {
    algorithm: String,
    /// `salt` or `user`.
    key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    salt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    key_id: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ResourceWire {
    resource_type: String,
    cloud_id: String,
    primary: bool,
    #[serde(default)]
    region: Option<String>,
    owner: OwnerWire,
    attributes: BTreeMap<String, serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum OwnerWire {
    User,
    Aws(String),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct GapWire {
    service: String,
    #[serde(default)]
    region: Option<String>,
    operation: String,
    resource_types: Vec<String>,
    reason: String,
    /// The SDK's own account of the error (optional: absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    detail: Option<String>,
}

// ---- writing --------------------------------------------------------------------------------

/// The observation as file text: pretty JSON, trailing newline, deterministic (resources and
/// gaps sorted, no timestamps). Clear secrets are fingerprinted with `key`; values that already
/// are fingerprints (from a replayed file) are kept as they are.
pub fn write(obs: &Observation, key: &FingerprintKey) -> String {
    let k = key.bytes();
    let mut resources: Vec<&ObservedResource> = obs.resources.iter().collect();
    resources.sort_by(|a, b| {
        (
            &a.resource_type,
            &a.cloud_id,
            &a.region,
            !a.primary,
            &a.owner,
            &a.attributes,
        )
            .cmp(&(
                &b.resource_type,
                &b.cloud_id,
                &b.region,
                !b.primary,
                &b.owner,
                &b.attributes,
            ))
    });
    let mut gaps: Vec<&Gap> = obs.gaps.iter().collect();
    gaps.sort();
    let wire = FileWire {
        format_version: FORMAT_VERSION,
        driftgate_version: Some(env!("CARGO_PKG_VERSION").to_string()),
        fingerprints: Some(match &key.0 {
            KeyKind::User(u) => FingerprintsWire {
                algorithm: ALGORITHM.into(),
                key: "user".into(),
                salt: None,
                key_id: Some(key_id(u)),
            },
            KeyKind::Salt(s) => FingerprintsWire {
                algorithm: ALGORITHM.into(),
                key: "salt".into(),
                salt: Some(hex::encode(s)),
                key_id: None,
            },
        }),
        regions: obs.regions.clone(),
        resource_types: obs.resource_types.clone(),
        resources: resources
            .into_iter()
            .map(|r| ResourceWire {
                resource_type: r.resource_type.clone(),
                cloud_id: r.cloud_id.clone(),
                primary: r.primary,
                region: r.region.clone(),
                owner: match &r.owner {
                    Owner::User => OwnerWire::User,
                    Owner::Aws(why) => OwnerWire::Aws(why.clone()),
                },
                attributes: r
                    .attributes
                    .iter()
                    .map(|(name, v)| (name.clone(), encode(v, k)))
                    .collect(),
            })
            .collect(),
        gaps: gaps
            .into_iter()
            .map(|g| GapWire {
                service: g.service.clone(),
                region: g.region.clone(),
                operation: g.operation.clone(),
                resource_types: g.resource_types.clone(),
                reason: g.reason.clone(),
                detail: g.detail.clone(),
            })
            .collect(),
        api_calls: obs.api_calls.clone(),
    };
    // Plain data with string keys: serializing cannot fail.
    let mut out = serde_json::to_string_pretty(&wire).unwrap_or_default();
    out.push('\n');
    out
}

// ---- reading --------------------------------------------------------------------------------

/// Byte offset of a 1-based line and column, as serde_json reports them.
fn offset(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    (start + column.saturating_sub(1)).min(text.len())
}

fn parse_error(path: &str, text: &str, e: &serde_json::Error, help: &str) -> Error {
    let span = (e.line() > 0).then(|| {
        let at = offset(text, e.line(), e.column());
        SourceSpan::from((at, usize::from(at < text.len())))
    });
    let reason = match e.classify() {
        serde_json::error::Category::Eof => "the file ends too early (truncated?)".to_string(),
        _ => {
            // serde_json appends " at line L column C"; the span shows where.
            let s = e.to_string();
            match s.rfind(" at line ") {
                Some(i) => s[..i].to_string(),
                None => s,
            }
        }
    };
    Error::ObservationParse {
        path: path.to_string(),
        reason,
        help: help.to_string(),
        src: NamedSource::new(path, text.to_string()),
        span,
    }
}

fn plain_error(path: &str, text: &str, reason: String) -> Error {
    Error::ObservationParse {
        path: path.to_string(),
        reason,
        help: HELP_RECORD.to_string(),
        src: NamedSource::new(path, text.to_string()),
        span: None,
    }
}

/// The span of the value after `"format_version":` (a best effort for the label).
fn version_span(text: &str) -> Option<SourceSpan> {
    let key = text.find("\"format_version\"")?;
    let rest = &text[key + "\"format_version\"".len()..];
    let colon = rest.find(':')?;
    let after = &rest[colon + 1..];
    let skip = after.len() - after.trim_start().len();
    let start = key + "\"format_version\"".len() + colon + 1 + skip;
    let len = text[start..]
        .find(|c: char| c == ',' || c == '}' || c.is_whitespace())
        .unwrap_or(text.len() - start);
    Some(SourceSpan::from((start, len)))
}

/// Reads an observation file. `path_for_messages` names it in errors; `env_key` is the user's
/// fingerprint key, if any (`DRIFTGATE_FINGERPRINT_KEY`).
///
/// Returns the observation and the key to fingerprint *recorded* secrets with, so they compare
/// with the file's fingerprints: the user's key when the file was recorded with one (the
/// key's id must match: a different key is an error, since every secret would look changed),
/// else the file's salt (a user key given for a salted file is not needed and not used). A
/// hand-written file with no `fingerprints` section may hold no sensitive values; the key
/// returned for it is the user's key or empty.
#[allow(clippy::result_large_err)] // `Error` is large (span-carrying variants).
pub fn read(
    path_for_messages: &str,
    text: &str,
    env_key: Option<Vec<u8>>,
) -> Result<(Observation, Vec<u8>)> {
    let path = path_for_messages;
    check_header(path, text)?;
    let wire: FileWire =
        serde_json::from_str(text).map_err(|e| parse_error(path, text, &e, HELP_RECORD))?;
    let key = file_key(path, text, wire.fingerprints.as_ref(), env_key.as_ref())?;
    let resources = read_resources(path, text, wire.resources, key.is_some())?;
    let observation = Observation {
        regions: wire.regions,
        resource_types: wire.resource_types,
        resources,
        gaps: wire
            .gaps
            .into_iter()
            .map(|g| Gap {
                service: g.service,
                region: g.region,
                operation: g.operation,
                resource_types: g.resource_types,
                reason: g.reason,
                detail: g.detail,
            })
            .collect(),
        api_calls: wire.api_calls,
        api_ms: BTreeMap::new(),
        paced_ms: BTreeMap::new(),
    };
    let key = key.or(env_key).unwrap_or_default();
    Ok((observation, key))
}

/// Owns what a file must be before it is read as an observation: not empty, JSON, an object,
/// and of this driftgate's `format_version` (else an error naming the version found).
#[allow(clippy::result_large_err)]
fn check_header(path: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(Error::ObservationEmpty {
            path: path.to_string(),
        });
    }
    let any: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        parse_error(
            path,
            text,
            &e,
            "the file is not valid JSON; record a new one with `driftgate observe --out FILE`",
        )
    })?;
    let Some(top) = any.as_object() else {
        return Err(plain_error(
            path,
            text,
            "the top level is not a JSON object".into(),
        ));
    };
    match top.get("format_version") {
        None => Err(plain_error(
            path,
            text,
            "it has no `format_version` (is it a terraform state or a report?)".into(),
        )),
        Some(v) if v.as_u64() == Some(FORMAT_VERSION) => Ok(()),
        Some(v) => Err(Error::ObservationUnsupportedVersion {
            path: path.to_string(),
            version: v.as_u64().unwrap_or(0),
            supported: FORMAT_VERSION,
            help: format!(
                "this file was written by {}; record it again with this driftgate (`driftgate observe --out FILE`) or use the driftgate that wrote it",
                top.get("driftgate_version")
                    .and_then(|v| v.as_str())
                    .map(|v| format!("driftgate {v}"))
                    .unwrap_or_else(|| "another driftgate".to_string())
            ),
            src: NamedSource::new(path, text.to_string()),
            span: version_span(text),
        }),
    }
}

/// Owns the file's `fingerprints` section: the key its fingerprints were made with (its salt,
/// or the user's key when its id matches), `None` when the file has no such section.
#[allow(clippy::result_large_err)]
fn file_key(
    path: &str,
    text: &str,
    fingerprints: Option<&FingerprintsWire>,
    env_key: Option<&Vec<u8>>,
) -> Result<Option<Vec<u8>>> {
    let key_error = |reason: String, help: &str| Error::ObservationKey {
        path: path.to_string(),
        reason,
        help: help.to_string(),
    };
    let Some(f) = fingerprints else {
        return Ok(None);
    };
    if f.algorithm != ALGORITHM {
        return Err(plain_error(
            path,
            text,
            format!(
                "fingerprints use `{}`; driftgate knows only `{ALGORITHM}`",
                f.algorithm
            ),
        ));
    }
    match (f.key.as_str(), &f.salt, &f.key_id) {
        ("salt", Some(salt), None) => {
            let bytes = hex::decode(salt)
                .ok()
                .filter(|b| b.len() == 32)
                .ok_or_else(|| {
                    plain_error(
                        path,
                        text,
                        "`fingerprints.salt` must be 64 hex digits".into(),
                    )
                })?;
            Ok(Some(bytes))
        }
        ("user", None, Some(id)) => match env_key {
            None => Err(key_error(
                format!(
                    "it was recorded with a fingerprint key of your own (id {id}), and DRIFTGATE_FINGERPRINT_KEY is not set"
                ),
                "set DRIFTGATE_FINGERPRINT_KEY to the key that was set when the observation was recorded",
            )),
            Some(k) if key_id(k) != *id => Err(key_error(
                format!(
                    "it was recorded with the fingerprint key of id {id}, but DRIFTGATE_FINGERPRINT_KEY has id {}",
                    key_id(k)
                ),
                "set DRIFTGATE_FINGERPRINT_KEY to the key that was set when the observation was recorded; with another key every secret would look changed",
            )),
            Some(k) => Ok(Some(k.clone())),
        },
        _ => Err(plain_error(
            path,
            text,
            "`fingerprints` must be {\"algorithm\": \"hmac-sha256\", \"key\": \"salt\", \"salt\": HEX} or {\"algorithm\": \"hmac-sha256\", \"key\": \"user\", \"key_id\": HEX}".into(),
        )),
    }
}

/// Owns the `resources` list: each decoded, a fingerprint refused where the file has no key
/// (`has_key`) to say how it was made.
#[allow(clippy::result_large_err)]
fn read_resources(
    path: &str,
    text: &str,
    wire: Vec<ResourceWire>,
    has_key: bool,
) -> Result<Vec<ObservedResource>> {
    let mut resources = Vec::with_capacity(wire.len());
    for (i, r) in wire.into_iter().enumerate() {
        let mut attributes = BTreeMap::new();
        for (name, j) in &r.attributes {
            let at = format!("resources[{i}].attributes.{name}");
            let v = decode(j, &at).map_err(|reason| plain_error(path, text, reason))?;
            if !has_key && v.contains_sensitive() {
                return Err(plain_error(
                    path,
                    text,
                    format!(
                        "{at} is a fingerprint, but the file has no `fingerprints` section to say how it was made"
                    ),
                ));
            }
            attributes.insert(name.clone(), v);
        }
        resources.push(ObservedResource {
            resource_type: r.resource_type,
            cloud_id: r.cloud_id,
            primary: r.primary,
            region: r.region,
            owner: match r.owner {
                OwnerWire::User => Owner::User,
                OwnerWire::Aws(why) => Owner::Aws(why),
            },
            attributes,
        });
    }
    Ok(resources)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::RESERVED;
    use crate::mask::fingerprint;
    use crate::model::{Secret, Value};

    const SECRET: &str = "correct horse battery staple";

    fn every_variant() -> Value {
        let mut m = BTreeMap::new();
        m.insert("null".to_string(), Value::Null);
        m.insert("bool".to_string(), Value::Bool(true));
        m.insert("int".to_string(), Value::from(443));
        m.insert("float".to_string(), Value::Number(0.1));
        m.insert("big".to_string(), Value::Number(1e300));
        m.insert("neg_zero".to_string(), Value::Number(-0.0));
        m.insert("nan".to_string(), Value::Number(f64::NAN));
        m.insert("inf".to_string(), Value::Number(f64::NEG_INFINITY));
        m.insert("string".to_string(), Value::str("t3.micro"));
        m.insert("empty".to_string(), Value::str(""));
        m.insert("list".to_string(), Value::from(vec!["a", "b"]));
        m.insert("unknown".to_string(), Value::Unknown);
        m.insert(
            "fingerprint".to_string(),
            Value::Sensitive(Secret::Fingerprint(format!(
                "hmac-sha256:{}",
                "ab".repeat(32)
            ))),
        );
        // Maps whose keys are the marker names must stay maps.
        for reserved in RESERVED {
            m.insert(
                format!("map_{reserved}"),
                Value::Map(BTreeMap::from([(reserved.to_string(), Value::str("x"))])),
            );
        }
        m.insert(
            "map_two".to_string(),
            Value::Map(BTreeMap::from([
                ("sensitive".to_string(), Value::Bool(true)),
                ("unknown".to_string(), Value::Bool(true)),
            ])),
        );
        m.insert(
            "nested_escape".to_string(),
            Value::Map(BTreeMap::from([(
                "map".to_string(),
                Value::Map(BTreeMap::from([("map".to_string(), Value::Null)])),
            )])),
        );
        Value::Map(m)
    }

    fn observation(attrs: Value) -> Observation {
        let attributes = attrs.as_map().unwrap().clone();
        Observation {
            regions: vec!["us-east-1".into()],
            resource_types: vec!["aws_iam_role".into(), "aws_instance".into()],
            resources: vec![
                ObservedResource {
                    resource_type: "aws_iam_role".into(),
                    cloud_id: "AWSServiceRoleForSupport".into(),
                    primary: true,
                    region: None,
                    owner: Owner::Aws("service-linked role".into()),
                    attributes: BTreeMap::new(),
                },
                ObservedResource {
                    resource_type: "aws_instance".into(),
                    cloud_id: "i-0abc".into(),
                    primary: true,
                    region: Some("us-east-1".into()),
                    owner: Owner::User,
                    attributes,
                },
            ],
            gaps: vec![Gap {
                service: "ec2".into(),
                region: Some("us-east-1".into()),
                operation: "DescribeInstances".into(),
                resource_types: vec!["aws_instance".into()],
                reason: "Throttling: rate exceeded".into(),
                detail: Some("service error: Throttling: rate exceeded".into()),
            }],
            api_calls: BTreeMap::from([("ec2:DescribeInstances".into(), 3)]),
            api_ms: BTreeMap::new(),
            paced_ms: BTreeMap::new(),
        }
    }

    #[test]
    fn every_value_variant_round_trips() {
        let obs = observation(every_variant());
        let text = write(&obs, &FingerprintKey::salt([7; 32]));
        let (back, key) = read("obs.json", &text, None).unwrap();
        assert_eq!(back, obs);
        assert_eq!(key, vec![7; 32]);
        // -0 keeps its sign.
        let v = &back.resources[1].attributes["neg_zero"];
        assert!(matches!(v, Value::Number(n) if n.is_sign_negative()));
        // Writing what was read gives the same text.
        assert_eq!(write(&back, &FingerprintKey::salt([7; 32])), text);
    }

    #[test]
    fn plain_values_are_plain_json() {
        let obs = observation(every_variant());
        let text = write(&obs, &FingerprintKey::salt([7; 32]));
        let j: serde_json::Value = serde_json::from_str(&text).unwrap();
        let a = &j["resources"][1]["attributes"];
        assert_eq!(a["int"], 443);
        assert_eq!(a["list"], serde_json::json!(["a", "b"]));
        assert_eq!(a["unknown"], serde_json::json!({"unknown": true}));
        assert_eq!(
            a["map_sensitive"],
            serde_json::json!({"map": {"sensitive": "x"}})
        );
        assert_eq!(
            a["map_two"],
            serde_json::json!({"sensitive": true, "unknown": true})
        );
        assert_eq!(
            j["resources"][0]["owner"],
            serde_json::json!({"aws": "service-linked role"})
        );
        assert_eq!(j["resources"][1]["owner"], "user");
    }

    #[test]
    fn secrets_are_written_only_as_fingerprints() {
        let attrs = Value::Map(BTreeMap::from([
            (
                "user_data".to_string(),
                Value::sensitive(Value::str(SECRET)),
            ),
            (
                "nested".to_string(),
                Value::List(vec![Value::sensitive(Value::Map(BTreeMap::from([(
                    "password".to_string(),
                    Value::str(SECRET),
                )])))]),
            ),
        ]));
        let key = FingerprintKey::salt([1; 32]);
        let text = write(&observation(attrs), &key);
        assert!(!text.contains(SECRET), "a secret reached the file:\n{text}");
        assert!(!text.contains("correct horse"));
        let (back, k) = read("obs.json", &text, None).unwrap();
        let a = &back.resources[1].attributes;
        // Read back as fingerprints that equal the fingerprint of the recorded value.
        assert_eq!(
            a["user_data"],
            Value::Sensitive(Secret::Fingerprint(fingerprint(&Value::str(SECRET), &k)))
        );
        assert!(matches!(
            &a["nested"].as_list().unwrap()[0],
            Value::Sensitive(Secret::Fingerprint(_))
        ));
    }

    #[test]
    fn a_user_key_is_never_written_and_must_match_on_replay() {
        let user_key = b"a key kept in a vault".to_vec();
        let attrs = Value::Map(BTreeMap::from([(
            "secret".to_string(),
            Value::sensitive(Value::str(SECRET)),
        )]));
        let text = write(&observation(attrs), &FingerprintKey::user(user_key.clone()));
        assert!(!text.contains("vault"));
        assert!(!text.contains(&hex::encode(&user_key)));
        assert!(text.contains(&key_id(&user_key)));
        assert!(!text.contains("\"salt\""));

        let (_, k) = read("obs.json", &text, Some(user_key.clone())).unwrap();
        assert_eq!(k, user_key);

        let wrong = read("obs.json", &text, Some(b"another key".to_vec())).unwrap_err();
        assert!(matches!(wrong, Error::ObservationKey { .. }));
        assert!(wrong.to_string().contains("obs.json"));
        let missing = read("obs.json", &text, None).unwrap_err();
        assert!(matches!(missing, Error::ObservationKey { .. }));
    }

    #[test]
    fn a_salted_file_uses_its_salt_even_when_a_user_key_is_set() {
        let text = write(
            &observation(every_variant()),
            &FingerprintKey::salt([9; 32]),
        );
        let (_, k) = read("obs.json", &text, Some(b"unrelated".to_vec())).unwrap();
        assert_eq!(k, vec![9; 32]);
    }

    #[test]
    fn output_is_deterministic() {
        let mut obs = observation(every_variant());
        let key = FingerprintKey::salt([3; 32]);
        let a = write(&obs, &key);
        obs.resources.reverse();
        assert_eq!(a, write(&obs, &key));
        assert!(a.ends_with("}\n"));
        assert!(a.contains("\"format_version\": 1"));
    }

    #[test]
    fn random_salts_differ_and_empty_user_keys_are_refused() {
        let a = FingerprintKey::new(None).unwrap();
        let b = FingerprintKey::new(None).unwrap();
        assert_ne!(a.bytes(), b.bytes());
        assert_eq!(a.bytes().len(), 32);
        assert!(FingerprintKey::new(Some(vec![])).is_err());
        let u = FingerprintKey::new(Some(b"k".to_vec())).unwrap();
        assert_eq!(u.bytes(), b"k");
        assert!(!format!("{u:?}").contains('k') || format!("{u:?}").contains("id"));
    }

    fn code(e: &Error) -> String {
        miette::Diagnostic::code(e).unwrap().to_string()
    }

    /// A small valid file with one attribute `x` set to the given JSON.
    fn with_attr(json: &str) -> String {
        format!(
            r#"{{"format_version": 1, "regions": [], "resource_types": ["aws_vpc"], "resources": [
  {{"resource_type": "aws_vpc", "cloud_id": "vpc-1", "primary": true, "owner": "user",
   "attributes": {{"x": {json}}}}}]}}"#
        )
    }

    #[test]
    fn bad_files_are_coded_errors() {
        assert!(read("obs.json", &with_attr("{\"unknown\": true}"), None).is_ok());
        let good = write(
            &observation(every_variant()),
            &FingerprintKey::salt([7; 32]),
        );
        let cases: Vec<(String, &str)> = vec![
            ("not json at all".into(), "driftgate::observation::parse"),
            (
                good[..good.len() / 2].to_string(),
                "driftgate::observation::parse",
            ),
            ("[1, 2]".into(), "driftgate::observation::parse"),
            ("{\"version\": 4}".into(), "driftgate::observation::parse"),
            (
                good.replace("\"format_version\": 1", "\"format_version\": 2"),
                "driftgate::observation::unsupported_version",
            ),
            (
                good.replace("\"resource_types\"", "\"resource_typez\""),
                "driftgate::observation::parse",
            ),
            (
                good.replace("\"hmac-sha256:abab", "\"plaintext:abab"),
                "driftgate::observation::parse",
            ),
            (
                with_attr("{\"unknown\": 1}"),
                "driftgate::observation::parse",
            ),
            (
                with_attr("{\"sensitive\": 5}"),
                "driftgate::observation::parse",
            ),
            (
                with_attr("{\"number\": \"12\"}"),
                "driftgate::observation::parse",
            ),
            (with_attr("{\"map\": 3}"), "driftgate::observation::parse"),
        ];
        for (text, expected) in cases {
            let e = read("obs.json", &text, None).unwrap_err();
            assert_eq!(code(&e), expected, "{e} for:\n{text}");
            assert!(e.to_string().contains("obs.json"), "{e}");
        }
    }

    #[test]
    fn an_empty_file_says_it_is_empty() {
        for text in ["", "  \n\t\r\n"] {
            let e = read("empty.json", text, None).unwrap_err();
            assert_eq!(code(&e), "driftgate::observation::empty", "{e}");
            assert_eq!(
                e.to_string(),
                "`empty.json` is empty: there is no observation in it"
            );
        }
    }

    #[test]
    fn a_truncated_file_says_so_and_points_at_the_end() {
        let good = write(
            &observation(every_variant()),
            &FingerprintKey::salt([7; 32]),
        );
        let cut = &good[..good.len() - 20];
        let e = read("obs.json", cut, None).unwrap_err();
        match &e {
            Error::ObservationParse { reason, span, .. } => {
                assert!(reason.contains("truncated"), "{reason}");
                assert!(span.is_some());
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_version_label_points_at_the_number() {
        let text = "{\n  \"format_version\": 17,\n  \"regions\": []\n}\n";
        match read("obs.json", text, None).unwrap_err() {
            Error::ObservationUnsupportedVersion { version, span, .. } => {
                assert_eq!(version, 17);
                let span = span.unwrap();
                assert_eq!(&text[span.offset()..span.offset() + span.len()], "17");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_hand_written_file_without_secrets_needs_no_fingerprints_section() {
        let text = r#"{
  "format_version": 1,
  "regions": ["us-east-1"],
  "resource_types": ["aws_vpc"],
  "resources": [
    {"resource_type": "aws_vpc", "cloud_id": "vpc-1", "primary": true, "region": "us-east-1",
     "owner": "user", "attributes": {"id": "vpc-1", "cidr_block": "10.0.0.0/16", "tags": {"Name": "main"}}}
  ]
}"#;
        let (obs, key) = read("fixture.json", text, None).unwrap();
        assert_eq!(obs.resources.len(), 1);
        assert_eq!(
            obs.resources[0].attributes["tags"].get("Name"),
            Some(&Value::str("main"))
        );
        assert!(key.is_empty());
        let with_secret = text.replace(
            "\"id\": \"vpc-1\",",
            &format!(
                "\"id\": \"vpc-1\", \"x\": {{\"sensitive\": \"hmac-sha256:{}\"}},",
                "0".repeat(64)
            ),
        );
        let e = read("fixture.json", &with_secret, None).unwrap_err();
        assert!(e.to_string().contains("fixture.json"));
    }
}
