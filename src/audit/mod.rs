//! The audit log: an append-only, hash-chained, locked file of JSON lines. Every scan, plan,
//! apply, executed action, refusal and dry run appends one [`Entry`]; `driftgate audit verify`
//! checks the chain and `driftgate audit show` filters it. The format, the canonical form and
//! what verification proves are in `docs/audit.md`.
//!
//! This module owns:
//! - [`Entry`] (what a command logs) and [`Record`] (the wire form of one line, in its fixed
//!   field order: its compact JSON serialization *is* the canonical form);
//! - [`Log::append`]: exclusive advisory lock on the file, read the last line for `seq` and
//!   `prev`, one write of the whole line, fsync, unlock;
//! - [`verify()`]: the pure check of a log's bytes (canonical form, `seq`, `prev` chain, torn
//!   last line, optional anchored head);
//! - [`show`]: filters and the table / JSON text of `audit show`.
//!
//! Every string an entry carries passes through [`crate::mask`] on its way in (secret flag
//! values, credentials and query strings in URLs; values through [`crate::mask::mask`]), so
//! the log is masked like every other output. The module never reads the clock or the
//! environment: time, actor and command line come in as an [`Origin`] that `cli::Settings`
//! resolves.
//!
//! Use from a command:
//! ```no_run
//! # fn f(origin: &driftgate::audit::Origin) -> driftgate::Result<()> {
//! use driftgate::audit::{Entry, Log, Outcome};
//! Log::open(".driftgate/audit.jsonl")
//!     .append(&Entry::new(origin, "apply", Outcome::Refused).reason("the plan has expired"))?;
//! # Ok(()) }
//! ```

pub mod checkpoint;
mod entry;
mod log;
pub mod show;
pub mod sink;
pub mod verify;

pub use entry::{ActionRef, Entry, Origin, Outcome, Record};
pub use log::{Appended, Log};
pub use verify::{Problem, Verified, verify};

use sha2::{Digest, Sha256};

/// The version of the line format (the `v` field).
pub const FORMAT_VERSION: u32 = 1;

/// The `prev` of the first entry: a fixed genesis value (the hash prefix and 64 zeros).
pub const GENESIS: &str = "sha256:0000000000000000000000000000000000000000000000000000000000000000";

/// The hash of an entry: `sha256:` and the lowercase hex SHA-256 of its canonical bytes, which
/// are exactly the bytes of its line in the file without the terminating `\n`.
pub fn hash_line(line: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(line)))
}

#[cfg(test)]
mod tests;
