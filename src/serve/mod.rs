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
//! - **Group commit, never an answer before durability.** The actor takes the commands queued
//!   (up to [`BATCH`]), makes each in the order they came (in its own savepoint), then makes
//!   the batch durable: its audit entries with one write and one fsync, then one store commit.
//!   Only then is any of them answered: an answer says what is on disk. A batch whose entries
//!   cannot be written is rolled back whole and every command of it answered 500.
//! - **Every call authenticated** with a bearer token per client ([`Clients`]: SHA-256 digests
//!   of the tokens, compared in constant time); a wrong token is 401 and audited.
//! - **No printing**: `ops` says what the service does through `render::notice`.

pub mod client;
pub mod slack;
pub mod store;
pub mod teams;

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
    ("get", "/approve/{digest}"),
    ("post", "/approve/{digest}"),
];

/// Who acted in chat: a Slack user (by id), or the approver a signed link names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChatUser {
    Slack(String),
    Link(String),
}

impl ChatUser {
    /// The client the audit log names: `slack:U123`, `link:alice`.
    pub fn client(&self) -> String {
        match self {
            ChatUser::Slack(u) => format!("slack:{}", crate::mask::clean(u)),
            ChatUser::Link(a) => format!("link:{}", crate::mask::clean(a)),
        }
    }
}

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
    /// Appends `events` to the audit log, in order, made durable together (one fsync; then a
    /// checkpoint of the new head when configured). Nothing to append does nothing. The
    /// changes whose entries cannot be written are not made (the caller rolls them back).
    fn audit(&self, events: &[Event]) -> std::result::Result<(), String>;
    /// A chat approval: the approver the chat `user` is in the trust root, and the token the
    /// service's attestor key signs in their name, verified as [`Gate::approval`] verifies
    /// any token. Refused for a user the root does not map, and for the plan's author by any
    /// of their identities.
    fn chat_approval(
        &self,
        _plan: &str,
        _user: &ChatUser,
        _now: OffsetDateTime,
    ) -> std::result::Result<(String, Counted), Refused> {
        Err(no_chat())
    }
    /// The approver the chat `user` is and the fingerprint their approval counts under,
    /// without signing anything: refused as [`Gate::chat_approval`] refuses (unmapped, not
    /// attestable, the author). The service refuses a second approval by the same person
    /// before it signs one.
    fn chat_approver(
        &self,
        _plan: &str,
        _user: &ChatUser,
        _now: OffsetDateTime,
    ) -> std::result::Result<(String, String), Refused> {
        Err(no_chat())
    }
    /// A chat denial by the Slack `user`, with `reason` (required).
    fn chat_denial(
        &self,
        _plan: &str,
        _user: &ChatUser,
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
    /// Someone pressed Approve (`reason` None) or submitted Deny in chat.
    Chat {
        digest: String,
        user: ChatUser,
        reason: Option<String>,
    },
    /// A verified Slack signature: refused (401, audited) when seen before (the store keeps
    /// the signatures seen in their window: a restart does not forget them).
    Fresh(slack::Seen),
    /// The request's Slack message was posted here (channel, ts): kept in the store, so that
    /// a restarted service still updates it in place.
    Posted {
        digest: String,
        channel: String,
        ts: String,
    },
    /// Where the request's Slack message is: 200 `{"channel", "ts"}`, or 404.
    Message {
        digest: String,
    },
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
    pub teams: Option<teams::Teams>,
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
    let notices = (chat.slack.is_some() || chat.teams.is_some()).then_some(notices);
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
            let actor = Actor { store, gate };
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
    if notices_wanted(&chat) {
        // A weak sender: the actor still ends when the service stops.
        tokio::spawn(chat_task(
            chat.clone(),
            clock.clone(),
            heard,
            tx.downgrade(),
        ));
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
        .route("/approve/{digest}", get(approval_page).post(approval_form))
        .fallback(not_found)
        .with_state(shared)
}

fn notices_wanted(chat: &Chat) -> bool {
    chat.slack.is_some() || chat.teams.is_some()
}

/// Posts each new request to Slack (and each approver's Teams link) and updates the Slack
/// message as it changes, in the actor's order. Where each message is goes to the store
/// (`Cmd::Posted`), so that a restarted service finds it (`Cmd::Message`). A Slack call that
/// fails changes nothing in the service; it is audited (`event = chat`, refused) through
/// `cmds`.
async fn chat_task(
    chat: Chat,
    clock: Clock,
    mut heard: mpsc::UnboundedReceiver<Notice>,
    cmds: mpsc::WeakSender<(Cmd, oneshot::Sender<Answer>)>,
) {
    let mut posted: BTreeMap<String, (String, String)> = BTreeMap::new();
    while let Some(Notice { answer, applied }) = heard.recv().await {
        let Ok(v) = serde_json::from_value::<View>(answer.1) else {
            continue;
        };
        if answer.0 == 201
            && let Some(t) = &chat.teams
        {
            t.post(&v, clock()).await;
        }
        let Some(slack) = &chat.slack else {
            continue;
        };
        if answer.0 != 201 && !posted.contains_key(&v.digest) {
            // Posted before this service started: the store knows where.
            let digest = v.digest.clone();
            if let Some((200, at)) = ask_weak(&cmds, Cmd::Message { digest }).await
                && let (Some(channel), Some(ts)) = (at["channel"].as_str(), at["ts"].as_str())
            {
                posted.insert(v.digest.clone(), (channel.to_string(), ts.to_string()));
            }
        }
        let slack_refused = |why: String| Some(format!("Slack refused: {why}"));
        let failed = match posted.get(&v.digest) {
            Some(at) => slack
                .update(at, &v, applied)
                .await
                .err()
                .and_then(slack_refused),
            None if answer.0 == 201 => match slack.post(&v).await {
                Ok((channel, ts)) => {
                    posted.insert(v.digest.clone(), (channel.clone(), ts.clone()));
                    let digest = v.digest.clone();
                    match ask_weak(
                        &cmds,
                        Cmd::Posted {
                            digest,
                            channel,
                            ts,
                        },
                    )
                    .await
                    {
                        Some((200, _)) | None => None,
                        Some((_, why)) => Some(format!(
                            "the Slack message was posted, but the store did not keep where: {}",
                            why["error"].as_str().unwrap_or("unknown")
                        )),
                    }
                }
                Err(why) => slack_refused(why),
            },
            None => None,
        };
        if let Some(why) = failed {
            let mut e = Event::new("chat", true, why);
            e.plan = Some(v.digest.clone());
            let _ = ask_weak(&cmds, Cmd::Refuse(e)).await;
        }
    }
}

/// A command from a task that must not keep the actor alive: `None` once the service stops.
async fn ask_weak(
    cmds: &mpsc::WeakSender<(Cmd, oneshot::Sender<Answer>)>,
    cmd: Cmd,
) -> Option<Answer> {
    let (tx, rx) = oneshot::channel();
    cmds.upgrade()?.send((cmd, tx)).await.ok()?;
    rx.await.ok()
}

/// The most commands the actor makes durable together (one audit fsync, one store commit).
pub const BATCH: usize = 128;

/// What the actor holds: the store and the gate.
struct Actor {
    store: Store,
    gate: Box<dyn Gate>,
}

async fn actor_loop(
    mut actor: Actor,
    clock: Clock,
    mut rx: mpsc::Receiver<(Cmd, oneshot::Sender<Answer>)>,
    changed: watch::Sender<u64>,
    notices: Option<mpsc::UnboundedSender<Notice>>,
) {
    let mut queued = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut queued, BATCH).await > 0 {
        let now = clock();
        let (cmds, replies): (Vec<Cmd>, Vec<oneshot::Sender<Answer>>) = queued.drain(..).unzip();
        let applied: Vec<bool> = cmds
            .iter()
            .map(|c| matches!(c, Cmd::Applied { .. }))
            .collect();
        // Durable (entries and store) before any answer.
        let answers = run_batch(&mut actor, cmds, now).await;
        if answers.iter().any(|(_, change)| *change) {
            changed.send_modify(|n| *n += 1);
        }
        for (((answer, change), applied), reply) in answers.into_iter().zip(applied).zip(replies) {
            if let Some(n) = notices.as_ref().filter(|_| change || applied) {
                let _ = n.send(Notice {
                    answer: answer.clone(),
                    applied: applied && answer.0 == 200,
                });
            }
            let _ = reply.send(answer);
        }
    }
}

/// Makes `cmds` in one store transaction, each in its own savepoint (a command that fails is
/// rolled back alone and answered 500), then appends all their audit entries at once, then
/// commits. The answers, in order, and whether each changed state; every one 500 when the
/// entries or the commit fail (nothing of the batch is then in the store).
async fn run_batch(actor: &mut Actor, cmds: Vec<Cmd>, now: OffsetDateTime) -> Vec<(Answer, bool)> {
    let n = cmds.len();
    let Actor { store, gate } = actor;
    let gate = gate.as_ref();
    batch_tx(store, gate, cmds, now).await.unwrap_or_else(|e| {
        let failed = error(500, crate::mask::mask_text(&e.to_string()));
        vec![(failed, false); n]
    })
}

async fn batch_tx(
    store: &mut Store,
    gate: &dyn Gate,
    cmds: Vec<Cmd>,
    now: OffsetDateTime,
) -> Result<Vec<(Answer, bool)>> {
    in_tx!(store, |db| batch_in_tx(db, gate, cmds, now))
}

async fn batch_in_tx<D: store::Driver>(
    db: &mut D,
    gate: &dyn Gate,
    cmds: Vec<Cmd>,
    now: OffsetDateTime,
) -> Result<Vec<(Answer, bool)>> {
    let mut journal = Vec::new();
    let mut answers = Vec::with_capacity(cmds.len());
    for cmd in cmds {
        let mark = journal.len();
        db.batch("SAVEPOINT driftgate_command").await?;
        match handle(db, gate, &mut journal, cmd, now).await {
            Ok(a) => {
                db.batch("RELEASE SAVEPOINT driftgate_command").await?;
                answers.push(a);
            }
            Err(e) => {
                db.batch(
                    "ROLLBACK TO SAVEPOINT driftgate_command; RELEASE SAVEPOINT driftgate_command",
                )
                .await?;
                journal.truncate(mark);
                answers.push((error(500, crate::mask::mask_text(&e.to_string())), false));
            }
        }
    }
    gate.audit(&journal).map_err(audit_failed)?;
    Ok(answers)
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

/// A refusal of a change to the request of `digest`: audited (with the batch), then answered.
fn refuse(
    journal: &mut Vec<Event>,
    what: &'static str,
    digest: &str,
    client: &str,
    x: Refused,
) -> Result<(Answer, bool)> {
    let who = [
        ("approver", &x.approver),
        ("key_fingerprint", &x.fingerprint),
    ];
    journal.push(entry(what, true, x.reason.clone(), digest, client, &who));
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

/// One command, in the batch's transaction; its audit entries go to `journal`. The answer,
/// and whether state changed.
async fn handle<D: store::Driver>(
    db: &mut D,
    gate: &dyn Gate,
    journal: &mut Vec<Event>,
    cmd: Cmd,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    match cmd {
        Cmd::Refuse(event) => {
            let answer = error(401, event.reason.clone());
            journal.push(event);
            Ok((answer, false))
        }
        Cmd::Fresh(s) => fresh(db, journal, s, now).await,
        Cmd::Get { digest } => Ok(match store::get(db, &digest).await? {
            Some(r) => ((200, json(&view(&r, now))), false),
            None => (error(404, format!("no request for {digest}")), false),
        }),
        Cmd::Posted {
            digest,
            channel,
            ts,
        } => {
            store::set_message(db, &digest, &channel, &ts).await?;
            Ok(((200, serde_json::json!({})), false))
        }
        Cmd::Message { digest } => Ok(match store::message(db, &digest).await? {
            Some((channel, ts)) => (
                (200, serde_json::json!({"channel": channel, "ts": ts})),
                false,
            ),
            None => (error(404, format!("no Slack message for {digest}")), false),
        }),
        Cmd::Submit { plan, client } => submit_plan(db, gate, journal, plan, client, now).await,
        Cmd::Approve {
            digest,
            token,
            client,
        } => {
            let source = Source::Token(token);
            count_approval(db, gate, journal, &digest, source, &client, now).await
        }
        Cmd::Deny {
            digest,
            token,
            client,
        } => {
            let source = Source::Token(token);
            record_denial(db, gate, journal, &digest, source, &client, now).await
        }
        Cmd::Chat {
            digest,
            user,
            reason,
        } => {
            let client = user.client();
            match reason {
                None => {
                    let source = Source::Chat(user, String::new());
                    count_approval(db, gate, journal, &digest, source, &client, now).await
                }
                Some(why) => {
                    let source = Source::Chat(user, why);
                    record_denial(db, gate, journal, &digest, source, &client, now).await
                }
            }
        }
        Cmd::Applied { digest, client } => {
            let Some(r) = store::get(db, &digest).await? else {
                return Ok((error(404, format!("no request for {digest}")), false));
            };
            let v = view(&r, now);
            if v.state != "approved" {
                let why = format!("the request is {}, not approved", v.state);
                return refuse(journal, "applied", &digest, &client, plain(409, why));
            }
            journal.push(entry(
                "applied",
                false,
                "applied".into(),
                &digest,
                &client,
                &[],
            ));
            Ok(((200, json(&v)), false))
        }
    }
}

/// A Slack signature is used once: seen again within its window, it is a replay (401,
/// audited). The store keeps each signature's SHA-256 until its window passes (then its
/// timestamp is refused anyway), across restarts.
async fn fresh<D: store::Driver>(
    db: &mut D,
    journal: &mut Vec<Event>,
    s: slack::Seen,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    let key = format!(
        "sha256:{}",
        hex::encode(Sha256::digest(s.signature.as_bytes()))
    );
    let first =
        store::first_sight(db, &key, s.until.unix_timestamp(), now.unix_timestamp()).await?;
    if !first {
        let mut e = Event::new(
            "slack",
            true,
            "a replayed Slack request (its signature was used before)",
        );
        e.details
            .insert("route".into(), "POST /slack/interactions".into());
        let answer = error(401, e.reason.clone());
        journal.push(e);
        return Ok((answer, false));
    }
    Ok(((200, serde_json::json!({})), false))
}

async fn submit_plan<D: store::Driver>(
    db: &mut D,
    gate: &dyn Gate,
    journal: &mut Vec<Event>,
    plan: String,
    client: String,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    let admitted = match gate.admit(&plan, now) {
        Ok(a) => a,
        Err(reason) => {
            let mut e = Event::new("request", true, reason.clone());
            e.client = Some(client);
            journal.push(e);
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
    if !store::insert(db, &r).await? {
        let there = store::get(db, &r.digest).await?;
        return Ok(match there {
            Some(t) => ((200, json(&view(&t, now))), false),
            None => (error(500, "the request vanished"), false),
        });
    }
    let why = format!("approval requested ({} required)", r.required);
    journal.push(entry("request", false, why, &r.digest, &client, &[]));
    Ok(((201, json(&view(&r, now))), true))
}

/// Where an approval or a denial comes from: a signed token, or a chat user (with the
/// denial's reason).
enum Source {
    Token(String),
    Chat(ChatUser, String),
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

/// The refusal of a second approval by the person of `fingerprint`.
fn approved_already(approver: String, fingerprint: String) -> Refused {
    Refused {
        status: 409,
        reason: format!("{approver} approved this plan already"),
        approver: Some(approver),
        fingerprint: Some(fingerprint),
    }
}

#[allow(clippy::too_many_arguments)]
async fn count_approval<D: store::Driver>(
    db: &mut D,
    gate: &dyn Gate,
    journal: &mut Vec<Event>,
    digest: &str,
    source: Source,
    client: &str,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    let r = match pending(db, digest, now, &["pending", "approved"]).await? {
        Ok(r) => r,
        Err(x) if x.status == 404 => return Ok((error(404, x.reason), false)),
        Err(x) => return refuse(journal, "approval", digest, client, x),
    };
    let verified = match source {
        Source::Token(t) => gate.approval(&r.plan, &t, now).map(|c| (t, c)),
        // Who pressed, first: a second click by someone whose approval counted is refused
        // before the service signs anything for it.
        Source::Chat(user, _) => match gate.chat_approver(&r.plan, &user, now) {
            Ok((name, fp)) if r.approvals.iter().any(|a| a.fingerprint == fp) => {
                Err(approved_already(name, fp))
            }
            Ok(_) => gate.chat_approval(&r.plan, &user, now),
            Err(x) => Err(x),
        },
    };
    let (token, c) = match verified {
        Ok(v) => v,
        Err(x) => return refuse(journal, "approval", digest, client, x),
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
        let x = approved_already(c.approver, c.fingerprint);
        return refuse(journal, "approval", digest, client, x);
    }
    let why = format!("approval by {} counted", c.approver);
    let mut e = entry("approval", false, why, digest, client, &who);
    e.details.insert("approval_expires".into(), c.expires);
    journal.push(e);
    let now_there = store::get(db, digest).await?.unwrap_or(r);
    Ok(((200, json(&view(&now_there, now))), true))
}

#[allow(clippy::too_many_arguments)]
async fn record_denial<D: store::Driver>(
    db: &mut D,
    gate: &dyn Gate,
    journal: &mut Vec<Event>,
    digest: &str,
    source: Source,
    client: &str,
    now: OffsetDateTime,
) -> Result<(Answer, bool)> {
    let r = match pending(db, digest, now, &["pending"]).await? {
        Ok(r) => r,
        Err(x) if x.status == 404 => return Ok((error(404, x.reason), false)),
        Err(x) => return refuse(journal, "denial", digest, client, x),
    };
    let d = match source {
        Source::Token(t) => gate.denial(&r.plan, &t, now),
        Source::Chat(user, why) => gate.chat_denial(&r.plan, &user, &why, now),
    };
    let d = match d {
        Ok(d) => d,
        Err(x) => return refuse(journal, "denial", digest, client, x),
    };
    let reason = crate::mask::clean(&d.reason);
    store::deny(db, digest, &d.approver, &reason, &fmt_time(now)).await?;
    let who = [
        ("approver", &Some(d.approver.clone())),
        ("key_fingerprint", &Some(d.fingerprint.clone())),
    ];
    let why = format!("denied by {}: {reason}", d.approver);
    journal.push(entry("denial", false, why, digest, client, &who));
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
    if let Some(r) = refuse_agent(shared, &client, route).await {
        return r;
    }
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
            let who = ChatUser::Slack(user.clone());
            let a = ask(
                &shared,
                Cmd::Chat {
                    digest,
                    user: who,
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
            let a = chat_deny(&shared, digest, ChatUser::Slack(user), reason).await;
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

/// A denial in chat: refused (400, audited) without a reason.
async fn chat_deny(shared: &Shared, digest: String, user: ChatUser, reason: String) -> Answer {
    let reason = reason.trim().to_string();
    if reason.is_empty() {
        let why = "a denial needs a reason".to_string();
        let e = entry("denial", true, why.clone(), &digest, &user.client(), &[]);
        let _ = ask(shared, Cmd::Refuse(e)).await;
        return error(400, why);
    }
    let cmd = Cmd::Chat {
        digest,
        user,
        reason: Some(reason),
    };
    ask(shared, cmd).await
}

fn html(status: u16, body: String) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

/// The link's check: the Teams configuration, or the refusal (404; 401 audited).
async fn linked<'a>(
    shared: &'a Shared,
    digest: &str,
    link: &teams::Link,
) -> std::result::Result<&'a teams::Teams, Response> {
    let Some(t) = shared.chat.teams.as_ref() else {
        return Err(respond(error(
            404,
            "approval links are not configured (--teams-webhook)",
        )));
    };
    if let Err(why) = t.check(digest, link, (shared.clock)()) {
        let mut e = entry(
            "link",
            true,
            why,
            digest,
            &ChatUser::Link(link.approver.clone()).client(),
            &[],
        );
        e.details.insert("route".into(), "/approve/{digest}".into());
        let (status, body) = ask(shared, Cmd::Refuse(e)).await;
        let why = body["error"].as_str().unwrap_or_default().to_string();
        return Err(html(
            status,
            format!("<!doctype html><p>{}</p>\n", teams::escape(&why)),
        ));
    }
    Ok(t)
}

/// The request as the page shows it, with `note`.
async fn show(shared: &Shared, digest: String, link: &teams::Link, note: Option<&str>) -> Response {
    match ask(shared, Cmd::Get { digest }).await {
        (200, body) => match serde_json::from_value::<View>(body) {
            Ok(v) => html(200, teams::page(&v, link, note)),
            Err(_) => respond(error(500, "an unreadable request")),
        },
        other => respond(other),
    }
}

/// `GET /approve/{digest}?approver=&expires=&sig=`: the approval page of a signed link.
async fn approval_page(
    State(shared): State<Arc<Shared>>,
    Path(digest): Path<String>,
    link: std::result::Result<Query<teams::Link>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let link = match link {
        Ok(Query(l)) => l,
        // Not a link at all: `linked` says 404 when links are not configured.
        Err(_) => teams::Link {
            approver: String::new(),
            expires: 0,
            sig: String::new(),
        },
    };
    if let Err(r) = linked(&shared, &digest, &link).await {
        return r;
    }
    show(&shared, digest, &link, None).await
}

/// `POST /approve/{digest}` (the page's forms): approve, or deny with a reason, as the
/// link's approver.
async fn approval_form(
    State(shared): State<Arc<Shared>>,
    Path(digest): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let f: BTreeMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |k: &str| f.get(k).cloned().unwrap_or_default();
    let link = teams::Link {
        approver: field("approver"),
        expires: field("expires").parse().unwrap_or(0),
        sig: field("sig"),
    };
    if let Err(r) = linked(&shared, &digest, &link).await {
        return r;
    }
    let who = ChatUser::Link(link.approver.clone());
    let (a, what) = match field("action").as_str() {
        "approve" => {
            let cmd = Cmd::Chat {
                digest: digest.clone(),
                user: who,
                reason: None,
            };
            (ask(&shared, cmd).await, "approval")
        }
        "deny" => (
            chat_deny(&shared, digest.clone(), who, field("reason")).await,
            "denial",
        ),
        _ => return respond(error(400, "`action` is approve or deny")),
    };
    let note = chat_reply(&a, what);
    let shown = show(&shared, digest, &link, Some(&note)).await;
    if a.0 >= 300 {
        let (mut parts, body) = shown.into_parts();
        parts.status = StatusCode::from_u16(a.0).unwrap_or(StatusCode::FORBIDDEN);
        return Response::from_parts(parts, body);
    }
    shown
}

/// What the one who pressed a button is told.
fn chat_reply((status, body): &Answer, what: &str) -> String {
    match body["error"].as_str() {
        Some(why) if *status >= 300 => format!("driftgate: your {what} does not count: {why}"),
        _ if what == "denial" => "driftgate: your denial is recorded".into(),
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

/// How long until the request or one of its approvals expires (at least a tenth of a
/// second: the clocks of the service and of the expiries are not the same instant).
fn next_expiry(v: &serde_json::Value, now: OffsetDateTime) -> Duration {
    let approvals = v["approvals"].as_array().into_iter().flatten();
    std::iter::once(&v["expires"])
        .chain(approvals.map(|a| &a["expires"]))
        .filter_map(|t| t.as_str().and_then(parse_time))
        .map(|t| Duration::try_from(t - now).unwrap_or_default())
        .min()
        .unwrap_or(MAX_WAIT)
        .max(Duration::from_millis(100))
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
        // A state can also change with the clock alone (an expiry): look again when the
        // request or one of its approvals expires, not before (hundreds of waiters cost
        // nothing until something happens).
        let step = (deadline - now).min(next_expiry(&answer.1, (shared.clock)()));
        let _ = tokio::time::timeout(step, changes.changed()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A gate that admits any plan (its text is its digest), counts `ok:NAME` tokens as
    /// NAME's, and records the size of each audit write (failing them when told to).
    struct FakeGate {
        writes: Arc<Mutex<Vec<Vec<String>>>>,
        fail: Arc<std::sync::atomic::AtomicBool>,
    }

    const LATER: &str = "2030-01-01T00:00:00Z";

    impl Gate for FakeGate {
        fn admit(&self, plan: &str, _: OffsetDateTime) -> std::result::Result<Admitted, String> {
            Ok(Admitted {
                digest: plan.to_string(),
                summary: "a plan".into(),
                policy: "none".into(),
                trust_root: None,
                expires: LATER.into(),
                required: 2,
            })
        }
        fn approval(
            &self,
            _: &str,
            token: &str,
            _: OffsetDateTime,
        ) -> std::result::Result<Counted, Refused> {
            let name = token
                .strip_prefix("ok:")
                .ok_or_else(|| plain(403, "forged"))?;
            Ok(Counted {
                approver: name.into(),
                fingerprint: format!("fp-{name}"),
                expires: LATER.into(),
            })
        }
        fn denial(
            &self,
            _: &str,
            _: &str,
            _: OffsetDateTime,
        ) -> std::result::Result<DeniedBy, Refused> {
            Err(plain(403, "no denials here"))
        }
        fn audit(&self, events: &[Event]) -> std::result::Result<(), String> {
            if events.is_empty() {
                return Ok(());
            }
            if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
                return Err("the disk is full".into());
            }
            let reasons = events.iter().map(|e| e.reason.clone()).collect();
            self.writes.lock().unwrap().push(reasons);
            Ok(())
        }
    }

    fn approve(digest: &str, token: &str) -> Cmd {
        Cmd::Approve {
            digest: digest.into(),
            token: token.into(),
            client: "ci".into(),
        }
    }

    /// The commands that arrive together are made in one transaction and their entries
    /// written with one audit write (one fsync), each answered as if alone; entries that
    /// cannot be written leave nothing of their batch in the store.
    #[test]
    fn a_batch_is_made_durable_with_one_audit_write_or_not_at_all() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir.path().join("serve.db").display().to_string();
        let now = time::macros::datetime!(2026-12-07 10:00 UTC);
        let writes: Arc<Mutex<Vec<Vec<String>>>> = Arc::default();
        let fail: Arc<std::sync::atomic::AtomicBool> = Arc::default();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut actor = Actor {
                store: Store::open(&location, now).await.unwrap(),
                gate: Box::new(FakeGate {
                    writes: writes.clone(),
                    fail: fail.clone(),
                }),
            };
            let d = "sha256:aa";
            let cmds = vec![
                Cmd::Submit {
                    plan: d.into(),
                    client: "ci".into(),
                },
                approve(d, "ok:alice"),
                approve(d, "ok:alice"),
                approve(d, "forged"),
                Cmd::Get { digest: d.into() },
            ];
            let answers = run_batch(&mut actor, cmds, now).await;
            let statuses: Vec<u16> = answers.iter().map(|((s, _), _)| *s).collect();
            assert_eq!(statuses, [201, 200, 409, 403, 200]);
            assert_eq!(answers[4].0.1["approvals"][0]["approver"], "alice");
            assert_eq!(
                *writes.lock().unwrap(),
                [[
                    "approval requested (2 required)",
                    "approval by alice counted",
                    "alice approved this plan already",
                    "forged",
                ]]
            );
            // The audit log refuses the next batch: bob's approval is not kept, and the
            // command after it in the same batch is answered 500 too.
            fail.store(true, std::sync::atomic::Ordering::SeqCst);
            let answers = run_batch(
                &mut actor,
                vec![approve(d, "ok:bob"), approve(d, "ok:carol")],
                now,
            )
            .await;
            assert!(answers.iter().all(|((s, _), _)| *s == 500), "{answers:?}");
            fail.store(false, std::sync::atomic::Ordering::SeqCst);
            let answers = run_batch(&mut actor, vec![Cmd::Get { digest: d.into() }], now).await;
            let approvals = answers[0].0.1["approvals"].as_array().unwrap().clone();
            assert_eq!(approvals.len(), 1, "{approvals:?}");
            assert_eq!(writes.lock().unwrap().len(), 1);
        });
    }
}
