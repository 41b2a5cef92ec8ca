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

/// A state file holds secrets in clear: whatever is wrong with it, the diagnostic names the
/// file, the line and column and the JSON path, and shows nothing of what is there (no source
/// snippet, no quoted value). One planted secret per error kind of the state reader.
#[test]
fn state_errors_never_show_state_values() {
    const SECRET: &str = "Pl4nted-s3cret-9f2c";
    let attrs = format!(r#"{{"id":"sg-1","password":"{SECRET}","description":"{SECRET} again"}}"#);
    let instance = |extra: &str| {
        format!(r#"{{"schema_version":0,"attributes":{attrs},"sensitive_attributes":[]{extra}}}"#)
    };
    let resource = |mode: &str, module: &str, instances: &str| {
        format!(
            r#"{{"mode":"{mode}"{module},"type":"aws_security_group","name":"web","provider":"provider[\"registry.terraform.io/hashicorp/aws\"]","instances":[{instances}]}}"#
        )
    };
    let state = |version: &str, resources: &str| {
        format!(
            r#"{{
  "version": {version},
  "terraform_version": "1.9.0",
  "serial": 1,
  "lineage": "{SECRET}-lineage",
  "outputs": {{"db": {{"value": "{SECRET}", "type": "string", "sensitive": true}}}},
  "resources": [{resources}]
}}"#
        )
    };
    let good = resource("managed", "", &instance(""));
    let valid = state("4", &good);
    let cut = valid.find(SECRET).unwrap() + 5;
    let cases: Vec<(&str, String, &str)> = vec![
        // A syntax error right after the secret.
        (
            "bad_json",
            valid.replacen(&format!("\"{SECRET}\","), &format!("\"{SECRET}\" ;"), 1),
            "not_json",
        ),
        // Cut in the middle of the secret.
        ("truncated", valid[..cut].to_string(), "truncated"),
        // The secret where a number is due, as a string and as the wrong kind of value.
        (
            "wrong_type",
            state("4", &good).replace("\"serial\": 1", &format!("\"serial\": \"{SECRET}\"")),
            "parse",
        ),
        (
            "wrong_type_attrs",
            state(
                "4",
                &resource(
                    "managed",
                    "",
                    &instance("").replace(&attrs, &format!("\"{SECRET}\"")),
                ),
            ),
            "parse",
        ),
        (
            "version_not_a_number",
            state(&format!("\"{SECRET}\""), &good),
            "parse",
        ),
        (
            "unsupported_version",
            state("5", &good).replace("1.9.0", SECRET),
            "unsupported_version",
        ),
        ("legacy_version", state("3", &good), "legacy_version"),
        (
            "missing_field",
            state("4", &good.replace(r#""type":"aws_security_group","#, "")),
            "parse",
        ),
        (
            "bad_mode",
            state("4", &resource(SECRET, "", &instance(""))),
            "parse",
        ),
        (
            "bad_module",
            state(
                "4",
                &resource(
                    "managed",
                    &format!(r#","module":"module.{SECRET}[""#),
                    &instance(""),
                ),
            ),
            "parse",
        ),
        (
            "bad_index_key",
            state(
                "4",
                &resource(
                    "managed",
                    "",
                    &instance(&format!(r#","index_key":["{SECRET}"]"#)),
                ),
            ),
            "parse",
        ),
        (
            "bad_status",
            state(
                "4",
                &resource(
                    "managed",
                    "",
                    &instance(&format!(r#","status":"{SECRET}""#)),
                ),
            ),
            "parse",
        ),
        (
            "show_json",
            format!(r#"{{"format_version": "{SECRET}", "values": {{"x": "{SECRET}"}}}}"#),
            "show_json",
        ),
        ("not_an_object", format!(r#"["{SECRET}"]"#), "not_a_state"),
        (
            "no_version",
            format!(r#"{{"serial": 1, "x": "{SECRET}"}}"#),
            "not_a_state",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let observed = fixture("scenarios/clean/observed.json");
    let mut binary = format!("{{\"version\": 4, \"x\": \"{SECRET}").into_bytes();
    binary.extend_from_slice(b"\xff\xfe");
    let mut all: Vec<(String, Vec<u8>, &str)> = cases
        .into_iter()
        .map(|(n, t, c)| (n.to_string(), t.into_bytes(), c))
        .collect();
    all.push(("binary".into(), binary, "not_json"));
    for (name, bytes, kind) in all {
        let p = dir.path().join(format!("{name}.tfstate"));
        std::fs::write(&p, &bytes).unwrap();
        let o = run(&[
            "scan",
            "--state",
            p.to_str().unwrap(),
            "--observed",
            observed.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        // miette wraps long lines in a box: read the text without its layout.
        let flat: String = err
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '│')
            .collect();
        assert_eq!(code(&o), 1, "{name}: {err}");
        assert!(
            err.contains(&format!("driftgate::state::{kind}")),
            "{name}: wrong kind\n{err}"
        );
        assert!(
            !err.contains(SECRET),
            "{name}: the state's secret is in stderr\n{err}"
        );
        assert!(
            !flat.contains("Pl4nted"),
            "{name}: part of the secret is in stderr\n{err}"
        );
        assert!(
            flat.contains(&format!("{name}.tfstate")),
            "{name}: names no file\n{err}"
        );
        if kind != "plan_file" {
            assert!(
                flat.contains("line") && flat.contains("column") && flat.contains("at$"),
                "{name}: no line, column and JSON path\n{err}"
            );
        }
        assert!(stdout(&o).is_empty(), "{name}: {}", stdout(&o));
    }
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

#[test]
fn rules_lists_and_explains() {
    let o = run(&["rules"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("ingress_open_world_admin"));
    assert!(stdout(&o).contains("critical"));
    let o = run(&["rules", "explain", "iam_policy_wildcard"]);
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).len() > 100, "{}", stdout(&o));
    let o = run(&["rules", "explain", "no_such_rule"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("no_such_rule"));
}

#[test]
fn fail_on_sets_the_exit_threshold() {
    // A scenario whose only finding is `low`: the threshold decides the exit code.
    let dir = fixture("scenarios/rule-second-cidr-description-changed");
    let state = dir.join("terraform.tfstate");
    let observed = dir.join("observed.json");
    let scan = |extra: &[&str]| {
        let mut args = vec![
            "scan",
            "--state",
            state.to_str().unwrap(),
            "--observed",
            observed.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        run(&args)
    };
    // The default threshold (info) and any at or below low: drift, exit 2.
    assert_eq!(code(&scan(&[])), 2);
    assert_eq!(code(&scan(&["--fail-on", "info"])), 2);
    assert_eq!(code(&scan(&["--fail-on", "low"])), 2);
    // Above the finding's severity: the drift is reported, and the exit code is 0.
    for above in ["medium", "high", "critical"] {
        let o = scan(&["--fail-on", above]);
        assert_eq!(code(&o), 0, "--fail-on {above}: {}", stderr(&o));
        assert!(stdout(&o).contains("1 low"), "{}", stdout(&o));
    }
    // A bad severity is a usage error.
    let o = scan(&["--fail-on", "severe"]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("severe"), "{}", stderr(&o));
}

#[test]
fn a_broken_policy_file_is_a_diagnostic() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("driftgate.hcl");
    std::fs::write(&policy, "fail_on = \"severe\"\n").unwrap();
    let demo = fixture("demo");
    let o = run(&[
        "scan",
        "--state",
        demo.join("terraform.tfstate").to_str().unwrap(),
        "--observed",
        demo.join("observed.json").to_str().unwrap(),
        "--policy",
        policy.to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("driftgate::policy::"), "{}", stderr(&o));
}

/// Unsupported types in the state: incomplete by default (exit 1, said first), accepted by
/// the policy's `unchecked = "report"` (exit 0, still said first), and `--fail-on-unchecked`
/// overrides the policy (exit 1).
#[test]
fn unchecked_types_fail_by_default_and_the_policy_or_flag_decides() {
    let dir = fixture("scenarios/unchecked-accepted");
    let scan = |policy: &str, extra: &[&str]| {
        let mut cmd = driftgate();
        cmd.current_dir(&dir)
            .env("NO_COLOR", "1")
            .args(["scan", "--observed", "observed.json", "--policy", policy])
            .args(extra);
        cmd.output().expect("driftgate runs")
    };
    let empty = tempfile::NamedTempFile::new().unwrap();
    let none = empty.path().to_str().unwrap();
    // The verdict first, then what was not checked.
    let second_line = |o: &std::process::Output| stdout(o).lines().nth(1).unwrap_or("").to_string();
    let o = scan(none, &[]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("INCOMPLETE: "), "{}", stdout(&o));
    assert!(
        second_line(&o)
            .starts_with("NOT CHECKED: 1 recorded resource of 1 unsupported type (aws_s3_bucket)"),
        "{}",
        stdout(&o)
    );
    let o = scan("driftgate.hcl", &[]);
    assert_eq!(code(&o), 0, "{}", stdout(&o));
    assert!(stdout(&o).starts_with("No drift: "), "{}", stdout(&o));
    assert!(
        second_line(&o).starts_with("NOT CHECKED:"),
        "{}",
        stdout(&o)
    );
    let o = scan("driftgate.hcl", &["--fail-on-unchecked"]);
    assert_eq!(code(&o), 1, "{}", stdout(&o));
    let o = scan("driftgate.hcl", &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        v["coverage"],
        serde_json::json!({"checked": 16, "recorded": 17, "percent": 94.12, "unsupported": 1, "unchecked": "report"})
    );
    assert_eq!(v["complete"], true);
}

/// A diagnostic goes through the masking layer too: a URL's credentials and signature never
/// reach stderr, however the message wraps.
#[test]
fn diagnostics_never_show_credentials_in_a_url() {
    let o = run(&[
        "scan",
        "--state",
        "https://user:hunter2-do-not-print@example.invalid/state?X-Amz-Signature=sig-do-not-print",
        "--observed",
        fixture("demo/observed.json").to_str().unwrap(),
    ]);
    assert_eq!(code(&o), 1);
    let err = stderr(&o);
    assert!(err.contains("example.invalid"), "{err}");
    assert!(!err.contains("hunter2-do-not-print"), "{err}");
    assert!(!err.contains("sig-do-not-print"), "{err}");
}

#[test]
fn an_invalid_api_pace_is_a_usage_error_before_anything_is_read() {
    let state = fixture("scenarios/clean/terraform.tfstate");
    let observed = fixture("scenarios/clean/observed.json");
    let scan = |pace: &str| {
        driftgate()
            .args(["scan", "--state", state.to_str().unwrap()])
            .args(["--observed", observed.to_str().unwrap()])
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_API_PACE", pace)
            .output()
            .expect("the driftgate binary runs")
    };
    let o = scan("fast");
    assert_eq!(code(&o), 1);
    assert!(stderr(&o).contains("DRIFTGATE_API_PACE"), "{}", stderr(&o));
    assert!(stderr(&o).contains("auto, aws or off"), "{}", stderr(&o));
    assert_eq!(stdout(&o), "", "nothing was scanned");
    for pace in ["auto", "aws", "off", "OFF", ""] {
        assert_eq!(code(&scan(pace)), 0, "DRIFTGATE_API_PACE={pace}");
    }
}
