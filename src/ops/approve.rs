//! `driftgate keygen` (a new approver key) and `driftgate approve` (sign an approval of a
//! plan). The private key file is written with mode 0600 and refused at use when the group or
//! others can read it; its content is never printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::approval::{KeyFile, valid_name};
use crate::audit::{Entry, Log, Outcome as Audited};
use crate::error::{Error, Result};
use crate::ops::{Outcome, Settings};

/// What `driftgate keygen` was asked for.
#[derive(Debug, Clone)]
pub struct KeygenOptions {
    pub name: String,
    pub out: PathBuf,
}

/// What `driftgate approve` was asked for.
#[derive(Debug, Clone)]
pub struct ApproveOptions {
    pub plan: PathBuf,
    pub key: PathBuf,
    /// How long the approval stays valid.
    pub expires: time::Duration,
    /// The policy the plan was made with (`--policy`; default ./driftgate.hcl).
    pub policy: Option<PathBuf>,
    /// `--deny REASON`: sign a denial (`dgd1.`) instead of an approval.
    pub deny: Option<String>,
    /// `--service URL`: post the token to the approval service's request for the plan.
    pub service: Option<String>,
}

/// Writes a new key (never over an existing file) and prints the policy's line for it.
pub fn keygen(o: &KeygenOptions, settings: &Settings) -> Result<Outcome> {
    if !valid_name(&o.name) {
        return Err(Error::ApproverName {
            name: o.name.clone(),
        });
    }
    let shown = super::display_path(&o.out);
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| Error::Write {
        path: shown.clone(),
        source: std::io::Error::other(format!("no randomness from the OS: {e}")),
    })?;
    // The signing key zeroizes its copy when dropped (ed25519-dalek's `zeroize`).
    let key = KeyFile::from_seed(&o.name, seed);
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        open.mode(0o600);
    }
    let mut file = open.open(&o.out).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            Error::KeyExists {
                path: shown.clone(),
            }
        } else {
            Error::Write {
                path: shown.clone(),
                source,
            }
        }
    })?;
    file.write_all(key.encode().as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| Error::Write {
            path: shown.clone(),
            source,
        })?;
    Log::open(&settings.audit_log).append(
        &Entry::new(&settings.audit_origin(), "keygen", Audited::Ok)
            .detail("approver", &o.name)
            .detail("key_fingerprint", key.public().fingerprint()),
    )?;
    crate::render::emit(&format!("{}\n", key.policy_line()), None)?;
    eprintln!(
        "Private key written to {shown} (mode 0600; keep it secret). Add the line above to `approvers` in the policy's `approval` block."
    );
    Ok(Outcome::Clean)
}

/// Reads a private key file, refusing one the group or others can read.
pub fn read_key(path: &Path) -> Result<KeyFile> {
    use std::io::Read as _;
    let shown = super::display_path(path);
    let read_error = |source| Error::KeyRead {
        path: shown.clone(),
        source,
    };
    // One open: the mode checked is the mode of the file read.
    let mut file = std::fs::File::open(path).map_err(read_error)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata().map_err(read_error)?.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(Error::KeyPermissions { path: shown, mode });
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(read_error)?;
    KeyFile::decode(&text).map_err(|reason| Error::KeyInvalid {
        path: shown,
        reason,
    })
}

/// Shows the plan's summary on stderr, then prints the approval token alone on stdout.
pub fn approve(o: &ApproveOptions, settings: &Settings) -> Result<Outcome> {
    let shown = super::display_path(&o.plan);
    let text = std::fs::read_to_string(&o.plan).map_err(|source| Error::PlanRead {
        path: shown.clone(),
        source,
    })?;
    let plan = crate::plan_file::read(&shown, &text, settings.now)?;
    let key = read_key(&o.key)?;
    check_listed(o, settings, &plan, &key)?;
    let root = settings.trust_root.as_deref();
    show_summary(&plan, &key, root);
    if let Some(reason) = &o.deny {
        return deny(o, settings, &plan, &key, reason);
    }
    let expires = settings.now + o.expires;
    let approval = key.approve_under(&plan.digest, expires, root.map(crate::trust::Root::version));
    Log::open(&settings.audit_log).append(
        &super::trust::details(
            Entry::new(&settings.audit_origin(), "approve", Audited::Ok),
            settings,
        )
        .plan(&plan.digest)
        .detail("approver", &key.name)
        .detail("key_fingerprint", key.public().fingerprint())
        .detail(
            "approval_expires",
            crate::plan_file::wire::format_time(expires),
        ),
    )?;
    eprintln!(
        "Approved by {} until {}. Give this token to whoever runs `driftgate apply {} --approve TOKEN`:",
        key.name,
        crate::plan_file::wire::format_time(expires),
        crate::plan_file::shell_word(&shown)
    );
    crate::render::emit(&format!("{approval}\n"), None)?;
    if let Some(url) = &o.service {
        post(url, &plan.digest, "approvals", &approval.to_string())?;
    }
    Ok(Outcome::Clean)
}

/// An approval `apply` would refuse is refused before anything is signed or written: the
/// policy must be the plan's, and its `approval` block (or the pinned trust root) must list
/// this key under the key's name.
fn check_listed(
    o: &ApproveOptions,
    settings: &Settings,
    plan: &crate::model::plan::Plan,
    key: &KeyFile,
) -> Result<()> {
    let scan = super::scan::ScanOptions {
        policy: o.policy.clone(),
        ..super::scan::ScanOptions::default()
    };
    let policy_name = super::scan::policy_file(&scan, settings)
        .map_or_else(|| "no policy file".to_string(), |(_, shown)| shown);
    if super::plan::policy_digest(&scan, settings)? != plan.inputs.policy {
        return Err(Error::ApprovePolicyMismatch {
            policy: policy_name,
        });
    }
    let policy = super::scan::load_policy(&scan, settings)?;
    let policy = super::scan::PolicyBlocks::of(&policy)?;
    // Under a pinned trust root, the root lists the approvers (the policy can only add
    // requirements).
    let root = settings.trust_root.as_deref();
    // An agent's key never approves nor denies (whatever name its key file says).
    if let Some((name, _)) = root.and_then(|r| r.agent_with_key(&key.public())) {
        return Err(Error::TrustRefused {
            reason: format!(
                "the key {} is agent `{name}`'s in the trust root: an agent proposes plans, never approves or denies them",
                key.public().fingerprint()
            ),
        });
    }
    let listed = match root {
        Some(r) => r
            .approvers
            .get(&key.name)
            .is_some_and(|p| p.key == key.public()),
        None => policy
            .approval
            .as_ref()
            .and_then(|r| r.approvers.get(&key.name))
            .is_some_and(|a| a.key == key.public()),
    };
    if !listed {
        let approvers: Vec<String> = match root {
            Some(r) => r.approvers.keys().cloned().collect(),
            None => policy
                .approval
                .as_ref()
                .map(|r| r.approvers.keys().cloned().collect())
                .unwrap_or_default(),
        };
        return Err(Error::ApproveKeyNotListed {
            key: super::display_path(&o.key),
            name: key.name.clone(),
            fingerprint: key.public().fingerprint(),
            policy: match root {
                Some(r) => format!("the pinned trust root (version {})", r.version()),
                None => policy
                    .approval
                    .as_ref()
                    .map_or(policy_name, |r| r.source.clone()),
            },
            listed: if approvers.is_empty() {
                "it lists no approver (no `approval` block)".into()
            } else {
                format!("it lists {}", approvers.join(", "))
            },
        });
    }
    Ok(())
}

/// Shows on stderr the summary the approver signs, the trust root it is signed under, and
/// warnings when `apply` would refuse this approval.
fn show_summary(plan: &crate::model::plan::Plan, key: &KeyFile, root: Option<&crate::trust::Root>) {
    eprint!(
        "{}",
        crate::mask::clean_text(&crate::render::plan_summary::approval_summary(plan))
    );
    if key.name.eq_ignore_ascii_case(plan.author.actor.trim()) {
        eprintln!(
            "warning: you ({}) are this plan's author: `apply` will refuse your approval of it",
            crate::mask::clean(&key.name)
        );
    }
    // The trust root the approver signs under (the summary lists the plan's inputs, its
    // `trust_root` among them).
    match (root, &plan.inputs.trust_root) {
        (Some(r), planned) => {
            eprintln!("Trust root: version {} ({})", r.version(), r.digest);
            if planned.as_deref() != Some(r.digest.as_str()) {
                eprintln!(
                    "warning: this plan was not made under the pinned trust root: `apply` will refuse it"
                );
            }
            match r.approver_with_key(&key.public()) {
                Some((name, person)) if r.is_author(name, person, plan) => eprintln!(
                    "warning: the trust root says you ({name}) are this plan's author (key, AWS principal or CI identity): `apply` will refuse your approval of it"
                ),
                _ => {}
            }
        }
        (None, Some(d)) => eprintln!("Trust root: {d} (not pinned here)"),
        (None, None) => eprintln!("Trust root: none"),
    }
}

/// Posts a token to the approval service (`--service URL`), on a runtime of its own.
fn post(url: &str, digest: &str, what: &str, token: &str) -> Result<()> {
    let view = std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| Error::ServiceCall {
                    url: crate::mask::mask_url(url),
                    reason: e.to_string(),
                })?;
            rt.block_on(super::serve::post_token(url, digest, what, token))
        })
        .join()
        .unwrap_or_else(|_| {
            Err(Error::ServiceCall {
                url: crate::mask::mask_url(url),
                reason: "the client thread panicked".into(),
            })
        })
    })?;
    crate::render::notice::line(&format!(
        "Sent to {}: the request is {} ({} of {} approvals)",
        crate::mask::mask_url(url),
        view.state,
        view.approvals.len(),
        view.required
    ));
    Ok(())
}

/// `approve --deny REASON`: a signed denial, printed alone on stdout (and posted with
/// `--service`).
fn deny(
    o: &ApproveOptions,
    settings: &Settings,
    plan: &crate::model::plan::Plan,
    key: &KeyFile,
    reason: &str,
) -> Result<Outcome> {
    let reason = crate::mask::clean(reason);
    if reason.trim().is_empty() {
        return Err(Error::Usage("--deny needs a reason".into()));
    }
    let denial = key.deny(&plan.digest, &reason, settings.now);
    Log::open(&settings.audit_log).append(
        &super::trust::details(
            Entry::new(&settings.audit_origin(), "approve", Audited::Refused),
            settings,
        )
        .plan(&plan.digest)
        .reason(format!("denied by {}: {reason}", key.name))
        .detail("approver", &key.name)
        .detail("key_fingerprint", key.public().fingerprint()),
    )?;
    eprintln!("Denied by {}: {reason}", key.name);
    crate::render::emit(&format!("{denial}\n"), None)?;
    if let Some(url) = &o.service {
        post(url, &plan.digest, "denials", &denial.to_string())?;
    }
    Ok(Outcome::Clean)
}
