//! What a command logs ([`Entry`]) and how one line of the log is written and read
//! ([`Record`]).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::mask::{mask, mask_args, mask_text};
use crate::model::Value;

/// Who ran what, when: resolved once by `cli::Settings` (the only reader of the clock and the
/// environment) and stamped on every entry of the run.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    /// The time of the run (written in UTC, RFC 3339).
    pub time: OffsetDateTime,
    /// `DRIFTGATE_ACTOR`, else the CI's actor variable, else the OS user.
    pub actor: String,
    /// The command line as typed, without the program name (masked when appended).
    pub args: Vec<String>,
}

/// How the logged step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// It did what was asked: a clean scan, a plan written, an action executed, an apply
    /// (or a dry run) that would or did succeed.
    Ok,
    /// A scan (or a re-observation) found drift.
    Drift,
    /// A scan could not see everything.
    Incomplete,
    /// Refused before changing anything (bad token, edited, expired or stale plan, guardrail).
    Refused,
    /// Failed: an error, or an action whose API call failed.
    Failed,
    /// Not attempted (an action after a failed one, a manual action).
    Skipped,
    /// About to be attempted: `apply` appends one before each write to the cloud (write-ahead),
    /// and the call's outcome after it.
    Intent,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Ok,
        Outcome::Drift,
        Outcome::Incomplete,
        Outcome::Refused,
        Outcome::Failed,
        Outcome::Skipped,
        Outcome::Intent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Drift => "drift",
            Outcome::Incomplete => "incomplete",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
            Outcome::Skipped => "skipped",
            Outcome::Intent => "intent",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Outcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Outcome::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| {
                let all: Vec<_> = Outcome::ALL.iter().map(|o| o.as_str()).collect();
                format!("unknown outcome `{s}`; one of: {}", all.join(", "))
            })
    }
}

/// The plan action an entry is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionRef {
    /// The action's id in its plan.
    pub id: String,
    /// `revert`, `recreate`, `accept`, `import`, ...
    pub kind: String,
    /// The terraform address (none for an unmanaged resource).
    pub address: Option<String>,
    /// The cloud id of the resource.
    pub resource_id: Option<String>,
}

/// One step to log. Build it with [`Entry::new`] and the builder methods (or as a struct);
/// [`crate::audit::Log::append`] masks every string in it and adds `seq` and `prev`.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub origin: Origin,
    /// `scan`, `plan`, `apply`, `approve`, ...
    pub command: String,
    /// Each input by name (`state:terraform.tfstate`, `config`, `policy`) with its digest
    /// (`sha256:<hex>`) or identity (a state's `lineage/serial`).
    pub inputs: BTreeMap<String, String>,
    /// The digest of the plan the step is about.
    pub plan: Option<String>,
    /// The action the step is about (an executed or refused action).
    pub action: Option<ActionRef>,
    /// True for `apply --dry-run`: nothing was changed.
    pub dry_run: bool,
    pub outcome: Outcome,
    /// Why: the refusal's reason, the error, the AWS error of a failed action.
    pub reason: Option<String>,
    /// Anything else worth keeping (approver, key fingerprint, ...), as masked text.
    pub details: BTreeMap<String, String>,
}

impl Entry {
    pub fn new(origin: &Origin, command: &str, outcome: Outcome) -> Entry {
        Entry {
            origin: origin.clone(),
            command: command.to_string(),
            inputs: BTreeMap::new(),
            plan: None,
            action: None,
            dry_run: false,
            outcome,
            reason: None,
            details: BTreeMap::new(),
        }
    }

    pub fn reason(mut self, reason: impl Into<String>) -> Entry {
        self.reason = Some(reason.into());
        self
    }

    pub fn input(mut self, name: impl Into<String>, digest: impl Into<String>) -> Entry {
        self.inputs.insert(name.into(), digest.into());
        self
    }

    pub fn plan(mut self, digest: impl Into<String>) -> Entry {
        self.plan = Some(digest.into());
        self
    }

    pub fn action(mut self, action: ActionRef) -> Entry {
        self.action = Some(action);
        self
    }

    pub fn dry_run(mut self, dry_run: bool) -> Entry {
        self.dry_run = dry_run;
        self
    }

    pub fn detail(mut self, key: impl Into<String>, text: impl Into<String>) -> Entry {
        self.details.insert(key.into(), text.into());
        self
    }

    /// A detail that is a [`Value`]: stored as its masked inline text, so a sensitive value
    /// is `(sensitive)` in the log.
    pub fn detail_value(self, key: impl Into<String>, value: &Value) -> Entry {
        let text = mask(value).inline();
        self.detail(key, text)
    }

    /// The line's record, every free string masked. Fails only for a time RFC 3339 cannot
    /// write (a year outside 0..=9999).
    pub(crate) fn to_record(&self, seq: u64, prev: String) -> Result<Record, String> {
        let time = self
            .origin
            .time
            .to_offset(time::UtcOffset::UTC)
            .format(&Rfc3339)
            .map_err(|e| format!("cannot write the time {}: {e}", self.origin.time))?;
        let text = |s: &String| mask_text(s);
        Ok(Record {
            v: super::FORMAT_VERSION,
            seq,
            time,
            actor: mask_text(&self.origin.actor),
            command: mask_text(&self.command),
            args: mask_args(&self.origin.args),
            inputs: self
                .inputs
                .iter()
                .map(|(k, v)| (mask_text(k), mask_text(v)))
                .collect(),
            plan: self.plan.as_ref().map(text),
            action: self.action.as_ref().map(|a| ActionRef {
                id: mask_text(&a.id),
                kind: mask_text(&a.kind),
                address: a.address.as_ref().map(text),
                resource_id: a.resource_id.as_ref().map(text),
            }),
            dry_run: self.dry_run,
            outcome: self.outcome.as_str().to_string(),
            reason: self.reason.as_ref().map(text),
            details: self
                .details
                .iter()
                .map(|(k, v)| (mask_text(k), mask_text(v)))
                .collect(),
            prev,
        })
    }
}

/// One line of the log, as written. The field order here is the order in the line, and the
/// line is exactly `serde_json::to_vec(&record)`: compact, no whitespace, maps in key order,
/// every field present (`null` when absent). See `docs/audit.md`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The format version ([`super::FORMAT_VERSION`]).
    pub v: u32,
    /// 1 for the first entry, then +1 per entry.
    pub seq: u64,
    /// RFC 3339, UTC.
    pub time: String,
    pub actor: String,
    pub command: String,
    /// The command line, masked.
    pub args: Vec<String>,
    pub inputs: BTreeMap<String, String>,
    pub plan: Option<String>,
    pub action: Option<ActionRef>,
    pub dry_run: bool,
    /// An [`Outcome`] (kept as text so a reader tolerates outcomes newer versions add).
    pub outcome: String,
    pub reason: Option<String>,
    pub details: BTreeMap<String, String>,
    /// The hash of the previous entry's line ([`super::GENESIS`] for the first).
    pub prev: String,
}

impl Record {
    /// The canonical bytes: the line without its `\n`.
    pub fn canonical(&self) -> Vec<u8> {
        // A struct of strings, integers, booleans and string maps always serializes.
        serde_json::to_vec(self).expect("an audit record serializes")
    }

    /// Parses a line and checks that it is in canonical form (re-serializing gives the same
    /// bytes), so what a reader sees is exactly what the hash covers.
    pub fn parse_canonical(line: &[u8]) -> Result<Record, String> {
        let record: Record =
            serde_json::from_slice(line).map_err(|e| format!("not an audit entry ({e})"))?;
        if record.canonical() != line {
            return Err(
                "not in canonical form (re-serialized it differs from the line: reformatted or edited by hand?)"
                    .to_string(),
            );
        }
        Ok(record)
    }

    /// The entry's time, when it parses.
    pub fn parsed_time(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.time, &Rfc3339).ok()
    }
}
