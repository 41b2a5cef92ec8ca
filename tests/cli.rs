//! The real binary: help, usage errors, exit codes, formats, bad input. Offline: every scan
//! here replays a recorded observation.

use std::process::Output;

use crate::support::{driftgate, fixture};

fn run(args: &[&str]) -> Output {
    driftgate()
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_FINGERPRINT_KEY")
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

#[test]
fn help_and_version_exit_zero() {
    let o = run(&["--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("scan"), "{}", stdout(&o));
    assert!(stdout(&o).contains("Exit codes"));
    let o = run(&["scan", "--help"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("--observed"));
    let o = run(&["--version"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_one_not_two() {
    for args in [
        &["scan", "--bogus"][..],
        &["frobnicate"],
        &["scan", "--format", "yaml"],
        &[],
    ] {
        let o = run(args);
        assert_eq!(code(&o), 1, "{args:?}: {}", stderr(&o));
    }
}

#[test]
fn bad_state_files_are_diagnostics_with_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &[u8], &str)] = &[
        (
            "garbage.tfstate",
            b"this is not json",
            "driftgate::state::not_json",
        ),
        (
            "truncated.tfstate",
            b"{\"version\": 4, \"resources\": [",
            "driftgate::state::truncated",
        ),
        (
            "v3.tfstate",
            br#"{"version": 3, "terraform_version": "0.11.14", "serial": 1, "modules": []}"#,
            "driftgate::state::legacy_version",
        ),
        (
            "plan.tfplan",
            b"PK\x03\x04\x14\x00\x00\x00",
            "driftgate::state::plan_file",
        ),
    ];
    let observed = fixture("scenarios/clean/observed.json");
    for (name, bytes, code_name) in cases {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        let o = run(&[
            "scan",
            "--state",
            p.to_str().unwrap(),
            "--observed",
            observed.to_str().unwrap(),
        ]);
        assert_eq!(code(&o), 1, "{name}");
        assert!(stderr(&o).contains(code_name), "{name}: {}", stderr(&o));
        assert!(!stderr(&o).contains("panicked"), "{name}: {}", stderr(&o));
    }
    let o = run(&[
        "scan",
        "--state",
        "/nonexistent/terraform.tfstate",
        "--observed",
        observed.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("driftgate::state::read"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_missing_or_broken_observation_is_an_error() {
    let state = fixture("scenarios/clean/terraform.tfstate");
    let o = run(&[
        "scan",
        "--state",
        state.to_str().unwrap(),
        "--observed",
        "/nonexistent.json",
    ]);
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("driftgate::observation"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn out_writes_the_report_to_a_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.json");
    let o = run(&[
        "scan",
        "--state",
        fixture("scenarios/clean/terraform.tfstate")
            .to_str()
            .unwrap(),
        "--observed",
        fixture("scenarios/clean/observed.json").to_str().unwrap(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(report["complete"], true);
}
