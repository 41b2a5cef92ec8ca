//! `driftgate merge REPORT...`: shard reports (`scan --format json`) combined into one report
//! (`crate::merge`), printed or written with `--out`; the exit code is the merged report's, as
//! `scan`'s: 1 when any shard was incomplete, 2 on drift at or above the threshold, 0 clean.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::model::Severity;
use crate::ops::Outcome;
use crate::render;

#[derive(Debug, Clone)]
pub struct MergeOptions {
    pub reports: Vec<PathBuf>,
    pub fail_on: Option<Severity>,
    pub out: Option<PathBuf>,
}

pub fn run(o: &MergeOptions) -> Result<Outcome> {
    let mut reports = Vec::new();
    for p in &o.reports {
        let shown = super::display_path(p);
        let text = std::fs::read_to_string(p).map_err(|e| Error::MergeInput {
            path: shown.clone(),
            reason: e.to_string(),
        })?;
        // A report is ours, but it is still input: a parse error names line and column only.
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| Error::MergeInput {
            path: shown.clone(),
            reason: format!("not JSON (line {}, column {})", e.line(), e.column()),
        })?;
        reports.push(v);
    }
    let merged = crate::merge::merge(&reports, o.fail_on).map_err(|e| Error::MergeInput {
        path: super::display_path(&o.reports[e.index.min(o.reports.len().saturating_sub(1))]),
        reason: e.reason,
    })?;
    render::emit(&crate::merge::to_text(&merged), o.out.as_deref())?;
    Ok(match crate::merge::exit_code(&merged) {
        0 => Outcome::Clean,
        2 => Outcome::Drift,
        _ => Outcome::Incomplete,
    })
}
