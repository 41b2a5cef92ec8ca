//! Signed approvals end to end (issue 8), on the remediation stack (`fixtures/remediation/stack`)
//! applied by terraform on its own moto server and drifted out of band: three approvers made
//! with `driftgate keygen`, two required, a plan by one of them (carol). Every refusal exits 1
//! and changes nothing; two approvals by people other than the author apply; the audit log
//! verifies and names the approvers.
//!
//! Skips (counted, a failure under `CI`): no moto_server, no terraform or provider mirror.

use std::path::Path;
use std::process::Output;

use serde_json::Value as Json;

use crate::support::moto::Moto;
use crate::support::receiver::Receiver;
use crate::support::remediation::{self, Stack, code, findings, recorded, text};

const SECRET: &str = "dg-appr-secret-Qw4Lm9";
const ROTATED: &str = "dg-appr-rotated-Tx8Pn2";
const IAM_FROZEN: &str = r#"
guardrail "iam-frozen" {
  resource_types = ["aws_iam_*"]
  actions        = ["revert", "recreate"]
  reason         = "IAM changes go through the quarterly access review"
}
"#;

/// The remediation stack, driven as carol (the plan's author) unless said otherwise.
struct Run(Stack);

impl std::ops::Deref for Run {
    type Target = Stack;
    fn deref(&self) -> &Stack {
        &self.0
    }
}

impl Run {
    fn dg_as(&self, actor: &str, args: &[&str]) -> Output {
        self.run_as(actor, args, None)
    }

    fn dg(&self, args: &[&str]) -> Output {
        self.dg_as("carol", args)
    }

    fn scan(&self) -> (i32, Vec<String>) {
        let (code, report) = self.scan_json("carol");
        (code, findings(&report))
    }

    /// `driftgate plan` as carol; the plan token from its last line.
    fn plan(&self, out: &str, extra: &[&str]) -> (Output, String) {
        self.0.plan("carol", out, extra)
    }

    /// `driftgate approve PLAN --key KEY` as the key's owner: the token on stdout.
    fn approve(&self, who: &str, plan: &str, extra: &[&str]) -> String {
        let key = format!("{who}.key");
        let mut args = vec!["approve", plan, "--key", &key];
        args.extend_from_slice(extra);
        let o = self.dg_as(who, &args);
        assert_eq!(code(&o), 0, "approve by {who}: {}", text(&o.stderr));
        let out = text(&o.stdout);
        assert_eq!(out.lines().count(), 1, "the token alone on stdout: {out}");
        out.trim().to_string()
    }

    fn apply(&self, plan: &str, approvals: &[&str]) -> Output {
        let mut args = vec!["apply", plan];
        for a in approvals {
            args.push("--approve");
            args.push(a);
        }
        self.dg(&args)
    }
}

fn assert_no_secret(what: &str, bytes: &[u8]) {
    let s = text(bytes);
    for secret in [SECRET, ROTATED] {
        assert!(!s.contains(secret), "{what} shows a secret:\n{s}");
    }
}

fn set_up() -> Option<Run> {
    Stack::set_up(SECRET).map(Run)
}

async fn drift(moto: &Moto, state: &Path) {
    remediation::drift(moto, state, ROTATED).await
}

/// Out of band: an unmanaged security group in the stack's VPC and an unmanaged IAM user.
/// Their ids.
async fn unmanaged(moto: &Moto, state: &Path) -> (String, String) {
    let sdk = moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    let vpc = recorded(state, "aws_vpc", None, "id");
    let sg = ec2
        .create_security_group()
        .group_name("dg-appr-stray")
        .description("made by hand")
        .vpc_id(vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    iam.create_user()
        .user_name("dg-appr-stray")
        .send()
        .await
        .unwrap();
    (sg, "dg-appr-stray".to_string())
}

/// `keygen` for each name: mode 0600, the policy line on stdout and nothing secret.
fn keygen(run: &Run, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|name| {
            let out = format!("{name}.key");
            let o = run.dg_as(name, &["keygen", "--name", name, "--out", &out]);
            assert_eq!(code(&o), 0, "{}", text(&o.stderr));
            let line = text(&o.stdout).trim().to_string();
            assert!(
                line.starts_with(&format!("{name} = \"ed25519:")) && line.ends_with('"'),
                "{line}"
            );
            let path = run.work.path().join(&out);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
                assert_eq!(mode, 0o600, "{name}.key");
            }
            let seed = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .find_map(|l| l.strip_prefix("seed = ").map(str::to_string))
                .expect("a seed line");
            for stream in [&o.stdout, &o.stderr] {
                assert!(
                    !text(stream).contains(&seed),
                    "keygen printed the private key"
                );
            }
            // Never overwritten.
            let again = run.dg_as(name, &["keygen", "--name", name, "--out", &out]);
            assert_eq!(code(&again), 1);
            assert!(text(&again.stderr).contains("exists already"));
            line
        })
        .collect()
}

#[test]
fn two_of_three_approvers_other_than_the_author_apply_and_every_refusal_holds() {
    let Some(run) = set_up() else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lines = keygen(&run, &["alice", "bob", "carol"]);
    // mallory has a key, but the policy does not list her.
    keygen(&run, &["mallory"]);
    std::fs::write(
        run.work.path().join("driftgate.hcl"),
        format!(
            "approval {{\n  required  = 2\n  approvers = {{\n    {}\n  }}\n}}\n{IAM_FROZEN}",
            lines.join("\n    ")
        ),
    )
    .unwrap();
    rt.block_on(drift(&run.moto, &run.state));
    let (c, drifted) = run.scan();
    assert_eq!(c, 2);
    assert_eq!(
        drifted,
        [
            "changed aws_iam_role_policy.app_inline",
            "changed aws_security_group.web",
            "changed aws_vpc.main",
        ]
    );

    // carol plans, and asks for approval on "Slack" (a local receiver) and on a webhook that
    // is down (a warning, an audit entry, the exit code unchanged); another plan (of the VPC
    // only) for "an approval of another plan".
    let slack = Receiver::start(&[]);
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://127.0.0.1:{}/down/SECRETPATH",
            l.local_addr().unwrap().port()
        )
    };
    let (o, token) = run.plan(
        "p.json",
        &[
            "--notify",
            &slack.url,
            "--notify-format",
            "slack",
            "--notify",
            &down,
        ],
    );
    assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
    // The plan ends with the approvals it needs: alice's and bob's (carol is its author).
    let shown = text(&o.stdout);
    assert!(
        shown.contains("driftgate approve p.json --key alice.key"),
        "{shown}"
    );
    assert!(
        shown.contains("driftgate approve p.json --key bob.key"),
        "{shown}"
    );
    assert!(!shown.contains("--key carol.key"), "{shown}");
    let warned = text(&o.stderr);
    assert!(warned.contains("warning: the notification to"), "{warned}");
    assert!(!warned.contains("SECRETPATH"), "{warned}");
    let (o, _) = run.plan("other.json", &["--target", "aws_vpc.main"]);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    // The guardrail blocks the IAM action in the plan, with its name and reason.
    let plan_json: Json =
        serde_json::from_str(&std::fs::read_to_string(run.work.path().join("p.json")).unwrap())
            .unwrap();
    let status: Vec<(String, String, String)> = plan_json["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["address"].as_str().unwrap_or("").to_string(),
                a["status"].as_str().unwrap().to_string(),
                a["guardrail"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    for (address, st, rail) in &status {
        if address.starts_with("aws_iam_") {
            assert_eq!(
                (st.as_str(), rail.as_str()),
                ("blocked", "iam-frozen"),
                "{status:?}"
            );
        } else {
            assert_eq!((st.as_str(), rail.as_str()), ("planned", ""), "{status:?}");
        }
    }
    assert!(
        status.iter().any(|(a, _, _)| a.starts_with("aws_iam_")),
        "{status:?}"
    );

    // approve shows the plan on stderr and prints the token alone on stdout.
    let o = run.dg_as("alice", &["approve", "p.json", "--key", "alice.key"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let digest = serde_json::from_str::<Json>(
        &std::fs::read_to_string(run.work.path().join("p.json")).unwrap(),
    )
    .unwrap()["digest"]
        .as_str()
        .unwrap()
        .to_string();
    // The Slack-shaped approval request reached the receiver, naming the plan, its author,
    // the blocked IAM action and the commands approvers run, with no secret in it.
    let bodies = slack.bodies();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert_no_secret("the Slack request", bodies[0].as_bytes());
    let request: Json = serde_json::from_str(&bodies[0]).unwrap();
    let slack_text = request["text"].as_str().unwrap();
    assert!(slack_text.contains(&digest[..7 + 12]), "{slack_text}");
    assert!(
        request["blocks"].as_array().is_some_and(|b| b.len() >= 3),
        "{request:#}"
    );
    let all = request.to_string();
    assert!(all.contains("carol"), "{all}");
    assert!(all.contains("iam-frozen"), "{all}");
    assert!(all.contains("driftgate approve p.json --key"), "{all}");
    let summary = text(&o.stderr);
    assert!(summary.contains(&digest), "{summary}");
    assert!(summary.contains("by carol"), "{summary}");
    assert!(summary.contains("aws_security_group.web"), "{summary}");
    assert!(summary.contains("guardrail \"iam-frozen\""), "{summary}");
    assert_no_secret("approve's summary", &o.stderr);
    let alice = text(&o.stdout).trim().to_string();
    assert!(alice.starts_with("dga1."), "{alice}");
    let bob = run.approve("bob", "p.json", &[]);
    let carol = run.approve("carol", "p.json", &[]);
    // `approve` refuses a key the policy does not list (and signs nothing); her approval,
    // made without that check, is refused by `apply` below.
    let o = run.dg_as("mallory", &["approve", "p.json", "--key", "mallory.key"]);
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(o.stdout.is_empty());
    assert!(
        text(&o.stderr).contains("it lists alice, bob, carol"),
        "{}",
        text(&o.stderr)
    );
    let mallory = driftgate::approval::KeyFile::decode(
        &std::fs::read_to_string(run.work.path().join("mallory.key")).unwrap(),
    )
    .unwrap()
    .approve(
        &digest,
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    )
    .to_string();
    let bob_other = run.approve("bob", "other.json", &[]);
    let alice_short = run.approve("alice", "p.json", &["--expires", "1s"]);
    // Forged: bob's payload with alice's signature.
    let forged = format!(
        "{}.{}",
        bob.rsplit_once('.').unwrap().0,
        alice.rsplit_once('.').unwrap().1
    );

    // A key others can read is refused at use.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let open = run.work.path().join("open.key");
        std::fs::copy(run.work.path().join("alice.key"), &open).unwrap();
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
        let o = run.dg_as("alice", &["approve", "p.json", "--key", "open.key"]);
        assert_eq!(code(&o), 1);
        assert!(
            text(&o.stderr).contains("can be read by others"),
            "{}",
            text(&o.stderr)
        );
        assert!(o.stdout.is_empty());
    }

    std::thread::sleep(std::time::Duration::from_millis(1100));
    let refusals: Vec<(&str, Vec<&str>, &str)> = vec![
        (
            "the plan token alone",
            vec![&token],
            "plan token alone is not enough",
        ),
        (
            "too few",
            vec![&token, &alice],
            "too few approvals: 1 valid",
        ),
        (
            "the same approver twice",
            vec![&alice, &alice],
            "approved twice",
        ),
        (
            "the author's own approval",
            vec![&alice, &carol],
            "plan's author",
        ),
        (
            "an approval of another plan",
            vec![&alice, &bob_other],
            "approves another plan",
        ),
        (
            "a forged approval",
            vec![&alice, &forged],
            "does not verify",
        ),
        ("an expired approval", vec![&alice_short, &bob], "expired"),
        (
            "an approver not in the policy",
            vec![&alice, &mallory],
            "not in the policy",
        ),
        ("no --approve", vec![], "no --approve"),
    ];
    for (what, given, expected) in &refusals {
        let o = run.apply("p.json", given);
        assert_eq!(
            code(&o),
            1,
            "{what}: {}{}",
            text(&o.stdout),
            text(&o.stderr)
        );
        let err = text(&o.stderr);
        assert!(
            err.contains("refused") && err.contains(expected),
            "{what}: {err}"
        );
        assert!(err.contains("Nothing was changed"), "{what}: {err}");
    }
    let (c, after_refusals) = run.scan();
    assert_eq!(c, 2);
    assert_eq!(after_refusals, drifted, "a refusal changed the cloud");

    // Two valid approvals by people other than the author apply the EC2 repairs; the
    // guardrail's IAM action stays unexecuted, and apply exits 0.
    let o = run.dg(&[
        "apply",
        "p.json",
        "--approve",
        &alice,
        "--approve",
        &bob,
        "--notify",
        &slack.url,
        "--notify-format",
        "slack",
    ]);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    assert_no_secret("apply", &o.stdout);
    let bodies = slack.bodies();
    assert_eq!(bodies.len(), 2);
    assert_no_secret("the apply notification", bodies[1].as_bytes());
    assert!(bodies[1].contains("succeeded"), "{}", bodies[1]);
    assert!(
        bodies[1].contains("aws_security_group.web: done"),
        "{}",
        bodies[1]
    );
    let (c, after) = run.scan();
    assert_eq!(
        (c, after),
        (
            2,
            vec!["changed aws_iam_role_policy.app_inline".to_string()]
        )
    );

    // --delete-unmanaged: an unmanaged security group is deleted; deleting an unmanaged IAM
    // user is denied by the built-in guardrail (iam-frozen covers only revert and recreate),
    // so it stays.
    let (sg, user) = rt.block_on(unmanaged(&run.moto, &run.state));
    let (o, _) = run.plan("del.json", &["--delete-unmanaged"]);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let del: Json =
        serde_json::from_str(&std::fs::read_to_string(run.work.path().join("del.json")).unwrap())
            .unwrap();
    let find = |id: &str| -> Json {
        del["actions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["resource_id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no action for {id}: {del:#}"))
    };
    let sg_action = find(&sg);
    assert_eq!(
        (sg_action["kind"].as_str(), sg_action["status"].as_str()),
        (Some("delete"), Some("planned")),
        "{sg_action:#}"
    );
    assert_eq!(sg_action["calls"][0]["api"], "ec2:DeleteSecurityGroup");
    let user_action = find(&user);
    assert_eq!(
        (
            user_action["kind"].as_str(),
            user_action["status"].as_str(),
            user_action["guardrail"]["name"].as_str()
        ),
        (
            Some("delete"),
            Some("blocked"),
            Some("iam-principal-delete")
        ),
        "{user_action:#}"
    );
    let a1 = run.approve("alice", "del.json", &[]);
    let b1 = run.approve("bob", "del.json", &[]);
    let o = run.apply("del.json", &[&a1, &b1]);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    let (_, left) = run.scan();
    assert!(!left.iter().any(|f| f.contains(&sg)), "{left:?}");
    assert!(left.iter().any(|f| f.contains(&user)), "{left:?}");

    // The audit log verifies, names the approvers with their key fingerprints, and every
    // refusal with its reason.
    let o = run.dg(&["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let log = std::fs::read(&run.log).unwrap();
    assert_no_secret("the audit log", &log);
    let log = text(&log);
    let entries: Vec<Json> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let accepted: Vec<&str> = entries
        .iter()
        .filter(|e| {
            e["command"] == "apply" && e["outcome"] == "ok" && e["details"]["approver"].is_string()
        })
        .map(|e| e["details"]["approver"].as_str().unwrap())
        .collect();
    // Two applies (the repairs, the deletions), each approved by alice and bob.
    assert_eq!(accepted, ["alice", "bob", "alice", "bob"], "{log}");
    // The blocked actions are audited as skipped, naming their guardrail.
    let skipped: Vec<&str> = entries
        .iter()
        .filter(|e| e["command"] == "apply" && e["outcome"] == "skipped")
        .filter_map(|e| e["details"]["guardrail"].as_str())
        .collect();
    assert!(skipped.contains(&"iam-frozen"), "{log}");
    assert!(skipped.contains(&"iam-principal-delete"), "{log}");
    // Every approver the policy lists is named with their key's fingerprint (mallory is not
    // in the policy: her key is unknown, the entry names her only).
    for e in entries
        .iter()
        .filter(|e| e["details"]["approver"].is_string() && e["details"]["approver"] != "mallory")
    {
        assert!(
            e["details"]["key_fingerprint"]
                .as_str()
                .is_some_and(|f| f.starts_with("SHA256:")),
            "{e}"
        );
    }
    let refused = entries
        .iter()
        .filter(|e| e["command"] == "apply" && e["outcome"] == "refused")
        .count();
    assert_eq!(refused, refusals.len(), "{log}");
    assert!(
        entries.iter().any(|e| e["outcome"] == "refused"
            && e["details"]["approver"] == "carol"
            && e["reason"].as_str().unwrap().contains("author")),
        "{log}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["command"] == "approve" && e["details"]["approver"] == "bob"),
        "{log}"
    );
    // The notifications are audited: two delivered, the one to the webhook that is down failed.
    let notified: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e["command"] == "notify")
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["details"]["kind"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        notified,
        [("ok", "plan"), ("failed", "plan"), ("ok", "apply")],
        "{log}"
    );
    assert!(!log.contains("SECRETPATH"), "{log}");
    // The tokens themselves are not in the log (`--approve` values are masked).
    assert!(!log.contains(&alice), "{log}");
}
