//! The JSON scan report (schema version [`SCHEMA_VERSION`]) as data: the one definition of the
//! contract in `docs/json-output.md` and `docs/report.schema.json`. `render::json` fills it from
//! a [`crate::model::ScanReport`] and writes it; `merge` reads shards into it and combines them.
//!
//! The types are generic over `V`, the value of an attribute: the renderer writes masked values
//! (`mask::Masked`, which has no constructor but `mask`), a reader of written reports takes them
//! as the JSON they already are (`serde_json::Value`). Field order is the order of the output.
//!
//! Versioning: adding a field keeps [`SCHEMA_VERSION`]; renaming, removing or changing the
//! meaning of one bumps it.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

/// The version of the report format. See the module docs for when it changes.
pub const SCHEMA_VERSION: u32 = 1;

/// A whole report. Fields a shard written by an older driftgate may lack default to empty.
/// `F` is how the findings are held: a list, or (as the JSON renderer writes a report) a view
/// that makes each one as it is written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "V: Deserialize<'de>, F: Deserialize<'de>"))]
pub struct Report<V, F = Vec<Finding<V>>> {
    pub schema_version: u32,
    #[serde(default)]
    pub driftgate_version: String,
    pub complete: bool,
    #[serde(default)]
    pub strict: bool,
    pub gaps: Vec<Gap>,
    pub states: Vec<String>,
    #[serde(default)]
    pub regions: Vec<String>,
    pub summary: Summary,
    /// The lowest severity that fails the scan (exit 2), when a policy ran.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "fail_on"
    )]
    pub fail_on: Option<String>,
    /// How much of the recorded state the scan could compare.
    #[serde(default)]
    pub coverage: Coverage,
    /// With `--history`: this run in the history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryRun>,
    pub findings: F,
    /// With `--history`: findings the previous run of the same inputs had, gone now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved: Option<Vec<Resolved>>,
    /// Findings (or some of their changes) that an ignore set aside, with the ignore.
    #[serde(default)]
    pub ignored: Vec<Ignored<V>>,
    /// Ignores past their `expires` date: no longer applied.
    #[serde(default)]
    pub expired_ignores: Vec<ExpiredIgnore>,
    /// Desired != recorded (configuration not yet applied): never drift, never the exit code.
    #[serde(default)]
    pub pending: Vec<Pending<V>>,
    #[serde(default)]
    pub not_checked: Vec<NotChecked>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_calls: Option<BTreeMap<String, u64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timings: Option<Timings>,
}

/// Wall time per phase (`read`, `observe`, `diff`), and time spent in calls per operation.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Timings {
    pub phases_ms: BTreeMap<String, u64>,
    pub api_ms: BTreeMap<String, u64>,
    /// Waits for client-side pacing, by operation; omitted when nothing waited.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub paced_ms: BTreeMap<String, u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    pub service: String,
    pub region: Option<String>,
    pub operation: String,
    pub resource_types: Vec<String>,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Summary {
    pub recorded: u64,
    pub observed: u64,
    pub checked: u64,
    pub changed: u64,
    pub missing: u64,
    pub unmanaged: u64,
    pub not_checked: u64,
    pub coverage_percent: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Coverage {
    /// Recorded resources that were compared.
    pub checked: u64,
    /// Managed resource instances in all states.
    pub recorded: u64,
    /// `checked / recorded` in percent (100 for an empty state).
    pub percent: f64,
    /// Recorded resources of types driftgate does not support yet.
    pub unsupported: u64,
    /// `fail` (they make the scan incomplete) or `report` (the policy accepts them).
    pub unchecked: String,
}

impl Default for Coverage {
    /// What a report without `coverage` is read as: nothing unsupported, and unchecked
    /// resources fail (the stricter reading).
    fn default() -> Self {
        Coverage {
            checked: 0,
            recorded: 0,
            percent: 100.0,
            unsupported: 0,
            unchecked: "fail".into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct Finding<V> {
    pub kind: String,
    pub resource_type: String,
    pub id: String,
    pub address: Option<String>,
    pub state: Option<String>,
    pub region: Option<String>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "severity"
    )]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<Change<V>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed: Option<BTreeMap<String, V>>,
    /// With `--history`: the identity hash that stays the same from run to run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// With `--history`: `new` or `open`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// With `--history`: when the history first saw this finding (RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRun {
    pub run: i64,
    pub previous_run: Option<i64>,
    pub time: String,
    pub new: u64,
    pub open: u64,
    pub resolved: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    pub fingerprint: String,
    pub kind: String,
    pub resource_type: String,
    pub id: String,
    pub address: Option<String>,
    pub state: Option<String>,
    pub region: Option<String>,
    pub severity: String,
    pub rule: String,
    /// The attribute paths that had changed (changed findings).
    pub paths: Vec<String>,
    pub first_seen: String,
    pub resolved_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct Change<V> {
    pub path: String,
    pub before: V,
    pub after: V,
    /// Present (and true) when either side is or holds a secret: its `(sensitive)` marker
    /// then stands for a value that is not shown, not for the string "(sensitive)".
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sensitive: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    pub file: String,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ignore {
    pub pattern: String,
    pub reason: Option<String>,
    pub owner: Option<String>,
    pub expires: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct Ignored<V> {
    #[serde(flatten)]
    pub finding: Finding<V>,
    pub ignore: Ignore,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExpiredIgnore {
    pub ignore: Ignore,
    pub would_match: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(bound(deserialize = "V: Deserialize<'de>"))]
pub struct Pending<V> {
    pub kind: String,
    pub address: String,
    pub resource_type: String,
    pub path: Option<String>,
    pub desired: V,
    pub recorded: V,
    pub source: Option<Source>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotChecked {
    pub resource_type: String,
    pub address: String,
    pub state: String,
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

/// A severity field that is present is a name (`null` is not one); which name is checked by
/// the reader, with the model's [`crate::model::Severity`].
fn name<'de, D: Deserializer<'de>>(d: D, field: &str) -> Result<Option<String>, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(Some(s)),
        other => Err(serde::de::Error::custom(format!(
            "`{field}`: severity {other} is not a name"
        ))),
    }
}

fn fail_on<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    name(d, "fail_on")
}

fn severity<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    name(d, "severity")
}
