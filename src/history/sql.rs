//! The history's SQL and row mapping, written once for both stores. A store ([`super::sqlite`],
//! [`super::postgres`]) is a [`Driver`]: it runs one statement with parameters inside the
//! transaction it opened (and locked its own way), and hands rows back as [`Cell`]s. Every
//! statement here is the common subset of SQLite and PostgreSQL: `BIGINT` and `TEXT` values,
//! `$1`-style parameters each used once and in order (SQLite numbers them as they appear),
//! `CAST` rather than `::`.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use time::OffsetDateTime;

use super::{
    Carried, FORMAT_MARK, FindingRecord, MIGRATIONS, Run, RunSummary, Tracked, format_time,
    from_json_list, latest_version, parse_severity, parse_time, to_json_list, track,
};
use crate::error::{Error, Result};
use crate::model::Severity;

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
    /// The history's location for messages (a URL without its password).
    fn shown(&self) -> &str;
    /// Runs a statement; its rows.
    async fn query(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>>;
    /// Runs a statement that returns no rows.
    async fn execute(&mut self, sql: &str, params: &[Param<'_>]) -> Result<()>;
    /// Runs several statements without parameters (a migration).
    async fn batch(&mut self, sql: &str) -> Result<()>;
}

/// A row read by column, each value checked: a value of another type means a damaged history.
struct Row<'a> {
    cells: Vec<Cell>,
    shown: &'a str,
}

impl Row<'_> {
    fn wrong(&self, i: usize, want: &str) -> Error {
        Error::HistoryCorrupt {
            location: self.shown.to_string(),
            reason: format!("a stored column ({}) is not {want}", i + 1),
        }
    }

    fn int(&self, i: usize) -> Result<i64> {
        match self.cells.get(i) {
            Some(Cell::Int(n)) => Ok(*n),
            _ => Err(self.wrong(i, "a number")),
        }
    }

    fn maybe_int(&self, i: usize) -> Result<Option<i64>> {
        match self.cells.get(i) {
            Some(Cell::Null) => Ok(None),
            _ => self.int(i).map(Some),
        }
    }

    fn maybe_text(&mut self, i: usize) -> Result<Option<String>> {
        match self.cells.get_mut(i) {
            Some(Cell::Null) => Ok(None),
            Some(Cell::Text(s)) => Ok(Some(std::mem::take(s))),
            _ => Err(self.wrong(i, "text")),
        }
    }

    fn text(&mut self, i: usize) -> Result<String> {
        match self.maybe_text(i)? {
            Some(s) => Ok(s),
            None => Err(self.wrong(i, "text")),
        }
    }
}

/// The first value of a statement's first row (`None` for `NULL` or no row).
async fn single<D: Driver>(db: &mut D, sql: &str, params: &[Param<'_>]) -> Result<Option<i64>> {
    let shown = db.shown().to_string();
    let found = db.query(sql, params).await?;
    match found.into_iter().next() {
        Some(cells) => Row {
            cells,
            shown: &shown,
        }
        .maybe_int(0),
        None => Ok(None),
    }
}

/// In a database that holds a `driftgate_meta` table: refuses one without driftgate's mark,
/// and returns the schema version its migrations reached.
pub(crate) async fn marked_version<D: Driver>(db: &mut D) -> Result<i64> {
    let shown = db.shown().to_string();
    let mark = db
        .query("SELECT value FROM driftgate_meta WHERE key = 'format'", &[])
        .await?;
    let marked =
        matches!(mark.first().and_then(|r| r.first()), Some(Cell::Text(m)) if m == FORMAT_MARK);
    if !marked {
        return Err(Error::HistoryForeign {
            location: shown,
            reason: "its driftgate_meta table does not mark a driftgate history".to_string(),
        });
    }
    let version = "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) FROM driftgate_migrations";
    Ok(single(db, version, &[]).await?.unwrap_or(0))
}

/// Refuses a schema newer than this driftgate's; with `apply`, runs the migrations after
/// `current`, each with its version row.
pub(crate) async fn upgrade<D: Driver>(
    db: &mut D,
    current: i64,
    apply: bool,
    now: OffsetDateTime,
) -> Result<()> {
    if current > latest_version() {
        return Err(Error::HistoryTooNew {
            location: db.shown().to_string(),
            found: current,
            supported: latest_version(),
        });
    }
    if apply {
        for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
            db.batch(sql).await?;
            let applied = format_time(now);
            db.execute(
                "INSERT INTO driftgate_migrations (version, applied_at) VALUES ($1, $2)",
                &[Param::Int(*version), Param::Text(&applied)],
            )
            .await?;
        }
    }
    Ok(())
}

/// The findings the scope's previous run left open (or carried as unseen).
async fn carried<D: Driver>(db: &mut D, previous_run: i64) -> Result<Vec<Carried>> {
    let shown = db.shown().to_string();
    let found = db
        .query(
            "SELECT fingerprint, kind, resource_type, resource_id, address, state, region, \
             severity, rule, paths, first_seen FROM driftgate_findings \
             WHERE run_id = $1 AND status IN ('new', 'open', 'unseen') ORDER BY fingerprint",
            &[Param::Int(previous_run)],
        )
        .await?;
    let mut previous = Vec::new();
    for cells in found {
        let mut r = Row {
            cells,
            shown: &shown,
        };
        previous.push(Carried {
            record: FindingRecord {
                fingerprint: r.text(0)?,
                kind: r.text(1)?,
                resource_type: r.text(2)?,
                resource_id: r.text(3)?,
                address: r.maybe_text(4)?,
                state: r.maybe_text(5)?,
                region: r.maybe_text(6)?,
                severity: parse_severity(&r.text(7)?, &shown)?,
                rule: r.text(8)?,
                paths: from_json_list(&r.text(9)?, &shown)?,
            },
            first_seen: parse_time(&r.text(10)?, &shown)?,
        });
    }
    Ok(previous)
}

/// Records `run` in the open transaction: reads the scope's previous run, tracks, writes the
/// run and its rows.
pub(crate) async fn record<D: Driver>(db: &mut D, run: &Run) -> Result<Tracked> {
    let scope = run.scope();
    let previous_run = single(
        db,
        "SELECT CAST(MAX(id) AS BIGINT) FROM driftgate_runs WHERE scope = $1",
        &[Param::Text(&scope)],
    )
    .await?;
    let previous = match previous_run {
        Some(prev) => carried(db, prev).await?,
        None => Vec::new(),
    };
    let next = "SELECT CAST(COALESCE(MAX(id), 0) + 1 AS BIGINT) FROM driftgate_runs";
    let id = single(db, next, &[]).await?.unwrap_or(1);
    let tracked = track(&previous, run, id, previous_run);
    let counts = run.counts().map(|(_, n)| Param::Int(n as i64));
    let (time, states, regions) = (
        format_time(run.time),
        to_json_list(&run.states),
        to_json_list(&run.regions),
    );
    let mut params = vec![
        Param::Int(id),
        Param::Text(&time),
        Param::Text(&scope),
        Param::Text(&run.command),
        Param::Text(&run.actor),
        Param::Text(&states),
        Param::Text(&regions),
        Param::Int(run.complete as i64),
        Param::Int(run.exit_code),
    ];
    params.extend(counts);
    params.push(Param::Int(tracked.new_count() as i64));
    params.push(Param::Int(tracked.resolved.len() as i64));
    db.execute(
        "INSERT INTO driftgate_runs (id, time, scope, command, actor, states, regions, \
         complete, exit_code, critical, high, medium, low, info, new_findings, \
         resolved_findings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14, $15, $16)",
        &params,
    )
    .await?;
    for (f, status, first_seen) in tracked.rows(run) {
        let (first_seen, paths) = (format_time(first_seen), to_json_list(&f.paths));
        db.execute(
            "INSERT INTO driftgate_findings (run_id, fingerprint, status, first_seen, kind, \
             resource_type, resource_id, address, state, region, severity, rule, paths) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &[
                Param::Int(id),
                Param::Text(&f.fingerprint),
                Param::Text(status.as_str()),
                Param::Text(&first_seen),
                Param::Text(&f.kind),
                Param::Text(&f.resource_type),
                Param::Text(&f.resource_id),
                Param::MaybeText(f.address.as_deref()),
                Param::MaybeText(f.state.as_deref()),
                Param::MaybeText(f.region.as_deref()),
                Param::Text(f.severity.as_str()),
                Param::Text(&f.rule),
                Param::Text(&paths),
            ],
        )
        .await?;
    }
    Ok(tracked)
}

/// The last `last` runs (all without a limit), oldest first.
pub(crate) async fn runs<D: Driver>(db: &mut D, last: Option<usize>) -> Result<Vec<RunSummary>> {
    let shown = db.shown().to_string();
    let limit = last.map_or(i64::MAX, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let found = db
        .query(
            "SELECT id, time, command, actor, states, regions, complete, exit_code, critical, \
             high, medium, low, info, new_findings, resolved_findings FROM driftgate_runs \
             ORDER BY id DESC LIMIT $1",
            &[Param::Int(limit)],
        )
        .await?;
    let mut out = Vec::new();
    for cells in found {
        let mut r = Row {
            cells,
            shown: &shown,
        };
        let n = [r.int(8)?, r.int(9)?, r.int(10)?, r.int(11)?, r.int(12)?];
        out.push(RunSummary {
            id: r.int(0)?,
            time: r.text(1)?,
            command: r.text(2)?,
            actor: r.text(3)?,
            states: from_json_list(&r.text(4)?, &shown)?,
            regions: from_json_list(&r.text(5)?, &shown)?,
            complete: r.int(6)? != 0,
            exit_code: r.int(7)?,
            counts: counts(n),
            new: r.int(13)?,
            resolved: r.int(14)?,
        });
    }
    out.reverse();
    Ok(out)
}

/// Severity counts in the order of [`Severity::ALL`].
pub(crate) fn counts(n: [i64; 5]) -> [(Severity, i64); 5] {
    let mut i = 0;
    Severity::ALL.map(|s| {
        i += 1;
        (s, n[i - 1])
    })
}

/// Runs a future that never waits to its end: the SQLite driver's (every call returns at once,
/// so its first poll is its last). A future that does wait is a bug, and an error, not a hang.
pub(crate) fn at_once<T>(f: impl Future<Output = Result<T>>, shown: &str) -> Result<T> {
    let mut f = pin!(f);
    match f.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(r) => r,
        Poll::Pending => Err(Error::HistoryDatabase {
            location: shown.to_string(),
            reason: "the SQLite store waited on a call that cannot wait".to_string(),
        }),
    }
}
