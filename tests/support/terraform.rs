//! Real terraform, for live tests: find the binary and the hashicorp/aws provider mirror, and
//! apply a fixture configuration against a moto server to get a genuine provider-5.x state.
//!
//! Fixture configurations take the endpoint as `var.endpoint` and point every service the
//! provider touches at it (`endpoints { ec2 = var.endpoint, iam = ..., sts = ..., s3 = ... }`),
//! with dummy keys and the skip_* switches so the provider never looks for real credentials.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use super::moto::{Moto, on_path};
use super::skip::{Need, skip};

pub struct Terraform {
    pub bin: PathBuf,
    /// A filesystem mirror holding `registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/...`.
    pub plugin_dir: PathBuf,
}

/// A fixture applied in a temporary working copy (deleted on drop).
pub struct Applied {
    /// The working copy (the fixture files, `.terraform/`, the state).
    pub dir: tempfile::TempDir,
    /// `terraform.tfstate` in the working copy.
    pub state: PathBuf,
    /// How long `terraform apply` took.
    pub apply_secs: f64,
}

impl Terraform {
    /// terraform on PATH and an aws provider mirror; otherwise `None`, a counted skip (see
    /// [`super::skip`]), and under `CI` a failure: CI's machine has both.
    pub fn find() -> Option<Terraform> {
        let Some(bin) = on_path("terraform") else {
            skip(Need::Required, "terraform is not on PATH");
            return None;
        };
        let Some(plugin_dir) = find_plugin_dir() else {
            skip(
                Need::Required,
                "no hashicorp/aws provider mirror (set DRIFTGATE_TF_PLUGIN_DIR to a directory \
                 holding registry.terraform.io/hashicorp/aws/VERSION/OS_ARCH/terraform-provider-aws*)",
            );
            return None;
        };
        Some(Terraform { bin, plugin_dir })
    }

    /// Copy `fixture` to a temporary directory inside moto's (so it goes away with moto),
    /// `terraform init` from the local mirror and
    /// `terraform apply` with `endpoint` = moto plus `vars`. Err carries terraform's output.
    pub fn apply(
        &self,
        fixture: &Path,
        moto: &Moto,
        vars: &[(&str, &str)],
    ) -> Result<Applied, String> {
        let dir = tempfile::Builder::new()
            .prefix("tf-")
            .tempdir_in(moto.dir())
            .map_err(|e| format!("tempdir: {e}"))?;
        copy_tree(fixture, dir.path()).map_err(|e| format!("copy {}: {e}", fixture.display()))?;
        self.run(
            dir.path(),
            moto,
            &[
                "init",
                "-input=false",
                "-no-color",
                &format!("-plugin-dir={}", self.plugin_dir.display()),
            ],
        )?;
        let mut args: Vec<String> = ["apply", "-auto-approve", "-input=false", "-no-color"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(format!("-var=endpoint={}", moto.endpoint));
        for (k, v) in vars {
            args.push(format!("-var={k}={v}"));
        }
        let started = Instant::now();
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run(dir.path(), moto, &argv)?;
        let apply_secs = started.elapsed().as_secs_f64();
        let state = dir.path().join("terraform.tfstate");
        if !state.is_file() {
            return Err(format!(
                "terraform apply left no state at {}",
                state.display()
            ));
        }
        Ok(Applied {
            dir,
            state,
            apply_secs,
        })
    }

    /// `terraform plan` in `dir` (with `endpoint` = moto and the variables `vars`): the
    /// addresses it imports, sorted, and every resource it would change (anything but a no-op),
    /// as `ADDRESS: CHANGE`. `context` is added to a failure's message.
    pub fn plan_imports(
        &self,
        dir: &Path,
        moto: &Moto,
        vars: &[(&str, &str)],
        context: &str,
    ) -> (Vec<String>, Vec<String>) {
        let (mut imported, mut changes) = (Vec::new(), Vec::new());
        for rc in self.planned_changes_with(dir, moto, vars, context) {
            let address = rc["address"].as_str().unwrap_or("").to_string();
            if rc["change"]["importing"].is_object() {
                imported.push(address.clone());
            }
            if rc["change"]["actions"] != serde_json::json!(["no-op"]) {
                changes.push(format!("{address}: {}", rc["change"]));
            }
        }
        imported.sort();
        (imported, changes)
    }

    /// The resource schemas of the mirror's aws provider (`terraform providers schema -json`
    /// in a fresh directory initialised from the mirror), by resource type. Offline: no moto.
    pub fn aws_resource_schemas(&self) -> Result<serde_json::Value, String> {
        let dir = tempfile::tempdir().map_err(|e| format!("tempdir: {e}"))?;
        fs::write(
            dir.path().join("main.tf"),
            "terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\" }\n  }\n}\n",
        )
        .map_err(|e| format!("main.tf: {e}"))?;
        let cli_config = dir.path().join("terraformrc");
        fs::write(&cli_config, "").map_err(|e| format!("terraformrc: {e}"))?;
        let terraform = |args: &[&str]| -> Result<Output, String> {
            let out = Command::new(&self.bin)
                .current_dir(dir.path())
                .args(args)
                .env("TF_IN_AUTOMATION", "1")
                .env("TF_INPUT", "0")
                .env("CHECKPOINT_DISABLE", "1")
                .env("TF_CLI_CONFIG_FILE", &cli_config)
                .env_remove("TF_PLUGIN_CACHE_DIR")
                .env_remove("TF_CLI_ARGS")
                .env_remove("TF_DATA_DIR")
                .output()
                .map_err(|e| format!("spawn {}: {e}", self.bin.display()))?;
            if !out.status.success() {
                return Err(format!(
                    "terraform {} failed ({})\n{}",
                    args.join(" "),
                    out.status,
                    String::from_utf8_lossy(&out.stderr)
                ));
            }
            Ok(out)
        };
        terraform(&[
            "init",
            "-input=false",
            "-no-color",
            &format!("-plugin-dir={}", self.plugin_dir.display()),
        ])?;
        let out = terraform(&["providers", "schema", "-json"])?;
        let json: serde_json::Value = serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("providers schema -json: {e}"))?;
        json.get("provider_schemas")
            .and_then(|p| p.get("registry.terraform.io/hashicorp/aws"))
            .and_then(|p| p.get("resource_schemas"))
            .cloned()
            .ok_or_else(|| "no hashicorp/aws resource schemas in the output".to_string())
    }

    /// `terraform plan` against `moto` in `dir`, then `show -json` of it: the plan's
    /// resource changes. `context` is added to a failure's message.
    pub fn planned_changes(
        &self,
        dir: &Path,
        moto: &Moto,
        context: &str,
    ) -> Vec<serde_json::Value> {
        self.planned_changes_with(dir, moto, &[], context)
    }

    /// [`Terraform::planned_changes`] with the variables `vars` besides `endpoint`.
    pub fn planned_changes_with(
        &self,
        dir: &Path,
        moto: &Moto,
        vars: &[(&str, &str)],
        context: &str,
    ) -> Vec<serde_json::Value> {
        let mut vars: Vec<String> = vars.iter().map(|(k, v)| format!("-var={k}={v}")).collect();
        vars.push(format!("-var=endpoint={}", moto.endpoint));
        let mut args = vec!["plan", "-input=false", "-no-color", "-out=tf.plan"];
        args.extend(vars.iter().map(String::as_str));
        self.run(dir, moto, &args)
            .unwrap_or_else(|e| panic!("{e}{context}"));
        let show = self.run(dir, moto, &["show", "-json", "tf.plan"]).unwrap();
        let shown: serde_json::Value = serde_json::from_slice(&show.stdout).unwrap();
        shown["resource_changes"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The types terraform's plan imports in `dir`, sorted, each import asserted to change
    /// nothing (`no-op`). `context` is added to a failure's message.
    pub fn imported_types(&self, dir: &Path, moto: &Moto, context: &str) -> Vec<String> {
        let mut imported = Vec::new();
        for rc in self.planned_changes(dir, moto, context) {
            if rc["change"]["importing"].is_object() {
                assert_eq!(
                    rc["change"]["actions"],
                    serde_json::json!(["no-op"]),
                    "{rc:#}{context}"
                );
                imported.push(rc["type"].as_str().unwrap_or("?").to_string());
            }
        }
        imported.sort();
        imported
    }

    /// Run terraform in `dir` with the moto env and a clean terraform env; Err on non-zero exit
    /// with the full output.
    pub fn run(&self, dir: &Path, moto: &Moto, args: &[&str]) -> Result<Output, String> {
        let out = self
            .command(dir, moto)
            .args(args)
            .output()
            .map_err(|e| format!("spawn {}: {e}", self.bin.display()))?;
        if !out.status.success() {
            return Err(format!(
                "terraform {} failed ({}) in {}\n--- stdout\n{}\n--- stderr\n{}\n--- moto log tail\n{}",
                args.join(" "),
                out.status,
                dir.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                moto.log_tail(20),
            ));
        }
        Ok(out)
    }

    /// A terraform command with the environment set up (for callers that need the raw output).
    pub fn command(&self, dir: &Path, moto: &Moto) -> Command {
        let cli_config = moto.dir().join("terraformrc");
        if !cli_config.exists() {
            let _ = fs::write(&cli_config, "");
        }
        let mut cmd = Command::new(&self.bin);
        cmd.current_dir(dir);
        moto.apply_env(&mut cmd);
        for k in [
            "TF_PLUGIN_CACHE_DIR",
            "TF_CLI_ARGS",
            "TF_WORKSPACE",
            "TF_DATA_DIR",
            "TF_LOG",
        ] {
            cmd.env_remove(k);
        }
        cmd.env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", &cli_config);
        cmd
    }
}

/// `DRIFTGATE_TF_PLUGIN_DIR`, else the usual mirror places, holding an aws provider binary.
pub fn find_plugin_dir() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(d) = std::env::var_os("DRIFTGATE_TF_PLUGIN_DIR") {
        candidates.push(PathBuf::from(d));
    }
    candidates.push(PathBuf::from("/opt/tf-plugins"));
    if let Some(home) = std::env::var_os("HOME") {
        let home = PathBuf::from(home);
        candidates.push(home.join(".terraform.d/plugins"));
        candidates.push(home.join(".local/share/terraform/plugins"));
    }
    candidates.push(PathBuf::from("/usr/local/share/terraform/plugins"));
    candidates.push(PathBuf::from("/usr/share/terraform/plugins"));
    candidates.into_iter().find(|d| has_aws_provider(d))
}

/// `DIR/registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*` exists.
fn has_aws_provider(dir: &Path) -> bool {
    let aws = dir.join("registry.terraform.io/hashicorp/aws");
    let Ok(versions) = fs::read_dir(aws) else {
        return false;
    };
    versions.flatten().any(|v| {
        fs::read_dir(v.path())
            .into_iter()
            .flatten()
            .flatten()
            .any(|platform| {
                fs::read_dir(platform.path())
                    .into_iter()
                    .flatten()
                    .flatten()
                    .any(|f| {
                        f.file_name()
                            .to_string_lossy()
                            .starts_with("terraform-provider-aws")
                    })
            })
    })
}

/// Copy a fixture tree, leaving out terraform's working files.
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        let n = name.to_string_lossy();
        if n == ".terraform" || n == ".terraform.lock.hcl" || n.starts_with("terraform.tfstate") {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
