//! Remediation plans: ordered actions that answer findings, each with the AWS calls it will
//! make and what it expects to observe first; plus the inputs the plan was made from. A plan
//! is made by `planner::build` (pure), sealed with a digest (`plan_file::digest`) and written as the
//! plan file (`plan_file`).
//!
//! **No clear secret is ever held here.** A call that must restore a sensitive value holds an
//! [`Arg::FromState`] reference (state, address, attribute path) that `apply` resolves by
//! reading the state again (whose SHA-256 is in [`Inputs`]); a sensitive value shown in a
//! change or an expectation is a keyed fingerprint ([`Value::Sensitive`] of
//! [`crate::model::Secret::Fingerprint`]).

use std::collections::BTreeMap;
use std::fmt;

use super::address::Address;
use super::drift::{DriftKind, Path};
use super::finding::Severity;
use super::resource::StateSource;
use super::value::Value;

/// The version of the plan file format this driftgate writes and reads.
pub const PLAN_FORMAT_VERSION: u64 = 1;

/// What an action does to answer its finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionKind {
    /// Changed: put the cloud back to the recorded value.
    Revert,
    /// Missing: make the recorded object exist again.
    Recreate,
    /// Take the cloud's value into the configuration.
    Accept,
    /// Unmanaged: bring the object under terraform.
    Import,
    /// Unmanaged: remove the object.
    Delete,
}

impl ActionKind {
    pub const ALL: [ActionKind; 5] = [
        ActionKind::Revert,
        ActionKind::Recreate,
        ActionKind::Accept,
        ActionKind::Import,
        ActionKind::Delete,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Revert => "revert",
            ActionKind::Recreate => "recreate",
            ActionKind::Accept => "accept",
            ActionKind::Import => "import",
            ActionKind::Delete => "delete",
        }
    }
}

/// Whether driftgate will execute an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ActionStatus {
    /// `apply` executes its calls.
    Planned,
    /// A person runs `manual_command`; driftgate never executes it.
    Manual,
    /// A guardrail forbids it, whatever the approval.
    Blocked,
}

impl ActionStatus {
    pub const ALL: [ActionStatus; 3] = [
        ActionStatus::Planned,
        ActionStatus::Manual,
        ActionStatus::Blocked,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionStatus::Planned => "planned",
            ActionStatus::Manual => "manual",
            ActionStatus::Blocked => "blocked",
        }
    }
}

macro_rules! display_as_str {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    )*};
}
display_as_str!(ActionKind, ActionStatus, IamEntity);

/// The finding an action answers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FindingRef {
    pub kind: DriftKind,
    /// `None` for unmanaged objects (then `id` names it).
    pub address: Option<Address>,
    pub id: String,
    pub rule: String,
    pub severity: Severity,
}

/// One attribute the action changes: from what the cloud has `now` to the `target` (the
/// recorded value), both in canonical form. Sensitive values are fingerprints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PlannedChange {
    pub path: Path,
    pub now: Value,
    pub target: Value,
}

/// Where `apply` reads a sensitive value to restore: the attribute at `path` of the resource
/// at `address` in `state` (whose SHA-256 the plan's inputs hold).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StateRef {
    pub state: StateSource,
    pub address: Address,
    pub path: Path,
}

/// A value a call sends.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arg {
    /// A clear, non-sensitive value (never contains [`Value::Sensitive`]).
    Value(Value),
    /// A sensitive value, read from the state at apply time.
    FromState(StateRef),
}

impl Arg {
    /// The argument for a recorded value: the value itself, or a reference to the state when
    /// anything in it is sensitive (so the plan never carries it).
    pub fn recorded(value: &Value, at: StateRef) -> Arg {
        if value.contains_sensitive() {
            Arg::FromState(at)
        } else {
            Arg::Value(value.clone())
        }
    }

    pub fn text(s: impl Into<String>) -> Arg {
        Arg::Value(Value::String(s.into()))
    }
}

/// Which kind of IAM principal (or policy) an IAM call addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IamEntity {
    Role,
    User,
    Policy,
}

impl IamEntity {
    pub fn as_str(self) -> &'static str {
        match self {
            IamEntity::Role => "Role",
            IamEntity::User => "User",
            IamEntity::Policy => "Policy",
        }
    }
}

/// One single-source security group rule, as EC2's `IpPermission` takes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SgRule {
    /// `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number.
    pub protocol: String,
    /// `None` for protocol `-1` (EC2 takes no ports then).
    pub from_port: Option<i64>,
    pub to_port: Option<i64>,
    pub source: SgSource,
    pub description: String,
}

/// The one source (or destination, for egress) of a rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SgSource {
    CidrIpv4(String),
    CidrIpv6(String),
    PrefixList(String),
    /// Another security group (or the rule's own group, for `self`).
    Group(String),
}

/// Which policy version `iam:DeletePolicyVersion` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum VersionSelector {
    /// The oldest version that is not the default, and only when the policy already has
    /// `IAM_POLICY_VERSION_LIMIT` versions (so the new default version fits).
    OldestNonDefaultAtLimit,
}

/// IAM keeps at most five versions of a customer managed policy.
pub const IAM_POLICY_VERSION_LIMIT: u64 = 5;

/// An operation a resource unit plans and performs (`src/provider/aws/<service>/<unit>.rs`):
/// the operation and its arguments as data, so that a new type adds no variant, wire line or
/// executor arm anywhere else. The unit that plans it executes it (`provider::aws::execute`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct UnitCall {
    /// The AWS service (`ec2`, `iam`).
    pub service: String,
    /// The API operation, as AWS names it (`CreateRoute`).
    pub operation: String,
    /// The object it changes (`rtb-0abc`, a group name): effects, guardrails and the audit
    /// name it.
    pub target: String,
    /// The operation's parameters, named as the AWS API names them in snake_case
    /// (`destination_cidr_block`), sorted.
    pub args: BTreeMap<String, Arg>,
}

impl UnitCall {
    /// What a person reads is derived from the operation and its arguments at display time
    /// (`plan_file::effect`), never carried as text a plan's author could word at will.
    pub fn new(service: &str, operation: &str, target: &str) -> UnitCall {
        UnitCall {
            service: service.into(),
            operation: operation.into(),
            target: target.into(),
            args: BTreeMap::new(),
        }
    }

    /// Adds one parameter.
    pub fn arg(mut self, name: &str, value: Arg) -> UnitCall {
        self.args.insert(name.into(), value);
        self
    }

    /// `service:Operation`.
    pub fn api(&self) -> String {
        format!("{}:{}", self.service, self.operation)
    }
}

/// What a unit's revert works from: the changed object, its recorded resource and the changes
/// of the attributes whose spec names this revert.
pub struct RevertInput<'a> {
    pub drift: &'a crate::model::Drift,
    pub recorded: &'a crate::model::RecordedResource,
    pub changes: &'a [&'a crate::model::Change],
}

impl RevertInput<'_> {
    /// A recorded attribute as an argument: the value, or a reference into the state when it
    /// is sensitive.
    pub fn recorded_arg(&self, attribute: &str) -> Arg {
        let value = self
            .recorded
            .attributes
            .get(attribute)
            .cloned()
            .unwrap_or(Value::Null);
        Arg::recorded(
            &value,
            StateRef {
                state: self.recorded.state.clone(),
                address: self.recorded.address.clone(),
                path: crate::model::Path::root(attribute),
            },
        )
    }

    /// A recorded attribute's text (never a sensitive one: that is an error naming it).
    pub fn recorded_text(&self, attribute: &str) -> Result<String, String> {
        match self.recorded.attributes.get(attribute) {
            Some(Value::Sensitive(_)) => Err(format!("`{attribute}` is sensitive in the state")),
            Some(v) => v
                .scalar_text()
                .ok_or_else(|| format!("`{attribute}` is not recorded as text")),
            None => Err(format!("`{attribute}` is not recorded")),
        }
    }
}

/// A revert a unit provides: the spec names it (`revert = "routes"`) on its types' attributes.
pub struct UnitRevert {
    /// The name the spec uses.
    pub name: &'static str,
    /// The types it serves.
    pub types: &'static [&'static str],
    /// The calls that put the changes back; `Err`: why it cannot (the action becomes manual).
    pub plan: fn(&RevertInput<'_>) -> Result<Vec<UnitCall>, String>,
    /// Whether the calls interrupt a running workload (needs `--allow-disruptive`).
    pub disruptive: bool,
}

impl UnitRevert {
    /// A revert named `name` for `types`, planned by `plan`, that interrupts nothing.
    pub const fn new(
        name: &'static str,
        types: &'static [&'static str],
        plan: fn(&RevertInput<'_>) -> Result<Vec<UnitCall>, String>,
    ) -> UnitRevert {
        UnitRevert {
            name,
            types,
            plan,
            disruptive: false,
        }
    }

    /// The same revert, marked as interrupting a running workload.
    pub const fn disruptive(self) -> UnitRevert {
        UnitRevert {
            disruptive: true,
            ..self
        }
    }
}

/// One AWS API operation an action makes, with everything an executor needs to run it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Call {
    /// An operation of a resource unit.
    Unit(UnitCall),
    Ec2CreateTags {
        resource_id: String,
        tags: BTreeMap<String, Arg>,
    },
    Ec2DeleteTags {
        resource_id: String,
        keys: Vec<String>,
    },
    Ec2AuthorizeSecurityGroupIngress {
        group_id: String,
        rule: SgRule,
    },
    Ec2AuthorizeSecurityGroupEgress {
        group_id: String,
        rule: SgRule,
    },
    Ec2RevokeSecurityGroupIngress {
        group_id: String,
        rule: SgRule,
    },
    Ec2RevokeSecurityGroupEgress {
        group_id: String,
        rule: SgRule,
    },
    /// Sets every field of one rule (`sgr-...`) to `rule`.
    Ec2ModifySecurityGroupRules {
        group_id: String,
        rule_id: String,
        rule: SgRule,
    },
    /// `attribute` is the API's name (`enableDnsSupport`, `enableDnsHostnames`).
    Ec2ModifyVpcAttribute {
        vpc_id: String,
        attribute: String,
        value: bool,
    },
    /// `attribute` is the API's name (`mapPublicIpOnLaunch`, `assignIpv6AddressOnCreation`).
    Ec2ModifySubnetAttribute {
        subnet_id: String,
        attribute: String,
        value: bool,
    },
    /// `attribute` is the API's name (`sourceDestCheck`, `groupSet`, `instanceType`,
    /// `ebsOptimized`).
    Ec2ModifyInstanceAttribute {
        instance_id: String,
        attribute: String,
        value: Arg,
    },
    Ec2MonitorInstances {
        instance_id: String,
    },
    Ec2UnmonitorInstances {
        instance_id: String,
    },
    Ec2StopInstances {
        instance_id: String,
    },
    Ec2StartInstances {
        instance_id: String,
    },
    /// Deletes an (unmanaged) security group.
    Ec2DeleteSecurityGroup {
        group_id: String,
    },
    /// iam:TagRole, iam:TagUser, iam:TagPolicy (`name` is the ARN for a policy).
    IamTag {
        entity: IamEntity,
        name: String,
        tags: BTreeMap<String, Arg>,
    },
    /// iam:UntagRole, iam:UntagUser, iam:UntagPolicy.
    IamUntag {
        entity: IamEntity,
        name: String,
        keys: Vec<String>,
    },
    IamUpdateAssumeRolePolicy {
        role_name: String,
        document: Arg,
    },
    /// iam:UpdateRole: only the fields that are `Some` change.
    IamUpdateRole {
        role_name: String,
        description: Option<Arg>,
        max_session_duration: Option<i64>,
    },
    /// iam:UpdateUser (its path).
    IamUpdateUser {
        user_name: String,
        new_path: String,
    },
    /// iam:PutRolePolicy, iam:PutUserPolicy.
    IamPutInlinePolicy {
        entity: IamEntity,
        name: String,
        policy_name: String,
        document: Arg,
    },
    /// iam:DeleteRolePolicy, iam:DeleteUserPolicy.
    IamDeleteInlinePolicy {
        entity: IamEntity,
        name: String,
        policy_name: String,
    },
    /// iam:AttachRolePolicy, iam:AttachUserPolicy.
    IamAttachPolicy {
        entity: IamEntity,
        name: String,
        policy_arn: String,
    },
    /// iam:DetachRolePolicy, iam:DetachUserPolicy.
    IamDetachPolicy {
        entity: IamEntity,
        name: String,
        policy_arn: String,
    },
    /// iam:PutRolePermissionsBoundary, iam:PutUserPermissionsBoundary.
    IamPutPermissionsBoundary {
        entity: IamEntity,
        name: String,
        policy_arn: String,
    },
    /// iam:DeleteRolePermissionsBoundary, iam:DeleteUserPermissionsBoundary.
    IamDeletePermissionsBoundary {
        entity: IamEntity,
        name: String,
    },
    IamDeletePolicyVersion {
        policy_arn: String,
        version: VersionSelector,
    },
    IamCreatePolicyVersion {
        policy_arn: String,
        document: Arg,
        set_as_default: bool,
    },
    /// Not an AWS call: an edit of one file of the terraform configuration (accept, import).
    /// `file` is relative to the configuration directory. The file must hash to
    /// `before_sha256` (`None`: it must not exist) when the edit runs, and to `after_sha256`
    /// after it; `diff` is the unified diff a person reads.
    ConfigEdit {
        file: String,
        before_sha256: Option<String>,
        after_sha256: String,
        edit: ConfigEdit,
        diff: String,
    },
}

/// What a [`Call::ConfigEdit`] does to its file; `plan_file::edit` carries it out (the planner to
/// show the diff, `apply` to write it), so both produce the same bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum ConfigEdit {
    /// Accept: set attributes of the block `resource "TYPE" "NAME"` to literal values
    /// (`None` removes the attribute or map key).
    Set {
        resource_type: String,
        name: String,
        values: Vec<(Path, Option<Value>)>,
    },
    /// Import: append generated blocks (`import {}` and `resource {}`).
    Append { text: String },
}

impl Call {
    /// The IAM action name of the operation, as a policy (and the plan) writes it:
    /// `ec2:RevokeSecurityGroupIngress`.
    pub fn api(&self) -> String {
        let (service, op): (&str, String) = match self {
            Call::Unit(u) => return u.api(),
            Call::Ec2CreateTags { .. } => ("ec2", "CreateTags".into()),
            Call::Ec2DeleteTags { .. } => ("ec2", "DeleteTags".into()),
            Call::Ec2AuthorizeSecurityGroupIngress { .. } => {
                ("ec2", "AuthorizeSecurityGroupIngress".into())
            }
            Call::Ec2AuthorizeSecurityGroupEgress { .. } => {
                ("ec2", "AuthorizeSecurityGroupEgress".into())
            }
            Call::Ec2RevokeSecurityGroupIngress { .. } => {
                ("ec2", "RevokeSecurityGroupIngress".into())
            }
            Call::Ec2RevokeSecurityGroupEgress { .. } => {
                ("ec2", "RevokeSecurityGroupEgress".into())
            }
            Call::Ec2ModifySecurityGroupRules { .. } => ("ec2", "ModifySecurityGroupRules".into()),
            Call::Ec2ModifyVpcAttribute { .. } => ("ec2", "ModifyVpcAttribute".into()),
            Call::Ec2ModifySubnetAttribute { .. } => ("ec2", "ModifySubnetAttribute".into()),
            Call::Ec2ModifyInstanceAttribute { .. } => ("ec2", "ModifyInstanceAttribute".into()),
            Call::Ec2MonitorInstances { .. } => ("ec2", "MonitorInstances".into()),
            Call::Ec2UnmonitorInstances { .. } => ("ec2", "UnmonitorInstances".into()),
            Call::Ec2StopInstances { .. } => ("ec2", "StopInstances".into()),
            Call::Ec2StartInstances { .. } => ("ec2", "StartInstances".into()),
            Call::Ec2DeleteSecurityGroup { .. } => ("ec2", "DeleteSecurityGroup".into()),
            Call::IamTag { entity, .. } => ("iam", format!("Tag{entity}")),
            Call::IamUntag { entity, .. } => ("iam", format!("Untag{entity}")),
            Call::IamUpdateAssumeRolePolicy { .. } => ("iam", "UpdateAssumeRolePolicy".into()),
            Call::IamUpdateRole { .. } => ("iam", "UpdateRole".into()),
            Call::IamUpdateUser { .. } => ("iam", "UpdateUser".into()),
            Call::IamPutInlinePolicy { entity, .. } => ("iam", format!("Put{entity}Policy")),
            Call::IamDeleteInlinePolicy { entity, .. } => ("iam", format!("Delete{entity}Policy")),
            Call::IamAttachPolicy { entity, .. } => ("iam", format!("Attach{entity}Policy")),
            Call::IamDetachPolicy { entity, .. } => ("iam", format!("Detach{entity}Policy")),
            Call::IamPutPermissionsBoundary { entity, .. } => {
                ("iam", format!("Put{entity}PermissionsBoundary"))
            }
            Call::IamDeletePermissionsBoundary { entity, .. } => {
                ("iam", format!("Delete{entity}PermissionsBoundary"))
            }
            Call::IamDeletePolicyVersion { .. } => ("iam", "DeletePolicyVersion".into()),
            Call::IamCreatePolicyVersion { .. } => ("iam", "CreatePolicyVersion".into()),
            Call::ConfigEdit { .. } => ("config", "EditFile".into()),
        };
        format!("{service}:{op}")
    }
}

/// What an action expects to observe before it runs; anything else makes the plan stale.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Expect {
    /// The object is not observed (a missing resource to re-create).
    Absent,
    /// The object is observed (an unmanaged object).
    Present,
    /// The canonical observed value at `path` has this keyed fingerprint
    /// ([`crate::mask::fingerprint`] under the plan's expectation key).
    Value { path: Path, fingerprint: String },
}

/// One step of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// `a01`, `a02`, ... in plan order.
    pub id: String,
    pub kind: ActionKind,
    pub status: ActionStatus,
    /// `None` for unmanaged objects.
    pub address: Option<Address>,
    pub resource_type: String,
    pub resource_id: String,
    pub region: Option<String>,
    pub finding: FindingRef,
    pub changes: Vec<PlannedChange>,
    /// Executed in this order (empty for a manual action).
    pub calls: Vec<Call>,
    pub expect: Vec<Expect>,
    /// For `manual`: what a person runs instead (`terraform apply -replace=ADDR`).
    pub manual_command: Option<String>,
    /// For an accept or import that driftgate carries out: what a person runs afterwards
    /// (`terraform apply -refresh-only`, `terraform plan`), since the state changes only then.
    pub follow_up: Option<String>,
    pub reason: String,
    /// The guardrail that matched this action, if one did (`blocked` for `deny`).
    pub guardrail: Option<GuardrailHit>,
    /// Whether its revert interrupts a running workload (stops an instance, swaps a profile's
    /// role): set by the planner from the revert the spec names, never from the author's
    /// wording; what `--allow-disruptive` and the built-in `disruptive` guardrail govern.
    /// Recorded on a manual action too (the revert it would take is disruptive).
    pub disruptive: bool,
}

/// What a guardrail does to the actions it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum GuardrailEffect {
    /// Never executed, whatever the approvals: status `blocked`.
    Deny,
    /// Executed only with at least this many signed approvals.
    RequireApprovals(u32),
}

/// The guardrail that matched an action: its name, why it exists, and its effect.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GuardrailHit {
    pub name: String,
    pub reason: String,
    pub effect: GuardrailEffect,
}

/// The name of the built-in guardrail over disruptive reverts (`planner::guardrail` governs
/// it; the trust root may require approvals for it by this name).
pub const DISRUPTIVE: &str = "disruptive";

/// Whether the action interrupts a running workload (it stops an instance, swaps a profile's
/// role): what the built-in [`DISRUPTIVE`] guards, read from the action's own `disruptive`
/// (the planner's, from the revert; apply refuses a plan whose actions differ from its
/// re-plan) and from the calls themselves, so that no other guardrail recorded on the action
/// (nor `--allow-disruptive`) hides it.
pub fn is_disruptive(a: &Action) -> bool {
    a.disruptive
        || a.calls
            .iter()
            .any(|c| matches!(c, Call::Ec2StopInstances { .. }))
}

/// The most signed approvals a `require_approvals` guardrail asks of the plan's executable
/// actions (0 when none does): read from what the planner recorded on each action.
pub fn approvals_required(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| a.status == ActionStatus::Planned)
        .filter_map(|a| match a.guardrail.as_ref().map(|g| g.effect) {
            Some(GuardrailEffect::RequireApprovals(n)) => Some(n as usize),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// One state the plan was made from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct StateInput {
    pub source: StateSource,
    pub lineage: String,
    pub serial: u64,
    /// Hex SHA-256 of the state file's bytes.
    pub sha256: String,
}

/// Everything a plan depends on: `apply` refuses when any of it changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inputs {
    pub states: Vec<StateInput>,
    /// Hex SHA-256 over the configuration's `.tf` files (names and bytes), when one was used.
    pub configuration: Option<String>,
    /// Hex SHA-256 of the policy file (and `.driftignore`), when one was used.
    pub policy: Option<String>,
    /// Hex SHA-256 of the recorded observation the plan was made from (`--observed`); `None`
    /// when the plan was made from the live cloud.
    pub observation: Option<String>,
    /// `sha256:<hex>` of the pinned trust root's file the plan was made under; `None` without
    /// one. Apply under another root (or none) is refused.
    pub trust_root: Option<String>,
}

/// Who made the plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Author {
    /// `DRIFTGATE_ACTOR`, else the CI's actor variable, else the OS user.
    pub actor: String,
    /// The AWS caller identity (STS), when it was reachable.
    pub aws_caller_arn: Option<String>,
    /// The CI's identity of who triggered the job (`github:OWNER/REPO:LOGIN`), when in CI.
    pub ci: Option<String>,
    /// The OS user (recorded, never trusted).
    pub os_user: Option<String>,
    /// The public key that signed the plan (`plan --sign KEY`): part of the digest.
    pub key: Option<String>,
    /// That key's signature over the digest: outside the digest (it signs it).
    pub signature: Option<String>,
    /// `Some("agent")` for a plan an agent wrote (`driftgate mcp`); `None` for a person's.
    /// Part of the digest. Under a pinned trust root what counts is the signing key (an
    /// agent's key in the root), never this field: `apply` refuses a plan whose field and
    /// key disagree.
    pub kind: Option<String>,
    /// The agent's name in the trust root, for an agent's plan. Part of the digest.
    pub agent: Option<String>,
}

/// `author.kind` of a plan written by an agent.
pub const AGENT_KIND: &str = "agent";

impl Author {
    /// Whether the plan says an agent wrote it.
    pub fn is_agent(&self) -> bool {
        self.kind.as_deref() == Some(AGENT_KIND)
    }
}

/// A remediation plan. `digest` is the SHA-256 of the canonical form of everything else
/// (`plan_file::digest`).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub format_version: u64,
    pub created_at: time::OffsetDateTime,
    pub expires_at: time::OffsetDateTime,
    pub author: Author,
    pub inputs: Inputs,
    pub actions: Vec<Action>,
    pub digest: String,
}

impl Plan {
    /// Whether anything is left to do (planned or manual).
    pub fn has_actions(&self) -> bool {
        !self.actions.is_empty()
    }

    pub fn count(&self, status: ActionStatus) -> usize {
        self.actions.iter().filter(|a| a.status == status).count()
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

impl Inputs {
    /// What the plan was made from, as an approver checks it: the policy digest (`apply` refuses
    /// another policy), each state file (its source and SHA-256), the configuration and the
    /// recorded observation. One line each.
    pub fn lines(&self) -> Vec<String> {
        let i = self;
        let mut out = vec![match &i.policy {
            Some(p) => format!("policy: sha256:{p} (policy file and .driftignore)"),
            None => "policy: none (the built-in policy: no policy file, no .driftignore)".into(),
        }];
        for st in &i.states {
            out.push(format!(
                "state: {} sha256:{} (serial {})",
                st.source, st.sha256, st.serial
            ));
        }
        if let Some(c) = &i.configuration {
            out.push(format!("configuration: sha256:{c}"));
        }
        if let Some(o) = &i.observation {
            out.push(format!("observation: sha256:{o} (a recorded observation)"));
        }
        if let Some(r) = &i.trust_root {
            out.push(format!("trust root: {r} (the pinned trust root)"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_names_are_iam_action_names() {
        let rule = SgRule {
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            source: SgSource::CidrIpv4("0.0.0.0/0".into()),
            description: String::new(),
        };
        assert_eq!(
            Call::Ec2RevokeSecurityGroupIngress {
                group_id: "sg-1".into(),
                rule
            }
            .api(),
            "ec2:RevokeSecurityGroupIngress"
        );
        assert_eq!(
            Call::IamPutInlinePolicy {
                entity: IamEntity::User,
                name: "u".into(),
                policy_name: "p".into(),
                document: Arg::text("{}"),
            }
            .api(),
            "iam:PutUserPolicy"
        );
        assert_eq!(
            Call::IamUntag {
                entity: IamEntity::Policy,
                name: "arn".into(),
                keys: vec![],
            }
            .api(),
            "iam:UntagPolicy"
        );
    }

    #[test]
    fn recorded_args_never_carry_a_secret() {
        let at = StateRef {
            state: StateSource("s".into()),
            address: Address::managed("aws_iam_user", "u"),
            path: Path::root("tags").key("secret"),
        };
        assert_eq!(
            Arg::recorded(&Value::str("x"), at.clone()),
            Arg::Value(Value::str("x"))
        );
        assert_eq!(
            Arg::recorded(&Value::sensitive(Value::str("hunter2")), at.clone()),
            Arg::FromState(at)
        );
    }
}
