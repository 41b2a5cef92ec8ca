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

use rusqlite::types::ValueRef;
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};
use time::OffsetDateTime;

use super::sql::{self, Cell, Driver, Param, at_once};
use super::{Run, RunSummary, Tracked};
use crate::error::{Error, Result};

/// How long a run waits for another run's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

pub struct Sqlite {
    conn: Connection,
    shown: String,
}

/// The SQL's [`Driver`] over an open SQLite connection (in a transaction its caller began).
struct Db<'a> {
    conn: &'a Connection,
    shown: &'a str,
}

impl Db<'_> {
    fn err(&self, e: rusqlite::Error) -> Error {
        db_error(self.shown, e)
    }
}

fn bind<'p>(params: &'p [Param<'_>]) -> Vec<&'p dyn rusqlite::ToSql> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(n) => n as &dyn rusqlite::ToSql,
            Param::Text(s) => s,
            Param::MaybeText(s) => s,
        })
        .collect()
}

impl Driver for Db<'_> {
    fn shown(&self) -> &str {
        self.shown
    }

    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(bind(params).as_slice())
            .map_err(|e| db_error(self.shown, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| db_error(self.shown, e))? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(match row.get_ref(i).map_err(|e| db_error(self.shown, e))? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(n) => Cell::Int(n),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    // Neither is ever stored; the reader names the column as damaged.
                    ValueRef::Real(_) | ValueRef::Blob(_) => Cell::Null,
                });
            }
            out.push(cells);
        }
        Ok(out)
    }

    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
        stmt.execute(bind(params).as_slice())
            .map_err(|e| db_error(self.shown, e))?;
        Ok(())
    }

    async fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(|e| self.err(e))
    }
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

    /// Runs `work` in one immediate transaction (two runs at once serialize): committed when
    /// it succeeds, rolled back when it fails.
    fn in_transaction<T>(&mut self, work: impl AsyncFnOnce(&mut Db<'_>) -> Result<T>) -> Result<T> {
        let shown = self.shown.as_str();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| db_error(shown, e))?;
        let mut db = Db { conn: &tx, shown };
        let done = at_once(work(&mut db), shown)?;
        tx.commit().map_err(|e| db_error(shown, e))?;
        Ok(done)
    }

    /// Refuses a database with tables but no driftgate mark, or a newer schema; applies the
    /// missing migrations, each with its version row, in one immediate transaction. WAL is
    /// switched on only once the database is known to be ours (or empty).
    fn migrate(&mut self, now: OffsetDateTime) -> Result<()> {
        self.in_transaction(async |db| {
            let tables = db
                .query(
                    "SELECT name FROM sqlite_master WHERE type = 'table' \
                     AND name NOT LIKE 'sqlite_%' ORDER BY name",
                    &[],
                )
                .await?;
            let tables: Vec<String> = tables
                .into_iter()
                .flatten()
                .filter_map(|c| match c {
                    Cell::Text(t) => Some(t),
                    _ => None,
                })
                .collect();
            let current = if tables.is_empty() {
                0
            } else if !tables.iter().any(|t| t == "driftgate_meta") {
                return Err(Error::HistoryForeign {
                    location: db.shown.to_string(),
                    reason: format!(
                        "it is an SQLite database with other tables ({})",
                        tables.join(", ")
                    ),
                });
            } else {
                sql::marked_version(db).await?
            };
            sql::upgrade(db, current, true, now).await
        })?;
        // Readers never block the writer, and a crash mid-run leaves the file consistent.
        let _mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| db_error(&self.shown, e))?;
        Ok(())
    }

    /// Records `run` in one immediate transaction.
    pub fn record(&mut self, run: &Run) -> Result<Tracked> {
        self.in_transaction(async |db| sql::record(db, run).await)
    }

    /// The last `last` runs, oldest first.
    pub fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunSummary>> {
        let shown = self.shown.as_str();
        let mut db = Db {
            conn: &self.conn,
            shown,
        };
        at_once(sql::runs(&mut db, last), shown)
    }
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
