//! The history in an embedded SQLite file (`--history FILE`).
//!
//! Safety of the file comes first: before SQLite opens anything, a non-empty file must start
//! with SQLite's header, and once open, the database must pass `PRAGMA quick_check` and either
//! be empty or hold driftgate's `driftgate_meta` mark. Anything else is an error and the file
//! is left exactly as it was. Concurrent runs: WAL journal (readers never block the writer),
//! a busy timeout, and every write in one `BEGIN IMMEDIATE` transaction, so two runs writing at
//! once serialize and both land.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags, OptionalExtension, TransactionBehavior, params};
use time::OffsetDateTime;

use super::{
    Carried, FORMAT_MARK, FindingRecord, MIGRATIONS, Run, RunSummary, Tracked, format_time,
    from_json_list, latest_version, parse_severity, parse_time, to_json_list, track,
};
use crate::error::{Error, Result};
use crate::model::Severity;

/// How long a run waits for another run's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

pub struct Sqlite {
    conn: Connection,
    shown: String,
}

impl Sqlite {
    /// Opens (with `create`: creates) the history file and brings its schema up to date.
    pub fn open(path: &Path, create: bool, now: OffsetDateTime) -> Result<Sqlite> {
        let shown = path.display().to_string();
        check_file(path, create, &shown)?;
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(|e| db_error(&shown, e))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| db_error(&shown, e))?;
        let mut store = Sqlite { conn, shown };
        store.check_integrity()?;
        store.migrate(now)?;
        Ok(store)
    }

    fn check_integrity(&self) -> Result<()> {
        let verdict: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| db_error(&self.shown, e))?;
        if verdict != "ok" {
            return Err(Error::HistoryCorrupt {
                location: self.shown.clone(),
                reason: format!("SQLite's integrity check says: {verdict}"),
            });
        }
        Ok(())
    }

    /// Refuses a database with tables but no driftgate mark, or a newer schema; applies the
    /// missing migrations, each with its version row, in one immediate transaction. WAL is
    /// switched on only once the database is known to be ours (or empty).
    fn migrate(&mut self, now: OffsetDateTime) -> Result<()> {
        let shown = self.shown.clone();
        let err = |e| db_error(&shown, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let tables: Vec<String> = {
            let mut stmt = tx
                .prepare(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name",
                )
                .map_err(err)?;
            stmt.query_map([], |r| r.get(0))
                .map_err(err)?
                .collect::<std::result::Result<_, _>>()
                .map_err(err)?
        };
        let current = if tables.is_empty() {
            0
        } else if !tables.iter().any(|t| t == "driftgate_meta") {
            return Err(Error::HistoryForeign {
                location: shown.clone(),
                reason: format!(
                    "it is an SQLite database with other tables ({})",
                    tables.join(", ")
                ),
            });
        } else {
            let mark: Option<String> = tx
                .query_row(
                    "SELECT value FROM driftgate_meta WHERE key = 'format'",
                    [],
                    |r| r.get(0),
                )
                .optional()
                .map_err(err)?;
            if mark.as_deref() != Some(FORMAT_MARK) {
                return Err(Error::HistoryForeign {
                    location: shown.clone(),
                    reason: "its driftgate_meta table does not mark a driftgate history"
                        .to_string(),
                });
            }
            tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM driftgate_migrations",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(err)?
        };
        if current > latest_version() {
            return Err(Error::HistoryTooNew {
                location: shown.clone(),
                found: current,
                supported: latest_version(),
            });
        }
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            tx.execute_batch(sql).map_err(err)?;
            tx.execute(
                "INSERT INTO driftgate_migrations (version, applied_at) VALUES (?1, ?2)",
                params![version, format_time(now)],
            )
            .map_err(err)?;
        }
        tx.commit().map_err(err)?;
        // Readers never block the writer, and a crash mid-run leaves the file consistent.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(err)?;
        Ok(())
    }

    /// Records `run` in one immediate transaction: reads the scope's previous run, tracks,
    /// writes the run and its rows.
    pub fn record(&mut self, run: &Run) -> Result<Tracked> {
        let shown = self.shown.clone();
        let err = |e| db_error(&shown, e);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(err)?;
        let scope = run.scope();
        let previous_run: Option<i64> = tx
            .query_row(
                "SELECT MAX(id) FROM driftgate_runs WHERE scope = ?1",
                params![scope],
                |r| r.get(0),
            )
            .map_err(err)?;
        let mut previous = Vec::new();
        if let Some(prev) = previous_run {
            let mut stmt = tx
                .prepare(
                    "SELECT fingerprint, kind, resource_type, resource_id, address, state, region, \
                     severity, rule, paths, first_seen FROM driftgate_findings \
                     WHERE run_id = ?1 AND status IN ('new', 'open', 'unseen') ORDER BY fingerprint",
                )
                .map_err(err)?;
            let rows = stmt
                .query_map(params![prev], |r| {
                    Ok((
                        (
                            r.get::<_, String>(0)?,
                            r.get::<_, String>(1)?,
                            r.get::<_, String>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, Option<String>>(4)?,
                            r.get::<_, Option<String>>(5)?,
                            r.get::<_, Option<String>>(6)?,
                        ),
                        (
                            r.get::<_, String>(7)?,
                            r.get::<_, String>(8)?,
                            r.get::<_, String>(9)?,
                            r.get::<_, String>(10)?,
                        ),
                    ))
                })
                .map_err(err)?;
            for row in rows {
                let (
                    (fingerprint, kind, resource_type, resource_id, address, state, region),
                    (severity, rule, paths, first_seen),
                ) = row.map_err(err)?;
                previous.push(Carried {
                    record: FindingRecord {
                        fingerprint,
                        kind,
                        resource_type,
                        resource_id,
                        address,
                        state,
                        region,
                        severity: parse_severity(&severity, &shown)?,
                        rule,
                        paths: from_json_list(&paths, &shown)?,
                    },
                    first_seen: parse_time(&first_seen, &shown)?,
                });
            }
        }
        let id: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(id), 0) + 1 FROM driftgate_runs",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        let tracked = track(&previous, run, id, previous_run);
        let counts = run.counts().map(|(_, n)| n as i64);
        tx.execute(
            "INSERT INTO driftgate_runs (id, time, scope, command, actor, states, regions, \
             complete, exit_code, critical, high, medium, low, info, new_findings, \
             resolved_findings) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
             ?14, ?15, ?16)",
            params![
                id,
                format_time(run.time),
                scope,
                run.command,
                run.actor,
                to_json_list(&run.states),
                to_json_list(&run.regions),
                run.complete as i64,
                run.exit_code,
                counts[0],
                counts[1],
                counts[2],
                counts[3],
                counts[4],
                tracked.new_count() as i64,
                tracked.resolved.len() as i64,
            ],
        )
        .map_err(err)?;
        {
            let mut insert = tx
                .prepare(
                    "INSERT INTO driftgate_findings (run_id, fingerprint, status, first_seen, kind, \
                     resource_type, resource_id, address, state, region, severity, rule, paths) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                )
                .map_err(err)?;
            for (f, status, first_seen) in tracked.rows(run) {
                insert
                    .execute(params![
                        id,
                        f.fingerprint,
                        status.as_str(),
                        format_time(first_seen),
                        f.kind,
                        f.resource_type,
                        f.resource_id,
                        f.address,
                        f.state,
                        f.region,
                        f.severity.as_str(),
                        f.rule,
                        to_json_list(&f.paths),
                    ])
                    .map_err(err)?;
            }
        }
        tx.commit().map_err(err)?;
        Ok(tracked)
    }

    /// The last `last` runs, oldest first.
    pub fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunSummary>> {
        let shown = self.shown.clone();
        let err = |e| db_error(&shown, e);
        let limit = last.map_or(-1, |n| n as i64);
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, time, command, actor, states, regions, complete, exit_code, critical, \
                 high, medium, low, info, new_findings, resolved_findings FROM driftgate_runs \
                 ORDER BY id DESC LIMIT ?1",
            )
            .map_err(err)?;
        let rows = stmt
            .query_map(params![limit], |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, i64>(6)?,
                        r.get::<_, i64>(7)?,
                    ),
                    [
                        r.get::<_, i64>(8)?,
                        r.get::<_, i64>(9)?,
                        r.get::<_, i64>(10)?,
                        r.get::<_, i64>(11)?,
                        r.get::<_, i64>(12)?,
                    ],
                    (r.get::<_, i64>(13)?, r.get::<_, i64>(14)?),
                ))
            })
            .map_err(err)?;
        let mut out = Vec::new();
        for row in rows {
            let ((id, time, command, actor, states, regions, complete, exit_code), n, (new, res)) =
                row.map_err(err)?;
            out.push(RunSummary {
                id,
                time,
                command,
                actor,
                states: from_json_list(&states, &shown)?,
                regions: from_json_list(&regions, &shown)?,
                complete: complete != 0,
                exit_code,
                counts: counts(n),
                new,
                resolved: res,
            });
        }
        out.reverse();
        Ok(out)
    }
}

/// Severity counts in the order of [`Severity::ALL`].
pub(crate) fn counts(n: [i64; 5]) -> [(Severity, i64); 5] {
    let mut i = 0;
    Severity::ALL.map(|s| {
        i += 1;
        (s, n[i - 1])
    })
}

/// Before SQLite touches the file: it must be missing (then created only with `create`),
/// empty, or start with SQLite's header. A directory, or a file of another kind, is refused.
fn check_file(path: &Path, create: bool, shown: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(Error::HistoryForeign {
            location: shown.to_string(),
            reason: "it is a directory".to_string(),
        }),
        Ok(m) if m.len() == 0 => Ok(()),
        Ok(_) => {
            use std::io::Read;
            let mut head = Vec::new();
            std::fs::File::open(path)
                .and_then(|f| f.take(16).read_to_end(&mut head))
                .map_err(|e| Error::HistoryDatabase {
                    location: shown.to_string(),
                    reason: e.to_string(),
                })?;
            if head == SQLITE_HEADER {
                Ok(())
            } else {
                Err(Error::HistoryForeign {
                    location: shown.to_string(),
                    reason: "the file is not an SQLite database".to_string(),
                })
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if !create {
                return Err(Error::HistoryMissing {
                    location: shown.to_string(),
                });
            }
            match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() => {
                    std::fs::create_dir_all(dir).map_err(|e| Error::HistoryDatabase {
                        location: shown.to_string(),
                        reason: format!("cannot create its directory: {e}"),
                    })
                }
                _ => Ok(()),
            }
        }
        Err(e) => Err(Error::HistoryDatabase {
            location: shown.to_string(),
            reason: e.to_string(),
        }),
    }
}

/// SQLite's errors, by what they mean for the user.
fn db_error(shown: &str, e: rusqlite::Error) -> Error {
    let location = shown.to_string();
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => Error::HistoryCorrupt {
            location,
            reason: e.to_string(),
        },
        _ => Error::HistoryDatabase {
            location,
            reason: e.to_string(),
        },
    }
}
