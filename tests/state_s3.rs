//! Reading a state from S3 through the real SDK, against moto.
//!
//! A small self-contained moto starter; the live harness in `tests/support/` will replace it.
//! Without `moto_server` on PATH the tests say so and pass, unless `CI` is set.

#![allow(clippy::result_large_err)] // crate::Error is large; see src/iac/state.rs

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use driftgate::iac::{StateLocation, read_state};
use driftgate::model::StateSource;
use miette::Diagnostic;

use crate::support::moto::Moto;
use crate::support::root;

fn code(e: &driftgate::Error) -> String {
    e.code().map(|c| c.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_a_state_from_s3_and_reports_s3_failures() {
    let Some(moto) = Moto::start() else { return };
    let sdk = moto.sdk_config().await;
    // The test's own client, path-style as moto needs.
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    // moto may accept connections a moment before it serves requests.
    let deadline = Instant::now() + Duration::from_secs(30);
    while let Err(e) = s3.create_bucket().bucket("tf-states").send().await {
        assert!(Instant::now() < deadline, "create_bucket: {e:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let state =
        std::fs::read(root().join("fixtures/states/tf111-terraform-data/terraform.tfstate"))
            .unwrap();
    s3.put_object()
        .bucket("tf-states")
        .key("env/prod/terraform.tfstate")
        .body(ByteStream::from(state))
        .send()
        .await
        .unwrap();

    let location: StateLocation = "s3://tf-states/env/prod/terraform.tfstate".parse().unwrap();
    let recorded = read_state(&location, Some(&sdk)).await.unwrap();
    let source = StateSource("s3://tf-states/env/prod/terraform.tfstate".into());
    assert_eq!(recorded.source, source);
    assert_eq!(recorded.terraform_version, "1.11.4");
    assert_eq!(recorded.resources.len(), 6);
    assert!(recorded.resources.iter().all(|r| r.state == source));
    assert_eq!(
        recorded.resources[0].address.to_string(),
        "terraform_data.c[0]"
    );

    // Missing key, missing bucket: coded S3 errors that say which.
    let missing: StateLocation = "s3://tf-states/nope.tfstate".parse().unwrap();
    let e = read_state(&missing, Some(&sdk)).await.unwrap_err();
    assert_eq!(code(&e), "driftgate::state::s3");
    assert!(e.to_string().contains("no object `nope.tfstate`"), "{e}");
    let no_bucket: StateLocation = "s3://no-such-bucket/x.tfstate".parse().unwrap();
    let e = read_state(&no_bucket, Some(&sdk)).await.unwrap_err();
    assert_eq!(code(&e), "driftgate::state::s3");
    assert!(e.to_string().contains("does not exist"), "{e}");

    // A saved plan uploaded by mistake is recognised through S3 as well, and named by its URI.
    s3.put_object()
        .bucket("tf-states")
        .key("plan.tfplan")
        .body(ByteStream::from(
            std::fs::read(root().join("fixtures/states/bad/saved-plan.tfplan")).unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let plan: StateLocation = "s3://tf-states/plan.tfplan".parse().unwrap();
    let e = read_state(&plan, Some(&sdk)).await.unwrap_err();
    assert_eq!(code(&e), "driftgate::state::plan_file");
    assert!(e.to_string().contains("s3://tf-states/plan.tfplan"), "{e}");
}
