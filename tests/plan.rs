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
    let token = driftgate::plan_file::digest::token(plan["digest"].as_str().unwrap());
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
    driftgate::plan_file::read("X.plan.json", &file, now).expect("the written plan verifies");
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
        text(&o.stderr).contains("driftgate::planner::incomplete_scan"),
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
/// `count`/`for_each` is left to a person with its file and line, the unmanaged group, role,
/// rules and route get import and resource blocks in one new file, and `--accept` without the
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
    // The unmanaged group, role and rule, and (since the demo shows route tables and network
    // ACLs) the allow-all ACL rule and the route to the internet added by hand.
    assert_eq!(imports.len(), 5, "{imports:#?}");
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
        "to = aws_network_acl_rule.app_90",
        "resource \"aws_route\" \"private_0_0_0_0_0\"",
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

/// A `--accept` or `--target` pattern that matches nothing it could select (issue 17, point 3):
/// a usage error (exit 1) naming the nearest addresses, and no plan written; an accept never
/// becomes the revert of what the user meant to keep.
#[test]
fn a_pattern_that_matches_nothing_is_a_usage_error_with_the_nearest_address() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::create_dir(&config).unwrap();
    std::fs::copy(fixture("config/probe/main.tf"), config.join("main.tf")).unwrap();
    let out = dir.path().join("p.json");
    let observed = fixture("demo/observed.json");
    let state = fixture("demo/terraform.tfstate");
    let plan = |extra: &[&str]| {
        let mut a = vec![
            "plan",
            "--observed",
            observed.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--config",
            config.to_str().unwrap(),
        ];
        a.extend(extra);
        run(&a, dir.path())
    };
    for (extra, flag, want) in [
        (
            &["--accept", "aws_vpc.mian"][..],
            "--accept aws_vpc.mian",
            "did you mean aws_vpc.main?",
        ),
        (
            &["--target", "aws_vpc.mian"],
            "--target aws_vpc.mian",
            "did you mean aws_vpc.main?",
        ),
        (
            &["--target", "aws_security_group.wbe"],
            "--target aws_security_group.wbe",
            "aws_security_group.web",
        ),
        // One pattern of two matching is not enough: each must.
        (
            &["--accept", "aws_vpc.*", "--accept", "aws_vpc.mian"],
            "--accept aws_vpc.mian",
            "did you mean aws_vpc.main?",
        ),
        // Nothing near: the names it could match are listed.
        (
            &["--target", "zzz"],
            "--target zzz",
            "the findings it could match: ",
        ),
    ] {
        let o = plan(extra);
        let err = text(&o.stderr);
        assert_eq!(
            o.status.code(),
            Some(1),
            "{extra:?}: {err}\n{}",
            text(&o.stdout)
        );
        assert!(
            err.contains(&format!("`{flag}` matches no")),
            "{extra:?}: {err}"
        );
        assert!(err.contains(want), "{extra:?}: {err}");
        assert!(!out.exists(), "{extra:?}: a plan was written");
        assert!(!text(&o.stdout).contains("driftgate apply"), "{extra:?}");
    }
    // An accept that names a resource with a finding but no change (a missing rule) selects no
    // change to keep: refused too, with the changed resources it could have meant.
    let o = plan(&["--accept", "aws_iam_user_policy_attachment.*"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("matches no changed resource"));
    // A pattern that matches still plans.
    let o = plan(&["--accept", "aws_vpc.main", "--target", "aws_vpc.*"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(out.exists());
}

/// `keygen` for each name in `dir`: the policy lines.
fn keygen(dir: &std::path::Path, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            let o = run(&["keygen", "--name", n, "--out", &format!("{n}.key")], dir);
            assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
            text(&o.stdout).trim().to_string()
        })
        .collect()
}

/// `plan` ends with the step that will work under the policy in force (issue 17, point 2):
/// with `approval { required = 2 }`, the approve command of each approver who may sign (not
/// the author), how many and until when, then apply with placeholders, never the plan token
/// alone (which apply refuses); `--format json` has the same in `next_step`, outside the plan
/// (its digest does not change); with too few approvers, it says no approval can apply it.
#[test]
fn plan_ends_with_the_approvals_the_policy_requires() {
    let dir = tempfile::tempdir().unwrap();
    let lines = keygen(dir.path(), &["alice", "bob", "test-actor"]);
    let policy = |required: usize, extra: &str| {
        std::fs::write(
            dir.path().join("driftgate.hcl"),
            format!(
                "approval {{\n  required  = {required}\n{extra}  approvers = {{\n    {}\n  }}\n}}\n",
                lines.join("\n    ")
            ),
        )
        .unwrap();
    };
    let observed = fixture("demo/observed.json");
    let state = fixture("demo/terraform.tfstate");
    let plan = |extra: &[&str]| {
        let mut a = vec![
            "plan",
            "--observed",
            observed.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--out",
            "p.json",
        ];
        a.extend(extra);
        let o = run(&a, dir.path());
        assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
        text(&o.stdout)
    };

    policy(2, "");
    let t = plan(&[]);
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("p.json")).unwrap()).unwrap();
    let until = written["expires_at"].as_str().unwrap();
    assert!(
        t.contains(&format!("Next: 2 signed approvals before {until}")),
        "{t}"
    );
    assert!(
        t.contains("by 2 of: alice, bob (not test-actor, the plan's author)"),
        "{t}"
    );
    assert!(
        t.contains("  driftgate approve p.json --key alice.key\n"),
        "{t}"
    );
    assert!(
        t.contains("  driftgate approve p.json --key bob.key\n"),
        "{t}"
    );
    assert!(
        !t.contains("--key test-actor.key"),
        "the author cannot approve: {t}"
    );
    assert_eq!(
        t.lines().last().unwrap(),
        "driftgate apply p.json --approve <approval-1> --approve <approval-2>"
    );
    assert!(
        !t.contains("--approve dg1-"),
        "the token alone is refused: {t}"
    );

    // JSON: the same, beside the plan; the plan file has no next step and still verifies.
    let j: serde_json::Value = serde_json::from_str(&plan(&["--format", "json"])).unwrap();
    let next = &j["next_step"];
    assert_eq!(next["approvals_required"], 2, "{next}");
    assert_eq!(next["approvers"], serde_json::json!(["alice", "bob"]));
    assert_eq!(
        next["approve_commands"],
        serde_json::json!([
            "driftgate approve p.json --key alice.key",
            "driftgate approve p.json --key bob.key"
        ])
    );
    assert_eq!(next["apply_command"], j["apply_command"]);
    assert_eq!(next["valid_until"], j["plan"]["expires_at"]);
    assert!(next["cannot_apply"].is_null());
    assert!(j["plan"].get("next_step").is_none());
    let file = std::fs::read_to_string(dir.path().join("p.json")).unwrap();
    assert!(!file.contains("next_step"));
    driftgate::plan_file::read("p.json", &file, time::OffsetDateTime::now_utc())
        .expect("the plan verifies");

    // Three required, two may sign: said, and no command that would be refused.
    policy(3, "");
    let t = plan(&[]);
    assert!(
        t.contains(
            "This plan cannot be applied under the policy in force: it needs 3 signed approvals"
        ),
        "{t}"
    );
    assert!(
        t.contains("lists 2 approvers other than the plan's author"),
        "{t}"
    );
    assert!(!t.contains("driftgate apply"), "{t}");

    // Waived by min_severity (the VPC's tag is low, below high): the token is enough.
    policy(2, "  min_severity = \"high\"\n");
    let t = plan(&["--target", "aws_vpc.main"]);
    let last = t.lines().last().unwrap();
    assert!(
        last.starts_with("driftgate apply p.json --approve dg1-"),
        "{t}"
    );
    assert!(!t.contains("driftgate approve"), "{t}");
}

/// `approve` with a key the policy does not list (issue 17, point 6): exit 1, no token and no
/// audit entry, and the message names the keys the policy lists; a key with a listed name but
/// another key is refused the same way, and so is a policy that is not the plan's. A listed
/// key approves.
#[test]
fn approve_refuses_a_key_the_policy_does_not_list() {
    let dir = tempfile::tempdir().unwrap();
    let lines = keygen(dir.path(), &["alice", "bob", "test-actor"]);
    keygen(dir.path(), &["mallory"]);
    std::fs::create_dir(dir.path().join("other")).unwrap();
    keygen(&dir.path().join("other"), &["alice"]);
    let policy = format!(
        "approval {{\n  required  = 2\n  approvers = {{\n    {}\n  }}\n}}\n",
        lines.join("\n    ")
    );
    std::fs::write(dir.path().join("driftgate.hcl"), &policy).unwrap();
    let observed = fixture("demo/observed.json");
    let state = fixture("demo/terraform.tfstate");
    let o = run(
        &[
            "plan",
            "--observed",
            observed.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--out",
            "p.json",
        ],
        dir.path(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    // This test's own audit log (the other runs share the test binary's).
    let audit = dir.path().join("approve-audit.jsonl");
    let approve = |key: &str| {
        driftgate()
            .args(["approve", "p.json", "--key", key])
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_ACTOR", "test-actor")
            .env("DRIFTGATE_AUDIT_LOG", &audit)
            .output()
            .unwrap()
    };
    let approvals_logged = || {
        std::fs::read_to_string(&audit)
            .unwrap_or_default()
            .lines()
            .filter(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["command"] == "approve"
            })
            .count()
    };
    for (key, name) in [("mallory.key", "mallory"), ("other/alice.key", "alice")] {
        let o = approve(key);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{key}: {err}");
        assert!(o.stdout.is_empty(), "{key}: a token was printed");
        assert!(
            err.contains(&format!("(approver `{name}`, SHA256:")),
            "{key}: {err}"
        );
        assert!(
            err.contains("is not an approver of the policy (driftgate.hcl:1): it lists alice, bob, test-actor"),
            "{key}: {err}"
        );
        assert!(
            err.contains("nothing was signed or written"),
            "{key}: {err}"
        );
        assert_eq!(approvals_logged(), 0, "{key}: audited as an approval");
    }
    // Not a key file at all: said once, with the cause (issue 17: not "is not a driftgate key
    // file: not a driftgate key file").
    let bad = dir.path().join("bad.key");
    std::fs::write(&bad, "hello\n").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&bad, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let o = approve("bad.key");
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("`bad.key` is not a driftgate key file: it does not start with `driftgate-ed25519-private-key-v1`"),
        "{err}"
    );
    assert_eq!(err.matches("not a driftgate key file").count(), 1, "{err}");
    // A listed key approves.
    let o = approve("alice.key");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).starts_with("dga1."));
    assert_eq!(approvals_logged(), 1);
    // Not the plan's policy (edited since): refused, whatever it lists.
    std::fs::write(
        dir.path().join("driftgate.hcl"),
        format!("{policy}# edited\n"),
    )
    .unwrap();
    let o = approve("alice.key");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("is not the one the plan was made with"),
        "{}",
        text(&o.stderr)
    );
}

/// The configuration `plan` generates for an import, against the schema of the provider
/// terraform installs: for every spec, every attribute written is an argument the provider
/// takes (not computed only: terraform rejects "Can't configure a value for ..."), written as a
/// nested block exactly where the schema has a block (`accepter { ... }`, not `accepter = [...]`),
/// and every argument the provider requires is written (terraform rejects "Missing required
/// argument"): a compared attribute with no default, or an import-only one that is always
/// written. A type whose spec says `no_import` is never imported and exempt from the last.
#[test]
fn generated_import_config_fits_the_provider_schema() {
    use driftgate::planner::import::{arguments, written_as_block};
    let Some(tf) = crate::support::terraform::Terraform::find() else {
        return;
    };
    let schemas = tf.aws_resource_schemas().expect("the provider's schema");
    let registry = driftgate::spec::Registry::builtin().unwrap();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for spec in registry.specs() {
        let Some(block) = schemas.get(&spec.resource_type).map(|s| &s["block"]) else {
            wrong.push(format!(
                "{}: not a resource of the provider",
                spec.resource_type
            ));
            continue;
        };
        let args = arguments(spec);
        if spec.no_import.is_none() {
            let required = block["attributes"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(_, a)| a["required"].as_bool().unwrap_or(false))
                .chain(
                    block["block_types"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .filter(|(_, b)| b["min_items"].as_u64().unwrap_or(0) > 0),
                );
            for (name, _) in required {
                let at = format!("{}.{name}", spec.resource_type);
                match args.iter().find(|a| a.name == *name) {
                    None => wrong.push(format!(
                        "{at}: required by the provider and never written (add \
                         `attribute \"{name}\" {{ import_only = true }}`, or `no_import`)"
                    )),
                    Some(a) if a.default.is_some() => wrong.push(format!(
                        "{at}: required by the provider and left out at its default"
                    )),
                    Some(a) if a.import_optional => wrong.push(format!(
                        "{at}: required by the provider and `optional` (left out when absent)"
                    )),
                    Some(_) => {}
                }
            }
        }
        for attr in args {
            checked += 1;
            let at = format!("{}.{}", spec.resource_type, attr.name);
            if let Some(a) = block["attributes"].get(&attr.name) {
                let flag = |k: &str| a[k].as_bool().unwrap_or(false);
                if flag("computed") && !flag("optional") && !flag("required") {
                    wrong.push(format!("{at}: computed only (set `computed = true`)"));
                }
                // A list or set of objects takes block syntax too (the SDK's "attributes as
                // blocks": a security group's `ingress`); any other argument does not.
                let objects = a["type"]
                    .as_array()
                    .is_some_and(|t| t.get(1).and_then(|e| e.get(0)) == Some(&"object".into()));
                if written_as_block(attr) && !objects {
                    wrong.push(format!("{at}: an argument, written as a block"));
                }
            } else if block["block_types"].get(&attr.name).is_some() {
                if !written_as_block(attr) {
                    wrong.push(format!(
                        "{at}: a block, written as an argument (set `block = true`)"
                    ));
                }
            } else {
                wrong.push(format!(
                    "{at}: not in the provider's schema (set `computed = true`)"
                ));
            }
        }
    }
    assert!(checked > 100, "only {checked} attributes checked");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
