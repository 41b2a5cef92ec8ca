//! Severity policy: the built-in rule catalogue, the policy file (`driftgate.hcl`), driftctl's
//! `.driftignore`, and `classify`, which turns drifts into graded findings and ignored ones.
//!
//! Pure and synchronous: files arrive as text, the date arrives as a parameter.

pub mod analyze;
pub mod classify;
pub mod docs;
pub mod driftignore;
pub mod file;
pub mod grade;
pub mod rules;

/// Globs on addresses, types and paths (in `model`, shared with the guardrails).
pub use crate::model::pattern;

pub use classify::{Classified, classify};
pub use docs::{render_rules_markdown, rule_explain_text, rules_list_text};
pub use driftignore::DriftIgnore;
pub use file::{CustomRule, Ignore, Policy, exit_threshold};

#[cfg(test)]
mod tests;
