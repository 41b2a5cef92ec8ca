//! `driftgate plan` as a user runs it: offline on the bundled demo (a real terraform state and
//! a recorded observation of the drifted stack).

use std::process::Output;

use crate::support::{driftgate, fixture};

fn run(args: &[&str], cwd: &std::path::Path) -> Output {
    driftgate()
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("DRIFTGATE_ACTOR", "test-actor")
        .env_remove("DRIFTGATE_FINGERPRINT_KEY")
        .output()
        .expect("the driftgate binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The demo state with a secret added: the `deploy` user's `secret` tag, marked sensitive as
/// terraform marks a tag set from a `sensitive = true` variable. The observation lacks the tag,
/// so the plan must restore it, without ever holding it.
const SECRET: &str = "s3cr3t-9c1e-tag-value";

fn state_with_a_secret(dir: &std::path::Path) -> std::path::PathBuf {
    let text = std::fs::read_to_string(fixture("demo/terraform.tfstate")).unwrap();
    let mut state: serde_json::Value = serde_json::from_str(&text).unwrap();
    let user = state["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "aws_iam_user")
        .unwrap();
    let inst = &mut user["instances"][0];
    for attr in ["tags", "tags_all"] {
        inst["attributes"][attr]["secret"] = SECRET.into();
    }
    inst["sensitive_attributes"] = serde_json::json!([
        [{"type": "get_attr", "value": "tags"}, {"type": "index", "value": {"value": "secret", "type": "string"}}],
        [{"type": "get_attr", "value": "tags_all"}, {"type": "index", "value": {"value": "secret", "type": "string"}}]
    ]);
    let path = dir.join("terraform.tfstate");
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    path
}

#[test]
fn plan_on_the_demo_writes_the_file_and_prints_the_apply_command_last() {
    let dir = tempfile::tempdir().unwrap();
    let state = state_with_a_secret(dir.path());
    let out = dir.path().join("X.plan.json");
    let observed = fixture("demo/observed.json");
    let o = run(
        &[
            "plan",
            "--observed",
            observed.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    let stdout = text(&o.stdout);
    assert_eq!(o.status.code(), Some(2), "{stdout}\n{}", text(&o.stderr));
    let file = std::fs::read_to_string(&out).expect("the plan file is written");
    let plan: serde_json::Value = serde_json::from_str(&file).unwrap();
    assert_eq!(plan["format_version"], 1);
    assert_eq!(plan["author"]["actor"], "test-actor");
    let token = driftgate::plan::digest::token(plan["digest"].as_str().unwrap());
    let last = stdout.lines().last().unwrap();
    assert_eq!(
        last,
        format!(
            "driftgate apply {} --approve {token}",
            out.to_str().unwrap()
        )
    );
    // The secret tag is restored from the state, never carried.
    assert!(file.contains("\"from_state\""), "{file}");
    for (name, content) in [
        ("plan file", &file),
        ("stdout", &stdout),
        ("stderr", &text(&o.stderr)),
    ] {
        assert!(!content.contains(SECRET), "the secret is in the {name}");
    }
    // Each finding kind is answered, the table names the calls.
    assert!(stdout.contains("ec2:CreateTags"), "{stdout}");
    assert!(stdout.contains("iam:TagUser"), "{stdout}");
    assert!(stdout.contains("terraform import"), "{stdout}");
    // The file verifies: digest and expiry.
    let now = time::OffsetDateTime::now_utc();
    driftgate::plan::file::read("X.plan.json", &file, now).expect("the written plan verifies");
}

#[test]
fn plan_json_output_and_the_clean_case() {
    let dir = tempfile::tempdir().unwrap();
    let state = fixture("scenarios/clean/terraform.tfstate");
    let observed = fixture("scenarios/clean/observed.json");
    let out = dir.path().join("p.json");
    let o = run(
        &[
            "plan",
            "--observed",
            observed.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("Nothing to do"));
    assert!(!out.exists(), "no plan file when there is nothing to do");

    let o = run(
        &[
            "plan",
            "--observed",
            fixture("demo/observed.json").to_str().unwrap(),
            "--state",
            fixture("demo/terraform.tfstate").to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--format",
            "json",
            "--target",
            "aws_vpc.*",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("stdout is JSON");
    assert_eq!(v["plan"]["actions"].as_array().unwrap().len(), 1);
    assert_eq!(v["plan"]["actions"][0]["calls"][0]["api"], "ec2:CreateTags");
    assert!(v["token"].as_str().unwrap().starts_with("dg1-"));
}

#[test]
fn plan_refuses_an_incomplete_scan_and_bad_flags() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("p.json");
    let o = run(
        &[
            "plan",
            "--observed",
            fixture("scenarios/incomplete/observed.json")
                .to_str()
                .unwrap(),
            "--state",
            fixture("scenarios/incomplete/terraform.tfstate")
                .to_str()
                .unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("driftgate::plan::incomplete_scan"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    for bad in [&["plan", "--ttl", "soon"][..], &["plan", "--ttl", "0h"]] {
        let o = run(bad, dir.path());
        assert_eq!(o.status.code(), Some(1), "{bad:?}");
    }
}
