//! The plan file and what its calls mean, beneath every feature that reads a plan (the
//! planner writes it; approval, the trust root, apply, notify and render read it): its wire
//! form ([`wire`]), its canonical form, digest and approval token ([`digest`]), what each call
//! will set, as shown to an approver ([`effect`]), what a configuration edit does to its file
//! ([`edit`], which the planner shows and apply performs), and the shell words its commands
//! are written in ([`shell_word`]). Pure: the caller reads and writes the bytes.
//!
//! Writing and reading the file: reading verifies, in this order, the format version, the
//! digest (an edited file is refused), the structure, and the expiry against the clock the
//! caller passes.

pub mod digest;
pub mod edit;
pub mod effect;
pub mod wire;

use crate::error::{Error, Result};
use crate::model::plan::{PLAN_FORMAT_VERSION, Plan};

/// The plan file's text: pretty JSON and a trailing newline.
pub fn write(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(&wire::to_wire(plan))
        .unwrap_or_else(|e| format!("{{\"error\": {:?}}}", e.to_string()));
    text.push('\n');
    text
}

/// Reads and verifies a plan file's text. `path` names it in messages; `now` is the time the
/// expiry is checked against.
pub fn read(path: &str, text: &str, now: time::OffsetDateTime) -> Result<Plan> {
    let invalid = |reason: String| Error::PlanInvalid {
        path: path.to_string(),
        reason,
    };
    let json: serde_json::Value =
        serde_json::from_str(text).map_err(|e| invalid(format!("not JSON: {e}")))?;
    let version = json
        .get("format_version")
        .and_then(serde_json::Value::as_u64);
    if version != Some(PLAN_FORMAT_VERSION) {
        return Err(Error::PlanVersion {
            path: path.to_string(),
            found: json
                .get("format_version")
                .map(ToString::to_string)
                .unwrap_or_else(|| "none".into()),
        });
    }
    let recorded = json
        .get("digest")
        .and_then(serde_json::Value::as_str)
        .ok_or_else(|| invalid("it has no `digest`".into()))?;
    let actual = digest::digest_json(&json);
    if recorded != actual {
        return Err(Error::PlanTampered {
            path: path.to_string(),
            recorded: recorded.to_string(),
            actual,
        });
    }
    let w: wire::PlanFile = serde_json::from_value(json).map_err(|e| invalid(e.to_string()))?;
    let plan = wire::from_wire(w).map_err(invalid)?;
    if now >= plan.expires_at {
        return Err(Error::PlanExpired {
            path: path.to_string(),
            expires_at: wire::format_time(plan.expires_at),
        });
    }
    Ok(plan)
}

/// A word as a POSIX shell reads it: quoted when it holds anything but plain characters.
pub fn shell_word(s: &str) -> String {
    let plain = !s.is_empty()
        && s.chars().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/' | ':' | '=' | '@' | ',')
        });
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
