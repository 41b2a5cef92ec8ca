//! The one integration test binary (one link of the aws-sdk instead of many).
//! Each module owns one layer; see docs/architecture.md, "Tests".

mod support;

mod agents_e2e;
mod apply;
mod approvals;
mod attacks_trust;
mod audit;
mod build;
mod chat;
mod cli;
mod compute;
mod corpora;
mod docs;
mod effects;
mod formats;
mod history;
mod iam_groups;
mod iam_misc;
mod integrity;
mod interfaces;
mod layers;
mod lengths;
mod live;
mod live_fixtures;
mod mcp;
mod merge;
mod messages;
mod modules;
mod nacl;
mod notify;
mod observe;
mod plan;
mod routing;
mod scenarios;
mod secrets;
mod serve;
mod state_s3;
mod throttle;
mod vpc_misc;
