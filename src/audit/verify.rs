//! Verification of a log's bytes: pure, so every kind of damage is a table-driven unit test.
//!
//! A log verifies when every line is a canonical entry of a known version, `seq` runs 1, 2,
//! 3, ... without gaps, each `prev` is the hash of the line before it (the first one's is
//! [`GENESIS`]), and the file ends with a newline. The first line that breaks any of these is
//! reported; everything before it verifies. With an anchor (a head hash recorded elsewhere
//! earlier), the log must also still contain the entry with that hash.

use super::{FORMAT_VERSION, GENESIS, Record, hash_line};

/// An intact log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub entries: u64,
    /// The hash of the last line ([`GENESIS`] for an empty log): anchor it elsewhere.
    pub head: String,
}

/// Why a log does not verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The first bad entry: its line (1-based), its `seq` when it has one, and what is wrong.
    Entry {
        line: usize,
        seq: Option<u64>,
        what: String,
    },
    /// Every entry verifies, but none has the anchored hash: the tail was cut off, or the log
    /// was rewritten, after the anchor was taken.
    AnchorNotFound { entries: u64, head: String },
}

/// Verifies a log's bytes; `anchor` is a head hash taken earlier (see the module docs).
pub fn verify(bytes: &[u8], anchor: Option<&str>) -> Result<Verified, Problem> {
    let mut prev = GENESIS.to_string();
    let mut entries: u64 = 0;
    let mut anchored = anchor.is_none_or(|a| a == GENESIS);
    for (i, raw) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        let line_no = i + 1;
        let expected_seq = entries + 1;
        let bad = |seq: Option<u64>, what: String| Problem::Entry {
            line: line_no,
            seq,
            what,
        };
        let Some(line) = raw.strip_suffix(b"\n") else {
            let seq = serde_json::from_slice::<Record>(raw).ok().map(|r| r.seq);
            return Err(bad(
                seq,
                format!(
                    "the last line is torn: {} bytes with no newline at the end (a write cut short by a crash or a full disk, or the file was truncated)",
                    raw.len()
                ),
            ));
        };
        if line.is_empty() {
            return Err(bad(None, "an empty line".into()));
        }
        let record = Record::parse_canonical(line).map_err(|what| {
            let seq = serde_json::from_slice::<serde_json::Value>(line)
                .ok()
                .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64));
            bad(seq, what)
        })?;
        let seq = Some(record.seq);
        if record.v != FORMAT_VERSION {
            return Err(bad(
                seq,
                format!(
                    "format version {} (this driftgate reads version {FORMAT_VERSION})",
                    record.v
                ),
            ));
        }
        if record.seq != expected_seq {
            let what = if record.seq > expected_seq {
                let missing = if record.seq - expected_seq == 1 {
                    format!("entry {expected_seq} is")
                } else {
                    format!("entries {expected_seq} to {} are", record.seq - 1)
                };
                format!(
                    "seq {} where {expected_seq} was expected: {missing} missing before it (removed, or moved later)",
                    record.seq,
                )
            } else {
                format!(
                    "seq {} where {expected_seq} was expected: the entries are out of order (reordered or duplicated)",
                    record.seq
                )
            };
            return Err(bad(seq, what));
        }
        if record.prev != prev {
            let what = if line_no == 1 {
                format!(
                    "its prev is {} but the first entry chains to the genesis value {GENESIS}: entries before it were removed",
                    record.prev
                )
            } else {
                format!(
                    "its prev {} is not the hash of line {} ({prev}): line {} was edited, or entries between them were removed or reordered",
                    record.prev,
                    line_no - 1,
                    line_no - 1
                )
            };
            return Err(bad(seq, what));
        }
        prev = hash_line(line);
        entries += 1;
        if anchor == Some(prev.as_str()) {
            anchored = true;
        }
    }
    if !anchored {
        return Err(Problem::AnchorNotFound {
            entries,
            head: prev,
        });
    }
    Ok(Verified {
        entries,
        head: prev,
    })
}
