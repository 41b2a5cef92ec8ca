//! The one integration test binary (one link of the aws-sdk instead of many).
//! Each module owns one layer; see docs/architecture.md, "Tests".

mod support;

mod audit;
mod cli;
mod corpora;
mod live;
mod observe;
mod scenarios;
mod state_s3;
