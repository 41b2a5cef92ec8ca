//! `driftgate merge` as a CI matrix uses it: shard reports written by `scan --format json`
//! (offline, from the bundled recordings) combined into one, valid against the published
//! schema, with the exit codes of `scan`.

use std::process::Output;

use crate::support::{driftgate, fixture};

fn run(args: &[&str], cwd: &std::path::Path) -> Output {
    driftgate()
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("the driftgate binary runs")
}

/// `scan --format json --out DIR/NAME.json` of one scenario; returns the report's path.
fn shard(dir: &std::path::Path, scenario: &str) -> String {
    let base = fixture(&format!("scenarios/{scenario}"));
    let out = dir.join(format!("{scenario}.json"));
    let o = run(
        &[
            "scan",
            "--state",
            base.join("terraform.tfstate").to_str().unwrap(),
            "--observed",
            base.join("observed.json").to_str().unwrap(),
            "--format",
            "json",
            "--out",
            out.to_str().unwrap(),
        ],
        dir,
    );
    assert!(out.exists(), "{}", String::from_utf8_lossy(&o.stderr));
    out.display().to_string()
}

fn validate(report: &serde_json::Value) {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixture("../docs/report.schema.json")).unwrap(),
    )
    .unwrap();
    let v = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}

#[test]
fn shards_merge_into_one_report_with_scans_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let drifted = shard(dir.path(), "drifted");
    let clean = shard(dir.path(), "clean");
    let incomplete = shard(dir.path(), "incomplete");
    let alone: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&drifted).unwrap()).unwrap();

    // The drifted shard twice (overlapping shards) and a clean one: each finding once.
    let out = dir.path().join("merged.json");
    let o = run(
        &[
            "merge",
            &drifted,
            &clean,
            &drifted,
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let merged: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    validate(&merged);
    assert_eq!(merged["findings"], alone["findings"]);
    assert_eq!(merged["complete"], true);
    assert_eq!(
        merged["summary"]["changed"], alone["summary"]["changed"],
        "{}",
        merged["summary"]
    );

    // One shard that could not see everything: the merge is incomplete, exit 1.
    let o = run(&["merge", &clean, &incomplete], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let merged: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    validate(&merged);
    assert_eq!(merged["complete"], false);
    assert!(!merged["gaps"].as_array().unwrap().is_empty());

    // Clean shards: exit 0.
    let o = run(&["merge", &clean, &clean], dir.path());
    assert_eq!(o.status.code(), Some(0));

    // Not a report: a clear error, exit 1.
    std::fs::write(dir.path().join("x.json"), "{\"schema_version\": 1}").unwrap();
    let o = run(&["merge", &clean, "x.json"], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("x.json") && err.contains("not a driftgate scan report"),
        "{err}"
    );
}
