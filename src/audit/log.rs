//! The log file: locked appends and reads.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::{Entry, GENESIS, Record, hash_line};
use crate::error::{Error, Result};

/// An audit log at a path. Opening does no I/O; [`Log::append`] creates the file (and its
/// directory) on first use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Log {
    path: PathBuf,
}

/// What an append wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    /// The new head: the hash of the line just written.
    pub hash: String,
    /// The entry's `prev`: the head before it.
    pub prev: String,
}

impl Log {
    pub fn open(path: impl Into<PathBuf>) -> Log {
        Log { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn shown(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    fn write_error(&self, reason: impl std::fmt::Display) -> Error {
        Error::AuditWrite {
            path: self.shown(),
            reason: reason.to_string(),
        }
    }

    /// Appends one entry, masked, as one line: takes an exclusive advisory lock on the file
    /// (waiting for other writers), reads the last line for `seq` and `prev`, writes the whole
    /// line with one write, fsyncs, and releases the lock. A log whose last line is torn or
    /// not an entry is refused ([`Error::AuditDamaged`]): appending after it would hide the
    /// damage. A failed write is cut back off, so it leaves no torn line.
    pub fn append(&self, entry: &Entry) -> Result<Appended> {
        let mut written = self.append_all(std::slice::from_ref(entry))?;
        written
            .pop()
            .ok_or_else(|| self.write_error("no entry was written"))
    }

    /// Appends `entries`, in order, as [`Log::append`] appends one, under one lock with one
    /// write and one fsync (a group commit: the approval service makes a batch of entries
    /// durable together before it answers any of them). All or none: a failed write is cut
    /// back off. Nothing to append does no I/O.
    pub fn append_all(&self, entries: &[Entry]) -> Result<Vec<Appended>> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let dir = self
            .path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf);
        if let Some(dir) = &dir {
            std::fs::create_dir_all(dir).map_err(|e| self.write_error(e))?;
        }
        let created = !self.path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&self.path)
            .map_err(|e| self.write_error(e))?;
        file.lock().map_err(|e| self.write_error(e))?;
        // The lock is released when `file` is closed, on every path out of here.
        let len = file.metadata().map_err(|e| self.write_error(e))?.len();
        let (mut seq, mut prev) = match last_line(&mut file, len)
            .map_err(|e| self.write_error(e))?
        {
            Tail::Empty => (1, GENESIS.to_string()),
            Tail::Torn => {
                return Err(Error::AuditDamaged {
                    path: self.shown(),
                    reason: "its last line is torn (no newline at its end)".into(),
                });
            }
            Tail::Line(line) => {
                let last =
                    serde_json::from_slice::<Record>(&line).map_err(|e| Error::AuditDamaged {
                        path: self.shown(),
                        reason: format!("its last line is not an audit entry ({e})"),
                    })?;
                (last.seq + 1, hash_line(&line))
            }
        };
        let mut lines = Vec::new();
        let mut written = Vec::with_capacity(entries.len());
        for entry in entries {
            let record = entry
                .to_record(seq, prev.clone())
                .map_err(|e| self.write_error(e))?;
            let mut line = record.canonical();
            let hash = hash_line(&line);
            line.push(b'\n');
            lines.extend_from_slice(&line);
            written.push(Appended {
                seq,
                hash: hash.clone(),
                prev: std::mem::replace(&mut prev, hash),
            });
            seq += 1;
        }
        if let Err(e) = file.write_all(&lines).and_then(|()| file.sync_data()) {
            // Cut a partial line back off (we hold the lock: `len` is still the end).
            let _ = file.set_len(len).and_then(|()| file.sync_data());
            return Err(self.write_error(e));
        }
        if created && let Some(dir) = &dir {
            sync_dir(dir);
        }
        Ok(written)
    }

    /// The whole file. A missing log is [`Error::AuditMissing`].
    pub fn read_bytes(&self) -> Result<Vec<u8>> {
        std::fs::read(&self.path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::AuditMissing { path: self.shown() }
            } else {
                Error::AuditRead {
                    path: self.shown(),
                    source,
                }
            }
        })
    }

    /// Every entry, parsed (not verified: see [`super::verify()`]). A line that is not an entry
    /// (or a torn last line) is [`Error::AuditDamaged`], naming its line.
    pub fn records(&self) -> Result<Vec<Record>> {
        let bytes = self.read_bytes()?;
        let mut out = Vec::new();
        for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
            let Some(line) = line.strip_suffix(b"\n") else {
                return Err(Error::AuditDamaged {
                    path: self.shown(),
                    reason: format!("line {} is torn (no newline at its end)", i + 1),
                });
            };
            let record =
                serde_json::from_slice::<Record>(line).map_err(|e| Error::AuditDamaged {
                    path: self.shown(),
                    reason: format!("line {} is not an audit entry ({e})", i + 1),
                })?;
            out.push(record);
        }
        Ok(out)
    }
}

enum Tail {
    Empty,
    /// The file does not end with a newline.
    Torn,
    /// The last line, without its newline.
    Line(Vec<u8>),
}

/// The last line of a file of `len` bytes, read backwards in blocks (a log grows without
/// bound; an append must not read all of it).
fn last_line(file: &mut File, len: u64) -> std::io::Result<Tail> {
    if len == 0 {
        return Ok(Tail::Empty);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] != b'\n' {
        return Ok(Tail::Torn);
    }
    // Collect blocks backwards from before the final newline until a newline is found.
    const BLOCK: u64 = 8192;
    let end = len - 1;
    let mut start = end;
    let mut line: Vec<u8> = Vec::new();
    while start > 0 {
        let from = start.saturating_sub(BLOCK);
        let mut block = vec![0u8; (start - from) as usize];
        file.seek(SeekFrom::Start(from))?;
        file.read_exact(&mut block)?;
        match block.iter().rposition(|b| *b == b'\n') {
            Some(nl) => {
                block.drain(..=nl);
                block.extend_from_slice(&line);
                return Ok(Tail::Line(block));
            }
            None => {
                block.extend_from_slice(&line);
                line = block;
                start = from;
            }
        }
    }
    Ok(Tail::Line(line))
}

/// Makes a new file's directory entry durable (POSIX needs an fsync of the directory).
fn sync_dir(dir: &Path) {
    #[cfg(unix)]
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    #[cfg(not(unix))]
    let _ = dir;
}
