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
pub mod slack;
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
    ("post", "/v1/requests/{digest}/applied"),
    ("post", "/slack/interactions"),
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
    /// A chat approval: the approver the Slack `user` is in the trust root, and the token the
    /// service's attestor key signs in their name (verified next by [`Gate::approval`], as
    /// any token). Refused for a user the root does not map, and for the plan's author by
    /// any of their identities.
    fn chat_approval(
        &self,
        _plan: &str,
        _user: &str,
        _now: OffsetDateTime,
    ) -> std::result::Result<String, Refused> {
        Err(no_chat())
    }
    /// A chat denial by the Slack `user`, with `reason` (required).
    fn chat_denial(
        &self,
        _plan: &str,
        _user: &str,
        _reason: &str,
        _now: OffsetDateTime,
    ) -> std::result::Result<DeniedBy, Refused> {
        Err(no_chat())
    }
}

fn no_chat() -> Refused {
    Refused {
        status: 403,
        reason: "chat approvals need a trust root with a chat attestor and the service's key (--attestor-key)".into(),
        approver: None,
        fingerprint: None,
    }
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

/// The clients: name -> SHA-256 of their bearer token.
#[derive(Debug, Clone, Default)]
pub struct Clients(Vec<(String, [u8; 32])>);

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
        Ok(Clients(out))
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
    /// Someone pressed Approve (`reason` None) or submitted Deny in chat.
    Chat {
        digest: String,
        user: String,
        reason: Option<String>,
    },
    /// A verified Slack signature: refused (401, audited) when seen before.
    Fresh(slack::Seen),
    /// The plan was applied (`apply --wait` says so): audited, the message updated.
    Applied {
        digest: String,
        client: String,
    },
    Get {
        digest: String,
    },
    Refuse(Event),
}

/// The clock the service reads (injected: tests and `ops` decide).
pub type Clock = Arc<dyn Fn() -> OffsetDateTime + Send + Sync>;

/// Where requests are announced and approved in chat.
#[derive(Debug, Default, Clone)]
pub struct Chat {
    pub slack: Option<slack::Slack>,
}

/// A change the chat hears of, in the order the actor made it.
struct Notice {
    answer: Answer,
    applied: bool,
}

struct Shared {
    clients: Clients,
    cmds: mpsc::Sender<(Cmd, oneshot::Sender<Answer>)>,
    changes: watch::Receiver<u64>,
    clock: Clock,
    chat: Chat,
}

/// Opens the store, starts the actor and serves on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    store_location: &str,
    clients: Clients,
    gate: Box<dyn Gate>,
    clock: Clock,
    chat: Chat,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let (tx, rx) = mpsc::channel(1024);
    let (changed, changes) = watch::channel(0u64);
    let (ready_tx, ready_rx) = oneshot::channel();
    let (notices, heard) = mpsc::unbounded_channel();
    let location = store_location.to_string();
    let actor_clock = clock.clone();
    let notices = chat.slack.is_some().then_some(notices);
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
            let actor = Actor {
                store,
                gate,
                seen: BTreeMap::new(),
            };
            actor_loop(actor, actor_clock, rx, changed, notices).await;
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
    if let Some(s) = chat.slack.clone() {
        tokio::spawn(slack_task(s, heard));
    }
    let shared = Arc::new(Shared {
        clients,
        cmds: tx,
        changes,
        clock,
        chat,
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
        .route("/v1/requests/{digest}/applied", post(applied))
        .route("/slack/interactions", post(slack_interactions))
        .fallback(not_found)
        .with_state(shared)
}

/// Posts each new request to Slack and updates its message as it changes, in the actor's
/// order. A call Slack refuses changes nothing in the service (the audit log is the record).
async fn slack_task(slack: slack::Slack, mut heard: mpsc::UnboundedReceiver<Notice>) {
    let mut posted: BTreeMap<String, (String, String)> = BTreeMap::new();
    while let Some(Notice { answer, applied }) = heard.recv().await {
        let Ok(v) = serde_json::from_value::<View>(answer.1) else {
            continue;
        };
        match posted.get(&v.digest) {
            Some(at) => {
                let _ = slack.update(at, &v, applied).await;
            }
            None if answer.0 == 201 => {
                if let Ok(at) = slack.post(&v).await {
                    posted.insert(v.digest.clone(), at);
                }
            }
            None => {}
        }
    }
}

/// What the actor holds: the store, the gate, and the Slack signatures seen in the window.
struct Actor {
    store: Store,
    gate: Box<dyn Gate>,
    seen: BTreeMap<String, OffsetDateTime>,
}

async fn actor_loop(
    mut actor: Actor,
    clock: Clock,
    mut rx: mpsc::Receiver<(Cmd, oneshot::Sender<Answer>)>,
    changed: watch::Sender<u64>,
    notices: Option<mpsc::UnboundedSender<Notice>>,
) {
    while let Some((cmd, reply)) = rx.recv().await {
        let now = clock();
        let applied = matches!(cmd, Cmd::Applied { .. });
        let (answer, change) = match handle(&mut actor, cmd, now).await {
            Ok(a) => a,
            Err(e) => (error(500, crate::mask::mask_text(&e.to_string())), false),
        };
        if change {
            changed.send_modify(|n| *n += 1);
        }
        if let Some(n) = notices.as_ref().filter(|_| change || applied) {
            let _ = n.send(Notice {
                answer: answer.clone(),
                applied: applied && answer.0 == 200,
            });
        }
        let _ = reply.send(answer);
    }
}

fn audit_failed(e: String) -> Error {
    Error::ServeStore {
        location: "the audit log".into(),
        reason: format!("the entry could not be written, nothing was changed: {e}"),
    }
}

/// An entry about the request of `digest`, by `client`, naming whom `who` names.
fn entry(
    what: &'static str,
    refused: bool,
    reason: String,
    digest: &str,
    client: &str,
    who: &[(&str, &Option<String>)],
) -> Event {
    let mut e = Event::new(what, refused, reason);
    e.plan = Some(digest.to_string());
    e.client = Some(client.to_string());
    for (k, v) in who {
        if let Some(v) = v {
            e.details.insert(k.to_string(), v.clone());
        }
    }
    e
}

/// A refusal of a change to the request of `digest`: audited, then answered.
fn refuse(
    gate: &dyn Gate,
    what: &'static str,
    digest: &str,
    client: &str,
    x: Refused,
) -> Result<(Answer, bool)> {
    let who = [
        ("approver", &x.approver),
        ("key_fingerprint", &x.fingerprint),
    ];
    gate.audit(&entry(what, true, x.reason.clone(), digest, client, &who))
        .map_err(audit_failed)?;
    Ok((error(x.status, x.reason), false))
}

/// A refusal that names nobody.
fn plain(status: u16, reason: impl Into<String>) -> Refused {
    Refused {
        status,
        reason: reason.into(),
        approver: None,
        fingerprint: None,
    }
}

/// One command (a change in one store transaction). The answer, and whether state changed.
async fn handle(actor: &mut Actor, cmd: Cmd, now: OffsetDateTime) -> Result<(Answer, bool)> {
    let Actor { store, gate, seen } = actor;
    let gate = gate.as_ref();
    match cmd {
        Cmd::Refuse(event) => {
            gate.audit(&event).map_err(audit_failed)?;
            Ok((error(401, event.reason), false))
        }
        Cmd::Fresh(s) => fresh(gate, seen, s, now),
        Cmd::Get { digest } => {
            let found = in_tx!(store, |db| store::get(db, &digest))?;
            Ok(match found {
                Some(r) => ((200, json(&view(&r, now))), false),
                None => (error(404, format!("no request for {digest}")), false),
            })
        }
        Cmd::Submit { plan, client } => submit_plan(store, gate, plan, client, now).await,
        Cmd::Approve {
            digest,
            token,
            client,
        } => in_tx!(store, |db| count_approval(
            db,
            gate,
            &digest,
            Source::Token(token),
            &client,
            now
        )),
        Cmd::Deny {
            digest,
            token,
            client,
        } => in_tx!(store, |db| record_denial(
            db,
            gate,
            &digest,
            Source::Token(token),
            &client,
            now
        )),
        Cmd::Chat {
            digest,
            user,
            reason,
        } => {
            let client = format!("slack:{user}");
            match reason {
                None => in_tx!(store, |db| count_approval(
                    db,
                    gate,
                    &digest,
                    Source::Chat(user, String::new()),
                    &client,
                    now
                )),
                Some(why) => in_tx!(store, |db| record_denial(
                    db,
                    gate,
                    &digest,
                    Source::Chat(user, why),
                    &client,
                    now
                )),
            }
        }
        Cmd::Applied { digest, client } => {
            let found = in_tx!(store, |db| store::get(db, &digest))?;
            let Some(r) = found else {
                return Ok((error(404, format!("no request for {digest}")), false));
            };
            let v = view(&r, now);
            if v.state != "approved" {
                let why = format!("the request is {}, not approved", v.state);
                return refuse(gate, "applied", &digest, &client, plain(409, why));
            }
            let e = entry("applied", false, "applied".into(), &digest, &client, &[]);
            gate.audit(&e).map_err(audit_failed)?;
            Ok(((200, json(&v)), false))
        }
    }
}

/// A Slack signature is used once: seen again within its window, it is a replay (401,
/// audited). Signatures whose window passed are forgotten (their timestamp is refused).
fn fresh(
    gate: &dyn Gate,
    seen: &mut BTreeMap<String, OffsetDateTime>,
    s: slack::Seen,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    seen.retain(|_, until| *until >= now);
    if seen.insert(s.signature, s.until).is_some() {
        let mut e = Event::new(
            "slack",
            true,
            "a replayed Slack request (its signature was used before)",
        );
        e.details
            .insert("route".into(), "POST /slack/interactions".into());
        gate.audit(&e).map_err(audit_failed)?;
        return Ok((error(401, e.reason), false));
    }
    Ok(((200, serde_json::json!({})), false))
}

async fn submit_plan(
    store: &mut Store,
    gate: &dyn Gate,
    plan: String,
    client: String,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
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
        let why = format!("approval requested ({} required)", r.required);
        let e = entry("request", false, why, &r.digest, &client, &[]);
        gate.audit(&e).map_err(audit_failed)?;
        Ok(((201, json(&view(&r, now))), true))
    })
}

/// Where an approval or a denial comes from: a signed token, or a chat user (with the
/// denial's reason).
enum Source {
    Token(String),
    Chat(String, String),
}

/// The request of `digest` and its state, or the refusal (404 when there is none).
async fn pending<D: store::Driver>(
    db: &mut D,
    digest: &str,
    now: OffsetDateTime,
    allowed: &[&str],
) -> Result<std::result::Result<StoredRequest, Refused>> {
    let Some(r) = store::get(db, digest).await? else {
        return Ok(Err(plain(404, format!("no request for {digest}"))));
    };
    let state = view(&r, now).state;
    if !allowed.contains(&state.as_str()) {
        return Ok(Err(plain(409, format!("the request is {state}"))));
    }
    Ok(Ok(r))
}

async fn count_approval<D: store::Driver>(
    db: &mut D,
    gate: &dyn Gate,
    digest: &str,
    source: Source,
    client: &str,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    let r = match pending(db, digest, now, &["pending", "approved"]).await? {
        Ok(r) => r,
        Err(x) if x.status == 404 => return Ok((error(404, x.reason), false)),
        Err(x) => return refuse(gate, "approval", digest, client, x),
    };
    let token = match source {
        Source::Token(t) => t,
        Source::Chat(user, _) => match gate.chat_approval(&r.plan, &user, now) {
            Ok(t) => t,
            Err(x) => return refuse(gate, "approval", digest, client, x),
        },
    };
    let c = match gate.approval(&r.plan, &token, now) {
        Ok(c) => c,
        Err(x) => return refuse(gate, "approval", digest, client, x),
    };
    let a = StoredApproval {
        approver: c.approver.clone(),
        fingerprint: c.fingerprint.clone(),
        token: token.trim().to_string(),
        expires: c.expires.clone(),
        received: fmt_time(now),
        client: client.to_string(),
    };
    let who = [
        ("approver", &Some(c.approver.clone())),
        ("key_fingerprint", &Some(c.fingerprint.clone())),
    ];
    if !store::add_approval(db, digest, &a).await? {
        let x = Refused {
            status: 409,
            reason: format!("{} approved this plan already", c.approver),
            approver: Some(c.approver),
            fingerprint: Some(c.fingerprint),
        };
        return refuse(gate, "approval", digest, client, x);
    }
    let why = format!("approval by {} counted", c.approver);
    let mut e = entry("approval", false, why, digest, client, &who);
    e.details.insert("approval_expires".into(), c.expires);
    gate.audit(&e).map_err(audit_failed)?;
    let now_there = store::get(db, digest).await?.unwrap_or(r);
    Ok(((200, json(&view(&now_there, now))), true))
}

async fn record_denial<D: store::Driver>(
    db: &mut D,
    gate: &dyn Gate,
    digest: &str,
    source: Source,
    client: &str,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    let r = match pending(db, digest, now, &["pending"]).await? {
        Ok(r) => r,
        Err(x) if x.status == 404 => return Ok((error(404, x.reason), false)),
        Err(x) => return refuse(gate, "denial", digest, client, x),
    };
    let d = match source {
        Source::Token(t) => gate.denial(&r.plan, &t, now),
        Source::Chat(user, why) => gate.chat_denial(&r.plan, &user, &why, now),
    };
    let d = match d {
        Ok(d) => d,
        Err(x) => return refuse(gate, "denial", digest, client, x),
    };
    let reason = crate::mask::clean(&d.reason);
    store::deny(db, digest, &d.approver, &reason, &fmt_time(now)).await?;
    let who = [
        ("approver", &Some(d.approver.clone())),
        ("key_fingerprint", &Some(d.fingerprint.clone())),
    ];
    let why = format!("denied by {}: {reason}", d.approver);
    gate.audit(&entry("denial", false, why, digest, client, &who))
        .map_err(audit_failed)?;
    let now_there = store::get(db, digest).await?.unwrap_or(r);
    Ok(((200, json(&view(&now_there, now))), true))
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

/// `GET /v1/health`: for probes, without a token (it says nothing about requests).
async fn health() -> Response {
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
    post_token(&shared, &headers, route, body, |token, client| {
        Cmd::Approve {
            digest,
            token,
            client,
        }
    })
    .await
}

async fn deny(
    State(shared): State<Arc<Shared>>,
    Path(digest): Path<String>,
    headers: HeaderMap,
    body: std::result::Result<Json<TokenBody>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let route = "POST /v1/requests/{digest}/denials";
    post_token(&shared, &headers, route, body, |token, client| Cmd::Deny {
        digest,
        token,
        client,
    })
    .await
}

/// A token posted by an authenticated client, as the command `cmd` makes of it.
async fn post_token(
    shared: &Shared,
    headers: &HeaderMap,
    route: &str,
    body: std::result::Result<Json<TokenBody>, axum::extract::rejection::JsonRejection>,
    cmd: impl FnOnce(String, String) -> Cmd,
) -> Response {
    let client = match authenticate(shared, headers, route).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    match body {
        Ok(Json(body)) => respond(ask(shared, cmd(body.token, client)).await),
        Err(e) => bad_body(e),
    }
}

/// `POST /v1/requests/{digest}/applied`: `apply --wait` says the approved plan was applied
/// (audited; the chat message says so).
async fn applied(
    State(shared): State<Arc<Shared>>,
    Path(digest): Path<String>,
    headers: HeaderMap,
) -> Response {
    let route = "POST /v1/requests/{digest}/applied";
    match authenticate(&shared, &headers, route).await {
        Ok(client) => respond(ask(&shared, Cmd::Applied { digest, client }).await),
        Err(r) => r,
    }
}

/// `POST /slack/interactions`: Slack's signed, form-encoded `payload`. A bad or stale
/// signature, or a replay, is 401 and audited; a refused click is answered (200, as Slack
/// expects) with a reply to the one who pressed it, and audited.
async fn slack_interactions(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let Some(slack) = shared.chat.slack.as_ref() else {
        return respond(error(404, "Slack is not configured (--slack-channel)"));
    };
    let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok());
    let checked = slack::verify(
        slack.secret(),
        header("x-slack-request-timestamp"),
        header("x-slack-signature"),
        &body,
        (shared.clock)(),
    );
    let seen = match checked {
        Ok(s) => s,
        Err(reason) => {
            let mut e = Event::new("slack", true, reason);
            e.details
                .insert("route".into(), "POST /slack/interactions".into());
            return respond(ask(&shared, Cmd::Refuse(e)).await);
        }
    };
    let fresh = ask(&shared, Cmd::Fresh(seen)).await;
    if fresh.0 != 200 {
        return respond(fresh);
    }
    let interaction = match slack::parse(&body) {
        Ok(i) => i,
        Err(why) => return respond(error(400, why)),
    };
    let empty = || StatusCode::OK.into_response();
    match interaction {
        slack::Interaction::Approve {
            digest,
            user,
            channel,
        } => {
            let a = ask(
                &shared,
                Cmd::Chat {
                    digest,
                    user: user.clone(),
                    reason: None,
                },
            )
            .await;
            slack
                .tell(channel.as_deref(), &user, &chat_reply(&a, "approval"))
                .await;
            empty()
        }
        slack::Interaction::DenyButton {
            digest,
            user,
            trigger,
        } => {
            if let Err(why) = slack.open_deny(&trigger, &digest).await {
                slack.tell(None, &user, &format!("driftgate: {why}")).await;
            }
            empty()
        }
        slack::Interaction::Deny {
            digest,
            user,
            reason,
        } => {
            let reason = Some(reason).filter(|r| !r.is_empty());
            let a = match reason {
                Some(_) => {
                    ask(
                        &shared,
                        Cmd::Chat {
                            digest,
                            user,
                            reason,
                        },
                    )
                    .await
                }
                None => {
                    let client = format!("slack:{user}");
                    let x = plain(400, "a denial needs a reason");
                    let mut e = entry("denial", true, x.reason.clone(), &digest, &client, &[]);
                    e.details.insert("slack_user".into(), user);
                    ask(&shared, Cmd::Refuse(e)).await;
                    error(400, x.reason)
                }
            };
            if a.0 >= 300 {
                let why = a.1["error"].as_str().unwrap_or("refused").to_string();
                return respond((
                    200,
                    serde_json::json!({"response_action": "errors", "errors": {slack::REASON: why}}),
                ));
            }
            empty()
        }
        slack::Interaction::Other => empty(),
    }
}

/// What the one who pressed a button is told.
fn chat_reply((status, body): &Answer, what: &str) -> String {
    match body["error"].as_str() {
        Some(why) if *status >= 300 => format!("driftgate: your {what} does not count: {why}"),
        _ => format!(
            "driftgate: your {what} counted ({} of {} approvals)",
            body["approvals"].as_array().map_or(0, Vec::len),
            body["required"]
        ),
    }
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
