//! `driftgate trust init|add-approver|remove-approver|set|sign|show` (a trust root file), and
//! [`pinned`]: reading and verifying the root the environment pins, before `plan`, `approve` and
//! `apply` run.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::audit::{Entry, Log, Outcome as Audited};
use crate::error::{Error, Result};
use crate::iac::StateLocation;
use crate::ops::{Outcome, Settings};
use crate::trust::{self, ApproverEntry, Body, RootFile};

/// What `driftgate trust` was asked for.
#[derive(Debug, Clone)]
pub enum TrustRequest {
    Init {
        out: PathBuf,
        admins: Vec<(String, String)>,
        threshold: usize,
        expires: time::Duration,
        approvals: usize,
        audit_log: Option<String>,
    },
    AddApprover {
        root: PathBuf,
        name: String,
        key: String,
        aws_principals: Vec<String>,
        ci_actors: Vec<String>,
        /// `--slack-user U123`: the Slack user id they approve in chat as.
        slack_user: Option<String>,
    },
    RemoveApprover {
        root: PathBuf,
        name: String,
    },
    Set {
        root: PathBuf,
        change: Settable,
    },
    Sign {
        root: PathBuf,
        key: PathBuf,
    },
    Show {
        root: PathBuf,
    },
    /// `trust add-agent`, `trust remove-agent`, `trust agent-kind` (`crate::trust::agent`).
    Agent(AgentRequest),
}

/// The agent entries of a root: agents propose plans (`driftgate mcp`), never approve.
#[derive(Debug, Clone)]
pub enum AgentRequest {
    Add {
        root: PathBuf,
        name: String,
        kind: String,
        key: String,
        /// `sha256:<hex>` of its approval service token.
        client: Option<String>,
    },
    Remove {
        root: PathBuf,
        name: String,
    },
    /// Sets (replaces) a kind's rules.
    Kind {
        root: PathBuf,
        kind: String,
        approvals: usize,
        forbid: Vec<String>,
    },
}

/// What `trust set` changes (each only when given).
#[derive(Debug, Clone, Default)]
pub struct Settable {
    pub approvals: Option<usize>,
    pub severity: Vec<(String, usize)>,
    pub guardrails: Vec<(String, usize)>,
    pub add_admins: Vec<(String, String)>,
    pub remove_admins: Vec<String>,
    pub threshold: Option<usize>,
    pub expires: Option<time::Duration>,
    pub audit_log: Option<String>,
    /// `--client NAME=sha256:<hex>`: an approval service client (the digest of its token).
    pub clients: Vec<(String, String)>,
    /// `--remove-client NAME`.
    pub remove_clients: Vec<String>,
    /// `--chat-attestor NAME=KEY`: the approval service's key, attesting chat approvals.
    pub chat_attestors: Vec<(String, String)>,
    /// `--attest-for NAME`: the approvers the `--chat-attestor`s given may attest for.
    pub attest_for: Vec<String>,
    /// `--remove-chat-attestor NAME`.
    pub remove_chat_attestors: Vec<String>,
    /// `--from-key SEVERITY=N`: approvals that must be signed by approvers' own keys.
    pub from_key: Vec<(String, usize)>,
}

fn file_error(path: &Path, reason: impl Into<String>) -> Error {
    Error::TrustFile {
        path: super::display_path(path),
        reason: reason.into(),
    }
}

fn read_root(path: &Path) -> Result<RootFile> {
    let bytes = std::fs::read(path).map_err(|e| file_error(path, format!("cannot read: {e}")))?;
    RootFile::parse(&bytes).map_err(|e| file_error(path, e))
}

/// Writes the file through a temporary file and a rename: a reader never sees half a root.
fn write_root(path: &Path, root: &RootFile) -> Result<()> {
    let tmp = path.with_extension("tmp-driftgate");
    let io = |source| Error::Write {
        path: super::display_path(path),
        source,
    };
    std::fs::write(&tmp, root.encode()).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Checks the body an edit produced (names, keys, one key per approver, threshold).
fn check_body(path: &Path, root: &RootFile) -> Result<()> {
    let probe = RootFile {
        signed: root.signed.clone(),
        signatures: Vec::new(),
        previous: None,
    };
    match probe.problem() {
        // Only the signatures are missing: the body itself holds.
        Some(p) if p.contains("is signed by") => Ok(()),
        Some(p) => Err(file_error(path, p)),
        None => Ok(()),
    }
}

pub fn run(request: &TrustRequest, settings: &Settings) -> Result<Outcome> {
    match request {
        TrustRequest::Init {
            out,
            admins,
            threshold,
            expires,
            approvals,
            audit_log,
        } => init(
            settings,
            out,
            admins,
            *threshold,
            *expires,
            *approvals,
            audit_log.as_deref(),
        ),
        TrustRequest::AddApprover {
            root,
            name,
            key,
            aws_principals,
            ci_actors,
            slack_user,
        } => add_approver(
            settings,
            root,
            name,
            key,
            aws_principals,
            ci_actors,
            slack_user,
        ),
        TrustRequest::RemoveApprover { root, name } => remove_approver(settings, root, name),
        TrustRequest::Set { root, change } => set(settings, root, change),
        TrustRequest::Sign { root, key } => sign(settings, root, key),
        TrustRequest::Show { root } => show_root(settings, root),
        TrustRequest::Agent(a) => agent(settings, a),
    }
}

/// Audits a change to a root file: the subcommand, the file, its version and its digest.
fn audit(settings: &Settings, sub: &str, path: &Path, root: &RootFile) -> Result<()> {
    Log::open(&settings.audit_log)
        .append(
            &Entry::new(&settings.audit_origin(), "trust", Audited::Ok)
                .detail("subcommand", sub)
                .detail("trust_root_file", super::display_path(path))
                .detail("trust_root_version", root.signed.version.to_string())
                .detail("trust_root", trust::file_digest(root.encode().as_bytes())),
        )
        .map(|_| ())
}

/// An edit of a root: its next version, unsigned, checked, written and audited; says who must
/// sign it.
fn edit(
    settings: &Settings,
    path: &Path,
    sub: &str,
    change: &dyn Fn(&mut Body) -> Result<()>,
) -> Result<()> {
    let old = read_root(path)?;
    let mut failed = None;
    let next = old.edit(|b| failed = change(b).err());
    if let Some(e) = failed {
        return Err(e);
    }
    check_body(path, &next)?;
    write_root(path, &next)?;
    audit(settings, sub, path, &next)?;
    let signers = next.previous.as_ref().map_or(next.signed.threshold, |p| {
        p.signed.threshold.max(next.signed.threshold)
    });
    crate::render::notice::line(&format!(
        "{}: version {} (unsigned). It counts once {} admins signed it: `driftgate trust sign {} --key ADMIN.key`{}",
        super::display_path(path),
        next.signed.version,
        signers,
        crate::plan_file::shell_word(&super::display_path(path)),
        if next.previous.is_some() {
            " (by the previous version's admins too)"
        } else {
            ""
        }
    ));
    Ok(())
}

/// `trust init`: a new root, version 1, unsigned (never over an existing file).
fn init(
    settings: &Settings,
    out: &Path,
    admins: &[(String, String)],
    threshold: usize,
    expires: time::Duration,
    approvals: usize,
    audit_log: Option<&str>,
) -> Result<Outcome> {
    if out.exists() {
        return Err(file_error(
            out,
            "exists already: `trust init` never overwrites a root",
        ));
    }
    let mut body = Body::new(
        admins.iter().cloned().collect(),
        threshold,
        settings.now + expires,
    );
    body.approvals.default = approvals;
    body.audit_log = audit_log.map(str::to_string);
    let root = RootFile {
        signed: body,
        signatures: Vec::new(),
        previous: None,
    };
    check_body(out, &root)?;
    write_root(out, &root)?;
    audit(settings, "init", out, &root)?;
    crate::render::notice::line(&format!(
        "{}: version 1 (unsigned). `driftgate trust sign {} --key ADMIN.key` by {threshold} admin(s), then pin it: DRIFTGATE_TRUST_ROOT and DRIFTGATE_TRUST_ROOT_SHA256 (`driftgate trust show` prints the digest).",
        super::display_path(out),
        crate::plan_file::shell_word(&super::display_path(out)),
    ));
    Ok(Outcome::Clean)
}

/// `trust add-approver`: an approver (one key is one person, under one name).
fn add_approver(
    settings: &Settings,
    root: &Path,
    name: &str,
    key: &str,
    aws_principals: &[String],
    ci_actors: &[String],
    slack_user: &Option<String>,
) -> Result<Outcome> {
    let change = |b: &mut Body| -> Result<()> {
        if !crate::approval::valid_name(name) {
            return Err(Error::ApproverName {
                name: name.to_string(),
            });
        }
        let k: crate::approval::PublicKey = key.parse().map_err(|e: String| file_error(root, e))?;
        if let Some((other, _)) = b
            .approvers
            .iter()
            .find(|(n, a)| *n != name && a.key.parse().ok() == Some(k))
        {
            return Err(file_error(
                root,
                format!("`{other}` has this key already: one key is one person, under one name"),
            ));
        }
        b.approvers.insert(
            name.to_string(),
            ApproverEntry {
                key: k.to_string(),
                aws_principals: aws_principals.to_vec(),
                ci_actors: ci_actors.to_vec(),
                slack_user: slack_user.clone(),
            },
        );
        Ok(())
    };
    edit(settings, root, "add-approver", &change)?;
    Ok(Outcome::Clean)
}

/// `trust add-agent`, `remove-agent`, `agent-kind`. The root's own rules (an agent's key is
/// no approver's, admin's or other agent's; its kind is listed) are checked on the result.
fn agent(settings: &Settings, request: &AgentRequest) -> Result<Outcome> {
    use crate::trust::agent::{AgentEntry, AgentKind};
    match request {
        AgentRequest::Add {
            root,
            name,
            kind,
            key,
            client,
        } => {
            let change = |b: &mut Body| -> Result<()> {
                let k: crate::approval::PublicKey =
                    key.parse().map_err(|e: String| file_error(root, e))?;
                b.agents.insert(
                    name.clone(),
                    AgentEntry {
                        kind: kind.clone(),
                        key: k.to_string(),
                        client: client.clone(),
                    },
                );
                Ok(())
            };
            edit(settings, root, "add-agent", &change)?;
        }
        AgentRequest::Remove { root, name } => {
            let change = |b: &mut Body| -> Result<()> {
                b.agents
                    .remove(name)
                    .map(|_| ())
                    .ok_or_else(|| file_error(root, format!("no agent `{name}`")))
            };
            edit(settings, root, "remove-agent", &change)?;
        }
        AgentRequest::Kind {
            root,
            kind,
            approvals,
            forbid,
        } => {
            let change = |b: &mut Body| -> Result<()> {
                b.agent_kinds.insert(
                    kind.clone(),
                    AgentKind {
                        approvals: *approvals,
                        forbid: forbid.clone(),
                    },
                );
                Ok(())
            };
            edit(settings, root, "agent-kind", &change)?;
        }
    }
    Ok(Outcome::Clean)
}

/// `trust remove-approver`.
fn remove_approver(settings: &Settings, root: &Path, name: &str) -> Result<Outcome> {
    let change = |b: &mut Body| -> Result<()> {
        b.approvers
            .remove(name)
            .map(|_| ())
            .ok_or_else(|| file_error(root, format!("no approver `{name}`")))
    };
    edit(settings, root, "remove-approver", &change)?;
    Ok(Outcome::Clean)
}

/// `trust set`: the approvals, admins, threshold, expiry and audit log given.
fn set(settings: &Settings, root: &Path, change: &Settable) -> Result<Outcome> {
    let now = settings.now;
    let apply = |b: &mut Body| -> Result<()> {
        if let Some(n) = change.approvals {
            b.approvals.default = n;
        }
        for (s, n) in &change.severity {
            b.approvals.severity.insert(s.clone(), *n);
        }
        for (g, n) in &change.guardrails {
            b.approvals.guardrails.insert(g.clone(), *n);
        }
        for (name, key) in &change.add_admins {
            b.admins.insert(name.clone(), key.clone());
        }
        for name in &change.remove_admins {
            b.admins
                .remove(name)
                .ok_or_else(|| file_error(root, format!("no admin `{name}`")))?;
        }
        if let Some(t) = change.threshold {
            b.threshold = t;
        }
        if let Some(d) = change.expires {
            b.expires = crate::plan_file::wire::format_time(now + d);
        }
        if let Some(l) = &change.audit_log {
            b.audit_log = Some(l.clone()).filter(|l| !l.is_empty());
        }
        for (name, digest) in &change.clients {
            let one = std::collections::BTreeMap::from([(name.clone(), digest.clone())]);
            crate::serve::Clients::parse(&one).map_err(|e| file_error(root, e))?;
            b.clients.insert(name.clone(), digest.clone());
        }
        for name in &change.remove_clients {
            b.clients
                .remove(name)
                .ok_or_else(|| file_error(root, format!("no client `{name}`")))?;
        }
        for (name, key) in &change.chat_attestors {
            b.chat_attestors.insert(
                name.clone(),
                trust::AttestorEntry {
                    key: key.clone(),
                    approvers: change.attest_for.clone(),
                },
            );
        }
        for name in &change.remove_chat_attestors {
            b.chat_attestors
                .remove(name)
                .ok_or_else(|| file_error(root, format!("no chat attestor `{name}`")))?;
        }
        for (s, n) in &change.from_key {
            b.approvals.from_key.insert(s.clone(), *n);
        }
        Ok(())
    };
    edit(settings, root, "set", &apply)?;
    Ok(Outcome::Clean)
}

/// `trust sign`: an admin's signature on the root's current version, audited.
fn sign(settings: &Settings, root: &Path, key: &Path) -> Result<Outcome> {
    let mut file = read_root(root)?;
    let key = super::approve::read_key(key)?;
    file.sign(&key).map_err(|e| file_error(root, e))?;
    write_root(root, &file)?;
    Log::open(&settings.audit_log).append(
        &Entry::new(&settings.audit_origin(), "trust", Audited::Ok)
            .detail("subcommand", "sign")
            .detail("trust_root_file", super::display_path(root))
            .detail("trust_root_version", file.signed.version.to_string())
            .detail("key_fingerprint", key.public().fingerprint()),
    )?;
    match file.problem() {
        None => crate::render::notice::line(&format!(
            "{}: version {} is complete (enough admins signed it). Its SHA-256 (for DRIFTGATE_TRUST_ROOT_SHA256): {}",
            super::display_path(root),
            file.signed.version,
            trust::file_digest(file.encode().as_bytes())
        )),
        Some(p) => crate::render::notice::line(&format!(
            "{}: signed; not complete yet: {p}",
            super::display_path(root)
        )),
    }
    Ok(Outcome::Clean)
}

/// `trust show`: prints the root; clean only when it holds and has not expired.
fn show_root(settings: &Settings, root: &Path) -> Result<Outcome> {
    let bytes = std::fs::read(root).map_err(|e| file_error(root, format!("cannot read: {e}")))?;
    let file = RootFile::parse(&bytes).map_err(|e| file_error(root, e))?;
    let text = show(&file, &bytes, settings.now);
    crate::render::emit(&text, None)?;
    Ok(
        if file.problem().is_none() && file.signed.expires_at().is_ok_and(|e| settings.now < e) {
            Outcome::Clean
        } else {
            Outcome::Incomplete
        },
    )
}

/// `trust show`: what the root says, and whether it holds.
fn show(file: &RootFile, bytes: &[u8], now: time::OffsetDateTime) -> String {
    use std::fmt::Write as _;
    let b = &file.signed;
    let mut s = String::new();
    let fp = |k: &str| {
        k.parse::<crate::approval::PublicKey>()
            .map_or_else(|e| format!("invalid: {e}"), |k| k.fingerprint())
    };
    let _ = writeln!(s, "Trust root version {}", b.version);
    let _ = writeln!(s, "SHA-256:   {}", trust::file_digest(bytes));
    let expired = b.expires_at().is_ok_and(|e| now >= e);
    let _ = writeln!(
        s,
        "Expires:   {}{}",
        b.expires,
        if expired { " (EXPIRED)" } else { "" }
    );
    let _ = writeln!(
        s,
        "Status:    {}",
        file.problem()
            .unwrap_or_else(|| "valid: signed by enough admins".into())
    );
    let _ = writeln!(
        s,
        "Admins ({} of {} must sign):",
        b.threshold,
        b.admins.len()
    );
    for (name, k) in &b.admins {
        let _ = writeln!(s, "  {name}  {}", fp(k));
    }
    let _ = writeln!(s, "Approvers:");
    for (name, a) in &b.approvers {
        let _ = writeln!(s, "  {name}  {}", fp(&a.key));
        for p in &a.aws_principals {
            let _ = writeln!(s, "    aws: {p}");
        }
        for c in &a.ci_actors {
            let _ = writeln!(s, "    ci:  {c}");
        }
    }
    let _ = writeln!(s, "Minimum approvals: {} by default", b.approvals.default);
    for (sev, n) in &b.approvals.severity {
        let _ = writeln!(s, "  severity {sev}: {n}");
    }
    for (g, n) in &b.approvals.guardrails {
        let _ = writeln!(s, "  guardrail {g}: {n}");
    }
    if let Some(l) = &b.audit_log {
        let _ = writeln!(s, "Audit log: {l}");
    }
    for (name, d) in &b.clients {
        let _ = writeln!(s, "Approval service client: {name} {d}");
    }
    for (name, a) in &b.agents {
        let _ = writeln!(s, "Agent: {name} (kind {})  {}", a.kind, fp(&a.key));
        if let Some(c) = &a.client {
            let _ = writeln!(s, "    service token: {c}");
        }
    }
    for (kind, k) in &b.agent_kinds {
        let forbid = if k.forbid.is_empty() {
            "nothing forbidden".to_string()
        } else {
            format!("forbidden: {}", k.forbid.join(", "))
        };
        let _ = writeln!(
            s,
            "Agent kind {kind}: at least {} approvals ({forbid})",
            k.approvals.max(1)
        );
    }
    s
}

/// The highest trust root version the audit log records (`details.trust_root_version`).
fn floor(log: &Path) -> Option<u64> {
    Log::open(log)
        .records()
        .ok()?
        .iter()
        .filter_map(|r| r.details.get("trust_root_version")?.parse::<u64>().ok())
        .max()
}

/// Reads and verifies the pinned root (when DRIFTGATE_TRUST_ROOT is set) into
/// `settings.trust_root`, and makes its `audit_log` the log. A root that does not verify is an
/// error, appended to the audit log as a refusal of `command`.
pub async fn pinned(settings: &mut Settings, command: &str) -> Result<()> {
    let Some(pin) = settings.trust_pin.clone() else {
        return Ok(());
    };
    let location = crate::mask::mask_text(&pin.location);
    match load(&pin, settings).await {
        Ok(root) => {
            if let Some(l) = &root.body.audit_log {
                settings.audit_log = settings.cwd.join(l);
            }
            settings.trust_root = Some(Arc::new(root));
            Ok(())
        }
        Err(reason) => {
            Log::open(&settings.audit_log).append(
                &Entry::new(&settings.audit_origin(), command, Audited::Refused)
                    .reason(format!("trust root {location}: {reason}"))
                    .detail("trust_root_file", &location),
            )?;
            Err(Error::TrustRoot { location, reason })
        }
    }
}

async fn load(pin: &trust::Pin, settings: &Settings) -> std::result::Result<trust::Root, String> {
    let bytes = match pin.location.parse::<StateLocation>() {
        Ok(StateLocation::Local(p)) => {
            std::fs::read(settings.cwd.join(p)).map_err(|e| format!("cannot read it: {e}"))?
        }
        Ok(StateLocation::S3 { bucket, key }) => {
            let sdk = crate::aws_client::load_sdk_config(&[])
                .await
                .map_err(|e| e.to_string())?;
            crate::iac::s3::get_object(&sdk, &bucket, &key)
                .await
                .map_err(|e| format!("cannot read it: {e}"))?
        }
        Err(e) => return Err(e.to_string()),
    };
    let root = trust::load(&bytes, pin, settings.now, None)?;
    // Rollback: the highest version this log (and the root's own log) has seen.
    let mut logs = vec![settings.audit_log.clone()];
    if let Some(l) = &root.body.audit_log {
        logs.push(settings.cwd.join(l));
    }
    let seen = logs.iter().filter_map(|l| floor(l)).max();
    trust::load(&bytes, pin, settings.now, seen)
}

/// The details every audit entry made under a pinned root carries (the version is the
/// rollback floor [`pinned`] reads back).
pub fn details(entry: Entry, settings: &Settings) -> Entry {
    match &settings.trust_root {
        Some(r) => entry
            .detail("trust_root_version", r.version().to_string())
            .detail("trust_root", &r.digest),
        None => entry,
    }
}

/// `NAME=VALUE` pairs of the command line.
pub fn pairs(given: &[String], what: &str) -> Result<Vec<(String, String)>> {
    given
        .iter()
        .map(|g| {
            g.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, v)| !k.is_empty() && !v.is_empty())
                .ok_or_else(|| Error::Usage(format!("{what} `{g}` is not NAME=VALUE")))
        })
        .collect()
}

/// `NAME=N` pairs.
pub fn counts(given: &[String], what: &str) -> Result<Vec<(String, usize)>> {
    pairs(given, what)?
        .into_iter()
        .map(|(k, v)| {
            v.parse::<usize>()
                .map(|n| (k, n))
                .map_err(|_| Error::Usage(format!("{what}: `{v}` is not a number")))
        })
        .collect()
}
