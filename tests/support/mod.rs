//! Shared test support: the driftgate binary, fixtures, and the moto / terraform harness.
#![allow(dead_code)]

use std::path::PathBuf;

/// The project root (where Cargo.toml is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// The driftgate binary built for this test run.
pub fn driftgate() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_driftgate"))
}

pub mod moto;
pub mod skip;
pub mod terraform;
pub mod throttle;
