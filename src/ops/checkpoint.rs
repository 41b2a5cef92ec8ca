//! Writing a signed checkpoint of the audit log (after every apply, and `driftgate audit
//! checkpoint`), and [`Tracked`]: a log that remembers the head its last append returned, so
//! that the checkpoint signs what this run wrote.

use std::cell::RefCell;
use std::io::BufRead as _;
use std::path::PathBuf;

use crate::audit::checkpoint::Checkpoint;
use crate::audit::sink::Dest;
use crate::audit::{Appended, Entry, GENESIS, Log, hash_line};
use crate::error::{Error, Result};

/// `--audit-key` and `--audit-checkpoint`.
#[derive(Debug, Clone, Default)]
pub struct CheckpointOptions {
    pub key: Option<PathBuf>,
    pub dests: Vec<Dest>,
}

impl CheckpointOptions {
    /// Whether checkpoints are asked for; a key without a destination (or the reverse) is a
    /// usage error, found before anything runs.
    pub fn enabled(&self) -> Result<bool> {
        match (&self.key, self.dests.is_empty()) {
            (None, true) => Ok(false),
            (Some(_), false) => Ok(true),
            (None, false) => Err(Error::Usage(
                "--audit-checkpoint needs the log key: --audit-key FILE (or DRIFTGATE_AUDIT_KEY)"
                    .into(),
            )),
            (Some(_), true) => Err(Error::Usage(
                "--audit-key needs somewhere to send checkpoints: --audit-checkpoint DEST (or DRIFTGATE_AUDIT_CHECKPOINT)"
                    .into(),
            )),
        }
    }
}

/// A log and the last [`Appended`] this run got from it.
pub struct Tracked {
    log: Log,
    last: RefCell<Option<Appended>>,
}

impl Tracked {
    pub fn new(log: Log) -> Tracked {
        Tracked {
            log,
            last: RefCell::new(None),
        }
    }

    pub fn log(&self) -> &Log {
        &self.log
    }

    pub fn append(&self, entry: &Entry) -> Result<Appended> {
        let a = self.log.append(entry)?;
        *self.last.borrow_mut() = Some(a.clone());
        Ok(a)
    }

    pub fn last(&self) -> Option<Appended> {
        self.last.borrow().clone()
    }
}

/// The hash of the log's first line (the log's identity in a checkpoint).
fn first_entry(log: &Log) -> Result<String> {
    let file = std::fs::File::open(log.path()).map_err(|source| Error::AuditRead {
        path: log.path().display().to_string(),
        source,
    })?;
    let mut line = Vec::new();
    std::io::BufReader::new(file)
        .read_until(b'\n', &mut line)
        .map_err(|source| Error::AuditRead {
            path: log.path().display().to_string(),
            source,
        })?;
    Ok(match line.strip_suffix(b"\n") {
        Some(l) => hash_line(l),
        None => GENESIS.to_string(),
    })
}

/// Signs a checkpoint of `log` at `head` (what an append returned) and sends it to every
/// destination. Every destination is tried; the first failure is returned after.
pub async fn write(
    options: &CheckpointOptions,
    log: &Log,
    head: &Appended,
    now: time::OffsetDateTime,
) -> Result<Checkpoint> {
    let Some(key_path) = &options.key else {
        return Err(Error::Usage("no --audit-key".into()));
    };
    let key = super::approve::read_key(key_path)?;
    let first = first_entry(log)?;
    let cp = Checkpoint::sign(&key, &first, head.seq, &head.hash, &head.prev, now);
    let mut failure = None;
    for dest in &options.dests {
        match dest.send(&cp).await {
            Ok(None) => {}
            Ok(Some(warning)) => crate::render::notice::line(&warning),
            Err(e) => {
                crate::render::notice::line(&format!(
                    "error: the audit checkpoint was not sent to {}: {e}",
                    dest.shown()
                ));
                failure.get_or_insert(e);
            }
        }
    }
    match failure {
        Some(e) => Err(e),
        None => Ok(cp),
    }
}
