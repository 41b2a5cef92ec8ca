//! Real terraform states nobody on this project wrote (`../shared/corpora/tfstate-driftctl`,
//! see its README): every file loads or is refused with a coded error, none panics, every v4
//! state loads, and addresses print exactly as terraform prints them.
//!
//! The corpus lives outside the repository, in `../shared` (the project may not copy it in).
//! When it is absent these tests are *not applicable here*: counted apart by scripts/test,
//! never a failure, under `CI` too (tests/support/skip.rs, `Need::External`). The README says
//! how to get it.

#![allow(clippy::result_large_err)] // crate::Error is large; see src/iac/state.rs

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use driftgate::iac::read_local;
use miette::Diagnostic;

use crate::support::root;
use crate::support::skip::{Need, skip};

fn corpus_dir() -> PathBuf {
    root().join("../shared/corpora/tfstate-driftctl")
}

fn corpus() -> Option<Vec<PathBuf>> {
    let dir = corpus_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        skip(
            Need::External,
            &format!(
                "no corpus at {} (an external corpus; see README.md, \"Files the tests read from ../shared\")",
                dir.display()
            ),
        );
        return None;
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tfstate"))
        .collect();
    files.sort();
    Some(files)
}

fn name(p: &Path) -> String {
    p.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// What the file says its format version is, judged independently of driftgate.
fn claimed_version(p: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(p).ok()?;
    let json: serde_json::Value = serde_json::from_str(&text).ok()?;
    json.get("version")?.as_u64()
}

#[test]
fn every_corpus_state_loads_or_is_refused_with_a_code() {
    let Some(files) = corpus() else { return };
    let (mut loaded, mut refused, mut v4, mut resources) = (0, 0, 0, 0);
    let mut problems = Vec::new();
    for path in &files {
        let is_v4 = claimed_version(path) == Some(4);
        v4 += usize::from(is_v4);
        match catch_unwind(AssertUnwindSafe(|| read_local(path))) {
            Err(_) => problems.push(format!("{}: panicked", name(path))),
            Ok(Ok(state)) => {
                loaded += 1;
                resources += state.resources.len();
                println!(
                    "loaded   {:4} resources  {}",
                    state.resources.len(),
                    name(path)
                );
            }
            Ok(Err(e)) => {
                refused += 1;
                let code = e.code().map(|c| c.to_string()).unwrap_or_default();
                println!("refused  {code}: {e}  {}", name(path));
                if !code.starts_with("driftgate::state::") {
                    problems.push(format!("{}: uncoded error {e}", name(path)));
                }
                if is_v4 {
                    problems.push(format!(
                        "{}: a v4 state was refused: {e} ({code})",
                        name(path)
                    ));
                }
            }
        }
    }
    println!(
        "{} files: {loaded} loaded ({resources} managed resource instances), {refused} refused; {v4} are v4",
        files.len()
    );
    assert!(problems.is_empty(), "{problems:#?}");
    assert!(v4 > 0, "the corpus has no v4 state");
    assert_eq!(loaded, v4, "every v4 state loads, and only those");
}

fn addresses(file: &str) -> Option<Vec<String>> {
    let path = corpus_dir().join(file);
    if !corpus_dir().is_dir() {
        skip(
            Need::External,
            &format!("no corpus at {}", corpus_dir().display()),
        );
        return None;
    }
    if !path.is_file() {
        // The corpus is there but not whole: a broken set-up, not an absent corpus.
        skip(Need::Required, &format!("no {}", path.display()));
        return None;
    }
    let state = read_local(&path).unwrap();
    Some(
        state
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect(),
    )
}

#[test]
fn corpus_addresses_print_like_terraform() {
    // A module, count instances, and a state with only a data source.
    let Some(module) =
        addresses("pkg__iac__terraform__state__test__module.iam_iam-user__terraform.tfstate")
    else {
        return;
    };
    assert_eq!(
        module,
        [
            "module.iam_iam-user.aws_iam_access_key.this_no_pgp[0]",
            "module.iam_iam-user.aws_iam_user.this[0]",
        ]
    );
    let counted = addresses(
        "pkg__iac__terraform__state__test__aws_route53_record_multiples__terraform.tfstate",
    )
    .unwrap();
    assert_eq!(counted.len(), 11);
    assert_eq!(counted[0], "aws_route53_record.ns");
    assert!(counted.contains(&"aws_route53_record.test2[3]".to_string()));
    assert!(counted.contains(&"aws_route53_zone.foobar[1]".to_string()));
    let data_only =
        addresses("pkg__iac__terraform__state__test__data_source__terraform.tfstate").unwrap();
    assert!(data_only.is_empty(), "{data_only:?}");
}

/// With terraform on PATH, compare every v4 corpus file with `terraform state list`
/// (managed resources: driftgate drops data sources).
#[test]
fn corpus_addresses_match_terraform_state_list() {
    let Some(files) = corpus() else { return };
    let probe = std::process::Command::new("terraform")
        .arg("version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        skip(Need::Required, "terraform is not on PATH");
        return;
    }
    let cwd = tempfile::tempdir().unwrap();
    let (mut compared, mut mismatches) = (0, Vec::new());
    for path in files.iter().filter(|p| claimed_version(p) == Some(4)) {
        let out = std::process::Command::new("terraform")
            .args(["state", "list"])
            .arg(format!("-state={}", path.display()))
            .current_dir(cwd.path())
            .env("TF_CLI_CONFIG_FILE", "/dev/null")
            .env("TF_IN_AUTOMATION", "1")
            .output()
            .unwrap();
        if !out.status.success() {
            // terraform itself refuses a few test states (e.g. `"terraform_version": "invalid"`).
            println!("terraform refused {}, not compared", name(path));
            continue;
        }
        let mut want: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.is_empty() && !l.starts_with("data.") && !l.contains(".data."))
            .map(str::to_string)
            .collect();
        want.sort();
        let state = read_local(path).unwrap();
        let mut got: Vec<String> = state
            .resources
            .iter()
            .map(|r| r.address.to_string())
            .collect();
        got.sort();
        compared += 1;
        if got != want {
            mismatches.push(format!(
                "{}:\n  driftgate {got:?}\n  terraform {want:?}",
                name(path)
            ));
        }
    }
    println!("compared {compared} states with `terraform state list`");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert!(compared > 0);
}

/// A file from `../shared/` that is absent makes a test not applicable here, never a CI
/// failure, and scripts/test counts it apart; a missing tool (moto, terraform) still fails
/// under CI (issue 17, point 9).
#[test]
fn an_absent_external_file_is_not_applicable_and_never_fails_ci() {
    use crate::support::skip::{fails, not_applicable_log_path};
    assert!(!fails(Need::External, true));
    assert!(!fails(Need::External, false));
    assert!(fails(Need::Required, true));
    assert!(!fails(Need::Required, false));
    assert!(!fails(Need::Optional, true));
    let script = std::fs::read_to_string(crate::support::root().join("scripts/test")).unwrap();
    let file = not_applicable_log_path();
    let file = file.file_name().unwrap().to_str().unwrap();
    assert!(
        script.contains(&format!("$CARGO_TARGET_DIR/tmp/{file}")),
        "{file}"
    );
    assert!(
        script.contains("skipped, $na not applicable\""),
        "the summary line counts them apart"
    );
    // And the summary's "passed" does not count them.
    assert!(script.contains("$((passed - skipped - na)) passed"));
}
