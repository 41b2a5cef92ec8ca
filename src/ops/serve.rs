//! `driftgate serve` (the approval service), `plan --request-approval URL` (submit the plan
//! just written) and `apply --wait D --approval-service URL` (wait for the verdict, collect
//! the approvals, then apply through the normal verified path). The service itself is
//! `crate::serve`; this module gives it its [`Gate`]: plans read as `approve` reads them,
//! tokens verified as `apply` verifies them (under the pinned root, else the policy's
//! `approval` block), entries appended to the audit log with checkpoints.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::approval::{ApprovalRule, Denial, Denied, Problem, TOKEN_PREFIX};
use crate::audit::{Entry, Log, Outcome as Audited};
use crate::error::{Error, Result};
use crate::model::plan::Plan;
use crate::ops::checkpoint::CheckpointOptions;
use crate::ops::scan::ScanOptions;
use crate::ops::{Outcome, Settings};
use crate::serve::{Admitted, ChatUser, Clients, Counted, DeniedBy, Event, Gate, Refused, View};
use crate::trust::Root;

/// The environment variable that holds a client's bearer token.
pub const TOKEN_ENV: &str = "DRIFTGATE_SERVICE_TOKEN";

/// What `driftgate serve` was asked for.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: String,
    /// A SQLite file or a postgres:// URL.
    pub store: String,
    /// `--clients FILE`: `{"clients": {"NAME": "sha256:<hex>"}}` (without a trust root).
    pub clients: Option<PathBuf>,
    /// The policy plans are made with (its `approval` block, without a root).
    pub policy: Option<PathBuf>,
    pub checkpoint: CheckpointOptions,
    /// `--attestor-key FILE`: the service's own key, a chat attestor of the trust root.
    pub attestor_key: Option<PathBuf>,
    /// `--slack-channel ID`: post requests there, with Approve / Deny buttons.
    pub slack_channel: Option<String>,
    /// `--slack-api URL`: Slack's Web API base (https://slack.com/api).
    pub slack_api: String,
    /// `--teams-webhook NAME=URL`: each approver's own webhook, for their signed link.
    pub teams_webhooks: Vec<(String, String)>,
    /// `--public-url URL`: the service's address as approvers reach it (the links').
    pub public_url: Option<String>,
    /// `--link-ttl`: how long a link lives (never beyond the plan's expiry).
    pub link_ttl: time::Duration,
}

/// The environment variables that hold the Slack app's bot token and signing secret.
pub const SLACK_TOKEN_ENV: &str = "DRIFTGATE_SLACK_BOT_TOKEN";
pub const SLACK_SECRET_ENV: &str = "DRIFTGATE_SLACK_SIGNING_SECRET";

struct OpsGate {
    settings: Settings,
    root: Option<Arc<Root>>,
    rule: Option<ApprovalRule>,
    policy: Option<String>,
    checkpoint: Option<CheckpointOptions>,
    attestor: Option<Arc<crate::approval::KeyFile>>,
}

fn refused(status: u16, reason: impl Into<String>) -> Refused {
    Refused {
        status,
        reason: reason.into(),
        approver: None,
        fingerprint: None,
    }
}

impl OpsGate {
    fn plan(&self, text: &str, now: time::OffsetDateTime) -> std::result::Result<Plan, String> {
        crate::plan_file::read("the submitted plan", text, now).map_err(|e| {
            let help = miette::Diagnostic::help(&e)
                .map(|h| format!(" ({h})"))
                .unwrap_or_default();
            crate::mask::clean(&format!("{e}{help}"))
        })
    }

    /// The approver the chat `user` is, under the root, with the attestor that may attest
    /// for them; refused for an unmapped user, one the attestor may not attest for, and the
    /// plan's author by any of their identities.
    fn chat_person(
        &self,
        plan: &Plan,
        user: &ChatUser,
    ) -> std::result::Result<(String, &crate::approval::KeyFile, &Root), Refused> {
        let (Some(root), Some(key)) = (&self.root, self.attestor.as_deref()) else {
            return Err(refused(
                403,
                "chat approvals need a pinned trust root and the service's key (--attestor-key)",
            ));
        };
        let shown = user.client();
        let mapped = match user {
            ChatUser::Slack(u) => root.slack_approver(u),
            ChatUser::Link(a) => root.approvers.get_key_value(a).map(|(n, _)| n),
        };
        let Some(name) = mapped else {
            return Err(refused(
                403,
                format!(
                    "{shown} is not an approver of the trust root (`slack_user`, or the link's approver)"
                ),
            ));
        };
        let named = |reason: String| Refused {
            status: 403,
            reason,
            approver: Some(name.clone()),
            fingerprint: root.approvers.get(name).map(|p| p.key.fingerprint()),
        };
        let allowed = root
            .attestors
            .get(&key.name)
            .is_some_and(|a| a.key == key.public() && a.approvers.contains(name));
        if !allowed {
            return Err(named(format!(
                "the trust root does not let this service (`{}`) attest for `{name}`",
                key.name
            )));
        }
        let person = &root.approvers[name];
        if root.is_author(name, person, plan) {
            return Err(named(format!(
                "`{name}` ({shown}) is the plan's author: nobody approves or denies their own plan"
            )));
        }
        Ok((name.clone(), key, root))
    }

    /// One approval token verified for `plan` as `apply` verifies it.
    fn verify(
        &self,
        plan: &Plan,
        token: &str,
        now: time::OffsetDateTime,
    ) -> std::result::Result<Counted, Refused> {
        let given = [token.to_string()];
        let verified = match &self.root {
            Some(root) => root.verify_each(plan, &given, now),
            None => crate::approval::verify_each(plan, self.rule.as_ref(), &given, now),
        };
        match verified {
            Ok(mut accepted) if accepted.len() == 1 => {
                let a = accepted.remove(0);
                Ok(Counted {
                    approver: a.approver,
                    fingerprint: a.fingerprint,
                    expires: crate::plan_file::wire::format_time(a.expires),
                })
            }
            Ok(_) => Err(refused(400, "not one approval token")),
            Err(Denied::Rejected(r)) => Err(Refused {
                status: match r.problem {
                    Problem::Malformed(_) => 400,
                    Problem::Duplicate => 409,
                    _ => 403,
                },
                reason: r.to_string(),
                approver: r.approver.clone(),
                fingerprint: r.fingerprint.clone(),
            }),
            Err(_) => Err(refused(400, "not an approval token")),
        }
    }

    fn required(&self, plan: &Plan) -> usize {
        let rule = self.rule.as_ref().map_or(0, |r| r.required_for(plan));
        let root = self.root.as_ref().map_or(0, |r| r.required(plan));
        rule.max(root)
            .max(crate::planner::guardrail::approvals_required(&plan.actions))
            .max(1)
    }
}

impl Gate for OpsGate {
    fn admit(
        &self,
        text: &str,
        now: time::OffsetDateTime,
    ) -> std::result::Result<Admitted, String> {
        let plan = self.plan(text, now)?;
        if plan.inputs.policy != self.policy {
            return Err(format!(
                "the plan was made with policy {}, this service judges under {}: the approvers would not be the plan's",
                plan.inputs.policy.as_deref().unwrap_or("none"),
                self.policy.as_deref().unwrap_or("none")
            ));
        }
        if let Some(root) = &self.root {
            if plan.inputs.trust_root.as_deref() != Some(root.digest.as_str()) {
                return Err(format!(
                    "the plan was not made under this service's trust root ({})",
                    root.digest
                ));
            }
            root.check_author(&plan)?;
        }
        Ok(Admitted {
            digest: plan.digest.clone(),
            summary: crate::mask::clean_text(&crate::render::plan_summary::approval_summary(&plan)),
            policy: plan.inputs.policy.clone().unwrap_or_else(|| "none".into()),
            trust_root: plan.inputs.trust_root.clone(),
            expires: crate::plan_file::wire::format_time(plan.expires_at),
            required: self.required(&plan),
        })
    }

    fn approval(
        &self,
        text: &str,
        token: &str,
        now: time::OffsetDateTime,
    ) -> std::result::Result<Counted, Refused> {
        let token = token.trim();
        if !token.starts_with(TOKEN_PREFIX) {
            return Err(refused(
                400,
                "not an approval token (`dga1.`, from `driftgate approve`)",
            ));
        }
        let plan = self.plan(text, now).map_err(|e| refused(409, e))?;
        self.verify(&plan, token, now)
    }

    fn denial(
        &self,
        text: &str,
        token: &str,
        now: time::OffsetDateTime,
    ) -> std::result::Result<DeniedBy, Refused> {
        let d = Denial::parse(token).map_err(|e| refused(400, e))?;
        let plan = self.plan(text, now).map_err(|e| refused(409, e))?;
        let who = |status: u16, reason: String, fp: Option<String>| Refused {
            status,
            reason: format!("the denial by `{}` does not count: {reason}", d.approver),
            approver: Some(d.approver.clone()),
            fingerprint: fp,
        };
        let key = match &self.root {
            Some(root) => root.denial_key(&plan, &d),
            None => crate::approval::denial_key(&plan, self.rule.as_ref(), &d),
        }
        .map_err(|p| who(403, p.to_string(), None))?;
        let fp = Some(key.fingerprint());
        if !d.verify(&key) {
            return Err(who(403, Problem::Forged.to_string(), fp));
        }
        if d.plan != plan.digest {
            return Err(who(403, "it denies another plan".into(), fp));
        }
        Ok(DeniedBy {
            approver: d.approver.clone(),
            fingerprint: key.fingerprint(),
            reason: d.reason.clone(),
        })
    }

    fn chat_approval(
        &self,
        text: &str,
        user: &ChatUser,
        now: time::OffsetDateTime,
    ) -> std::result::Result<(String, Counted), Refused> {
        let plan = self.plan(text, now).map_err(|e| refused(409, e))?;
        let (name, key, root) = self.chat_person(&plan, user)?;
        let token = key
            .attest(
                &name,
                &plan.digest,
                plan.expires_at,
                Some(root.version()),
                &user.client(),
            )
            .to_string();
        // Verified as any token (the root's attestor, for this approver, never the author).
        let counted = self.verify(&plan, &token, now)?;
        Ok((token, counted))
    }

    fn chat_denial(
        &self,
        text: &str,
        user: &ChatUser,
        reason: &str,
        now: time::OffsetDateTime,
    ) -> std::result::Result<DeniedBy, Refused> {
        let plan = self.plan(text, now).map_err(|e| refused(409, e))?;
        let (name, _, root) = self.chat_person(&plan, user)?;
        Ok(DeniedBy {
            fingerprint: root.approvers[&name].key.fingerprint(),
            approver: name,
            reason: reason.to_string(),
        })
    }

    fn audit(&self, event: &Event) -> std::result::Result<(), String> {
        let origin = crate::audit::Origin {
            time: time::OffsetDateTime::now_utc(),
            actor: self.settings.actor.clone(),
            args: self.settings.args.clone(),
        };
        let mut e = super::trust::details(
            Entry::new(
                &origin,
                "serve",
                if event.refused {
                    Audited::Refused
                } else {
                    Audited::Ok
                },
            )
            .reason(event.reason.clone())
            .detail("event", event.what),
            &self.settings,
        );
        if let Some(p) = &event.plan {
            e = e.plan(p);
        }
        if let Some(c) = &event.client {
            e = e.detail("client", c);
        }
        for (k, v) in &event.details {
            e = e.detail(k, v);
        }
        let log = Log::open(&self.settings.audit_log);
        let head = log.append(&e).map_err(|e| e.to_string())?;
        if let Some(options) = &self.checkpoint {
            // The actor runs on its own single-threaded runtime: the checkpoint is sent from a
            // thread of its own, and waited for (the entry is not answered before it is kept).
            let (options, path, now) = (options.clone(), log.path().to_path_buf(), origin.time);
            std::thread::scope(|s| {
                s.spawn(|| {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    rt.block_on(super::checkpoint::write(
                        &options,
                        &Log::open(&path),
                        &head,
                        now,
                    ))
                    .map(|_| ())
                    .map_err(|e| e.to_string())
                })
                .join()
                .unwrap_or_else(|_| Err("the checkpoint thread panicked".into()))
            })?;
        }
        Ok(())
    }
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClientsFile {
    clients: BTreeMap<String, String>,
}

/// The clients: the trust root's `clients` when a root is pinned (a --clients file is then
/// refused: the root decides), else the --clients file.
fn clients(o: &ServeOptions, settings: &Settings) -> Result<Clients> {
    let start = |reason: String| Error::ServeStart { reason };
    let digests = match (&settings.trust_root, &o.clients) {
        (Some(_), Some(_)) => {
            return Err(start(
                "a trust root is pinned: the clients are the root's `clients`, not a --clients file"
                    .into(),
            ));
        }
        (Some(root), None) => root.body.clients.clone(),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| start(format!("{}: {e}", super::display_path(path))))?;
            serde_json::from_str::<ClientsFile>(&text)
                .map_err(|e| start(format!("{}: {e}", super::display_path(path))))?
                .clients
        }
        (None, None) => BTreeMap::new(),
    };
    // The root's agents with a service token: they may submit and read, never approve.
    let agents: BTreeMap<String, String> = settings
        .trust_root
        .as_ref()
        .map(|r| {
            r.agents
                .iter()
                .filter_map(|(n, a)| a.client.clone().map(|c| (n.clone(), c)))
                .collect()
        })
        .unwrap_or_default();
    let clients = Clients::parse(&digests)
        .and_then(|c| c.with_agents(&agents))
        .map_err(start)?;
    if clients.is_empty() {
        return Err(start(
            "no client may call it: list clients (name = sha256 of the token) in the trust root's `clients` or a --clients file"
                .into(),
        ));
    }
    Ok(clients)
}

/// Runs the service until Ctrl-C.
pub async fn run(o: &ServeOptions, settings: &Settings) -> Result<Outcome> {
    let clients = clients(o, settings)?;
    let scan = ScanOptions {
        policy: o.policy.clone(),
        ..ScanOptions::default()
    };
    let policy = super::scan::load_policy(&scan, settings)?;
    let blocks = super::scan::PolicyBlocks::of(&policy)?;
    let attestor = o
        .attestor_key
        .as_deref()
        .map(super::approve::read_key)
        .transpose()?
        .map(Arc::new);
    let chat = chat(o, &env, attestor.clone())?;
    let gate = OpsGate {
        settings: settings.clone(),
        root: settings.trust_root.clone(),
        rule: blocks.approval,
        policy: super::plan::policy_digest(&scan, settings)?,
        checkpoint: o.checkpoint.enabled()?.then(|| o.checkpoint.clone()),
        attestor,
    };
    let listener = tokio::net::TcpListener::bind(&o.listen)
        .await
        .map_err(|e| Error::ServeStart {
            reason: format!("cannot listen on {}: {e}", o.listen),
        })?;
    let addr = listener.local_addr().map_err(|e| Error::ServeStart {
        reason: e.to_string(),
    })?;
    crate::render::notice::line(&format!(
        "driftgate serve: listening on http://{addr} (store {}; {})",
        crate::mask::mask_url(&o.store),
        match &settings.trust_root {
            Some(r) => format!("trust root version {}", r.version()),
            None => "no trust root: the policy's approval block".into(),
        }
    ));
    let clock: crate::serve::Clock = Arc::new(time::OffsetDateTime::now_utc);
    crate::serve::serve(
        listener,
        &o.store,
        clients,
        Box::new(gate),
        clock,
        chat,
        async {
            let _ = tokio::signal::ctrl_c().await;
        },
    )
    .await?;
    crate::render::notice::line("driftgate serve: stopped");
    Ok(Outcome::Clean)
}

/// Slack, when --slack-channel is given: the bot token and signing secret from the
/// environment (never from a flag: they would show in `ps`).
fn chat(
    o: &ServeOptions,
    env: &dyn Fn(&str) -> Option<String>,
    attestor: Option<Arc<crate::approval::KeyFile>>,
) -> Result<crate::serve::Chat> {
    let start = |reason: &str| Error::ServeStart {
        reason: reason.into(),
    };
    let teams = match (&attestor, o.teams_webhooks.is_empty(), &o.public_url) {
        (_, true, _) => None,
        (None, false, _) => {
            return Err(start(
                "--teams-webhook needs --attestor-key (the service's key signs the links)",
            ));
        }
        (_, false, None) => {
            return Err(start(
                "--teams-webhook needs --public-url (where approvers reach the service)",
            ));
        }
        (Some(key), false, Some(url)) => Some(crate::serve::teams::Teams::new(
            url,
            o.teams_webhooks.iter().cloned().collect(),
            key.clone(),
            o.link_ttl,
        )?),
    };
    let Some(channel) = &o.slack_channel else {
        return Ok(crate::serve::Chat { slack: None, teams });
    };
    let need = |name: &str| {
        env(name)
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| Error::ServeStart {
                reason: format!("--slack-channel needs {name}"),
            })
    };
    let (token, secret) = (need(SLACK_TOKEN_ENV)?, need(SLACK_SECRET_ENV)?);
    if attestor.is_none() {
        return Err(start(
            "--slack-channel needs --attestor-key (the service's key, a chat attestor of the trust root)",
        ));
    }
    Ok(crate::serve::Chat {
        slack: Some(crate::serve::slack::Slack::new(
            &o.slack_api,
            &token,
            &secret,
            channel,
        )?),
        teams,
    })
}

fn client(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<crate::serve::client::Client> {
    let token = env(TOKEN_ENV)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| Error::ServiceCall {
            url: crate::mask::mask_url(url),
            reason: format!("no client token: set {TOKEN_ENV}"),
        })?;
    crate::serve::client::Client::new(url, token.trim())
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Posts a token to the request of `digest` (`approve --service URL`).
pub async fn post_token(url: &str, digest: &str, what: &str, token: &str) -> Result<View> {
    client(url, &env)?.post_token(digest, what, token).await
}

/// Tells the service the approved plan of `digest` was applied (`apply --wait`).
pub async fn applied(url: &str, digest: &str) -> Result<View> {
    client(url, &env)?.applied(digest).await
}

/// `plan --request-approval URL`: submits the plan file just written.
pub async fn request_approval(url: &str, plan: &Path, settings: &Settings) -> Result<()> {
    let c = client(url, &env)?;
    let shown = super::display_path(plan);
    let text = std::fs::read_to_string(plan).map_err(|source| Error::PlanRead {
        path: shown.clone(),
        source,
    })?;
    let v = c.submit(&text).await?;
    Log::open(&settings.audit_log).append(
        &super::trust::details(
            Entry::new(&settings.audit_origin(), "plan", Audited::Ok),
            settings,
        )
        .plan(&v.digest)
        .reason(format!("approval requested from {}", c.shown())),
    )?;
    crate::render::notice::line(&format!(
        "Approval requested from {} for {} ({}; {} approval{} required). Approvers: `driftgate approve {} --key KEY --service {}`",
        c.shown(),
        v.digest,
        v.state,
        v.required,
        if v.required == 1 { "" } else { "s" },
        crate::plan_file::shell_word(&shown),
        c.shown(),
    ));
    Ok(())
}

/// One line about a request's progress.
fn progress(v: &View) -> String {
    let who: Vec<&str> = v.approvals.iter().map(|a| a.approver.as_str()).collect();
    format!(
        "waiting for approval of {}: {} of {}{}",
        v.digest,
        v.approvals.len(),
        v.required,
        if who.is_empty() {
            String::new()
        } else {
            format!(" ({})", who.join(", "))
        }
    )
}

/// `apply --wait D --approval-service URL`: long-polls the request of the plan at `plan` until
/// it is approved (its approval tokens, for `apply` to verify itself), denied or expired (an
/// error naming who denied and why), or `wait` passes. Ctrl-C stops the wait before anything
/// else happened.
pub async fn wait_for_approvals(
    url: &str,
    wait: Duration,
    plan: &Path,
    settings: &Settings,
) -> Result<Vec<String>> {
    let c = client(url, &env)?;
    let shown = super::display_path(plan);
    let text = std::fs::read_to_string(plan).map_err(|source| Error::PlanRead {
        path: shown.clone(),
        source,
    })?;
    let digest = crate::plan_file::read(&shown, &text, settings.now)?.digest;
    let deadline = tokio::time::Instant::now() + wait;
    let mut last = String::new();
    // The first look does not wait: the progress line says at once where the request stands.
    let mut first = true;
    let refuse = |reason: String| -> Result<Vec<String>> {
        Log::open(&settings.audit_log).append(
            &super::trust::details(
                Entry::new(&settings.audit_origin(), "apply", Audited::Refused),
                settings,
            )
            .plan(&digest)
            .reason(reason.clone()),
        )?;
        Err(Error::NotApproved { reason })
    };
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let step = if first {
            Duration::ZERO
        } else {
            left.min(Duration::from_secs(25))
        };
        first = false;
        let polled = tokio::select! {
            v = c.status(&digest, step) => v?,
            _ = tokio::signal::ctrl_c() => {
                return refuse(format!("interrupted while waiting for the approval of {digest}: nothing was applied"));
            }
        };
        match polled.state.as_str() {
            "approved" => {
                crate::render::notice::line(&format!(
                    "approved by {}: verifying each approval and applying",
                    polled
                        .approvals
                        .iter()
                        .map(|a| a.approver.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
                return Ok(polled.approvals.into_iter().map(|a| a.token).collect());
            }
            "denied" => {
                let (by, why) = polled
                    .denial
                    .map(|d| (d.by, d.reason))
                    .unwrap_or_else(|| ("an approver".into(), "no reason given".into()));
                return refuse(format!(
                    "the plan {digest} was denied by {}: {}",
                    crate::mask::clean(&by),
                    crate::mask::clean(&why)
                ));
            }
            "expired" => {
                return refuse(format!(
                    "the approval request of {digest} expired before enough approvals arrived"
                ));
            }
            _ => {}
        }
        let line = progress(&polled);
        if line != last {
            crate::render::notice::line(&line);
            last = line.clone();
        }
        if tokio::time::Instant::now() >= deadline {
            return refuse(format!(
                "still not approved after waiting {}s: {line}",
                wait.as_secs()
            ));
        }
    }
}
