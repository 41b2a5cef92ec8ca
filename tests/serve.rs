//! The approval service (issue 19): `driftgate serve` started on a free loopback port, plans
//! requested with `plan --request-approval`, approvals and denials posted with `approve
//! --service`, applies waiting with `apply --wait --approval-service`. Refusals are HTTP 4xx and
//! audit entries; the OpenAPI file lists exactly the routes the service has and the shapes it
//! returns; concurrent approvals are neither lost nor doubled; the whole flow applies a real plan
//! against moto.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

use crate::support::remediation::{Stack, code, findings, text};
use crate::support::{driftgate, fixture, root};

pub(crate) const CI_TOKEN: &str = "dg-serve-ci-token-Vq3Lz8Rk";
pub(crate) const DESK_TOKEN: &str = "dg-serve-desk-token-Pw7Hn2Xc";
const REASON: &str = "not during the freeze";
/// The routes a bearer token is not asked of.
const TOKENLESS: [&str; 3] = ["/v1/health", "/slack/interactions", "/approve/{digest}"];

/// A running `driftgate serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn clients_file(dir: &Path) {
    let body = serde_json::json!({"clients": {
        "ci": driftgate::serve::token_digest(CI_TOKEN),
        "desk": driftgate::serve::token_digest(DESK_TOKEN),
    }});
    std::fs::write(dir.join("clients.json"), body.to_string()).unwrap();
}

/// `driftgate serve` in `dir` on a free loopback port (the OS picks it; the service says which).
fn start(dir: &Path, store: &str, extra: &[&str]) -> Server {
    clients_file(dir);
    let mut args = vec!["--clients", "clients.json"];
    args.extend_from_slice(extra);
    start_with(dir, store, &args, &[])
}

pub(crate) fn start_with(
    dir: &Path,
    store: &str,
    extra: &[&str],
    env: &[(&str, String)],
) -> Server {
    let mut cmd = driftgate();
    cmd.envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    cmd.current_dir(dir)
        .env("DRIFTGATE_AUDIT_LOG", dir.join("audit.jsonl"))
        .env("DRIFTGATE_ACTOR", "service")
        .args(["serve", "--listen", "127.0.0.1:0", "--store", store])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("driftgate serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    let url = loop {
        let Some(Ok(line)) = lines.next() else {
            panic!("driftgate serve ended before listening:\n{seen}");
        };
        seen.push_str(&line);
        seen.push('\n');
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Drained, so that the service never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    Server { child, url }
}

/// `driftgate ARGS` as `actor` in `dir`, with the desk client's token.
pub(crate) fn dg_cmd(dir: &Path, actor: &str, args: &[&str]) -> Command {
    let mut cmd = driftgate();
    cmd.current_dir(dir)
        .env("NO_COLOR", "1")
        .env("DRIFTGATE_AUDIT_LOG", dir.join("audit.jsonl"))
        .env("DRIFTGATE_ACTOR", actor)
        .env("DRIFTGATE_SERVICE_TOKEN", DESK_TOKEN)
        .args(args);
    cmd
}

pub(crate) fn dg(dir: &Path, actor: &str, args: &[&str]) -> Output {
    dg_cmd(dir, actor, args).output().unwrap()
}

pub(crate) fn keygen(dir: &Path, names: &[&str]) -> Vec<String> {
    names
        .iter()
        .map(|n| {
            let o = dg(
                dir,
                n,
                &["keygen", "--name", n, "--out", &format!("{n}.key")],
            );
            assert_eq!(code(&o), 0, "{}", text(&o.stderr));
            text(&o.stdout).trim().to_string()
        })
        .collect()
}

fn policy(dir: &Path, lines: &[String]) {
    std::fs::write(
        dir.join("driftgate.hcl"),
        format!(
            "approval {{\n  required  = 2\n  approvers = {{\n    {}\n  }}\n}}\n",
            lines.join("\n    ")
        ),
    )
    .unwrap();
}

/// A plan of the demo state against its recorded observation (no AWS): `plan` as carol, its
/// approval requested from the service. The plan's digest.
fn demo_plan(dir: &Path, out: &str, server: &Server, extra: &[&str]) -> String {
    let state = fixture("demo/terraform.tfstate").display().to_string();
    let observed = fixture("demo/observed.json").display().to_string();
    let mut args = vec![
        "plan",
        "--state",
        &state,
        "--observed",
        &observed,
        "--out",
        out,
        "--request-approval",
        &server.url,
    ];
    args.extend_from_slice(extra);
    let o = dg_cmd(dir, "carol", &args)
        .env("DRIFTGATE_SERVICE_TOKEN", CI_TOKEN)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(
        text(&o.stderr).contains("Approval requested from"),
        "{}",
        text(&o.stderr)
    );
    digest_of(&dir.join(out))
}

/// Under the root `pin` pins: carol's plan of the demo state, signed by her key, its approval
/// requested from the service at `url`. The plan's digest.
pub(crate) fn signed_demo_plan(dir: &Path, pin: &[(&str, String)], url: &str) -> String {
    let state = fixture("demo/terraform.tfstate").display().to_string();
    let observed = fixture("demo/observed.json").display().to_string();
    let args = [
        "plan",
        "--state",
        &state,
        "--observed",
        &observed,
        "--out",
        "p.json",
        "--sign",
        "carol.key",
        "--request-approval",
        url,
    ];
    let o = dg_cmd(dir, "carol", &args)
        .envs(pin.iter().map(|(k, v)| (*k, v.as_str())))
        .env("DRIFTGATE_SERVICE_TOKEN", CI_TOKEN)
        .output()
        .unwrap();
    assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
    digest_of(&dir.join("p.json"))
}

pub(crate) fn digest_of(plan: &Path) -> String {
    let v: Json = serde_json::from_str(&std::fs::read_to_string(plan).unwrap()).unwrap();
    v["digest"].as_str().unwrap().to_string()
}

/// An HTTP call: status and JSON body.
pub(crate) async fn call(
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Json>,
) -> (u16, Json) {
    call_with(&reqwest::Client::new(), method, url, token, body).await
}

/// `call` over `http` (one client for many calls).
pub(crate) async fn call_with(
    http: &reqwest::Client,
    method: &str,
    url: &str,
    token: Option<&str>,
    body: Option<Json>,
) -> (u16, Json) {
    let mut r = match method {
        "get" => http.get(url),
        _ => http.post(url),
    };
    if let Some(t) = token {
        r = r.bearer_auth(t);
    }
    if let Some(b) = body {
        r = r
            .header("content-type", "application/json")
            .body(b.to_string());
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    (
        status,
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")),
    )
}

pub(crate) fn enc(digest: &str) -> String {
    digest.replace(':', "%3A")
}

/// The OpenAPI file, and a validator of one of its component schemas.
pub(crate) fn openapi() -> Json {
    serde_json::from_str(&std::fs::read_to_string(root().join("docs/openapi.json")).unwrap())
        .unwrap()
}

pub(crate) fn check_shape(api: &Json, schema: &str, value: &Json) {
    // The component schema, with the components beside it for its `$ref`s.
    let mut s = api["components"]["schemas"][schema].clone();
    s["components"] = api["components"].clone();
    s["$schema"] = "https://json-schema.org/draft/2020-12/schema".into();
    let v = jsonschema::validator_for(&s).unwrap();
    let errors: Vec<String> = v.iter_errors(value).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{schema}: {errors:?}\n{value:#}");
}

pub(crate) fn audit(dir: &Path) -> Vec<Json> {
    std::fs::read_to_string(dir.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

pub(crate) fn serve_entries(dir: &Path, outcome: &str, event: &str) -> Vec<Json> {
    audit(dir)
        .into_iter()
        .filter(|e| {
            e["command"] == "serve" && e["outcome"] == outcome && e["details"]["event"] == event
        })
        .collect()
}

#[test]
fn the_openapi_file_lists_exactly_the_service_routes() {
    let api = openapi();
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, ops) in api["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            documented.push((method.clone(), path.clone()));
        }
    }
    documented.sort();
    let mut routes: Vec<(String, String)> = driftgate::serve::ROUTES
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    routes.sort();
    assert_eq!(documented, routes);
    assert_eq!(api["openapi"], "3.1.0");
}

/// Requests, refusals (audited), the shapes the OpenAPI file promises, and a denial that stops
/// a waiting apply with its reason. No AWS: the plan is made from a recorded observation, and
/// the denied apply stops before anything is read from the cloud.
#[test]
fn requests_refusals_and_a_denial_that_stops_a_waiting_apply() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let lines = keygen(dir, &["alice", "bob", "carol", "mallory"]);
    policy(dir, &lines[..3]);
    let server = start(dir, "serve.db", &[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = openapi();
    let base = server.url.clone();

    // Every route exists (the fallback's "no such route" is what a missing one answers), and
    // every call needs a client's token: none or a wrong one is 401 and audited.
    rt.block_on(async {
        // The probe's health, Slack's interactions (signed by Slack) and the approval page
        // (a signed link) take no bearer token: see tests/chat.rs.
        let tokenless = TOKENLESS;
        for (method, path) in driftgate::serve::ROUTES {
            let url = format!("{base}{}", path.replace("{digest}", "sha256%3A00"));
            let (s, body) = call(method, &url, Some(CI_TOKEN), Some(serde_json::json!({}))).await;
            assert_ne!(body["error"], "no such route", "{method} {path}: {s}");
            if tokenless.contains(path) {
                continue;
            }
            let (s, body) = call(method, &url, None, None).await;
            assert_eq!(s, 401, "{method} {path}");
            check_shape(&api, "Error", &body);
        }
        let (s, _) = call("get", &format!("{base}/v1/nothing"), Some(CI_TOKEN), None).await;
        assert_eq!(s, 404);
        // Health answers probes without a token (and whatever token they carry).
        for token in [None, Some("guess"), Some(CI_TOKEN)] {
            let (s, body) = call("get", &format!("{base}/v1/health"), token, None).await;
            assert_eq!(s, 200, "{token:?}");
            check_shape(&api, "Health", &body);
        }
        // Without Slack configured, its route says so.
        let url = format!("{base}/slack/interactions");
        let (s, body) = call("post", &url, None, None).await;
        assert_eq!(
            (s, body["error"].as_str()),
            (404, Some("Slack is not configured (--slack-channel)"))
        );
    });
    let auth = serve_entries(dir, "refused", "auth");
    let with_token = driftgate::serve::ROUTES
        .iter()
        .filter(|(_, p)| !TOKENLESS.contains(p))
        .count();
    assert_eq!(auth.len(), with_token, "{auth:#?}");

    // carol plans and requests approval; another plan (a second later) for "another plan".
    let digest = demo_plan(dir, "p.json", &server, &[]);
    std::thread::sleep(Duration::from_millis(1100));
    let other = demo_plan(dir, "other.json", &server, &[]);
    assert_ne!(digest, other);
    let req = format!("{base}/v1/requests/{}", enc(&digest));
    let (s, v) = rt.block_on(call("get", &req, Some(DESK_TOKEN), None));
    assert_eq!(s, 200);
    check_shape(&api, "Request", &v);
    assert_eq!(v["state"], "pending");
    assert_eq!(v["required"], 2);
    assert_eq!(v["requested_by"], "ci");
    // The summary is what `approve` shows of this plan.
    let o = dg(dir, "alice", &["approve", "p.json", "--key", "alice.key"]);
    let shown = text(&o.stderr);
    let first = v["summary"].as_str().unwrap().lines().next().unwrap();
    assert!(shown.contains(first), "{first}\n{shown}");
    let alice_token = text(&o.stdout).trim().to_string();

    // Refused, each with 4xx and an audit entry naming the approver: an approval of another
    // plan, a key the policy does not list, the author's own, a denial without a reason, and
    // something that is not a token.
    let o = dg(
        dir,
        "alice",
        &["approve", "other.json", "--key", "alice.key"],
    );
    let for_other = text(&o.stdout).trim().to_string();
    let mallory = driftgate::approval::KeyFile::decode(
        &std::fs::read_to_string(dir.join("mallory.key")).unwrap(),
    )
    .unwrap()
    .approve(
        &digest,
        time::OffsetDateTime::now_utc() + time::Duration::hours(1),
    );
    let o = dg(dir, "carol", &["approve", "p.json", "--key", "carol.key"]);
    let own = text(&o.stdout).trim().to_string();
    let approvals = format!("{req}/approvals");
    rt.block_on(async {
        for (token, status, why) in [
            (for_other.as_str(), 403, "it approves another plan"),
            (&mallory.to_string(), 403, "not in the policy"),
            (own.as_str(), 403, "the plan's author"),
            ("dg1-not-an-approval", 400, "not an approval token"),
        ] {
            let (s, body) = call(
                "post",
                &approvals,
                Some(DESK_TOKEN),
                Some(serde_json::json!({ "token": token })),
            )
            .await;
            assert_eq!(s, status, "{why}: {body}");
            assert!(body["error"].as_str().unwrap().contains(why), "{body}");
            check_shape(&api, "Error", &body);
        }
    });
    let refused = serve_entries(dir, "refused", "approval");
    let named: Vec<&str> = refused
        .iter()
        .filter_map(|e| e["details"]["approver"].as_str())
        .collect();
    assert_eq!(named, ["alice", "mallory", "carol"], "{refused:#?}");
    assert!(refused.iter().all(|e| e["plan"] == digest.as_str()));

    // alice's approval counts once; the same key again is 409.
    rt.block_on(async {
        let body = serde_json::json!({ "token": alice_token });
        let (s, v) = call("post", &approvals, Some(DESK_TOKEN), Some(body.clone())).await;
        assert_eq!(s, 200, "{v}");
        check_shape(&api, "Request", &v);
        assert_eq!(v["approvals"][0]["approver"], "alice");
        let (s, _) = call("post", &approvals, Some(DESK_TOKEN), Some(body)).await;
        assert_eq!(s, 409);
    });

    // An apply waits; bob denies with a reason; the apply stops at once, exit 1, naming him
    // and the reason, and nothing is applied (no AWS endpoint is even configured).
    let mut waiting = dg_cmd(
        dir,
        "dave",
        &[
            "apply",
            "p.json",
            "--wait",
            "2m",
            "--approval-service",
            &base,
        ],
    )
    .env("DRIFTGATE_SERVICE_TOKEN", CI_TOKEN)
    .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    assert!(waiting.try_wait().unwrap().is_none(), "apply did not wait");
    let o = dg(
        dir,
        "bob",
        &[
            "approve",
            "p.json",
            "--key",
            "bob.key",
            "--deny",
            REASON,
            "--service",
            &base,
        ],
    );
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    let denied_at = Instant::now();
    let o = waiting.wait_with_output().unwrap();
    let took = denied_at.elapsed();
    let err = text(&o.stderr);
    assert_eq!(code(&o), 1, "{err}");
    assert!(
        err.contains(&format!("waiting for approval of {digest}: 1 of 2 (alice)")),
        "{err}"
    );
    assert!(err.contains(&format!("denied by bob: {REASON}")), "{err}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    println!("denial to the waiting apply's exit: {took:?}");
    let (s, v) = rt.block_on(call("get", &req, Some(DESK_TOKEN), None));
    assert_eq!(s, 200);
    check_shape(&api, "Request", &v);
    assert_eq!(v["state"], "denied");
    assert_eq!(v["denial"]["by"], "bob");
    assert_eq!(v["denial"]["reason"], REASON);
    assert_eq!(serve_entries(dir, "ok", "denial").len(), 1);
    let applies: Vec<Json> = audit(dir)
        .into_iter()
        .filter(|e| e["command"] == "apply")
        .collect();
    assert!(
        applies.len() == 1 && applies[0]["outcome"] == "refused",
        "{applies:#?}"
    );
    // After a denial nothing more counts.
    let o = dg(
        dir,
        "bob",
        &["approve", "p.json", "--key", "bob.key", "--service", &base],
    );
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("denied"), "{}", text(&o.stderr));
    // The log's chain holds.
    let o = dg(dir, "alice", &["audit", "verify"]);
    assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    drop(server);
}

/// 50 waiting clients long-poll one request while two approvers each post their approval 25
/// times at once: exactly two count, every other post is 409, and every waiter sees the same
/// two approvals. Then the same on a PostgreSQL store, restarted in between.
#[test]
fn concurrent_waiters_and_approvals_neither_lose_nor_double() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let lines = keygen(dir, &["alice", "bob", "carol"]);
    policy(dir, &lines);
    let pg = crate::support::postgres::Postgres::start();
    let mut stores = vec!["serve.db".to_string()];
    if let Some(pg) = &pg {
        stores.push(pg.database("serve"));
    }
    for (n, store) in stores.iter().enumerate() {
        let server = start(dir, store, &[]);
        let digest = demo_plan(dir, &format!("c{n}.json"), &server, &[]);
        let plan = format!("c{n}.json");
        let tokens: Vec<String> = ["alice", "bob"]
            .iter()
            .map(|who| {
                let o = dg(
                    dir,
                    who,
                    &["approve", &plan, "--key", &format!("{who}.key")],
                );
                text(&o.stdout).trim().to_string()
            })
            .collect();
        let req = format!("{}/v1/requests/{}", server.url, enc(&digest));
        let rt = tokio::runtime::Runtime::new().unwrap();
        let (waiters, posts, elapsed) = rt.block_on(async {
            let started = Instant::now();
            let mut waiters = Vec::new();
            for _ in 0..50 {
                let url = format!("{req}?wait=30");
                waiters.push(tokio::spawn(async move {
                    let (s, v) = call("get", &url, Some(CI_TOKEN), None).await;
                    (s, v, Instant::now())
                }));
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            let mut posts = Vec::new();
            for i in 0..50 {
                let url = format!("{req}/approvals");
                let token = tokens[i % 2].clone();
                posts.push(tokio::spawn(async move {
                    call(
                        "post",
                        &url,
                        Some(DESK_TOKEN),
                        Some(serde_json::json!({ "token": token })),
                    )
                    .await
                }));
            }
            let mut p = Vec::new();
            for h in posts {
                p.push(h.await.unwrap());
            }
            let mut w = Vec::new();
            for h in waiters {
                w.push(h.await.unwrap());
            }
            (w, p, started.elapsed())
        });
        let ok = posts.iter().filter(|(s, _)| *s == 200).count();
        let dup = posts.iter().filter(|(s, _)| *s == 409).count();
        assert_eq!((ok, dup), (2, 48), "{posts:?}");
        let approved = waiters
            .iter()
            .filter(|(s, v, _)| *s == 200 && v["state"] == "approved")
            .count();
        assert_eq!(approved, 50);
        for (_, v, _) in &waiters {
            let mut who: Vec<&str> = v["approvals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["approver"].as_str().unwrap())
                .collect();
            who.sort();
            assert_eq!(who, ["alice", "bob"]);
        }
        let counted = serve_entries(dir, "ok", "approval")
            .iter()
            .filter(|e| e["plan"] == digest.as_str())
            .count();
        assert_eq!(counted, 2);
        println!(
            "store {}: 50 waiters, 50 approval posts (2 counted, 48 refused as duplicates), all waiters answered 'approved' in {:?}",
            if n == 0 { "sqlite" } else { "postgres" },
            elapsed
        );
        // A restarted service finds the same state in its store (migrations run once).
        drop(server);
        let again = start(dir, store, &[]);
        let (s, v) = rt.block_on(call(
            "get",
            &format!("{}/v1/requests/{}", again.url, enc(&digest)),
            Some(CI_TOKEN),
            None,
        ));
        assert_eq!(s, 200);
        assert_eq!(v["state"], "approved");
        assert_eq!(v["approvals"].as_array().unwrap().len(), 2);
    }
}

/// The whole flow on a real plan against moto: carol plans and requests approval; an apply
/// waits; alice and bob approve through the service; the apply goes on, verifies each approval
/// itself, and applies; the audit log verifies against the service's checkpoints.
#[test]
fn a_waiting_apply_goes_on_when_approved_through_the_service() {
    let Some(stack) = Stack::set_up("dg-serve-secret-Hk4Mn7") else {
        return;
    };
    let dir = stack.work.path();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let lines = keygen(dir, &["alice", "bob", "carol"]);
    policy(dir, &lines);
    keygen(dir, &["log"]);
    rt.block_on(crate::support::remediation::drift(
        &stack.moto,
        &stack.state,
        "dg-serve-rotated-Qe2Wr5",
    ));
    let server = start(
        dir,
        "serve.db",
        &[
            "--audit-key",
            "log.key",
            "--audit-checkpoint",
            "checkpoints.jsonl",
        ],
    );
    let (before, _) = stack.scan_json("carol");
    assert_eq!(before, 2);
    let state = stack.state.display().to_string();
    let plan_cmd = |cmd: &mut Command| {
        stack.moto.apply_env(cmd);
        cmd.env("DRIFTGATE_AUDIT_LOG", &stack.log);
    };
    let mut c = dg_cmd(
        dir,
        "carol",
        &[
            "plan",
            "--state",
            &state,
            "--region",
            "us-east-1",
            "--out",
            "p.json",
            "--request-approval",
            &server.url,
        ],
    );
    plan_cmd(&mut c);
    let o = c.env("DRIFTGATE_SERVICE_TOKEN", CI_TOKEN).output().unwrap();
    assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
    let mut c = dg_cmd(
        dir,
        "dave",
        &[
            "apply",
            "p.json",
            "--wait",
            "3m",
            "--approval-service",
            &server.url,
        ],
    );
    plan_cmd(&mut c);
    let waiting = c
        .env("DRIFTGATE_SERVICE_TOKEN", CI_TOKEN)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    for who in ["alice", "bob"] {
        let o = dg_cmd(
            dir,
            who,
            &[
                "approve",
                "p.json",
                "--key",
                &format!("{who}.key"),
                "--service",
                &server.url,
            ],
        )
        .env("DRIFTGATE_AUDIT_LOG", &stack.log)
        .output()
        .unwrap();
        assert_eq!(code(&o), 0, "{}", text(&o.stderr));
    }
    let approved_at = Instant::now();
    let o = waiting.wait_with_output().unwrap();
    let err = text(&o.stderr);
    assert_eq!(code(&o), 0, "{}\n{err}", text(&o.stdout));
    assert!(err.contains("approved by alice, bob"), "{err}");
    println!(
        "second approval to the end of the apply: {:?}",
        approved_at.elapsed()
    );
    let (after, report) = stack.scan_json("carol");
    assert!(
        findings(&report).len() < 3 || after == 0,
        "{:?}",
        findings(&report)
    );
    // apply verified the approvals itself: one accepted entry per approver.
    let log: Vec<Json> = std::fs::read_to_string(&stack.log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let accepted: Vec<&str> = log
        .iter()
        .filter(|e| e["command"] == "apply" && e["outcome"] == "ok")
        .filter_map(|e| e["details"]["approver"].as_str())
        .collect();
    assert_eq!(accepted, ["alice", "bob"], "{log:#?}");
    drop(server);
    let o = dg_cmd(
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
    )
    .env("DRIFTGATE_AUDIT_LOG", &stack.log)
    .output()
    .unwrap();
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
}

/// Under a pinned trust root the clients are the root's (`trust set --client`), a --clients
/// file is refused, and approvals are judged by the root: the plan's author by their signing
/// key is refused (audited), another approver of the root counts.
#[test]
fn under_a_trust_root_the_root_names_the_clients_and_the_approvers() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path();
    let keys = keygen(dir, &["a1", "alice", "carol"]);
    let key = |i: usize| keys[i].split('"').nth(1).unwrap().to_string();
    let ok = |args: &[&str]| {
        let o = dg(dir, "admin", args);
        assert_eq!(code(&o), 0, "{args:?}: {}", text(&o.stderr));
    };
    ok(&[
        "trust",
        "init",
        "--out",
        "root.json",
        "--admin",
        &format!("a1={}", key(0)),
        "--approvals",
        "1",
    ]);
    ok(&[
        "trust",
        "add-approver",
        "root.json",
        "--name",
        "alice",
        "--key",
        &key(1),
    ]);
    ok(&[
        "trust",
        "add-approver",
        "root.json",
        "--name",
        "carol",
        "--key",
        &key(2),
    ]);
    let ci = format!("ci={}", driftgate::serve::token_digest(CI_TOKEN));
    let desk = format!("desk={}", driftgate::serve::token_digest(DESK_TOKEN));
    ok(&[
        "trust",
        "set",
        "root.json",
        "--client",
        &ci,
        "--client",
        &desk,
    ]);
    ok(&["trust", "sign", "root.json", "--key", "a1.key"]);
    let bytes = std::fs::read(dir.join("root.json")).unwrap();
    let pin = vec![
        (
            "DRIFTGATE_TRUST_ROOT",
            dir.join("root.json").display().to_string(),
        ),
        (
            "DRIFTGATE_TRUST_ROOT_SHA256",
            driftgate::trust::file_digest(&bytes)
                .trim_start_matches("sha256:")
                .to_string(),
        ),
    ];
    // A --clients file beside a root: refused.
    clients_file(dir);
    let o = dg_cmd(
        dir,
        "service",
        &[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--store",
            "s.db",
            "--clients",
            "clients.json",
        ],
    )
    .envs(pin.iter().map(|(k, v)| (*k, v.as_str())))
    .output()
    .unwrap();
    assert_eq!(code(&o), 1, "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("the root's `clients`"),
        "{}",
        text(&o.stderr)
    );
    let server = start_with(dir, "s.db", &[], &pin);
    let digest = signed_demo_plan(dir, &pin, &server.url);
    for (who, want) in [("carol", 1), ("alice", 0)] {
        let o = dg_cmd(
            dir,
            who,
            &[
                "approve",
                "p.json",
                "--key",
                &format!("{who}.key"),
                "--service",
                &server.url,
            ],
        )
        .envs(pin.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
        assert_eq!(code(&o), want, "{who}: {}", text(&o.stderr));
        if want == 1 {
            assert!(text(&o.stderr).contains("403"), "{}", text(&o.stderr));
        }
    }
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (s, v) = rt.block_on(call(
        "get",
        &format!("{}/v1/requests/{}", server.url, enc(&digest)),
        Some(DESK_TOKEN),
        None,
    ));
    assert_eq!(s, 200);
    assert_eq!(v["state"], "approved", "{v}");
    assert_eq!(
        v["trust_root"],
        driftgate::trust::file_digest(&bytes).as_str()
    );
    // The root names the audit log nowhere here: entries go to the service's log.
    let refused = serve_entries(dir, "refused", "approval");
    assert_eq!(refused.len(), 1, "{refused:#?}");
    assert_eq!(refused[0]["details"]["approver"], "carol");
}
