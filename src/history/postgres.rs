//! The history in PostgreSQL (`--history postgres://user:password@host:port/db`), for teams
//! whose jobs (one per account and region) share one history. Same schema and migrations as
//! the SQLite file ([`super::MIGRATIONS`]); tables are prefixed `driftgate_` so the database
//! can hold others. Every migration and every run takes one transaction-scoped advisory lock
//! first, so concurrent jobs serialize and all land. Connections are plain TCP (no TLS yet):
//! use a loopback, a private network, or a TLS-terminating proxy.

use std::collections::HashMap;

use time::OffsetDateTime;
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, NoTls, Statement, Transaction};

use super::sql::{self, Cell, Driver, Param};
use super::{Run, RunSummary, Tracked};
use crate::error::{Error, Result};

/// The advisory lock every history transaction takes ("driftgat" in ASCII).
const LOCK_KEY: i64 = 0x6472_6966_7467_6174;

pub struct Postgres {
    client: Client,
    shown: String,
}

/// The SQL's [`Driver`] over a transaction that holds the history's advisory lock. Each
/// statement is prepared once per transaction (a run inserts one row per finding).
struct Db<'a> {
    tx: Transaction<'a>,
    shown: &'a str,
    prepared: HashMap<String, Statement>,
}

impl<'a> Db<'a> {
    /// Begins a transaction; one that writes (`lock`) takes the lock first.
    async fn begin(client: &'a mut Client, shown: &'a str, lock: bool) -> Result<Db<'a>> {
        let tx = client.transaction().await.map_err(|e| pg_error(shown, e))?;
        if lock {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
                .await
                .map_err(|e| pg_error(shown, e))?;
        }
        Ok(Db {
            tx,
            shown,
            prepared: HashMap::new(),
        })
    }

    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(|e| pg_error(self.shown, e))
    }

    async fn statement(&mut self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .tx
            .prepare(sql)
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }
}

fn bind<'p>(params: &'p [Param<'_>]) -> Vec<&'p (dyn ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(n) => n as &(dyn ToSql + Sync),
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
        let stmt = self.statement(sql).await?;
        let rows = self
            .tx
            .query(&stmt, &bind(params))
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        let cell = |r: &tokio_postgres::Row, i: usize| -> Result<Cell> {
            let got = match *r.columns()[i].type_() {
                Type::INT8 => r.try_get::<_, Option<i64>>(i).map(|n| n.map(Cell::Int)),
                Type::INT4 => r
                    .try_get::<_, Option<i32>>(i)
                    .map(|n| n.map(|n| Cell::Int(n.into()))),
                _ => r.try_get::<_, Option<String>>(i).map(|t| t.map(Cell::Text)),
            };
            got.map(|c| c.unwrap_or(Cell::Null))
                .map_err(|e| pg_error(self.shown, e))
        };
        rows.iter()
            .map(|r| (0..r.len()).map(|i| cell(r, i)).collect())
            .collect()
    }

    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()> {
        let stmt = self.statement(sql).await?;
        self.tx
            .execute(&stmt, &bind(params))
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        Ok(())
    }

    async fn batch(&mut self, sql: &str) -> Result<()> {
        self.tx
            .batch_execute(sql)
            .await
            .map_err(|e| pg_error(self.shown, e))
    }
}

impl Postgres {
    /// Connects, and (with `create`) creates or migrates the schema.
    pub async fn open(url: &str, create: bool, now: OffsetDateTime) -> Result<Postgres> {
        let shown = crate::mask::mask_url(url);
        let (client, connection) = tokio_postgres::connect(url, NoTls)
            .await
            .map_err(|e| pg_error(&shown, e))?;
        tokio::spawn(async move {
            // The connection ends when the client is dropped; its error, if any, surfaces as
            // the next query's error.
            let _ = connection.await;
        });
        let mut store = Postgres { client, shown };
        store.migrate(create, now).await?;
        Ok(store)
    }

    async fn migrate(&mut self, create: bool, now: OffsetDateTime) -> Result<()> {
        let shown = self.shown.as_str();
        let mut db = Db::begin(&mut self.client, shown, true).await?;
        let exists = db
            .query("SELECT CAST(to_regclass('driftgate_meta') AS TEXT)", &[])
            .await?;
        let exists = !matches!(
            exists.first().and_then(|r| r.first()),
            Some(Cell::Null) | None
        );
        let current = if exists {
            sql::marked_version(&mut db).await?
        } else if create {
            0
        } else {
            return Err(Error::HistoryMissing {
                location: shown.to_string(),
            });
        };
        sql::upgrade(&mut db, current, create, now).await?;
        db.commit().await
    }

    /// Records `run` in one transaction under the history's advisory lock.
    pub async fn record(&mut self, run: &Run) -> Result<Tracked> {
        let mut db = Db::begin(&mut self.client, &self.shown, true).await?;
        let tracked = sql::record(&mut db, run).await?;
        db.commit().await?;
        Ok(tracked)
    }

    /// The last `last` runs, oldest first.
    pub async fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunSummary>> {
        let mut db = Db::begin(&mut self.client, &self.shown, false).await?;
        let runs = sql::runs(&mut db, last).await?;
        db.commit().await?;
        Ok(runs)
    }
}

/// A PostgreSQL error as a history error: the server's own message when there is one, the
/// connection's otherwise; any URL in it is masked.
fn pg_error(shown: &str, e: tokio_postgres::Error) -> Error {
    let reason = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text.push_str(": ");
                text.push_str(&s.to_string());
                source = s.source();
            }
            text
        }
    };
    Error::HistoryDatabase {
        location: shown.to_string(),
        reason: crate::mask::mask_text(&reason),
    }
}
