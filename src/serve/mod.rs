//! The approval service (`driftgate serve`): a long-running HTTP service where a plan's
//! approval is requested, approvals and denials arrive, and a waiting `apply` learns the
//! verdict. JSON under `/v1` (docs/api.md, docs/openapi.json).
//!
//! - **Never the judge.** The service verifies each approval token as `apply` does (through
//!   the [`Gate`] that `ops` gives it: the trust root's or the policy's keys, never the
//!   author's) only to refuse garbage early and to say when enough have arrived; `apply`
//!   collects the tokens and verifies every one itself.
//! - **One writer.** Every store call and every audit entry is made by one task, in order
//!   (the actor [`serve`] starts): two approvals arriving together are counted one after the
//!   other, and the store's primary key refuses a second approval by the same key.
//! - **Every call authenticated** with a bearer token per client ([`Clients`]: SHA-256 digests
//!   of the tokens, compared in constant time); a wrong token is 401 and audited.
//! - **No printing**: `ops` says what the service does through `render::notice`.

pub mod client;
pub mod store;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot, watch};

use crate::error::{Error, Result};
use store::{Store, StoredApproval, StoredRequest, in_tx};

/// Every route the service has: method and path (axum's `{name}` captures). The OpenAPI file
/// (docs/openapi.json) must list exactly these; a test checks it.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/v1/health"),
    ("post", "/v1/requests"),
    ("get", "/v1/requests/{digest}"),
    ("post", "/v1/requests/{digest}/approvals"),
    ("post", "/v1/requests/{digest}/denials"),
];

/// The longest a `GET /v1/requests/{digest}?wait=N` holds the connection.
pub const MAX_WAIT: Duration = Duration::from_secs(60);

/// What the service asks of `ops`: read a plan, verify tokens under the root (or policy),
/// and audit. Called from the service's one actor task, in order.
pub trait Gate: Send + 'static {
    /// Reads a submitted plan file's text: the request's fields, or why it is refused.
    fn admit(&self, plan: &str, now: OffsetDateTime) -> std::result::Result<Admitted, String>;
    /// Verifies `token` as an approval of the plan (its file's text). One key counts once:
    /// the store refuses a second approval with the same key's fingerprint.
    fn approval(
        &self,
        plan: &str,
        token: &str,
        now: OffsetDateTime,
    ) -> std::result::Result<Counted, Refused>;
    /// Verifies `token` as a signed denial of the plan.
    fn denial(
        &self,
        plan: &str,
        token: &str,
        now: OffsetDateTime,
    ) -> std::result::Result<DeniedBy, Refused>;
    /// Appends one entry to the audit log (and a checkpoint when configured). A change whose
    /// entry cannot be written is not made.
    fn audit(&self, event: &Event) -> std::result::Result<(), String>;
}

/// A plan admitted as a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Admitted {
    pub digest: String,
    /// The masked summary, as `approve` shows it.
    pub summary: String,
    pub policy: String,
    pub trust_root: Option<String>,
    /// RFC 3339: the plan's expiry.
    pub expires: String,
    /// How many approvals the root (or policy) requires of it (at least 1).
    pub required: usize,
}

/// An approval that counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub approver: String,
    pub fingerprint: String,
    pub expires: String,
}

/// A denial that counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeniedBy {
    pub approver: String,
    pub fingerprint: String,
    pub reason: String,
}

/// Why a token is refused: the HTTP status (4xx), the reason, and whom it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub reason: String,
    pub approver: Option<String>,
    pub fingerprint: Option<String>,
}

/// One audit entry of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `request`, `approval`, `denial`, `auth`.
    pub what: &'static str,
    pub refused: bool,
    pub plan: Option<String>,
    /// The client (by its name), when authenticated.
    pub client: Option<String>,
    pub reason: String,
    pub details: BTreeMap<String, String>,
}

impl Event {
    fn new(what: &'static str, refused: bool, reason: impl Into<String>) -> Event {
        Event {
            what,
            refused,
            plan: None,
            client: None,
            reason: reason.into(),
            details: BTreeMap::new(),
        }
    }
}

/// The clients: name -> SHA-256 of their bearer token; and which of them are agents (the
/// trust root's `agents.NAME.client`): they submit and read requests, never record an
/// approval or a denial.
#[derive(Debug, Clone, Default)]
pub struct Clients(Vec<(String, [u8; 32])>, std::collections::BTreeSet<String>);

impl Clients {
    /// From `sha256:<hex>` digests (the trust root's `clients`, or the --clients file).
    pub fn parse(digests: &BTreeMap<String, String>) -> std::result::Result<Clients, String> {
        let mut out = Vec::new();
        for (name, d) in digests {
            let hexed = d.trim().strip_prefix("sha256:").unwrap_or(d.trim());
            let bytes: [u8; 32] = hex::decode(hexed)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| {
                    format!("client `{name}`: `sha256:<64 hex>` of its token expected")
                })?;
            out.push((name.clone(), bytes));
        }
        Ok(Clients(out, Default::default()))
    }

    /// Adds the agents' tokens (name -> `sha256:<hex>`), marked as agents'.
    pub fn with_agents(
        mut self,
        digests: &BTreeMap<String, String>,
    ) -> std::result::Result<Clients, String> {
        let agents = Clients::parse(digests)?;
        for (name, d) in agents.0 {
            if self.0.iter().any(|(n, _)| *n == name) {
                return Err(format!("`{name}` is both a client and an agent"));
            }
            self.1.insert(name.clone());
            self.0.push((name, d));
        }
        Ok(self)
    }

    /// Whether this client is one of the root's agents.
    pub fn is_agent(&self, name: &str) -> bool {
        self.1.contains(name)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client whose token this is. Every digest is compared, in constant time, whatever
    /// matched before.
    pub fn who(&self, token: &str) -> Option<String> {
        let got: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = None;
        for (name, want) in &self.0 {
            let diff = got
                .iter()
                .zip(want.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if std::hint::black_box(diff) == 0 {
                found = Some(name.clone());
            }
        }
        found
    }
}

/// `sha256:<hex>` of a client token, the form the root and the --clients file hold.
pub fn token_digest(token: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(token.trim().as_bytes()))
    )
}

/// A request's state, as `GET /v1/requests/{digest}` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    pub digest: String,
    /// `pending`, `approved`, `denied` or `expired`.
    pub state: String,
    pub required: i64,
    pub approvals: Vec<ApprovalView>,
    pub denial: Option<DenialView>,
    pub summary: String,
    pub policy: String,
    pub trust_root: Option<String>,
    pub expires: String,
    pub created: String,
    pub requested_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalView {
    pub approver: String,
    pub fingerprint: String,
    pub expires: String,
    pub received: String,
    /// The `dga1.` token: `apply` verifies it again.
    pub token: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DenialView {
    pub by: String,
    pub reason: String,
    pub at: String,
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

fn fmt_time(t: OffsetDateTime) -> String {
    crate::model::tracked::format_time(t.to_offset(time::UtcOffset::UTC))
}

/// The view of a stored request at `now`: approvals whose expiry passed no longer count.
pub fn view(r: &StoredRequest, now: OffsetDateTime) -> View {
    let live: Vec<&StoredApproval> = r
        .approvals
        .iter()
        .filter(|a| parse_time(&a.expires).is_some_and(|t| now < t))
        .collect();
    let expired = parse_time(&r.expires).is_none_or(|t| now >= t);
    let state = if r.denial.is_some() {
        "denied"
    } else if live.len() as i64 >= r.required.max(1) {
        "approved"
    } else if expired {
        "expired"
    } else {
        "pending"
    };
    View {
        digest: r.digest.clone(),
        state: state.into(),
        required: r.required.max(1),
        approvals: live
            .into_iter()
            .map(|a| ApprovalView {
                approver: a.approver.clone(),
                fingerprint: a.fingerprint.clone(),
                expires: a.expires.clone(),
                received: a.received.clone(),
                token: a.token.clone(),
            })
            .collect(),
        denial: r.denial.as_ref().map(|(by, reason, at)| DenialView {
            by: by.clone(),
            reason: reason.clone(),
            at: at.clone(),
        }),
        summary: r.summary.clone(),
        policy: r.policy.clone(),
        trust_root: r.trust_root.clone(),
        expires: r.expires.clone(),
        created: r.created.clone(),
        requested_by: r.requested_by.clone(),
    }
}

/// An answer: status and JSON body.
type Answer = (u16, serde_json::Value);

fn error(status: u16, reason: impl Into<String>) -> Answer {
    (status, serde_json::json!({ "error": reason.into() }))
}

enum Cmd {
    Submit {
        plan: String,
        client: String,
    },
    Approve {
        digest: String,
        token: String,
        client: String,
    },
    Deny {
        digest: String,
        token: String,
        client: String,
    },
    Get {
        digest: String,
    },
    Refuse(Event),
}

/// The clock the service reads (injected: tests and `ops` decide).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

struct Shared {
    clients: Clients,
    cmds: mpsc::Sender<(Cmd, oneshot::Sender<Answer>)>,
    changes: watch::Receiver<u64>,
}

/// Opens the store, starts the actor and serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store_location: &str,
    clients: Clients,
    gate: Box<dyn Gate>,
    clock: Clock,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let (tx, rx) = mpsc::channel(1024);
    let (changed, changes) = watch::channel(0u64);
    let (ready_tx, ready_rx) = oneshot::channel();
    let location = store_location.to_string();
    let actor_clock = clock.clone();
    // The actor: one thread, its own runtime, the store and the gate. Every change and every
    // audit entry, in order.
    let actor = std::thread::spawn(move || {
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                let _ = ready_tx.send(Err(Error::ServeStart {
                    reason: e.to_string(),
                }));
                return;
            }
        };
        rt.block_on(async move {
            let store = match Store::open(&location, actor_clock()).await {
                Ok(s) => {
                    let _ = ready_tx.send(Ok(()));
                    s
                }
                Err(e) => {
                    let _ = ready_tx.send(Err(e));
                    return;
                }
            };
            actor_loop(store, gate, actor_clock, rx, changed).await;
        });
    });
    match ready_rx.await {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            return Err(Error::ServeStart {
                reason: "the store task ended".into(),
            });
        }
    }
    let shared = Arc::new(Shared {
        clients,
        cmds: tx,
        changes,
    });
    let app = router(shared.clone());
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(|e| Error::ServeStart {
            reason: e.to_string(),
        });
    drop(shared);
    let _ = tokio::task::spawn_blocking(move || actor.join()).await;
    result
}

fn router(shared: Arc<Shared>) -> axum::Router {
    axum::Router::new()
        .route("/v1/health", get(health))
        .route("/v1/requests", post(submit))
        .route("/v1/requests/{digest}", get(status))
        .route("/v1/requests/{digest}/approvals", post(approve))
        .route("/v1/requests/{digest}/denials", post(deny))
        .fallback(not_found)
        .with_state(shared)
}

async fn actor_loop(
    mut store: Store,
    gate: Box<dyn Gate>,
    clock: Clock,
    mut rx: mpsc::Receiver<(Cmd, oneshot::Sender<Answer>)>,
    changed: watch::Sender<u64>,
) {
    while let Some((cmd, reply)) = rx.recv().await {
        let now = clock();
        let (answer, change) = match handle(&mut store, gate.as_ref(), cmd, now).await {
            Ok(a) => a,
            Err(e) => (error(500, crate::mask::mask_text(&e.to_string())), false),
        };
        if change {
            changed.send_modify(|n| *n += 1);
        }
        let _ = reply.send(answer);
    }
}

/// One command, in one store transaction. The answer, and whether state changed.
async fn handle(
    store: &mut Store,
    gate: &dyn Gate,
    cmd: Cmd,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    let audit_failed = |e: String| Error::ServeStore {
        location: "the audit log".into(),
        reason: format!("the entry could not be written, nothing was changed: {e}"),
    };
    match cmd {
        Cmd::Refuse(event) => {
            gate.audit(&event).map_err(audit_failed)?;
            Ok((error(401, event.reason), false))
        }
        Cmd::Get { digest } => {
            let found = in_tx!(store, |db| store::get(db, &digest))?;
            Ok(match found {
                Some(r) => ((200, json(&view(&r, now))), false),
                None => (error(404, format!("no request for {digest}")), false),
            })
        }
        Cmd::Submit { plan, client } => {
            let admitted = match gate.admit(&plan, now) {
                Ok(a) => a,
                Err(reason) => {
                    let mut e = Event::new("request", true, reason.clone());
                    e.client = Some(client);
                    gate.audit(&e).map_err(audit_failed)?;
                    return Ok((error(422, reason), false));
                }
            };
            let r = StoredRequest {
                digest: admitted.digest.clone(),
                plan,
                summary: admitted.summary,
                policy: admitted.policy,
                trust_root: admitted.trust_root,
                expires: admitted.expires,
                required: admitted.required as i64,
                requested_by: client.clone(),
                created: fmt_time(now),
                denial: None,
                approvals: Vec::new(),
            };
            in_tx!(store, |db| async {
                if !store::insert(db, &r).await? {
                    let there = store::get(db, &r.digest).await?;
                    return Ok(match there {
                        Some(t) => ((200, json(&view(&t, now))), false),
                        None => (error(500, "the request vanished"), false),
                    });
                }
                let mut e = Event::new(
                    "request",
                    false,
                    format!("approval requested ({} required)", r.required),
                );
                e.plan = Some(r.digest.clone());
                e.client = Some(client.clone());
                gate.audit(&e).map_err(audit_failed)?;
                Ok(((201, json(&view(&r, now))), true))
            })
        }
        Cmd::Approve {
            digest,
            token,
            client,
        } => in_tx!(store, |db| async {
            let Some(r) = store::get(db, &digest).await? else {
                return Ok((error(404, format!("no request for {digest}")), false));
            };
            let refuse = |status: u16, reason: String, who: (Option<String>, Option<String>)| {
                let mut e = Event::new("approval", true, reason.clone());
                e.plan = Some(digest.clone());
                e.client = Some(client.clone());
                if let Some(a) = who.0 {
                    e.details.insert("approver".into(), a);
                }
                if let Some(f) = who.1 {
                    e.details.insert("key_fingerprint".into(), f);
                }
                gate.audit(&e).map_err(audit_failed)?;
                Ok::<_, Error>((error(status, reason), false))
            };
            let state = view(&r, now).state;
            if state == "denied" || state == "expired" {
                return refuse(409, format!("the request is {state}"), (None, None));
            }
            let c = match gate.approval(&r.plan, &token, now) {
                Ok(c) => c,
                Err(x) => return refuse(x.status, x.reason, (x.approver, x.fingerprint)),
            };
            let a = StoredApproval {
                approver: c.approver.clone(),
                fingerprint: c.fingerprint.clone(),
                token: token.trim().to_string(),
                expires: c.expires.clone(),
                received: fmt_time(now),
                client: client.clone(),
            };
            if !store::add_approval(db, &digest, &a).await? {
                return refuse(
                    409,
                    format!("{} approved this plan already", c.approver),
                    (Some(c.approver), Some(c.fingerprint)),
                );
            }
            let mut e = Event::new(
                "approval",
                false,
                format!("approval by {} counted", c.approver),
            );
            e.plan = Some(digest.clone());
            e.client = Some(client.clone());
            e.details.insert("approver".into(), c.approver.clone());
            e.details
                .insert("key_fingerprint".into(), c.fingerprint.clone());
            e.details
                .insert("approval_expires".into(), c.expires.clone());
            gate.audit(&e).map_err(audit_failed)?;
            let now_there = store::get(db, &digest).await?.unwrap_or(r);
            Ok(((200, json(&view(&now_there, now))), true))
        }),
        Cmd::Deny {
            digest,
            token,
            client,
        } => in_tx!(store, |db| async {
            let Some(r) = store::get(db, &digest).await? else {
                return Ok((error(404, format!("no request for {digest}")), false));
            };
            let refuse = |status: u16, reason: String, who: (Option<String>, Option<String>)| {
                let mut e = Event::new("denial", true, reason.clone());
                e.plan = Some(digest.clone());
                e.client = Some(client.clone());
                if let Some(a) = who.0 {
                    e.details.insert("approver".into(), a);
                }
                if let Some(f) = who.1 {
                    e.details.insert("key_fingerprint".into(), f);
                }
                gate.audit(&e).map_err(audit_failed)?;
                Ok::<_, Error>((error(status, reason), false))
            };
            let state = view(&r, now).state;
            if state != "pending" {
                return refuse(409, format!("the request is {state}"), (None, None));
            }
            let d = match gate.denial(&r.plan, &token, now) {
                Ok(d) => d,
                Err(x) => return refuse(x.status, x.reason, (x.approver, x.fingerprint)),
            };
            let reason = crate::mask::clean(&d.reason);
            store::deny(db, &digest, &d.approver, &reason, &fmt_time(now)).await?;
            let mut e = Event::new(
                "denial",
                false,
                format!("denied by {}: {reason}", d.approver),
            );
            e.plan = Some(digest.clone());
            e.client = Some(client.clone());
            e.details.insert("approver".into(), d.approver.clone());
            e.details
                .insert("key_fingerprint".into(), d.fingerprint.clone());
            gate.audit(&e).map_err(audit_failed)?;
            let now_there = store::get(db, &digest).await?.unwrap_or(r);
            Ok(((200, json(&view(&now_there, now))), true))
        }),
    }
}

fn json<T: Serialize>(v: &T) -> serde_json::Value {
    serde_json::to_value(v).unwrap_or(serde_json::Value::Null)
}

fn respond((status, body): Answer) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Json(body),
    )
        .into_response()
}

async fn ask(shared: &Shared, cmd: Cmd) -> Answer {
    let (tx, rx) = oneshot::channel();
    if shared.cmds.send((cmd, tx)).await.is_err() {
        return error(503, "the service is stopping");
    }
    rx.await
        .unwrap_or_else(|_| error(503, "the service is stopping"))
}

/// The client a request's bearer token names; otherwise the 401 (audited).
async fn authenticate(
    shared: &Shared,
    headers: &HeaderMap,
    route: &str,
) -> std::result::Result<String, Response> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(name) = token.and_then(|t| shared.clients.who(t)) {
        return Ok(name);
    }
    let reason = if token.is_some() {
        "the bearer token is not a client's"
    } else {
        "no bearer token (Authorization: Bearer TOKEN)"
    };
    let mut e = Event::new("auth", true, reason);
    e.details.insert("route".into(), route.to_string());
    Err(respond(ask(shared, Cmd::Refuse(e)).await))
}

/// An agent's token on a route that records an approval or a denial: 403, audited. An agent
/// proposes, never approves.
async fn refuse_agent(shared: &Shared, client: &str, route: &str) -> Option<Response> {
    if !shared.clients.is_agent(client) {
        return None;
    }
    let mut e = Event::new(
        "auth",
        true,
        "an agent's token never records an approval or a denial: an agent proposes, never approves",
    );
    e.client = Some(client.to_string());
    e.details.insert("route".into(), route.to_string());
    e.details.insert("agent".into(), client.to_string());
    let (_, body) = ask(shared, Cmd::Refuse(e)).await;
    Some(respond((403, body)))
}

async fn health(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Err(r) = authenticate(&shared, &headers, "GET /v1/health").await {
        return r;
    }
    respond((
        200,
        serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
    ))
}

async fn not_found() -> Response {
    respond(error(404, "no such route"))
}

/// `POST /v1/requests` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The plan file, as `driftgate plan` wrote it.
    pub plan: serde_json::Value,
}

/// `POST .../approvals` and `.../denials` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenBody {
    pub token: String,
}

fn bad_body(e: axum::extract::rejection::JsonRejection) -> Response {
    respond(error(
        400,
        format!("the body is not what this route takes: {}", e.body_text()),
    ))
}

async fn submit(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: std::result::Result<Json<SubmitBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let client = match authenticate(&shared, &headers, "POST /v1/requests").await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(e),
    };
    let plan = serde_json::to_string_pretty(&body.plan).unwrap_or_default();
    respond(ask(&shared, Cmd::Submit { plan, client }).await)
}

async fn approve(
    State(shared): State<Arc<Shared>>,
    Path(digest): Path<String>,
    headers: HeaderMap,
    body: std::result::Result<Json<TokenBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let route = "POST /v1/requests/{digest}/approvals";
    let client = match authenticate(&shared, &headers, route).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(r) = refuse_agent(&shared, &client, route).await {
        return r;
    }
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(e),
    };
    respond(
        ask(
            &shared,
            Cmd::Approve {
                digest,
                token: body.token,
                client,
            },
        )
        .await,
    )
}

async fn deny(
    State(shared): State<Arc<Shared>>,
    Path(digest): Path<String>,
    headers: HeaderMap,
    body: std::result::Result<Json<TokenBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let route = "POST /v1/requests/{digest}/denials";
    let client = match authenticate(&shared, &headers, route).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    if let Some(r) = refuse_agent(&shared, &client, route).await {
        return r;
    }
    let Json(body) = match body {
        Ok(b) => b,
        Err(e) => return bad_body(e),
    };
    respond(
        ask(
            &shared,
            Cmd::Deny {
                digest,
                token: body.token,
                client,
            },
        )
        .await,
    )
}

/// `?wait=SECONDS`: hold the answer until the state is no longer `pending` (at most
/// [`MAX_WAIT`]).
#[derive(Debug, Deserialize)]
pub struct WaitQuery {
    pub wait: Option<u64>,
}

async fn status(
    State(shared): State<Arc<Shared>>,
    Path(digest): Path<String>,
    Query(q): Query<WaitQuery>,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authenticate(&shared, &headers, "GET /v1/requests/{digest}").await {
        return r;
    }
    let wait = Duration::from_secs(q.wait.unwrap_or(0)).min(MAX_WAIT);
    let deadline = tokio::time::Instant::now() + wait;
    let mut changes = shared.changes.clone();
    loop {
        // Marked seen before the read: a change after it wakes the wait below.
        changes.borrow_and_update();
        let answer = ask(
            &shared,
            Cmd::Get {
                digest: digest.clone(),
            },
        )
        .await;
        let pending = answer.0 == 200 && answer.1["state"] == "pending";
        let now = tokio::time::Instant::now();
        if !pending || now >= deadline {
            return respond(answer);
        }
        // A state can also change with the clock alone (an expiry): look again each second.
        let step = (deadline - now).min(Duration::from_secs(1));
        let _ = tokio::time::timeout(step, changes.changed()).await;
    }
}
