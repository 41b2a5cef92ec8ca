//! `apply`: the only code that changes the cloud. It accepts only a [`VerifiedPlan`], which
//! nothing but [`verify`] can construct: the plan file's digest held (checked when it was
//! read), it has not expired, the approval token is this plan's, every input (state,
//! configuration, policy) is byte for byte what was planned from, and the cloud still shows
//! what each planned action expects (otherwise the plan is **stale**, as terraform refuses a
//! stale saved plan). The SDK write calls live in [`aws`]; the writes to the terraform
//! configuration (accept, import) in [`config`].

pub mod aws;
pub mod config;
pub mod store;

use std::collections::BTreeMap;

use crate::approval::{self, Accepted, ApprovalRule, Denied, Rejected};
use crate::model::plan::{Action, ActionStatus, Inputs, Plan};

/// Why `apply` refused a plan. Every refusal changes nothing, exits 1 and is audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// No `--approve` was given.
    NoToken,
    /// The token is not this plan's.
    WrongToken,
    /// A state, the configuration or the policy changed since planning.
    InputsChanged(Vec<String>),
    /// The cloud no longer shows what the plan expected.
    Stale(Vec<String>),
    /// The cloud could not be observed again (an endpoint down, no DNS, access denied): the
    /// cause, in the scan's words. Nothing says the cloud changed.
    Unobservable(String),
    /// This plan was applied already.
    AlreadyApplied { at: String },
    /// An approval does not count (forged, expired, another plan's, the author's, twice, or
    /// by someone not in the policy).
    BadApproval(Rejected),
    /// The plan token alone, where the policy requires signed approvals.
    ApprovalsRequired { required: usize },
    /// Fewer distinct valid approvals than the policy requires.
    TooFewApprovals { valid: usize, required: usize },
    /// Planned actions that the policy's guardrails block (the plan predates the guardrail,
    /// or was edited and sealed again).
    Guardrail(Vec<String>),
    /// The pinned trust root refuses: the plan's author is not bound, the policy lowers what
    /// the root requires, or the root itself does not verify.
    Trust(String),
}

impl Refusal {
    /// The refusal of `--approve` values that `approval::check` denied.
    pub fn of(denied: Denied) -> Refusal {
        match denied {
            Denied::Nothing => Refusal::NoToken,
            Denied::WrongToken => Refusal::WrongToken,
            Denied::Rejected(r) => Refusal::BadApproval(r),
            Denied::TokenAlone { required } => Refusal::ApprovalsRequired { required },
            Denied::TooFew { valid, required } => Refusal::TooFewApprovals { valid, required },
            Denied::FromKey { by_key, required } => Refusal::Trust(format!(
                "{by_key} of the approvals are signed by the approvers' own keys, the trust root requires {required} for this plan's severity (the others were attested from chat): `driftgate approve PLAN --key KEY`"
            )),
        }
    }

    /// For the audit log: the approver and key fingerprint a refusal is about.
    pub fn approver(&self) -> (Option<&str>, Option<&str>) {
        match self {
            Refusal::BadApproval(r) => (r.approver.as_deref(), r.fingerprint.as_deref()),
            _ => (None, None),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::NoToken => write!(
                f,
                "no --approve token: a plan applies only with the token `driftgate plan` printed for it"
            ),
            Refusal::WrongToken => write!(f, "the --approve token is not this plan's"),
            Refusal::InputsChanged(what) => write!(
                f,
                "the inputs changed since planning ({}); plan again",
                what.join("; ")
            ),
            Refusal::Stale(what) => write!(
                f,
                "the plan is stale: the cloud changed since planning ({}); plan again",
                what.join("; ")
            ),
            Refusal::Unobservable(cause) => {
                write!(f, "could not re-observe the cloud: {cause}")
            }
            Refusal::AlreadyApplied { at } => {
                write!(f, "this plan was applied already ({at}); plan again")
            }
            Refusal::BadApproval(r) => write!(f, "{r}"),
            Refusal::Guardrail(what) => write!(
                f,
                "a guardrail of the policy blocks planned actions ({}); plan again",
                what.join("; ")
            ),
            Refusal::Trust(why) => write!(f, "trust root: {why}"),
            Refusal::ApprovalsRequired { required } => write!(
                f,
                "the plan token alone is not enough: the policy requires {required} signed approvals by approvers other than the plan's author (`driftgate approve PLAN --key KEY`)"
            ),
            Refusal::TooFewApprovals { valid, required } => write!(
                f,
                "too few approvals: {valid} valid, the policy requires {required} distinct approvers other than the plan's author"
            ),
        }
    }
}

/// What happened to one action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// Executed, and the re-observation no longer shows its drift.
    Verified,
    /// Executed, but the re-observation still shows (some of) its drift.
    StillDrifted,
    /// Its call failed: the AWS error.
    Failed(String),
    /// Not attempted (after a failure).
    NotAttempted,
    /// For a person to do (`manual`) or forbidden (`blocked`): never executed.
    LeftForAPerson,
    /// `--dry-run`: it would run these calls.
    WouldRun,
}

impl Done {
    pub fn as_str(&self) -> &'static str {
        match self {
            Done::Verified => "done",
            Done::StillDrifted => "still drifted",
            Done::Failed(_) => "failed",
            Done::NotAttempted => "not attempted",
            Done::LeftForAPerson => "left for a person",
            Done::WouldRun => "would run",
        }
    }
}

/// An AWS error message with every value restored from the state (a secret) replaced by
/// `(sensitive)`: AWS echoes what it was sent in some messages, and the message is printed and
/// logged.
/// A plan every check passed: the only thing [`aws`] calls are run for. Its field is private
/// and it has no public constructor, so no other code can make one.
#[derive(Debug)]
pub struct VerifiedPlan {
    plan: Plan,
    approvals: Vec<Accepted>,
}

impl VerifiedPlan {
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The signed approvals that let it apply (none when the plan token was enough).
    pub fn approvals(&self) -> &[Accepted] {
        &self.approvals
    }

    /// The actions to execute, in plan order (planned ones only: manual and blocked actions
    /// are never executed).
    pub fn executable(&self) -> impl Iterator<Item = &Action> {
        self.plan
            .actions
            .iter()
            .filter(|a| a.status == ActionStatus::Planned)
    }
}

/// Compares the inputs the plan was made from with the inputs now.
pub fn changed_inputs(planned: &Inputs, now: &Inputs) -> Vec<String> {
    let mut out = Vec::new();
    let now_states: BTreeMap<&str, &str> = now
        .states
        .iter()
        .map(|s| (s.source.0.as_str(), s.sha256.as_str()))
        .collect();
    for s in &planned.states {
        match now_states.get(s.source.0.as_str()) {
            None => out.push(format!("state {} is not given", s.source)),
            Some(sha) if *sha != s.sha256 => out.push(format!(
                "state {} changed (serial {} when planned)",
                s.source, s.serial
            )),
            Some(_) => {}
        }
    }
    for s in &now.states {
        if !planned.states.iter().any(|p| p.source == s.source) {
            out.push(format!("state {} was not planned from", s.source));
        }
    }
    if planned.configuration != now.configuration {
        out.push("the configuration (.tf files) changed".into());
    }
    if planned.policy != now.policy {
        out.push("the policy file changed".into());
    }
    if planned.trust_root != now.trust_root {
        out.push(match (&planned.trust_root, &now.trust_root) {
            (None, _) => "the plan was made without the trust root pinned now".into(),
            (Some(_), None) => "the plan was made under a trust root that is not pinned now".into(),
            _ => "the trust root changed".into(),
        });
    }
    out
}

/// The identity of an action across two plannings of the same findings. One changed
/// resource can have several actions (one per way of reverting: an instance's in-place
/// attributes and its type, which needs a stop), so the paths it answers are part of it.
fn action_key(a: &Action) -> (String, String, String, String, Vec<String>) {
    (
        a.kind.as_str().to_string(),
        a.resource_type.clone(),
        a.address
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        a.resource_id.clone(),
        a.changes.iter().map(|c| c.path.to_string()).collect(),
    )
}

fn action_name(a: &Action) -> String {
    match &a.address {
        Some(addr) => format!("{} {addr}", a.id),
        None => format!("{} {}.{}", a.id, a.resource_type, a.resource_id),
    }
}

/// The planned actions of `plan` that the guardrails in force now block (`fresh`: the same
/// actions planned and guarded again): a plan edited to unblock an action, or made before a
/// guardrail existed, is refused.
pub fn blocked_now(plan: &Plan, fresh: &[Action]) -> Vec<String> {
    let fresh: BTreeMap<_, &Action> = fresh.iter().map(|a| (action_key(a), a)).collect();
    plan.actions
        .iter()
        .filter(|a| a.status == ActionStatus::Planned)
        .filter(|a| {
            fresh
                .get(&action_key(a))
                .is_some_and(|f| f.status == ActionStatus::Blocked)
        })
        .map(action_name)
        .collect()
}

/// Compares each executable action of the plan with the action planned now from a fresh
/// observation and the policy in force: the same finding (rule and severity, which decide the
/// approvals it needs), the same guardrail, the same expectations and the same calls, or the
/// plan is stale. The plan file's digest has no key, so this comparison, not the file, is what
/// binds a plan's grading to the policy: a plan edited to lower a severity or drop a guardrail
/// (and resealed) is refused here.
///
/// Everything an approver reads or `apply` prints is bound the same way, for every action
/// (planned, manual or blocked): its status, region, changes, reason, manual command and
/// follow-up must be what the fresh plan derives, or the plan is refused. A resealed plan
/// with an edited reason, manual command or region (where its calls would go) changes nothing.
pub fn stale_actions(plan: &Plan, fresh: &[Action]) -> Vec<String> {
    let fresh: BTreeMap<_, &Action> = fresh.iter().map(|a| (action_key(a), a)).collect();
    let mut out = Vec::new();
    for a in &plan.actions {
        let planned = a.status == ActionStatus::Planned;
        let why = match fresh.get(&action_key(a)) {
            None => Some("its drift is no longer observed"),
            Some(f) if f.finding != a.finding => {
                Some("its finding is graded otherwise now (rule or severity)")
            }
            Some(f) if f.guardrail != a.guardrail => {
                Some("the guardrails in force now treat it otherwise")
            }
            Some(f) if f.region != a.region => {
                Some("its region is not the one its drift is observed in")
            }
            Some(f) if planned && f.expect != a.expect => {
                Some("the cloud shows something else now")
            }
            Some(f) if f.changes != a.changes => Some("the cloud shows something else now"),
            Some(f) if planned && f.calls != a.calls => Some("it would need other calls now"),
            Some(f) if f.disruptive != a.disruptive => {
                Some("whether it interrupts a running workload is not what is derived now")
            }
            Some(f) if f.status != a.status && !(planned && f.status == ActionStatus::Blocked) => {
                Some("it is planned otherwise now (planned, manual or blocked)")
            }
            Some(f) if f.reason != a.reason => Some("its reason is not the one derived now"),
            Some(f) if f.manual_command != a.manual_command => {
                Some("its manual command is not the one derived now")
            }
            Some(f) if f.follow_up != a.follow_up => {
                Some("its follow-up is not the one derived now")
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            out.push(format!("{}: {why}", action_name(a)));
        }
    }
    out
}

/// What says yes to a plan: the `--approve` values (the plan token, approval tokens), the
/// `approval` block of the policy read now (the inputs check proves it is the policy that was
/// digested into the plan), and the time approvals are checked against.
#[derive(Debug, Clone, Copy)]
pub struct Consent<'a> {
    pub given: &'a [String],
    pub rule: Option<&'a ApprovalRule>,
    pub now: time::OffsetDateTime,
    /// The pinned trust root and who applies, when a root is pinned: then the root decides
    /// who counts (`trust::Root::check`), and the policy's rule can only add to it.
    pub trust: Option<(&'a crate::trust::Root, &'a crate::trust::Applier)>,
}

impl Consent<'_> {
    /// The approvals that count, or why they are not enough.
    pub fn check(&self, plan: &Plan) -> Result<Vec<Accepted>, Denied> {
        match self.trust {
            Some((root, applier)) => root.check(plan, self.rule, self.given, applier, self.now),
            None => approval::check(plan, self.rule, self.given, self.now),
        }
    }
}

/// Every check `apply` makes before it changes anything. `consent` is `--approve` and the
/// policy's approval rule; `inputs_now` the inputs read again; `fresh` the actions planned
/// (and guarded by the policy's guardrails) again from the live cloud: a planned action they
/// block now is refused.
pub fn verify(
    plan: Plan,
    consent: &Consent<'_>,
    inputs_now: &Inputs,
    fresh: &[Action],
) -> Result<VerifiedPlan, Refusal> {
    let approvals = consent.check(&plan).map_err(Refusal::of)?;
    if let Some((root, _)) = consent.trust {
        root.check_author(&plan).map_err(Refusal::Trust)?;
    }
    let changed = changed_inputs(&plan.inputs, inputs_now);
    if !changed.is_empty() {
        return Err(Refusal::InputsChanged(changed));
    }
    let blocked = blocked_now(&plan, fresh);
    if !blocked.is_empty() {
        return Err(Refusal::Guardrail(blocked));
    }
    let stale = stale_actions(&plan, fresh);
    if !stale.is_empty() {
        return Err(Refusal::Stale(stale));
    }
    Ok(VerifiedPlan { plan, approvals })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(path: &str, fingerprint: &str) -> Action {
        use crate::model::plan::{ActionKind, Expect, FindingRef, PlannedChange};
        use crate::model::{DriftKind, Path, Severity, Value};
        Action {
            id: String::new(),
            kind: ActionKind::Revert,
            status: ActionStatus::Planned,
            address: None,
            resource_type: "aws_instance".into(),
            resource_id: "i-1".into(),
            region: None,
            finding: FindingRef {
                kind: DriftKind::Changed,
                address: None,
                id: "i-1".into(),
                rule: "r".into(),
                severity: Severity::Low,
            },
            changes: vec![PlannedChange {
                path: Path::root(path),
                now: Value::Null,
                target: Value::Null,
            }],
            calls: Vec::new(),
            expect: vec![Expect::Value {
                path: Path::root(path),
                fingerprint: fingerprint.into(),
            }],
            manual_command: None,
            follow_up: None,
            guardrail: None,
            disruptive: false,
            reason: String::new(),
        }
    }

    /// An instance's in-place attributes and its type are two actions on one resource: each
    /// is compared with its own fresh counterpart, not with whichever came last.
    #[test]
    fn two_actions_on_one_resource_are_told_apart() {
        let planned = vec![
            action("source_dest_check", "a"),
            action("instance_type", "b"),
        ];
        let plan = Plan {
            format_version: crate::model::plan::PLAN_FORMAT_VERSION,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            expires_at: time::OffsetDateTime::UNIX_EPOCH,
            author: Default::default(),
            inputs: Default::default(),
            actions: planned.clone(),
            digest: String::new(),
        };
        assert!(stale_actions(&plan, &planned).is_empty());
        let fresh = vec![
            action("source_dest_check", "a"),
            action("instance_type", "c"),
        ];
        assert_eq!(stale_actions(&plan, &fresh).len(), 1);
    }

    /// An author who reseals a plan with a disruptive action marked otherwise (to escape a
    /// trust root's minimum for `disruptive`) is refused: the re-plan derives it from the
    /// revert. Either way round.
    #[test]
    fn a_resealed_plan_that_understates_a_disruptive_action_is_refused() {
        let mut fresh = action("role", "a");
        fresh.disruptive = true;
        let mut understated = fresh.clone();
        understated.disruptive = false;
        let why = stale_actions(&plan_of(vec![understated.clone()]), &[fresh.clone()]);
        assert_eq!(why.len(), 1, "{why:?}");
        assert!(why[0].contains("interrupts a running workload"), "{why:?}");
        assert_eq!(
            stale_actions(&plan_of(vec![fresh.clone()]), &[understated]).len(),
            1
        );
        assert!(stale_actions(&plan_of(vec![fresh.clone()]), &[fresh]).is_empty());
    }

    fn plan_of(actions: Vec<Action>) -> Plan {
        Plan {
            format_version: crate::model::plan::PLAN_FORMAT_VERSION,
            created_at: time::OffsetDateTime::UNIX_EPOCH,
            expires_at: time::OffsetDateTime::UNIX_EPOCH,
            author: Default::default(),
            inputs: Default::default(),
            actions,
            digest: String::new(),
        }
    }

    /// The plan file's digest has no key: an author can edit a plan and reseal it. Grading
    /// and guardrails are compared with the fresh plan, so an edit that would need fewer
    /// approvals (a lower severity, a dropped guardrail) or unblock an action is refused.
    #[test]
    fn a_resealed_plan_graded_or_guarded_otherwise_is_refused() {
        use crate::model::Severity;
        use crate::model::plan::{GuardrailEffect, GuardrailHit};
        let mut fresh = action("tags", "a");
        fresh.finding.severity = Severity::Critical;
        fresh.guardrail = Some(GuardrailHit {
            name: "iam".into(),
            reason: "review".into(),
            effect: GuardrailEffect::RequireApprovals(2),
        });
        assert!(stale_actions(&plan_of(vec![fresh.clone()]), &[fresh.clone()]).is_empty());

        let mut lowered = fresh.clone();
        lowered.finding.severity = Severity::Info;
        let stale = stale_actions(&plan_of(vec![lowered]), &[fresh.clone()]);
        assert_eq!(stale.len(), 1);
        assert!(stale[0].contains("graded otherwise"), "{stale:?}");

        let mut unguarded = fresh.clone();
        unguarded.guardrail = None;
        let stale = stale_actions(&plan_of(vec![unguarded]), &[fresh.clone()]);
        assert!(stale[0].contains("guardrails"), "{stale:?}");

        let mut blocked = fresh.clone();
        blocked.status = ActionStatus::Blocked;
        assert_eq!(
            blocked_now(&plan_of(vec![fresh.clone()]), &[blocked.clone()]),
            [" aws_instance.i-1"]
        );
        assert!(blocked_now(&plan_of(vec![blocked.clone()]), &[blocked]).is_empty());
    }

    #[test]
    fn a_restored_secret_echoed_by_aws_is_scrubbed() {
        use crate::mask::scrub_known;
        let msg = "InvalidParameterValue: Value (hunter2) for tag secret is invalid";
        assert_eq!(
            scrub_known(msg, &["hunter2".into(), String::new()]),
            "InvalidParameterValue: Value ((sensitive)) for tag secret is invalid"
        );
        assert_eq!(scrub_known(msg, &[]), msg);
        // A secret that starts with another one is replaced whole, whatever the order given.
        let msg = "Value (hunter2-extra) is invalid";
        for secrets in [
            vec!["hunter2".to_string(), "hunter2-extra".to_string()],
            vec!["hunter2-extra".to_string(), "hunter2".to_string()],
        ] {
            assert_eq!(scrub_known(msg, &secrets), "Value ((sensitive)) is invalid");
        }
    }
}
