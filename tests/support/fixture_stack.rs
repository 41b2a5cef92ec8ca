//! A live fixture applied once for a test module (`compute`, `interfaces`, `nacl`, `vpc_misc`):
//! applied by real terraform against moto, its state copied to a scratch directory, scanned
//! clean before any test changes anything. Tests that share the cloud take turns ([`turn`]):
//! each makes one out-of-band change through the EC2 API, scans, and puts the cloud back (by
//! hand, or through `plan` and `apply --approve`), and the rescan is clean again.

use std::path::Path;
use std::process::Output;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};

use aws_sdk_ec2::Client;
use serde_json::Value as Json;

use super::fixture;
use super::moto::Moto;
use super::remediation::{Stack, code, findings, recorded, text};
use super::terraform::{Applied, Terraform};

/// The applied fixture.
pub struct Shared {
    pub stack: Stack,
    pub tf: Terraform,
    /// terraform's working copy (the configuration `plan --config` imports into).
    pub applied: Applied,
    /// `scan --format json` right after apply: exit code and report.
    pub clean: (i32, Json),
    /// Recorded resources in the state (to compare with the coverage).
    pub recorded: usize,
}

/// The fixture `fixtures/<fixture>` applied once in `cell`, or `None` (a counted skip) when
/// moto or terraform is missing.
pub fn shared(cell: &'static OnceLock<Option<Shared>>, fixture: &str) -> Option<&'static Shared> {
    let shared = cell.get_or_init(|| Shared::set_up(fixture)).as_ref();
    if shared.is_none() {
        super::skip::again();
    }
    shared
}

/// This test's turn at changing the cloud (a test that failed mid-change does not stop the
/// others from running).
pub fn turn(turns: &'static Mutex<()>) -> MutexGuard<'static, ()> {
    turns.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    fn set_up(name: &str) -> Option<Shared> {
        let moto = Moto::start()?;
        let tf = Terraform::find()?;
        let applied = tf
            .apply(&fixture(name), &moto, &[])
            .unwrap_or_else(|e| panic!("terraform apply: {e}"));
        eprintln!("{name} applied in {:.1}s", applied.apply_secs);
        let work = tempfile::tempdir().unwrap();
        let state = work.path().join("terraform.tfstate");
        std::fs::copy(&applied.state, &state).unwrap();
        let log = work.path().join("audit.jsonl");
        let st: Json = serde_json::from_str(&std::fs::read_to_string(&state).unwrap()).unwrap();
        let recorded = st["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["mode"] == "managed")
            .map(|r| r["instances"].as_array().map_or(0, Vec::len))
            .sum();
        let stack = Stack {
            moto,
            state,
            work,
            log,
        };
        // Taken now, before any test can change the cloud.
        let clean = stack.scan_json("alice");
        Some(Shared {
            stack,
            tf,
            applied,
            clean,
            recorded,
        })
    }

    /// The scan right after apply was clean (exit 0, no finding) with full coverage, every
    /// one of the state's `recorded` resources checked.
    pub fn assert_clean(&self, recorded: usize) {
        let (c, v) = &self.clean;
        assert_eq!(findings(v), Vec::<String>::new(), "{v:#}");
        assert_eq!(*c, 0, "{v:#}");
        assert_eq!(v["coverage"]["percent"].as_f64(), Some(100.0), "{v:#}");
        assert_eq!(
            v["coverage"]["checked"].as_u64(),
            Some(self.recorded as u64),
            "{v:#}"
        );
        assert_eq!(self.recorded, recorded, "the fixture's resources");
    }

    /// The recorded `id` of the `ty` named `name`.
    pub fn id(&self, ty: &str, name: &str) -> String {
        recorded(&self.stack.state, ty, Some(name), "id")
    }

    /// Recorded attribute `key` of the `ty` named `name`.
    pub fn attr(&self, ty: &str, name: &str, key: &str) -> String {
        recorded(&self.stack.state, ty, Some(name), key)
    }

    /// `driftgate ARGS` in terraform's working copy (state and configuration found there).
    pub fn in_config(&self, args: &[&str]) -> Output {
        let mut cmd = super::driftgate();
        self.stack.moto.apply_env(&mut cmd);
        cmd.current_dir(self.applied.dir.path())
            .env("NO_COLOR", "1")
            .env("DRIFTGATE_AUDIT_LOG", &self.stack.log)
            .env("DRIFTGATE_ACTOR", "alice")
            .args(args);
        cmd.output().expect("driftgate runs")
    }

    /// `plan --target` each of `targets` (everything when none) in terraform's working copy,
    /// into `out`: see [`plan_imports`].
    pub fn plan_imports(&self, out: &str, targets: &[&str]) -> Json {
        plan_imports(&|args| self.in_config(args), out, targets)
    }

    /// `apply --approve` of the plan `plan_imports` wrote to `out`: see [`apply_imports`].
    pub fn apply_imports(&self, out: &str, plan: &Json) -> String {
        apply_imports(
            &|args| self.in_config(args),
            self.applied.dir.path(),
            out,
            plan,
        )
    }

    /// Both: the plan of the imports of `targets` and the `driftgate_imports.tf` its apply
    /// wrote.
    pub fn import(&self, out: &str, targets: &[&str]) -> (Json, String) {
        let plan = self.plan_imports(out, targets);
        let written = self.apply_imports(out, &plan);
        (plan, written)
    }

    /// `terraform plan` in `dir`: the addresses it imports, and every resource it would change.
    pub fn terraform_plan(&self, dir: &Path) -> (Vec<String>, Vec<String>) {
        self.tf.plan_imports(dir, &self.stack.moto, &[], "")
    }

    pub fn scan(&self) -> (i32, Json) {
        self.stack.scan_json("alice")
    }

    /// Runs `f` with an EC2 client of the fixture's moto.
    pub fn ec2<T>(&self, f: impl AsyncFnOnce(&Client) -> T) -> T {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            let ec2 = Client::new(&self.stack.moto.sdk_config().await);
            f(&ec2).await
        })
    }

    /// Runs `change` on the cloud, scans, runs `undo`, and checks the rescan is clean: the
    /// report of the changed cloud.
    pub fn drifted<C, U>(&self, change: C, undo: U) -> (i32, Json)
    where
        C: AsyncFnOnce(&Client),
        U: AsyncFnOnce(&Client),
    {
        self.ec2(change);
        let report = self.scan();
        self.ec2(undo);
        let (c, again) = self.scan();
        assert_eq!(
            (c, findings(&again)),
            (0, vec![]),
            "the cloud put back by hand scans clean again: {again:#}"
        );
        report
    }

    /// Runs `change` on the cloud, scans, and puts it back through `plan` and
    /// `apply --approve` (every action planned, none manual); the rescan is clean. The report
    /// of the changed cloud and the plan.
    pub fn reverted<C>(&self, change: C) -> ((i32, Json), Json)
    where
        C: AsyncFnOnce(&Client),
    {
        static PLANS: AtomicUsize = AtomicUsize::new(0);
        self.ec2(change);
        let report = self.scan();
        let out = format!("revert-{}.json", PLANS.fetch_add(1, Ordering::SeqCst));
        let (o, token) = self.stack.plan("alice", &out, &[]);
        assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
        let plan: Json = serde_json::from_str(
            &std::fs::read_to_string(self.stack.work.path().join(&out)).unwrap(),
        )
        .unwrap();
        let manual: Vec<&Json> = plan["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["status"] != "planned")
            .collect();
        assert!(manual.is_empty(), "left manual: {manual:#?}");
        let o = self
            .stack
            .run_as("alice", &["apply", &out, "--approve", &token], None);
        assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
        let (c, again) = self.scan();
        assert_eq!(
            (c, findings(&again)),
            (0, vec![]),
            "a rescan after apply is clean: {again:#}"
        );
        (report, plan)
    }
}

/// The one finding of a report: `(KIND ADDRESS-or-ID, severity, rule)`.
pub fn only_finding(report: &(i32, Json)) -> (String, String, String) {
    let (c, v) = report;
    let list = findings(v);
    assert_eq!(list.len(), 1, "exactly one finding, no noise: {v:#}");
    assert_eq!(*c, 2, "drift exits 2: {v:#}");
    let f = &v["findings"][0];
    (
        list[0].clone(),
        f["severity"].as_str().unwrap_or("").to_string(),
        f["rule"].as_str().unwrap_or("").to_string(),
    )
}

/// `plan --region us-east-1 --target T... --out OUT --format json` run by `dg` in terraform's
/// working copy (it plans actions: exit 2): its JSON output (the plan and its `token`).
pub fn plan_imports(dg: &dyn Fn(&[&str]) -> Output, out: &str, targets: &[&str]) -> Json {
    let mut args = vec!["plan", "--region", super::scanned::REGION];
    for t in targets {
        args.extend(["--target", t]);
    }
    args.extend(["--out", out, "--format", "json"]);
    let o = dg(&args);
    assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(&o.stdout), text(&o.stderr)))
}

/// `apply OUT --approve TOKEN` of `plan` (written to `out` by [`plan_imports`]) run by `dg` in
/// terraform's working copy `dir` (exit 0): the `driftgate_imports.tf` it wrote.
pub fn apply_imports(dg: &dyn Fn(&[&str]) -> Output, dir: &Path, out: &str, plan: &Json) -> String {
    let token = plan["token"].as_str().unwrap();
    let o = dg(&["apply", out, "--approve", token]);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    std::fs::read_to_string(dir.join("driftgate_imports.tf")).unwrap()
}
