//! A throwaway moto server (an AWS emulator) on a free loopback port, for live tests.
//!
//! `Moto::start()` spawns moto's server (`python3 tests/support/moto_plus.py -H 127.0.0.1 -p
//! PORT`: `moto_server` plus the EC2 placement-group actions moto 5.2.x lacks, see that file)
//! under a tiny `sh` guardian that
//! kills moto as soon as its stdin reaches end-of-file. We hold the write end of that pipe, so
//! moto goes away when the `Moto` is dropped (also during a panic's unwind) and, just as
//! important, when the test process exits without running destructors (a `Moto` kept in a
//! process-wide `static` is never dropped): the kernel closes the pipe for us.
//!
//! moto's request log (werkzeug prints one line per HTTP request) goes to a file, so a test or
//! the benchmark can count API calls made during some stretch of time.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_ec2::config::{BehaviorVersion, Credentials, Region, SharedCredentialsProvider};

use super::skip::{Need, skip};

/// The guardian: run moto in the background; when our stdin closes, kill it and remove its
/// directory (a `Moto` in a `static` never runs its destructor); exit when moto exits (so a
/// port clash shows up as an exited child). `$1` = port, `$2` = log file, `$3` = directory,
/// `$4` = the launcher ([`LAUNCHER`]).
const GUARDIAN: &str = r#"
exec 3<&0
python3 "$4" -H 127.0.0.1 -p "$1" >"$2" 2>&1 </dev/null &
m=$!
( read -r _ <&3; kill "$m" 2>/dev/null; rm -rf "$3" ) &
wait "$m"
"#;

/// moto's server with the test emulator's gaps filled (moto 5.2.x has no placement groups);
/// runs exactly as `moto_server` does.
const LAUNCHER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/moto_plus.py");

const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const PORT_ATTEMPTS: usize = 5;

pub struct Moto {
    /// `http://127.0.0.1:PORT`
    pub endpoint: String,
    pub port: u16,
    /// moto's stdout+stderr: one line per request, plus startup noise.
    pub log: PathBuf,
    child: Child,
    stdin: Option<ChildStdin>,
    /// Owns the log file and the empty AWS config / credentials files.
    dir: tempfile::TempDir,
}

/// Is `prog` an executable on PATH?
pub fn on_path(prog: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(prog))
        .find(|p| p.is_file())
}

impl Moto {
    /// Start a fresh moto server. `None` (a counted skip, see [`super::skip`]) when
    /// `moto_server` is not on PATH; under `CI` that is a failure instead, because CI installs
    /// moto.
    pub fn start() -> Option<Moto> {
        Moto::start_with(&[])
    }

    /// [`Moto::start`] with `server_env` set for `moto_server` itself, e.g.
    /// `MOTO_IAM_LOAD_MANAGED_POLICIES=true`: moto then knows the AWS managed policies
    /// (`arn:aws:iam::aws:policy/...`) that a real account has and public modules attach.
    pub fn start_with(server_env: &[(&str, &str)]) -> Option<Moto> {
        if on_path("moto_server").is_none() || on_path("python3").is_none() {
            skip(
                Need::Required,
                "moto_server or python3 is not on PATH (pip install 'moto[server]')",
            );
            return None;
        }
        let mut last_err = String::new();
        for _ in 0..PORT_ATTEMPTS {
            match Moto::try_start(server_env) {
                Ok(m) => return Some(m),
                Err(e) => last_err = e,
            }
        }
        panic!("moto_server did not start after {PORT_ATTEMPTS} attempts: {last_err}");
    }

    fn try_start(server_env: &[(&str, &str)]) -> Result<Moto, String> {
        let dir = tempfile::Builder::new()
            .prefix("driftgate-moto-")
            .tempdir()
            .map_err(|e| format!("tempdir: {e}"))?;
        for f in ["aws-config", "aws-credentials"] {
            fs::write(dir.path().join(f), "").map_err(|e| format!("write {f}: {e}"))?;
        }
        let port = free_port().map_err(|e| format!("no free port: {e}"))?;
        let log = dir.path().join("moto.log");
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(GUARDIAN)
            .arg("driftgate-moto")
            .arg(port.to_string())
            .arg(&log)
            .arg(dir.path())
            .arg(LAUNCHER)
            .env("PYTHONUNBUFFERED", "1")
            // A fresh account: without moto's hundreds of public images, whose snapshots moto
            // lists even when asked for the account's own (it ignores DescribeSnapshots'
            // `OwnerIds=self`). Instances still launch from any `ami-` id (moto does not
            // validate it by default).
            .env("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
            .envs(server_env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("spawn sh: {e}"))?;
        let stdin = child.stdin.take();
        let mut moto = Moto {
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
            log,
            child,
            stdin,
            dir,
        };
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        loop {
            if http_answers(port) {
                return Ok(moto);
            }
            if let Ok(Some(status)) = moto.child.try_wait() {
                // Most likely someone took the port between our probe and moto's bind.
                return Err(format!(
                    "moto_server on port {port} exited ({status}): {}",
                    moto.log_tail(20)
                ));
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "moto_server on port {port} did not answer within {STARTUP_TIMEOUT:?}: {}",
                    moto.log_tail(20)
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The environment a child process (driftgate, terraform, aws cli) needs to talk to this
    /// moto and nothing else: dummy keys, a fixed region, no IMDS, and empty config files so the
    /// user's own `~/.aws` never leaks in.
    pub fn env(&self) -> Vec<(String, String)> {
        let p = |f: &str| self.dir.path().join(f).display().to_string();
        [
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", "testing".into()),
            ("AWS_SECRET_ACCESS_KEY", "testing".into()),
            ("AWS_REGION", "us-east-1".into()),
            ("AWS_DEFAULT_REGION", "us-east-1".into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
            ("AWS_CONFIG_FILE", p("aws-config")),
            ("AWS_SHARED_CREDENTIALS_FILE", p("aws-credentials")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// Variables that must be *removed* from a child's environment so that `env()` is the whole
    /// story (a profile, a session token or a service-specific endpoint from the developer's
    /// shell would otherwise win).
    pub fn env_remove() -> &'static [&'static str] {
        &[
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_ROLE_ARN",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ENDPOINT_URL_EC2",
            "AWS_ENDPOINT_URL_IAM",
            "AWS_ENDPOINT_URL_STS",
            "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]
    }

    /// Apply `env()` (and the removals) to a command.
    pub fn apply_env<'c>(&self, cmd: &'c mut Command) -> &'c mut Command {
        for k in Moto::env_remove() {
            cmd.env_remove(k);
        }
        cmd.envs(self.env())
    }

    /// An SDK configuration pointing at this moto, built field by field (no process env, no
    /// profile files), for tests that read or change the emulated cloud directly.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(self.endpoint.clone())
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                "testing", "testing", None, None, "moto",
            )))
            .build()
    }

    /// Lines in moto's log so far (a mark for `requests_since`).
    pub fn log_lines(&self) -> usize {
        fs::read_to_string(&self.log)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    /// The HTTP request lines moto logged after line `mark` (`"POST / HTTP/1.1" 200 -`, ...).
    pub fn requests_since(&self, mark: usize) -> Vec<String> {
        fs::read_to_string(&self.log)
            .unwrap_or_default()
            .lines()
            .skip(mark)
            .filter(|l| is_request_line(l))
            .map(str::to_string)
            .collect()
    }

    /// The last `n` lines of moto's log, for failure messages.
    pub fn log_tail(&self, n: usize) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }

    /// Forget every resource (moto's `/moto-api/reset`).
    pub fn reset(&self) {
        let resp = http_request(self.port, "POST", "/moto-api/reset")
            .unwrap_or_else(|e| panic!("moto reset failed: {e}"));
        assert!(
            resp.starts_with("HTTP/1.") && resp.contains(" 200"),
            "moto reset: {resp}"
        );
    }

    /// Directory owned by this server, removed when it stops (also when the test process exits
    /// without dropping it): put anything a test run leaves behind here.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- moto log tail ({}):\n{}",
                self.endpoint,
                self.log_tail(30)
            );
        }
        // Closing the guardian's stdin makes it kill moto; then reap the guardian.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// werkzeug's access log line: `127.0.0.1 - - [21/Nov/2026 11:25:52] "POST / HTTP/1.1" 200 -`.
pub fn is_request_line(line: &str) -> bool {
    line.contains("] \"") && line.contains(" HTTP/1.")
}

fn free_port() -> std::io::Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

fn http_answers(port: u16) -> bool {
    matches!(http_request(port, "GET", "/moto-api/"), Ok(r) if r.starts_with("HTTP/1."))
}

/// A minimal HTTP/1.0 request (no HTTP client crate in dev-dependencies); returns the response.
fn http_request(port: u16, method: &str, path: &str) -> std::io::Result<String> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_millis(500))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}
