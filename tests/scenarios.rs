//! Whole-pipeline scenarios, offline: each directory under `fixtures/scenarios/` holds one or
//! more `*.tfstate` files and an `observed.json` (a recorded observation), optionally an `args`
//! file with extra flags (one per line). The table and JSON reports and the exit code are
//! snapshot-tested with insta. A bug report becomes a test by copying its files into a new
//! directory here.

use std::path::Path;

use crate::support::{driftgate, fixture};

fn scenario_dirs() -> Vec<std::path::PathBuf> {
    let mut dirs: Vec<_> = std::fs::read_dir(fixture("scenarios"))
        .expect("fixtures/scenarios exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

fn run(dir: &Path, format: &str) -> (i32, String, String) {
    let mut cmd = driftgate();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_FINGERPRINT_KEY");
    cmd.args(["scan", "--observed", "observed.json", "--format", format]);
    let mut states: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tfstate"))
        .collect();
    states.sort();
    for s in &states {
        cmd.args(["--state", s]);
    }
    if let Ok(args) = std::fs::read_to_string(dir.join("args")) {
        cmd.args(args.lines().map(str::trim).filter(|l| !l.is_empty()));
    }
    let o = cmd.output().expect("driftgate runs");
    (
        o.status.code().expect("exit code"),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// One test per scenario directory, so that one failure does not hide the others. Every
/// directory under `fixtures/scenarios/` must be listed here (`every_scenario_directory_is_a_test`
/// says which one is not).
macro_rules! scenarios {
    ($($test:ident => $dir:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                check_scenario($dir);
            }
        )*
        const LISTED: &[&str] = &[$($dir),*];
    };
}

scenarios! {
    clean => "clean",
    configured => "configured",
    default_group_adopted_ssh_opened => "default-group-adopted-ssh-opened",
    default_group_ssh_opened => "default-group-ssh-opened",
    drifted => "drifted",
    incomplete => "incomplete",
    regraded => "regraded",
    rule_of_a_group_in_another_region => "rule-of-a-group-in-another-region",
    rule_of_a_group_in_another_region_scanned => "rule-of-a-group-in-another-region-scanned",
    rule_second_cidr_description_changed => "rule-second-cidr-description-changed",
    sensitive_list_clean => "sensitive-list-clean",
    sensitive_list_rotated => "sensitive-list-rotated",
    strict => "strict",
    unchecked => "unchecked",
    unchecked_accepted => "unchecked-accepted",
}

#[test]
fn every_scenario_directory_is_a_test() {
    let dirs: Vec<String> = scenario_dirs()
        .iter()
        .map(|d| d.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(!dirs.is_empty(), "no scenarios under fixtures/scenarios");
    let mut listed: Vec<String> = LISTED.iter().map(|d| d.to_string()).collect();
    listed.sort();
    assert_eq!(
        dirs, listed,
        "add each directory of fixtures/scenarios to `scenarios!` in tests/scenarios.rs"
    );
}

/// Runs one scenario in both formats: exit code, no panic, snapshots, `complete` vs exit code.
fn check_scenario(name: &str) {
    let dir = fixture("scenarios").join(name);
    let expected_exit: i32 = std::fs::read_to_string(dir.join("exit"))
        .unwrap_or_else(|_| panic!("{name}: needs an `exit` file with the expected exit code"))
        .trim()
        .parse()
        .expect("exit file holds a number");
    for format in ["json", "table"] {
        let (code, stdout, stderr) = run(&dir, format);
        assert_eq!(
            code, expected_exit,
            "{name} ({format}): exit code\nstderr:\n{stderr}\nstdout:\n{stdout}"
        );
        assert!(!stderr.contains("panicked"), "{name}: {stderr}");
        // Exit 1 is never silent: stderr says the scan is incomplete (and nothing else does).
        assert_eq!(
            stderr.contains("is incomplete"),
            expected_exit == 1,
            "{name} ({format}): stderr:\n{stderr}"
        );
        insta::with_settings!({ snapshot_path => "snapshots/scenarios", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(format!("{name}.{format}"), stdout);
        });
        if format == "json" {
            let report: serde_json::Value =
                serde_json::from_str(&stdout).expect("json output parses");
            assert_eq!(
                report["complete"].as_bool(),
                Some(expected_exit != 1),
                "{name}: complete vs exit"
            );
        }
    }
}
