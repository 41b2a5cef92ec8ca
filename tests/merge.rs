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
    shard_with(dir, scenario, &[])
}

/// [`shard`] with more `scan` arguments.
fn shard_with(dir: &std::path::Path, scenario: &str, extra: &[&str]) -> String {
    let base = fixture(&format!("scenarios/{scenario}"));
    let out = dir.join(format!("{scenario}.json"));
    let mut args = vec![
        "scan",
        "--state",
        base.join("terraform.tfstate").to_str().unwrap(),
        "--observed",
        base.join("observed.json").to_str().unwrap(),
        "--format",
        "json",
        "--out",
        out.to_str().unwrap(),
    ]
    .into_iter()
    .map(str::to_string)
    .collect::<Vec<_>>();
    args.extend(extra.iter().map(|a| a.to_string()));
    let o = run(&args.iter().map(String::as_str).collect::<Vec<_>>(), dir);
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

fn edit(path: &str, change: impl FnOnce(&mut serde_json::Map<String, serde_json::Value>)) {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    change(v.as_object_mut().unwrap());
    std::fs::write(path, serde_json::to_string_pretty(&v).unwrap()).unwrap();
}

/// A shard without `fail_on` had the threshold `info`: merged with a shard whose threshold is
/// `high`, its medium findings still fail the merge, as they failed the shard.
#[test]
fn a_shard_without_fail_on_keeps_failing_the_merge() {
    let dir = tempfile::tempdir().unwrap();
    let medium = shard(dir.path(), "sensitive-list-rotated");
    edit(&medium, |o| {
        assert!(o.remove("fail_on").is_some());
    });
    let clean = shard_with(dir.path(), "clean", &["--fail-on", "high"]);
    let o = run(&["merge", &medium], dir.path());
    assert_eq!(o.status.code(), Some(2), "alone");
    for shards in [[&medium, &clean], [&clean, &medium]] {
        let o = run(&["merge", shards[0], shards[1]], dir.path());
        assert_eq!(
            o.status.code(),
            Some(2),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let merged: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        validate(&merged);
        assert_eq!(merged["fail_on"], "info");
    }
}

/// A severity that is not one of the five levels makes the file not a report.
#[test]
fn an_unknown_severity_is_not_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let clean = shard(dir.path(), "clean");
    let medium = shard(dir.path(), "sensitive-list-rotated");
    edit(&medium, |o| {
        o["findings"][0]["severity"] = "severe".into();
    });
    let o = run(&["merge", &clean, &medium], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("sensitive-list-rotated.json")
            && err.contains("severe")
            && err.contains("not a driftgate scan report"),
        "{err}"
    );
    edit(&clean, |o| {
        o.insert("fail_on".into(), "urgent".into());
    });
    let o = run(&["merge", &clean], dir.path());
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("clean.json") && err.contains("urgent"),
        "{err}"
    );
}
