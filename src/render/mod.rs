//! The only code that writes to the terminal: the report for people ([`table`]), for machines
//! ([`json`]), for CI and review tools ([`sarif`], [`markdown`], [`junit`]), as one page
//! ([`html`]), the progress bar on stderr ([`progress`]) and the notice on stderr that a scan
//! or an observation is incomplete ([`notice`]). What the formats share (verdict, order,
//! masked changes, rule descriptions) is in [`common`].
//!
//! Each report renderer is a pure function of the [`crate::model::ScanReport`] and its options
//! to a `String` (`sarif::render(&report, &opts)`), so `scan` and `report` print the same
//! thing.
//!
//! Renderers never see a raw [`crate::model::Value`]: they print only what
//! [`crate::mask::mask`] returns, so a secret cannot reach the output by accident.

pub mod approval;
pub mod audit;
pub mod common;
pub mod grid;
pub mod history;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod notice;
pub mod plan_summary;
pub mod progress;
pub mod run_message;
pub mod sarif;
pub mod table;
pub mod timings;

/// The hand-built report the renderers' tests share (under `tests/`: test code, which may
/// classify with the policy).
#[cfg(test)]
#[path = "tests/sample.rs"]
mod sample;

use std::io::Write;
use std::path::Path;

use crate::error::{Error, Result};

/// Writes a rendered report to `out` (a file, created or truncated) or to stdout.
#[allow(clippy::result_large_err)] // `Error` is large (span-carrying variants).
pub fn emit(text: &str, out: Option<&Path>) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, text).map_err(|source| Error::Write {
            path: path.display().to_string(),
            source,
        }),
        None => {
            // Someone else's text (names, tags, reasons) cannot drive the terminal.
            let text = crate::mask::clean_output(text);
            let mut stdout = std::io::stdout().lock();
            match stdout
                .write_all(text.as_bytes())
                .and_then(|()| stdout.flush())
            {
                Ok(()) => Ok(()),
                // `driftgate scan | head` closes the pipe early; that is not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                Err(source) => Err(Error::Write {
                    path: "<stdout>".to_string(),
                    source,
                }),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emit_writes_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("report.json");
        emit("{}\n", Some(&path)).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}\n");
        let err = emit("x", Some(&dir.path().join("no/such/dir/x"))).unwrap_err();
        assert!(matches!(err, Error::Write { .. }));
    }
}
