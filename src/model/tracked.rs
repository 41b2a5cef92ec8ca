//! What the history says about a run, as data: each finding's status and first sighting,
//! what was resolved, and the runs as `driftgate history` lists them. `history` computes and
//! stores it; the renderers show it (they never import `history`).

use std::collections::{BTreeMap, BTreeSet};

use time::OffsetDateTime;

use super::drift::ScanReport;
use super::finding::{Finding, Severity};

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

pub fn format_time(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_else(|_| t.to_string())
}
