//! The JSON encoding of a [`Value`], shared by the files that hold values: the recorded
//! observation (`provider::snapshot`) and the plan file (`plan_file::wire`). Plain JSON where JSON
//! can say it; a one-key object marks what it cannot: `{"sensitive": "<fingerprint>"}` (never a
//! secret in clear), `{"unknown": true}`, `{"number": "NaN"}`, and `{"map": {...}}` for a map
//! whose only key is one of those markers. See `docs/observation-format.md`.

use crate::mask::{FINGERPRINT_PREFIX, fingerprint, json_number};
use crate::model::{Secret, Value};

/// The keys that mark a value in place of a JSON one.
pub(crate) const RESERVED: [&str; 4] = ["sensitive", "unknown", "number", "map"];

/// A value as JSON: `key` fingerprints a clear secret (`{"sensitive": "hmac-sha256:..."}`);
/// a fingerprint already held is kept.
pub fn encode(v: &Value, key: &[u8]) -> serde_json::Value {
    use serde_json::Value as J;
    let marker = |k: &str, v: J| J::Object([(k.to_string(), v)].into_iter().collect());
    match v {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Number(n) if *n == 0.0 && n.is_sign_negative() => serde_json::Number::from_f64(*n)
            .map(J::Number)
            .unwrap_or(J::from(0)),
        Value::Number(n) if n.is_finite() => json_number(*n),
        Value::Number(n) => marker("number", J::String(n.to_string())),
        Value::String(s) => J::String(s.clone()),
        Value::List(l) => J::Array(l.iter().map(|x| encode(x, key)).collect()),
        Value::Map(m) => {
            let inner: serde_json::Map<String, J> =
                m.iter().map(|(k, x)| (k.clone(), encode(x, key))).collect();
            let escape = m.len() == 1 && m.keys().all(|k| RESERVED.contains(&k.as_str()));
            if escape {
                marker("map", J::Object(inner))
            } else {
                J::Object(inner)
            }
        }
        Value::Sensitive(_) => marker("sensitive", J::String(fingerprint(v, key))),
        Value::Unknown => marker("unknown", J::Bool(true)),
    }
}

/// A value read back from [`encode`]'s JSON; `at` names where it is, for messages.
pub fn decode(j: &serde_json::Value, at: &str) -> std::result::Result<Value, String> {
    use serde_json::Value as J;
    Ok(match j {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => Value::Number(
            n.as_f64()
                .ok_or_else(|| format!("{at}: the number {n} is out of range"))?,
        ),
        J::String(s) => Value::String(s.clone()),
        J::Array(a) => Value::List(
            a.iter()
                .enumerate()
                .map(|(i, x)| decode(x, &format!("{at}[{i}]")))
                .collect::<std::result::Result<_, _>>()?,
        ),
        J::Object(o) => {
            let single = if o.len() == 1 { o.iter().next() } else { None };
            match single {
                Some((k, J::String(f))) if k == "sensitive" => {
                    let hex_part = f.strip_prefix(FINGERPRINT_PREFIX).ok_or_else(|| {
                        format!("{at}: a sensitive value must be a fingerprint `{FINGERPRINT_PREFIX}<hex>`; the file holds something else")
                    })?;
                    if hex_part.len() != 64 || !hex_part.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(format!("{at}: `{f}` is not a `{FINGERPRINT_PREFIX}` fingerprint of 64 hex digits"));
                    }
                    Value::Sensitive(Secret::Fingerprint(f.clone()))
                }
                Some((k, _)) if k == "sensitive" => {
                    return Err(format!(
                        "{at}: a sensitive value must be a fingerprint string; secrets are never stored in clear"
                    ));
                }
                Some((k, J::Bool(true))) if k == "unknown" => Value::Unknown,
                Some((k, J::String(s))) if k == "number" => Value::Number(
                    s.parse::<f64>()
                        .ok()
                        .filter(|n| !n.is_finite())
                        .ok_or_else(|| {
                            format!("{at}: `{{\"number\": {s:?}}}` must be NaN, inf or -inf (write finite numbers as plain JSON numbers)")
                        })?,
                ),
                Some((k, J::Object(inner))) if k == "map" => Value::Map(
                    inner
                        .iter()
                        .map(|(k, x)| Ok((k.clone(), decode(x, &format!("{at}.{k}"))?)))
                        .collect::<std::result::Result<_, String>>()?,
                ),
                Some((k, _)) if RESERVED.contains(&k.as_str()) => {
                    return Err(format!(
                        "{at}: `{k}` is a marker here; a map whose only key is `{k}` is written as {{\"map\": {{\"{k}\": ...}}}}"
                    ));
                }
                _ => Value::Map(
                    o.iter()
                        .map(|(k, x)| Ok((k.clone(), decode(x, &format!("{at}.{k}"))?)))
                        .collect::<std::result::Result<_, String>>()?,
                ),
            }
        }
    })
}

/// The time format of every file and token driftgate writes (plan files, approvals, denials,
/// trust roots, audit checkpoints): UTC to the second, `2026-01-31T12:00:00Z`.
const TIME: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// A time as driftgate writes it (UTC, to the second).
pub fn format_time(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIME)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// A time written by [`format_time`].
pub fn parse_time(s: &str) -> Result<time::OffsetDateTime, String> {
    time::PrimitiveDateTime::parse(s, TIME)
        .map(|t| t.assume_utc())
        .map_err(|e| format!("`{s}` is not a UTC time like 2026-01-31T12:00:00Z: {e}"))
}
