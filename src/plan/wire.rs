//! The plan file's wire types (serde) and their conversion to and from the domain
//! ([`crate::model::plan`]). `docs/remediation.md` documents the format and
//! `docs/plan.schema.json` is its JSON Schema; these types are its only definition in code.
//!
//! Values (a change's `now` and `target`, a call's literal argument) use the observation
//! file's encoding (`codec`): plain JSON, with `{"sensitive": "hmac-sha256:..."}`
//! for a secret's fingerprint. A call's sensitive argument is `{"from_state": {...}}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as J, json};

use crate::codec;
use crate::model::plan::{
    Action, ActionKind, ActionStatus, Arg, Author, Call, ConfigEdit, Expect, FindingRef,
    GuardrailEffect, GuardrailHit, IamEntity, Inputs, Plan, PlannedChange, SgRule, SgSource,
    StateInput, StateRef, VersionSelector,
};
use crate::model::{
    Address, DriftKind, InstanceKey, Mode, ModuleStep, Path, Segment, Severity, StateSource,
};

const TIME: &[time::format_description::BorrowedFormatItem<'_>] =
    time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    pub format_version: u64,
    pub created_at: String,
    pub expires_at: String,
    pub author: AuthorW,
    pub inputs: InputsW,
    pub actions: Vec<ActionW>,
    pub digest: String,
    /// The author's Ed25519 signature over `digest` (base64), by `author.key`; left out of the
    /// digest, which it signs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorW {
    pub actor: String,
    pub aws_caller_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputsW {
    pub states: Vec<StateW>,
    pub configuration: Option<String>,
    pub policy: Option<String>,
    pub observation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust_root: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateW {
    pub source: String,
    pub lineage: String,
    pub serial: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionW {
    pub id: String,
    pub kind: String,
    pub status: String,
    pub address: Option<String>,
    pub resource_type: String,
    pub resource_id: String,
    pub region: Option<String>,
    pub finding: FindingW,
    pub changes: Vec<ChangeW>,
    /// `{"api": "ec2:CreateTags", ...parameters}`: see [`call_to_json`].
    pub calls: Vec<J>,
    pub expect: Vec<ExpectW>,
    pub manual_command: Option<String>,
    #[serde(default)]
    pub follow_up: Option<String>,
    pub reason: String,
    /// The guardrail that matched (absent when none did).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub guardrail: Option<GuardrailW>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuardrailW {
    pub name: String,
    pub reason: String,
    /// `deny` or `require_approvals`.
    pub effect: String,
    /// For `require_approvals`: how many signed approvals.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approvals: Option<u32>,
}

fn guardrail_to_wire(g: &GuardrailHit) -> GuardrailW {
    let (effect, approvals) = match g.effect {
        GuardrailEffect::Deny => ("deny", None),
        GuardrailEffect::RequireApprovals(n) => ("require_approvals", Some(n)),
    };
    GuardrailW {
        name: g.name.clone(),
        reason: g.reason.clone(),
        effect: effect.into(),
        approvals,
    }
}

fn guardrail_from_wire(g: &GuardrailW) -> Result<GuardrailHit, String> {
    let effect = match (g.effect.as_str(), g.approvals) {
        ("deny", None) => GuardrailEffect::Deny,
        ("require_approvals", Some(n)) if n >= 1 => GuardrailEffect::RequireApprovals(n),
        (e, n) => return Err(format!("guardrail effect `{e}` with approvals {n:?}")),
    };
    Ok(GuardrailHit {
        name: g.name.clone(),
        reason: g.reason.clone(),
        effect,
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FindingW {
    pub kind: String,
    pub address: Option<String>,
    pub id: String,
    pub rule: String,
    pub severity: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeW {
    /// Terraform's naming (`tags.team`), for people.
    pub path: String,
    /// The path's steps (keys and list indexes), for programs.
    pub path_steps: Vec<J>,
    pub now: J,
    pub target: J,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectW {
    /// `absent`, `present` or `value`.
    pub observed: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_steps: Option<Vec<J>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
}

// ---- domain -> wire -------------------------------------------------------------------------

pub fn format_time(t: time::OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(TIME)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

pub fn parse_time(s: &str) -> Result<time::OffsetDateTime, String> {
    time::PrimitiveDateTime::parse(s, TIME)
        .map(|t| t.assume_utc())
        .map_err(|e| format!("`{s}` is not a UTC time like 2026-01-31T12:00:00Z: {e}"))
}

fn steps(p: &Path) -> Vec<J> {
    p.0.iter()
        .map(|s| match s {
            Segment::Key(k) => J::String(k.clone()),
            Segment::Index(i) => J::from(*i as u64),
        })
        .collect()
}

fn value(v: &crate::model::Value) -> J {
    // A plan holds no clear secret (the planner fingerprints them, and `plan::clear_secret`
    // makes one that slips through an error before a plan is written). Should one reach the
    // encoder all the same, it is withheld: never written, nor fingerprinted with a key
    // anyone could guess.
    codec::encode(&withheld(v), b"")
}

/// The marker a clear secret becomes in a plan file, should one ever reach the encoder.
pub const WITHHELD: &str = "hmac-sha256:withheld";

fn withheld(v: &crate::model::Value) -> crate::model::Value {
    use crate::model::{Secret, Value};
    match v {
        Value::Sensitive(Secret::Clear(_)) => {
            Value::Sensitive(Secret::Fingerprint(WITHHELD.into()))
        }
        Value::List(l) => Value::List(l.iter().map(withheld).collect()),
        Value::Map(m) => Value::Map(m.iter().map(|(k, x)| (k.clone(), withheld(x))).collect()),
        other => other.clone(),
    }
}

pub fn to_wire(plan: &Plan) -> PlanFile {
    PlanFile {
        format_version: plan.format_version,
        created_at: format_time(plan.created_at),
        expires_at: format_time(plan.expires_at),
        author: AuthorW {
            actor: plan.author.actor.clone(),
            aws_caller_arn: plan.author.aws_caller_arn.clone(),
            ci: plan.author.ci.clone(),
            os_user: plan.author.os_user.clone(),
            key: plan.author.key.clone(),
        },
        inputs: InputsW {
            states: plan
                .inputs
                .states
                .iter()
                .map(|s| StateW {
                    source: s.source.0.clone(),
                    lineage: s.lineage.clone(),
                    serial: s.serial,
                    sha256: s.sha256.clone(),
                })
                .collect(),
            configuration: plan.inputs.configuration.clone(),
            policy: plan.inputs.policy.clone(),
            observation: plan.inputs.observation.clone(),
            trust_root: plan.inputs.trust_root.clone(),
        },
        actions: plan.actions.iter().map(action_to_wire).collect(),
        digest: plan.digest.clone(),
        signature: plan.author.signature.clone(),
    }
}

fn action_to_wire(a: &Action) -> ActionW {
    ActionW {
        id: a.id.clone(),
        kind: a.kind.as_str().into(),
        status: a.status.as_str().into(),
        address: a.address.as_ref().map(ToString::to_string),
        resource_type: a.resource_type.clone(),
        resource_id: a.resource_id.clone(),
        region: a.region.clone(),
        finding: FindingW {
            kind: a.finding.kind.as_str().into(),
            address: a.finding.address.as_ref().map(ToString::to_string),
            id: a.finding.id.clone(),
            rule: a.finding.rule.clone(),
            severity: a.finding.severity.as_str().into(),
        },
        changes: a
            .changes
            .iter()
            .map(|c| ChangeW {
                path: c.path.to_string(),
                path_steps: steps(&c.path),
                now: value(&c.now),
                target: value(&c.target),
            })
            .collect(),
        calls: a.calls.iter().map(call_to_json).collect(),
        expect: a
            .expect
            .iter()
            .map(|e| match e {
                Expect::Absent => ExpectW {
                    observed: "absent".into(),
                    path_steps: None,
                    fingerprint: None,
                },
                Expect::Present => ExpectW {
                    observed: "present".into(),
                    path_steps: None,
                    fingerprint: None,
                },
                Expect::Value { path, fingerprint } => ExpectW {
                    observed: "value".into(),
                    path_steps: Some(steps(path)),
                    fingerprint: Some(fingerprint.clone()),
                },
            })
            .collect(),
        manual_command: a.manual_command.clone(),
        follow_up: a.follow_up.clone(),
        reason: a.reason.clone(),
        guardrail: a.guardrail.as_ref().map(guardrail_to_wire),
    }
}

fn arg(a: &Arg) -> J {
    match a {
        Arg::Value(v) => json!({ "value": value(v) }),
        Arg::FromState(r) => json!({ "from_state": {
            "state": r.state.0,
            "address": r.address.to_string(),
            "path": r.path.to_string(),
            "path_steps": steps(&r.path),
        }}),
    }
}

fn rule(r: &SgRule) -> J {
    let (kind, v) = match &r.source {
        SgSource::CidrIpv4(c) => ("cidr_ipv4", c),
        SgSource::CidrIpv6(c) => ("cidr_ipv6", c),
        SgSource::PrefixList(p) => ("prefix_list_id", p),
        SgSource::Group(g) => ("group_id", g),
    };
    let mut m = Map::new();
    m.insert("protocol".into(), json!(r.protocol));
    m.insert("from_port".into(), json!(r.from_port));
    m.insert("to_port".into(), json!(r.to_port));
    m.insert(kind.into(), json!(v));
    m.insert("description".into(), json!(r.description));
    J::Object(m)
}

fn iam_name_key(e: IamEntity) -> &'static str {
    match e {
        IamEntity::Role => "role_name",
        IamEntity::User => "user_name",
        IamEntity::Policy => "policy_arn",
    }
}

fn tag_map(tags: &BTreeMap<String, Arg>) -> J {
    J::Object(tags.iter().map(|(k, v)| (k.clone(), arg(v))).collect())
}

/// A call as `{"api": "service:Operation", ...parameters}`, parameters named as the AWS API
/// names them (in snake_case).
pub fn call_to_json(c: &Call) -> J {
    let mut m = Map::new();
    m.insert("api".into(), J::String(c.api()));
    let mut put = |k: &str, v: J| {
        m.insert(k.to_string(), v);
    };
    match c {
        Call::Ec2CreateTags { resource_id, tags } => {
            put("resource_id", json!(resource_id));
            put("tags", tag_map(tags));
        }
        Call::Ec2DeleteTags { resource_id, keys } => {
            put("resource_id", json!(resource_id));
            put("keys", json!(keys));
        }
        Call::Ec2AuthorizeSecurityGroupIngress { group_id, rule: r }
        | Call::Ec2AuthorizeSecurityGroupEgress { group_id, rule: r }
        | Call::Ec2RevokeSecurityGroupIngress { group_id, rule: r }
        | Call::Ec2RevokeSecurityGroupEgress { group_id, rule: r } => {
            put("group_id", json!(group_id));
            put("rule", rule(r));
        }
        Call::Ec2ModifySecurityGroupRules {
            group_id,
            rule_id,
            rule: r,
        } => {
            put("group_id", json!(group_id));
            put("rule_id", json!(rule_id));
            put("rule", rule(r));
        }
        Call::Ec2ModifyVpcAttribute {
            vpc_id,
            attribute,
            value,
        } => {
            put("vpc_id", json!(vpc_id));
            put("attribute", json!(attribute));
            put("value", json!(value));
        }
        Call::Ec2ModifySubnetAttribute {
            subnet_id,
            attribute,
            value,
        } => {
            put("subnet_id", json!(subnet_id));
            put("attribute", json!(attribute));
            put("value", json!(value));
        }
        Call::Ec2ModifyInstanceAttribute {
            instance_id,
            attribute,
            value,
        } => {
            put("instance_id", json!(instance_id));
            put("attribute", json!(attribute));
            put("value", arg(value));
        }
        Call::Ec2MonitorInstances { instance_id }
        | Call::Ec2UnmonitorInstances { instance_id }
        | Call::Ec2StopInstances { instance_id }
        | Call::Ec2StartInstances { instance_id } => put("instance_id", json!(instance_id)),
        Call::Ec2DeleteSecurityGroup { group_id } => put("group_id", json!(group_id)),
        Call::IamTag { entity, name, tags } => {
            put(iam_name_key(*entity), json!(name));
            put("tags", tag_map(tags));
        }
        Call::IamUntag { entity, name, keys } => {
            put(iam_name_key(*entity), json!(name));
            put("keys", json!(keys));
        }
        Call::IamUpdateAssumeRolePolicy {
            role_name,
            document,
        } => {
            put("role_name", json!(role_name));
            put("policy_document", arg(document));
        }
        Call::IamUpdateRole {
            role_name,
            description,
            max_session_duration,
        } => {
            put("role_name", json!(role_name));
            put(
                "description",
                description.as_ref().map(arg).unwrap_or(J::Null),
            );
            put("max_session_duration", json!(max_session_duration));
        }
        Call::IamUpdateUser {
            user_name,
            new_path,
        } => {
            put("user_name", json!(user_name));
            put("new_path", json!(new_path));
        }
        Call::IamPutInlinePolicy {
            entity,
            name,
            policy_name,
            document,
        } => {
            put(iam_name_key(*entity), json!(name));
            put("policy_name", json!(policy_name));
            put("policy_document", arg(document));
        }
        Call::IamDeleteInlinePolicy {
            entity,
            name,
            policy_name,
        } => {
            put(iam_name_key(*entity), json!(name));
            put("policy_name", json!(policy_name));
        }
        Call::IamAttachPolicy {
            entity,
            name,
            policy_arn,
        }
        | Call::IamDetachPolicy {
            entity,
            name,
            policy_arn,
        } => {
            put(iam_name_key(*entity), json!(name));
            put("policy_arn", json!(policy_arn));
        }
        Call::IamPutPermissionsBoundary {
            entity,
            name,
            policy_arn,
        } => {
            put(iam_name_key(*entity), json!(name));
            put("permissions_boundary", json!(policy_arn));
        }
        Call::IamDeletePermissionsBoundary { entity, name } => {
            put(iam_name_key(*entity), json!(name))
        }
        Call::IamDeletePolicyVersion {
            policy_arn,
            version,
        } => {
            put("policy_arn", json!(policy_arn));
            put(
                "version",
                json!(match version {
                    VersionSelector::OldestNonDefaultAtLimit => "oldest_non_default_at_limit",
                }),
            );
            put(
                "version_limit",
                json!(crate::model::plan::IAM_POLICY_VERSION_LIMIT),
            );
        }
        Call::IamCreatePolicyVersion {
            policy_arn,
            document,
            set_as_default,
        } => {
            put("policy_arn", json!(policy_arn));
            put("policy_document", arg(document));
            put("set_as_default", json!(set_as_default));
        }
        Call::ConfigEdit {
            file,
            before_sha256,
            after_sha256,
            edit,
            diff,
        } => {
            put("file", json!(file));
            put("before_sha256", json!(before_sha256));
            put("after_sha256", json!(after_sha256));
            put("edit", config_edit(edit));
            put("diff", json!(diff));
        }
    }
    J::Object(m)
}

// ---- wire -> domain -------------------------------------------------------------------------

/// Reads a plan's wire form back into the domain. The digest is *not* checked here (see
/// `plan::file::read`, which checks it on the text before this runs).
pub fn from_wire(w: &PlanFile) -> Result<Plan, String> {
    Ok(Plan {
        format_version: w.format_version,
        created_at: parse_time(&w.created_at).map_err(|e| format!("created_at: {e}"))?,
        expires_at: parse_time(&w.expires_at).map_err(|e| format!("expires_at: {e}"))?,
        author: Author {
            actor: w.author.actor.clone(),
            aws_caller_arn: w.author.aws_caller_arn.clone(),
            ci: w.author.ci.clone(),
            os_user: w.author.os_user.clone(),
            key: w.author.key.clone(),
            signature: w.signature.clone(),
        },
        inputs: Inputs {
            states: w
                .inputs
                .states
                .iter()
                .map(|s| StateInput {
                    source: StateSource(s.source.clone()),
                    lineage: s.lineage.clone(),
                    serial: s.serial,
                    sha256: s.sha256.clone(),
                })
                .collect(),
            configuration: w.inputs.configuration.clone(),
            policy: w.inputs.policy.clone(),
            observation: w.inputs.observation.clone(),
            trust_root: w.inputs.trust_root.clone(),
        },
        actions: w
            .actions
            .iter()
            .enumerate()
            .map(|(i, a)| action_from_wire(a).map_err(|e| format!("actions[{i}]: {e}")))
            .collect::<Result<_, _>>()?,
        digest: w.digest.clone(),
    })
}

fn one_of<T: Copy>(
    what: &str,
    s: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str,
) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|t| name(*t) == s)
        .ok_or_else(|| format!("unknown {what} `{s}`"))
}

fn path_from(steps: &[J]) -> Result<Path, String> {
    steps
        .iter()
        .map(|s| match s {
            J::String(k) => Ok(Segment::Key(k.clone())),
            J::Number(n) => n
                .as_u64()
                .map(|i| Segment::Index(i as usize))
                .ok_or_else(|| format!("path step {n} is not an index")),
            other => Err(format!("path step {other} is neither a key nor an index")),
        })
        .collect::<Result<_, _>>()
        .map(Path)
}

fn action_from_wire(a: &ActionW) -> Result<Action, String> {
    let kinds = [DriftKind::Changed, DriftKind::Missing, DriftKind::Unmanaged];
    let address = a.address.as_deref().map(parse_address).transpose()?;
    Ok(Action {
        id: a.id.clone(),
        kind: one_of("action kind", &a.kind, &ActionKind::ALL, ActionKind::as_str)?,
        status: one_of(
            "status",
            &a.status,
            &ActionStatus::ALL,
            ActionStatus::as_str,
        )?,
        address,
        resource_type: a.resource_type.clone(),
        resource_id: a.resource_id.clone(),
        region: a.region.clone(),
        finding: FindingRef {
            kind: one_of("finding kind", &a.finding.kind, &kinds, DriftKind::as_str)?,
            address: a
                .finding
                .address
                .as_deref()
                .map(parse_address)
                .transpose()?,
            id: a.finding.id.clone(),
            rule: a.finding.rule.clone(),
            severity: a
                .finding
                .severity
                .parse::<Severity>()
                .map_err(|e| e.to_string())?,
        },
        changes: a
            .changes
            .iter()
            .map(|c| {
                Ok(PlannedChange {
                    path: path_from(&c.path_steps)?,
                    now: codec::decode(&c.now, &format!("change {}: now", c.path))?,
                    target: codec::decode(&c.target, &format!("change {}: target", c.path))?,
                })
            })
            .collect::<Result<_, String>>()?,
        calls: a
            .calls
            .iter()
            .enumerate()
            .map(|(i, c)| call_from_json(c).map_err(|e| format!("calls[{i}]: {e}")))
            .collect::<Result<_, _>>()?,
        expect: a
            .expect
            .iter()
            .map(
                |e| match (e.observed.as_str(), &e.path_steps, &e.fingerprint) {
                    ("absent", None, None) => Ok(Expect::Absent),
                    ("present", None, None) => Ok(Expect::Present),
                    ("value", Some(p), Some(f)) => Ok(Expect::Value {
                        path: path_from(p)?,
                        fingerprint: f.clone(),
                    }),
                    (o, _, _) => Err(format!("malformed expectation `{o}`")),
                },
            )
            .collect::<Result<_, String>>()?,
        manual_command: a.manual_command.clone(),
        follow_up: a.follow_up.clone(),
        reason: a.reason.clone(),
        guardrail: a.guardrail.as_ref().map(guardrail_from_wire).transpose()?,
    })
}

/// A call's parameters, read by name.
struct Params<'a>(&'a Map<String, J>);

impl Params<'_> {
    fn get(&self, k: &str) -> Result<&J, String> {
        self.0.get(k).ok_or_else(|| format!("missing `{k}`"))
    }
    fn s(&self, k: &str) -> Result<String, String> {
        self.get(k)?
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("`{k}` must be a string"))
    }
    fn b(&self, k: &str) -> Result<bool, String> {
        self.get(k)?
            .as_bool()
            .ok_or_else(|| format!("`{k}` must be a bool"))
    }
    fn strings(&self, k: &str) -> Result<Vec<String>, String> {
        serde_json::from_value(self.get(k)?.clone())
            .map_err(|_| format!("`{k}` must be a list of strings"))
    }
    fn arg(&self, k: &str) -> Result<Arg, String> {
        arg_from(self.get(k)?).map_err(|e| format!("`{k}`: {e}"))
    }
    fn tags(&self) -> Result<BTreeMap<String, Arg>, String> {
        self.get("tags")?
            .as_object()
            .ok_or("`tags` must be an object")?
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    arg_from(v).map_err(|e| format!("tag `{k}`: {e}"))?,
                ))
            })
            .collect()
    }
    fn rule(&self) -> Result<SgRule, String> {
        let r = self
            .get("rule")?
            .as_object()
            .ok_or("`rule` must be an object")?;
        let p = Params(r);
        let port = |k: &str| match r.get(k) {
            None | Some(J::Null) => Ok(None),
            Some(v) => v
                .as_i64()
                .map(Some)
                .ok_or_else(|| format!("`{k}` must be an integer")),
        };
        let source = if let Some(J::String(c)) = r.get("cidr_ipv4") {
            SgSource::CidrIpv4(c.clone())
        } else if let Some(J::String(c)) = r.get("cidr_ipv6") {
            SgSource::CidrIpv6(c.clone())
        } else if let Some(J::String(c)) = r.get("prefix_list_id") {
            SgSource::PrefixList(c.clone())
        } else if let Some(J::String(c)) = r.get("group_id") {
            SgSource::Group(c.clone())
        } else {
            return Err(
                "a rule needs one of cidr_ipv4, cidr_ipv6, prefix_list_id, group_id".into(),
            );
        };
        Ok(SgRule {
            protocol: p.s("protocol")?,
            from_port: port("from_port")?,
            to_port: port("to_port")?,
            source,
            description: p.s("description")?,
        })
    }
    /// The principal of an IAM call: which of role_name/user_name/policy_arn names it.
    fn principal(&self, entity: IamEntity) -> Result<String, String> {
        self.s(iam_name_key(entity))
    }
}

fn arg_from(j: &J) -> Result<Arg, String> {
    let o = j
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or("an argument is `{\"value\": ...}` or `{\"from_state\": {...}}`")?;
    if let Some(v) = o.get("value") {
        let v = codec::decode(v, "value")?;
        if v.contains_sensitive() {
            return Err("a literal argument cannot be sensitive".into());
        }
        return Ok(Arg::Value(v));
    }
    let r = o
        .get("from_state")
        .and_then(J::as_object)
        .ok_or("an argument is `{\"value\": ...}` or `{\"from_state\": {...}}`")?;
    let p = Params(r);
    Ok(Arg::FromState(StateRef {
        state: StateSource(p.s("state")?),
        address: parse_address(&p.s("address")?)?,
        path: path_from(
            p.get("path_steps")?
                .as_array()
                .ok_or("`path_steps` must be a list")?,
        )?,
    }))
}

fn entity_of(op: &str, prefix: &str, suffix: &str) -> Option<IamEntity> {
    let middle = op.strip_prefix(prefix)?.strip_suffix(suffix)?;
    [IamEntity::Role, IamEntity::User, IamEntity::Policy]
        .into_iter()
        .find(|e| e.as_str() == middle)
}

fn config_edit(e: &ConfigEdit) -> J {
    match e {
        ConfigEdit::Set {
            resource_type,
            name,
            values,
        } => json!({"set": {
            "resource_type": resource_type,
            "name": name,
            "values": values.iter().map(|(p, v)| json!({
                "path": p.to_string(),
                "path_steps": steps(p),
                "value": v.as_ref().map(value),
            })).collect::<Vec<_>>(),
        }}),
        ConfigEdit::Append { text } => json!({"append": {"text": text}}),
    }
}

fn config_edit_from(j: &J) -> Result<ConfigEdit, String> {
    let o = j
        .as_object()
        .filter(|o| o.len() == 1)
        .ok_or("`edit` is `{\"set\": {...}}` or `{\"append\": {...}}`")?;
    if let Some(a) = o.get("append").and_then(J::as_object) {
        return Ok(ConfigEdit::Append {
            text: Params(a).s("text")?,
        });
    }
    let s = o
        .get("set")
        .and_then(J::as_object)
        .ok_or("`edit` is `{\"set\": {...}}` or `{\"append\": {...}}`")?;
    let p = Params(s);
    let values = p
        .get("values")?
        .as_array()
        .ok_or("`values` must be a list")?
        .iter()
        .map(|v| {
            let v = v.as_object().ok_or("a value must be an object")?;
            let vp = Params(v);
            let path = path_from(
                vp.get("path_steps")?
                    .as_array()
                    .ok_or("`path_steps` must be a list")?,
            )?;
            let value = match vp.get("value")? {
                J::Null => None,
                j => {
                    let v = codec::decode(j, "value")?;
                    if v.contains_sensitive() {
                        return Err("a configuration value cannot be sensitive".to_string());
                    }
                    Some(v)
                }
            };
            Ok((path, value))
        })
        .collect::<Result<_, String>>()?;
    Ok(ConfigEdit::Set {
        resource_type: p.s("resource_type")?,
        name: p.s("name")?,
        values,
    })
}

/// The inverse of [`call_to_json`].
pub fn call_from_json(j: &J) -> Result<Call, String> {
    let m = j.as_object().ok_or("a call must be an object")?;
    let p = Params(m);
    let api = p.s("api")?;
    let (service, op) = api
        .split_once(':')
        .ok_or_else(|| format!("`{api}` is not service:Operation"))?;
    let call = match (service, op) {
        ("ec2", "CreateTags") => Call::Ec2CreateTags {
            resource_id: p.s("resource_id")?,
            tags: p.tags()?,
        },
        ("ec2", "DeleteTags") => Call::Ec2DeleteTags {
            resource_id: p.s("resource_id")?,
            keys: p.strings("keys")?,
        },
        ("ec2", "AuthorizeSecurityGroupIngress") => Call::Ec2AuthorizeSecurityGroupIngress {
            group_id: p.s("group_id")?,
            rule: p.rule()?,
        },
        ("ec2", "AuthorizeSecurityGroupEgress") => Call::Ec2AuthorizeSecurityGroupEgress {
            group_id: p.s("group_id")?,
            rule: p.rule()?,
        },
        ("ec2", "RevokeSecurityGroupIngress") => Call::Ec2RevokeSecurityGroupIngress {
            group_id: p.s("group_id")?,
            rule: p.rule()?,
        },
        ("ec2", "RevokeSecurityGroupEgress") => Call::Ec2RevokeSecurityGroupEgress {
            group_id: p.s("group_id")?,
            rule: p.rule()?,
        },
        ("ec2", "ModifySecurityGroupRules") => Call::Ec2ModifySecurityGroupRules {
            group_id: p.s("group_id")?,
            rule_id: p.s("rule_id")?,
            rule: p.rule()?,
        },
        ("ec2", "ModifyVpcAttribute") => Call::Ec2ModifyVpcAttribute {
            vpc_id: p.s("vpc_id")?,
            attribute: p.s("attribute")?,
            value: p.b("value")?,
        },
        ("ec2", "ModifySubnetAttribute") => Call::Ec2ModifySubnetAttribute {
            subnet_id: p.s("subnet_id")?,
            attribute: p.s("attribute")?,
            value: p.b("value")?,
        },
        ("ec2", "ModifyInstanceAttribute") => Call::Ec2ModifyInstanceAttribute {
            instance_id: p.s("instance_id")?,
            attribute: p.s("attribute")?,
            value: p.arg("value")?,
        },
        ("ec2", "MonitorInstances") => Call::Ec2MonitorInstances {
            instance_id: p.s("instance_id")?,
        },
        ("ec2", "UnmonitorInstances") => Call::Ec2UnmonitorInstances {
            instance_id: p.s("instance_id")?,
        },
        ("ec2", "StopInstances") => Call::Ec2StopInstances {
            instance_id: p.s("instance_id")?,
        },
        ("ec2", "StartInstances") => Call::Ec2StartInstances {
            instance_id: p.s("instance_id")?,
        },
        ("ec2", "DeleteSecurityGroup") => Call::Ec2DeleteSecurityGroup {
            group_id: p.s("group_id")?,
        },
        ("iam", "UpdateAssumeRolePolicy") => Call::IamUpdateAssumeRolePolicy {
            role_name: p.s("role_name")?,
            document: p.arg("policy_document")?,
        },
        ("iam", "UpdateRole") => Call::IamUpdateRole {
            role_name: p.s("role_name")?,
            description: match p.get("description")? {
                J::Null => None,
                _ => Some(p.arg("description")?),
            },
            max_session_duration: match p.get("max_session_duration")? {
                J::Null => None,
                v => Some(
                    v.as_i64()
                        .ok_or("`max_session_duration` must be an integer")?,
                ),
            },
        },
        ("iam", "UpdateUser") => Call::IamUpdateUser {
            user_name: p.s("user_name")?,
            new_path: p.s("new_path")?,
        },
        ("iam", "DeletePolicyVersion") => Call::IamDeletePolicyVersion {
            policy_arn: p.s("policy_arn")?,
            version: match p.s("version")?.as_str() {
                "oldest_non_default_at_limit" => VersionSelector::OldestNonDefaultAtLimit,
                other => return Err(format!("unknown version selector `{other}`")),
            },
        },
        ("iam", "CreatePolicyVersion") => Call::IamCreatePolicyVersion {
            policy_arn: p.s("policy_arn")?,
            document: p.arg("policy_document")?,
            set_as_default: p.b("set_as_default")?,
        },
        ("config", "EditFile") => Call::ConfigEdit {
            file: p.s("file")?,
            before_sha256: match p.get("before_sha256")? {
                J::Null => None,
                _ => Some(p.s("before_sha256")?),
            },
            after_sha256: p.s("after_sha256")?,
            edit: config_edit_from(p.get("edit")?)?,
            diff: p.s("diff")?,
        },
        ("iam", op) => {
            if let Some(entity) = entity_of(op, "Tag", "") {
                Call::IamTag {
                    entity,
                    name: p.principal(entity)?,
                    tags: p.tags()?,
                }
            } else if let Some(entity) = entity_of(op, "Untag", "") {
                Call::IamUntag {
                    entity,
                    name: p.principal(entity)?,
                    keys: p.strings("keys")?,
                }
            } else if let Some(entity) = entity_of(op, "Put", "PermissionsBoundary") {
                Call::IamPutPermissionsBoundary {
                    entity,
                    name: p.principal(entity)?,
                    policy_arn: p.s("permissions_boundary")?,
                }
            } else if let Some(entity) = entity_of(op, "Delete", "PermissionsBoundary") {
                Call::IamDeletePermissionsBoundary {
                    entity,
                    name: p.principal(entity)?,
                }
            } else if let Some(entity) = entity_of(op, "Put", "Policy") {
                Call::IamPutInlinePolicy {
                    entity,
                    name: p.principal(entity)?,
                    policy_name: p.s("policy_name")?,
                    document: p.arg("policy_document")?,
                }
            } else if let Some(entity) = entity_of(op, "Delete", "Policy") {
                Call::IamDeleteInlinePolicy {
                    entity,
                    name: p.principal(entity)?,
                    policy_name: p.s("policy_name")?,
                }
            } else if let Some(entity) = entity_of(op, "Attach", "Policy") {
                Call::IamAttachPolicy {
                    entity,
                    name: p.principal(entity)?,
                    policy_arn: p.s("policy_arn")?,
                }
            } else if let Some(entity) = entity_of(op, "Detach", "Policy") {
                Call::IamDetachPolicy {
                    entity,
                    name: p.principal(entity)?,
                    policy_arn: p.s("policy_arn")?,
                }
            } else {
                return Err(format!("unknown operation `{api}`"));
            }
        }
        _ => return Err(format!("unknown operation `{api}`")),
    };
    // Anything but the parameters the operation takes is refused: an executor must never
    // skip a parameter it does not know.
    let canonical = call_to_json(&call);
    let expected: Vec<&String> = canonical
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    if let Some(extra) = m.keys().find(|k| !expected.contains(k)) {
        return Err(format!("`{api}` takes no parameter `{extra}`"));
    }
    Ok(call)
}

/// A resource instance address as terraform prints it (the inverse of `Address`'s Display):
/// `module.net["a"].aws_subnet.app[1]`, `data.aws_vpc.x`.
pub fn parse_address(s: &str) -> Result<Address, String> {
    let bad = |why: &str| format!("`{s}` is not a resource address: {why}");
    let mut rest = s;
    let mut module = Vec::new();
    let mut mode = Mode::Managed;
    let name_end = |r: &str| r.find(['.', '[']).unwrap_or(r.len());
    while let Some(r) = rest.strip_prefix("module.") {
        let end = name_end(r);
        let name = r[..end].to_string();
        let (key, r) = parse_key(&r[end..]).map_err(|e| bad(&e))?;
        rest = r
            .strip_prefix('.')
            .ok_or_else(|| bad("a module step must be followed by `.`"))?;
        module.push(ModuleStep { name, key });
    }
    if let Some(r) = rest.strip_prefix("data.") {
        mode = Mode::Data;
        rest = r;
    }
    let dot = rest.find('.').ok_or_else(|| bad("expected TYPE.NAME"))?;
    let resource_type = rest[..dot].to_string();
    let r = &rest[dot + 1..];
    let end = name_end(r);
    let name = r[..end].to_string();
    let (key, r) = parse_key(&r[end..]).map_err(|e| bad(&e))?;
    if !r.is_empty() || resource_type.is_empty() || name.is_empty() {
        return Err(bad("unexpected text"));
    }
    Ok(Address {
        module,
        mode,
        resource_type,
        name,
        key,
    })
}

/// An optional `[123]` or `["key"]` at the start of `s`, and what follows it.
fn parse_key(s: &str) -> Result<(Option<InstanceKey>, &str), String> {
    let Some(r) = s.strip_prefix('[') else {
        return Ok((None, s));
    };
    if let Some(r) = r.strip_prefix('"') {
        let mut key = String::new();
        let mut chars = r.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some((_, 'n')) => key.push('\n'),
                    Some((_, c)) => key.push(c),
                    None => return Err("unterminated key".into()),
                },
                '"' => {
                    let after = &r[i + 1..];
                    let after = after.strip_prefix(']').ok_or("expected `]`")?;
                    return Ok((Some(InstanceKey::Str(key)), after));
                }
                c => key.push(c),
            }
        }
        Err("unterminated key".into())
    } else {
        let end = r.find(']').ok_or("expected `]`")?;
        let n = r[..end]
            .parse::<i64>()
            .map_err(|_| "a key is a number or a string")?;
        Ok((Some(InstanceKey::Int(n)), &r[end + 1..]))
    }
}
