//! Findings: a drift plus the severity and the rule that classified it, and the drifts a
//! policy ignore set aside (kept, never dropped silently).

use std::fmt;
use std::str::FromStr;

use super::drift::Drift;
use super::pending::SourceLocation;

/// How much a finding matters. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Every level, most severe first (the order reports use).
    pub const ALL: [Severity; 5] = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Info,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
            Severity::Info => "info",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A severity name that is not one of the five levels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSeverity(pub String);

impl fmt::Display for UnknownSeverity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown severity `{}`; expected one of critical, high, medium, low, info",
            self.0
        )
    }
}

impl std::error::Error for UnknownSeverity {}

impl FromStr for Severity {
    type Err = UnknownSeverity;

    /// Lowercase names only, as they are written everywhere (`high`, not `High`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| UnknownSeverity(s.to_string()))
    }
}

/// The rule that graded one change (or a whole missing/unmanaged resource), and the severity it
/// gave after the policy file's re-grades.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RuleHit {
    pub severity: Severity,
    /// A built-in rule id (`ingress_open_world_admin`) or a policy file rule's label.
    pub rule: String,
}

/// A drift with its classification: the one type every stage after the diff passes on
/// (policy, renderers, plan). No parallel vectors to re-pair by index.
///
/// Roll-up: every change is graded on its own (`change_rules[i]` grades `drift.changes[i]`:
/// the highest-severity rule that matched it). The finding takes the highest severity among its
/// changes and names that change's rule; on a tie, the first change in path order wins. A
/// missing or unmanaged drift has no changes: its rule grades the resource as a whole and
/// `change_rules` is empty.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub drift: Drift,
    pub severity: Severity,
    pub rule: String,
    /// One entry per `drift.changes` entry, in the same order.
    pub change_rules: Vec<RuleHit>,
    /// The resource block in the configuration (with `--config`); `None` for unmanaged
    /// resources and scans without configuration.
    pub source: Option<SourceLocation>,
    pub status: Status,
}

/// Whether a finding counts, or an ignore set it aside (kept, never dropped silently).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// A finding: it is reported and may fail the scan.
    Open,
    /// An ignore matched it. For an attribute-level ignore, `drift.changes` holds only the
    /// changes that ignore matched (the rest stay an open finding of their own).
    Ignored(IgnoreMatch),
}

impl Finding {
    /// The ignore that set this finding aside, if any.
    pub fn ignore(&self) -> Option<&IgnoreMatch> {
        match &self.status {
            Status::Ignored(m) => Some(m),
            Status::Open => None,
        }
    }
}

/// The ignore that set a finding (or some of its changes) aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreMatch {
    /// What the ignore matches, as written: `address = "aws_iam_role.ci_*", path = "tags.*"`
    /// for a policy file ignore, the line itself for a `.driftignore` entry.
    pub pattern: String,
    pub reason: Option<String>,
    pub owner: Option<String>,
    /// The last day the ignore applies.
    pub expires: Option<time::Date>,
    /// Where the ignore is written: `driftgate.hcl:12`, `.driftignore:3`.
    pub source: String,
}

/// An ignore whose `expires` date has passed: it no longer applies, and the report says so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredIgnore {
    pub ignore: IgnoreMatch,
    /// The resources it would still have matched (address, or `type.id` for unmanaged ones),
    /// sorted: these are findings again.
    pub would_match: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severities_order_and_round_trip() {
        assert!(Severity::Critical > Severity::High);
        assert!(Severity::High > Severity::Medium);
        assert!(Severity::Medium > Severity::Low);
        assert!(Severity::Low > Severity::Info);
        for s in Severity::ALL {
            assert_eq!(s.to_string().parse::<Severity>(), Ok(s));
        }
        assert!("High".parse::<Severity>().is_err());
        assert_eq!(
            "urgent".parse::<Severity>().unwrap_err().to_string(),
            "unknown severity `urgent`; expected one of critical, high, medium, low, info"
        );
    }
}
