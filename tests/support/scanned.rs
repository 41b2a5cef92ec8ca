//! A live fixture applied once for a read-mostly test module (`live`, `modules`, `iam_groups`,
//! `iam_misc`): applied by real terraform against moto, read back from its state, and scanned
//! (JSON and table) before any test changes the cloud.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use serde_json::Value as Json;

use super::fixture_stack;
use super::moto::Moto;
use super::report::{assert_clean_with_full_coverage, no_output, show};
use super::terraform::{Applied, Terraform};
use super::{driftgate, fixture};

/// The region every live fixture is applied in.
pub const REGION: &str = "us-east-1";

pub struct Scanned {
    pub moto: Moto,
    pub tf: Terraform,
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
            tf,
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

    /// The scans right after apply are clean with full coverage (see
    /// [`assert_clean_with_full_coverage`]; the table exits 0 too), and the state records each
    /// of `types` (the stack is what the test says it is).
    pub fn assert_clean_recording(&self, types: &[&str]) {
        assert_clean_with_full_coverage(&self.clean_json);
        let recorded: BTreeSet<&str> = self
            .recorded
            .keys()
            .filter_map(|a| a.split('.').next())
            .collect();
        for t in types {
            assert!(recorded.contains(t), "{t} is not in the fixture's state");
        }
        let table = &self.clean_table;
        assert_eq!(table.status.code(), Some(0), "{}", show(table));
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

    /// `driftgate ARGS` as `alice` in terraform's working copy (its configuration found there).
    pub fn in_config(&self, args: &[&str]) -> Output {
        let mut cmd = driftgate();
        self.moto.apply_env(&mut cmd);
        cmd.current_dir(self.applied.dir.path())
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_ACTOR", "alice")
            .args(args);
        cmd.output().expect("driftgate runs")
    }

    /// `plan --target` each of `targets` in terraform's working copy, into `out`: see
    /// [`fixture_stack::plan_imports`].
    pub fn plan_imports(&self, out: &str, targets: &[&str]) -> Json {
        fixture_stack::plan_imports(&|args| self.in_config(args), out, targets)
    }

    /// `apply --approve` of the plan `plan_imports` wrote to `out`: the `driftgate_imports.tf`
    /// it wrote (see [`fixture_stack::apply_imports`]).
    pub fn apply_imports(&self, out: &str, plan: &Json) -> String {
        let dir = self.applied.dir.path();
        fixture_stack::apply_imports(&|args| self.in_config(args), dir, out, plan)
    }

    /// The types terraform's own plan imports in its working copy, each with no change (see
    /// [`Terraform::imported_types`]); `written` (the imports file) is shown on a failure.
    pub fn imported_types(&self, written: &str) -> Vec<String> {
        let dir = self.applied.dir.path();
        let context = format!("\n--- driftgate_imports.tf\n{written}");
        self.tf.imported_types(dir, &self.moto, &context)
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

/// The stack `s` changed out of band once for its whole test module (`cell`): `change` makes the
/// changes (on the runtime it is given) and takes the scans of the changed cloud. `None` when the
/// stack is missing (a counted skip); a failed change fails each test that asks, naming `what`.
pub fn drifted<D>(
    cell: &'static OnceLock<Result<Option<D>, String>>,
    s: Option<&'static Scanned>,
    what: &str,
    change: impl FnOnce(&'static Scanned, &tokio::runtime::Runtime) -> Result<D, String>,
) -> Option<(&'static Scanned, &'static D)> {
    let s = s?;
    match cell.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
        change(s, &rt).map(Some)
    }) {
        Ok(d) => d.as_ref().map(|d| (s, d)),
        Err(e) => panic!("{what} failed:\n{e}"),
    }
}
