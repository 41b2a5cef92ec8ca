//! `driftgate audit verify` and `driftgate audit show`, and [`record`]: how a command that
//! ends in an [`Outcome`] logs its run.

use std::collections::BTreeMap;

use crate::audit::{self, Entry, Log, Problem, show};
use crate::error::{Error, Result};
use crate::ops::{Outcome, ReportFormat, Settings};
use crate::render;

/// What `driftgate audit` was asked for.
#[derive(Debug, Clone)]
pub enum AuditRequest {
    /// Check the chain; `anchor`: a head hash recorded earlier that must still be in the log.
    Verify { anchor: Option<String> },
    /// Show the entries that pass the filters.
    Show {
        command: Option<String>,
        outcome: Option<audit::Outcome>,
        /// RFC 3339 or a date.
        since: Option<String>,
        format: ReportFormat,
    },
}

pub fn run(request: &AuditRequest, settings: &Settings) -> Result<Outcome> {
    match request {
        AuditRequest::Verify { anchor } => verify(settings, anchor.as_deref()),
        AuditRequest::Show {
            command,
            outcome,
            since,
            format,
        } => show(command, *outcome, since.as_deref(), *format, settings),
    }
}

/// Exit 0 with the entry count and head hash; a broken chain is an error naming the first bad
/// entry (exit 1). A missing log is an error too; an empty one verifies with 0 entries.
fn verify(settings: &Settings, anchor: Option<&str>) -> Result<Outcome> {
    let log = Log::open(&settings.audit_log);
    let shown = super::display_path(log.path());
    let bytes = log.read_bytes()?;
    match audit::verify(&bytes, anchor) {
        Ok(v) => {
            render::emit(
                &format!(
                    "audit log {shown}: {} entr{}, chain intact\nhead {}\n",
                    v.entries,
                    if v.entries == 1 { "y" } else { "ies" },
                    v.head
                ),
                None,
            )?;
            Ok(Outcome::Clean)
        }
        Err(Problem::Entry { line, seq, what }) => Err(Error::AuditBroken {
            path: shown,
            line,
            seq,
            what,
        }),
        Err(Problem::AnchorNotFound { entries, head }) => Err(Error::AuditAnchorNotFound {
            path: shown,
            anchor: anchor.unwrap_or_default().to_string(),
            entries,
            head,
        }),
    }
}

fn show(
    command: &Option<String>,
    outcome: Option<audit::Outcome>,
    since: Option<&str>,
    format: ReportFormat,
    settings: &Settings,
) -> Result<Outcome> {
    let filter = show::Filter {
        command: command.clone(),
        outcome,
        since: since
            .map(show::parse_since)
            .transpose()
            .map_err(Error::Usage)?,
    };
    let records = Log::open(&settings.audit_log).records()?;
    let total = records.len();
    let shown: Vec<_> = records.into_iter().filter(|r| filter.matches(r)).collect();
    let text = match format {
        ReportFormat::Json => show::render_json(&shown),
        ReportFormat::Table => show::render_table(&shown, total, settings.width),
    };
    render::emit(&text, None)?;
    Ok(Outcome::Clean)
}

/// Logs one run of `command` that ended in `result`: clean is `ok`, drift is `drift`, an
/// incomplete scan is `incomplete`, an error is `failed` with the error's message as reason.
/// An entry that cannot be written is an error: an audited command never succeeds unlogged.
pub fn record(
    settings: &Settings,
    command: &str,
    result: &Result<Outcome>,
    inputs: BTreeMap<String, String>,
) -> Result<()> {
    let outcome = match result {
        Ok(Outcome::Clean) => audit::Outcome::Ok,
        Ok(Outcome::Drift) => audit::Outcome::Drift,
        Ok(Outcome::Incomplete) => audit::Outcome::Incomplete,
        Err(_) => audit::Outcome::Failed,
    };
    let mut entry = Entry::new(&settings.audit_origin(), command, outcome);
    entry.inputs = inputs;
    if let Err(e) = result {
        entry = entry.reason(e.to_string());
    }
    Log::open(&settings.audit_log).append(&entry)?;
    Ok(())
}

/// The identity of each state a run read, for its audit entry: `state:<location>` ->
/// `sha256:<hex of the bytes read>` (and its `lineage/serial` as `serial:<location>`).
pub fn state_inputs(states: &[crate::model::RecordedState]) -> BTreeMap<String, String> {
    states
        .iter()
        .flat_map(|s| {
            [
                (
                    format!("state:{}", s.source),
                    format!("sha256:{}", s.sha256),
                ),
                (
                    format!("serial:{}", s.source),
                    format!("{}/{}", s.lineage, s.serial),
                ),
            ]
        })
        .collect()
}
