//! The domain: addresses, the value tree, resources on each side, drift and the scan report.
//!
//! No I/O, no async, no serde, no AWS, no clap: everything here is plain data that the
//! readers build and the pure stages (normalize, diff, policy, plan) transform.

pub mod address;
pub mod approvers;
pub mod desired;
pub mod drift;
pub mod finding;
pub mod fingerprint;
pub mod keys;
pub mod pattern;
pub mod pending;
pub mod plan;
pub mod policy_file;
pub mod resource;
pub mod tracked;
pub mod value;

pub use address::{Address, InstanceKey, Mode, ModuleStep};
pub use drift::{
    Change, DiffReport, Drift, DriftKind, NotChecked, NotCheckedReason, Path, ScanReport, Segment,
    Summary, Unchecked,
};
pub use finding::{
    ExpiredIgnore, Finding, IgnoreMatch, RuleHit, Severity, Status, UnknownSeverity,
};
pub use fingerprint::{FINGERPRINT_PREFIX, fingerprint, state_identity};
pub use pending::{Pending, PendingKind, SourceLocation};
pub use resource::{
    Attributes, Gap, Observation, ObservedResource, Owner, RecordedResource, RecordedState,
    StateSource, arn_region,
};
pub use value::{Secret, Value, format_number};
