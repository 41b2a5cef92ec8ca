//! A throwaway PostgreSQL server on a free loopback port, for the shared-history tests.
//!
//! `Postgres::start()` runs Debian's `initdb` into a temporary directory (trust
//! authentication, loopback only), then the server under a tiny `sh` guardian that stops it
//! as soon as its stdin reaches end-of-file (the same habit as `moto.rs`): the server goes away
//! when the `Postgres` is dropped, and when the test process exits without running destructors.
//! PostgreSQL refuses to run as root, so as root everything runs as the `postgres` user that
//! Debian's package creates (`runuser -u postgres`).
//!
//! Where PostgreSQL is not installed the test is a counted skip, and a failure under `CI=true`:
//! `scripts/test` installs it (`apt-get install postgresql`) when missing.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use super::skip::{Need, skip};

/// `$1` postgres binary, `$2` data dir, `$3` port, `$4` socket dir, `$5` log file.
const GUARDIAN: &str = r#"
exec 3<&0
"$1" -D "$2" -p "$3" -k "$4" -c listen_addresses=127.0.0.1 -c fsync=off >"$5" 2>&1 </dev/null &
p=$!
( read -r _ <&3; kill -INT "$p" 2>/dev/null ) &
wait "$p"
"#;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

pub struct Postgres {
    /// `postgres://driftgate@127.0.0.1:PORT/postgres`
    pub url: String,
    pub log: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    _dir: tempfile::TempDir,
}

/// The directory holding `initdb`, `postgres` and `pg_isready`: Debian's newest
/// `/usr/lib/postgresql/N/bin`, else PATH.
fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let n: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((n, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, b)| b).or_else(|| {
        let initdb = super::moto::on_path("initdb")?;
        let dir = initdb.parent()?.to_path_buf();
        dir.join("postgres").is_file().then_some(dir)
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// `program args...`, as the `postgres` user when we are root.
fn command(root: bool, program: &Path) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Postgres {
    /// A fresh server, or `None` after a counted skip (a failure under CI) when PostgreSQL is
    /// not installed.
    pub fn start() -> Option<Postgres> {
        let Some(bin) = bin_dir() else {
            skip(
                Need::Required,
                "PostgreSQL is not installed (no initdb in /usr/lib/postgresql/*/bin or on PATH); \
                 scripts/test installs it with `apt-get install -y postgresql`",
            );
            return None;
        };
        let root = is_root();
        let dir = tempfile::tempdir().expect("a temp dir");
        if root {
            let chowned = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            if !chowned {
                skip(
                    Need::Required,
                    "running as root, and there is no `postgres` user to run PostgreSQL as",
                );
                return None;
            }
        }
        let data = dir.path().join("data");
        let init = command(root, &bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "driftgate", "-A", "trust", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("initdb runs");
        assert!(
            init.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&init.stdout),
            String::from_utf8_lossy(&init.stderr)
        );
        let log = dir.path().join("postgres.log");
        let port = free_port();
        let mut child = command(root, Path::new("/bin/sh"))
            .args(["-c", GUARDIAN, "sh"])
            .arg(bin.join("postgres"))
            .arg(&data)
            .arg(port.to_string())
            .arg(dir.path())
            .arg(&log)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the postgres guardian starts");
        let stdin = child.stdin.take();
        let started = Instant::now();
        loop {
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-q"])
                .status()
                .is_ok_and(|s| s.success());
            if ready {
                break;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!(
                    "postgres exited ({status}): {}",
                    std::fs::read_to_string(&log).unwrap_or_default()
                );
            }
            assert!(
                started.elapsed() < STARTUP_TIMEOUT,
                "postgres did not start in {STARTUP_TIMEOUT:?}: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(Postgres {
            url: format!("postgres://driftgate@127.0.0.1:{port}/postgres"),
            log,
            child,
            stdin,
            _dir: dir,
        })
    }

    /// A new, empty database on this server, and its URL.
    pub fn database(&self, name: &str) -> String {
        let psql = bin_dir()
            .map(|b| b.join("psql"))
            .unwrap_or_else(|| "psql".into());
        let port = self
            .url
            .rsplit(':')
            .next()
            .unwrap()
            .split('/')
            .next()
            .unwrap();
        let out = Command::new(psql)
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                port,
                "-U",
                "driftgate",
                "-d",
                "postgres",
            ])
            .args([
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                &format!("CREATE DATABASE {name}"),
            ])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "CREATE DATABASE {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.url.replace("/postgres", &format!("/{name}"))
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if let Some(mut stdin) = self.stdin.take() {
            let _ = stdin.write_all(b"\n");
        }
        let _ = self.child.wait();
    }
}
