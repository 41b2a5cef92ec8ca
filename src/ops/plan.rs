//! `driftgate plan`: the scan's first half (`scan::evaluate`), then the pure planner, the plan
//! file (with its digest) and the command that applies it. A scan that could not see
//! everything is never planned from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

use crate::model::Value;
use crate::model::plan::{Action, Author, Inputs, Plan, StateInput};
use crate::ops::scan::{self, Evaluation, ScanOptions};
use crate::ops::{Outcome, ReportFormat, Settings};
use crate::planner::{self, PlanInput, PlanOptions};
use crate::policy::Policy;
use crate::render;

/// What `driftgate plan` was asked for.
#[derive(Debug, Clone)]
pub struct PlanCommand {
    /// The scan the plan answers (its format and `out` are not used).
    pub scan: ScanOptions,
    /// Where to write the plan file.
    pub out: PathBuf,
    /// Address globs (or `TYPE.ID` of unmanaged objects); all findings when empty.
    pub targets: Vec<String>,
    /// `--accept`: address globs of changed resources whose cloud value the configuration
    /// takes, instead of a revert.
    pub accept: Vec<String>,
    /// How long the plan stays valid.
    pub ttl: time::Duration,
    pub allow_disruptive: bool,
    /// Plan the deletion of unmanaged objects (subject to the guardrails).
    pub delete_unmanaged: bool,
    pub format: ReportFormat,
    /// `--notify URL` (repeatable) and `--notify-format`.
    pub notify: Vec<String>,
    pub notify_format: Option<crate::notify::Format>,
    /// `--sign KEY`: the author's private key; the plan's digest is signed with it.
    pub sign: Option<PathBuf>,
}

/// Plans, then appends the run's audit entry: the plan's digest and inputs, or the error.
pub async fn run(args: &PlanCommand, settings: &Settings) -> Result<Outcome> {
    super::notify::check_urls(&args.notify)?;
    let mut logged =
        crate::audit::Entry::new(&settings.audit_origin(), "plan", crate::audit::Outcome::Ok);
    let result = plan(args, settings, &mut logged).await;
    logged.outcome = match &result {
        Ok(Outcome::Clean) => crate::audit::Outcome::Ok,
        Ok(Outcome::Drift) => crate::audit::Outcome::Drift,
        Ok(Outcome::Incomplete) => crate::audit::Outcome::Incomplete,
        Err(_) => crate::audit::Outcome::Failed,
    };
    if let Err(e) = &result {
        logged = logged.reason(e.to_string());
    }
    let appended = crate::audit::Log::open(&settings.audit_log).append(&logged);
    let outcome = result?;
    appended.map(|_| outcome)
}

async fn plan(
    args: &PlanCommand,
    settings: &Settings,
    logged: &mut crate::audit::Entry,
) -> Result<Outcome> {
    let (plan, blocks) = make(args, settings, logged, None).await?;
    show(args, settings, &plan, &blocks).await?;
    Ok(if plan.has_actions() {
        Outcome::Drift
    } else {
        Outcome::Clean
    })
}

/// Makes the plan (signed with `args.sign`) and says it in `logged`, printing nothing.
/// `agent`: the trust root's agent whose key `args.sign` is (`driftgate mcp`): the plan's
/// author is that agent (`author.kind = "agent"`).
pub(crate) async fn make(
    args: &PlanCommand,
    settings: &Settings,
    logged: &mut crate::audit::Entry,
    agent: Option<&str>,
) -> Result<(Plan, scan::PolicyBlocks)> {
    let scan_args = &args.scan;
    let key = args
        .sign
        .as_deref()
        .map(super::approve::read_key)
        .transpose()?;
    if let Some(root) = &settings.trust_root {
        check_root(scan_args, settings, root, key.as_ref(), agent)?;
    } else if agent.is_some() {
        return Err(Error::TrustRefused {
            reason: "an agent's plan is made under a pinned trust root, which lists the agent"
                .into(),
        });
    }
    let ev = scan::evaluate(scan_args, settings).await?;
    if !ev.report.is_complete() {
        return Err(Error::PlanIncompleteScan);
    }
    if !args.accept.is_empty() && ev.config.is_none() {
        return Err(Error::PlanAcceptNeedsConfig);
    }
    let policy = scan::load_policy(scan_args, settings)?;
    let blocks = scan::PolicyBlocks::of(&policy)?;
    let options = plan_options(args, &ev, &blocks);
    check_selection(&options, &ev)?;
    let actions = plan_actions(&ev, &policy, &options)?.map_err(|b| Error::PlanBadTarget {
        glob: b.glob,
        reason: b.reason,
    })?;
    if let Some(at) = planner::clear_secret(&actions) {
        return Err(Error::PlanClearSecret { at });
    }
    let inputs = inputs(&ev, scan_args, settings)?;
    let mut author = author(scan_args, settings, &ev, key.as_ref()).await?;
    if let Some(name) = agent {
        author.kind = Some(crate::model::plan::AGENT_KIND.into());
        author.agent = Some(name.to_string());
        author.actor = name.to_string();
    }
    let mut plan = planner::seal(actions, inputs, author, settings.now, args.ttl);
    if let Some(k) = &key {
        sign(&mut plan, k, logged);
    }
    log_plan(&plan, settings, logged);
    Ok((plan, blocks))
}

/// Under a pinned trust root: the policy may not lower what the root requires, and the
/// author is a key of the root (so that what the plan says of its author is bound).
fn check_root(
    scan_args: &ScanOptions,
    settings: &Settings,
    root: &crate::trust::Root,
    key: Option<&crate::approval::KeyFile>,
    agent: Option<&str>,
) -> Result<()> {
    let policy = scan::load_policy(scan_args, settings)?;
    let blocks = scan::PolicyBlocks::of(&policy)?;
    let lowered = root.lowered_by(
        blocks.approval.as_ref(),
        &crate::planner::guardrail::names_in_force(&blocks.guardrails),
        &policy.regrades,
    );
    if !lowered.is_empty() {
        return Err(Error::TrustRefused {
            reason: format!(
                "the policy lowers what the trust root (version {}) requires: {}",
                root.version(),
                lowered.join("; ")
            ),
        });
    }
    if let Some(name) = agent {
        return match (key, root.agents.get(name)) {
            (Some(k), Some(a)) if a.key == k.public() => Ok(()),
            _ => Err(Error::TrustRefused {
                reason: format!(
                    "the agent's key is not agent `{name}`'s in the trust root (version {})",
                    root.version()
                ),
            }),
        };
    }
    match key {
        None => Err(Error::TrustRefused {
            reason: "a plan must be signed by its author: `driftgate plan --sign KEY` with an approver's key of the root".into(),
        }),
        Some(k) if root.approver_with_key(&k.public()).is_none() => Err(Error::TrustRefused {
            reason: format!(
                "the key given to --sign ({}) is not an approver's key of the trust root",
                k.public().fingerprint()
            ),
        }),
        Some(_) => Ok(()),
    }
}

/// The planner's options: what was asked, with the policy's relaxed guardrails.
fn plan_options(args: &PlanCommand, ev: &Evaluation, blocks: &scan::PolicyBlocks) -> PlanOptions {
    PlanOptions {
        // The built-in `disruptive` guardrail: relaxed only by naming it in the policy.
        allow_disruptive: args.allow_disruptive
            || planner::guardrail::relaxed(&blocks.guardrails, planner::guardrail::DISRUPTIVE),
        targets: args.targets.clone(),
        min_severity: ev.report.fail_on,
        accept: args.accept.clone(),
        delete_unmanaged: args.delete_unmanaged,
    }
}

/// A pattern that selects nothing is a typo, not "nothing to do" (and an accept that selects
/// nothing must not leave the change to be reverted): refused before anything is written.
fn check_selection(options: &PlanOptions, ev: &Evaluation) -> Result<()> {
    match planner::unmatched(options, &ev.report.findings) {
        Err(b) => Err(Error::PlanBadTarget {
            glob: b.glob,
            reason: b.reason,
        }),
        Ok(Some(u)) => Err(no_match(u)),
        Ok(None) => Ok(()),
    }
}

/// Who makes the plan, with their AWS identity when the plan is made from the live cloud.
async fn author(
    scan_args: &ScanOptions,
    settings: &Settings,
    ev: &Evaluation,
    key: Option<&crate::approval::KeyFile>,
) -> Result<Author> {
    // Only for a plan made from the live cloud: a plan made offline (`--observed`) says
    // nothing of who would apply it in AWS, and makes no call.
    let aws_caller_arn = if ev.live {
        let sdk = crate::aws_client::load_sdk_config(&scan_args.regions).await?;
        crate::provider::aws::caller_arn(&sdk).await
    } else {
        None
    };
    if ev.live && aws_caller_arn.is_none() && settings.trust_root.is_some() {
        return Err(Error::TrustRefused {
            reason: "STS GetCallerIdentity did not answer: a live plan under a pinned trust root records who made it in AWS, never nothing".into(),
        });
    }
    Ok(Author {
        actor: settings.actor.clone(),
        aws_caller_arn,
        ci: settings.ci_identity.clone(),
        os_user: settings.os_user.clone(),
        key: key.map(|k| k.public().to_string()),
        signature: None,
        kind: None,
        agent: None,
    })
}

/// Signs the plan's digest with the author's key (its fingerprint goes to the audit entry).
fn sign(plan: &mut Plan, k: &crate::approval::KeyFile, logged: &mut crate::audit::Entry) {
    use base64::Engine as _;
    let sig = k.sign(crate::trust::PLAN_DOMAIN, plan.digest.as_bytes());
    plan.author.signature = Some(base64::engine::general_purpose::STANDARD.encode(sig));
    logged
        .details
        .insert("author_key".into(), k.public().fingerprint());
}

/// The audit entry's account of the plan: its digest, author, trust root and inputs.
fn log_plan(plan: &Plan, settings: &Settings, logged: &mut crate::audit::Entry) {
    if let Some(arn) = &plan.author.aws_caller_arn {
        logged.details.insert("author_aws".into(), arn.clone());
    }
    if let Some(r) = &settings.trust_root {
        logged
            .details
            .insert("trust_root_version".into(), r.version().to_string());
        logged.inputs.insert("trust_root".into(), r.digest.clone());
    }
    logged.plan = Some(plan.digest.clone());
    for s in &plan.inputs.states {
        logged.inputs.insert(
            format!("state:{}", s.source),
            format!("sha256:{}", s.sha256),
        );
    }
    if let Some(c) = &plan.inputs.configuration {
        logged.inputs.insert("config".into(), format!("sha256:{c}"));
    }
    if let Some(p) = &plan.inputs.policy {
        logged.inputs.insert("policy".into(), format!("sha256:{p}"));
    }
}

/// Writes the plan file (when it has actions), prints the plan, and notifies it.
async fn show(
    args: &PlanCommand,
    settings: &Settings,
    plan: &Plan,
    blocks: &scan::PolicyBlocks,
) -> Result<()> {
    let out = super::display_path(&args.out);
    let config = args.scan.config.as_deref().map(super::display_path);
    if plan.has_actions() {
        render::emit(&crate::plan_file::write(plan), Some(&args.out))?;
    }
    let text = match args.format {
        ReportFormat::Table => render::plan_summary::render_table(
            plan,
            &out,
            config.as_deref(),
            blocks.approval.as_ref(),
            settings.width,
        ),
        ReportFormat::Json => render::plan_summary::render_json(
            plan,
            &out,
            config.as_deref(),
            blocks.approval.as_ref(),
        ),
    };
    render::emit(&text, None)?;
    if plan.has_actions() {
        let targets = super::notify::targets(&args.notify, args.notify_format, &blocks.notify);
        let message =
            crate::notify::message::approval_request(plan, &out, blocks.approval.as_ref());
        super::notify::deliver(&targets, &message, settings, Some(&plan.digest)).await;
    }
    Ok(())
}

/// The refusal of a pattern that matches nothing: the nearest names, else those it could match.
fn no_match(u: planner::Unmatched) -> Error {
    let list = |names: &[String]| {
        let shown: Vec<&str> = names.iter().take(8).map(String::as_str).collect();
        let more = names.len().saturating_sub(shown.len());
        let mut s = shown.join(", ");
        if more > 0 {
            s.push_str(&format!(" (and {more} more)"));
        }
        s
    };
    let help = if !u.nearest.is_empty() {
        format!("did you mean {}?", u.nearest.join(" or "))
    } else if u.known.is_empty() {
        format!("this scan found no {}", u.what)
    } else {
        format!("the {}s it could match: {}", u.what, list(&u.known))
    };
    Error::PlanNoMatch {
        flag: u.flag.into(),
        glob: u.glob,
        what: u.what.into(),
        help,
    }
}

/// The planner over an evaluated scan, as `plan` and `apply` (planning again to check for
/// staleness) both run it: build, then the guardrails, then the configuration edits of the
/// actions the guardrails left planned (so each edit's hashes assume exactly the edits that
/// run before it). The outer error is reading the configuration's files.
pub(crate) fn plan_actions(
    ev: &Evaluation,
    policy: &Policy,
    options: &PlanOptions,
) -> Result<std::result::Result<Vec<Action>, planner::BadTarget>> {
    let files = config_files(ev)?;
    let key = planner::expectation_key(&ev.states);
    let input = PlanInput {
        registry: &ev.registry,
        findings: &ev.report.findings,
        states: &ev.states,
        options,
        key: &key,
        config: ev.config.as_ref().map(|(_, c)| planner::ConfigInput {
            configuration: c,
            files: &files,
        }),
        observation: Some(&ev.observation),
        unit_reverts: &crate::provider::aws::unit_reverts(),
    };
    let rails = planner::guardrail::in_force(&scan::PolicyBlocks::of(policy)?.guardrails);
    Ok(planner::build(&input).map(|mut actions| {
        guard(&mut actions, &rails, ev);
        planner::finish_edits(&mut actions, &input);
        actions
    }))
}

/// The text of the configuration files a plan may edit: each file a resource block is in,
/// and the import file when it exists. Empty without a configuration.
pub fn config_files(ev: &Evaluation) -> Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    let Some((dir, config)) = &ev.config else {
        return Ok(out);
    };
    let mut names: Vec<String> = config
        .resources
        .iter()
        .map(|r| r.source.file.clone())
        .collect();
    names.push(planner::IMPORT_FILE.to_string());
    names.sort();
    names.dedup();
    for name in names {
        let path = dir.join(&name);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                out.insert(name, text);
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::ConfigRead {
                    path: super::display_path(&path),
                    source,
                });
            }
        }
    }
    Ok(out)
}

/// Applies the guardrails in force (the policy's and the built-ins it does not name) to the
/// actions; a resource's tags are the recorded ones, else (unmanaged) the observed ones.
fn guard(actions: &mut [Action], rails: &[planner::guardrail::Guardrail], ev: &Evaluation) {
    if rails.is_empty() {
        return;
    }
    let text_map = |v: Option<&Value>| -> BTreeMap<String, String> {
        v.and_then(Value::as_map)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| match v {
                        Value::Sensitive(_) => None,
                        v => v.scalar_text().map(|t| (k.clone(), t)),
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let tags_of = |a: &Action| -> BTreeMap<String, String> {
        match &a.address {
            Some(addr) => text_map(
                ev.states
                    .iter()
                    .flat_map(|s| s.resources.iter())
                    .find(|r| &r.address == addr)
                    .and_then(|r| r.attributes.get("tags")),
            ),
            None => text_map(
                ev.observation
                    .resources
                    .iter()
                    .find(|o| o.resource_type == a.resource_type && o.cloud_id == a.resource_id)
                    .and_then(|o| o.attributes.get("tags")),
            ),
        }
    };
    planner::guardrail::guard(actions, rails, &tags_of);
}

/// The inputs a plan depends on, as they are now: each state's identity and SHA-256, and the
/// digests of the configuration, the policy and a recorded observation. `apply` compares
/// these with the plan's.
pub fn inputs(ev: &Evaluation, scan_args: &ScanOptions, settings: &Settings) -> Result<Inputs> {
    Ok(Inputs {
        states: ev
            .states
            .iter()
            .map(|s| StateInput {
                source: s.source.clone(),
                lineage: s.lineage.clone(),
                serial: s.serial,
                sha256: s.sha256.clone(),
            })
            .collect(),
        configuration: scan::configuration_dir(scan_args, settings)
            .map(|d| configuration_digest(&d))
            .transpose()?,
        policy: policy_digest(scan_args, settings)?,
        trust_root: settings.trust_root.as_ref().map(|r| r.digest.clone()),
        observation: scan_args
            .observed
            .as_deref()
            .map(|p| {
                observation_digest(p).map_err(|(p, e)| Error::ObservationRead {
                    path: p,
                    reason: e.to_string(),
                })
            })
            .transpose()?,
    })
}

/// The configuration's digest: a labelled structure (`plan_file::digest::labelled`) naming each
/// top-level `.tf` file with its SHA-256.
fn configuration_digest(dir: &Path) -> Result<String> {
    let read_err = |e: std::io::Error| Error::ConfigRead {
        path: super::display_path(dir),
        source: e,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(read_err)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tf") && p.is_file())
        .collect();
    files.sort();
    let mut parts = serde_json::Map::new();
    for f in files {
        let bytes = std::fs::read(&f).map_err(read_err)?;
        let name = f.file_name().map(|n| n.to_string_lossy().into_owned());
        parts.insert(
            name.unwrap_or_default(),
            hex::encode(Sha256::digest(&bytes)).into(),
        );
    }
    Ok(crate::plan_file::digest::labelled(
        "driftgate-configuration-v1",
        serde_json::json!({ "tf_files": parts }),
    ))
}

/// The policy's digest: a labelled structure (`plan_file::digest::labelled`) with the SHA-256 of
/// the policy file and of ./.driftignore, each `null` when absent; `None` when both are (the
/// built-in policy). A `.driftignore` holding a policy file's bytes is another digest.
pub(crate) fn policy_digest(args: &ScanOptions, settings: &Settings) -> Result<Option<String>> {
    let ignore = settings.cwd.join(".driftignore");
    let part = |p: Option<&Path>| -> Result<serde_json::Value> {
        match p {
            None => Ok(serde_json::Value::Null),
            Some(p) => file_sha256(p)
                .map(Into::into)
                .map_err(|(path, source)| Error::PolicyRead { path, source }),
        }
    };
    let file = scan::policy_file(args, settings).map(|(p, _)| p);
    let ignore = ignore.exists().then_some(ignore);
    if file.is_none() && ignore.is_none() {
        return Ok(None);
    }
    Ok(Some(crate::plan_file::digest::labelled(
        "driftgate-policy-v1",
        serde_json::json!({
            "policy_file": part(file.as_deref())?,
            "driftignore": part(ignore.as_deref())?,
        }),
    )))
}

/// The recorded observation's digest: a labelled structure with the file's SHA-256.
fn observation_digest(path: &Path) -> Result<String, (String, std::io::Error)> {
    Ok(crate::plan_file::digest::labelled(
        "driftgate-observation-v1",
        serde_json::json!({ "observation_file": file_sha256(path)? }),
    ))
}

/// The hex SHA-256 of a file; on failure, the file that could not be read.
fn file_sha256(path: &Path) -> Result<String, (String, std::io::Error)> {
    let bytes = std::fs::read(path).map_err(|e| (super::display_path(path), e))?;
    Ok(hex::encode(Sha256::digest(&bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(cwd: &Path) -> Settings {
        Settings {
            progress: false,
            color: false,
            width: None,
            fingerprint_key: None,
            today: time::Date::MIN,
            cwd: cwd.to_path_buf(),
            now: time::OffsetDateTime::UNIX_EPOCH,
            actor: "t".into(),
            args: Vec::new(),
            audit_log: cwd.join("audit.jsonl"),
            step_summary: None,
            api_pace: Default::default(),
            ci: false,
            ci_identity: None,
            os_user: None,
            trust_pin: None,
            trust_root: None,
        }
    }

    /// The attack of issue 16: a directory with no `driftgate.hcl` and a `.driftignore`
    /// holding the policy file's bytes hashed the same, so `apply` took the built-in policy
    /// (no approvals) as the one the plan was graded under.
    #[test]
    fn a_driftignore_holding_the_policy_bytes_is_another_policy() {
        let policy = "approval {\n  required = 2\n}\n";
        let a = tempfile::tempdir().unwrap();
        std::fs::write(a.path().join("driftgate.hcl"), policy).unwrap();
        let b = tempfile::tempdir().unwrap();
        std::fs::write(b.path().join(".driftignore"), policy).unwrap();
        let none = tempfile::tempdir().unwrap();
        let args = ScanOptions::default();
        let da = policy_digest(&args, &settings(a.path())).unwrap();
        let db = policy_digest(&args, &settings(b.path())).unwrap();
        assert!(da.is_some() && db.is_some());
        assert_ne!(da, db);
        assert_eq!(policy_digest(&args, &settings(none.path())).unwrap(), None);
        // Both files: another digest again, and stable.
        std::fs::write(a.path().join(".driftignore"), "").unwrap();
        let both = policy_digest(&args, &settings(a.path())).unwrap();
        assert_ne!(both, da);
        assert_eq!(both, policy_digest(&args, &settings(a.path())).unwrap());
    }
}
