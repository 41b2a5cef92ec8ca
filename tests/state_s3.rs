//! Reading a state from S3 through the real SDK, against moto.
//!
//! A small self-contained moto starter; the live harness in `tests/support/` will replace it.
//! Without `moto_server` on PATH the tests say so and pass, unless `CI` is set.

#![allow(clippy::result_large_err)] // crate::Error is large; see src/iac/state.rs

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use driftgate::iac::{StateLocation, read_state};
use driftgate::model::StateSource;
use miette::Diagnostic;

/// The project root. (Not `crate::support::root()`: until Cargo.toml sets `autotests = false`,
/// cargo also builds this file as a test crate of its own, where `crate::support` is absent.)
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A moto server on a free loopback port, killed on drop.
struct Moto {
    child: Child,
    url: String,
}

impl Moto {
    /// `None` (with the reason printed) when moto is not installed and CI is not set.
    fn start() -> Option<Moto> {
        let installed = Command::new("moto_server")
            .arg("--help")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            assert!(
                std::env::var_os("CI").is_none(),
                "moto_server is not on PATH, and CI is set: the S3 tests cannot be skipped"
            );
            eprintln!("skipped: moto_server is not on PATH (pip install 'moto[server]')");
            return None;
        }
        // Bind port 0 to have the OS pick a free port, then free it for moto.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free loopback port");
        let child = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts");
        let moto = Moto {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                Instant::now() < deadline,
                "moto did not answer on {addr} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        Some(moto)
    }

    async fn sdk(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(&self.url)
            .credentials_provider(aws_sdk_s3::config::Credentials::new(
                "testing", "testing", None, None, "moto",
            ))
            .load()
            .await
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn code(e: &driftgate::Error) -> String {
    e.code().map(|c| c.to_string()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn reads_a_state_from_s3_and_reports_s3_failures() {
    let Some(moto) = Moto::start() else { return };
    let sdk = moto.sdk().await;
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
