//! Drift: where *observed* differs from *recorded*, and the scan report that gathers it.

use std::collections::BTreeMap;
use std::fmt;

use super::address::Address;
use super::finding::{Finding, Severity};
use super::resource::{Gap, StateSource};
use super::value::Value;

/// One step of an attribute path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// An attribute path in terraform's naming: `instance_type`, `tags.team`,
/// `tags["kubernetes.io/role"]`, `ebs_block_device[0].volume_size`.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Path(pub Vec<Segment>);

impl Path {
    pub fn root(key: impl Into<String>) -> Path {
        Path(vec![Segment::Key(key.into())])
    }

    pub fn key(&self, key: impl Into<String>) -> Path {
        let mut p = self.clone();
        p.0.push(Segment::Key(key.into()));
        p
    }

    pub fn index(&self, i: usize) -> Path {
        let mut p = self.clone();
        p.0.push(Segment::Index(i));
        p
    }

    /// The top-level attribute name.
    pub fn attribute(&self) -> Option<&str> {
        match self.0.first() {
            Some(Segment::Key(k)) => Some(k),
            _ => None,
        }
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, seg) in self.0.iter().enumerate() {
            match seg {
                Segment::Key(k) if is_identifier(k) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    f.write_str(k)?;
                }
                Segment::Key(k) => write!(f, "[{k:?}]")?,
                Segment::Index(n) => write!(f, "[{n}]")?,
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DriftKind {
    /// Recorded and observed, with attributes that differ.
    Changed,
    /// Recorded, no longer observed.
    Missing,
    /// Observed, in none of the given states.
    Unmanaged,
}

impl DriftKind {
    pub const ALL: [DriftKind; 3] = [DriftKind::Changed, DriftKind::Missing, DriftKind::Unmanaged];

    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::Changed => "changed",
            DriftKind::Missing => "missing",
            DriftKind::Unmanaged => "unmanaged",
        }
    }
}

impl fmt::Display for DriftKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribute that differs. Two pairs of values: the canonical forms that were compared
/// (`before` recorded, `after` observed: what severity rules judge), and the values themselves
/// (`recorded`, `observed`: what a person reads, with the user's case, order and form).
/// Wherever a canonical value holds a secret, so does the shown one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub path: Path,
    /// The recorded value at `path`, canonical (normalized by the attribute's compare mode).
    pub before: Value,
    /// The observed value at `path`, canonical.
    pub after: Value,
    /// The recorded value at `path` as the state holds it, for display.
    pub recorded: Value,
    /// The observed value at `path` as the cloud reported it, for display.
    pub observed: Value,
}

impl Change {
    /// A change whose shown values are the compared ones (until the diff engine attaches the
    /// values as recorded and observed).
    pub fn new(path: Path, before: Value, after: Value) -> Change {
        Change {
            path,
            recorded: before.clone(),
            observed: after.clone(),
            before,
            after,
        }
    }
}

/// One drifted resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    pub kind: DriftKind,
    pub resource_type: String,
    /// The cloud id (`i-0abc`, `sgr-0abc`, a role name; a composite like
    /// `app/arn:aws:iam::aws:policy/ReadOnlyAccess` for attachments).
    pub id: String,
    /// `None` for unmanaged resources.
    pub address: Option<Address>,
    /// The state the resource was recorded in; `None` for unmanaged resources.
    pub state: Option<StateSource>,
    pub region: Option<String>,
    /// Non-empty exactly for `Changed`, sorted by path.
    pub changes: Vec<Change>,
    /// For unmanaged resources: the observed attributes, for the reader (masked on output).
    pub observed: Option<super::resource::Attributes>,
}

impl Drift {
    /// The order every report uses: by kind, then type, address, id.
    pub fn sort_key(&self) -> (DriftKind, &str, String, &str) {
        (
            self.kind,
            &self.resource_type,
            self.address
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            &self.id,
        )
    }
}

/// Why a recorded resource was not compared.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum NotCheckedReason {
    /// driftgate has no spec for this resource type yet.
    UnsupportedType,
    /// The resource lives in a region the scan did not look at.
    RegionNotScanned(String),
    /// The resource has no region of its own (no ARN) and none could be found through its
    /// parent in the states or the observation: it is never assumed to live in a scanned region.
    RegionUnknown,
    /// An API failure (a [`Gap`]) hid it.
    Unobserved,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct NotChecked {
    pub resource_type: String,
    pub address: Address,
    pub state: StateSource,
    pub reason: NotCheckedReason,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Managed resource instances in all states.
    pub recorded: usize,
    /// Objects the cloud reported for the supported types (primary views, AWS-owned included).
    pub observed: usize,
    /// Recorded resources that were compared.
    pub checked: usize,
    pub changed: usize,
    pub missing: usize,
    pub unmanaged: usize,
    pub not_checked: usize,
}

impl Summary {
    /// Share of recorded resources that were compared, in percent (100 for an empty state).
    pub fn coverage_percent(&self) -> f64 {
        if self.recorded == 0 {
            100.0
        } else {
            (self.checked as f64) * 100.0 / (self.recorded as f64)
        }
    }
}

/// What the diff engine found: drifts before any policy graded them. Only `policy::grade`
/// turns it into a [`ScanReport`], so an ungraded drift can never reach a renderer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DiffReport {
    pub states: Vec<StateSource>,
    /// Each state's terraform lineage (states without one are not listed).
    pub lineages: BTreeMap<StateSource, String>,
    pub regions: Vec<String>,
    pub summary: Summary,
    /// Sorted by [`Drift::sort_key`].
    pub drifts: Vec<Drift>,
    pub not_checked: Vec<NotChecked>,
    pub gaps: Vec<Gap>,
    /// `--strict`: AWS-owned objects count as unmanaged.
    pub strict: bool,
}

/// What to do with recorded resources that were not checked because driftgate does not
/// support their type yet (see docs/completeness.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unchecked {
    /// The default: the scan could not see them, so it is incomplete (exit 1).
    #[default]
    Fail,
    /// The team accepted the blind spot (`unchecked = "report"` in the policy): they are
    /// listed and counted in the coverage, the exit code ignores them.
    Report,
}

impl Unchecked {
    pub fn as_str(self) -> &'static str {
        match self {
            Unchecked::Fail => "fail",
            Unchecked::Report => "report",
        }
    }
}

/// Everything one scan found, graded: the data the renderers print and the exit code is
/// taken from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScanReport {
    pub states: Vec<StateSource>,
    /// Each state's terraform lineage (states without one are not listed): what a finding's
    /// fingerprint names its state by.
    pub lineages: BTreeMap<StateSource, String>,
    pub regions: Vec<String>,
    pub summary: Summary,
    /// The open findings, sorted by [`Drift::sort_key`].
    pub findings: Vec<Finding>,
    /// Findings (or single changes) that an ignore set aside (status `Ignored`): never
    /// dropped silently. Sorted by drift, then ignore source.
    pub ignored: Vec<Finding>,
    /// Ignores past their `expires` date: they no longer apply, and the report says so.
    pub expired_ignores: Vec<super::finding::ExpiredIgnore>,
    /// Desired != recorded: configuration not yet applied. Never drift; never the exit code.
    pub pending: Vec<super::pending::Pending>,
    pub not_checked: Vec<NotChecked>,
    pub gaps: Vec<Gap>,
    /// `--strict`: AWS-owned objects count as unmanaged; unsupported types always fail.
    pub strict: bool,
    /// The lowest severity that fails the scan (exit 2); `None` is `info` (any finding).
    pub fail_on: Option<Severity>,
    /// Whether recorded resources of unsupported types make the scan incomplete.
    pub unchecked: Unchecked,
}

impl ScanReport {
    /// Whether a finding is at or above `fail_on`: what turns drift into exit code 2.
    pub fn fails(&self) -> bool {
        let threshold = self.fail_on.unwrap_or(Severity::Info);
        self.findings.iter().any(|f| f.severity >= threshold)
    }

    /// Recorded resources not checked because their type is not supported yet.
    pub fn unsupported(&self) -> usize {
        self.not_checked
            .iter()
            .filter(|n| n.reason == NotCheckedReason::UnsupportedType)
            .count()
    }

    /// A scan is complete when every API call it needed succeeded, every region it needed
    /// was scanned, and every recorded resource was checked (unless the policy accepts
    /// unsupported types with `unchecked = "report"` and the scan is not `--strict`).
    pub fn is_complete(&self) -> bool {
        let unsupported_ok = self.unchecked == Unchecked::Report && !self.strict;
        self.gaps.is_empty()
            && self
                .not_checked
                .iter()
                .all(|n| unsupported_ok && n.reason == NotCheckedReason::UnsupportedType)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_print_in_terraform_naming() {
        assert_eq!(Path::root("tags").key("team").to_string(), "tags.team");
        assert_eq!(
            Path::root("tags").key("kubernetes.io/role").to_string(),
            "tags[\"kubernetes.io/role\"]"
        );
        assert_eq!(
            Path::root("ebs_block_device")
                .index(0)
                .key("volume_size")
                .to_string(),
            "ebs_block_device[0].volume_size"
        );
    }

    #[test]
    fn fails_at_or_above_the_threshold_only() {
        use crate::model::{Address, StateSource, Status};
        let drift = Drift {
            kind: DriftKind::Missing,
            resource_type: "aws_vpc".into(),
            id: "vpc-1".into(),
            address: Some(Address::managed("aws_vpc", "main")),
            state: Some(StateSource("s".into())),
            region: None,
            changes: Vec::new(),
            observed: None,
        };
        let finding = |severity| Finding {
            drift: drift.clone(),
            severity,
            rule: "r".into(),
            change_rules: Vec::new(),
            source: None,
            status: Status::Open,
        };
        let mut r = ScanReport::default();
        assert!(!r.fails());
        r.findings.push(finding(Severity::Info));
        assert!(r.fails(), "any finding fails by default");
        r.findings[0] = finding(Severity::Medium);
        r.fail_on = Some(Severity::High);
        assert!(!r.fails());
        r.fail_on = Some(Severity::Medium);
        assert!(r.fails());
    }

    #[test]
    fn unsupported_types_fail_unless_the_policy_reports_them() {
        use crate::model::{Address, StateSource};
        let mut r = ScanReport::default();
        assert!(r.is_complete());
        r.not_checked.push(NotChecked {
            resource_type: "aws_s3_bucket".into(),
            address: Address::managed("aws_s3_bucket", "logs"),
            state: StateSource("s".into()),
            reason: NotCheckedReason::UnsupportedType,
        });
        assert!(!r.is_complete(), "the default: a blind spot is incomplete");
        r.unchecked = Unchecked::Report;
        assert!(r.is_complete());
        r.strict = true;
        assert!(!r.is_complete(), "--strict always fails on a blind spot");
    }
}
