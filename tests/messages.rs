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
    assert!(!err.contains("connection refused"), "{err}");

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
                && lines[0].contains("connection refused at http://127.0.0.1:"),
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

/// A region that exists in no AWS partition is a usage error before any call, naming the
/// nearest regions; with a custom endpoint (moto, LocalStack) any region is the endpoint's
/// business, as with the AWS CLI's `--endpoint-url`.
#[test]
fn an_unknown_region_is_refused_before_any_call() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = fixture("demo/terraform.tfstate");
    let state = state.to_string_lossy();
    let out = isolated(dir.path(), true)
        .env_remove("AWS_ENDPOINT_URL")
        .args([
            "scan",
            "--state",
            &state,
            "--region",
            "us-east-11",
            "--format",
            "json",
        ])
        .output()
        .expect("run driftgate");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(out.stdout.is_empty(), "no report: nothing was scanned");
    assert!(
        err.contains("unknown AWS region `us-east-11` (--region): did you mean us-east-1"),
        "{err}"
    );
    assert!(!err.contains("incomplete"), "{err}");
    // The configured region is checked too, and says where it came from.
    let out = isolated(dir.path(), true)
        .env_remove("AWS_ENDPOINT_URL")
        .env("AWS_REGION", "eu-wset-1")
        .args(["scan", "--state", &state, "--format", "json"])
        .output()
        .expect("run driftgate");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("unknown AWS region `eu-wset-1` (the configured region")
            && err.contains("did you mean eu-west-1"),
        "{err}"
    );
    // A custom endpoint: the region is passed on (here to a closed port).
    let out = isolated(dir.path(), true)
        .args([
            "scan",
            "--state",
            &state,
            "--region",
            "us-east-11",
            "--format",
            "json",
        ])
        .output()
        .expect("run driftgate");
    let err = stderr(&out);
    assert!(!err.contains("unknown AWS region"), "{err}");
    assert!(
        err.contains("connection refused at http://127.0.0.1:"),
        "{err}"
    );
}

/// A dead endpoint and a name that does not resolve fail at once, naming the real cause: a
/// refused connection is tried once, an unresolvable name once more per endpoint (not ten
/// times each, with backoff: a minute of silence). Attempts are counted in `api_calls`.
#[test]
fn unreachable_endpoints_fail_at_once_naming_the_cause() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = fixture("demo/terraform.tfstate");
    let state = state.to_string_lossy();
    let scan = |endpoint: &str| {
        let out = isolated(dir.path(), true)
            .env("AWS_ENDPOINT_URL", endpoint)
            // The resolver answers within a second (glibc's `RES_OPTIONS`): a machine whose
            // name server does not answer would otherwise let a lookup outlast the connect
            // timeout, a timeout the SDK rightly retries, and the count below would measure
            // the resolver, not driftgate.
            .env("RES_OPTIONS", "timeout:1 attempts:1")
            .args([
                "scan",
                "--state",
                &state,
                "--region",
                "us-east-1",
                "--format",
                "json",
            ])
            .output()
            .expect("run driftgate");
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let calls: Vec<(String, u64)> = report["api_calls"]
            .as_object()
            .expect("api_calls")
            .iter()
            .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
            .collect();
        let reasons: Vec<String> = report["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["reason"].as_str().unwrap().to_string())
            .collect();
        (stderr(&out), calls, reasons)
    };

    let port = closed_port();
    let (err, calls, reasons) = scan(&format!("http://127.0.0.1:{port}"));
    assert!(!calls.is_empty());
    for (op, n) in &calls {
        assert_eq!(*n, 1, "{op}: a refused connection is not retried");
    }
    let said = format!("connection refused at http://127.0.0.1:{port}: nothing listens there");
    assert!(reasons.iter().all(|r| r.starts_with(&said)), "{reasons:?}");
    assert!(err.contains(&said), "{err}");

    // `.invalid` never resolves (RFC 2606), with or without a network.
    let (err, calls, reasons) = scan("http://driftgate-test.invalid");
    assert!(!calls.is_empty());
    let mut total = 0;
    for (op, n) in &calls {
        assert!(
            *n <= 2,
            "{op}: {n} attempts; an unresolvable name is retried at most once"
        );
        total += n;
    }
    // One retry per client (one EC2 client for the region, one IAM client), not per call.
    let first_attempts = calls.len() as u64;
    assert!(total <= first_attempts + 2, "{calls:?}");
    let said = "could not resolve driftgate-test.invalid: ";
    assert!(reasons.iter().all(|r| r.starts_with(said)), "{reasons:?}");
    assert!(err.contains(said), "{err}");
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
