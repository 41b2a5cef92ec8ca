//! The audit log through the real binary: a scan leaves an entry, where the log goes,
//! `audit verify` exit codes and messages for each kind of damage, `audit show`, masking, and
//! concurrent processes appending at once.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::support::{driftgate, fixture};

fn cmd(log: &Path) -> Command {
    let mut c = driftgate();
    c.env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_FINGERPRINT_KEY")
        .env("DRIFTGATE_ACTOR", "tester")
        .env("DRIFTGATE_AUDIT_LOG", log);
    c
}

fn run(log: &Path, args: &[&str]) -> Output {
    cmd(log)
        .args(args)
        .output()
        .expect("the driftgate binary runs")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn demo_scan() -> Vec<String> {
    vec![
        "scan".into(),
        "--state".into(),
        fixture("demo/terraform.tfstate").display().to_string(),
        "--observed".into(),
        fixture("demo/observed.json").display().to_string(),
    ]
}

fn scan(log: &Path) -> Output {
    let args = demo_scan();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(log, &args)
}

fn entries(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn lines(log: &Path) -> Vec<String> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| format!("{l}\n"))
        .collect()
}

/// A log of `n` demo scans in a fresh directory.
fn log_of(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    for _ in 0..n {
        assert_eq!(code(&scan(&log)), 2);
    }
    (dir, log)
}

#[test]
fn a_scan_leaves_an_entry_and_a_failed_scan_too() {
    let (_dir, log) = log_of(1);
    let e = &entries(&log)[0];
    assert_eq!(e["seq"], 1);
    assert_eq!(e["command"], "scan");
    assert_eq!(e["outcome"], "drift");
    assert_eq!(e["actor"], "tester");
    assert_eq!(e["args"][0], "scan");
    assert!(
        e["args"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "--observed")
    );
    // Each state by the SHA-256 of its bytes, and by lineage/serial.
    let inputs = e["inputs"].as_object().unwrap();
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    let (name, digest) = inputs
        .iter()
        .find(|(k, _)| k.starts_with("state:"))
        .unwrap();
    assert!(name.ends_with("terraform.tfstate"), "{name}");
    let digest = digest.as_str().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 7 + 64,
        "{digest}"
    );
    let (_, identity) = inputs
        .iter()
        .find(|(k, _)| k.starts_with("serial:"))
        .unwrap();
    assert!(identity.as_str().unwrap().contains('/'), "{identity}");
    assert!(
        time::OffsetDateTime::parse(
            e["time"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339
        )
        .is_ok()
    );

    let o = run(
        &log,
        &[
            "scan",
            "--state",
            "/no/such.tfstate",
            "--observed",
            "/no/obs.json",
        ],
    );
    assert_eq!(code(&o), 1);
    let e = &entries(&log)[1];
    assert_eq!(e["seq"], 2);
    assert_eq!(e["outcome"], "failed");
    assert!(
        e["reason"].as_str().unwrap().contains("/no/such.tfstate"),
        "{e}"
    );

    let o = run(&log, &["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("2 entries, chain intact"),
        "{}",
        stdout(&o)
    );
    // The head printed is the SHA-256 of the last line.
    let last = lines(&log).pop().unwrap();
    let head = format!(
        "sha256:{}",
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            last.trim_end_matches('\n').as_bytes()
        ))
    );
    assert!(
        stdout(&o).contains(&format!("head {head}")),
        "{}",
        stdout(&o)
    );
}

#[test]
fn the_log_goes_to_the_flag_else_the_variable_else_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    let by_env = dir.path().join("env.jsonl");
    let by_flag = dir.path().join("flag.jsonl");
    // The flag beats the variable, before or after the subcommand.
    let mut args = demo_scan();
    args.extend(["--audit-log".into(), by_flag.display().to_string()]);
    let o = cmd(&by_env).args(&args).output().unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let o = cmd(&by_env)
        .arg("--audit-log")
        .arg(&by_flag)
        .args(demo_scan())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(entries(&by_flag).len(), 2);
    assert!(!by_env.exists());
    // The variable.
    assert_eq!(code(&scan(&by_env)), 2);
    assert_eq!(entries(&by_env).len(), 1);
    // Neither: .driftgate/audit.jsonl in the working directory, created with its directory.
    let o = cmd(&by_env)
        .env_remove("DRIFTGATE_AUDIT_LOG")
        .current_dir(dir.path())
        .args(demo_scan())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    assert_eq!(entries(&dir.path().join(".driftgate/audit.jsonl")).len(), 1);
    assert_eq!(entries(&by_env).len(), 1);
}

#[test]
fn the_actor_is_driftgate_actor_else_the_ci_actor_else_the_os_user() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let o = cmd(&log)
        .env_remove("DRIFTGATE_ACTOR")
        .env("GITHUB_ACTOR", "octocat")
        .args(demo_scan())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    let o = cmd(&log)
        .env_remove("DRIFTGATE_ACTOR")
        .env_remove("GITHUB_ACTOR")
        .env_remove("GITLAB_USER_LOGIN")
        .env("USER", "os-user")
        .args(demo_scan())
        .output()
        .unwrap();
    assert_eq!(code(&o), 2);
    // No variable at all (a container): the name of the process's uid, never `unknown` when
    // the system knows one (issue 17).
    let mut c = cmd(&log);
    for v in [
        "DRIFTGATE_ACTOR",
        "GITHUB_ACTOR",
        "GITLAB_USER_LOGIN",
        "BITBUCKET_STEP_TRIGGERER_UUID",
        "CIRCLE_USERNAME",
        "BUILDKITE_BUILD_CREATOR",
        "BUILD_REQUESTEDFOR",
        "BUILD_USER_ID",
        "USER",
        "LOGNAME",
        "USERNAME",
    ] {
        c.env_remove(v);
    }
    let o = c.args(demo_scan()).output().unwrap();
    assert_eq!(code(&o), 2);
    let uid_name = whoami::username().expect("the test's uid has a name");
    let actors: Vec<_> = entries(&log).iter().map(|e| e["actor"].clone()).collect();
    assert_eq!(actors, ["octocat", "os-user", uid_name.as_str()]);
    assert_ne!(uid_name, "unknown");
}

#[test]
fn the_actor_falls_back_to_the_uid_name_then_unknown() {
    let none = |_: &str| None;
    let named = || Some("builder".to_string());
    assert_eq!(driftgate::cli::resolve_actor(&none, &named), "builder");
    assert_eq!(driftgate::cli::resolve_actor(&none, &|| None), "unknown");
    let user = |n: &str| (n == "LOGNAME").then(|| "logname".to_string());
    assert_eq!(driftgate::cli::resolve_actor(&user, &named), "logname");
    let ci = |n: &str| (n == "GITHUB_ACTOR").then(|| "octocat".to_string());
    assert_eq!(driftgate::cli::resolve_actor(&ci, &named), "octocat");
}

#[test]
fn secrets_in_arguments_never_reach_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let o = run(
        &log,
        &[
            "scan",
            "--state",
            "https://deploy:hunter2@example.com/prod.tfstate?X-Amz-Signature=S1GNATURE",
            "--observed",
            "/no/obs.json",
        ],
    );
    assert_eq!(code(&o), 1);
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains("hunter2"), "{text}");
    assert!(!text.contains("S1GNATURE"), "{text}");
    assert!(text.contains("https://(sensitive)@example.com/"), "{text}");
    assert_eq!(code(&run(&log, &["audit", "verify"])), 0);
}

/// Replaces line `i` (0-based) of the log.
fn rewrite(log: &Path, f: impl FnOnce(&mut Vec<String>)) {
    let mut ls = lines(log);
    f(&mut ls);
    std::fs::write(log, ls.concat()).unwrap();
}

/// Stderr with miette's wrapping undone (one space between words, no frame characters).
fn message(o: &Output) -> String {
    stderr(o)
        .replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn verify_fails(log: &Path, wants: &[&str]) {
    let o = run(log, &["audit", "verify"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let err = message(&o);
    assert!(err.contains("driftgate::audit::"), "{err}");
    for w in wants {
        assert!(err.contains(w), "{w} not in {err}");
    }
    assert!(stdout(&o).is_empty(), "{}", stdout(&o));
}

#[test]
fn audit_verify_names_the_first_bad_entry() {
    let (_dir, log) = log_of(4);
    let o = run(&log, &["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("4 entries, chain intact"));
    let intact = std::fs::read(&log).unwrap();

    // Edited: entry 2 says the scan was clean.
    rewrite(&log, |ls| {
        ls[1] = ls[1].replace("\"outcome\":\"drift\"", "\"outcome\":\"ok\"")
    });
    verify_fails(&log, &["line 3 (seq 3)", "line 2 was edited"]);

    // Removed.
    std::fs::write(&log, &intact).unwrap();
    rewrite(&log, |ls| {
        ls.remove(2);
    });
    verify_fails(&log, &["line 3 (seq 4)", "missing"]);

    // Reordered.
    std::fs::write(&log, &intact).unwrap();
    rewrite(&log, |ls| ls.swap(0, 1));
    verify_fails(&log, &["line 1 (seq 2)", "entry 1 is missing"]);

    // Truncated in the middle of the last line.
    std::fs::write(&log, &intact[..intact.len() - 20]).unwrap();
    verify_fails(&log, &["line 4", "torn"]);
    // ... and an append refuses to bury the damage.
    let o = scan(&log);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("driftgate::audit::damaged"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&log).unwrap(), &intact[..intact.len() - 20]);

    // Truncated at a line end: only the anchored head tells.
    std::fs::write(&log, &intact).unwrap();
    let head = stdout(&run(&log, &["audit", "verify"]))
        .lines()
        .find_map(|l| l.strip_prefix("head ").map(str::to_string))
        .unwrap();
    rewrite(&log, |ls| {
        ls.pop();
    });
    assert_eq!(code(&run(&log, &["audit", "verify"])), 0);
    let o = run(&log, &["audit", "verify", "--anchor", &head]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("driftgate::audit::anchor_not_found"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&log, &intact).unwrap();
    assert_eq!(code(&scan(&log)), 2);
    let o = run(&log, &["audit", "verify", "--anchor", &head]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("5 entries"));
}

#[test]
fn an_empty_log_verifies_and_a_missing_one_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("audit.jsonl");
    let o = run(&log, &["audit", "verify"]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("driftgate::audit::missing"),
        "{}",
        stderr(&o)
    );
    std::fs::write(&log, "").unwrap();
    let o = run(&log, &["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("0 entries"));
    assert!(stdout(&o).contains(&format!("head sha256:{}", "0".repeat(64))));
}

#[test]
fn audit_show_filters_and_prints_json() {
    let (_dir, log) = log_of(2);
    let failing = [
        "scan",
        "--state",
        "/no/such.tfstate",
        "--observed",
        "/no/obs.json",
    ];
    assert_eq!(code(&run(&log, &failing)), 1);
    let o = run(&log, &["audit", "show"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains("3 of 3 entries shown"),
        "{}",
        stdout(&o)
    );
    let o = run(
        &log,
        &["audit", "show", "--outcome", "failed", "--format", "json"],
    );
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let shown = shown.as_array().unwrap();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["seq"], 3);
    assert!(shown[0]["hash"].as_str().unwrap().starts_with("sha256:"));
    let o = run(
        &log,
        &["audit", "show", "--command", "plan", "--format", "json"],
    );
    assert_eq!(stdout(&o).trim(), "[]");
    let o = run(
        &log,
        &[
            "audit",
            "show",
            "--since",
            "2000-01-01",
            "--command",
            "scan",
        ],
    );
    assert!(stdout(&o).contains("3 of 3") || stdout(&o).contains("3 entries shown"));
    // Bad filters are usage errors.
    for args in [
        &["audit", "show", "--since", "yesterday"][..],
        &["audit", "show", "--outcome", "okay"],
    ] {
        let o = run(&log, args);
        assert_eq!(code(&o), 1, "{args:?}");
    }
}

#[test]
fn concurrent_scans_each_append_one_entry_and_the_chain_holds() {
    const N: usize = 8;
    let (_dir, log) = log_of(0);
    let children: Vec<_> = (0..N)
        .map(|i| {
            cmd(&log)
                .env("DRIFTGATE_ACTOR", format!("writer-{i}"))
                .args(demo_scan())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert_eq!(c.wait().unwrap().code(), Some(2));
    }
    let o = run(&log, &["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(
        stdout(&o).contains(&format!("{N} entries")),
        "{}",
        stdout(&o)
    );
    let mut actors: Vec<String> = entries(&log)
        .iter()
        .map(|e| e["actor"].as_str().unwrap().to_string())
        .collect();
    actors.sort();
    let mut want: Vec<String> = (0..N).map(|i| format!("writer-{i}")).collect();
    want.sort();
    assert_eq!(actors, want);
}
