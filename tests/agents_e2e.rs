//! Issue 19 end to end: an AI agent proposes, people dispose in chat. With moto and terraform
//! (a drifted remediation stack), a trust root with approvers mapped to Slack users, the
//! service as a chat attestor, and an agent `fixer` run by carol: the agent plans through
//! `driftgate mcp` (a scripted client) and requests approval; the service posts it to a fake
//! Slack; a forged signature, a stale timestamp, a replay, the author's click (carol, whose
//! AWS identity the root lists and the agent runs as) and an unmapped user are refused and
//! audited; alice and bob approve in chat; a waiting `apply --wait` goes on within a second
//! and applies; a rescan is clean; a second agent plan denied in chat stops another waiting
//! apply with who and why; the audit log verifies against its last checkpoint.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value as Json, json};

use crate::chat::{
    FakeSlack, REASON, SECRET, WaitTimeout, approve_payload, chat_root_with, chat_server,
    deny_payload, form, interact, lines_of, now, post_raw, refused_reasons, waiting_apply,
    went_on_after,
};
use crate::mcp::{Client, content};
use crate::serve::{DESK_TOKEN, call, dg, dg_cmd, enc, keygen, serve_entries};
use crate::support::remediation::{Stack, code, drift, findings, text};

const AGENT_TOKEN: &str = "dg-e2e-agent-token-Rb5Nc1Qy";
const SECRET_TAG: &str = "dg-e2e-secret-Hx4Pw9";
const ROTATED: [&str; 2] = ["dg-e2e-rotated-Kf2Lz7", "dg-e2e-rotated-Vm8Dq3"];

/// The agent `fixer` (kind `assistant`, two approvals, never a deletion) with its own key and
/// service token, added to the root before it is signed; carol, its operator, works as the AWS
/// principal `operator` (the credentials the agent runs with).
fn add_agent(dir: &Path, keys: &[String], operator: &str) {
    let carol = keys[3].split('"').nth(1).unwrap().to_string();
    let key = keygen(dir, &["fixer"]).remove(0);
    let key = key.split('"').nth(1).unwrap().to_string();
    let agent_client = driftgate::serve::token_digest(AGENT_TOKEN);
    for args in [
        vec![
            "trust",
            "add-approver",
            "root.json",
            "--name",
            "carol",
            "--key",
            &carol,
            "--slack-user",
            "UCAROL",
            "--aws-principal",
            operator,
        ],
        vec![
            "trust",
            "agent-kind",
            "root.json",
            "--kind",
            "assistant",
            "--approvals",
            "2",
            "--forbid",
            "delete",
        ],
        vec![
            "trust",
            "add-agent",
            "root.json",
            "--name",
            "fixer",
            "--kind",
            "assistant",
            "--key",
            &key,
            "--client",
            &agent_client,
        ],
    ] {
        let o = dg(dir, "admin", &args);
        assert_eq!(code(&o), 0, "{args:?}: {}", text(&o.stderr));
    }
}

/// The MCP session's `plan` then `request_approval` of `out`: the plan's digest.
fn agent_plans(mcp: &mut Client, out: &str) -> String {
    let planned = content(&mcp.call("plan", json!({"out": out})));
    assert_eq!(planned["plan_file"], out, "{planned}");
    assert_eq!(planned["author"]["kind"], "agent", "{planned}");
    let digest = planned["digest"].as_str().unwrap().to_string();
    let requested = content(&mcp.call("request_approval", json!({"plan": out})));
    assert_eq!(
        requested["request"]["digest"],
        digest.as_str(),
        "{requested}"
    );
    assert_eq!(requested["request"]["state"], "pending", "{requested}");
    assert_eq!(requested["request"]["requested_by"], "fixer", "{requested}");
    assert_eq!(requested["request"]["required"], 2, "{requested}");
    digest
}

#[test]
fn an_agents_plan_approved_in_chat_is_applied_and_a_denied_one_stops() {
    let Some(stack) = Stack::set_up(SECRET_TAG) else {
        return;
    };
    let dir = stack.work.path();
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The AWS identity carol runs the agent as.
    let operator = rt.block_on(async {
        let sts = aws_sdk_sts::Client::new(&stack.moto.sdk_config().await);
        let me = sts.get_caller_identity().send().await.unwrap();
        me.arn().unwrap().to_string()
    });
    let pin = chat_root_with(dir, |dir, keys| add_agent(dir, keys, &operator));
    keygen(dir, &["log"]);
    rt.block_on(drift(&stack.moto, &stack.state, ROTATED[0]));
    let slack = FakeSlack::start();
    let checkpoint = [
        "--audit-key",
        "log.key",
        "--audit-checkpoint",
        "checkpoints.jsonl",
    ];
    let server = chat_server(dir, &pin, &slack, &checkpoint);
    let base = server.url.clone();
    let state = stack.state.display().to_string();
    let with_stack = |c: &mut Command| {
        stack.moto.apply_env(c);
        c.envs(pin.iter().map(|(k, v)| (*k, v.as_str())));
    };

    // The agent, run by carol with her AWS credentials, over MCP on stdio.
    let mut cmd = dg_cmd(
        dir,
        "carol",
        &[
            "mcp",
            "--agent",
            "fixer",
            "--key",
            "fixer.key",
            "--service",
            &base,
            "--state",
            &state,
            "--region",
            "us-east-1",
        ],
    );
    with_stack(&mut cmd);
    cmd.env("DRIFTGATE_SERVICE_TOKEN", AGENT_TOKEN);
    let mut mcp = Client::start(cmd);
    let init = mcp.request(
        "initialize",
        json!({
            "protocolVersion": "2025-06-18",
            "capabilities": {},
            "clientInfo": {"name": "scripted", "version": "1"}
        }),
    );
    assert_eq!(init["result"]["serverInfo"]["name"], "driftgate", "{init}");
    mcp.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
    let digest = agent_plans(&mut mcp, "agent.plan.json");
    let file: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("agent.plan.json")).unwrap())
            .unwrap();
    assert_eq!(file["author"]["agent"], "fixer", "{file}");
    assert_eq!(
        file["author"]["aws_caller_arn"],
        operator.as_str(),
        "{file}"
    );

    // The service posted the agent's request to Slack, with the buttons.
    let posted = slack.wait_for("chat.postMessage", &digest);
    assert!(
        posted["blocks"].to_string().contains("driftgate_approve"),
        "{posted}"
    );
    // ...and the agent as the plan's author, for the approvers to see.
    assert!(
        posted["blocks"].to_string().contains("by fixer"),
        "{posted}"
    );

    // dave's pipeline waits, as another AWS identity than the agent planned as.
    let dave = rt.block_on(async {
        let sts = aws_sdk_sts::Client::new(&stack.moto.sdk_config().await);
        sts.assume_role()
            .role_arn("arn:aws:iam::123456789012:role/dg-e2e-deployer")
            .role_session_name("dave")
            .send()
            .await
            .unwrap()
            .credentials
            .unwrap()
    });
    let apply_as_dave = |plan: &str| {
        let mut c = waiting_apply(dir, &pin, plan, &base);
        with_stack(&mut c);
        c.env("AWS_ACCESS_KEY_ID", dave.access_key_id())
            .env("AWS_SECRET_ACCESS_KEY", dave.secret_access_key())
            .env("AWS_SESSION_TOKEN", dave.session_token());
        c.spawn().unwrap()
    };
    let mut waiting = apply_as_dave("agent.plan.json");
    let lines = lines_of(&mut waiting);
    let (_, first) = lines.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(first.contains("waiting for approval"), "{first}");

    let approved_at = rt.block_on(async {
        let alice = approve_payload("UALICE", &digest);
        // Forged (another secret) and stale (ten minutes old): 401.
        assert_eq!(
            interact(&base, &alice, "not-the-secret", now()).await.0,
            401
        );
        assert_eq!(interact(&base, &alice, SECRET, now() - 600).await.0, 401);
        // The author's click (carol, whose AWS identity the agent planned as) and an unmapped
        // user: nothing counted.
        let (s, _) = interact(&base, &approve_payload("UCAROL", &digest), SECRET, now()).await;
        assert_eq!(s, 200);
        let (s, _) = interact(&base, &approve_payload("UMALLORY", &digest), SECRET, now()).await;
        assert_eq!(s, 200);
        // alice approves; the very same request again is a replay: 401.
        let body = form(&alice);
        let ts = now().to_string();
        let sig = driftgate::serve::slack::sign(SECRET.as_bytes(), &ts, body.as_bytes());
        assert_eq!(post_raw(&base, &body, &ts, &sig).await.0, 200);
        assert_eq!(post_raw(&base, &body, &ts, &sig).await.0, 401);
        let (_, v) = call(
            "get",
            &format!("{base}/v1/requests/{}", enc(&digest)),
            Some(DESK_TOKEN),
            None,
        )
        .await;
        assert_eq!(v["state"], "pending", "{v}");
        assert_eq!(v["approvals"].as_array().unwrap().len(), 1, "{v}");
        let (s, _) = interact(&base, &approve_payload("UBOB", &digest), SECRET, now()).await;
        assert_eq!(s, 200);
        Instant::now()
    });
    let went_on = went_on_after(&mut waiting, &lines, approved_at);
    println!("bob's click to the agent plan's apply going on: {went_on:?}");
    assert!(went_on < Duration::from_secs(1), "{went_on:?}");

    // Refusals audited by name: the bad signatures and the replay; the author's and the
    // unmapped user's clicks.
    let slack_refused = refused_reasons(dir, "slack");
    assert_eq!(slack_refused.len(), 3, "{slack_refused:#?}");
    assert!(
        slack_refused[0].contains("does not verify"),
        "{slack_refused:?}"
    );
    assert!(
        slack_refused[1].contains("more than 300s"),
        "{slack_refused:?}"
    );
    assert!(slack_refused[2].contains("replayed"), "{slack_refused:?}");
    let refused = serve_entries(dir, "refused", "approval");
    let clients: Vec<(&str, &str)> = refused
        .iter()
        .map(|e| {
            (
                e["details"]["client"].as_str().unwrap(),
                e["reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(clients.len(), 2, "{refused:#?}");
    assert_eq!(clients[0].0, "slack:UCAROL");
    assert!(clients[0].1.contains("is the plan's author"), "{clients:?}");
    assert_eq!(clients[1].0, "slack:UMALLORY");
    assert!(
        clients[1].1.contains("not an approver of the trust root"),
        "{clients:?}"
    );
    // The apply verified both chat approvals of the agent's plan itself, and applied it.
    let log = crate::serve::audit(dir);
    let accepted: Vec<&str> = log
        .iter()
        .filter(|e| e["command"] == "apply" && e["outcome"] == "ok")
        .filter(|e| e["plan"] == digest.as_str())
        .filter_map(|e| e["details"]["approver"].as_str())
        .collect();
    assert_eq!(accepted, ["alice", "bob"], "{log:#?}");
    let agent_tools: Vec<(&str, &str)> = log
        .iter()
        .filter(|e| e["command"] == "mcp" && e["details"]["agent"] == "fixer")
        .map(|e| {
            (
                e["details"]["tool"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        agent_tools,
        [("start", "ok"), ("plan", "ok"), ("request_approval", "ok")],
        "{log:#?}"
    );
    slack.wait_for("chat.update", "Applied (approved by alice, bob)");
    assert_eq!(serve_entries(dir, "ok", "applied").len(), 1);

    // A rescan is clean: the agent's plan, approved in chat, put the stack back.
    let (exit, report) = stack.scan_json("dave");
    assert_eq!(findings(&report), Vec::<String>::new(), "{report}");
    assert_eq!(exit, 0, "{report}");

    // A second drift; the agent's second plan is denied in chat: the waiting apply stops
    // with who and why.
    rt.block_on(drift(&stack.moto, &stack.state, ROTATED[1]));
    let second = agent_plans(&mut mcp, "agent2.plan.json");
    assert_ne!(second, digest);
    slack.wait_for("chat.postMessage", &second);
    let mut stopped = apply_as_dave("agent2.plan.json");
    let stopped_lines = lines_of(&mut stopped);
    let (_, first) = stopped_lines.recv_timeout(Duration::from_secs(60)).unwrap();
    assert!(first.contains("waiting for approval"), "{first}");
    rt.block_on(async {
        let (s, body) =
            interact(&base, &deny_payload("UBOB", &second, REASON), SECRET, now()).await;
        assert_eq!((s, body.as_str()), (200, ""));
    });
    let mut rest = String::new();
    let (exit, _) = stopped.wait_with_output_timeout();
    while let Ok((_, line)) = stopped_lines.recv_timeout(Duration::from_secs(5)) {
        rest.push_str(&line);
        rest.push('\n');
    }
    assert_eq!(exit, 1, "{rest}");
    assert!(rest.contains(&format!("denied by bob: {REASON}")), "{rest}");
    slack.wait_for("chat.update", "Denied by bob");
    let denials = serve_entries(dir, "ok", "denial");
    assert_eq!(denials.len(), 1, "{denials:#?}");
    assert_eq!(denials[0]["plan"], second.as_str());
    assert_eq!(denials[0]["details"]["client"], "slack:UBOB");
    // Still drifted: nothing of the denied plan ran.
    let (_, report) = stack.scan_json("dave");
    assert!(!findings(&report).is_empty(), "{report}");

    // No secret from the state or the cloud in anything the agent was shown.
    for secret in [SECRET_TAG, ROTATED[0], ROTATED[1]] {
        assert!(!mcp.seen.contains(secret), "{secret}:\n{}", mcp.seen);
    }
    drop(mcp);
    drop(server);
    let o = dg(
        dir,
        "carol",
        &[
            "audit",
            "verify",
            "--checkpoint",
            "checkpoints.jsonl",
            "--audit-key",
            "log.key",
        ],
    );
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    let verified = text(&o.stdout);
    assert!(verified.contains("chain intact, matches"), "{verified}");
    assert!(!verified.contains("matches 0 checkpoints"), "{verified}");
}
