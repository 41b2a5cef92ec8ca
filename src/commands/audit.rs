//! `driftgate audit verify` and `driftgate audit show`, and [`record`]: how a command that
//! ends in an [`Outcome`] logs its run.

use std::collections::BTreeMap;

use crate::audit::{self, Entry, Log, Problem, show};
use crate::cli::{AuditArgs, AuditCommand, AuditShowArgs, Format, Settings};
use crate::commands::Outcome;
use crate::error::{Error, Result};
use crate::render;

pub fn run(args: &AuditArgs, settings: &Settings) -> Result<Outcome> {
    match &args.command {
        AuditCommand::Verify { anchor } => verify(settings, anchor.as_deref()),
        AuditCommand::Show(show_args) => show(show_args, settings),
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

fn show(args: &AuditShowArgs, settings: &Settings) -> Result<Outcome> {
    let filter = show::Filter {
        command: args.command.clone(),
        outcome: args.outcome,
        since: args
            .since
            .as_deref()
            .map(show::parse_since)
            .transpose()
            .map_err(Error::Usage)?,
    };
    let records = Log::open(&settings.audit_log).records()?;
    let total = records.len();
    let shown: Vec<_> = records.into_iter().filter(|r| filter.matches(r)).collect();
    let text = match args.format {
        Format::Json => show::render_json(&shown),
        Format::Table => show::render_table(&shown, total),
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
/// `lineage/serial`.
pub fn state_inputs(states: &[crate::model::RecordedState]) -> BTreeMap<String, String> {
    states
        .iter()
        .map(|s| {
            (
                format!("state:{}", s.source),
                format!("{}/{}", s.lineage, s.serial),
            )
        })
        .collect()
}
