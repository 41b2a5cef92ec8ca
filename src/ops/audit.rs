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
    /// Check the chain; `anchor`: a head hash recorded earlier that must still be in the log;
    /// `checkpoint`: where signed checkpoints are, signed by `public_key` (or the public half
    /// of `key`).
    Verify {
        anchor: Option<String>,
        checkpoint: Option<String>,
        public_key: Option<String>,
        key: Option<std::path::PathBuf>,
    },
    /// Sign and send a checkpoint.
    Checkpoint(super::checkpoint::CheckpointOptions),
    /// Show the entries that pass the filters.
    Show {
        command: Option<String>,
        outcome: Option<audit::Outcome>,
        /// RFC 3339 or a date.
        since: Option<String>,
        format: ReportFormat,
    },
}

pub async fn run(request: &AuditRequest, settings: &Settings) -> Result<Outcome> {
    match request {
        AuditRequest::Verify {
            checkpoint: Some(source),
            anchor,
            public_key,
            key,
        } => {
            if anchor.is_some() {
                verify(settings, anchor.as_deref())?;
            }
            verify_checkpoints(settings, source, public_key.as_deref(), key.as_deref()).await
        }
        AuditRequest::Verify { anchor, .. } => verify(settings, anchor.as_deref()),
        AuditRequest::Checkpoint(options) => checkpoint(options, settings).await,
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

/// `audit verify --checkpoint`: every checkpoint signed by the pinned log key, and the log
/// matching each of them.
async fn verify_checkpoints(
    settings: &Settings,
    source: &str,
    public_key: Option<&str>,
    key: Option<&std::path::Path>,
) -> Result<Outcome> {
    let pinned: crate::approval::PublicKey = match (public_key, key) {
        (Some(p), _) => p
            .trim()
            .parse()
            .map_err(|e| Error::Usage(format!("--audit-public-key: {e}")))?,
        (None, Some(k)) => super::approve::read_key(k)?.public(),
        (None, None) => {
            return Err(Error::Usage(
                "--checkpoint needs the log key it is signed by: --audit-public-key ed25519:... (or --audit-key FILE)"
                    .into(),
            ));
        }
    };
    let cps = audit::sink::read(source).await?;
    for c in &cps {
        c.verify(&pinned).map_err(|reason| Error::AuditCheckpoint {
            source_shown: audit::sink::Dest::parse(source)
                .map(|d| d.shown())
                .unwrap_or_default(),
            reason,
        })?;
    }
    let log = Log::open(&settings.audit_log);
    let shown = super::display_path(log.path());
    let bytes = match log.read_bytes() {
        Ok(b) => Some(b),
        Err(Error::AuditMissing { .. }) => None,
        Err(e) => return Err(e),
    };
    match audit::checkpoint::check(bytes.as_deref(), &cps) {
        Ok(m) => {
            render::emit(
                &format!(
                    "audit log {shown}: {} entr{}, chain intact, matches {} checkpoint{} (the newest signed {} entries)\nhead {}\n",
                    m.entries,
                    if m.entries == 1 { "y" } else { "ies" },
                    m.checkpoints,
                    if m.checkpoints == 1 { "" } else { "s" },
                    m.covered,
                    m.head
                ),
                None,
            )?;
            Ok(Outcome::Clean)
        }
        Err((kind, what)) => Err(Error::AuditCheckpointMismatch {
            path: shown,
            kind: kind.as_str().to_string(),
            what,
        }),
    }
}

/// `audit checkpoint`: the log must verify; an entry says a checkpoint was taken, and the
/// checkpoint signs the head that append returned.
async fn checkpoint(
    options: &super::checkpoint::CheckpointOptions,
    settings: &Settings,
) -> Result<Outcome> {
    if !options.enabled()? {
        return Err(Error::Usage(
            "audit checkpoint needs --audit-key FILE and --audit-checkpoint DEST".into(),
        ));
    }
    let log = Log::open(&settings.audit_log);
    let shown = super::display_path(log.path());
    let bytes = match log.read_bytes() {
        Ok(b) => b,
        Err(Error::AuditMissing { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    if let Err(Problem::Entry { line, seq, what }) = audit::verify(&bytes, None) {
        return Err(Error::AuditBroken {
            path: shown,
            line,
            seq,
            what,
        });
    }
    let mut entry =
        Entry::new(&settings.audit_origin(), "audit", audit::Outcome::Ok).reason("checkpoint");
    for d in &options.dests {
        entry = entry.detail(format!("checkpoint_to:{}", d.shown()), "sent");
    }
    let head = log.append(&entry)?;
    let cp = super::checkpoint::write(options, &log, &head, settings.now).await?;
    render::emit(
        &format!(
            "checkpoint of audit log {shown}: {} entries, head {}\n",
            cp.entries, cp.head
        ),
        None,
    )?;
    Ok(Outcome::Clean)
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
        ReportFormat::Table => {
            crate::render::audit::table(&show::rows(&shown), total, settings.width)
        }
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
