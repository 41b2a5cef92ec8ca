//! `driftgate apply PLAN --approve TOKEN [--dry-run]`: verify the plan (digest and expiry when
//! it is read, then the token, the inputs and the live cloud: `apply::verify`), then execute its
//! planned actions one by one, stop at the first failure, re-observe and say per action whether
//! the drift is gone. Every refusal, action and outcome is audited, each write ahead of itself
//! (an `intent` entry, then its outcome). A second apply of the same plan, or a concurrent one,
//! is refused wherever the applied store (`--applied-store`) is shared.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::rc::Rc;

use crate::apply::{self, Done, Refusal, VerifiedPlan, aws::Clients};
use crate::audit::{ActionRef, Entry, Log, Outcome as Audited};
use crate::error::{Error, Result};
use crate::model::plan::{Action, ActionKind, Arg, Call, Plan};
use crate::model::{DriftKind, RecordedState, Secret, Segment, Value};
use crate::ops::checkpoint::Tracked;
use crate::ops::scan::{Evaluation, ScanOptions};
use crate::ops::{Outcome, ReportFormat, Settings};
use crate::planner::PlanOptions;
use crate::render;

/// What `driftgate apply` was asked for.
#[derive(Debug, Clone)]
pub struct ApplyOptions {
    pub plan: PathBuf,
    /// `--approve` (repeatable): the token `driftgate plan` printed, or signed approvals
    /// (`driftgate approve`) when the policy has an `approval` block.
    pub approve: Vec<String>,
    /// Every check, no change: print the calls it would make.
    pub dry_run: bool,
    /// The configuration and policy the plan was made with (same defaults as `plan`).
    pub config: Option<PathBuf>,
    pub policy: Option<PathBuf>,
    pub format: ReportFormat,
    /// `--notify URL` (repeatable) and `--notify-format`.
    pub notify: Vec<String>,
    pub notify_format: Option<crate::notify::Format>,
    /// `--audit-key` and `--audit-checkpoint`: a signed checkpoint after the apply.
    pub checkpoint: super::checkpoint::CheckpointOptions,
    /// `--applied-store`: where the applied markers and the lock live (default: `./.driftgate`).
    pub applied_store: Option<crate::store::Location>,
    /// `--no-trust-root`: apply where CI is set without a pinned trust root (audited).
    pub no_trust_root: bool,
    /// `--approval-service URL --wait D`: wait for the service's verdict and apply with the
    /// approvals it collected (each verified here again, as any `--approve`).
    pub wait: Option<(String, std::time::Duration)>,
}

fn action_ref(a: &Action) -> ActionRef {
    ActionRef {
        id: a.id.clone(),
        kind: a.kind.as_str().to_string(),
        address: a.address.as_ref().map(ToString::to_string),
        resource_id: Some(a.resource_id.clone()),
    }
}

/// The value a `FromState` argument refers to, read from the states read again (whose bytes
/// `verify` checked against the plan's digests).
/// Every text read from the state for a `FromState` argument lands in `restored`, so that an
/// AWS error message that echoes the value it was sent is scrubbed before it is printed or
/// logged (`mask::scrub_known`).
fn resolver<'a>(
    states: &'a [RecordedState],
    restored: &'a std::sync::Mutex<Vec<String>>,
) -> impl Fn(&Arg) -> std::result::Result<Value, String> + Sync + 'a {
    move |arg: &Arg| match arg {
        Arg::Value(v) => Ok(v.clone()),
        Arg::FromState(at) => {
            let r = states
                .iter()
                .filter(|s| s.source == at.state)
                .flat_map(|s| s.resources.iter())
                .find(|r| r.address == at.address)
                .ok_or_else(|| format!("{} is no longer in {}", at.address, at.state))?;
            let mut cur: Option<&Value> = None;
            for (i, seg) in at.path.0.iter().enumerate() {
                let next = match (i, seg, cur) {
                    (0, Segment::Key(k), _) => r.attributes.get(k),
                    (_, Segment::Key(k), Some(v)) => clear(v).as_map().and_then(|m| m.get(k)),
                    (_, Segment::Index(n), Some(v)) => clear(v).as_list().and_then(|l| l.get(*n)),
                    _ => None,
                };
                cur =
                    Some(next.ok_or_else(|| {
                        format!("{} has no {} in {}", at.address, at.path, at.state)
                    })?);
            }
            let v = cur
                .map(|v| clear(v).clone())
                .ok_or_else(|| format!("an empty path into {}", at.address))?;
            if let (Some(text), Ok(mut restored)) = (v.scalar_text(), restored.lock()) {
                restored.push(text);
            }
            Ok(v)
        }
    }
}

fn clear(v: &Value) -> &Value {
    match v {
        Value::Sensitive(Secret::Clear(inner)) => inner,
        other => other,
    }
}

/// The scan options that reproduce the plan's scan against the live cloud.
fn scan_options(plan: &Plan, o: &ApplyOptions) -> ScanOptions {
    ScanOptions {
        states: plan
            .inputs
            .states
            .iter()
            .map(|s| s.source.0.clone())
            .collect(),
        config: o.config.clone(),
        policy: o.policy.clone(),
        whole_objects: true,
        // Before and after writing, only what the plan's actions are about is re-observed.
        touched: Some(super::touched::Touched::of(&plan.actions)),
        ..ScanOptions::default()
    }
}

/// Whether the finding an action answered is still there after apply. An accept or import
/// changed the configuration, not the cloud or the state: its finding stays until terraform
/// runs its follow-up, so it is not asked about here.
fn still_drifted(a: &Action, ev: &Evaluation) -> bool {
    if matches!(a.kind, ActionKind::Accept | ActionKind::Import) {
        return false;
    }
    ev.report.findings.iter().any(|f| {
        let d = &f.drift;
        let same = d.resource_type == a.resource_type
            && match &a.address {
                Some(addr) => d.address.as_ref() == Some(addr),
                None => d.id == a.resource_id,
            };
        same && match d.kind {
            DriftKind::Changed => d
                .changes
                .iter()
                .any(|c| a.changes.iter().any(|p| p.path == c.path)),
            _ => true,
        }
    })
}

/// What `apply` reports to the notification targets when it is done.
#[derive(Default)]
struct Note {
    plan: Option<String>,
    message: Option<crate::notify::Message>,
    /// The policy's `notify` targets, once the policy is read.
    policy_targets: Vec<crate::notify::Target>,
}

pub async fn run(o: &ApplyOptions, settings: &Settings) -> Result<Outcome> {
    super::notify::check_urls(&o.notify)?;
    // Waiting comes before everything else (no lock taken, nothing read from AWS): an
    // interrupted wait leaves nothing behind. The service's tokens only join `--approve`.
    let waited;
    let o = match &o.wait {
        Some((url, wait)) => {
            let mut with = o.clone();
            with.approve
                .extend(super::serve::wait_for_approvals(url, *wait, &o.plan, settings).await?);
            waited = with;
            &waited
        }
        None => o,
    };
    let checkpoints = o.checkpoint.enabled()?;
    let store = match &o.applied_store {
        Some(l) => l.clone(),
        None => {
            if settings.ci {
                crate::render::notice::line(
                    "warning: no --applied-store (DRIFTGATE_APPLIED_STORE): the applied markers and the apply lock are in this checkout's .driftgate/ only, so another checkout can apply this plan again (docs/approvals.md)",
                );
            }
            crate::store::local(&settings.cwd)
        }
    };
    let note = RefCell::new(Note::default());
    let log = Tracked::new(Log::open(&settings.audit_log));
    let held = RefCell::new(None);
    let mut result = execute(o, settings, &note, &log, &store, &held).await;
    if let Some(held) = held
        .take()
        .and_then(|h: Rc<apply::store::Held>| Rc::into_inner(h))
        && let Err(e) = held.release().await
    {
        crate::render::notice::line(&format!("error: the apply lock was not released: {e}"));
        result = result.and(Err(e));
    }
    // A signed checkpoint of the head this run's last append returned.
    if checkpoints && let Some(head) = log.last() {
        let written = super::checkpoint::write(&o.checkpoint, log.log(), &head, settings.now).await;
        if let Err(e) = written {
            result = result.and(Err(e));
        }
    }
    // The approval service hears that the plan it approved was applied (its chat message
    // says so). Only a clean apply; a failed call is a warning, the apply stands.
    let digest = note.borrow().plan.clone();
    if let (Some((url, _)), Ok(Outcome::Clean), Some(digest)) = (&o.wait, &result, digest)
        && let Err(e) = super::serve::applied(url, &digest).await
    {
        crate::render::notice::line(&format!(
            "warning: the approval service was not told the plan was applied: {e}"
        ));
    }
    let note = note.into_inner();
    if let Some(message) = &note.message {
        let targets = super::notify::targets(&o.notify, o.notify_format, &note.policy_targets);
        super::notify::deliver(&targets, message, settings, note.plan.as_deref()).await;
    }
    result
}

/// What the steps of one apply share: what was asked, the settings, the audit log and the
/// notification to send.
struct Ctx<'a> {
    o: &'a ApplyOptions,
    settings: &'a Settings,
    note: &'a RefCell<Note>,
    log: &'a Tracked,
    origin: crate::audit::Origin,
}

/// A step's answer: go on with its value, or stop the apply with this outcome (a refusal,
/// already audited and reported).
type Step<T> = Result<std::result::Result<T, Outcome>>;

/// Goes on with a step's value, or returns the outcome it stopped with.
macro_rules! step {
    ($e:expr) => {
        match $e? {
            Ok(v) => v,
            Err(stopped) => return Ok(stopped),
        }
    };
}

impl Ctx<'_> {
    /// Audits a refusal (with the approver and key it names), says it, and notifies it.
    fn refuse_as(
        &self,
        plan: Option<&str>,
        refusal: Option<&Refusal>,
        reason: String,
    ) -> Result<Outcome> {
        let mut e = super::trust::details(
            Entry::new(&self.origin, "apply", Audited::Refused)
                .reason(reason.clone())
                .dry_run(self.o.dry_run),
            self.settings,
        );
        if let Some(p) = plan {
            e = e.plan(p);
        }
        if let Some((approver, fingerprint)) = refusal.map(Refusal::approver) {
            if let Some(a) = approver {
                e = e.detail("approver", a);
            }
            if let Some(f) = fingerprint {
                e = e.detail("key_fingerprint", f);
            }
        }
        self.log.append(&e)?;
        render::notice::refused(&reason);
        self.tell(plan, crate::notify::message::refused_message(plan, &reason));
        Ok(Outcome::Incomplete)
    }

    fn refuse(&self, plan: Option<&str>, reason: String) -> Result<Outcome> {
        self.refuse_as(plan, None, reason)
    }

    /// A refusal as a step's answer.
    fn refused<T>(&self, plan: Option<&str>, reason: String) -> Step<T> {
        self.refuse(plan, reason).map(Err)
    }

    /// The notification this apply sends when it is done.
    fn tell(&self, plan: Option<&str>, message: crate::notify::Message) {
        let mut n = self.note.borrow_mut();
        n.plan = plan.map(str::to_string);
        n.message = Some(message);
    }
}

async fn execute(
    o: &ApplyOptions,
    settings: &Settings,
    note: &RefCell<Note>,
    log: &Tracked,
    store: &crate::store::Location,
    held: &RefCell<Option<Rc<apply::store::Held>>>,
) -> Result<Outcome> {
    let cx = Ctx {
        o,
        settings,
        note,
        log,
        origin: settings.audit_origin(),
    };
    let plan = step!(read_plan(&cx));
    let digest = plan.digest.clone();
    step!(check_unpinned(&cx, &digest));
    let lock = step!(take_lock(&cx, store, &digest, held).await);
    // The approvals first: without them nothing else is worth a call to AWS.
    let scan = scan_options(&plan, o);
    let (policy, blocks) = step!(check_policy(&cx, &plan, &scan));
    let root = settings.trust_root.clone();
    let applier = match &root {
        Some(r) => Some(step!(check_root(&cx, r, &plan, &policy, &blocks).await)),
        None => None,
    };
    let consent = apply::Consent {
        given: &o.approve,
        rule: blocks.approval.as_ref(),
        now: settings.now,
        trust: root.as_deref().zip(applier.as_ref()),
    };
    if let Err(denied) = consent.check(&plan) {
        let r = Refusal::of(denied);
        return cx.refuse_as(Some(&digest), Some(&r), r.to_string());
    }
    let (verified, ev) = step!(replan(&cx, plan, &consent, &scan, &policy).await);
    let sdk = step!(bind_account(&cx, &verified).await);
    audit_approvals(&cx, &verified)?;
    if o.dry_run {
        return dry_run(&cx, &verified);
    }
    audit_blocked(&cx, &verified)?;
    let mut outcomes: BTreeMap<String, Done> = BTreeMap::new();
    for a in &verified.plan().actions {
        outcomes.insert(a.id.clone(), Done::LeftForAPerson);
    }
    let writes = Writes {
        cx: &cx,
        digest: &digest,
        fallback: settings.cwd.join(".driftgate").join("audit.fallback.jsonl"),
        changed: Cell::new(false),
    };
    let run_result = run_actions(&writes, &verified, &ev, &sdk, &mut outcomes).await;
    // The cloud changed (or every action ran): this plan is applied, whatever comes next.
    if writes.changed.get() || run_result.is_ok() {
        lock.mark_applied(&crate::plan_file::wire::format_time(settings.now))
            .await?;
    }
    let failed = run_result?;
    finish(&cx, &verified, &scan, outcomes, failed).await
}

/// Reads the plan file; a plan that does not read (digest, expiry) is refused.
fn read_plan(cx: &Ctx<'_>) -> Step<Plan> {
    let shown = super::display_path(&cx.o.plan);
    let text = std::fs::read_to_string(&cx.o.plan).map_err(|source| Error::PlanRead {
        path: shown.clone(),
        source,
    })?;
    match crate::plan_file::read(&shown, &text, cx.settings.now) {
        Ok(p) => Ok(Ok(p)),
        Err(e) => cx.refused(None, e.to_string()),
    }
}

/// No trust root pinned: refused under CI unless `--no-trust-root`, which is audited.
fn check_unpinned(cx: &Ctx<'_>, digest: &str) -> Step<()> {
    if cx.settings.trust_root.is_some() {
        return Ok(Ok(()));
    }
    if cx.settings.ci && !cx.o.no_trust_root {
        return cx.refused(
            Some(digest),
            "CI is set and no trust root is pinned (DRIFTGATE_TRUST_ROOT with DRIFTGATE_TRUST_ROOT_SHA256 or _ADMINS): whoever edits the policy would choose the approvers. Pin a root, or pass --no-trust-root (audited)".into(),
        );
    }
    if cx.o.no_trust_root {
        crate::render::notice::alarm(
            "warning: applying WITHOUT a trust root (--no-trust-root): the approvers are whoever the policy file names",
        );
        cx.log.append(
            &Entry::new(&cx.origin, "apply", Audited::Ok)
                .plan(digest)
                .dry_run(cx.o.dry_run)
                .reason("--no-trust-root: applying without a pinned trust root")
                .detail("no_trust_root", "true"),
        )?;
    }
    Ok(Ok(()))
}

/// Takes the apply lock in the applied store (`held` keeps it for `run` to release); a plan
/// already applied, or being applied, is refused.
async fn take_lock(
    cx: &Ctx<'_>,
    store: &crate::store::Location,
    digest: &str,
    held: &RefCell<Option<Rc<apply::store::Held>>>,
) -> Step<Rc<apply::store::Held>> {
    let holder = format!(
        "{} at {}",
        cx.origin.actor,
        crate::plan_file::wire::format_time(cx.settings.now)
    );
    let lock = match apply::store::take(store, digest, &holder).await? {
        Ok(l) => Rc::new(l),
        Err(why) => return cx.refused(Some(digest), why),
    };
    *held.borrow_mut() = Some(lock.clone());
    if let Some(at) = lock.applied_at().await? {
        return cx.refused(Some(digest), Refusal::AlreadyApplied { at }.to_string());
    }
    Ok(Ok(lock))
}

/// Reads the policy: approvers come from the policy digested into the plan, so a policy that
/// changed since is refused.
fn check_policy(
    cx: &Ctx<'_>,
    plan: &Plan,
    scan: &ScanOptions,
) -> Step<(crate::policy::Policy, super::scan::PolicyBlocks)> {
    let policy = super::scan::load_policy(scan, cx.settings)?;
    let blocks = super::scan::PolicyBlocks::of(&policy)?;
    cx.note.borrow_mut().policy_targets = blocks.notify.clone();
    if super::plan::policy_digest(scan, cx.settings)? != plan.inputs.policy {
        let changed = Refusal::InputsChanged(vec!["the policy file changed".into()]);
        return cx.refused(Some(&plan.digest), changed.to_string());
    }
    Ok(Ok((policy, blocks)))
}

/// Under a pinned trust root: the policy adds to the root, never lowers it; the plan was made
/// under this root and is signed by a key of it; the applier is known (and returned).
async fn check_root(
    cx: &Ctx<'_>,
    r: &crate::trust::Root,
    plan: &Plan,
    policy: &crate::policy::Policy,
    blocks: &super::scan::PolicyBlocks,
) -> Step<crate::trust::Applier> {
    let digest = plan.digest.as_str();
    let lowered = r.lowered_by(
        blocks.approval.as_ref(),
        &crate::planner::guardrail::names_in_force(&blocks.guardrails),
        &policy.regrades,
    );
    if !lowered.is_empty() {
        let why = Refusal::Trust(format!(
            "the policy lowers what the trust root (version {}) requires: {}",
            r.version(),
            lowered.join("; ")
        ));
        return cx.refused(Some(digest), why.to_string());
    }
    if plan.inputs.trust_root.as_deref() != Some(r.digest.as_str()) {
        let changed = crate::apply::changed_inputs(
            &plan.inputs,
            &crate::model::plan::Inputs {
                trust_root: Some(r.digest.clone()),
                ..plan.inputs.clone()
            },
        );
        return cx.refused(Some(digest), Refusal::InputsChanged(changed).to_string());
    }
    if let Err(why) = r.check_author(plan) {
        return cx.refused(Some(digest), Refusal::Trust(why).to_string());
    }
    let regions: Vec<String> = plan
        .actions
        .iter()
        .filter_map(|a| a.region.clone())
        .take(1)
        .collect();
    let sdk = crate::aws_client::load_sdk_config(&regions).await?;
    let Some(arn) = crate::provider::aws::caller_arn(&sdk).await else {
        let why = Refusal::Trust(
            "STS GetCallerIdentity did not answer: under a pinned trust root the one who applies must be known (their own approval never counts)".into(),
        );
        return cx.refused(Some(digest), why.to_string());
    };
    Ok(Ok(crate::trust::Applier {
        aws_principal: Some(crate::trust::identity::principal(&arn)),
        ci: cx.settings.ci_identity.clone(),
    }))
}

/// Reads every input again, observes the live cloud (never a recorded observation), plans
/// again as planned and verifies the plan against all of it.
async fn replan(
    cx: &Ctx<'_>,
    plan: Plan,
    consent: &apply::Consent<'_>,
    scan: &ScanOptions,
    policy: &crate::policy::Policy,
) -> Step<(VerifiedPlan, Evaluation)> {
    let digest = plan.digest.clone();
    let ev = super::scan::evaluate(scan, cx.settings).await?;
    let inputs_now = super::plan::inputs(&ev, scan, cx.settings)?;
    // A re-observation that could not see everything proves nothing either way: say what
    // stopped it (an endpoint down, no DNS), never that the cloud changed.
    if let Some(cause) = render::notice::incomplete_cause(&ev.report) {
        return cx.refused(Some(&digest), Refusal::Unobservable(cause).to_string());
    }
    let options = replan_options(&plan);
    let fresh = super::plan::plan_actions(&ev, policy, &options)?.unwrap_or_default();
    match apply::verify(plan, consent, &inputs_now, &fresh) {
        Ok(v) => Ok(Ok((v, ev))),
        Err(r) => cx
            .refuse_as(Some(&digest), Some(&r), r.to_string())
            .map(Err),
    }
}

/// The plan options the plan was made with, as far as its actions tell.
fn replan_options(plan: &Plan) -> PlanOptions {
    // Plan again as planned: every accepted address accepted again.
    let accept: Vec<String> = plan
        .actions
        .iter()
        .filter(|a| a.kind == ActionKind::Accept)
        .filter_map(|a| a.address.as_ref().map(ToString::to_string))
        .collect();
    // Deletions were planned instead of imports (`--delete-unmanaged`): again.
    let delete_unmanaged = plan.actions.iter().any(|a| a.kind == ActionKind::Delete);
    // Disruptive reverts as planned: planned when the plan executes one, manual otherwise
    // (so a manual action's reason and command are compared with the same planning).
    // A plan that understates it is planned otherwise again, and refused.
    let allow_disruptive = plan.actions.iter().any(|a| {
        a.status == crate::model::plan::ActionStatus::Planned
            && crate::planner::guardrail::is_disruptive(a)
    });
    PlanOptions {
        allow_disruptive,
        accept,
        delete_unmanaged,
        ..PlanOptions::default()
    }
}

/// The AWS configuration the calls go with: to the account the plan was made in, when the
/// plan names it.
async fn bind_account(cx: &Ctx<'_>, verified: &VerifiedPlan) -> Step<aws_config::SdkConfig> {
    let sdk = crate::aws_client::load_sdk_config(&[]).await?;
    if let Some(planned) = verified.plan().author.aws_caller_arn.as_deref() {
        let now = crate::provider::aws::caller_arn(&sdk).await;
        if let Some(why) = other_account(planned, now.as_deref()) {
            return cx.refused(
                Some(&verified.plan().digest),
                Refusal::Stale(vec![why]).to_string(),
            );
        }
    }
    Ok(Ok(sdk))
}

/// Audits each approval the apply accepted.
fn audit_approvals(cx: &Ctx<'_>, verified: &VerifiedPlan) -> Result<()> {
    for a in verified.approvals() {
        cx.log.append(
            &super::trust::details(Entry::new(&cx.origin, "apply", Audited::Ok), cx.settings)
                .plan(&verified.plan().digest)
                .dry_run(cx.o.dry_run)
                .reason(format!("approval by {} accepted", a.approver))
                .detail("approver", &a.approver)
                .detail("key_fingerprint", &a.fingerprint)
                .detail(
                    "approval_expires",
                    crate::plan_file::wire::format_time(a.expires),
                ),
        )?;
    }
    Ok(())
}

/// A dry run past every check: audits it, shows the calls that would run, changes nothing.
fn dry_run(cx: &Ctx<'_>, verified: &VerifiedPlan) -> Result<Outcome> {
    let digest = &verified.plan().digest;
    let mut outcomes: BTreeMap<String, Done> = BTreeMap::new();
    for a in &verified.plan().actions {
        outcomes.insert(a.id.clone(), Done::LeftForAPerson);
    }
    for a in verified.executable() {
        outcomes.insert(a.id.clone(), Done::WouldRun);
    }
    cx.log.append(
        &Entry::new(&cx.origin, "apply", Audited::Ok)
            .plan(digest)
            .dry_run(true)
            .reason("dry run: every check passed; nothing was changed"),
    )?;
    emit(verified, &outcomes, cx.o, cx.settings.width)?;
    cx.tell(
        Some(digest),
        crate::notify::message::apply_message(verified.plan(), &outcomes, true),
    );
    Ok(Outcome::Clean)
}

/// Blocked actions are never executed: each is audited with its guardrail.
fn audit_blocked(cx: &Ctx<'_>, verified: &VerifiedPlan) -> Result<()> {
    for a in verified
        .plan()
        .actions
        .iter()
        .filter(|a| a.status == crate::model::plan::ActionStatus::Blocked)
    {
        let mut e = Entry::new(&cx.origin, "apply", Audited::Skipped)
            .plan(&verified.plan().digest)
            .action(action_ref(a))
            .reason(a.reason.clone());
        if let Some(g) = &a.guardrail {
            e = e.detail("guardrail", &g.name);
        }
        cx.log.append(&e)?;
    }
    Ok(())
}

/// The write-ahead audit of the actions: an `intent` entry before each write, its outcome
/// after it. A write whose intent cannot be appended is not made. Once anything was written
/// (`changed`), an entry that cannot be appended stops the apply: it goes to the fallback log,
/// and the plan is still marked applied.
struct Writes<'a> {
    cx: &'a Ctx<'a>,
    digest: &'a str,
    fallback: PathBuf,
    changed: Cell<bool>,
}

impl Writes<'_> {
    /// Appends an entry, to the fallback log (and stops) once the cloud changed.
    fn record(&self, entry: &Entry) -> Result<()> {
        match self.cx.log.append(entry) {
            Ok(_) => Ok(()),
            Err(e) if !self.changed.get() => Err(e),
            Err(e) => Err(self.unrecorded(entry, &e)),
        }
    }

    fn unrecorded(&self, entry: &Entry, error: &Error) -> Error {
        unrecorded(entry, error, &self.fallback, &self.cx.settings.audit_log)
    }

    /// An entry about an action of this plan.
    fn entry(&self, outcome: Audited, a: &Action) -> Entry {
        Entry::new(&self.cx.origin, "apply", outcome)
            .plan(self.digest)
            .action(action_ref(a))
    }
}

/// What the calls run with: the state values they refer to, and the evaluation (for the
/// configuration directory).
struct Runner<'a> {
    resolve: apply::aws::Resolve<'a>,
    restored: &'a std::sync::Mutex<Vec<String>>,
    ev: &'a Evaluation,
}

/// How an action's calls went.
#[derive(Default)]
struct Attempt {
    /// Why a call failed.
    error: Option<String>,
    /// An instance this action stopped and has not started again.
    stopped: Option<String>,
    /// The first entry that could not be appended (the apply stops after this action).
    lost: Option<Error>,
}

/// Executes the executable actions in order, stopping at the first failure; whether one failed.
async fn run_actions(
    w: &Writes<'_>,
    verified: &VerifiedPlan,
    ev: &Evaluation,
    sdk: &aws_config::SdkConfig,
    outcomes: &mut BTreeMap<String, Done>,
) -> Result<bool> {
    let restored = std::sync::Mutex::new(Vec::new());
    let resolve = resolver(&ev.states, &restored);
    let run = Runner {
        resolve: &resolve,
        restored: &restored,
        ev,
    };
    let mut clients: BTreeMap<Option<String>, Clients> = BTreeMap::new();
    let mut failed = false;
    for a in verified.executable() {
        if failed {
            outcomes.insert(a.id.clone(), Done::NotAttempted);
            w.record(
                &w.entry(Audited::Skipped, a)
                    .reason("not attempted: an earlier action failed"),
            )?;
            continue;
        }
        let c = clients
            .entry(a.region.clone())
            .or_insert_with(|| Clients::new(sdk, a.region.as_deref()));
        let mut tried = run_calls(w, a, c, &run).await;
        compensate(w, a, c, &run, &mut tried).await;
        if let Some(e) = tried.lost {
            return Err(e);
        }
        let entry = match &tried.error {
            Some(e) => {
                failed = true;
                outcomes.insert(a.id.clone(), Done::Failed(e.clone()));
                w.entry(Audited::Failed, a).reason(e.clone())
            }
            None => {
                outcomes.insert(a.id.clone(), Done::Verified);
                w.entry(Audited::Ok, a)
            }
        };
        w.record(&entry)?;
    }
    Ok(failed)
}

/// Runs an action's calls in order, each between its intent and its outcome entry, until one
/// fails or an entry cannot be appended.
async fn run_calls(w: &Writes<'_>, a: &Action, c: &Clients, run: &Runner<'_>) -> Attempt {
    let mut t = Attempt::default();
    for (i, call) in a.calls.iter().enumerate() {
        let step = |outcome: Audited| {
            w.entry(outcome, a)
                .detail("call", call.api())
                .detail("call_index", (i + 1).to_string())
        };
        if let Err(e) = w.record(&step(Audited::Intent)) {
            t.lost = Some(e);
            break;
        }
        w.changed.set(true);
        let result = run_call(call, c, run.resolve, run.restored, run.ev).await;
        let done = match &result {
            Ok(()) => step(Audited::Ok),
            Err(e) => step(Audited::Failed).reason(e.clone()),
        };
        if let Err(e) = w.record(&done) {
            t.lost = Some(e);
            break;
        }
        match (result, call) {
            (Ok(()), Call::Ec2StopInstances { instance_id }) => {
                t.stopped = Some(instance_id.clone());
            }
            (Ok(()), Call::Ec2StartInstances { instance_id })
                if t.stopped.as_ref() == Some(instance_id) =>
            {
                t.stopped = None;
            }
            (Ok(()), _) => {}
            (Err(e), _) => {
                t.error = Some(e);
                break;
            }
        }
    }
    t
}

/// Compensation: an action that stops between stop and start (a failed step, or a log that
/// failed) starts the instance again. Its entries go to the audit log, or, once that has
/// failed, to the fallback log: a stopped instance is worse.
async fn compensate(w: &Writes<'_>, a: &Action, c: &Clients, run: &Runner<'_>, t: &mut Attempt) {
    let interrupted = t.error.is_some() || t.lost.is_some();
    let Some(call) = compensation(t.stopped.as_deref()).filter(|_| interrupted) else {
        return;
    };
    let step = |outcome: Audited| {
        w.entry(outcome, a).detail("call", call.api()).detail(
            "compensation",
            "start again the instance the failed action stopped",
        )
    };
    let intent = step(Audited::Intent);
    match &t.lost {
        Some(e) => drop(w.unrecorded(&intent, e)),
        None => t.lost = w.record(&intent).err(),
    }
    let result = run_call(&call, c, run.resolve, run.restored, run.ev).await;
    let done = match &result {
        Ok(()) => step(Audited::Ok),
        Err(e) => step(Audited::Failed).reason(e.clone()),
    };
    match &t.lost {
        Some(e) => drop(w.unrecorded(&done, e)),
        None => t.lost = w.record(&done).err(),
    }
    let id = t.stopped.as_deref().unwrap_or_default();
    let told = match result {
        Ok(()) => format!("{id} was started again"),
        Err(why) => {
            format!("{id} could not be started again ({why}): it is stopped, start it by hand")
        }
    };
    match &mut t.error {
        Some(e) => e.push_str(&format!("; {told}")),
        None => crate::render::notice::line(&told),
    }
}

/// Re-observes (is each executed action's drift gone?), audits the summary, reports the
/// outcome with the drift the plan does not touch, and notifies it.
async fn finish(
    cx: &Ctx<'_>,
    verified: &VerifiedPlan,
    scan: &ScanOptions,
    mut outcomes: BTreeMap<String, Done>,
    failed: bool,
) -> Result<Outcome> {
    let digest = &verified.plan().digest;
    let after = super::scan::evaluate(scan, cx.settings).await?;
    for a in verified.executable() {
        if outcomes.get(&a.id) == Some(&Done::Verified) && still_drifted(a, &after) {
            outcomes.insert(a.id.clone(), Done::StillDrifted);
        }
    }
    let ok = !failed && !outcomes.values().any(|d| *d == Done::StillDrifted);
    cx.log.append(
        &Entry::new(
            &cx.origin,
            "apply",
            if ok { Audited::Ok } else { Audited::Failed },
        )
        .plan(digest)
        .reason(summary(&outcomes)),
    )?;
    // Only what the plan touches was re-observed: drift elsewhere is `scan`'s to find.
    emit(verified, &outcomes, cx.o, cx.settings.width)?;
    cx.tell(
        Some(digest),
        crate::notify::message::apply_message(verified.plan(), &outcomes, false),
    );
    Ok(if ok {
        Outcome::Clean
    } else {
        Outcome::Incomplete
    })
}

/// The account of an ARN (`arn:PARTITION:SERVICE:REGION:ACCOUNT:...`).
fn account_of(arn: &str) -> Option<&str> {
    arn.split(':').nth(4).filter(|a| !a.is_empty())
}

/// Why the calls may not go to the account `now` (the caller's ARN at apply time, `None`
/// when STS did not answer) for a plan made as `planned`; `None` when it is the same account.
fn other_account(planned: &str, now: Option<&str>) -> Option<String> {
    let want = account_of(planned)?;
    match now.and_then(account_of) {
        Some(got) if got == want => None,
        Some(got) => Some(format!(
            "the plan was made in AWS account {want}; these credentials are account {got}"
        )),
        None => Some(format!(
            "the plan was made in AWS account {want}; the account of these credentials cannot be told (STS did not answer)"
        )),
    }
}

/// Runs one call of an action: a configuration edit, or an AWS write (its error scrubbed of
/// every value restored from the state).
async fn run_call(
    call: &Call,
    c: &Clients,
    resolve: apply::aws::Resolve<'_>,
    restored: &std::sync::Mutex<Vec<String>>,
    ev: &Evaluation,
) -> std::result::Result<(), String> {
    if let Call::ConfigEdit { .. } = call {
        let dir = ev.config.as_ref().map(|(d, _)| d.as_path());
        return match dir.map(|d| apply::config::run(d, call)) {
            Some(r) => r,
            None => Err("no configuration directory was given".into()),
        };
    }
    apply::aws::run(c, call, resolve).await.map_err(|e| {
        let secrets = restored.lock().map(|r| r.clone()).unwrap_or_default();
        crate::mask::scrub_known(&e.to_string(), &secrets)
    })
}

/// The compensating step of an action that failed after stopping an instance it had not
/// started again: start it.
fn compensation(stopped: Option<&str>) -> Option<Call> {
    stopped.map(|id| Call::Ec2StartInstances {
        instance_id: id.to_string(),
    })
}

/// An entry that could not be appended after the cloud changed: it goes to the fallback log
/// (`.driftgate/audit.fallback.jsonl`), else to stderr, and the apply stops with this error.
fn unrecorded(
    entry: &Entry,
    error: &Error,
    fallback: &std::path::Path,
    audit_log: &std::path::Path,
) -> Error {
    let entry = entry
        .clone()
        .detail("unrecorded_in", audit_log.display().to_string())
        .detail("audit_error", error.to_string());
    let shown = fallback.display().to_string();
    let fallback_shown = match Log::open(fallback).append(&entry) {
        Ok(_) => shown,
        Err(e) => {
            if let Ok(r) = entry.to_record(0, crate::audit::GENESIS.to_string()) {
                crate::render::notice::line(&format!(
                    "unaudited entry: {}",
                    String::from_utf8_lossy(&r.canonical())
                ));
            }
            format!("(none: {shown} could not be written either: {e}; the entry is on stderr)")
        }
    };
    Error::AuditUnrecorded {
        what: error.to_string(),
        fallback: fallback_shown,
    }
}

fn summary(outcomes: &BTreeMap<String, Done>) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for d in outcomes.values() {
        *counts.entry(d.as_str()).or_default() += 1;
    }
    counts
        .iter()
        .map(|(k, n)| format!("{n} {k}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn emit(
    v: &VerifiedPlan,
    outcomes: &BTreeMap<String, Done>,
    o: &ApplyOptions,
    width: Option<usize>,
) -> Result<()> {
    let text = match o.format {
        ReportFormat::Json => {
            render::plan_summary::render_apply_json(v.plan(), outcomes, o.dry_run)
        }
        ReportFormat::Table => {
            render::plan_summary::render_apply_table(v.plan(), outcomes, o.dry_run, width)
        }
    };
    render::emit(&text, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calls_go_only_to_the_account_planned_in() {
        let planned = "arn:aws:iam::123456789012:user/carol";
        assert_eq!(
            other_account(planned, Some("arn:aws:sts::123456789012:assumed-role/x/y")),
            None
        );
        assert!(
            other_account(planned, Some("arn:aws:iam::999999999999:user/carol"))
                .unwrap()
                .contains("account 999999999999")
        );
        assert!(other_account(planned, None).is_some());
        assert_eq!(other_account("not an arn", None), None);
    }
}
