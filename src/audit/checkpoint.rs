//! Signed checkpoints: what anchors the hash chain outside the log.
//!
//! A checkpoint is the log's identity (the hash of its first entry), its entry count, its head
//! hash and the head's `prev`, a time, and an Ed25519 signature by the log key
//! (`--audit-key`). Every apply and `driftgate audit checkpoint` write one and send it where
//! the log's writers cannot rewrite it ([`Sink`]: a second file, a webhook, S3 with object lock,
//! PostgreSQL). [`check`] compares a log with every checkpoint taken of it and says what was
//! done to it: truncated, deleted, edited, reordered or forked. See `docs/audit.md`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

use super::{GENESIS, Problem, hash_line, verify};
use crate::model::keys::{KeyFile, PublicKey};

/// What is signed before the payload: no approval signature can pass for a checkpoint.
const DOMAIN: &[u8] = b"driftgate-audit-checkpoint-v1\0";

/// One signed checkpoint, as written (one JSON object; a checkpoint file holds one a line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    pub v: u32,
    /// The hash of the log's first entry (genesis for an empty log): which log this is.
    pub log: String,
    pub entries: u64,
    /// The hash of entry `entries`.
    pub head: String,
    /// That entry's `prev`: the hash of the entry before it.
    pub head_prev: String,
    /// RFC 3339, UTC.
    pub time: String,
    /// The log key's public key (`ed25519:...`).
    pub key: String,
    /// Base64 of the Ed25519 signature over the other fields.
    pub sig: String,
}

#[derive(Serialize)]
struct Body<'a> {
    v: u32,
    log: &'a str,
    entries: u64,
    head: &'a str,
    head_prev: &'a str,
    time: &'a str,
    key: &'a str,
}

impl Checkpoint {
    fn payload(&self) -> Vec<u8> {
        serde_json::to_vec(&Body {
            v: self.v,
            log: &self.log,
            entries: self.entries,
            head: &self.head,
            head_prev: &self.head_prev,
            time: &self.time,
            key: &self.key,
        })
        .unwrap_or_default()
    }

    /// A checkpoint of a log whose first entry hashes to `log`, signed by `key`.
    pub fn sign(
        key: &KeyFile,
        log: &str,
        entries: u64,
        head: &str,
        head_prev: &str,
        time: time::OffsetDateTime,
    ) -> Checkpoint {
        let mut c = Checkpoint {
            v: 1,
            log: log.to_string(),
            entries,
            head: head.to_string(),
            head_prev: head_prev.to_string(),
            time: crate::codec::format_time(time),
            key: key.public().to_string(),
            sig: String::new(),
        };
        c.sig = STANDARD.encode(key.sign(DOMAIN, &c.payload()));
        c
    }

    /// Whether it is signed by `pinned`.
    pub fn verify(&self, pinned: &PublicKey) -> Result<(), String> {
        if self.key != pinned.to_string() {
            return Err(format!(
                "the checkpoint of {} is signed by {}, not by the log key {}",
                self.time, self.key, pinned
            ));
        }
        let sig = STANDARD
            .decode(&self.sig)
            .map_err(|_| format!("the checkpoint of {} has no valid signature", self.time))?;
        if !<[u8; 64]>::try_from(sig.as_slice())
            .is_ok_and(|s| pinned.verifies(DOMAIN, &self.payload(), &s))
        {
            return Err(format!(
                "the checkpoint of {} ({} entries) does not verify against the log key: forged or edited",
                self.time, self.entries
            ));
        }
        Ok(())
    }

    /// The JSON line.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The store key under which it is kept (sorted by entry count).
    pub fn store_key(&self) -> String {
        let h = self.head.trim_start_matches("sha256:");
        format!("checkpoints/{:020}-{}", self.entries, &h[..h.len().min(16)])
    }
}

/// Parses a checkpoint file's text: one checkpoint per non-empty line.
pub fn parse_lines(text: &str) -> Result<Vec<Checkpoint>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l.trim())
                .map_err(|e| format!("line {} is not a checkpoint ({e})", i + 1))
        })
        .collect()
}

/// What was done to a log, against its checkpoints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Damage {
    Truncated,
    Deleted,
    Edited,
    Reordered,
    Forked,
}

impl Damage {
    pub fn as_str(self) -> &'static str {
        match self {
            Damage::Truncated => "truncated",
            Damage::Deleted => "deleted",
            Damage::Edited => "edited",
            Damage::Reordered => "reordered",
            Damage::Forked => "forked",
        }
    }
}

/// A log that matches every checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matched {
    pub entries: u64,
    pub head: String,
    pub checkpoints: usize,
    /// The newest checkpoint's entry count (the log may have grown since).
    pub covered: u64,
}

/// Compares a log's bytes (`None`: the file is missing) with its checkpoints (signatures
/// already verified). Every checkpoint must still describe a prefix of the log: its first
/// entry, the entry at its count with its hash, and the entry before it. Pure.
pub fn check(log: Option<&[u8]>, checkpoints: &[Checkpoint]) -> Result<Matched, (Damage, String)> {
    let mut cps: Vec<&Checkpoint> = checkpoints.iter().collect();
    cps.sort_by(|a, b| (a.entries, &a.time).cmp(&(b.entries, &b.time)));
    let newest = cps.last().copied();
    let covered = newest.map_or(0, |c| c.entries);
    let Some(bytes) = log else {
        return Err(missing_log(newest));
    };
    // The hash of each complete line, whatever the chain says.
    let hashes: Vec<String> = bytes
        .split_inclusive(|b| *b == b'\n')
        .filter_map(|l| l.strip_suffix(b"\n"))
        .map(hash_line)
        .collect();
    check_first_entry(&cps, &hashes)?;
    let verified = check_chain(bytes)?;
    let n = verified.entries;
    check_prefixes(&cps, &hashes, n)?;
    check_length(newest, n)?;
    Ok(Matched {
        entries: n,
        head: verified.head,
        checkpoints: cps.len(),
        covered,
    })
}

/// The log file is gone: what the newest checkpoint says it held.
fn missing_log(newest: Option<&Checkpoint>) -> (Damage, String) {
    (
        Damage::Deleted,
        match newest {
            Some(c) => format!(
                "the log is missing; the checkpoint of {} signed {} entries",
                c.time, c.entries
            ),
            None => "the log is missing".into(),
        },
    )
}

/// The log still starts with the first entry the newest non-empty checkpoint signed.
fn check_first_entry(cps: &[&Checkpoint], hashes: &[String]) -> Result<(), (Damage, String)> {
    let Some(c) = cps.iter().rev().find(|c| c.entries > 0) else {
        return Ok(());
    };
    match hashes.first() {
        None => Err((
            Damage::Deleted,
            format!(
                "the log is empty; the checkpoint of {} signed {} entries",
                c.time, c.entries
            ),
        )),
        Some(first) if *first != c.log => Err((
            Damage::Deleted,
            format!(
                "its first entry is not the first entry the checkpoint of {} signed: the log was deleted (or moved aside) and started again",
                c.time
            ),
        )),
        Some(_) => Ok(()),
    }
}

/// The log's own hash chain; a broken one is named by what broke it.
fn check_chain(bytes: &[u8]) -> Result<super::Verified, (Damage, String)> {
    match verify(bytes, None) {
        Ok(v) => Ok(v),
        Err(Problem::Entry { line, seq, what }) => {
            let at = match seq {
                Some(s) => format!("line {line} (seq {s})"),
                None => format!("line {line}"),
            };
            let kind = if what.contains("torn") {
                Damage::Truncated
            } else if what.contains("out of order") || moved_later(bytes, line) {
                Damage::Reordered
            } else {
                Damage::Edited
            };
            Err((kind, format!("{at}: {what}")))
        }
        // Only reported when an anchor is given; none is.
        Err(Problem::AnchorNotFound { entries, head }) => Ok(super::Verified { entries, head }),
    }
}

/// Every checkpoint within the log's `n` entries still names the entry at its count: if not,
/// edited (the entry before it still matches) or forked.
fn check_prefixes(cps: &[&Checkpoint], hashes: &[String], n: u64) -> Result<(), (Damage, String)> {
    let at = |k: u64| -> Option<&String> { k.checked_sub(1).and_then(|i| hashes.get(i as usize)) };
    let mut last_match: Option<&Checkpoint> = None;
    for c in cps {
        if c.entries > n {
            continue;
        }
        let head_now = if c.entries == 0 {
            Some(GENESIS.to_string())
        } else {
            at(c.entries).cloned()
        };
        if head_now.as_deref() == Some(c.head.as_str()) {
            last_match = Some(c);
            continue;
        }
        let prev_now = if c.entries <= 1 {
            Some(GENESIS.to_string())
        } else {
            at(c.entries - 1).cloned()
        };
        if c.entries > 1 && prev_now.as_deref() == Some(c.head_prev.as_str()) {
            return Err((
                Damage::Edited,
                format!(
                    "entry {} is not the one the checkpoint of {} signed, though the entry before it is: entry {} was edited and the hashes after it recomputed",
                    c.entries, c.time, c.entries
                ),
            ));
        }
        let since = last_match.map_or("its first entries".to_string(), |m| {
            format!(
                "entry {} (the checkpoint of {} still matches up to there)",
                m.entries, m.time
            )
        });
        return Err((
            Damage::Forked,
            format!(
                "entry {} is not the one the checkpoint of {} signed: the log was rewritten after {since}, its chain recomputed (a fork of the checkpointed log)",
                c.entries, c.time
            ),
        ));
    }
    Ok(())
}

/// The log still holds at least the newest checkpoint's entries.
fn check_length(newest: Option<&Checkpoint>, n: u64) -> Result<(), (Damage, String)> {
    if let Some(c) = newest
        && c.entries > n
    {
        return Err((
            Damage::Truncated,
            format!(
                "it has {n} entries; the checkpoint of {} signed {}: entries {} to {} were cut off",
                c.time,
                c.entries,
                n + 1,
                c.entries
            ),
        ));
    }
    Ok(())
}

/// Whether the entry missing at `line` (a `seq` gap) is found later in the log: moved, not
/// removed.
fn moved_later(bytes: &[u8], line: usize) -> bool {
    let seqs: Vec<Option<u64>> = bytes
        .split(|b| *b == b'\n')
        .map(|l| {
            serde_json::from_slice::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("seq").and_then(serde_json::Value::as_u64))
        })
        .collect();
    let expected = line as u64;
    seqs.iter().skip(line).any(|s| *s == Some(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Entry, Log, Origin, Outcome};

    fn key() -> KeyFile {
        KeyFile::from_seed("auditlog", [7; 32])
    }

    fn origin() -> Origin {
        Origin {
            time: time::macros::datetime!(2026-12-01 09:30 UTC),
            actor: "alice".into(),
            args: vec![],
        }
    }

    /// A log of `n` entries, and a checkpoint taken of it from what `append` returned.
    fn log_with(n: u64) -> (tempfile::TempDir, Log, Vec<Checkpoint>) {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path().join("audit.jsonl"));
        let mut cps = Vec::new();
        let mut first = None;
        for i in 0..n {
            let a = log
                .append(&Entry::new(&origin(), "scan", Outcome::Ok).reason(format!("run {i}")))
                .unwrap();
            let first = first.get_or_insert(a.hash.clone()).clone();
            if a.seq.is_multiple_of(3) {
                cps.push(Checkpoint::sign(
                    &key(),
                    &first,
                    a.seq,
                    &a.hash,
                    &a.prev,
                    origin().time,
                ));
            }
        }
        (dir, log, cps)
    }

    fn lines(log: &Log) -> Vec<Vec<u8>> {
        log.read_bytes()
            .unwrap()
            .split_inclusive(|b| *b == b'\n')
            .map(<[u8]>::to_vec)
            .collect()
    }

    /// Rewrites the log from `from` (0-based) on: each later line's `prev` recomputed, as an
    /// attacker who holds the file would.
    fn rechain(mut records: Vec<crate::audit::Record>) -> Vec<u8> {
        let mut prev = GENESIS.to_string();
        let mut out = Vec::new();
        for (i, r) in records.iter_mut().enumerate() {
            r.seq = i as u64 + 1;
            r.prev = prev.clone();
            let line = r.canonical();
            prev = hash_line(&line);
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
        out
    }

    #[test]
    fn an_intact_log_matches_and_a_grown_one_too() {
        let (_d, log, cps) = log_with(9);
        assert_eq!(cps.len(), 3);
        for c in &cps {
            c.verify(&key().public()).unwrap();
        }
        let m = check(Some(&log.read_bytes().unwrap()), &cps).unwrap();
        assert_eq!((m.entries, m.covered, m.checkpoints), (9, 9, 3));
        log.append(&Entry::new(&origin(), "scan", Outcome::Ok))
            .unwrap();
        assert!(check(Some(&log.read_bytes().unwrap()), &cps).is_ok());
    }

    #[test]
    fn each_kind_of_damage_is_named() {
        let (_d, log, cps) = log_with(9);
        let all = lines(&log);
        let kind = |bytes: Option<Vec<u8>>| check(bytes.as_deref(), &cps).unwrap_err().0;

        // A tail cut at a line boundary: the shorter log verifies on its own.
        let cut: Vec<u8> = all[..7].concat();
        assert!(verify(&cut, None).is_ok());
        assert_eq!(kind(Some(cut)), Damage::Truncated);
        // Cut mid-line.
        let mut torn = all.concat();
        torn.truncate(torn.len() - 5);
        assert_eq!(kind(Some(torn)), Damage::Truncated);
        // Deleted, emptied, deleted and started again.
        assert_eq!(kind(None), Damage::Deleted);
        assert_eq!(kind(Some(Vec::new())), Damage::Deleted);
        let mut records = log.records().unwrap();
        records[0].actor = "mallory".into();
        assert_eq!(kind(Some(rechain(records))), Damage::Deleted);
        // An entry edited in place (the next line's prev no longer matches).
        let mut edited = all.clone();
        edited[4] = String::from_utf8(edited[4].clone())
            .unwrap()
            .replace("run 4", "run X")
            .into_bytes();
        assert_eq!(kind(Some(edited.concat())), Damage::Edited);
        // The last checkpointed entry edited and everything after rechained.
        let mut records = log.records().unwrap();
        records[8].reason = Some("nothing happened".into());
        assert_eq!(kind(Some(rechain(records))), Damage::Edited);
        // Two entries swapped (seq kept).
        let mut swapped = all.clone();
        swapped.swap(3, 5);
        assert_eq!(kind(Some(swapped.concat())), Damage::Reordered);
        // Rewritten from entry 5 on, chain and seq recomputed: a fork.
        let mut records = log.records().unwrap();
        records[4].outcome = "refused".into();
        let (_, msg) = check(Some(&rechain(records)), &cps).unwrap_err();
        assert!(msg.contains("entry 3"), "{msg}");
        let mut records = log.records().unwrap();
        records.remove(4);
        records.push(records[6].clone());
        assert_eq!(kind(Some(rechain(records))), Damage::Forked);
    }

    #[test]
    fn a_forged_or_foreign_checkpoint_is_refused() {
        let (_d, _log, cps) = log_with(3);
        let mut forged = cps[0].clone();
        forged.entries = 2;
        assert!(forged.verify(&key().public()).is_err());
        let other = KeyFile::from_seed("other", [9; 32]);
        assert!(cps[0].verify(&other.public()).is_err());
        let line = cps[0].to_line();
        assert_eq!(
            parse_lines(&format!("{line}\n\n{line}\n")).unwrap().len(),
            2
        );
    }
}
