//! A small shared key-value store that every checkout of a repository can reach: where `apply`
//! keeps its applied markers and locks (`--applied-store`) and where audit checkpoints can be
//! sent (`--audit-checkpoint s3://...` or `postgres://...`).
//!
//! The one write is [`Shared::put_new`]: create a key only if it does not exist, atomically,
//! everywhere:
//! - a directory: `create_new` (O_EXCL) of a file;
//! - SQLite: `INSERT` into a table keyed by the key (the history file can hold it: the table is
//!   `driftgate_shared`, beside the history's own);
//! - PostgreSQL: the same table, `INSERT ... ON CONFLICT DO NOTHING`;
//! - S3: `PutObject` with `If-None-Match: *` (a conditional write, as terraform's S3 backend
//!   takes its lock): S3 answers 412 when the object exists.
//!
//! Locks are keys created by `put_new` and removed by [`Shared::delete`].

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Where the store is.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    Dir(PathBuf),
    Sqlite(PathBuf),
    Postgres(String),
    S3 { bucket: String, prefix: String },
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Location({})", self.shown())
    }
}

impl Location {
    /// `postgres://...`, `s3://bucket/prefix`, or a file path (a SQLite database, created when
    /// missing). Another scheme is a usage error.
    pub fn parse(s: &str) -> Result<Location> {
        let lower = s.to_ascii_lowercase();
        if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
            return Ok(Location::Postgres(s.to_string()));
        }
        if lower.starts_with("s3://") {
            let rest = &s[5..];
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(Error::Usage(format!(
                    "`{s}`: an S3 store is s3://bucket/prefix"
                )));
            }
            return Ok(Location::S3 {
                bucket: bucket.to_string(),
                prefix: prefix.trim_matches('/').to_string(),
            });
        }
        if let Some((scheme, _)) = s.split_once("://") {
            return Err(Error::Usage(format!(
                "`{}`: a shared store is a SQLite file, a postgres:// URL or s3://bucket/prefix, not {scheme}://",
                crate::mask::mask_url(s)
            )));
        }
        if s.is_empty() {
            return Err(Error::Usage("a shared store needs a path or a URL".into()));
        }
        Ok(Location::Sqlite(PathBuf::from(s)))
    }

    pub fn shown(&self) -> String {
        match self {
            Location::Dir(p) | Location::Sqlite(p) => p.display().to_string(),
            Location::Postgres(url) => crate::mask::mask_url(url),
            Location::S3 { bucket, prefix } => format!("s3://{bucket}/{prefix}"),
        }
    }

    /// Whether checkouts other than this one see it (a directory in the working tree does not).
    pub fn is_shared(&self) -> bool {
        !matches!(self, Location::Dir(_))
    }
}

/// Whether [`Shared::put_new`] created the key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Put {
    Created,
    /// Created, but without the retention asked for: the bucket has no object lock.
    CreatedWithoutRetention,
    Exists,
}

/// An open store.
pub struct Shared {
    location: Location,
    backend: Backend,
}

enum Backend {
    Dir(PathBuf),
    Sqlite(rusqlite::Connection),
    Postgres(tokio_postgres::Client),
    S3 {
        client: aws_sdk_s3::Client,
        bucket: String,
        prefix: String,
    },
}

const TABLE: &str =
    "CREATE TABLE IF NOT EXISTS driftgate_shared (key TEXT PRIMARY KEY, value TEXT NOT NULL)";

/// Keys are made of `[A-Za-z0-9._:-]` and `/` (digests, sequence numbers): checked so that no
/// key names a path outside a directory store.
fn check_key(key: &str) -> std::result::Result<(), String> {
    let ok = !key.is_empty()
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && seg != "." && seg != "..")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._:-/".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("`{key}` is not a valid key"))
    }
}

impl Shared {
    pub async fn open(location: &Location) -> Result<Shared> {
        let err = |reason: String| Error::SharedStore {
            location: location.shown(),
            reason,
        };
        let backend = match location {
            Location::Dir(dir) => Backend::Dir(dir.clone()),
            Location::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| err(e.to_string()))?;
                }
                let c = rusqlite::Connection::open(path).map_err(|e| err(e.to_string()))?;
                c.busy_timeout(std::time::Duration::from_secs(30))
                    .map_err(|e| err(e.to_string()))?;
                c.execute_batch(TABLE).map_err(|e| err(e.to_string()))?;
                Backend::Sqlite(c)
            }
            Location::Postgres(url) => {
                let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
                    .await
                    .map_err(|e| err(pg_reason(&e)))?;
                tokio::spawn(async move {
                    let _ = connection.await;
                });
                client
                    .batch_execute(TABLE)
                    .await
                    .map_err(|e| err(pg_reason(&e)))?;
                Backend::Postgres(client)
            }
            Location::S3 { bucket, prefix } => {
                let sdk = crate::aws_client::load_sdk_config(&[]).await?;
                Backend::S3 {
                    client: crate::aws_client::s3_client(&sdk),
                    bucket: bucket.clone(),
                    prefix: prefix.clone(),
                }
            }
        };
        Ok(Shared {
            location: location.clone(),
            backend,
        })
    }

    pub fn location(&self) -> &Location {
        &self.location
    }

    fn err(&self, reason: impl std::fmt::Display) -> Error {
        Error::SharedStore {
            location: self.location.shown(),
            reason: reason.to_string(),
        }
    }

    fn s3_key(prefix: &str, key: &str) -> String {
        if prefix.is_empty() {
            key.to_string()
        } else {
            format!("{prefix}/{key}")
        }
    }

    /// Creates `key` with `value` unless it exists (atomically, in every backend).
    pub async fn put_new(&self, key: &str, value: &str) -> Result<Put> {
        check_key(key).map_err(|e| self.err(e))?;
        match &self.backend {
            Backend::Dir(dir) => {
                let path = dir.join(key);
                if let Some(parent) = path.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| self.err(e))?;
                }
                match std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                {
                    Ok(mut f) => {
                        use std::io::Write as _;
                        f.write_all(value.as_bytes())
                            .and_then(|()| f.sync_all())
                            .map_err(|e| self.err(e))?;
                        Ok(Put::Created)
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(Put::Exists),
                    Err(e) => Err(self.err(e)),
                }
            }
            Backend::Sqlite(c) => {
                let n = c
                    .execute(
                        "INSERT OR IGNORE INTO driftgate_shared (key, value) VALUES (?1, ?2)",
                        rusqlite::params![key, value],
                    )
                    .map_err(|e| self.err(e))?;
                Ok(if n == 1 { Put::Created } else { Put::Exists })
            }
            Backend::Postgres(c) => {
                let n = c
                    .execute(
                        "INSERT INTO driftgate_shared (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
                        &[&key, &value],
                    )
                    .await
                    .map_err(|e| self.err(pg_reason(&e)))?;
                Ok(if n == 1 { Put::Created } else { Put::Exists })
            }
            Backend::S3 {
                client,
                bucket,
                prefix,
            } => {
                let r = client
                    .put_object()
                    .bucket(bucket)
                    .key(Self::s3_key(prefix, key))
                    .if_none_match("*")
                    .body(value.as_bytes().to_vec().into())
                    .send()
                    .await;
                match r {
                    Ok(_) => Ok(Put::Created),
                    Err(e) if matches!(s3_status(&e), Some(412 | 409)) => Ok(Put::Exists),
                    Err(e) => Err(self.err(s3_reason(&e))),
                }
            }
        }
    }

    /// As [`Shared::put_new`]; on S3, also asks for object lock retention in compliance mode
    /// until `until`. A bucket without object lock refuses those headers: the object is then
    /// written without them and a warning says so (where the store supports it, it is used).
    pub async fn put_new_retained(
        &self,
        key: &str,
        value: &str,
        until: Option<time::OffsetDateTime>,
    ) -> Result<Put> {
        let (
            Backend::S3 {
                client,
                bucket,
                prefix,
            },
            Some(until),
        ) = (&self.backend, until)
        else {
            return self.put_new(key, value).await;
        };
        check_key(key).map_err(|e| self.err(e))?;
        let r = client
            .put_object()
            .bucket(bucket)
            .key(Self::s3_key(prefix, key))
            .if_none_match("*")
            .object_lock_mode(aws_sdk_s3::types::ObjectLockMode::Compliance)
            .object_lock_retain_until_date(aws_sdk_s3::primitives::DateTime::from_secs(
                until.unix_timestamp(),
            ))
            .body(value.as_bytes().to_vec().into())
            .send()
            .await;
        match r {
            Ok(_) => Ok(Put::Created),
            Err(e) if matches!(s3_status(&e), Some(412 | 409)) => Ok(Put::Exists),
            Err(e)
                if s3_reason(&e)
                    .to_ascii_lowercase()
                    .replace(' ', "")
                    .contains("objectlock") =>
            {
                Ok(match self.put_new(key, value).await? {
                    Put::Created => Put::CreatedWithoutRetention,
                    other => other,
                })
            }
            Err(e) => Err(self.err(s3_reason(&e))),
        }
    }

    /// The value of `key`, if it exists.
    pub async fn get(&self, key: &str) -> Result<Option<String>> {
        check_key(key).map_err(|e| self.err(e))?;
        match &self.backend {
            Backend::Dir(dir) => match std::fs::read_to_string(dir.join(key)) {
                Ok(s) => Ok(Some(s)),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(self.err(e)),
            },
            Backend::Sqlite(c) => {
                use rusqlite::OptionalExtension as _;
                c.query_row(
                    "SELECT value FROM driftgate_shared WHERE key = ?1",
                    [key],
                    |r| r.get(0),
                )
                .optional()
                .map_err(|e| self.err(e))
            }
            Backend::Postgres(c) => Ok(c
                .query_opt("SELECT value FROM driftgate_shared WHERE key = $1", &[&key])
                .await
                .map_err(|e| self.err(pg_reason(&e)))?
                .map(|r| r.get(0))),
            Backend::S3 {
                client,
                bucket,
                prefix,
            } => {
                let r = client
                    .get_object()
                    .bucket(bucket)
                    .key(Self::s3_key(prefix, key))
                    .send()
                    .await;
                match r {
                    Ok(out) => {
                        let body = out.body.collect().await.map_err(|e| self.err(e))?;
                        Ok(Some(
                            String::from_utf8_lossy(&body.into_bytes()).into_owned(),
                        ))
                    }
                    Err(e) if s3_status(&e) == Some(404) => Ok(None),
                    Err(e) => Err(self.err(s3_reason(&e))),
                }
            }
        }
    }

    /// Every key under `prefix/` with its value, sorted by key.
    pub async fn list(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        check_key(prefix).map_err(|e| self.err(e))?;
        let mut out = Vec::new();
        match &self.backend {
            Backend::Dir(dir) => {
                let d = dir.join(prefix);
                let entries = match std::fs::read_dir(&d) {
                    Ok(e) => e,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
                    Err(e) => return Err(self.err(e)),
                };
                for e in entries {
                    let e = e.map_err(|e| self.err(e))?;
                    let name = e.file_name().to_string_lossy().into_owned();
                    let value = std::fs::read_to_string(e.path()).map_err(|e| self.err(e))?;
                    out.push((format!("{prefix}/{name}"), value));
                }
            }
            Backend::Sqlite(c) => {
                let mut st = c
                    .prepare(
                        "SELECT key, value FROM driftgate_shared WHERE substr(key, 1, ?2) = ?1",
                    )
                    .map_err(|e| self.err(e))?;
                let like = format!("{prefix}/");
                let rows = st
                    .query_map(rusqlite::params![like, like.len() as i64], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })
                    .map_err(|e| self.err(e))?;
                for r in rows {
                    out.push(r.map_err(|e| self.err(e))?);
                }
            }
            Backend::Postgres(c) => {
                let like = format!("{prefix}/");
                let n = like.chars().count() as i32;
                for r in c
                    .query(
                        "SELECT key, value FROM driftgate_shared WHERE left(key, $2) = $1",
                        &[&like, &n],
                    )
                    .await
                    .map_err(|e| self.err(pg_reason(&e)))?
                {
                    out.push((r.get(0), r.get(1)));
                }
            }
            Backend::S3 {
                client,
                bucket,
                prefix: root,
            } => {
                let full = format!("{}/", Self::s3_key(root, prefix));
                let mut token = None;
                loop {
                    let page = client
                        .list_objects_v2()
                        .bucket(bucket)
                        .prefix(&full)
                        .set_continuation_token(token.take())
                        .send()
                        .await
                        .map_err(|e| self.err(s3_reason(&e)))?;
                    for o in page.contents() {
                        if let Some(k) = o.key() {
                            let key = format!("{prefix}/{}", &k[full.len()..]);
                            if let Some(v) = self.get(&key).await? {
                                out.push((key, v));
                            }
                        }
                    }
                    match page.next_continuation_token() {
                        Some(t) if page.is_truncated() == Some(true) => token = Some(t.to_string()),
                        _ => break,
                    }
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Removes `key` (a lock being released). A missing key is not an error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        check_key(key).map_err(|e| self.err(e))?;
        match &self.backend {
            Backend::Dir(dir) => match std::fs::remove_file(dir.join(key)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(self.err(e)),
                _ => Ok(()),
            },
            Backend::Sqlite(c) => c
                .execute("DELETE FROM driftgate_shared WHERE key = ?1", [key])
                .map(|_| ())
                .map_err(|e| self.err(e)),
            Backend::Postgres(c) => c
                .execute("DELETE FROM driftgate_shared WHERE key = $1", &[&key])
                .await
                .map(|_| ())
                .map_err(|e| self.err(pg_reason(&e))),
            Backend::S3 {
                client,
                bucket,
                prefix,
            } => client
                .delete_object()
                .bucket(bucket)
                .key(Self::s3_key(prefix, key))
                .send()
                .await
                .map(|_| ())
                .map_err(|e| self.err(s3_reason(&e))),
        }
    }
}

/// A PostgreSQL error without the connection string (the driver never includes it, but the
/// text is masked all the same).
fn pg_reason(e: &tokio_postgres::Error) -> String {
    let text = match e.as_db_error() {
        Some(db) => db.message().to_string(),
        None => e.to_string(),
    };
    crate::mask::mask_text(&text)
}

type S3Error<E> = aws_sdk_s3::error::SdkError<E, aws_smithy_runtime_api::http::Response>;

/// The HTTP status of a failed S3 request: 412 Precondition Failed, 404 Not Found.
fn s3_status<E>(e: &S3Error<E>) -> Option<u16> {
    e.raw_response().map(|r| r.status().as_u16())
}

fn s3_reason<E>(e: &S3Error<E>) -> String
where
    E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + 'static,
{
    use aws_sdk_s3::error::ProvideErrorMetadata as _;
    match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        _ => aws_sdk_s3::error::DisplayErrorContext(e).to_string(),
    }
}

/// The default applied-marker store: the working directory's `.driftgate/`.
pub fn local(cwd: &Path) -> Location {
    Location::Dir(cwd.join(".driftgate"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_leave_the_store() {
        for bad in ["", "../x", "a/../b", "/abs", "a//b", "a b", "a\\b"] {
            assert!(check_key(bad).is_err(), "{bad}");
        }
        for ok in [
            "applied/abc",
            "lock/sha256:ab",
            "checkpoints/00000000000000000012-ab",
        ] {
            assert!(check_key(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn locations_parse() {
        assert_eq!(
            Location::parse("s3://b/p/q/").unwrap(),
            Location::S3 {
                bucket: "b".into(),
                prefix: "p/q".into()
            }
        );
        assert!(matches!(
            Location::parse("postgres://u:p@h/db").unwrap(),
            Location::Postgres(_)
        ));
        assert!(Location::parse("ftp://x").is_err());
        assert!(Location::parse("s3:///x").is_err());
        assert_eq!(
            Location::parse("shared.db").unwrap(),
            Location::Sqlite("shared.db".into())
        );
    }

    /// Two handles on one SQLite file (two checkouts): the second `put_new` of a key is
    /// `Exists`, a deleted key can be created again, and `list` finds keys under a prefix only.
    #[test]
    fn sqlite_put_new_is_exclusive_across_handles() {
        let dir = tempfile::tempdir().unwrap();
        let loc = Location::Sqlite(dir.path().join("s.db"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let a = Shared::open(&loc).await.unwrap();
            let b = Shared::open(&loc).await.unwrap();
            assert_eq!(a.put_new("lock/x", "1").await.unwrap(), Put::Created);
            assert_eq!(b.put_new("lock/x", "2").await.unwrap(), Put::Exists);
            assert_eq!(b.get("lock/x").await.unwrap().as_deref(), Some("1"));
            b.delete("lock/x").await.unwrap();
            assert_eq!(b.put_new("lock/x", "2").await.unwrap(), Put::Created);
            a.put_new("lockx/y", "3").await.unwrap();
            a.put_new("lock/z", "4").await.unwrap();
            let keys: Vec<_> = a
                .list("lock")
                .await
                .unwrap()
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            assert_eq!(keys, ["lock/x", "lock/z"]);
        });
    }
}
