//! `driftgate keygen` (a new approver key) and `driftgate approve` (sign an approval of a
//! plan). The private key file is written with mode 0600 and refused at use when the group or
//! others can read it; its content is never printed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::approval::{KeyFile, valid_name};
use crate::audit::{Entry, Log, Outcome as Audited};
use crate::error::{Error, Result};
use crate::ops::{Outcome, Settings};
use crate::plan;

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
    let plan = plan::file::read(&shown, &text, settings.now)?;
    let key = read_key(&o.key)?;
    eprint!("{}", crate::render::plan::approval_summary(&plan));
    if key.name.eq_ignore_ascii_case(plan.author.actor.trim()) {
        eprintln!(
            "warning: you ({}) are this plan's author: `apply` will refuse your approval of it",
            key.name
        );
    }
    // What the approver signs under: the policy and the trust root the plan was graded under.
    eprintln!(
        "Policy: {}",
        plan.inputs
            .policy
            .as_deref()
            .map_or("none (the built-in defaults)".into(), |p| format!(
                "sha256:{p}"
            ))
    );
    let root = settings.trust_root.as_deref();
    match (root, &plan.inputs.trust_root) {
        (Some(r), planned) => {
            eprintln!("Trust root: version {} ({})", r.version(), r.digest);
            if planned.as_deref() != Some(r.digest.as_str()) {
                eprintln!(
                    "warning: this plan was not made under the pinned trust root: `apply` will refuse it"
                );
            }
            match r.approver_with_key(&key.public()) {
                None => eprintln!(
                    "warning: your key ({}) is not in the trust root: `apply` will not count your approval",
                    key.public().fingerprint()
                ),
                Some((name, person)) if r.is_author(name, person, &plan) => eprintln!(
                    "warning: the trust root says you ({name}) are this plan's author (key, AWS principal or CI identity): `apply` will refuse your approval of it"
                ),
                Some(_) => {}
            }
        }
        (None, Some(d)) => eprintln!("Trust root: {d} (not pinned here)"),
        (None, None) => eprintln!("Trust root: none"),
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
        .detail("approval_expires", plan::wire::format_time(expires)),
    )?;
    eprintln!(
        "Approved by {} until {}. Give this token to whoever runs `driftgate apply {} --approve TOKEN`:",
        key.name,
        plan::wire::format_time(expires),
        plan::shell_word(&shown)
    );
    crate::render::emit(&format!("{approval}\n"), None)?;
    Ok(Outcome::Clean)
}
