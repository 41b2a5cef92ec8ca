//! Attacks on the trust root and on author identities (issue 16), against the real binary on
//! one moto server with the remediation stack (`fixtures/remediation/stack`) drifted out of
//! band. The root lives outside the working directory and is pinned by its SHA-256 (or its
//! admins' fingerprints). Each attack is refused (exit 1), audited, and changes nothing; a plan
//! made and approved as the root says applies.
//!
//! Skips (counted, a failure under `CI`): no moto_server, no terraform or provider mirror.

use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use crate::support::driftgate;
use crate::support::remediation::{self, Stack, code, findings, text};

const SECRET: &str = "dg-trust-secret-Hq3Vx8";
const ROTATED: &str = "dg-trust-rotated-Mz5Kc1";
const ACCOUNT: &str = "123456789012";

/// Temporary AWS credentials (an assumed role's session).
#[derive(Clone)]
struct Creds {
    key: String,
    secret: String,
    token: String,
}

struct T {
    stack: Stack,
    /// The admins' directory: the root and the admins' keys, outside the working directory.
    admin: tempfile::TempDir,
    root: PathBuf,
    state: String,
}

impl T {
    /// `driftgate ARGS` in the working directory as `actor`, with `env` on top of moto's.
    fn run(
        &self,
        actor: &str,
        args: &[&str],
        env: &[(&str, String)],
        creds: Option<&Creds>,
    ) -> Output {
        let mut cmd = driftgate();
        self.stack.moto.apply_env(&mut cmd);
        for k in [
            "CI",
            "DRIFTGATE_TRUST_ROOT",
            "DRIFTGATE_TRUST_ROOT_SHA256",
            "DRIFTGATE_TRUST_ROOT_ADMINS",
            "GITHUB_ACTOR",
            "GITHUB_REPOSITORY",
            "GITLAB_USER_LOGIN",
            "CI_PROJECT_PATH",
        ] {
            cmd.env_remove(k);
        }
        if let Some(c) = creds {
            cmd.env("AWS_ACCESS_KEY_ID", &c.key)
                .env("AWS_SECRET_ACCESS_KEY", &c.secret)
                .env("AWS_SESSION_TOKEN", &c.token);
        }
        cmd.current_dir(self.stack.work.path())
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_AUDIT_LOG", &self.stack.log)
            .env("DRIFTGATE_ACTOR", actor)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .args(args);
        cmd.output().expect("driftgate runs")
    }

    /// The pin of the root file as it is now (path and SHA-256).
    fn pinned(&self) -> Vec<(&'static str, String)> {
        pin_of(&self.root)
    }

    fn ok(&self, args: &[&str]) -> Output {
        let o = self.run("admin", args, &[], None);
        assert_eq!(code(&o), 0, "{args:?}: {}", text(&o.stderr));
        o
    }

    /// `plan --target aws_vpc.main` pinned, signed with `key` (when given), as `actor`.
    fn plan(
        &self,
        actor: &str,
        out: &str,
        key: Option<&str>,
        env: &[(&str, String)],
        creds: Option<&Creds>,
    ) -> Output {
        let mut args = vec![
            "plan",
            "--state",
            &self.state,
            "--region",
            "us-east-1",
            "--target",
            "aws_vpc.main",
            "--out",
            out,
        ];
        let key_path;
        if let Some(k) = key {
            key_path = self.key(k);
            args.extend(["--sign", &key_path]);
        }
        self.run(actor, &args, env, creds)
    }

    fn key(&self, who: &str) -> String {
        self.admin
            .path()
            .join(format!("{who}.key"))
            .display()
            .to_string()
    }

    /// `approve PLAN --key KEY` as its owner under `env`: the token.
    fn approve(&self, who: &str, plan: &str, env: &[(&str, String)]) -> String {
        let o = self.run(who, &["approve", plan, "--key", &self.key(who)], env, None);
        assert_eq!(code(&o), 0, "approve by {who}: {}", text(&o.stderr));
        text(&o.stdout).trim().to_string()
    }

    /// An approval token made with `who`'s key file directly (no `approve` checks).
    fn token(&self, who: &str, digest: &str, root: Option<u64>) -> String {
        let key =
            driftgate::approval::KeyFile::decode(&std::fs::read_to_string(self.key(who)).unwrap())
                .unwrap();
        let expires = time::OffsetDateTime::now_utc() + time::Duration::hours(1);
        key.approve_under(digest, expires, root).to_string()
    }

    fn apply(
        &self,
        actor: &str,
        plan: &str,
        approvals: &[&str],
        env: &[(&str, String)],
        creds: Option<&Creds>,
    ) -> Output {
        let mut args = vec!["apply", plan];
        for a in approvals {
            args.extend(["--approve", a]);
        }
        self.run(actor, &args, env, creds)
    }

    fn scan(&self) -> Vec<String> {
        let o = self.run(
            "carol",
            &[
                "scan",
                "--state",
                &self.state,
                "--region",
                "us-east-1",
                "--format",
                "json",
            ],
            &[],
            None,
        );
        let report: Json = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
        findings(&report)
    }

    /// The audit log's entries.
    fn audit(&self) -> Vec<Json> {
        std::fs::read_to_string(&self.stack.log)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn pin_of(root: &Path) -> Vec<(&'static str, String)> {
    let bytes = std::fs::read(root).unwrap();
    vec![
        ("DRIFTGATE_TRUST_ROOT", root.display().to_string()),
        (
            "DRIFTGATE_TRUST_ROOT_SHA256",
            hex::encode(Sha256::digest(&bytes)),
        ),
    ]
}

/// Refused: exit 1, the reason on stderr, and a `refused` (or, for `plan`, `failed`) entry of
/// `command` whose reason says so appended to the audit log.
#[track_caller]
fn refused(t: &T, o: &Output, command: &str, why: &str) {
    let err = text(&o.stderr);
    assert_eq!(
        code(o),
        1,
        "not refused ({why}):\n{err}\n{}",
        text(&o.stdout)
    );
    assert!(
        err.contains(why),
        "the refusal does not say `{why}`:\n{err}"
    );
    let entries = t.audit();
    let last = entries
        .iter()
        .rev()
        .find(|e| e["command"] == command)
        .unwrap_or_else(|| panic!("no {command} entry"));
    assert!(
        matches!(last["outcome"].as_str(), Some("refused" | "failed")),
        "{last}"
    );
    assert!(
        last["reason"].as_str().unwrap_or("").contains(why),
        "the audit entry does not say `{why}`: {last}"
    );
}

/// `keygen` into the admins' directory: the public key.
fn keygen(t: &T, name: &str) -> String {
    let out = t.key(name);
    let o = t.ok(&["keygen", "--name", name, "--out", &out]);
    let line = text(&o.stdout);
    line.split('"').nth(1).unwrap().to_string()
}

/// AssumeRole in moto: the session's credentials.
async fn assume(moto: &crate::support::moto::Moto, role: &str, session: &str) -> Creds {
    let sdk = moto.sdk_config().await;
    let sts = aws_sdk_sts::Client::new(&sdk);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{ACCOUNT}:role/{role}"))
        .role_session_name(session)
        .send()
        .await
        .unwrap();
    let c = out.credentials.unwrap();
    Creds {
        key: c.access_key_id,
        secret: c.secret_access_key,
        token: c.session_token,
    }
}

#[test]
fn trust_root_attacks_are_refused_audited_and_change_nothing() {
    let Some(stack) = Stack::set_up(SECRET) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(remediation::drift(&stack.moto, &stack.state, ROTATED));
    // alice works as the role `deploy`; two sessions of it.
    let alice_session = rt.block_on(assume(&stack.moto, "deploy", "alice-laptop"));
    let sneaky_session = rt.block_on(assume(&stack.moto, "deploy", "sneaky"));
    rt.block_on(put_object(&stack.moto, "root.json", None));
    // Who applies in the end: neither the author nor an approver.
    let ops_session = rt.block_on(assume(&stack.moto, "ops", "pipeline"));
    let admin = tempfile::tempdir().unwrap();
    let root = admin.path().join("root.json");
    let t = T {
        state: stack.state.display().to_string(),
        stack,
        admin,
        root,
    };
    let root = t.root.display().to_string();
    let k: std::collections::BTreeMap<&str, String> =
        ["a1", "a2", "a3", "alice", "bob", "carol", "mallory"]
            .into_iter()
            .map(|n| (n, keygen(&t, n)))
            .collect();

    // The root: admins a1 and a2 (2 of 2); alice (role deploy), bob, carol (a GitHub login);
    // two approvals; the audit log is the stack's, whatever --audit-log says.
    let log = t.stack.log.display().to_string();
    t.ok(&[
        "trust",
        "init",
        "--out",
        &root,
        "--admin",
        &format!("a1={}", k["a1"]),
        "--admin",
        &format!("a2={}", k["a2"]),
        "--threshold",
        "2",
        "--approvals",
        "2",
        "--root-audit-log",
        &log,
    ]);
    let role = format!("arn:aws:iam::{ACCOUNT}:role/deploy");
    t.ok(&[
        "trust",
        "add-approver",
        &root,
        "--name",
        "alice",
        "--key",
        &k["alice"],
        "--aws-principal",
        &role,
    ]);
    t.ok(&[
        "trust",
        "add-approver",
        &root,
        "--name",
        "bob",
        "--key",
        &k["bob"],
    ]);
    t.ok(&[
        "trust",
        "add-approver",
        &root,
        "--name",
        "carol",
        "--key",
        &k["carol"],
        "--ci-actor",
        "github:acme/infra:carol",
    ]);
    // The author's key under a second approver name: refused.
    let o = t.run(
        "admin",
        &[
            "trust",
            "add-approver",
            &root,
            "--name",
            "carol2",
            "--key",
            &k["carol"],
        ],
        &[],
        None,
    );
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("one key is one person"),
        "{}",
        text(&o.stderr)
    );
    // Unsigned, then signed by one of two admins: not a root yet.
    t.ok(&["trust", "sign", &root, "--key", &t.key("a1")]);
    let o = t.run("admin", &["trust", "show", &root], &[], None);
    assert_eq!(code(&o), 1, "{}", text(&o.stdout));
    assert!(
        text(&o.stdout).contains("signed by 1 of its admins"),
        "{}",
        text(&o.stdout)
    );
    t.ok(&["trust", "sign", &root, "--key", &t.key("a2")]);
    let shown = text(&t.ok(&["trust", "show", &root]).stdout);
    assert!(shown.contains("valid: signed by enough admins"), "{shown}");
    let v1 = std::fs::read(&t.root).unwrap();
    let pinned = t.pinned();
    // The same root kept in S3, and another file there under the same pin.
    rt.block_on(put_object(&t.stack.moto, "root.json", Some(v1.clone())));
    rt.block_on(put_object(
        &t.stack.moto,
        "other.json",
        Some(b"{}".to_vec()),
    ));
    let from_s3 = |key: &str| {
        vec![
            ("DRIFTGATE_TRUST_ROOT", format!("s3://{BUCKET}/{key}")),
            pinned[1].clone(),
        ]
    };

    let before = t.scan();
    assert!(
        before.contains(&"changed aws_vpc.main".to_string()),
        "{before:?}"
    );
    let policy = t.stack.work.path().join("driftgate.hcl");
    let approval_block = |required: usize, names: &[&str]| {
        let lines: Vec<String> = names
            .iter()
            .map(|n| format!("    {n} = \"{}\"", k[n]))
            .collect();
        format!(
            "approval {{\n  required  = {required}\n  approvers = {{\n{}\n  }}\n}}\n",
            lines.join("\n")
        )
    };

    // A lax policy (one approval) and a policy naming an approver the root does not list:
    // `plan` refuses and says why.
    std::fs::write(&policy, approval_block(1, &["alice", "bob", "carol"])).unwrap();
    let o = t.plan("carol", "p.json", Some("carol"), &pinned, None);
    refused(
        &t,
        &o,
        "plan",
        "requires 1 approvals, the trust root at least 2",
    );
    std::fs::write(&policy, approval_block(2, &["alice", "bob", "mallory"])).unwrap();
    let o = t.plan("carol", "p.json", Some("carol"), &pinned, None);
    refused(&t, &o, "plan", "`mallory`");
    // No policy at all: the root decides.
    std::fs::remove_file(&policy).unwrap();

    // An unsigned plan, a plan signed by a key outside the root, a plan with STS down.
    let o = t.plan("carol", "p.json", None, &pinned, None);
    refused(&t, &o, "plan", "--sign KEY");
    let o = t.plan("mallory", "p.json", Some("mallory"), &pinned, None);
    refused(&t, &o, "plan", "is not an approver's key of the trust root");
    let mut sts_down = pinned.clone();
    sts_down.push(("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9".into()));
    let o = t.plan("carol", "p.json", Some("carol"), &sts_down, None);
    refused(&t, &o, "plan", "STS GetCallerIdentity did not answer");
    assert!(!t.stack.work.path().join("p.json").exists());

    // carol plans, under the actor name "zed" (and the root's audit log wins over --audit-log).
    let elsewhere = t.stack.work.path().join("elsewhere.jsonl");
    let o = t.run(
        "zed",
        &[
            "--audit-log",
            &elsewhere.display().to_string(),
            "plan",
            "--state",
            &t.state,
            "--region",
            "us-east-1",
            "--target",
            "aws_vpc.main",
            "--out",
            "p.json",
            "--sign",
            &t.key("carol"),
        ],
        &pinned,
        None,
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    assert!(!elsewhere.exists(), "--audit-log overrode the root's log");
    // `audit verify` and `audit show` under the root read the root's log too: a log of one's
    // own (here one that does not even parse) is not what gets verified.
    std::fs::write(&elsewhere, "not an audit log\n").unwrap();
    for sub in ["verify", "show"] {
        let o = t.run(
            "zed",
            &[
                "--audit-log",
                &elsewhere.display().to_string(),
                "audit",
                sub,
            ],
            &pinned,
            None,
        );
        assert_eq!(code(&o), 0, "audit {sub}: {}", text(&o.stderr));
    }
    std::fs::remove_file(&elsewhere).unwrap();
    let token = text(&o.stdout)
        .split_whitespace()
        .skip_while(|w| *w != "--approve")
        .nth(1)
        .unwrap()
        .to_string();
    let plan: Json =
        serde_json::from_str(&std::fs::read_to_string(t.stack.work.path().join("p.json")).unwrap())
            .unwrap();
    assert_eq!(plan["author"]["key"], k["carol"].as_str());
    assert_eq!(
        plan["author"]["aws_caller_arn"],
        format!("arn:aws:sts::{ACCOUNT}:user/moto")
    );
    assert!(plan["signature"].is_string());
    let root_digest = format!("sha256:{}", hex::encode(Sha256::digest(&v1)));
    assert_eq!(plan["inputs"]["trust_root"], root_digest.as_str());

    let alice = t.approve("alice", "p.json", &pinned);
    let bob = t.approve("bob", "p.json", &pinned);
    let carol = t.approve("carol", "p.json", &pinned);
    // `approve` refuses a key the root does not list; a token made with it anyway (as anyone
    // can, with the key and the plan's digest) is what `apply` sees.
    let o = t.run(
        "mallory",
        &["approve", "p.json", "--key", &t.key("mallory")],
        &pinned,
        None,
    );
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("the pinned trust root (version 1)"),
        "{}",
        text(&o.stderr)
    );
    let digest = plan["digest"].as_str().unwrap().to_string();
    let mallory = t.token("mallory", &digest, Some(1));
    // The approval summary names the root and its digest.
    let o = t.run(
        "bob",
        &["approve", "p.json", "--key", &t.key("bob")],
        &pinned,
        None,
    );
    assert!(
        text(&o.stderr).contains(&format!("Trust root: version 1 ({root_digest})")),
        "{}",
        text(&o.stderr)
    );
    // carol is warned that her approval of her own plan will not count.
    let o = t.run(
        "zed",
        &["approve", "p.json", "--key", &t.key("carol")],
        &pinned,
        None,
    );
    assert!(
        text(&o.stderr).contains("the trust root says you (carol) are this plan's author"),
        "{}",
        text(&o.stderr)
    );
    // From S3: the same root; another file under its pin is refused (and audited).
    let o = t.run(
        "bob",
        &["approve", "p.json", "--key", &t.key("bob")],
        &from_s3("root.json"),
        None,
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains(&format!("Trust root: version 1 ({root_digest})")),
        "{}",
        text(&o.stderr)
    );
    let o = t.run(
        "bob",
        &["approve", "p.json", "--key", &t.key("bob")],
        &from_s3("other.json"),
        None,
    );
    refused(&t, &o, "approve", "DRIFTGATE_TRUST_ROOT_SHA256 pins");
    // An approval made where no root is pinned names none.
    let unpinned_alice = t.token("alice", &digest, None);

    // The plan token alone; one approval where the root requires two.
    let o = t.apply("zed", "p.json", &[&token], &pinned, None);
    refused(&t, &o, "apply", "the plan token alone is not enough");
    let o = t.apply("zed", "p.json", &[&alice], &pinned, None);
    refused(&t, &o, "apply", "too few approvals: 1 valid");
    // carol approves her own plan (made as "zed").
    let o = t.apply("zed", "p.json", &[&alice, &carol], &pinned, None);
    refused(
        &t,
        &o,
        "apply",
        "the approval by `carol` does not count: its approver is the plan's author",
    );
    // mallory is not in the root.
    let o = t.apply("zed", "p.json", &[&alice, &mallory], &pinned, None);
    refused(
        &t,
        &o,
        "apply",
        "the approval by `mallory` does not count: its approver is not in the pinned trust root",
    );
    // carol's key under the name "dave".
    let carol_seed = std::fs::read_to_string(t.key("carol"))
        .unwrap()
        .replace("name = carol", "name = dave");
    let dave_key = t.admin.path().join("dave.key");
    std::fs::write(&dave_key, carol_seed).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::set_permissions(&dave_key, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let dave = t.token("dave", &digest, Some(1));
    let o = t.apply("zed", "p.json", &[&alice, &dave], &pinned, None);
    refused(
        &t,
        &o,
        "apply",
        "the approval by `dave` does not count: its approver is not in the pinned trust root",
    );
    // An approval that names no root.
    let o = t.apply("zed", "p.json", &[&unpinned_alice, &bob], &pinned, None);
    refused(&t, &o, "apply", "it names no trust root");
    // alice's role applies, with her own approval counted: refused.
    let o = t.apply(
        "zed",
        "p.json",
        &[&alice, &bob],
        &pinned,
        Some(&alice_session),
    );
    refused(
        &t,
        &o,
        "apply",
        "the approval by `alice` does not count: its approver is the one running `apply`",
    );
    // The plan resealed: the author fields rewritten, the digest made again.
    let mut resealed = plan.clone();
    resealed["author"]["actor"] = "bob".into();
    resealed["author"]["aws_caller_arn"] = Json::Null;
    resealed["digest"] = driftgate::plan_file::digest::digest_json(&resealed).into();
    std::fs::write(
        t.stack.work.path().join("resealed.json"),
        serde_json::to_string_pretty(&resealed).unwrap(),
    )
    .unwrap();
    let ra = t.approve("alice", "resealed.json", &pinned);
    let rb = t.approve("bob", "resealed.json", &pinned);
    let o = t.apply("zed", "resealed.json", &[&ra, &rb], &pinned, None);
    refused(
        &t,
        &o,
        "apply",
        "the plan's author signature does not verify",
    );
    // Without the pin, in CI: refused unless --no-trust-root.
    let mut ci = vec![("CI", "true".to_string())];
    let o = t.apply("zed", "p.json", &[&alice, &bob], &ci, None);
    refused(&t, &o, "apply", "CI is set and no trust root is pinned");
    // The applier is the author (same AWS principal): one approval more.
    let o = t.apply("zed", "p.json", &[&alice, &bob], &pinned, None);
    refused(
        &t,
        &o,
        "apply",
        "too few approvals: 2 valid, the policy requires 3",
    );
    // A plan made where no root is pinned, under a lax policy, applied where it is.
    std::fs::write(&policy, approval_block(1, &["alice", "bob"])).unwrap();
    let o = t.plan("carol", "lax.json", None, &[], None);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let la = t.approve("alice", "lax.json", &pinned);
    let o = t.apply("zed", "lax.json", &[&la], &pinned, Some(&ops_session));
    refused(
        &t,
        &o,
        "apply",
        "the policy lowers what the trust root (version 1) requires",
    );
    std::fs::remove_file(&policy).unwrap();

    // The same role under another session name plans (bob signs): alice is its author in AWS.
    let o = t.plan(
        "bob",
        "p2.json",
        Some("bob"),
        &pinned,
        Some(&sneaky_session),
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let a2 = t.approve("alice", "p2.json", &pinned);
    let c2 = t.approve("carol", "p2.json", &pinned);
    let o = t.apply("zed", "p2.json", &[&a2, &c2], &pinned, None);
    refused(
        &t,
        &o,
        "apply",
        "the approval by `alice` does not count: its approver is the plan's author",
    );

    // Nothing changed.
    assert_eq!(t.scan(), before);

    // --no-trust-root in CI: audited, in red (a dry run changes nothing).
    ci.push(("NO_COLOR", "1".into()));
    let mut args = vec![
        "apply",
        "p.json",
        "--approve",
        &alice,
        "--approve",
        &bob,
        "--no-trust-root",
        "--dry-run",
    ];
    let o = t.run("zed", &args, &ci, None);
    // The approvals name a root this run does not pin: the plan's inputs say so.
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("\u{1b}[31mwarning: applying WITHOUT a trust root"),
        "{}",
        text(&o.stderr)
    );
    assert!(
        t.audit()
            .iter()
            .any(|e| e["details"]["no_trust_root"] == "true")
    );
    args.clear();

    // As the root says: two approvers other than the author, the root pinned: applied.
    let o = t.apply(
        "zed",
        "p.json",
        &[&alice, &bob],
        &pinned,
        Some(&ops_session),
    );
    assert_eq!(code(&o), 0, "{}\n{}", text(&o.stderr), text(&o.stdout));
    assert!(!t.scan().contains(&"changed aws_vpc.main".to_string()));

    // Version 2 that hands the root to a3 alone, signed by a3 only: not by enough of
    // version 1's admins.
    t.ok(&[
        "trust",
        "set",
        &root,
        "--add-admin",
        &format!("a3={}", k["a3"]),
        "--remove-admin",
        "a1",
        "--remove-admin",
        "a2",
        "--threshold",
        "1",
        "--approvals",
        "1",
    ]);
    t.ok(&["trust", "sign", &root, "--key", &t.key("a3")]);
    let o = t.plan("carol", "p3.json", Some("carol"), &t.pinned(), None);
    refused(&t, &o, "plan", "is signed by 0 of version 1's admins");
    // With the previous admins' consent it holds; once used, version 1 is a rollback.
    t.ok(&["trust", "sign", &root, "--key", &t.key("a1")]);
    t.ok(&["trust", "sign", &root, "--key", &t.key("a2")]);
    let o = t.run(
        "bob",
        &["approve", "p.json", "--key", &t.key("bob")],
        &t.pinned(),
        None,
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("Trust root: version 2"),
        "{}",
        text(&o.stderr)
    );
    let old = t.admin.path().join("root-v1.json");
    std::fs::write(&old, &v1).unwrap();
    let by_admins = vec![
        ("DRIFTGATE_TRUST_ROOT", old.display().to_string()),
        (
            "DRIFTGATE_TRUST_ROOT_ADMINS",
            format!("{},{}", fingerprint(&k["a1"]), fingerprint(&k["a2"])),
        ),
    ];
    let o = t.plan("carol", "p3.json", Some("carol"), &by_admins, None);
    refused(&t, &o, "plan", "a rollback");

    // Every refusal is in the log, which still verifies.
    let o = t.run("admin", &["audit", "verify"], &[], None);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
}

const BUCKET: &str = "dg-trust-roots";

/// Creates the bucket (`None`), or puts `body` at `key` in it.
async fn put_object(moto: &crate::support::moto::Moto, key: &str, body: Option<Vec<u8>>) {
    let sdk = moto.sdk_config().await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    match body {
        None => {
            s3.create_bucket().bucket(BUCKET).send().await.unwrap();
        }
        Some(b) => {
            s3.put_object()
                .bucket(BUCKET)
                .key(key)
                .body(aws_sdk_s3::primitives::ByteStream::from(b))
                .send()
                .await
                .unwrap();
        }
    }
}

/// `SHA256:<base64 without padding>` of an `ed25519:<base64>` key.
fn fingerprint(key: &str) -> String {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(key.trim_start_matches("ed25519:"))
        .unwrap();
    let fp = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes));
    format!("SHA256:{}", fp.trim_end_matches('='))
}
