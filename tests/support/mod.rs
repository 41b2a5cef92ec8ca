//! Shared test support: the driftgate binary, fixtures, and the moto / terraform harness.
#![allow(dead_code)]

use std::path::PathBuf;

/// The project root (where Cargo.toml is).
pub fn root() -> PathBuf {
    // `cargo test` sets it at run time to the checkout being tested; the compile-time value is
    // the checkout the binary was built from, which differs when clones share a target
    // directory (a build reused from another clone would look for ../shared beside that one).
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// A path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// The driftgate binary built for this test run. Its audit log goes to one file per test
/// process in the temp directory (not ./.driftgate/ in the source tree); a test about the log
/// passes its own `--audit-log` or DRIFTGATE_AUDIT_LOG.
pub fn driftgate() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_driftgate"));
    cmd.env("DRIFTGATE_AUDIT_LOG", test_audit_log());
    // The runner's CI flag and trust root are not the tested command's: a test that wants
    // them sets them.
    for k in [
        "CI",
        "DRIFTGATE_TRUST_ROOT",
        "DRIFTGATE_TRUST_ROOT_SHA256",
        "DRIFTGATE_TRUST_ROOT_ADMINS",
    ] {
        cmd.env_remove(k);
    }
    cmd
}

/// The audit log of the test binaries' runs of driftgate (shared by every test of this process).
pub fn test_audit_log() -> PathBuf {
    std::env::temp_dir().join(format!(
        "driftgate-tests-audit-{}.jsonl",
        std::process::id()
    ))
}

/// `call!("What", future)` in a function returning `Result<_, String>`: awaits an AWS SDK call
/// and returns its error as `What: ` and the SDK's error with its context.
macro_rules! call {
    ($what:literal, $fut:expr) => {
        $fut.await.map_err(|e| {
            format!(
                "{}: {}",
                $what,
                aws_smithy_types::error::display::DisplayErrorContext(e)
            )
        })?
    };
}
pub(crate) use call;

pub mod fixture_stack;
pub mod moto;
pub mod postgres;
pub mod receiver;
pub mod remediation;
pub mod report;
pub mod sarif;
pub mod scanned;
pub mod skip;
pub mod state;
pub mod terraform;
pub mod throttle;
pub mod unit_reverts;
