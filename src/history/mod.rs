//! The run history: each `scan --history` and `report` run, with a fingerprint per finding,
//! so that a report can say which findings are **new**, which are still **open** (and since
//! when), and which were **resolved** since the last run over the same inputs.
//!
//! - A finding is named by its fingerprint ([`crate::model::fingerprint`]: its identity, the
//!   state's lineage rather than the path as typed, never its values or a time): the same
//!   drift has the same fingerprint in every run, and the history holds no value at all, so
//!   no secret can reach it.
//! - [`track`] is the pure heart: the previous run's findings and this run's give each
//!   finding its status and first sighting.
//! - [`Store`] keeps runs in an embedded SQLite file ([`sqlite`]) or in PostgreSQL
//!   ([`postgres`], `--history postgres://...`), with one schema and versioned migrations
//!   ([`MIGRATIONS`]). A run is one transaction; concurrent runs serialize (SQLite: WAL, a busy
//!   timeout and `BEGIN IMMEDIATE`; PostgreSQL: a transaction-scoped advisory lock). A file or
//!   database that driftgate did not create, or that is damaged, is an error and is never
//!   written to.
//!
//! Runs are compared within a *scope*: the same states and regions. Teams that share one
//! history across jobs (one per account and region) thus never see each other's findings as
//! resolved.

pub mod postgres;
mod sql;
pub mod sqlite;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::model::{Finding, ScanReport, Severity};

pub use crate::model::FINGERPRINT_PREFIX;

/// The history's schema, version by version: each entry runs once, in order, in one
/// transaction with its row in `driftgate_migrations`. The SQL is the common subset of SQLite
/// and PostgreSQL (`BIGINT`, `TEXT`), so both stores hold the same schema. Never edit an entry
/// that has shipped: add the next version.
pub const MIGRATIONS: &[(i64, &str)] = &[(
    1,
    "CREATE TABLE driftgate_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     INSERT INTO driftgate_meta (key, value) VALUES ('format', 'driftgate-history');
     CREATE TABLE driftgate_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL);
     CREATE TABLE driftgate_runs (
         id BIGINT PRIMARY KEY,
         time TEXT NOT NULL,
         scope TEXT NOT NULL,
         command TEXT NOT NULL,
         actor TEXT NOT NULL,
         states TEXT NOT NULL,
         regions TEXT NOT NULL,
         complete BIGINT NOT NULL,
         exit_code BIGINT NOT NULL,
         critical BIGINT NOT NULL,
         high BIGINT NOT NULL,
         medium BIGINT NOT NULL,
         low BIGINT NOT NULL,
         info BIGINT NOT NULL,
         new_findings BIGINT NOT NULL,
         resolved_findings BIGINT NOT NULL
     );
     CREATE INDEX driftgate_runs_scope ON driftgate_runs (scope, id);
     CREATE TABLE driftgate_findings (
         run_id BIGINT NOT NULL REFERENCES driftgate_runs (id),
         fingerprint TEXT NOT NULL,
         status TEXT NOT NULL,
         first_seen TEXT NOT NULL,
         kind TEXT NOT NULL,
         resource_type TEXT NOT NULL,
         resource_id TEXT NOT NULL,
         address TEXT,
         state TEXT,
         region TEXT,
         severity TEXT NOT NULL,
         rule TEXT NOT NULL,
         paths TEXT NOT NULL,
         PRIMARY KEY (run_id, fingerprint)
     );",
)];

/// The newest schema version this driftgate knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |(v, _)| *v)
}

/// The value of `driftgate_meta.format` that marks a history driftgate created.
pub const FORMAT_MARK: &str = "driftgate-history";

/// What the history keeps of a finding: its identity and grade, never a value.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingRecord {
    pub fingerprint: String,
    pub kind: String,
    pub resource_type: String,
    pub resource_id: String,
    pub address: Option<String>,
    pub state: Option<String>,
    pub region: Option<String>,
    pub severity: Severity,
    pub rule: String,
    /// The changed attribute paths (changed findings), sorted.
    pub paths: Vec<String>,
}

impl FindingRecord {
    /// What the history keeps of `f`, a finding of `report`.
    pub fn of(report: &ScanReport, f: &Finding) -> FindingRecord {
        let d = &f.drift;
        let paths: BTreeSet<String> = d.changes.iter().map(|c| c.path.to_string()).collect();
        FindingRecord {
            fingerprint: report.fingerprint(f),
            kind: d.kind.as_str().to_string(),
            resource_type: d.resource_type.clone(),
            resource_id: d.id.clone(),
            address: d.address.as_ref().map(ToString::to_string),
            state: d.state.as_ref().map(|s| s.0.clone()),
            region: d.region.clone(),
            severity: f.severity,
            rule: f.rule.clone(),
            paths: paths.into_iter().collect(),
        }
    }

    /// The address, else `type.id` (an unmanaged resource).
    pub fn name(&self) -> String {
        self.address
            .clone()
            .unwrap_or_else(|| format!("{}.{}", self.resource_type, self.resource_id))
    }
}

/// A finding's status in a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FindingStatus {
    /// Not open in the previous run of the same scope.
    New,
    /// Open in the previous run too.
    Open,
    /// Open in the previous run, gone now.
    Resolved,
    /// Open in the previous run, and not seen now although possibly still there: the scan was
    /// incomplete, or an ignore set it aside. Carried, with its first sighting, to the next run;
    /// neither reported as open nor as resolved.
    Unseen,
}

impl FindingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::New => "new",
            FindingStatus::Open => "open",
            FindingStatus::Resolved => "resolved",
            FindingStatus::Unseen => "unseen",
        }
    }

    pub fn parse(s: &str) -> Option<FindingStatus> {
        [
            FindingStatus::New,
            FindingStatus::Open,
            FindingStatus::Resolved,
            FindingStatus::Unseen,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A finding the previous run of the scope left open (or carried as unseen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub record: FindingRecord,
    pub first_seen: OffsetDateTime,
}

/// One run, as it is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub time: OffsetDateTime,
    /// `scan` or `report`.
    pub command: String,
    pub actor: String,
    /// The states the scan read, as shown in reports (sorted).
    pub states: Vec<String>,
    /// The regions the scan observed (sorted).
    pub regions: Vec<String>,
    pub complete: bool,
    pub exit_code: i64,
    /// The open findings (what the report lists under `findings`).
    pub findings: Vec<FindingRecord>,
    /// Fingerprints of findings an ignore set aside: a previous finding among them is not
    /// resolved, only unseen.
    pub set_aside: BTreeSet<String>,
}

impl Run {
    /// The run of a graded scan report at `time` (whole seconds: what the history shows).
    pub fn of(
        report: &ScanReport,
        exit_code: i64,
        command: &str,
        actor: &str,
        time: OffsetDateTime,
    ) -> Run {
        let mut states: Vec<String> = report.states.iter().map(|s| s.0.clone()).collect();
        states.sort();
        states.dedup();
        let mut regions = report.regions.clone();
        regions.sort();
        regions.dedup();
        let mut findings: Vec<FindingRecord> = report
            .findings
            .iter()
            .map(|f| FindingRecord::of(report, f))
            .collect();
        // Sorted by fingerprint (the first field); one row per fingerprint.
        findings.sort();
        findings.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        Run {
            time: time.replace_nanosecond(0).unwrap_or(time),
            command: command.to_string(),
            actor: actor.to_string(),
            states,
            regions,
            complete: report.is_complete(),
            exit_code,
            findings,
            set_aside: report
                .ignored
                .iter()
                .map(|f| report.fingerprint(f))
                .collect(),
        }
    }

    /// Runs are compared with the last run of the same scope: the same states and regions.
    pub fn scope(&self) -> String {
        serde_json::json!({ "states": self.states, "regions": self.regions }).to_string()
    }

    /// Open findings by severity, most severe first.
    pub fn counts(&self) -> [(Severity, usize); 5] {
        Severity::ALL.map(|s| (s, self.findings.iter().filter(|f| f.severity == s).count()))
    }
}

/// A finding of this run: its status (new or open) and when it was first seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub status: FindingStatus,
    pub first_seen: OffsetDateTime,
}

/// A finding the previous run had and this one has not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub record: FindingRecord,
    pub first_seen: OffsetDateTime,
}

/// What the history says about a run: the status of each finding, what was resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tracked {
    /// This run's id in the history.
    pub run_id: i64,
    /// The last run of the same scope before this one.
    pub previous_run: Option<i64>,
    pub time: OffsetDateTime,
    /// Every open finding by fingerprint.
    pub current: BTreeMap<String, Seen>,
    /// Sorted by severity (most severe first), then name.
    pub resolved: Vec<Resolved>,
    pub unseen: Vec<Carried>,
}

impl Tracked {
    pub fn new_count(&self) -> usize {
        self.current
            .values()
            .filter(|s| s.status == FindingStatus::New)
            .count()
    }

    pub fn open_count(&self) -> usize {
        self.current.len() - self.new_count()
    }

    /// Something changed since the previous run of the scope: a finding is new or resolved.
    pub fn changed(&self) -> bool {
        self.new_count() > 0 || !self.resolved.is_empty()
    }

    /// The rows this run writes: its findings, what it resolved and what it carries.
    pub fn rows<'a>(
        &'a self,
        run: &'a Run,
    ) -> Vec<(&'a FindingRecord, FindingStatus, OffsetDateTime)> {
        let mut rows = Vec::new();
        for f in &run.findings {
            if let Some(seen) = self.current.get(&f.fingerprint) {
                rows.push((f, seen.status, seen.first_seen));
            }
        }
        for r in &self.resolved {
            rows.push((&r.record, FindingStatus::Resolved, r.first_seen));
        }
        for c in &self.unseen {
            rows.push((&c.record, FindingStatus::Unseen, c.first_seen));
        }
        rows
    }
}

/// The statuses of a run's findings given what the previous run of its scope left open: a
/// finding seen before keeps its first sighting (`open`), one not seen before is `new` (first
/// seen now); a previous finding not seen now is `resolved`, unless this run could not have
/// seen it (an incomplete scan, or an ignore set it aside), when it is carried as `unseen`.
pub fn track(previous: &[Carried], run: &Run, run_id: i64, previous_run: Option<i64>) -> Tracked {
    let before: BTreeMap<&str, &Carried> = previous
        .iter()
        .map(|c| (c.record.fingerprint.as_str(), c))
        .collect();
    let mut current = BTreeMap::new();
    for f in &run.findings {
        let seen = match before.get(f.fingerprint.as_str()) {
            Some(c) => Seen {
                status: FindingStatus::Open,
                first_seen: c.first_seen,
            },
            None => Seen {
                status: FindingStatus::New,
                first_seen: run.time,
            },
        };
        current.insert(f.fingerprint.clone(), seen);
    }
    let mut resolved = Vec::new();
    let mut unseen = Vec::new();
    for c in previous {
        let fp = &c.record.fingerprint;
        if current.contains_key(fp) {
            continue;
        }
        if !run.complete || run.set_aside.contains(fp) {
            unseen.push(c.clone());
        } else {
            resolved.push(Resolved {
                record: c.record.clone(),
                first_seen: c.first_seen,
            });
        }
    }
    resolved.sort_by(|a, b| {
        (std::cmp::Reverse(a.record.severity), a.record.name())
            .cmp(&(std::cmp::Reverse(b.record.severity), b.record.name()))
    });
    unseen.sort_by(|a, b| a.record.cmp(&b.record));
    Tracked {
        run_id,
        previous_run,
        time: run.time,
        current,
        resolved,
        unseen,
    }
}

/// A recorded run, as `driftgate history` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    pub id: i64,
    pub time: String,
    pub command: String,
    pub actor: String,
    pub states: Vec<String>,
    pub regions: Vec<String>,
    pub complete: bool,
    pub exit_code: i64,
    /// Open findings by severity, most severe first.
    pub counts: [(Severity, i64); 5],
    pub new: i64,
    pub resolved: i64,
}

impl RunSummary {
    pub fn findings(&self) -> i64 {
        self.counts.iter().map(|(_, n)| n).sum()
    }
}

/// The open findings of each listed run over the same states and regions, oldest first: the
/// trend an HTML report charts.
pub fn trend(
    runs: &[RunSummary],
    states: &[String],
    regions: &[String],
) -> Vec<(OffsetDateTime, usize)> {
    runs.iter()
        .filter(|r| r.states == states && r.regions == regions)
        .filter_map(|r| {
            OffsetDateTime::parse(&r.time, &time::format_description::well_known::Rfc3339)
                .ok()
                .map(|t| (t, r.findings().max(0) as usize))
        })
        .collect()
}

/// Where the history lives: a SQLite file, or a PostgreSQL database by URL. Its `Debug` is
/// [`Location::shown`]: a URL's password never reaches a debug print.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let variant = match self {
            Location::File(_) => "File",
            Location::Postgres(_) => "Postgres",
        };
        f.debug_tuple(variant).field(&self.shown()).finish()
    }
}

impl Location {
    /// `postgres://...` or `postgresql://...` is a database; another `scheme://` is a usage
    /// error (never taken for a file name); anything else a file path.
    pub fn parse(s: &str) -> Result<Location> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            Ok(Location::Postgres(s.to_string()))
        } else if let Some((scheme, _)) = s.split_once("://") {
            Err(Error::Usage(format!(
                "`--history {}`: a history is a file path or a postgres:// URL, not {scheme}://",
                crate::mask::mask_url(s)
            )))
        } else if s.is_empty() {
            Err(Error::Usage(
                "`--history` needs a file path or a postgres:// URL".into(),
            ))
        } else {
            Ok(Location::File(PathBuf::from(s)))
        }
    }

    /// The location for messages and reports: a URL without its credentials.
    pub fn shown(&self) -> String {
        match self {
            Location::File(p) => p.display().to_string(),
            Location::Postgres(url) => crate::mask::mask_url(url),
        }
    }
}

/// JSON text of a list of strings (how `states`, `regions` and `paths` are stored).
pub(crate) fn to_json_list(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".to_string())
}

/// The list back; a column that is not a JSON list of strings means a damaged history.
pub(crate) fn from_json_list(text: &str, location: &str) -> Result<Vec<String>> {
    serde_json::from_str(text).map_err(|e| Error::HistoryCorrupt {
        location: location.to_string(),
        reason: format!("a stored list is not valid: {e}"),
    })
}

pub fn format_time(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}

pub(crate) fn parse_time(s: &str, location: &str) -> Result<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).map_err(|e| {
        Error::HistoryCorrupt {
            location: location.to_string(),
            reason: format!("a stored time `{s}` is not RFC 3339: {e}"),
        }
    })
}

pub(crate) fn parse_severity(s: &str, location: &str) -> Result<Severity> {
    s.parse().map_err(|_| Error::HistoryCorrupt {
        location: location.to_string(),
        reason: format!("a stored severity `{s}` is unknown"),
    })
}

/// An open history.
pub enum Store {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

impl Store {
    /// Opens the history, creating it (and migrating it to the latest schema) when `create`;
    /// without `create` a missing history is [`Error::HistoryMissing`]. `now` stamps the
    /// migrations applied.
    pub async fn open(location: &Location, create: bool, now: OffsetDateTime) -> Result<Store> {
        match location {
            Location::File(path) => sqlite::Sqlite::open(path, create, now).map(Store::Sqlite),
            Location::Postgres(url) => postgres::Postgres::open(url, create, now)
                .await
                .map(Store::Postgres),
        }
    }

    /// Records a run in one transaction and returns its findings' statuses.
    pub async fn record(&mut self, run: &Run) -> Result<Tracked> {
        match self {
            Store::Sqlite(s) => s.record(run),
            Store::Postgres(p) => p.record(run).await,
        }
    }

    /// The last `last` runs (all without a limit), oldest first.
    pub async fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunSummary>> {
        match self {
            Store::Sqlite(s) => s.runs(last),
            Store::Postgres(p) => p.runs(last).await,
        }
    }
}

#[cfg(test)]
mod tests;
