//! The history in PostgreSQL (`--history postgres://user:password@host:port/db`), for teams
//! whose jobs (one per account and region) share one history. Same schema and migrations as
//! the SQLite file ([`super::MIGRATIONS`]); tables are prefixed `driftgate_` so the database
//! can hold others. Every migration and every run takes one transaction-scoped advisory lock
//! first, so concurrent jobs serialize and all land. Connections are plain TCP (no TLS yet):
//! use a loopback, a private network, or a TLS-terminating proxy.

use time::OffsetDateTime;
use tokio_postgres::{Client, NoTls};

use super::{
    Carried, FORMAT_MARK, FindingRecord, MIGRATIONS, Run, RunSummary, Tracked, format_time,
    from_json_list, latest_version, parse_severity, parse_time, to_json_list, track,
};
use crate::error::{Error, Result};

/// The advisory lock every history transaction takes ("driftgat" in ASCII).
const LOCK_KEY: i64 = 0x6472_6966_7467_6174;

pub struct Postgres {
    client: Client,
    shown: String,
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
        let shown = self.shown.clone();
        let err = |e| pg_error(&shown, e);
        let tx = self.client.transaction().await.map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
            .await
            .map_err(err)?;
        let exists: bool = tx
            .query_one("SELECT to_regclass('driftgate_meta') IS NOT NULL", &[])
            .await
            .map_err(err)?
            .get(0);
        let current: i64 = if exists {
            let mark: Option<String> = tx
                .query_opt("SELECT value FROM driftgate_meta WHERE key = 'format'", &[])
                .await
                .map_err(err)?
                .map(|r| r.get(0));
            if mark.as_deref() != Some(FORMAT_MARK) {
                return Err(Error::HistoryForeign {
                    location: shown.clone(),
                    reason: "its driftgate_meta table does not mark a driftgate history"
                        .to_string(),
                });
            }
            tx.query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM driftgate_migrations",
                &[],
            )
            .await
            .map_err(err)?
            .get(0)
        } else if create {
            0
        } else {
            return Err(Error::HistoryMissing {
                location: shown.clone(),
            });
        };
        if current > latest_version() {
            return Err(Error::HistoryTooNew {
                location: shown.clone(),
                found: current,
                supported: latest_version(),
            });
        }
        if create {
            for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > current) {
                tx.batch_execute(sql).await.map_err(err)?;
                tx.execute(
                    "INSERT INTO driftgate_migrations (version, applied_at) VALUES ($1, $2)",
                    &[version, &format_time(now)],
                )
                .await
                .map_err(err)?;
            }
        }
        tx.commit().await.map_err(err)?;
        Ok(())
    }

    /// Records `run` in one transaction under the history's advisory lock.
    pub async fn record(&mut self, run: &Run) -> Result<Tracked> {
        let shown = self.shown.clone();
        let err = |e| pg_error(&shown, e);
        let tx = self.client.transaction().await.map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK_KEY])
            .await
            .map_err(err)?;
        let scope = run.scope();
        let previous_run: Option<i64> = tx
            .query_one(
                "SELECT MAX(id) FROM driftgate_runs WHERE scope = $1",
                &[&scope],
            )
            .await
            .map_err(err)?
            .get(0);
        let mut previous = Vec::new();
        if let Some(prev) = previous_run {
            let rows = tx
                .query(
                    "SELECT fingerprint, kind, resource_type, resource_id, address, state, region, \
                     severity, rule, paths, first_seen FROM driftgate_findings \
                     WHERE run_id = $1 AND status IN ('new', 'open', 'unseen') ORDER BY fingerprint",
                    &[&prev],
                )
                .await
                .map_err(err)?;
            for r in rows {
                let severity: String = r.get(7);
                let paths: String = r.get(9);
                let first_seen: String = r.get(10);
                previous.push(Carried {
                    record: FindingRecord {
                        fingerprint: r.get(0),
                        kind: r.get(1),
                        resource_type: r.get(2),
                        resource_id: r.get(3),
                        address: r.get(4),
                        state: r.get(5),
                        region: r.get(6),
                        severity: parse_severity(&severity, &shown)?,
                        rule: r.get(8),
                        paths: from_json_list(&paths, &shown)?,
                    },
                    first_seen: parse_time(&first_seen, &shown)?,
                });
            }
        }
        let id: i64 = tx
            .query_one(
                "SELECT (COALESCE(MAX(id), 0) + 1)::BIGINT FROM driftgate_runs",
                &[],
            )
            .await
            .map_err(err)?
            .get(0);
        let tracked = track(&previous, run, id, previous_run);
        let counts = run.counts().map(|(_, n)| n as i64);
        let (time, states, regions) = (
            format_time(run.time),
            to_json_list(&run.states),
            to_json_list(&run.regions),
        );
        let (complete, new, resolved) = (
            run.complete as i64,
            tracked.new_count() as i64,
            tracked.resolved.len() as i64,
        );
        tx.execute(
            "INSERT INTO driftgate_runs (id, time, scope, command, actor, states, regions, \
             complete, exit_code, critical, high, medium, low, info, new_findings, \
             resolved_findings) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
             $14, $15, $16)",
            &[
                &id,
                &time,
                &scope,
                &run.command,
                &run.actor,
                &states,
                &regions,
                &complete,
                &run.exit_code,
                &counts[0],
                &counts[1],
                &counts[2],
                &counts[3],
                &counts[4],
                &new,
                &resolved,
            ],
        )
        .await
        .map_err(err)?;
        let insert = tx
            .prepare(
                "INSERT INTO driftgate_findings (run_id, fingerprint, status, first_seen, kind, \
                 resource_type, resource_id, address, state, region, severity, rule, paths) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            )
            .await
            .map_err(err)?;
        for (f, status, first_seen) in tracked.rows(run) {
            tx.execute(
                &insert,
                &[
                    &id,
                    &f.fingerprint,
                    &status.as_str(),
                    &format_time(first_seen),
                    &f.kind,
                    &f.resource_type,
                    &f.resource_id,
                    &f.address,
                    &f.state,
                    &f.region,
                    &f.severity.as_str(),
                    &f.rule,
                    &to_json_list(&f.paths),
                ],
            )
            .await
            .map_err(err)?;
        }
        tx.commit().await.map_err(err)?;
        Ok(tracked)
    }

    /// The last `last` runs, oldest first.
    pub async fn runs(&mut self, last: Option<usize>) -> Result<Vec<RunSummary>> {
        let shown = self.shown.clone();
        let limit: Option<i64> = last.map(|n| n as i64);
        let rows = self
            .client
            .query(
                "SELECT id, time, command, actor, states, regions, complete, exit_code, critical, \
                 high, medium, low, info, new_findings, resolved_findings FROM driftgate_runs \
                 ORDER BY id DESC LIMIT $1",
                &[&limit],
            )
            .await
            .map_err(|e| pg_error(&shown, e))?;
        let mut out = Vec::new();
        for r in rows {
            let states: String = r.get(4);
            let regions: String = r.get(5);
            let complete: i64 = r.get(6);
            out.push(RunSummary {
                id: r.get(0),
                time: r.get(1),
                command: r.get(2),
                actor: r.get(3),
                states: from_json_list(&states, &shown)?,
                regions: from_json_list(&regions, &shown)?,
                complete: complete != 0,
                exit_code: r.get(7),
                counts: super::sqlite::counts([
                    r.get(8),
                    r.get(9),
                    r.get(10),
                    r.get(11),
                    r.get(12),
                ]),
                new: r.get(13),
                resolved: r.get(14),
            });
        }
        out.reverse();
        Ok(out)
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
