//! Secrets inside lists and sets, offline, through the real binary: a state written by
//! terraform whose `sensitive_attributes` marks one element of a rule's `cidr_blocks` (and,
//! through a set, a whole inline `ingress`), replayed against observations recorded with
//! `driftgate observe --out` (fixtures/scenarios/sensitive-list-*). The secret is in no output
//! and in no written file; a rotated one is reported with both sides `(sensitive)`.

use std::path::Path;
use std::process::Output;

use serde_json::{Value as Json, json};

use crate::support::{driftgate, fixture};

/// The CIDR the fixtures' state holds from a sensitive variable.
const OFFICE_CIDR: &str = "198.51.100.7/32";
/// What it was replaced with, out of band, in the `rotated` observation.
const ROTATED_CIDR: &str = "203.0.113.9/32";

fn scan(dir: &Path, format: &str, out: Option<&Path>) -> Output {
    let mut cmd = driftgate();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_FINGERPRINT_KEY")
        .args([
            "scan",
            "--observed",
            "observed.json",
            "--state",
            "terraform.tfstate",
            "--format",
            format,
        ]);
    if let Some(out) = out {
        cmd.args(["--out", &out.display().to_string()]);
    }
    cmd.output().expect("driftgate runs")
}

fn assert_nowhere(text: &str, what: &str) {
    for secret in [OFFICE_CIDR, ROTATED_CIDR] {
        assert!(!text.contains(secret), "{what}: {secret} is shown:\n{text}");
    }
}

fn assert_output_clean(o: &Output, what: &str) {
    assert_nowhere(
        &String::from_utf8_lossy(&o.stdout),
        &format!("{what} stdout"),
    );
    assert_nowhere(
        &String::from_utf8_lossy(&o.stderr),
        &format!("{what} stderr"),
    );
}

#[test]
fn recorded_observations_hold_no_secret_list_element() {
    for name in ["sensitive-list-clean", "sensitive-list-rotated"] {
        let dir = fixture(&format!("scenarios/{name}"));
        let observed = std::fs::read_to_string(dir.join("observed.json")).unwrap();
        assert_nowhere(&observed, &format!("{name}/observed.json"));
        // The fixture is what it claims: the state marks one element of a list.
        let state = std::fs::read_to_string(dir.join("terraform.tfstate")).unwrap();
        assert!(state.contains(OFFICE_CIDR));
        assert!(state.contains(r#""type":"index""#) || state.contains(r#""type": "index""#));
    }
}

#[test]
fn a_sensitive_list_element_scans_clean() {
    let dir = fixture("scenarios/sensitive-list-clean");
    let o = scan(&dir, "json", None);
    assert_output_clean(&o, "clean json");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let r: Json = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["findings"], json!([]), "{r:#}");
}

#[test]
fn a_rotated_sensitive_list_element_is_reported_and_never_shown() {
    let dir = fixture("scenarios/sensitive-list-rotated");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("report.json");
    let o = scan(&dir, "json", Some(&out));
    assert_output_clean(&o, "rotated json");
    let written = std::fs::read_to_string(&out).expect("--out written");
    assert_nowhere(&written, "--out file");
    let r: Json = serde_json::from_str(&written).unwrap();
    let findings = r["findings"].as_array().unwrap();
    // The rule resource: its secret element replaced.
    let rule = findings
        .iter()
        .find(|f| f["address"] == "aws_security_group_rule.office")
        .unwrap_or_else(|| panic!("the rotated rule is not reported:\n{r:#}"));
    assert_eq!(rule["kind"], json!("changed"), "{rule:#}");
    assert_eq!(rule["changes"][0]["path"], json!("cidr_blocks"), "{rule:#}");
    for side in ["before", "after"] {
        let items = rule["changes"][0][side].as_array().unwrap();
        assert!(items.contains(&json!("(sensitive)")), "{side}: {rule:#}");
        assert!(items.contains(&json!("10.1.0.0/16")), "{side}: {rule:#}");
    }
    // The inline group: terraform marks the whole ingress set.
    let group = findings
        .iter()
        .find(|f| f["address"] == "aws_security_group.inline")
        .unwrap_or_else(|| panic!("the rotated inline rule is not reported:\n{r:#}"));
    assert_eq!(group["changes"][0]["path"], json!("ingress"), "{group:#}");
    assert_eq!(
        group["changes"][0]["before"],
        json!("(sensitive)"),
        "{group:#}"
    );
    assert_eq!(
        group["changes"][0]["after"],
        json!("(sensitive)"),
        "{group:#}"
    );
    // No object is reported unmanaged for the replaced source.
    assert!(
        !findings.iter().any(|f| f["kind"] == "unmanaged"),
        "the replacing rule is reported as unmanaged:\n{r:#}"
    );
    let table = scan(&dir, "table", None);
    assert_output_clean(&table, "rotated table");
    assert!(String::from_utf8_lossy(&table.stdout).contains("(sensitive)"));
}

/// Every report format goes through the one masking layer: the rotated secret list element is
/// reported in each of them (the finding is there, its values `(sensitive)`), and the secret is
/// in none of them, nor in the job summary written beside them.
#[test]
fn no_secret_in_any_format() {
    let dir = fixture("scenarios/sensitive-list-rotated");
    let tmp = tempfile::tempdir().unwrap();
    for format in ["table", "json", "sarif", "markdown", "junit", "html"] {
        let summary = tmp.path().join(format!("summary-{format}.md"));
        let out = tmp.path().join(format!("report.{format}"));
        let o = driftgate()
            .current_dir(&dir)
            .env("NO_COLOR", "1")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env_remove("DRIFTGATE_FINGERPRINT_KEY")
            .args([
                "scan",
                "--observed",
                "observed.json",
                "--state",
                "terraform.tfstate",
                "--format",
                format,
                "--out",
            ])
            .arg(&out)
            .output()
            .expect("driftgate runs");
        assert_output_clean(&o, format);
        let written = std::fs::read_to_string(&out).expect("--out written");
        assert_nowhere(&written, &format!("{format} report"));
        assert!(
            written.contains("aws_security_group_rule.office"),
            "{format}: the rotated rule is not reported:\n{written}"
        );
        assert!(
            written.contains("(sensitive)"),
            "{format}: the secret's place is not marked:\n{written}"
        );
        let md = std::fs::read_to_string(&summary).expect("step summary written");
        assert_nowhere(&md, &format!("{format} step summary"));
        assert!(md.contains("aws_security_group_rule.office"), "{md}");
    }
}
