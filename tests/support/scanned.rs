//! A live fixture applied once for a read-mostly test module (`live`, `modules`, `iam_groups`,
//! `iam_misc`): applied by real terraform against moto, read back from its state, and scanned
//! (JSON and table) before any test changes the cloud.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use serde_json::Value as Json;

use super::moto::Moto;
use super::report::no_output;
use super::terraform::{Applied, Terraform};
use super::{driftgate, fixture};

/// The region every live fixture is applied in.
pub const REGION: &str = "us-east-1";

pub struct Scanned {
    pub moto: Moto,
    pub applied: Applied,
    /// Recorded attributes by terraform address (`module.app.aws_instance.this["a"]`).
    pub recorded: BTreeMap<String, Json>,
    /// `driftgate scan --format json` right after apply.
    pub clean_json: Output,
    /// `driftgate scan` (table) right after apply.
    pub clean_table: Output,
}

impl Scanned {
    /// `fixtures/<name>` applied against `moto` with the variables `vars`, and scanned.
    /// `Ok(None)` when moto (`moto` is `None`) or terraform is missing.
    pub fn set_up(
        moto: Option<Moto>,
        name: &str,
        vars: &[(&str, &str)],
    ) -> Result<Option<Scanned>, String> {
        let Some(moto) = moto else {
            return Ok(None);
        };
        let Some(tf) = Terraform::find() else {
            return Ok(None);
        };
        let applied = tf.apply(&fixture(name), &moto, vars)?;
        eprintln!("{name} applied in {:.1}s", applied.apply_secs);
        let recorded = super::state::recorded(&applied.state)?;
        let mut stack = Scanned {
            moto,
            applied,
            recorded,
            clean_json: no_output(),
            clean_table: no_output(),
        };
        // Taken now, before any test can change the cloud.
        stack.clean_json = stack.scan("json");
        stack.clean_table = stack.scan("table");
        Ok(Some(stack))
    }

    pub fn state(&self) -> &Path {
        &self.applied.state
    }

    /// Recorded attribute `name` of `address`, a string.
    pub fn attr(&self, address: &str, name: &str) -> String {
        let attrs = self
            .recorded
            .get(address)
            .unwrap_or_else(|| panic!("{address} is not in the state"));
        attrs[name]
            .as_str()
            .unwrap_or_else(|| panic!("{address}.{name} is not a string: {}", attrs[name]))
            .to_string()
    }

    /// `driftgate ARGS` with the moto environment (plus `extra_env` overrides).
    pub fn driftgate(&self, args: &[&str], extra_env: &[(&str, &str)]) -> Output {
        let mut cmd = driftgate();
        self.moto.apply_env(&mut cmd);
        cmd.envs(extra_env.iter().copied()).args(args);
        cmd.output().expect("run driftgate")
    }

    /// `driftgate scan --state STATE --region us-east-1 --format FORMAT`.
    pub fn scan(&self, format: &str) -> Output {
        self.scan_with(format, &[], &[])
    }

    /// [`Scanned::scan`] with `extra` arguments and `extra_env` overrides.
    pub fn scan_with(&self, format: &str, extra: &[&str], extra_env: &[(&str, &str)]) -> Output {
        let state = self.state().display().to_string();
        let mut args = vec![
            "scan", "--state", &state, "--region", REGION, "--format", format,
        ];
        args.extend_from_slice(extra);
        self.driftgate(&args, extra_env)
    }
}
