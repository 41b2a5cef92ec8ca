//! Pending: where the *desired* configuration differs from what the state *recorded*
//! (configuration not yet applied). Not drift: reported apart, never changes the exit code.

use std::fmt;

use super::drift::Path;
use super::value::Value;

/// Where a block sits in the user's configuration: the file, relative to the configuration
/// directory as the user would write it (`main.tf`, `modules/net/main.tf`), and its 1-based
/// line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceLocation {
    pub file: String,
    pub line: usize,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PendingKind {
    /// In the configuration, not (yet) in the state.
    NotYetCreated,
    /// In the state, no longer in the configuration.
    NoLongerConfigured,
    /// In both, with a statically known configured value that differs from the recorded one.
    AttributeDiffers,
    /// In the configuration, not in the state, and named by an `import` block: terraform
    /// imports the existing object at its next apply (nothing is created).
    ToBeImported,
}

impl PendingKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PendingKind::NotYetCreated => "not_yet_created",
            PendingKind::NoLongerConfigured => "no_longer_configured",
            PendingKind::AttributeDiffers => "attribute_differs",
            PendingKind::ToBeImported => "to_be_imported",
        }
    }
}

impl fmt::Display for PendingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One pending item.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    pub kind: PendingKind,
    /// The resource instance address as terraform prints it.
    pub address: String,
    pub resource_type: String,
    /// The attribute path, for `AttributeDiffers`; `None` for the resource-level kinds.
    pub path: Option<Path>,
    /// The configured value (`Null` when there is none: `NoLongerConfigured`). For
    /// `NotYetCreated`, the configured attributes as a map.
    pub desired: Value,
    /// The recorded value (`Null` when there is none). Sensitive recorded values stay wrapped,
    /// and so does the desired value they are compared with.
    pub recorded: Value,
    /// The resource block in the configuration; `None` for `NoLongerConfigured` resources
    /// whose block is gone.
    pub source: Option<SourceLocation>,
}

impl Pending {
    /// The order every report uses: address, kind, path.
    pub fn sort_key(&self) -> (&str, PendingKind, Option<&Path>) {
        (&self.address, self.kind, self.path.as_ref())
    }
}
