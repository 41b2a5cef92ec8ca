//! Where `apply` keeps the applied markers and the apply lock (`--applied-store`): a store
//! every checkout of the repository reaches ([`crate::store`]: SQLite file, PostgreSQL, S3 with
//! conditional writes), so that a plan applied once is refused everywhere and two applies of
//! one plan cannot both run. Without one configured it is `./.driftgate` (this checkout only:
//! documented, and a warning under CI).
//!
//! Keys: `lock/<plan hex>` (held while an apply of the plan runs; its value says who holds it)
//! and `applied/<plan hex>` (when it was applied). In the working-directory default the lock is
//! an advisory lock on `.driftgate/apply.lock` instead, so that a crashed apply leaves no lock.

use std::fs::File;

use crate::error::{Error, Result};
use crate::store::{Location, Put, Shared};

/// The lock of one plan's apply, held until [`Held::release`].
pub struct Held {
    store: Shared,
    hex: String,
    /// The working-directory default: an advisory lock, released by the kernel on exit.
    _file: Option<File>,
    /// Whether a `lock/` key was created (and must be removed).
    keyed: bool,
}

fn hex_of(digest: &str) -> String {
    digest.trim_start_matches("sha256:").to_string()
}

/// Takes the lock of the plan with this digest. `Ok(Err(why))`: another apply holds it.
pub async fn take(
    location: &Location,
    digest: &str,
    holder: &str,
) -> Result<std::result::Result<Held, String>> {
    let store = Shared::open(location).await?;
    let hex = hex_of(digest);
    if let Location::Dir(dir) = location {
        let io = |e: std::io::Error| Error::Write {
            path: dir.display().to_string(),
            source: e,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("apply.lock"))
            .map_err(io)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Ok(Err("another `driftgate apply` is running here".into()));
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
        }
        return Ok(Ok(Held {
            store,
            hex,
            _file: Some(file),
            keyed: false,
        }));
    }
    let key = format!("lock/{hex}");
    match store.put_new(&key, holder).await? {
        Put::Created | Put::CreatedWithoutRetention => Ok(Ok(Held {
            store,
            hex,
            _file: None,
            keyed: true,
        })),
        Put::Exists => {
            let by = store.get(&key).await?.unwrap_or_default();
            Ok(Err(format!(
                "another `driftgate apply` of this plan holds its lock in {} ({}); if none is running, remove the key {key} there",
                location.shown(),
                by.trim()
            )))
        }
    }
}

impl Held {
    /// When this plan was applied, if it was.
    pub async fn applied_at(&self) -> Result<Option<String>> {
        Ok(self
            .store
            .get(&format!("applied/{}", self.hex))
            .await?
            .map(|s| s.trim().to_string()))
    }

    /// Marks the plan applied (a marker already there is kept: the first apply's time).
    pub async fn mark_applied(&self, at: &str) -> Result<()> {
        self.store
            .put_new(&format!("applied/{}", self.hex), &format!("{at}\n"))
            .await
            .map(|_| ())
    }

    /// Releases the lock.
    pub async fn release(self) -> Result<()> {
        if self.keyed {
            self.store.delete(&format!("lock/{}", self.hex)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two checkouts sharing one SQLite store: while one holds the lock the other is refused;
    /// once marked applied, the other sees it; the local default is per directory.
    #[test]
    fn two_checkouts_share_the_lock_and_the_marker() {
        let dir = tempfile::tempdir().unwrap();
        let shared = Location::Sqlite(dir.path().join("shared.db"));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let a = take(&shared, "sha256:ab", "a").await.unwrap().unwrap();
            let refused = take(&shared, "sha256:ab", "b").await.unwrap();
            assert!(refused.is_err_and(|why| why.contains("lock/ab") && why.contains("(a)")));
            // Another plan is not held up.
            let other = take(&shared, "sha256:cd", "b").await.unwrap().unwrap();
            other.release().await.unwrap();
            a.mark_applied("2026-12-01T09:30:00Z").await.unwrap();
            a.release().await.unwrap();
            let b = take(&shared, "sha256:ab", "b").await.unwrap().unwrap();
            assert_eq!(
                b.applied_at().await.unwrap().as_deref(),
                Some("2026-12-01T09:30:00Z")
            );
            // The working-directory default: another directory sees nothing.
            let one = tempfile::tempdir().unwrap();
            let two = tempfile::tempdir().unwrap();
            let l1 = take(&crate::store::local(one.path()), "sha256:ab", "x")
                .await
                .unwrap()
                .unwrap();
            l1.mark_applied("t").await.unwrap();
            let l2 = take(&crate::store::local(two.path()), "sha256:ab", "x")
                .await
                .unwrap()
                .unwrap();
            assert_eq!(l2.applied_at().await.unwrap(), None);
            assert_eq!(l1.applied_at().await.unwrap().as_deref(), Some("t"));
        });
    }
}
