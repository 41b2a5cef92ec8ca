//! Notifications through `driftgate::notify::send` to a local receiver (a loopback port):
//! retries with backoff on 429/5xx, no retry on other errors, and an unreachable target
//! reported (masked), never panicking. The CLI's notifications are checked end to end in
//! `tests/approvals.rs`.

use std::time::Duration;

use driftgate::notify::{Format, Message, SendOptions, Target, send};

use crate::support::receiver::Receiver;

fn quick() -> SendOptions {
    SendOptions {
        timeout: Duration::from_secs(5),
        retries: 3,
        backoff: Duration::from_millis(20),
    }
}

fn message() -> Message {
    Message {
        kind: "report".into(),
        title: "driftgate report".into(),
        summary: "2 findings".into(),
        ..Message::default()
    }
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Runtime::new().unwrap().block_on(f)
}

#[test]
fn retries_on_429_and_5xx_then_delivers() {
    let r = Receiver::start(&[503, 429]);
    let out = run(send(
        &[Target::new(&r.url, Some(Format::Slack))],
        &message(),
        &quick(),
    ));
    assert_eq!(out.len(), 1);
    assert!(out[0].delivered(), "{out:?}");
    assert_eq!(out[0].attempts, 3);
    let bodies = r.bodies();
    assert_eq!(bodies.len(), 3);
    let b: serde_json::Value = serde_json::from_str(&bodies[2]).unwrap();
    assert_eq!(b["text"], "driftgate report: 2 findings");
    assert!(!out[0].target.contains("SECRETPATH"), "{}", out[0].target);
}

#[test]
fn a_client_error_is_not_retried_and_gives_up_with_a_reason() {
    let r = Receiver::start(&[400]);
    let out = run(send(&[Target::new(&r.url, None)], &message(), &quick()));
    assert_eq!(out[0].attempts, 1);
    assert!(out[0].error.as_deref().unwrap().contains("400"), "{out:?}");
    let b: serde_json::Value = serde_json::from_str(&r.bodies()[0]).unwrap();
    assert_eq!(
        b["driftgate_notification"], 1,
        "a loopback URL gets the generic JSON"
    );
}

#[test]
fn an_unreachable_target_is_an_outcome_with_a_masked_reason() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/services/T0/B0/SECRETPATH");
    let out = run(send(&[Target::new(&url, None)], &message(), &quick()));
    assert!(!out[0].delivered());
    assert_eq!(out[0].attempts, 4, "{out:?}");
    let why = out[0].error.as_deref().unwrap();
    assert!(!why.contains("SECRETPATH"), "{why}");
}

/// `report` sends to the policy's `notify` blocks as well as to `--notify` (each URL once), as
/// `plan` and `apply` do and docs/notifications.md says.
#[test]
fn report_notifies_the_policy_s_webhooks_too() {
    use crate::support::{driftgate, fixture};
    let policy_hook = Receiver::start(&[]);
    let flag_hook = Receiver::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let scenario = fixture("scenarios/clean");
    std::fs::copy(
        scenario.join("terraform.tfstate"),
        dir.path().join("terraform.tfstate"),
    )
    .unwrap();
    // Drift: the VPC's tag changed out of band.
    let mut obs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(scenario.join("observed.json")).unwrap())
            .unwrap();
    for r in obs["resources"].as_array_mut().unwrap() {
        if r["resource_type"] == "aws_vpc" && r["attributes"]["tags"].is_object() {
            r["attributes"]["tags"]["team"] = "someone-else".into();
        }
    }
    std::fs::write(dir.path().join("observed.json"), obs.to_string()).unwrap();
    std::fs::write(
        dir.path().join("driftgate.hcl"),
        format!(
            "notify {{\n  url = \"{}\"\n}}\nnotify {{\n  url = \"{}\"\n}}\n",
            policy_hook.url, flag_hook.url
        ),
    )
    .unwrap();
    let o = driftgate()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env_remove("DRIFTGATE_HISTORY")
        .args(["report", "--state", "terraform.tfstate"])
        .args(["--observed", "observed.json", "--history", "history.db"])
        .args(["--out-dir", "out", "--notify", &flag_hook.url])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(policy_hook.bodies().len(), 1, "the policy's webhook");
    assert_eq!(
        flag_hook.bodies().len(),
        1,
        "--notify and the policy name it: once"
    );
}
