//! `driftgate history`: the runs recorded in a history, oldest first.

use crate::error::Result;
use crate::history::{Location, Store};
use crate::ops::{Outcome, ReportFormat, Settings};
use crate::render;

/// What `driftgate history` was asked for.
#[derive(Debug, Clone)]
pub struct HistoryOptions {
    pub location: Location,
    pub format: ReportFormat,
    /// Only the last N runs.
    pub last: Option<usize>,
}

/// Lists the runs; a missing history is an error (it is never created by reading it).
pub async fn run(options: &HistoryOptions, settings: &Settings) -> Result<Outcome> {
    let mut store = Store::open(&options.location, false, settings.now).await?;
    // All of them, to say "the last 2 of 3 runs" truthfully.
    let all = store.runs(None).await?;
    let total = all.len();
    let runs = &all[total - options.last.unwrap_or(total).min(total)..];
    let shown = options.location.shown();
    let text = match options.format {
        ReportFormat::Json => render::history::runs_json(&shown, runs),
        ReportFormat::Table => render::history::runs_table(&shown, runs, total, settings.width),
    };
    render::emit(&text, None)?;
    Ok(Outcome::Clean)
}
