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

/// A lifetime beyond a year, in any unit or too large for any integer, is a usage error with a
/// message, never a panic (issue 16: `--ttl 3000000d` and `approve --expires 3000000d`
/// panicked adding it to the clock, `--ttl 500d` was accepted).
#[test]
fn a_huge_ttl_or_expires_is_a_usage_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for huge in [
        "500d",
        "8785h",
        "3000000d",
        "9223372036854775807s",
        "99999999999999999999999d",
    ] {
        for args in [
            vec!["plan", "--ttl", huge],
            vec!["approve", "p.json", "--key", "k", "--expires", huge],
        ] {
            let o = run(&args, dir.path());
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
            assert!(!err.contains("panicked"), "{args:?}: {err}");
            assert!(err.contains("at most a year"), "{args:?}: {err}");
        }
    }
    assert!(!dir.path().join("driftgate.plan.json").exists());
}

/// `--accept` and import on the demo with its configuration (fixtures/config/probe, the same
/// stack): the VPC's edited tag is taken into main.tf as a one-word diff, a block repeated by
/// `count`/`for_each` is left to a person with its file and line, the unmanaged group, role
/// and rule get import and resource blocks in one new file, and `--accept` without the
/// configuration is an error. Nothing is written before `apply`.
#[test]
fn accept_edits_the_block_and_unmanaged_objects_get_import_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    // A line beside the edited one quotes a value the state holds as secret: the diff's
    // context must not carry it into the plan.
    let main_tf = std::fs::read_to_string(fixture("config/probe/main.tf"))
        .unwrap()
        .replace(
            "  enable_dns_hostnames = true\n",
            &format!("  enable_dns_hostnames = true\n  # rotated from {SECRET}\n"),
        );
    assert!(main_tf.contains(SECRET));
    std::fs::write(config.join("main.tf"), &main_tf).unwrap();
    let state = state_with_a_secret(dir.path());
    let observed = fixture("demo/observed.json");
    let out = dir.path().join("p.json");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "plan",
            "--observed",
            observed.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let argv = args(&[
        "--config",
        config.to_str().unwrap(),
        "--accept",
        "aws_vpc.*",
        "--accept",
        "aws_instance.worker*",
        "--format",
        "json",
    ]);
    let o = run(
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let actions = v["plan"]["actions"].as_array().unwrap();
    let find = |kind: &str, name: &str| {
        actions
            .iter()
            .find(|a| {
                a["kind"] == kind
                    && (a["address"].as_str() == Some(name) || a["resource_id"] == name)
            })
            .unwrap_or_else(|| panic!("no {kind} {name}: {actions:#?}"))
    };
    let vpc = find("accept", "aws_vpc.main");
    assert_eq!(vpc["status"], "planned");
    assert_eq!(vpc["follow_up"], "terraform apply -refresh-only");
    let call = &vpc["calls"][0];
    assert_eq!(call["api"], "config:EditFile");
    assert_eq!(call["file"], "main.tf");
    let diff = call["diff"].as_str().unwrap();
    assert!(
        diff.contains("-  tags = { Name = \"main\", team = \"core\" }\n+  tags = { Name = \"main\", team = \"edge\" }\n"),
        "{diff}"
    );
    assert!(diff.contains("# rotated from (sensitive)"), "{diff}");
    assert!(!diff.contains(SECRET), "{diff}");
    let worker = find("accept", "aws_instance.worker[\"a\"]");
    assert_eq!(worker["status"], "manual");
    let cmd = worker["manual_command"].as_str().unwrap();
    assert!(cmd.starts_with("edit main.tf:"), "{cmd}");
    assert!(cmd.ends_with("terraform apply -refresh-only"), "{cmd}");
    // Not accepted: still reverted.
    assert!(
        actions
            .iter()
            .any(|a| a["kind"] == "revert" && a["address"] == "aws_security_group.web")
    );
    // One new file holds every import, each edit chained onto the one before.
    let imports: Vec<&serde_json::Value> =
        actions.iter().filter(|a| a["kind"] == "import").collect();
    assert_eq!(imports.len(), 3, "{imports:#?}");
    let mut before = serde_json::Value::Null;
    let mut text_all = String::new();
    for a in &imports {
        assert_eq!(a["status"], "planned");
        let c = &a["calls"][0];
        assert_eq!(c["file"], "driftgate_imports.tf");
        assert_eq!(c["before_sha256"], before);
        before = c["after_sha256"].clone();
        text_all.push_str(c["edit"]["append"]["text"].as_str().unwrap());
    }
    for want in [
        "import {\n  to = aws_iam_role.rogue\n  id = \"rogue\"\n}",
        "resource \"aws_security_group\" \"sg_deb208a1e4a99bfba\" {",
        "\"Action\": \"sts:AssumeRole\"",
        "resource \"aws_vpc_security_group_ingress_rule\"",
    ] {
        assert!(text_all.contains(want), "{want} not in:\n{text_all}");
    }
    // Nothing is written by `plan`, and no secret is in the plan.
    assert_eq!(
        std::fs::read_to_string(config.join("main.tf")).unwrap(),
        main_tf
    );
    assert!(!config.join("driftgate_imports.tf").exists());
    assert!(!std::fs::read_to_string(&out).unwrap().contains(SECRET));
    assert!(!text(&o.stdout).contains(SECRET));

    // The table shows the diff and the follow-ups.
    let argv = args(&[
        "--config",
        config.to_str().unwrap(),
        "--accept",
        "aws_vpc.*",
    ]);
    let o = run(
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    let t = text(&o.stdout);
    assert!(
        t.contains("accept edits main.tf:\n--- a/main.tf\n+++ b/main.tf\n"),
        "{t}"
    );
    assert!(
        t.contains("After apply, terraform takes the edited configuration"),
        "{t}"
    );

    // --accept needs the configuration.
    let argv = args(&["--accept", "aws_vpc.*"]);
    let o = run(
        &argv.iter().map(String::as_str).collect::<Vec<_>>(),
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("--accept"), "{}", text(&o.stderr));
}
