//! `driftgate mcp` (issue 19, "AI agents: propose, never dispose"), driven by a scripted MCP
//! client over stdio: JSON-RPC `initialize`, `tools/list` (exactly the five tools), then
//! `scan`, `explain_finding`, `plan`, `request_approval` and `approval_status` against an
//! approval service on loopback, under a pinned trust root that lists the agent. The state
//! holds a secret (a sensitive CIDR): no tool result shows it. The plan file says its author
//! is the agent; the service shows the request, needing the agent kind's approvals; there is
//! no approve or apply tool; the agent's key cannot approve, nor its token record an approval.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::{Value as Json, json};

use crate::support::remediation::{code, text};
use crate::support::{driftgate, fixture};

const CI_TOKEN: &str = "dg-mcp-ci-token-Hs4Kq9Vb";
const AGENT_TOKEN: &str = "dg-mcp-agent-token-Zt2Mw6Pe";
/// The CIDR the fixture's state holds from a sensitive variable, and its rotated value.
const SECRETS: [&str; 2] = ["198.51.100.7/32", "203.0.113.9/32"];

/// A child process stopped when dropped.
pub(crate) struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn dg_cmd(dir: &Path, actor: &str, args: &[&str], pin: &[(String, String)]) -> Command {
    let mut cmd = driftgate();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DRIFTGATE_AUDIT_LOG", dir.join("audit.jsonl"))
        .env("DRIFTGATE_ACTOR", actor)
        .envs(pin.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .args(args);
    cmd
}

fn ok(dir: &Path, args: &[&str]) -> Output {
    let o = dg_cmd(dir, "admin", args, &[]).output().unwrap();
    assert_eq!(code(&o), 0, "{args:?}: {}", text(&o.stderr));
    o
}

/// `driftgate serve` on a free loopback port; its URL.
fn serve(dir: &Path, pin: &[(String, String)]) -> (Running, String) {
    let mut child = dg_cmd(
        dir,
        "service",
        &["serve", "--listen", "127.0.0.1:0", "--store", "s.db"],
        pin,
    )
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("driftgate serve ended before listening:\n{seen}");
        };
        seen.push_str(&line);
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (Running(child), url)
}

/// A scripted MCP client: JSON-RPC messages, one per line, over the child's stdin/stdout.
pub(crate) struct Client {
    _child: Running,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
    next: u64,
    /// Everything the server wrote on stdout, for the secret check.
    pub(crate) seen: String,
}

impl Client {
    pub(crate) fn start(mut cmd: Command) -> Client {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Client {
            _child: Running(child),
            stdin,
            lines,
            next: 1,
            seen: String::new(),
        }
    }

    pub(crate) fn send(&mut self, message: &Json) {
        writeln!(self.stdin, "{message}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// A request; its response (every line on stdout must be JSON-RPC).
    pub(crate) fn request(&mut self, method: &str, params: Json) -> Json {
        let id = self.next;
        self.next += 1;
        self.send(&json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(120))
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            self.seen.push_str(&line);
            self.seen.push('\n');
            let v: Json = serde_json::from_str(&line).unwrap_or_else(|e| {
                panic!("stdout holds a line that is not JSON-RPC ({e}): {line}")
            });
            assert_eq!(v["jsonrpc"], "2.0", "{v}");
            if v["id"] == json!(id) {
                return v;
            }
        }
    }

    /// `tools/call`: the result (an error result is returned as it is).
    pub(crate) fn call(&mut self, tool: &str, arguments: Json) -> Json {
        let r = self.request("tools/call", json!({"name": tool, "arguments": arguments}));
        assert!(r.get("error").is_none(), "{tool}: {r}");
        r["result"].clone()
    }
}

/// The text a tool result carries, as JSON.
pub(crate) fn content(result: &Json) -> Json {
    assert_ne!(result["isError"], true, "{result}");
    let t = result["content"][0]["text"].as_str().unwrap();
    serde_json::from_str(t).unwrap()
}

fn audit(dir: &Path) -> Vec<Json> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn an_agent_scans_plans_and_requests_approval_over_mcp_and_never_approves() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let mut keys = Vec::new();
    for n in ["a1", "alice", "bob", "fixer"] {
        let o = ok(dir, &["keygen", "--name", n, "--out", &format!("{n}.key")]);
        keys.push(text(&o.stdout).split('"').nth(1).unwrap().to_string());
    }
    let admin = format!("a1={}", keys[0]);
    ok(
        dir,
        &[
            "trust",
            "init",
            "--out",
            "root.json",
            "--admin",
            &admin,
            "--approvals",
            "1",
        ],
    );
    for (name, k) in [("alice", &keys[1]), ("bob", &keys[2])] {
        ok(
            dir,
            &[
                "trust",
                "add-approver",
                "root.json",
                "--name",
                name,
                "--key",
                k,
            ],
        );
    }
    let ci = format!("ci={}", driftgate::serve::token_digest(CI_TOKEN));
    ok(dir, &["trust", "set", "root.json", "--client", &ci]);
    ok(
        dir,
        &[
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
    );
    // The agent's key cannot be an approver's.
    let o = dg_cmd(
        dir,
        "admin",
        &[
            "trust",
            "add-agent",
            "root.json",
            "--name",
            "fixer",
            "--kind",
            "assistant",
            "--key",
            &keys[1],
        ],
        &[],
    )
    .output()
    .unwrap();
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("approver `alice`'s key"),
        "{}",
        text(&o.stderr)
    );
    let agent_client = driftgate::serve::token_digest(AGENT_TOKEN);
    ok(
        dir,
        &[
            "trust",
            "add-agent",
            "root.json",
            "--name",
            "fixer",
            "--kind",
            "assistant",
            "--key",
            &keys[3],
            "--client",
            &agent_client,
        ],
    );
    ok(dir, &["trust", "sign", "root.json", "--key", "a1.key"]);
    let bytes = std::fs::read(dir.join("root.json")).unwrap();
    let pin = vec![
        (
            "DRIFTGATE_TRUST_ROOT".to_string(),
            dir.join("root.json").display().to_string(),
        ),
        (
            "DRIFTGATE_TRUST_ROOT_SHA256".to_string(),
            driftgate::trust::file_digest(&bytes)
                .trim_start_matches("sha256:")
                .to_string(),
        ),
    ];
    let (_service, url) = serve(dir, &pin);

    let scenario = fixture("scenarios/sensitive-list-rotated");
    let state = scenario.join("terraform.tfstate").display().to_string();
    let observed = scenario.join("observed.json").display().to_string();
    let mut cmd = dg_cmd(
        dir,
        "whoever",
        &[
            "mcp",
            "--agent",
            "fixer",
            "--key",
            "fixer.key",
            "--service",
            &url,
            "--state",
            &state,
            "--observed",
            &observed,
        ],
        &pin,
    );
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
    assert!(
        init["result"]["capabilities"]["tools"].is_object(),
        "{init}"
    );
    mcp.send(&json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

    // Exactly the five tools: nothing that approves or applies.
    let list = mcp.request("tools/list", json!({}));
    let mut names: Vec<&str> = list["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "approval_status",
            "explain_finding",
            "plan",
            "request_approval",
            "scan"
        ]
    );
    for t in list["result"]["tools"].as_array().unwrap() {
        assert_eq!(t["inputSchema"]["type"], "object", "{t}");
    }

    // scan: the CLI's JSON report, the secret masked.
    let report = content(&mcp.call("scan", json!({})));
    let findings = report["findings"].as_array().unwrap();
    assert!(!findings.is_empty(), "{report}");
    let address = findings
        .iter()
        .find_map(|f| f["address"].as_str())
        .unwrap()
        .to_string();
    let explained = content(&mcp.call("explain_finding", json!({"finding": address})));
    assert_eq!(explained["finding"]["address"], address.as_str());
    assert!(explained["explanation"].as_str().is_some(), "{explained}");
    let missing = mcp.call("explain_finding", json!({"finding": "aws_vpc.nope"}));
    assert_eq!(missing["isError"], true, "{missing}");

    // plan: written, signed by the agent's key, its author the agent.
    let planned = content(&mcp.call("plan", json!({"out": "agent.plan.json"})));
    assert_eq!(planned["plan_file"], "agent.plan.json", "{planned}");
    assert_eq!(planned["author"]["kind"], "agent");
    assert_eq!(planned["approvals_required"], 2, "{planned}");
    let file: Json =
        serde_json::from_str(&std::fs::read_to_string(dir.join("agent.plan.json")).unwrap())
            .unwrap();
    assert_eq!(file["author"]["kind"], "agent", "{file}");
    assert_eq!(file["author"]["agent"], "fixer");
    assert_eq!(file["author"]["key"], keys[3].as_str());
    assert!(file["signature"].as_str().is_some());
    assert_eq!(file["digest"], planned["digest"]);
    let digest = file["digest"].as_str().unwrap().to_string();
    // A path outside the working directory is refused.
    let outside = mcp.call("plan", json!({"out": "../elsewhere.json"}));
    assert_eq!(outside["isError"], true, "{outside}");

    // request_approval: the service shows the request, by the agent, needing the kind's 2.
    let requested = content(&mcp.call("request_approval", json!({"plan": "agent.plan.json"})));
    assert_eq!(
        requested["request"]["digest"],
        digest.as_str(),
        "{requested}"
    );
    assert_eq!(requested["request"]["state"], "pending");
    assert_eq!(requested["request"]["required"], 2);
    assert_eq!(requested["request"]["requested_by"], "fixer");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let get = |token: &str| {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .get(format!("{url}/v1/requests/{}", digest.replace(':', "%3A")))
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            {
                let s = r.status().as_u16();
                (
                    s,
                    serde_json::from_str::<Json>(&r.text().await.unwrap()).unwrap(),
                )
            }
        })
    };
    let (s, v) = get(CI_TOKEN);
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["requested_by"], "fixer");
    assert_eq!(v["state"], "pending");
    let status = content(&mcp.call("approval_status", json!({"digest": digest})));
    assert_eq!(status["request"]["state"], "pending", "{status}");

    // No approve or apply tool: a call is an error, and audited as refused.
    for tool in ["approve", "apply"] {
        let r = mcp.request("tools/call", json!({"name": tool, "arguments": {}}));
        assert!(r.get("error").is_some(), "{tool}: {r}");
    }

    // No secret from the state or the cloud in anything the server wrote, nor in the plan file.
    for secret in SECRETS {
        assert!(
            !mcp.seen.contains(secret),
            "{secret} in a tool result:\n{}",
            mcp.seen
        );
        assert!(!file.to_string().contains(secret));
    }

    // Every call audited with the agent's identity.
    let entries: Vec<Json> = audit(dir)
        .into_iter()
        .filter(|e| e["command"] == "mcp")
        .collect();
    let tools: Vec<&str> = entries
        .iter()
        .map(|e| e["details"]["tool"].as_str().unwrap())
        .collect();
    assert_eq!(
        tools,
        [
            "start",
            "scan",
            "explain_finding",
            "explain_finding",
            "plan",
            "plan",
            "request_approval",
            "approval_status",
            "approve",
            "apply"
        ],
        "{entries:#?}"
    );
    for e in &entries {
        assert_eq!(e["details"]["agent"], "fixer", "{e}");
        assert_eq!(e["details"]["agent_kind"], "assistant", "{e}");
    }
    let outcome = |i: usize| entries[i]["outcome"].as_str().unwrap();
    assert_eq!(
        (outcome(4), outcome(5), outcome(9)),
        ("ok", "refused", "refused")
    );
    assert_eq!(entries[4]["plan"], digest.as_str());

    // The agent's key never approves: `approve` refuses it...
    let o = dg_cmd(
        dir,
        "fixer",
        &["approve", "agent.plan.json", "--key", "fixer.key"],
        &pin,
    )
    .output()
    .unwrap();
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("agent `fixer`"),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stdout).trim().is_empty());
    // ...a token made with it by hand is refused by the service...
    let key = driftgate::approval::KeyFile::decode(
        &std::fs::read_to_string(dir.join("fixer.key")).unwrap(),
    )
    .unwrap();
    let token = key
        .approve_under(
            &digest,
            time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            Some(1),
        )
        .to_string();
    let post = |bearer: &str| {
        rt.block_on(async {
            let r = reqwest::Client::new()
                .post(format!(
                    "{url}/v1/requests/{}/approvals",
                    digest.replace(':', "%3A")
                ))
                .bearer_auth(bearer)
                .header("content-type", "application/json")
                .body(json!({"token": token}).to_string())
                .send()
                .await
                .unwrap();
            {
                let s = r.status().as_u16();
                (
                    s,
                    serde_json::from_str::<Json>(&r.text().await.unwrap()).unwrap(),
                )
            }
        })
    };
    let (s, v) = post(CI_TOKEN);
    assert_eq!(s, 403, "{v}");
    assert!(v["error"].as_str().unwrap().contains("agent"), "{v}");
    // ...and the agent's own service token cannot record an approval at all.
    let (s, v) = post(AGENT_TOKEN);
    assert_eq!(s, 403, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("agent's token"),
        "{v}"
    );
    let (_, v) = get(CI_TOKEN);
    assert_eq!(v["state"], "pending");
    assert_eq!(v["approvals"].as_array().unwrap().len(), 0);
}

#[test]
fn mcp_refuses_an_agent_the_pinned_root_does_not_list() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    ok(dir, &["keygen", "--name", "fixer", "--out", "fixer.key"]);
    // No root: the agent's identity would be its own word.
    let o = dg_cmd(
        dir,
        "x",
        &["mcp", "--agent", "fixer", "--key", "fixer.key"],
        &[],
    )
    .stdin(Stdio::null())
    .output()
    .unwrap();
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("trust root"),
        "{}",
        text(&o.stderr)
    );
    assert!(o.stdout.is_empty());
}
