//! Live: retries survive sustained throttling. The real driftgate binary scans moto through a
//! proxy that answers every third request with AWS's throttling error (tests/support/throttle.rs);
//! the scan and the observation must complete and say exactly what they say without the proxy.
//! Skipped (counted) without moto_server; a failure under `CI`.

use std::path::Path;
use std::process::Output;
use std::time::Instant;

use serde_json::Value as Json;

use crate::support::driftgate;
use crate::support::moto::Moto;
use crate::support::throttle::ThrottlingProxy;

const KEY: &str = "throttle-test-fingerprint-key";

/// An account with enough objects that a scan makes a few dozen calls: per-VPC attribute
/// calls, per-policy tag calls, paginated listings.
async fn populate(moto: &Moto) {
    let sdk = moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    for i in 0..4 {
        let vpc = ec2
            .create_vpc()
            .cidr_block(format!("10.{i}.0.0/16"))
            .send()
            .await
            .expect("create vpc")
            .vpc
            .and_then(|v| v.vpc_id)
            .expect("vpc id");
        ec2.create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.{i}.1.0/24"))
            .send()
            .await
            .expect("create subnet");
        ec2.create_security_group()
            .vpc_id(&vpc)
            .group_name(format!("app-{i}"))
            .description("app")
            .send()
            .await
            .expect("create security group");
    }
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    for i in 0..6 {
        iam.create_policy()
            .policy_name(format!("policy-{i}"))
            .policy_document(doc)
            .send()
            .await
            .expect("create policy");
    }
    for i in 0..3 {
        iam.create_role()
            .role_name(format!("role-{i}"))
            .assume_role_policy_document(trust)
            .send()
            .await
            .expect("create role");
        iam.create_user()
            .user_name(format!("user-{i}"))
            .send()
            .await
            .expect("create user");
    }
}

fn run(moto: &Moto, endpoint: &str, args: &[&str]) -> (Output, f64) {
    let mut cmd = driftgate();
    moto.apply_env(&mut cmd);
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("DRIFTGATE_FINGERPRINT_KEY", KEY)
        .env("NO_COLOR", "1")
        .args(args);
    let started = Instant::now();
    let out = cmd.output().expect("run driftgate");
    (out, started.elapsed().as_secs_f64())
}

fn read_json(path: &Path) -> Json {
    serde_json::from_str(&std::fs::read_to_string(path).expect("read output")).expect("json")
}

/// The document without what a retry legitimately changes: call counts and timings.
fn without_costs(mut v: Json) -> Json {
    if let Some(o) = v.as_object_mut() {
        o.remove("api_calls");
        o.remove("duration_ms");
        o.remove("timings");
    }
    v
}

fn total_calls(v: &Json) -> u64 {
    v["api_calls"]
        .as_object()
        .map(|m| m.values().filter_map(Json::as_u64).sum())
        .unwrap_or(0)
}

#[test]
fn a_scan_throttled_on_every_third_call_completes_with_the_same_findings() {
    let Some(moto) = Moto::start() else { return };
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(populate(&moto));
    let dir = tempfile::tempdir().expect("tempdir");
    // A state that manages nothing: every object of the account is an unmanaged finding.
    let state = dir.path().join("empty.tfstate");
    std::fs::write(
        &state,
        r#"{"version":4,"terraform_version":"1.9.0","serial":1,"lineage":"t","outputs":{},"resources":[]}"#,
    )
    .expect("write state");
    let state = state.display().to_string();

    let mut outputs = Vec::new();
    let proxy = ThrottlingProxy::start(moto.port, 3);
    for (label, endpoint) in [
        ("direct", moto.endpoint.as_str()),
        ("throttled", proxy.endpoint.as_str()),
    ] {
        let observed = dir.path().join(format!("{label}.observed.json"));
        let report = dir.path().join(format!("{label}.report.json"));
        let observed_s = observed.display().to_string();
        let report_s = report.display().to_string();
        let (obs_out, obs_secs) = run(
            &moto,
            endpoint,
            &["observe", "--region", "us-east-1", "--out", &observed_s],
        );
        let (scan_out, scan_secs) = run(
            &moto,
            endpoint,
            &[
                "scan",
                "--state",
                &state,
                "--region",
                "us-east-1",
                "--format",
                "json",
                "--out",
                &report_s,
            ],
        );
        eprintln!("{label}: observe {obs_secs:.1}s, scan {scan_secs:.1}s");
        for (what, out, code) in [("observe", &obs_out, 0), ("scan", &scan_out, 2)] {
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(code),
                "{label} {what}: exit code; stderr:\n{stderr}"
            );
            assert!(!stderr.contains("incomplete"), "{label} {what}: {stderr}");
        }
        outputs.push((read_json(&observed), read_json(&report)));
    }
    let (ec2_throttled, iam_throttled) = proxy.throttled();
    eprintln!(
        "proxy: {} requests, {ec2_throttled} ec2 and {iam_throttled} iam answered with throttling",
        proxy.requests()
    );
    assert!(
        ec2_throttled > 0 && iam_throttled > 0,
        "both services were throttled"
    );

    let (direct_obs, direct_report) = outputs.remove(0);
    let (throttled_obs, throttled_report) = outputs.remove(0);
    assert_eq!(direct_report["complete"], true);
    assert_eq!(throttled_report["complete"], true, "{throttled_report:#}");
    assert_eq!(throttled_obs["gaps"], serde_json::json!([]));
    let findings = direct_report["findings"].as_array().expect("findings");
    // 4 VPCs, 4 subnets, 4 groups (+ their egress rules), 6 policies, 3 roles, 3 users...
    assert!(findings.len() >= 24, "{}", findings.len());
    assert_eq!(
        without_costs(throttled_obs.clone()),
        without_costs(direct_obs.clone())
    );
    assert_eq!(
        without_costs(throttled_report.clone()),
        without_costs(direct_report)
    );
    // The retries are counted (each throttled answer was one attempt more).
    assert!(total_calls(&throttled_obs) > total_calls(&direct_obs));
}
