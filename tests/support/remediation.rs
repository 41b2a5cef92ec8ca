//! The remediation stack (`fixtures/remediation/stack`) applied by terraform on its own moto
//! server, read back from its state and drifted out of band through the SDK: what the
//! remediation tests (`apply`, `approvals`) share. Applying changes the cloud, so each test
//! applies its own stack rather than sharing the read-only live one.

use std::path::{Path, PathBuf};
use std::process::Output;

use aws_sdk_ec2::types::{IpPermission, IpRange, Tag as Ec2Tag};
use serde_json::Value as Json;

use super::moto::Moto;
use super::terraform::Terraform;
use super::{driftgate, fixture};

/// An applied remediation stack: its moto, a copy of its state in a scratch directory, and an
/// audit log there.
pub struct Stack {
    pub moto: Moto,
    pub state: PathBuf,
    pub work: tempfile::TempDir,
    pub log: PathBuf,
}

impl Stack {
    /// Applies the stack with `secret` as the VPC's secret tag. `None` (a counted skip, a
    /// failure under `CI`) when moto or terraform is missing.
    pub fn set_up(secret: &str) -> Option<Stack> {
        Stack::set_up_fixture("remediation/stack", &[("secret_tag", secret)])
    }

    /// `fixtures/<name>` applied with the variables `vars`, its state copied to a scratch
    /// directory. `None` (a counted skip, a failure under `CI`) when moto or terraform is
    /// missing.
    pub fn set_up_fixture(name: &str, vars: &[(&str, &str)]) -> Option<Stack> {
        let moto = Moto::start()?;
        let tf = Terraform::find()?;
        let applied = tf
            .apply(&fixture(name), &moto, vars)
            .unwrap_or_else(|e| panic!("terraform apply: {e}"));
        let work = tempfile::tempdir().unwrap();
        let state = work.path().join("terraform.tfstate");
        std::fs::copy(&applied.state, &state).unwrap();
        let log = work.path().join("audit.jsonl");
        Some(Stack {
            moto,
            state,
            work,
            log,
        })
    }

    /// `driftgate ARGS` as `actor`, in the scratch directory with the stack's audit log; its
    /// AWS calls go to `endpoint` (a proxy) instead of moto when given.
    pub fn run_as(&self, actor: &str, args: &[&str], endpoint: Option<&str>) -> Output {
        let mut cmd = driftgate();
        self.moto.apply_env(&mut cmd);
        if let Some(e) = endpoint {
            cmd.env("AWS_ENDPOINT_URL", e);
        }
        cmd.current_dir(self.work.path())
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_AUDIT_LOG", &self.log)
            .env("DRIFTGATE_ACTOR", actor)
            .args(args);
        cmd.output().expect("driftgate runs")
    }

    /// `scan --format json` of the stack's state as `actor`: the exit code and the report.
    pub fn scan_json(&self, actor: &str) -> (i32, Json) {
        let state = self.state.display().to_string();
        let args = [
            "scan",
            "--state",
            &state,
            "--region",
            "us-east-1",
            "--format",
            "json",
        ];
        let o = self.run_as(actor, &args, None);
        let v = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", text(&o.stderr)));
        (code(&o), v)
    }

    /// `plan --out OUT EXTRA...` as `actor`: its output and the plan token from its last line.
    pub fn plan(&self, actor: &str, out: &str, extra: &[&str]) -> (Output, String) {
        let state = self.state.display().to_string();
        let mut args = vec![
            "plan",
            "--state",
            &state,
            "--region",
            "us-east-1",
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        let o = self.run_as(actor, &args, None);
        // The plan token is on the last line (the apply command) when the policy needs no
        // signed approval; else that line has placeholders, and the token is the digest's.
        let stdout = text(&o.stdout);
        let mut token = stdout
            .lines()
            .last()
            .unwrap_or_default()
            .split_whitespace()
            .skip_while(|w| *w != "--approve")
            .nth(1)
            .unwrap_or_default()
            .to_string();
        if !token.starts_with("dg1-")
            && let Some(digest) = stdout
                .split("(digest ")
                .nth(1)
                .and_then(|r| r.split(')').next())
        {
            token = driftgate::plan_file::digest::token(digest);
        }
        (o, token)
    }

    /// `plan --format json --out OUT` as `actor` of the drifted stack (exit 2): the APIs its
    /// calls use (sorted, each once) and its approval token.
    pub fn plan_apis(&self, actor: &str, out: &str) -> (Vec<String>, String) {
        let (o, token) = self.plan(actor, out, &["--format", "json"]);
        assert_eq!(code(&o), 2, "{}", text(&o.stderr));
        let v: Json = serde_json::from_slice(&o.stdout).unwrap();
        let mut apis: Vec<String> = v["plan"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["calls"].as_array().unwrap().iter())
            .map(|c| c["api"].as_str().unwrap().to_string())
            .collect();
        apis.sort();
        apis.dedup();
        let token = if token.is_empty() {
            v["token"].as_str().unwrap().to_string()
        } else {
            token
        };
        (apis, token)
    }

    /// `apply OUT --approve TOKEN` as `actor`, which succeeds.
    pub fn apply(&self, actor: &str, out: &str, token: &str) {
        let o = self.run_as(actor, &["apply", out, "--approve", token], None);
        assert_eq!(code(&o), 0, "{}\n{}", text(&o.stdout), text(&o.stderr));
    }

    /// The id of the first recorded resource of type `ty`.
    pub fn id(&self, ty: &str) -> String {
        recorded(&self.state, ty, None, "id")
    }
}

/// Attribute `key` of the first resource of type `ty` (named `name`, when given) in the state
/// file at `state`.
pub fn recorded(state: &Path, ty: &str, name: Option<&str>, key: &str) -> String {
    let st: Json = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["type"] == ty && name.is_none_or(|n| r["name"] == n))
        .and_then(|r| r["instances"][0]["attributes"][key].as_str())
        .unwrap_or_else(|| panic!("no {ty} {name:?} {key} in the state"))
        .to_string()
}

/// A report's findings as `KIND ADDRESS` (the cloud id for unmanaged ones), sorted.
pub fn findings(report: &Json) -> Vec<String> {
    let mut out: Vec<String> = report["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            format!(
                "{} {}",
                f["kind"].as_str().unwrap_or(""),
                f["address"]
                    .as_str()
                    .unwrap_or(f["id"].as_str().unwrap_or(""))
            )
        })
        .collect();
    out.sort();
    out
}

/// Out of band: a VPC tag edited and the secret tag rotated to `rotated`, SSH opened to the
/// world on the inline group, the role's inline policy widened.
pub async fn drift(moto: &Moto, state: &Path, rotated: &str) {
    let sdk = moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let iam = aws_sdk_iam::Client::new(&sdk);
    ec2.create_tags()
        .resources(recorded(state, "aws_vpc", None, "id"))
        .tags(Ec2Tag::builder().key("team").value("edge").build())
        .tags(Ec2Tag::builder().key("secret").value(rotated).build())
        .send()
        .await
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(recorded(state, "aws_security_group", None, "id"))
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("dg-fix-app")
        .policy_name("read-logs")
        .policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
        )
        .send()
        .await
        .unwrap();
}

pub fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What a person does by hand to resize an instance, as AWS requires: stop it, change its
/// type to `to`, start it again.
pub async fn resize_by_hand(ec2: &aws_sdk_ec2::Client, instance: &str, to: &str) {
    ec2.stop_instances()
        .instance_ids(instance)
        .send()
        .await
        .unwrap();
    ec2.modify_instance_attribute()
        .instance_id(instance)
        .instance_type(
            aws_sdk_ec2::types::AttributeValue::builder()
                .value(to)
                .build(),
        )
        .send()
        .await
        .unwrap();
    ec2.start_instances()
        .instance_ids(instance)
        .send()
        .await
        .unwrap();
}
