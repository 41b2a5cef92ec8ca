//! The approval service's store: an embedded SQLite file (the default) or PostgreSQL
//! (`--store postgres://...`), one schema with versioned migrations ([`MIGRATIONS`]). As in
//! the run history (`src/history`), the SQL is written once, over [`Driver`], in the common
//! subset of both databases (`BIGINT`, `TEXT`, `$1` parameters used once and in order).
//!
//! Every call runs in a transaction: SQLite's `BEGIN IMMEDIATE` (writers serialize), and in
//! PostgreSQL a transaction-scoped advisory lock, so several services sharing one database
//! never count an approval twice or lose one. The service calls the store from one task only
//! (see [`super::serve`]), which makes a batch of commands in one transaction (a savepoint
//! each: a group commit), so the store needs no locking of its own.

use time::OffsetDateTime;

use crate::error::{Error, Result};

/// The schema, version by version: each entry runs once, in order, with its row in
/// `driftgate_serve_migrations`. Never edit an entry that has shipped: add the next version.
pub const MIGRATIONS: &[(i64, &str)] = &[
    (
        1,
        "CREATE TABLE driftgate_serve_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     INSERT INTO driftgate_serve_meta (key, value) VALUES ('format', 'driftgate-approval-service');
     CREATE TABLE driftgate_serve_migrations (version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL);
     CREATE TABLE driftgate_requests (
         digest TEXT PRIMARY KEY,
         plan TEXT NOT NULL,
         summary TEXT NOT NULL,
         policy TEXT NOT NULL,
         trust_root TEXT,
         expires TEXT NOT NULL,
         required BIGINT NOT NULL,
         requested_by TEXT NOT NULL,
         created TEXT NOT NULL,
         denied_by TEXT,
         denied_reason TEXT,
         denied_at TEXT
     );
     CREATE TABLE driftgate_request_approvals (
         digest TEXT NOT NULL REFERENCES driftgate_requests (digest),
         fingerprint TEXT NOT NULL,
         approver TEXT NOT NULL,
         token TEXT NOT NULL,
         expires TEXT NOT NULL,
         received TEXT NOT NULL,
         client TEXT NOT NULL,
         PRIMARY KEY (digest, fingerprint)
     );",
    ),
    (
        2,
        // What lets a restarted service go on where it stopped in Slack: the signatures seen
        // within their window (a replay is refused across a restart), and each request's
        // message (updated in place).
        "CREATE TABLE driftgate_slack_seen (
         signature TEXT PRIMARY KEY,
         until_unix BIGINT NOT NULL
     );
     CREATE TABLE driftgate_slack_messages (
         digest TEXT PRIMARY KEY REFERENCES driftgate_requests (digest),
         channel TEXT NOT NULL,
         ts TEXT NOT NULL
     );",
    ),
];

/// The mark of a store driftgate created.
const FORMAT_MARK: &str = "driftgate-approval-service";
/// The advisory lock every PostgreSQL transaction of the service takes ("dgserve!").
const LOCK_KEY: i64 = 0x6467_7365_7276_6521;

/// A statement's parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Param<'a> {
    Int(i64),
    Text(&'a str),
    MaybeText(Option<&'a str>),
}

/// One value of a row.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// What the SQL needs of a database: one statement at a time, in the open transaction.
pub(crate) trait Driver {
    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>>;
    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64>;
    async fn batch(&mut self, sql: &str) -> Result<()>;
}

/// A stored request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRequest {
    pub digest: String,
    /// The plan file's text, as submitted.
    pub plan: String,
    pub summary: String,
    pub policy: String,
    pub trust_root: Option<String>,
    pub expires: String,
    pub required: i64,
    pub requested_by: String,
    pub created: String,
    /// Who denied it, why, when.
    pub denial: Option<(String, String, String)>,
    pub approvals: Vec<StoredApproval>,
}

/// A counted approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredApproval {
    pub approver: String,
    pub fingerprint: String,
    pub token: String,
    pub expires: String,
    pub received: String,
    pub client: String,
}

fn text(c: &Cell) -> Result<String> {
    match c {
        Cell::Text(t) => Ok(t.clone()),
        _ => Err(damaged("a stored column is not text")),
    }
}

fn maybe_text(c: &Cell) -> Result<Option<String>> {
    match c {
        Cell::Null => Ok(None),
        c => text(c).map(Some),
    }
}

fn damaged(reason: &str) -> Error {
    Error::ServeStore {
        location: "the store".into(),
        reason: reason.into(),
    }
}

/// Creates or migrates the schema; refuses a database driftgate did not create, and a newer
/// schema.
pub(crate) async fn migrate<D: Driver>(db: &mut D, exists: bool, now: &str) -> Result<()> {
    let current = if exists {
        let mark = db
            .query(
                "SELECT value FROM driftgate_serve_meta WHERE key = 'format'",
                &[],
            )
            .await?;
        if !matches!(mark.first().and_then(|r| r.first()), Some(Cell::Text(m)) if m == FORMAT_MARK)
        {
            return Err(damaged(
                "its driftgate_serve_meta table does not mark an approval service store",
            ));
        }
        let v = db
            .query(
                "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM driftgate_serve_migrations",
                &[],
            )
            .await?;
        match v.first().and_then(|r| r.first()) {
            Some(Cell::Int(n)) => *n,
            _ => 0,
        }
    } else {
        0
    };
    let latest = MIGRATIONS.last().map_or(0, |(v, _)| *v);
    if current > latest {
        return Err(damaged(&format!(
            "its schema is version {current}, this driftgate knows up to {latest}: upgrade driftgate"
        )));
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
        db.batch(sql).await?;
        db.execute(
            "INSERT INTO driftgate_serve_migrations (version, applied_at) VALUES ($1, $2)",
            &[Param::Int(*version), Param::Text(now)],
        )
        .await?;
    }
    Ok(())
}

/// Inserts a request; `false` when one with this digest is there already.
pub(crate) async fn insert<D: Driver>(db: &mut D, r: &StoredRequest) -> Result<bool> {
    if get(db, &r.digest).await?.is_some() {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO driftgate_requests (digest, plan, summary, policy, trust_root, expires, \
         required, requested_by, created) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        &[
            Param::Text(&r.digest),
            Param::Text(&r.plan),
            Param::Text(&r.summary),
            Param::Text(&r.policy),
            Param::MaybeText(r.trust_root.as_deref()),
            Param::Text(&r.expires),
            Param::Int(r.required),
            Param::Text(&r.requested_by),
            Param::Text(&r.created),
        ],
    )
    .await?;
    Ok(true)
}

/// The request with this digest and its approvals (oldest first).
pub(crate) async fn get<D: Driver>(db: &mut D, digest: &str) -> Result<Option<StoredRequest>> {
    let rows = db
        .query(
            "SELECT digest, plan, summary, policy, trust_root, expires, required, requested_by, \
             created, denied_by, denied_reason, denied_at FROM driftgate_requests WHERE digest = $1",
            &[Param::Text(digest)],
        )
        .await?;
    let Some(r) = rows.into_iter().next() else {
        return Ok(None);
    };
    if r.len() != 12 {
        return Err(damaged("a request row has the wrong number of columns"));
    }
    let required = match &r[6] {
        Cell::Int(n) => *n,
        _ => return Err(damaged("a stored `required` is not a number")),
    };
    let denial = match (maybe_text(&r[9])?, maybe_text(&r[10])?, maybe_text(&r[11])?) {
        (Some(by), Some(why), Some(at)) => Some((by, why, at)),
        _ => None,
    };
    let rows = db
        .query(
            "SELECT approver, fingerprint, token, expires, received, client FROM \
             driftgate_request_approvals WHERE digest = $1 ORDER BY received, fingerprint",
            &[Param::Text(digest)],
        )
        .await?;
    let mut approvals = Vec::new();
    for a in rows {
        if a.len() != 6 {
            return Err(damaged("an approval row has the wrong number of columns"));
        }
        approvals.push(StoredApproval {
            approver: text(&a[0])?,
            fingerprint: text(&a[1])?,
            token: text(&a[2])?,
            expires: text(&a[3])?,
            received: text(&a[4])?,
            client: text(&a[5])?,
        });
    }
    Ok(Some(StoredRequest {
        digest: text(&r[0])?,
        plan: text(&r[1])?,
        summary: text(&r[2])?,
        policy: text(&r[3])?,
        trust_root: maybe_text(&r[4])?,
        expires: text(&r[5])?,
        required,
        requested_by: text(&r[7])?,
        created: text(&r[8])?,
        denial,
        approvals,
    }))
}

/// Records a counted approval; `false` when this key's approval is there already (the primary
/// key holds it too).
pub(crate) async fn add_approval<D: Driver>(
    db: &mut D,
    digest: &str,
    a: &StoredApproval,
) -> Result<bool> {
    let there = db
        .query(
            "SELECT fingerprint FROM driftgate_request_approvals WHERE digest = $1 AND fingerprint = $2",
            &[Param::Text(digest), Param::Text(&a.fingerprint)],
        )
        .await?;
    if !there.is_empty() {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO driftgate_request_approvals (digest, fingerprint, approver, token, expires, \
         received, client) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            Param::Text(digest),
            Param::Text(&a.fingerprint),
            Param::Text(&a.approver),
            Param::Text(&a.token),
            Param::Text(&a.expires),
            Param::Text(&a.received),
            Param::Text(&a.client),
        ],
    )
    .await?;
    Ok(true)
}

/// Records a denial (the first one stands).
pub(crate) async fn deny<D: Driver>(
    db: &mut D,
    digest: &str,
    by: &str,
    reason: &str,
    at: &str,
) -> Result<()> {
    db.execute(
        "UPDATE driftgate_requests SET denied_by = $1, denied_reason = $2, denied_at = $3 \
         WHERE digest = $4 AND denied_by IS NULL",
        &[
            Param::Text(by),
            Param::Text(reason),
            Param::Text(at),
            Param::Text(digest),
        ],
    )
    .await?;
    Ok(())
}

/// Records a verified Slack signature (by its SHA-256: `signature` is the caller's digest of
/// it) until `until` (unix seconds); `false` when it was recorded before: a replay. Signatures
/// whose window passed before `now` are forgotten (their timestamp is refused anyway).
pub(crate) async fn first_sight<D: Driver>(
    db: &mut D,
    signature: &str,
    until: i64,
    now: i64,
) -> Result<bool> {
    db.execute(
        "DELETE FROM driftgate_slack_seen WHERE until_unix < $1",
        &[Param::Int(now)],
    )
    .await?;
    let there = db
        .query(
            "SELECT until_unix FROM driftgate_slack_seen WHERE signature = $1",
            &[Param::Text(signature)],
        )
        .await?;
    if !there.is_empty() {
        return Ok(false);
    }
    db.execute(
        "INSERT INTO driftgate_slack_seen (signature, until_unix) VALUES ($1, $2)",
        &[Param::Text(signature), Param::Int(until)],
    )
    .await?;
    Ok(true)
}

/// Records where the request's Slack message is (its channel and timestamp), to update it in
/// place. The first one stands.
pub(crate) async fn set_message<D: Driver>(
    db: &mut D,
    digest: &str,
    channel: &str,
    ts: &str,
) -> Result<()> {
    if message(db, digest).await?.is_some() {
        return Ok(());
    }
    db.execute(
        "INSERT INTO driftgate_slack_messages (digest, channel, ts) VALUES ($1, $2, $3)",
        &[Param::Text(digest), Param::Text(channel), Param::Text(ts)],
    )
    .await?;
    Ok(())
}

/// The request's Slack message: its channel and timestamp.
pub(crate) async fn message<D: Driver>(
    db: &mut D,
    digest: &str,
) -> Result<Option<(String, String)>> {
    let rows = db
        .query(
            "SELECT channel, ts FROM driftgate_slack_messages WHERE digest = $1",
            &[Param::Text(digest)],
        )
        .await?;
    match rows.first().map(Vec::as_slice) {
        None => Ok(None),
        Some([channel, ts]) => Ok(Some((text(channel)?, text(ts)?))),
        Some(_) => Err(damaged("a message row has the wrong number of columns")),
    }
}

/// An open store.
pub enum Store {
    Sqlite {
        conn: rusqlite::Connection,
        shown: String,
    },
    Postgres {
        client: tokio_postgres::Client,
        shown: String,
    },
}

struct SqliteDb<'a> {
    conn: &'a rusqlite::Connection,
    shown: &'a str,
}

fn sqlite_error(shown: &str, e: rusqlite::Error) -> Error {
    Error::ServeStore {
        location: shown.to_string(),
        reason: e.to_string(),
    }
}

fn sqlite_bind<'p>(params: &'p [Param<'_>]) -> Vec<&'p dyn rusqlite::ToSql> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(n) => n as &dyn rusqlite::ToSql,
            Param::Text(s) => s,
            Param::MaybeText(s) => s,
        })
        .collect()
}

impl Driver for SqliteDb<'_> {
    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| sqlite_error(self.shown, e))?;
        let width = stmt.column_count();
        let mut rows = stmt
            .query(sqlite_bind(params).as_slice())
            .map_err(|e| sqlite_error(self.shown, e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| sqlite_error(self.shown, e))? {
            let mut cells = Vec::with_capacity(width);
            for i in 0..width {
                cells.push(
                    match row.get_ref(i).map_err(|e| sqlite_error(self.shown, e))? {
                        ValueRef::Integer(n) => Cell::Int(n),
                        ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                        _ => Cell::Null,
                    },
                );
            }
            out.push(cells);
        }
        Ok(out)
    }

    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        let mut stmt = self
            .conn
            .prepare_cached(sql)
            .map_err(|e| sqlite_error(self.shown, e))?;
        let n = stmt
            .execute(sqlite_bind(params).as_slice())
            .map_err(|e| sqlite_error(self.shown, e))?;
        Ok(n as u64)
    }

    async fn batch(&mut self, sql: &str) -> Result<()> {
        self.conn
            .execute_batch(sql)
            .map_err(|e| sqlite_error(self.shown, e))
    }
}

struct PgDb<'a> {
    tx: tokio_postgres::Transaction<'a>,
    shown: &'a str,
}

fn pg_error(shown: &str, e: tokio_postgres::Error) -> Error {
    let reason = match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => e.to_string(),
    };
    Error::ServeStore {
        location: shown.to_string(),
        reason: crate::mask::mask_text(&reason),
    }
}

fn pg_bind<'p>(params: &'p [Param<'_>]) -> Vec<&'p (dyn tokio_postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(n) => n as &(dyn tokio_postgres::types::ToSql + Sync),
            Param::Text(s) => s,
            Param::MaybeText(s) => s,
        })
        .collect()
}

impl Driver for PgDb<'_> {
    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>> {
        use tokio_postgres::types::Type;
        let rows = self
            .tx
            .query(sql, &pg_bind(params))
            .await
            .map_err(|e| pg_error(self.shown, e))?;
        let mut out = Vec::new();
        for r in &rows {
            let mut cells = Vec::new();
            for i in 0..r.len() {
                let got = match *r.columns()[i].type_() {
                    Type::INT8 => r.try_get::<_, Option<i64>>(i).map(|n| n.map(Cell::Int)),
                    Type::INT4 => r
                        .try_get::<_, Option<i32>>(i)
                        .map(|n| n.map(|n| Cell::Int(n.into()))),
                    _ => r.try_get::<_, Option<String>>(i).map(|t| t.map(Cell::Text)),
                };
                cells.push(
                    got.map_err(|e| pg_error(self.shown, e))?
                        .unwrap_or(Cell::Null),
                );
            }
            out.push(cells);
        }
        Ok(out)
    }

    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64> {
        self.tx
            .execute(sql, &pg_bind(params))
            .await
            .map_err(|e| pg_error(self.shown, e))
    }

    async fn batch(&mut self, sql: &str) -> Result<()> {
        self.tx
            .batch_execute(sql)
            .await
            .map_err(|e| pg_error(self.shown, e))
    }
}

/// Runs `$body` with `$db` bound to a driver in one transaction of `$store` (committed when it
/// succeeds, rolled back otherwise).
macro_rules! in_tx {
    ($store:expr, |$db:ident| $body:expr) => {
        match $store {
            $crate::serve::store::Store::Sqlite { conn, shown } => {
                let tx = conn
                    .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
                    .map_err(|e| $crate::serve::store::sqlite_error_pub(shown, e))?;
                let out: $crate::error::Result<_> = {
                    let mut db = $crate::serve::store::sqlite_db(&tx, shown);
                    let $db = &mut db;
                    $body.await
                };
                match out {
                    Ok(v) => {
                        tx.commit()
                            .map_err(|e| $crate::serve::store::sqlite_error_pub(shown, e))?;
                        Ok(v)
                    }
                    Err(e) => Err(e),
                }
            }
            $crate::serve::store::Store::Postgres { client, shown } => {
                let mut db = $crate::serve::store::pg_begin(client, shown).await?;
                let out: $crate::error::Result<_> = {
                    let $db = &mut db;
                    $body.await
                };
                match out {
                    Ok(v) => {
                        $crate::serve::store::pg_commit(db).await?;
                        Ok(v)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    };
}
pub(crate) use in_tx;

pub(crate) fn sqlite_error_pub(shown: &str, e: rusqlite::Error) -> Error {
    sqlite_error(shown, e)
}

pub(crate) fn sqlite_db<'a>(conn: &'a rusqlite::Connection, shown: &'a str) -> impl Driver + 'a {
    SqliteDb { conn, shown }
}

pub(crate) async fn pg_begin<'a>(
    client: &'a mut tokio_postgres::Client,
    shown: &'a str,
) -> Result<impl Driver + 'a + Committable> {
    let tx = client.transaction().await.map_err(|e| pg_error(shown, e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
        .await
        .map_err(|e| pg_error(shown, e))?;
    Ok(PgDb { tx, shown })
}

/// A transaction that can be committed.
pub(crate) trait Committable {
    async fn commit(self) -> Result<()>;
}

impl Committable for PgDb<'_> {
    async fn commit(self) -> Result<()> {
        self.tx.commit().await.map_err(|e| pg_error(self.shown, e))
    }
}

pub(crate) async fn pg_commit(db: impl Committable) -> Result<()> {
    db.commit().await
}

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

impl Store {
    /// Opens (creating when missing) the store at `location` (a file path or a postgres://
    /// URL) and brings its schema up to date.
    pub async fn open(location: &str, now: OffsetDateTime) -> Result<Store> {
        let now = crate::model::tracked::format_time(now);
        let lower = location.to_ascii_lowercase();
        let mut store = if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            let shown = crate::mask::mask_url(location);
            let (client, connection) = tokio_postgres::connect(location, tokio_postgres::NoTls)
                .await
                .map_err(|e| pg_error(&shown, e))?;
            tokio::spawn(async move {
                let _ = connection.await;
            });
            Store::Postgres { client, shown }
        } else {
            let shown = location.to_string();
            let path = std::path::Path::new(location);
            if let Ok(m) = std::fs::metadata(path) {
                use std::io::Read as _;
                let mut head = Vec::new();
                if m.is_dir() {
                    return Err(Error::ServeStore {
                        location: shown,
                        reason: "it is a directory".into(),
                    });
                }
                std::fs::File::open(path)
                    .and_then(|f| f.take(16).read_to_end(&mut head))
                    .map_err(|e| Error::ServeStore {
                        location: shown.clone(),
                        reason: e.to_string(),
                    })?;
                if m.len() > 0 && head != SQLITE_HEADER {
                    return Err(Error::ServeStore {
                        location: shown,
                        reason: "the file is not an SQLite database".into(),
                    });
                }
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| Error::ServeStore {
                    location: shown.clone(),
                    reason: format!("cannot create its directory: {e}"),
                })?;
            }
            let conn = rusqlite::Connection::open(path).map_err(|e| sqlite_error(&shown, e))?;
            conn.busy_timeout(std::time::Duration::from_secs(30))
                .map_err(|e| sqlite_error(&shown, e))?;
            Store::Sqlite { conn, shown }
        };
        let exists = match &mut store {
            Store::Sqlite { conn, shown } => {
                let n: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(|e| sqlite_error(shown, e))?;
                let ours: i64 = conn
                    .query_row(
                        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'driftgate_serve_meta'",
                        [],
                        |r| r.get(0),
                    )
                    .map_err(|e| sqlite_error(shown, e))?;
                if n > 0 && ours == 0 {
                    return Err(Error::ServeStore {
                        location: shown.clone(),
                        reason: "it is an SQLite database with other tables".into(),
                    });
                }
                ours > 0
            }
            Store::Postgres { client, shown } => {
                let row = client
                    .query_one(
                        "SELECT CAST(to_regclass('driftgate_serve_meta') AS TEXT)",
                        &[],
                    )
                    .await
                    .map_err(|e| pg_error(shown, e))?;
                row.try_get::<_, Option<String>>(0)
                    .map_err(|e| pg_error(shown, e))?
                    .is_some()
            }
        };
        in_tx!(&mut store, |db| migrate(db, exists, &now))?;
        if let Store::Sqlite { conn, shown } = &store {
            let _mode: String = conn
                .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
                .map_err(|e| sqlite_error(shown, e))?;
        }
        Ok(store)
    }
}
