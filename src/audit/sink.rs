//! Where checkpoints go (`--audit-checkpoint DEST`, repeatable) and where `audit verify
//! --checkpoint SOURCE` reads them back:
//! - `https://...` (or `http://`): a webhook, POSTed the checkpoint as JSON (write only: keep
//!   what the receiver stored and verify against a file of it);
//! - `s3://bucket/prefix`: one object per checkpoint under `prefix/checkpoints/`, created with
//!   `If-None-Match: *` (never overwritten) and, where the bucket has object lock, retained in
//!   compliance mode for a year (`x-amz-object-lock-*` headers);
//! - `postgres://...`: a row of the `driftgate_shared` table;
//! - anything else: a file, one checkpoint appended per line.

use std::path::PathBuf;

use super::checkpoint::{Checkpoint, parse_lines};
use crate::error::{Error, Result};
use crate::store::{Location, Put, Shared};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    File(PathBuf),
    Webhook(String),
    Store(Location),
}

impl Dest {
    pub fn parse(s: &str) -> Result<Dest> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("https://") || lower.starts_with("http://") {
            return Ok(Dest::Webhook(s.to_string()));
        }
        if lower.starts_with("s3://")
            || lower.starts_with("postgres://")
            || lower.starts_with("postgresql://")
        {
            return Location::parse(s).map(Dest::Store);
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(Error::Usage(format!(
                "`{}`: a checkpoint goes to a file, an https:// webhook, s3://bucket/prefix or a postgres:// URL, not {scheme}://",
                crate::mask::mask_url(s)
            )));
        }
        if s.is_empty() {
            return Err(Error::Usage(
                "--audit-checkpoint needs a destination".into(),
            ));
        }
        Ok(Dest::File(PathBuf::from(s)))
    }

    pub fn shown(&self) -> String {
        match self {
            Dest::File(p) => p.display().to_string(),
            Dest::Webhook(url) => crate::mask::mask_url(url),
            Dest::Store(l) => l.shown(),
        }
    }

    fn err(&self, reason: impl std::fmt::Display) -> Error {
        Error::AuditCheckpoint {
            source_shown: self.shown(),
            reason: reason.to_string(),
        }
    }

    /// Sends one checkpoint; `Some(warning)` when it was kept with less protection than
    /// asked for (an S3 bucket without object lock), for the caller to show.
    pub async fn send(&self, cp: &Checkpoint) -> Result<Option<String>> {
        match self {
            Dest::File(path) => {
                use std::io::Write as _;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| self.err(e))?;
                }
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .map_err(|e| self.err(e))?;
                f.write_all(format!("{}\n", cp.to_line()).as_bytes())
                    .and_then(|()| f.sync_data())
                    .map_err(|e| self.err(e))?;
                Ok(None)
            }
            Dest::Webhook(url) => {
                let client = reqwest::Client::builder()
                    .timeout(std::time::Duration::from_secs(15))
                    .user_agent(concat!("driftgate/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| self.err(e))?;
                let r = client
                    .post(url)
                    .header("content-type", "application/json")
                    .body(cp.to_line())
                    .send()
                    .await
                    .map_err(|e| self.err(crate::mask::mask_text(&e.without_url().to_string())))?;
                if !r.status().is_success() {
                    return Err(self.err(format!("the webhook answered {}", r.status())));
                }
                Ok(None)
            }
            Dest::Store(location) => {
                let store = Shared::open(location).await?;
                let retain = time::OffsetDateTime::parse(
                    &cp.time,
                    &time::format_description::well_known::Rfc3339,
                )
                .ok()
                .and_then(|t| t.checked_add(time::Duration::days(366)));
                match store
                    .put_new_retained(&cp.store_key(), &cp.to_line(), retain)
                    .await?
                {
                    Put::Created => Ok(None),
                    Put::CreatedWithoutRetention => Ok(Some(format!(
                        "warning: {} has no object lock: the checkpoint is written without retention (enable object lock so that it cannot be deleted)",
                        self.shown()
                    ))),
                    // The same count and head again (a checkpoint of an unchanged log): only
                    // an identical one may be there already.
                    Put::Exists => {
                        let there = store.get(&cp.store_key()).await?.unwrap_or_default();
                        let there = parse_lines(&there).map_err(|e| self.err(e))?;
                        if there.iter().all(|c| c.log == cp.log && c.head == cp.head) {
                            Ok(None)
                        } else {
                            Err(self.err(format!(
                                "a different checkpoint of entry {} is there already",
                                cp.entries
                            )))
                        }
                    }
                }
            }
        }
    }
}

/// The checkpoints at `source` (a file, s3:// or postgres://), all of them.
pub async fn read(source: &str) -> Result<Vec<Checkpoint>> {
    let dest = Dest::parse(source)?;
    let err = |reason: String| Error::AuditCheckpoint {
        source_shown: dest.shown(),
        reason,
    };
    let cps = match &dest {
        Dest::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
            parse_lines(&text).map_err(err)?
        }
        Dest::Webhook(_) => {
            return Err(err(
                "a webhook cannot be read back: verify against a file of what it received".into(),
            ));
        }
        Dest::Store(location) => {
            let store = Shared::open(location).await?;
            let mut out = Vec::new();
            for (key, value) in store.list("checkpoints").await? {
                out.extend(parse_lines(&value).map_err(|e| err(format!("{key}: {e}")))?);
            }
            out
        }
    };
    if cps.is_empty() {
        return Err(err("it holds no checkpoint".into()));
    }
    Ok(cps)
}
