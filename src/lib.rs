//! driftgate: where the cloud has drifted from terraform, told truthfully.
//!
//! Data flows one way (see docs/architecture.md):
//! `cli` (clap, env, clock -> options + settings) -> `ops` (one function per command, never
//! sees clap) -> `iac` (recorded, desired) + `provider` (observed) -> `normalize` -> `diff`
//! -> `policy` -> `mask` -> `render`.
//! `model`, `spec`, `normalize`, `diff` and `policy` are pure and synchronous.

// `Error` carries miette source code and spans for the user's file, which makes it large; it
// is returned only on the way out of a command, never in a hot loop.
#![allow(clippy::result_large_err)]

pub mod apply;
pub mod approval;
pub mod audit;
pub mod aws_client;
pub mod cli;
pub mod codec;
pub mod diff;
pub mod error;
pub mod history;
pub mod iac;
pub mod mask;
pub mod mcp;
pub mod merge;
pub mod model;
pub mod normalize;
pub mod notify;
pub mod ops;
pub mod plan_file;
pub mod planner;
pub mod policy;
pub mod provider;
pub mod render;
pub mod report;
pub mod serve;
pub mod spec;
pub mod store;
#[cfg(test)]
mod test_alloc;
pub mod trust;

pub use error::{Error, Result};
