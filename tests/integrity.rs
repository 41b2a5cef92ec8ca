//! Issue 16, the audit log that proves nothing is missing and apply's integrity, against the
//! real binary: signed checkpoints catch a truncated, deleted, edited, reordered or forked log;
//! a log that fails mid-apply leaves a record (the fallback log) and no unrecorded write; a plan
//! applied once is refused from another directory sharing the applied store (SQLite file, S3
//! with conditional puts; PostgreSQL through the library); a failed modify between stop and
//! start starts the instance again.
//!
//! Skips (counted, a failure under `CI`): no moto_server, no terraform, no PostgreSQL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use driftgate::audit::{GENESIS, Record, hash_line};
use serde_json::Value as Json;

use crate::support::moto::Moto;
use crate::support::remediation::{self, Stack, code, recorded, text};
use crate::support::terraform::Terraform;
use crate::support::throttle::ThrottlingProxy;
use crate::support::{driftgate, fixture};

const SECRET: &str = "dg-integrity-secret-Qw4";
const ROTATED: &str = "dg-integrity-rotated-Zp9";

fn offline(log: &Path, cwd: &Path, args: &[&str]) -> Output {
    let mut c: Command = driftgate();
    c.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_FINGERPRINT_KEY")
        .env_remove("DRIFTGATE_AUDIT_KEY")
        .env_remove("DRIFTGATE_AUDIT_CHECKPOINT")
        .env_remove("DRIFTGATE_AUDIT_PUBLIC_KEY")
        .env("DRIFTGATE_ACTOR", "tester")
        .env("DRIFTGATE_AUDIT_LOG", log)
        .args(args);
    c.output().expect("the driftgate binary runs")
}

fn scan(log: &Path, cwd: &Path) {
    let state = fixture("demo/terraform.tfstate").display().to_string();
    let observed = fixture("demo/observed.json").display().to_string();
    let o = offline(
        log,
        cwd,
        &["scan", "--state", &state, "--observed", &observed],
    );
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
}

/// The records rewritten with every `seq` and `prev` recomputed: what someone holding the file
/// can always do.
fn rechain(records: &mut [Record]) -> Vec<u8> {
    let mut prev = GENESIS.to_string();
    let mut out = Vec::new();
    for (i, r) in records.iter_mut().enumerate() {
        r.seq = i as u64 + 1;
        r.prev = prev.clone();
        let line = r.canonical();
        prev = hash_line(&line);
        out.extend_from_slice(&line);
        out.push(b'\n');
    }
    out
}

fn records(bytes: &[u8]) -> Vec<Record> {
    text(bytes)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Each kind of damage, made after two checkpoints were taken, is named by `audit verify
/// --checkpoint`; the intact log matches both; a checkpoint signed by another key is refused.
#[test]
fn checkpoints_catch_a_truncated_deleted_edited_reordered_or_forked_log() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let log = cwd.join("audit.jsonl");
    let o = offline(
        &log,
        cwd,
        &["keygen", "--name", "auditlog", "--out", "log.key"],
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let public = text(&o.stdout)
        .split('"')
        .nth(1)
        .expect("keygen prints the public key")
        .to_string();
    let checkpoint = |log: &Path| {
        let o = offline(
            log,
            cwd,
            &[
                "audit",
                "checkpoint",
                "--audit-key",
                "log.key",
                "--audit-checkpoint",
                "checkpoints.jsonl",
            ],
        );
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    };
    for _ in 0..3 {
        scan(&log, cwd);
    }
    checkpoint(&log);
    for _ in 0..3 {
        scan(&log, cwd);
    }
    checkpoint(&log);
    // A webhook receives the same checkpoint; a file of what it received verifies the log.
    let hook = crate::support::receiver::Receiver::start(&[]);
    let o = offline(
        &log,
        cwd,
        &[
            "audit",
            "checkpoint",
            "--audit-key",
            "log.key",
            "--audit-checkpoint",
            &hook.url,
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("SECRETPATH"));
    let received = hook.bodies();
    assert_eq!(received.len(), 1);
    std::fs::write(cwd.join("received.jsonl"), format!("{}\n", received[0])).unwrap();
    let o = offline(
        &log,
        cwd,
        &[
            "audit",
            "verify",
            "--checkpoint",
            "received.jsonl",
            "--audit-key",
            "log.key",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    // The webhook's checkpoint is entry 10: the file's two cover 9.
    let verify = |log: &Path| {
        offline(
            log,
            cwd,
            &[
                "audit",
                "verify",
                "--checkpoint",
                "checkpoints.jsonl",
                "--audit-public-key",
                &public,
            ],
        )
    };
    let o = verify(&log);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("matches 2 checkpoints"),
        "{}",
        text(&o.stdout)
    );
    // More entries after the last checkpoint: still fine.
    scan(&log, cwd);
    let o = verify(&log);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let intact = std::fs::read(&log).unwrap();
    let lines: Vec<&[u8]> = intact.split_inclusive(|b| *b == b'\n').collect();
    assert_eq!(lines.len(), 11);

    let damaged = |what: &str, bytes: Option<Vec<u8>>, kind: &str| {
        let path = cwd.join(format!("{what}.jsonl"));
        let _ = std::fs::remove_file(&path);
        if let Some(b) = bytes {
            std::fs::write(&path, b).unwrap();
        }
        let o = verify(&path);
        let err = text(&o.stderr);
        assert_eq!(code(&o), 1, "{what}: {err}");
        assert!(
            err.contains("checkpoint_mismatch") && err.contains(&format!(": {kind}: ")),
            "{what} should be reported as {kind}: {err}"
        );
    };
    // The tail cut at a line boundary (plain `audit verify` passes it).
    let cut = lines[..6].concat();
    std::fs::write(cwd.join("cut-plain.jsonl"), &cut).unwrap();
    assert_eq!(
        code(&offline(
            &cwd.join("cut-plain.jsonl"),
            cwd,
            &["audit", "verify"]
        )),
        0
    );
    damaged("cut", Some(cut), "truncated");
    // Deleted; deleted and started again.
    damaged("missing", None, "deleted");
    let restarted = cwd.join("restarted.jsonl");
    scan(&restarted, cwd);
    damaged(
        "restarted",
        Some(std::fs::read(&restarted).unwrap()),
        "deleted",
    );
    // An entry edited in place.
    let mut edited: Vec<Vec<u8>> = lines.iter().map(|l| l.to_vec()).collect();
    edited[2] = text(&edited[2])
        .replace("\"actor\":\"tester\"", "\"actor\":\"someone\"")
        .into_bytes();
    damaged("edited", Some(edited.concat()), "edited");
    // The last checkpointed entry edited with every hash after it recomputed.
    let mut rs = records(&intact);
    // (entries: keygen, 3 scans, checkpoint 5, 3 scans, checkpoint 9, webhook checkpoint 10,
    // a scan)
    rs[8].reason = Some("nothing to see".into());
    damaged("edited-rechained", Some(rechain(&mut rs)), "edited");
    // Two entries swapped.
    let mut swapped: Vec<&[u8]> = lines.clone();
    swapped.swap(1, 3);
    damaged("swapped", Some(swapped.concat()), "reordered");
    // Rewritten from entry 3 on, entry 3 dropped and the chain recomputed: a fork.
    let mut rs = records(&intact);
    rs.remove(2);
    damaged("forked", Some(rechain(&mut rs)), "forked");

    // A checkpoint signed by another key does not count.
    let o = offline(
        &log,
        cwd,
        &["keygen", "--name", "mallory", "--out", "other.key"],
    );
    assert_eq!(code(&o), 0);
    let o = offline(
        &log,
        cwd,
        &[
            "audit",
            "checkpoint",
            "--audit-key",
            "other.key",
            "--audit-checkpoint",
            "checkpoints.jsonl",
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let o = verify(&log);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("not by the log key"),
        "{}",
        text(&o.stderr)
    );
    // Without a pinned key there is nothing to verify against.
    let o = offline(
        &log,
        cwd,
        &["audit", "verify", "--checkpoint", "checkpoints.jsonl"],
    );
    assert_eq!(code(&o), 1);
}

fn digest_hex(plan: &Path) -> String {
    let v: Json = serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap();
    v["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:")
        .to_string()
}

/// `apply` from another working directory with the stack's moto and audit log.
fn apply_in(stack: &Stack, cwd: &Path, args: &[&str]) -> Output {
    let mut cmd = driftgate();
    stack.moto.apply_env(&mut cmd);
    cmd.current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("DRIFTGATE_AUDIT_LOG", &stack.log)
        .env("DRIFTGATE_ACTOR", "alice")
        .env_remove("CI")
        .args(args);
    cmd.output().expect("driftgate runs")
}

/// Replay from another checkout: a plan applied from one directory, its drift brought back,
/// is refused from a second directory sharing the applied store (a SQLite file, then an S3
/// prefix written with conditional puts); a lock held in S3 by another machine refuses the
/// apply. The apply's signed checkpoint verifies, and a cut log is caught against it.
#[test]
fn a_plan_applied_once_is_refused_from_another_checkout_sharing_the_store() {
    let Some(stack) = Stack::set_up(SECRET) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let other = tempfile::tempdir().unwrap();
    let o = stack.run_as(
        "alice",
        &["keygen", "--name", "auditlog", "--out", "log.key"],
        None,
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let key = stack.work.path().join("log.key").display().to_string();
    let cps_file = stack.work.path().join("cps.jsonl").display().to_string();
    // A bucket without object lock (written without retention, with a warning) and one with.
    let cps = format!("{cps_file},s3://dg-applied/audit,s3://dg-locked/audit");
    let shared_db = stack.work.path().join("shared").join("applied.db");
    let sqlite = shared_db.display().to_string();
    rt.block_on(async {
        let sdk = stack.moto.sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        s3.create_bucket()
            .bucket("dg-applied")
            .send()
            .await
            .unwrap();
        s3.create_bucket()
            .bucket("dg-locked")
            .object_lock_enabled_for_bucket(true)
            .send()
            .await
            .unwrap();
    });

    for (n, store) in [(1, sqlite.as_str()), (2, "s3://dg-applied/team/prod")] {
        if n == 1 {
            // (The second round starts from the drift the refused replay left.)
            rt.block_on(remediation::drift(&stack.moto, &stack.state, ROTATED));
        }
        let plan = format!("p{n}.json");
        let (o, token) = stack.plan("alice", &plan, &[]);
        assert_eq!(code(&o), 2, "{}", text(&o.stderr));
        let plan_path = stack.work.path().join(&plan).display().to_string();
        let args = [
            "apply",
            plan_path.as_str(),
            "--approve",
            &token,
            "--applied-store",
            store,
            "--audit-key",
            &key,
            "--audit-checkpoint",
            &cps,
        ];
        if n == 2 {
            // Another machine holds this plan's lock: refused, nothing changed.
            rt.block_on(async {
                let sdk = stack.moto.sdk_config().await;
                let s3 = aws_sdk_s3::Client::from_conf(
                    aws_sdk_s3::config::Builder::from(&sdk)
                        .force_path_style(true)
                        .build(),
                );
                let key = format!("team/prod/lock/{}", digest_hex(Path::new(&plan_path)));
                s3.put_object()
                    .bucket("dg-applied")
                    .key(&key)
                    .body(b"bob at 2026-12-01T09:30:00Z".to_vec().into())
                    .send()
                    .await
                    .unwrap();
                let o = apply_in(&stack, other.path(), &args);
                assert_eq!(code(&o), 1, "{}", text(&o.stderr));
                assert!(
                    text(&o.stderr).contains("holds its lock") && text(&o.stderr).contains("bob"),
                    "{}",
                    text(&o.stderr)
                );
                assert_eq!(stack.scan_json("alice").0, 2, "a refusal changes nothing");
                s3.delete_object()
                    .bucket("dg-applied")
                    .key(&key)
                    .send()
                    .await
                    .unwrap();
            });
        }
        let o = apply_in(&stack, stack.work.path(), &args);
        assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
        assert_eq!(stack.scan_json("alice").0, 0);
        // The drift comes back; the same plan and token from another directory.
        rt.block_on(remediation::drift(&stack.moto, &stack.state, ROTATED));
        let o = apply_in(&stack, other.path(), &args);
        assert_eq!(code(&o), 1, "{}", text(&o.stdout));
        assert!(
            text(&o.stderr).contains("applied already"),
            "{store}: {}",
            text(&o.stderr)
        );
        assert_eq!(stack.scan_json("alice").0, 2, "the replay changed nothing");
        // No lock is left behind.
        let o = apply_in(&stack, other.path(), &args);
        assert!(text(&o.stderr).contains("applied already"));
    }
    // The checkpoints the applies signed verify; the log cut back to before the last apply
    // does not.
    rt.block_on(async {
        let sdk = stack.moto.sdk_config().await;
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&sdk)
                .force_path_style(true)
                .build(),
        );
        let listed = s3
            .list_objects_v2()
            .bucket("dg-locked")
            .prefix("audit/checkpoints/")
            .send()
            .await
            .unwrap();
        let keys: Vec<String> = listed
            .contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_string))
            .collect();
        assert!(!keys.is_empty());
        for key in keys {
            let head = s3
                .head_object()
                .bucket("dg-locked")
                .key(&key)
                .send()
                .await
                .unwrap();
            assert_eq!(
                head.object_lock_mode(),
                Some(&aws_sdk_s3::types::ObjectLockMode::Compliance),
                "{key}"
            );
        }
    });
    for source in [
        cps_file.as_str(),
        "s3://dg-applied/audit",
        "s3://dg-locked/audit",
    ] {
        let verify = |log: &Path| {
            let mut cmd = driftgate();
            stack.moto.apply_env(&mut cmd);
            cmd.env("DRIFTGATE_AUDIT_LOG", log)
                .env("NO_COLOR", "1")
                .args([
                    "audit",
                    "verify",
                    "--checkpoint",
                    source,
                    "--audit-key",
                    &key,
                ]);
            cmd.output().unwrap()
        };
        let o = verify(&stack.log);
        assert_eq!(code(&o), 0, "{source}: {}", text(&o.stderr));
        let bytes = std::fs::read(&stack.log).unwrap();
        let lines: Vec<&[u8]> = bytes.split_inclusive(|b| *b == b'\n').collect();
        let cut = stack.work.path().join("cut.jsonl");
        std::fs::write(&cut, lines[..lines.len() / 2].concat()).unwrap();
        let o = verify(&cut);
        assert_eq!(code(&o), 1);
        assert!(
            text(&o.stderr).contains("truncated"),
            "{source}: {}",
            text(&o.stderr)
        );
    }
}

/// The log becomes unwritable while the first AWS write is in flight: the write's outcome goes
/// to the fallback log, the apply stops with a clear error before any other write, and the
/// plan is marked applied (the cloud changed).
#[test]
fn a_log_lost_mid_apply_leaves_a_record_and_no_unrecorded_write() {
    let Some(stack) = Stack::set_up(SECRET) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(remediation::drift(&stack.moto, &stack.state, ROTATED));
    let (o, token) = stack.plan("alice", "p.json", &[]);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let log = stack.log.clone();
    let saved: PathBuf = stack.work.path().join("audit.saved");
    let (l, s) = (log.clone(), saved.clone());
    let proxy = ThrottlingProxy::before_first_write(stack.moto.port, move || {
        std::fs::rename(&l, &s).unwrap();
        std::fs::create_dir(&l).unwrap();
    });
    let o = stack.run_as(
        "alice",
        &["apply", "p.json", "--approve", &token],
        Some(&proxy.endpoint),
    );
    let err = text(&o.stderr);
    assert_eq!(code(&o), 1, "{}{err}", text(&o.stdout));
    assert!(err.contains("could not be audited"), "{err}");
    assert_eq!(
        proxy.writes(),
        1,
        "no write after the one that could not be recorded"
    );
    let fallback = stack.work.path().join(".driftgate/audit.fallback.jsonl");
    let fb = std::fs::read_to_string(&fallback).expect("the fallback log");
    assert!(
        fb.contains("\"outcome\":\"ok\"")
            && fb.contains("unrecorded_in")
            && fb.contains("\"call\""),
        "{fb}"
    );
    // The log as it was: its last entry is the write's intent.
    std::fs::remove_dir(&log).unwrap();
    std::fs::rename(&saved, &log).unwrap();
    let last = records(&std::fs::read(&log).unwrap()).pop().unwrap();
    assert_eq!(last.outcome, "intent");
    // Marked applied: a second apply is refused.
    let o = stack.run_as("alice", &["apply", "p.json", "--approve", &token], None);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("applied already"),
        "{}",
        text(&o.stderr)
    );
}

/// Stop, modify (denied by IAM), start: the instance is started again, and the compensating
/// start is audited (intent and outcome).
#[test]
fn a_failed_modify_between_stop_and_start_starts_the_instance_again() {
    let Some(moto) = Moto::start() else { return };
    let Some(tf) = Terraform::find() else { return };
    let applied = tf
        .apply(&fixture("remediation/wide"), &moto, &[])
        .unwrap_or_else(|e| panic!("terraform apply: {e}"));
    let work = tempfile::tempdir().unwrap();
    let state = work.path().join("terraform.tfstate");
    std::fs::copy(&applied.state, &state).unwrap();
    let stack = Stack {
        log: work.path().join("audit.jsonl"),
        moto,
        state: state.clone(),
        work,
    };
    let instance = recorded(&state, "aws_instance", Some("worker"), "id");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let instance_state = || {
        rt.block_on(async {
            let sdk = stack.moto.sdk_config().await;
            let ec2 = aws_sdk_ec2::Client::new(&sdk);
            let out = ec2
                .describe_instances()
                .instance_ids(&instance)
                .send()
                .await
                .unwrap();
            out.reservations()[0].instances()[0]
                .state()
                .and_then(|s| s.name())
                .map(|n| n.as_str().to_string())
                .unwrap()
        })
    };
    rt.block_on(async {
        let sdk = stack.moto.sdk_config().await;
        let ec2 = aws_sdk_ec2::Client::new(&sdk);
        crate::support::remediation::resize_by_hand(&ec2, &instance, "t3.small").await;
    });
    assert_eq!(instance_state(), "running");
    let (o, token) = stack.plan("alice", "p.json", &["--allow-disruptive"]);
    assert_eq!(code(&o), 2, "{}", text(&o.stderr));
    let proxy = ThrottlingProxy::denying(stack.moto.port, "ModifyInstanceAttribute");
    let o = stack.run_as(
        "alice",
        &["apply", "p.json", "--approve", &token],
        Some(&proxy.endpoint),
    );
    assert_eq!(code(&o), 1, "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(
        text(&o.stdout).contains("started again"),
        "{}",
        text(&o.stdout)
    );
    assert_eq!(
        instance_state(),
        "running",
        "the instance is not left stopped"
    );
    let log = std::fs::read_to_string(&stack.log).unwrap();
    let compensation: Vec<&str> = log.lines().filter(|l| l.contains("compensation")).collect();
    assert_eq!(compensation.len(), 2, "{log}");
    assert!(compensation[0].contains("\"outcome\":\"intent\""), "{log}");
    assert!(
        compensation[1].contains("\"outcome\":\"ok\"")
            && compensation[1].contains("ec2:StartInstances"),
        "{log}"
    );
}

/// The applied store on PostgreSQL: two checkouts (two connections) cannot both hold one
/// plan's lock, and the marker one writes the other reads.
#[test]
fn the_applied_store_on_postgres_is_shared_by_checkouts() {
    let Some(pg) = crate::support::postgres::Postgres::start() else {
        return;
    };
    let location = driftgate::store::Location::parse(&pg.url).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use driftgate::apply::store::take;
        let a = take(&location, "sha256:abcd", "ci-1")
            .await
            .unwrap()
            .unwrap();
        let b = take(&location, "sha256:abcd", "ci-2").await.unwrap();
        assert!(b.is_err_and(|why| why.contains("ci-1")));
        a.mark_applied("2026-12-01T09:30:00Z").await.unwrap();
        a.release().await.unwrap();
        let b = take(&location, "sha256:abcd", "ci-2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            b.applied_at().await.unwrap().as_deref(),
            Some("2026-12-01T09:30:00Z")
        );
        b.release().await.unwrap();
    });
    // Checkpoints kept in PostgreSQL.
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let log = cwd.join("audit.jsonl");
    let o = offline(
        &log,
        cwd,
        &["keygen", "--name", "auditlog", "--out", "log.key"],
    );
    assert_eq!(code(&o), 0);
    scan(&log, cwd);
    for _ in 0..2 {
        let o = offline(
            &log,
            cwd,
            &[
                "audit",
                "checkpoint",
                "--audit-key",
                "log.key",
                "--audit-checkpoint",
                &pg.url,
            ],
        );
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    }
    let verify = || {
        offline(
            &log,
            cwd,
            &[
                "audit",
                "verify",
                "--checkpoint",
                &pg.url,
                "--audit-key",
                "log.key",
            ],
        )
    };
    let o = verify();
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("matches 2 checkpoints"),
        "{}",
        text(&o.stdout)
    );
    std::fs::remove_file(&log).unwrap();
    let o = verify();
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains(": deleted: "),
        "{}",
        text(&o.stderr)
    );
}

/// Under CI without a shared store, `apply` warns that its marker is this checkout's only; a
/// log key without a destination (or the reverse) is a usage error before anything is read.
#[test]
fn apply_warns_under_ci_without_a_shared_store_and_checkpoint_flags_go_together() {
    let dir = tempfile::tempdir().unwrap();
    let cwd = dir.path();
    let log = cwd.join("audit.jsonl");
    let apply = |extra: &[&str], ci: bool| {
        let mut c: Command = driftgate();
        c.current_dir(cwd)
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_AUDIT_LOG", &log)
            .env_remove("DRIFTGATE_APPLIED_STORE")
            .env_remove("DRIFTGATE_AUDIT_KEY")
            .env_remove("DRIFTGATE_AUDIT_CHECKPOINT")
            .args(["apply", "missing.json", "--approve", "dg1-0"])
            .args(extra);
        if ci {
            c.env("CI", "true");
        } else {
            c.env_remove("CI");
        }
        c.output().unwrap()
    };
    let o = apply(&[], true);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("no --applied-store"),
        "{}",
        text(&o.stderr)
    );
    let o = apply(&["--applied-store", "shared.db"], true);
    assert!(
        !text(&o.stderr).contains("no --applied-store"),
        "{}",
        text(&o.stderr)
    );
    let o = apply(&[], false);
    assert!(!text(&o.stderr).contains("no --applied-store"));
    let o = apply(&["--audit-key", "k"], false);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("--audit-checkpoint"),
        "{}",
        text(&o.stderr)
    );
    let o = apply(&["--audit-checkpoint", "cps.jsonl"], false);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("--audit-key"),
        "{}",
        text(&o.stderr)
    );
    let o = apply(&["--applied-store", "ftp://x"], false);
    assert_eq!(code(&o), 1);
    assert!(
        text(&o.stderr).contains("not ftp://"),
        "{}",
        text(&o.stderr)
    );
}
