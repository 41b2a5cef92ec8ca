//! Messages a person can act on, through the real binary, offline: an incomplete scan or
//! observation says so on stderr even when the report goes to a file; a missing credential is
//! named as such; an empty observation file says it is empty.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Instant;

use crate::support::moto::Moto;
use crate::support::{driftgate, fixture};

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// driftgate with an environment of our own: no credentials anywhere (unless `keys`), empty
/// AWS config files, no instance metadata, and every endpoint on a closed loopback port, so
/// nothing can reach a real account.
fn isolated(dir: &Path, keys: bool) -> Command {
    let mut cmd = driftgate();
    for k in Moto::env_remove() {
        cmd.env_remove(k);
    }
    for f in ["config", "credentials"] {
        std::fs::write(dir.join(f), "").expect("write empty aws file");
    }
    cmd.env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_CONFIG_FILE", dir.join("config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1")
        .env(
            "AWS_ENDPOINT_URL",
            format!("http://127.0.0.1:{}", closed_port()),
        )
        .env("NO_COLOR", "1")
        .current_dir(dir);
    if keys {
        cmd.env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", "testing");
    }
    cmd
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn observe_without_credentials_says_so_on_stderr_and_in_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = isolated(dir.path(), false)
        .args(["observe", "--region", "us-east-1", "--out", "o.json"])
        .output()
        .expect("run driftgate");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() <= 2, "one or two lines, not a dump:\n{err}");
    assert!(
        lines[0].starts_with("driftgate: the observation is incomplete: ")
            && lines[0].contains("no AWS credentials found (env, profile, SSO, instance role)"),
        "{err}"
    );
    assert_eq!(lines[1], "driftgate: the details are in o.json (`gaps`)");
    assert!(!err.contains("endpoint unreachable"), "{err}");

    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("o.json")).unwrap()).unwrap();
    let gaps = file["gaps"].as_array().expect("gaps");
    assert!(!gaps.is_empty());
    for g in gaps {
        let reason = g["reason"].as_str().unwrap();
        assert!(reason.starts_with("no AWS credentials found"), "{g:#}");
        assert!(
            reason.len() < 300,
            "a sentence, not the SDK's dump: {reason}"
        );
        assert!(g["detail"].as_str().is_some_and(|d| !d.is_empty()), "{g:#}");
    }
}

#[test]
fn a_scan_against_a_dead_endpoint_with_out_says_so_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = fixture("demo/terraform.tfstate");
    let state = state.to_string_lossy();
    for (format, file) in [("json", "drift.json"), ("table", "drift.txt")] {
        let started = Instant::now();
        let out = isolated(dir.path(), true)
            .args(["scan", "--state", &state, "--region", "us-east-1"])
            .args(["--format", format, "--out", file])
            .output()
            .expect("run driftgate");
        let secs = started.elapsed().as_secs_f64();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(out.stdout.is_empty(), "the report went to the file");
        let lines: Vec<&str> = err.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with("driftgate: the scan is incomplete: ")
                && lines[0].contains("endpoint unreachable: http://127.0.0.1:")
                && lines[0].contains("(connection refused)"),
            "{err}"
        );
        assert!(lines[1].contains(file), "{err}");
        // A dead endpoint is reported at once, not after ten backed-off attempts.
        assert!(secs < 30.0, "took {secs:.1}s");
    }
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("drift.json")).unwrap())
            .unwrap();
    assert_eq!(report["complete"], false);
    assert!(
        report["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["detail"].is_string())
    );
}

#[test]
fn an_empty_observation_file_says_it_is_empty() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = fixture("demo/terraform.tfstate");
    for text in ["", " \n\n"] {
        std::fs::write(dir.path().join("empty.json"), text).unwrap();
        let out = isolated(dir.path(), false)
            .args(["scan", "--observed", "empty.json", "--state"])
            .arg(&state)
            .output()
            .expect("run driftgate");
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert!(
            err.contains("`empty.json` is empty: there is no observation in it"),
            "{err}"
        );
        assert!(err.contains("driftgate::observation::empty"), "{err}");
    }
}
