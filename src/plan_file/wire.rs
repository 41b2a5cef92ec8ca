//! The plan file's wire form (serde), derived from the domain ([`crate::model::plan`]).
//! `docs/remediation.md` documents the format and `docs/plan.schema.json` is its JSON Schema;
//! these types are its only definition in code.
//!
//! The model stays serde-free; how each of its types is written is its `Wire` form (a
//! wire type and the conversion both ways). A plan's structs are declared once each in the
//! `records!` table (member, model type, serde attributes, in the file's order), which
//! generates the serde struct and both conversions, exhaustively: a model member the table
//! leaves out, or gives another type, does not compile. What is written differently from the
//! model is each leaf's own `Wire`: an address, a kind, a status, a severity or a time as its
//! text, a change with its path both ways and its values encoded, a call as `call_to_json`.
//!
//! Values (a change's `now` and `target`, a call's literal argument) use the observation
//! file's encoding (`codec`): plain JSON, with `{"sensitive": "hmac-sha256:..."}`
//! for a secret's fingerprint. A call's sensitive argument is `{"from_state": {...}}`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value as J, json};

use crate::codec;
use crate::model::plan::{
    Action, ActionKind, ActionStatus, Arg, Author, Call, ConfigEdit, Expect, FindingRef,
    GuardrailEffect, GuardrailHit, IamEntity, Inputs, Plan, PlannedChange, SgRule, SgSource,
    StateInput, StateRef, VersionSelector,
};
use crate::model::{
    Address, DriftKind, InstanceKey, Mode, ModuleStep, Path, Segment, Severity, StateSource,
};

pub use crate::codec::{format_time, parse_time};

/// The file: the plan's members, and the author's signature beside the digest it signs.
#[derive(Debug, Serialize, Deserialize)]
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

pub fn to_wire(plan: &Plan) -> PlanFile {
    let Plan {
        format_version,
        created_at,
        expires_at,
        author,
        inputs,
        actions,
        digest,
    } = plan;
    PlanFile {
        format_version: *format_version,
        created_at: created_at.to_w(),
        expires_at: expires_at.to_w(),
        author: author.to_w(),
        inputs: inputs.to_w(),
        actions: actions.to_w(),
        digest: digest.clone(),
        signature: author.signature.clone(),
    }
}

/// Reads a plan's wire form back into the domain. The digest is *not* checked here (see
/// `plan_file::read`, which checks it on the text before this runs).
pub fn from_wire(w: PlanFile) -> Result<Plan, String> {
    Ok(Plan {
        format_version: w.format_version,
        created_at: Wire::from_w(w.created_at).map_err(|e| member("created_at", e))?,
        expires_at: Wire::from_w(w.expires_at).map_err(|e| member("expires_at", e))?,
        author: Author {
            signature: w.signature,
            ..Wire::from_w(w.author).map_err(|e| member("author", e))?
        },
        inputs: Wire::from_w(w.inputs).map_err(|e| member("inputs", e))?,
        actions: Wire::from_w(w.actions).map_err(|e| member("actions", e))?,
        digest: w.digest,
    })
}

/// Where an error is: `member: error`, `member[3]: error` for an item of a list.
fn member(name: &str, e: String) -> String {
    if e.starts_with('[') {
        format!("{name}{e}")
    } else {
        format!("{name}: {e}")
    }
}

// ---- how each model type is written ---------------------------------------------------------

/// How a model type is written: its wire type and the conversions both ways.
trait Wire: Sized {
    type W;
    fn to_w(&self) -> Self::W;
    fn from_w(w: Self::W) -> Result<Self, String>;
}

macro_rules! plain_wire {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            type W = $t;
            fn to_w(&self) -> $t {
                self.clone()
            }
            fn from_w(w: $t) -> Result<$t, String> {
                Ok(w)
            }
        }
    )*};
}
plain_wire!(String, bool, i64, u64, u32);

impl<T: Wire> Wire for Option<T> {
    type W = Option<T::W>;
    fn to_w(&self) -> Self::W {
        self.as_ref().map(T::to_w)
    }
    fn from_w(w: Self::W) -> Result<Self, String> {
        w.map(T::from_w).transpose()
    }
}

impl<T: Wire> Wire for Vec<T> {
    type W = Vec<T::W>;
    fn to_w(&self) -> Self::W {
        self.iter().map(T::to_w).collect()
    }
    fn from_w(w: Self::W) -> Result<Self, String> {
        w.into_iter()
            .enumerate()
            .map(|(i, x)| T::from_w(x).map_err(|e| member(&format!("[{i}]"), e)))
            .collect()
    }
}

impl<T: Wire> Wire for BTreeMap<String, T> {
    type W = BTreeMap<String, T::W>;
    fn to_w(&self) -> Self::W {
        self.iter().map(|(k, v)| (k.clone(), v.to_w())).collect()
    }
    fn from_w(w: Self::W) -> Result<Self, String> {
        w.into_iter()
            .map(|(k, v)| {
                T::from_w(v)
                    .map(|v| (k.clone(), v))
                    .map_err(|e| format!("`{k}`: {e}"))
            })
            .collect()
    }
}

/// Declares the wire form of the plan's structs, one entry each:
/// `Model => Wire { member: ModelType, ... }`, the members in the file's order, each with its
/// serde attributes and written as its type's [`Wire`] form. `off { member }` names a model
/// member the struct leaves off the wire (read back as its default; the file carries it
/// elsewhere). Both conversions are generated, exhaustive both ways.
macro_rules! records {
    ($(
        $(#[$sa:meta])*
        $model:ident => $wire:ident { $( $(#[$fa:meta])* $f:ident : $t:ty ),* $(,)? }
        $( off { $( $off:ident ),* } )? ;
    )*) => {$(
        $(#[$sa])*
        #[derive(Debug, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub struct $wire {
            $( $(#[$fa])* $f: <$t as Wire>::W, )*
        }

        impl Wire for $model {
            type W = $wire;
            fn to_w(&self) -> $wire {
                let $model { $( $f, )* $( $( $off: _, )* )? } = self;
                $wire { $( $f: Wire::to_w($f), )* }
            }
            fn from_w(w: $wire) -> Result<Self, String> {
                Ok($model {
                    $( $f: <$t as Wire>::from_w(w.$f)
                        .map_err(|e| member(stringify!($f), e))?, )*
                    $( $( $off: Default::default(), )* )?
                })
            }
        }
    )*};
}

records! {
    Author => AuthorW {
        actor: String,
        aws_caller_arn: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ci: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        os_user: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        key: Option<String>,
        /// `agent` for a plan an agent wrote; absent for a person's (so their digests are
        /// unchanged).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<String>,
        /// The agent's name in the trust root.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
    } off { signature };
    Inputs => InputsW {
        states: Vec<StateInput>, configuration: Option<String>, policy: Option<String>,
        observation: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        trust_root: Option<String>,
    };
    StateInput => StateW { source: StateSource, lineage: String, serial: u64, sha256: String };
    Action => ActionW {
        id: String, kind: ActionKind, status: ActionStatus, address: Option<Address>,
        resource_type: String, resource_id: String, region: Option<String>,
        finding: FindingRef, changes: Vec<PlannedChange>,
        /// `{"api": "ec2:CreateTags", ...parameters}`: see [`call_to_json`].
        calls: Vec<Call>,
        expect: Vec<Expect>, manual_command: Option<String>,
        #[serde(default)]
        follow_up: Option<String>,
        reason: String,
        /// The guardrail that matched (absent when none did).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        guardrail: Option<GuardrailHit>,
        /// Its revert interrupts a running workload (absent when it does not, as in plans
        /// written before the member existed: apply re-plans and compares, so a plan that
        /// leaves it out of a disruptive action is refused).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        disruptive: bool,
    };
    FindingRef => FindingW {
        kind: DriftKind, address: Option<Address>, id: String, rule: String, severity: Severity,
    };
}

/// Model types written as text, `Type: |model| text, |text| model;`.
macro_rules! text_wire {
    ($( $t:ty: |$v:ident| $to:expr, |$s:ident| $from:expr; )*) => {$(
        impl Wire for $t {
            type W = String;
            fn to_w(&self) -> String {
                let $v = self;
                $to
            }
            fn from_w($s: String) -> Result<Self, String> {
                $from
            }
        }
    )*};
}

text_wire! {
    Address: |a| a.to_string(), |s| parse_address(&s);
    StateSource: |s| s.0.clone(), |s| Ok(StateSource(s));
    time::OffsetDateTime: |t| format_time(*t), |s| parse_time(&s);
    Severity: |l| l.as_str().into(), |s| one_of("severity", &s, &Severity::ALL);
    ActionKind: |k| k.as_str().into(), |s| one_of("action kind", &s, &ActionKind::ALL);
    ActionStatus: |k| k.as_str().into(), |s| one_of("status", &s, &ActionStatus::ALL);
    DriftKind: |k| k.as_str().into(), |s| one_of("finding kind", &s, &DriftKind::ALL);
}

/// The one of `all` whose wire form is `s`.
fn one_of<T: Wire<W = String> + Copy>(what: &str, s: &str, all: &[T]) -> Result<T, String> {
    all.iter()
        .copied()
        .find(|t| t.to_w() == s)
        .ok_or_else(|| format!("unknown {what} `{s}`"))
}

/// A call: `{"api": "ec2:CreateTags", ...parameters}` (see [`call_to_json`]).
impl Wire for Call {
    type W = J;
    fn to_w(&self) -> J {
        call_to_json(self)
    }
    fn from_w(w: J) -> Result<Call, String> {
        call_from_json(&w)
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeW {
    /// Terraform's naming (`tags.team`), for people.
    pub path: String,
    /// The path's steps (keys and list indexes), for programs.
    pub path_steps: Vec<StepW>,
    pub now: J,
    pub target: J,
}

impl Wire for PlannedChange {
    type W = ChangeW;
    fn to_w(&self) -> ChangeW {
        ChangeW {
            path: self.path.to_string(),
            path_steps: steps(&self.path),
            now: value(&self.now),
            target: value(&self.target),
        }
    }
    fn from_w(c: ChangeW) -> Result<Self, String> {
        Ok(PlannedChange {
            path: path_from(&c.path_steps)?,
            now: codec::decode(&c.now, &format!("change {}: now", c.path))?,
            target: codec::decode(&c.target, &format!("change {}: target", c.path))?,
        })
    }
}

/// `{"observed": "absent"}`, `{"observed": "present"}` or `{"observed": "value",
/// "path_steps": [...], "fingerprint": "hmac-sha256:..."}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "observed", rename_all = "snake_case", deny_unknown_fields)]
pub enum ExpectW {
    // Braces, not unit variants: serde refuses unknown members only in a struct variant.
    Absent {},
    Present {},
    Value {
        path_steps: Vec<StepW>,
        fingerprint: String,
    },
}

impl Wire for Expect {
    type W = ExpectW;
    fn to_w(&self) -> ExpectW {
        match self {
            Expect::Absent => ExpectW::Absent {},
            Expect::Present => ExpectW::Present {},
            Expect::Value { path, fingerprint } => ExpectW::Value {
                path_steps: steps(path),
                fingerprint: fingerprint.clone(),
            },
        }
    }
    fn from_w(w: ExpectW) -> Result<Self, String> {
        Ok(match w {
            ExpectW::Absent {} => Expect::Absent,
            ExpectW::Present {} => Expect::Present,
            ExpectW::Value {
                path_steps,
                fingerprint,
            } => Expect::Value {
                path: path_from(&path_steps)?,
                fingerprint,
            },
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
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

impl Wire for GuardrailHit {
    type W = GuardrailW;
    fn to_w(&self) -> GuardrailW {
        let (effect, approvals) = match self.effect {
            GuardrailEffect::Deny => ("deny", None),
            GuardrailEffect::RequireApprovals(n) => ("require_approvals", Some(n)),
        };
        GuardrailW {
            name: self.name.clone(),
            reason: self.reason.clone(),
            effect: effect.into(),
            approvals,
        }
    }
    fn from_w(g: GuardrailW) -> Result<Self, String> {
        let effect = match (g.effect.as_str(), g.approvals) {
            ("deny", None) => GuardrailEffect::Deny,
            ("require_approvals", Some(n)) if n >= 1 => GuardrailEffect::RequireApprovals(n),
            (e, n) => return Err(format!("guardrail effect `{e}` with approvals {n:?}")),
        };
        Ok(GuardrailHit {
            name: g.name,
            reason: g.reason,
            effect,
        })
    }
}

// ---- values and paths -----------------------------------------------------------------------

fn value(v: &crate::model::Value) -> J {
    // A plan holds no clear secret (the planner fingerprints them, and `planner::clear_secret`
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

// ---- calls ----------------------------------------------------------------------------------
//
// A call's wire form is derived: `CallW` is serde's internally tagged enum (`api` names the
// operation, the other members are its parameters, named as the AWS API names them in
// snake_case), and `calls!` declares, once per operation, which `Call` it is; both
// directions of the conversion are generated from that one line, and both matches are
// exhaustive, so a `Call` without its line does not compile. Unknown parameters are refused
// (`deny_unknown_fields`): an executor must never skip a parameter it does not know.

/// One step of a path: a key or a list index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum StepW {
    Key(String),
    Index(u64),
}

fn steps(p: &Path) -> Vec<StepW> {
    p.0.iter()
        .map(|s| match s {
            Segment::Key(k) => StepW::Key(k.clone()),
            Segment::Index(i) => StepW::Index(*i as u64),
        })
        .collect()
}

fn path_from(steps: &[StepW]) -> Result<Path, String> {
    steps
        .iter()
        .map(|s| match s {
            StepW::Key(k) => Ok(Segment::Key(k.clone())),
            StepW::Index(i) => usize::try_from(*i)
                .map(Segment::Index)
                .map_err(|_| format!("path step {i} is not an index")),
        })
        .collect::<Result<_, _>>()
        .map(Path)
}

/// A literal value a plan carries (a call's argument, an edit's value): never sensitive.
fn literal(j: &J, what: &str) -> Result<crate::model::Value, String> {
    let v = codec::decode(j, "value")?;
    if v.contains_sensitive() {
        return Err(format!("a {what} cannot be sensitive"));
    }
    Ok(v)
}

/// An argument: `{"value": ...}` or `{"from_state": {...}}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum ArgW {
    Value(J),
    FromState(StateRefW),
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateRefW {
    state: String,
    address: String,
    /// Terraform's naming, for people; `path_steps` is what is read.
    path: String,
    path_steps: Vec<StepW>,
}

impl Wire for Arg {
    type W = ArgW;
    fn to_w(&self) -> ArgW {
        match self {
            Arg::Value(v) => ArgW::Value(value(v)),
            Arg::FromState(r) => ArgW::FromState(StateRefW {
                state: r.state.0.clone(),
                address: r.address.to_string(),
                path: r.path.to_string(),
                path_steps: steps(&r.path),
            }),
        }
    }
    fn from_w(w: ArgW) -> Result<Arg, String> {
        Ok(match w {
            ArgW::Value(j) => Arg::Value(literal(&j, "literal argument")?),
            ArgW::FromState(r) => Arg::FromState(StateRef {
                state: StateSource(r.state),
                address: parse_address(&r.address)?,
                path: path_from(&r.path_steps)?,
            }),
        })
    }
}

/// A security group rule: its one source is the member that names it.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleW {
    protocol: String,
    from_port: Option<i64>,
    to_port: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cidr_ipv4: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cidr_ipv6: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    prefix_list_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    group_id: Option<String>,
    description: String,
}

impl Wire for SgRule {
    type W = RuleW;
    fn to_w(&self) -> RuleW {
        let mut w = RuleW {
            protocol: self.protocol.clone(),
            from_port: self.from_port,
            to_port: self.to_port,
            cidr_ipv4: None,
            cidr_ipv6: None,
            prefix_list_id: None,
            group_id: None,
            description: self.description.clone(),
        };
        let (member, source) = match &self.source {
            SgSource::CidrIpv4(c) => (&mut w.cidr_ipv4, c),
            SgSource::CidrIpv6(c) => (&mut w.cidr_ipv6, c),
            SgSource::PrefixList(p) => (&mut w.prefix_list_id, p),
            SgSource::Group(g) => (&mut w.group_id, g),
        };
        *member = Some(source.clone());
        w
    }
    fn from_w(w: RuleW) -> Result<SgRule, String> {
        let source = match (w.cidr_ipv4, w.cidr_ipv6, w.prefix_list_id, w.group_id) {
            (Some(c), None, None, None) => SgSource::CidrIpv4(c),
            (None, Some(c), None, None) => SgSource::CidrIpv6(c),
            (None, None, Some(p), None) => SgSource::PrefixList(p),
            (None, None, None, Some(g)) => SgSource::Group(g),
            _ => {
                return Err(
                    "a rule needs exactly one of cidr_ipv4, cidr_ipv6, prefix_list_id, group_id"
                        .into(),
                );
            }
        };
        Ok(SgRule {
            protocol: w.protocol,
            from_port: w.from_port,
            to_port: w.to_port,
            source,
            description: w.description,
        })
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum VersionW {
    OldestNonDefaultAtLimit,
}

impl Wire for VersionSelector {
    type W = VersionW;
    fn to_w(&self) -> VersionW {
        match self {
            VersionSelector::OldestNonDefaultAtLimit => VersionW::OldestNonDefaultAtLimit,
        }
    }
    fn from_w(w: VersionW) -> Result<Self, String> {
        Ok(match w {
            VersionW::OldestNonDefaultAtLimit => VersionSelector::OldestNonDefaultAtLimit,
        })
    }
}

/// A [`ConfigEdit`]: `{"set": {...}}` or `{"append": {...}}`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum EditW {
    Set {
        resource_type: String,
        name: String,
        values: Vec<EditValueW>,
    },
    Append {
        text: String,
    },
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EditValueW {
    /// Terraform's naming, for people; `path_steps` is what is read.
    path: String,
    path_steps: Vec<StepW>,
    /// `null` removes the attribute.
    value: Option<J>,
}

impl Wire for ConfigEdit {
    type W = EditW;
    fn to_w(&self) -> EditW {
        match self {
            ConfigEdit::Set {
                resource_type,
                name,
                values,
            } => EditW::Set {
                resource_type: resource_type.clone(),
                name: name.clone(),
                values: values
                    .iter()
                    .map(|(p, v)| EditValueW {
                        path: p.to_string(),
                        path_steps: steps(p),
                        value: v.as_ref().map(value),
                    })
                    .collect(),
            },
            ConfigEdit::Append { text } => EditW::Append { text: text.clone() },
        }
    }
    fn from_w(w: EditW) -> Result<Self, String> {
        Ok(match w {
            EditW::Set {
                resource_type,
                name,
                values,
            } => ConfigEdit::Set {
                resource_type,
                name,
                values: values
                    .into_iter()
                    .map(|v| {
                        let value = match &v.value {
                            None | Some(J::Null) => None,
                            Some(j) => Some(literal(j, "configuration value")?),
                        };
                        Ok((path_from(&v.path_steps)?, value))
                    })
                    .collect::<Result<_, String>>()?,
            },
            EditW::Append { text } => ConfigEdit::Append { text },
        })
    }
}

/// Declares the wire form of every [`Call`]: one line per AWS operation,
/// `"service:Operation" Wire = Model { fields }`. Lines ended by `,` share the fields of the
/// line that follows (the ingress and egress rules; the operations of one model call for each
/// kind of principal). An IAM call that names its principal by entity says which
/// (`[Role role_name]`): the model's `entity` and `name` become the operation and its
/// `role_name` (`user_name`, `policy_arn`) member. `invalid` lists the model's calls that are
/// no AWS operation (a policy as a principal): the planner never makes one, and the encoder
/// writes it as an `api` no reader accepts. `const` members are written as given and refused
/// when a plan states another value (`iam:DeletePolicyVersion`'s `version_limit`, the limit
/// its selector counts to).
macro_rules! calls {
    // The lines are read one at a time into the first `[...]`, each with its fields; the
    // second holds the lines waiting for the fields they share.
    (@lines [$($lines:tt)*] [] invalid: $($invalid:tt)*) => {
        calls!(@declare $($lines)* invalid: $($invalid)*);
    };
    (@lines $lines:tt [$($waiting:tt)*]
        $api:literal $wire:ident = $model:ident $([$($ent:tt)*])? , $($rest:tt)*) => {
        calls!(@lines $lines [$($waiting)* ($api $wire = $model $([$($ent)*])?)] $($rest)*);
    };
    (@lines [$($lines:tt)*] [$( ($($waiting:tt)*) )*]
        $api:literal $wire:ident = $model:ident [$($ent:tt)*] $fields:tt ; $($rest:tt)*) => {
        calls!(@lines [$($lines)* $( $($waiting)* $fields ; )* $api $wire = $model [$($ent)*]
            $fields ;] [] $($rest)*);
    };
    (@lines [$($lines:tt)*] [$( ($($waiting:tt)*) )*]
        $api:literal $wire:ident = $model:ident $fields:tt $(const $consts:tt)? ; $($rest:tt)*) => {
        calls!(@lines [$($lines)* $( $($waiting)* $fields ; )* $api $wire = $model $fields
            $(const $consts)? ;] [] $($rest)*);
    };
    (@declare
        $( $api:literal $wire:ident = $model:ident $([$ent:ident $name_key:ident])?
            { $( $(#[$fa:meta])* $f:ident : $t:ty ),* $(,)? }
            $( const { $( $cf:ident : $ct:ty = $cv:expr ),* $(,)? } )? ; )*
        invalid: $($invalid:pat_param)|* $(,)?
    ) => {
        #[derive(Debug, Serialize, Deserialize)]
        #[serde(tag = "api", deny_unknown_fields)]
        enum CallW {
            $(
                #[serde(rename = $api)]
                $wire {
                    $( $name_key: String, )?
                    $( $(#[$fa])* $f: <$t as Wire>::W, )*
                    $( $( $cf: $ct, )* )?
                },
            )*
        }

        /// Every operation a plan file can hold, by its `api`.
        pub const APIS: &[&str] = &[$( $api ),*];

        fn call_to_wire(c: &Call) -> Option<CallW> {
            Some(match c {
                $(
                    Call::$model { $( entity: IamEntity::$ent, name: $name_key, )? $( $f, )* } => {
                        CallW::$wire {
                            $( $name_key: $name_key.clone(), )?
                            $( $f: Wire::to_w($f), )*
                            $( $( $cf: $cv, )* )?
                        }
                    }
                )*
                $( $invalid )|* => return None,
            })
        }

        fn call_from_wire(w: CallW) -> Result<Call, String> {
            Ok(match w {
                $(
                    CallW::$wire { $( $name_key, )? $( $f, )* $( $( $cf, )* )? } => {
                        $( $( if $cf != $cv {
                            return Err(format!("`{}` must be {}", stringify!($cf), $cv));
                        } )* )?
                        Call::$model {
                        $( entity: IamEntity::$ent, name: $name_key, )?
                        $( $f: <$t as Wire>::from_w($f)
                            .map_err(|e| format!("`{}`: {e}", stringify!($f)))?, )*
                        }
                    }
                )*
            })
        }
    };
    ($($entries:tt)*) => {
        calls!(@lines [] [] $($entries)*);
    };
}

calls! {
    "ec2:CreateTags" Ec2CreateTags = Ec2CreateTags {
        resource_id: String,
        tags: BTreeMap<String, Arg>,
    };
    "ec2:DeleteTags" Ec2DeleteTags = Ec2DeleteTags { resource_id: String, keys: Vec<String> };
    "ec2:AuthorizeSecurityGroupIngress" Ec2AuthorizeIngress = Ec2AuthorizeSecurityGroupIngress,
    "ec2:AuthorizeSecurityGroupEgress" Ec2AuthorizeEgress = Ec2AuthorizeSecurityGroupEgress,
    "ec2:RevokeSecurityGroupIngress" Ec2RevokeIngress = Ec2RevokeSecurityGroupIngress,
    "ec2:RevokeSecurityGroupEgress" Ec2RevokeEgress = Ec2RevokeSecurityGroupEgress {
        group_id: String,
        rule: SgRule,
    };
    "ec2:ModifySecurityGroupRules" Ec2ModifyRules = Ec2ModifySecurityGroupRules {
        group_id: String,
        rule_id: String,
        rule: SgRule,
    };
    "ec2:ModifyVpcAttribute" Ec2ModifyVpc = Ec2ModifyVpcAttribute {
        vpc_id: String,
        attribute: String,
        value: bool,
    };
    "ec2:ModifySubnetAttribute" Ec2ModifySubnet = Ec2ModifySubnetAttribute {
        subnet_id: String,
        attribute: String,
        value: bool,
    };
    "ec2:ModifyInstanceAttribute" Ec2ModifyInstance = Ec2ModifyInstanceAttribute {
        instance_id: String,
        attribute: String,
        value: Arg,
    };
    "ec2:MonitorInstances" Ec2Monitor = Ec2MonitorInstances { instance_id: String };
    "ec2:UnmonitorInstances" Ec2Unmonitor = Ec2UnmonitorInstances { instance_id: String };
    "ec2:StopInstances" Ec2Stop = Ec2StopInstances { instance_id: String };
    "ec2:StartInstances" Ec2Start = Ec2StartInstances { instance_id: String };
    "ec2:DeleteSecurityGroup" Ec2DeleteGroup = Ec2DeleteSecurityGroup { group_id: String };
    "iam:TagRole" TagRole = IamTag [Role role_name],
    "iam:TagUser" TagUser = IamTag [User user_name],
    "iam:TagPolicy" TagPolicy = IamTag [Policy policy_arn] { tags: BTreeMap<String, Arg> };
    "iam:UntagRole" UntagRole = IamUntag [Role role_name],
    "iam:UntagUser" UntagUser = IamUntag [User user_name],
    "iam:UntagPolicy" UntagPolicy = IamUntag [Policy policy_arn] { keys: Vec<String> };
    "iam:UpdateAssumeRolePolicy" UpdateAssumeRolePolicy = IamUpdateAssumeRolePolicy {
        role_name: String,
        #[serde(rename = "policy_document")]
        document: Arg,
    };
    "iam:UpdateRole" UpdateRole = IamUpdateRole {
        role_name: String,
        description: Option<Arg>,
        max_session_duration: Option<i64>,
    };
    "iam:UpdateUser" UpdateUser = IamUpdateUser { user_name: String, new_path: String };
    "iam:PutRolePolicy" PutRolePolicy = IamPutInlinePolicy [Role role_name],
    "iam:PutUserPolicy" PutUserPolicy = IamPutInlinePolicy [User user_name] {
        policy_name: String,
        #[serde(rename = "policy_document")]
        document: Arg,
    };
    "iam:DeleteRolePolicy" DeleteRolePolicy = IamDeleteInlinePolicy [Role role_name],
    "iam:DeleteUserPolicy" DeleteUserPolicy = IamDeleteInlinePolicy [User user_name] {
        policy_name: String,
    };
    "iam:AttachRolePolicy" AttachRolePolicy = IamAttachPolicy [Role role_name],
    "iam:AttachUserPolicy" AttachUserPolicy = IamAttachPolicy [User user_name] {
        policy_arn: String,
    };
    "iam:DetachRolePolicy" DetachRolePolicy = IamDetachPolicy [Role role_name],
    "iam:DetachUserPolicy" DetachUserPolicy = IamDetachPolicy [User user_name] {
        policy_arn: String,
    };
    "iam:PutRolePermissionsBoundary" PutRoleBoundary = IamPutPermissionsBoundary [Role role_name],
    "iam:PutUserPermissionsBoundary" PutUserBoundary = IamPutPermissionsBoundary [User user_name] {
        #[serde(rename = "permissions_boundary")]
        policy_arn: String,
    };
    "iam:DeleteRolePermissionsBoundary" DeleteRoleBoundary =
        IamDeletePermissionsBoundary [Role role_name],
    "iam:DeleteUserPermissionsBoundary" DeleteUserBoundary =
        IamDeletePermissionsBoundary [User user_name] {};
    "iam:DeletePolicyVersion" DeletePolicyVersion = IamDeletePolicyVersion {
        policy_arn: String,
        version: VersionSelector,
    } const { version_limit: u64 = crate::model::plan::IAM_POLICY_VERSION_LIMIT };
    "iam:CreatePolicyVersion" CreatePolicyVersion = IamCreatePolicyVersion {
        policy_arn: String,
        #[serde(rename = "policy_document")]
        document: Arg,
        set_as_default: bool,
    };
    "config:EditFile" EditFile = ConfigEdit {
        file: String,
        before_sha256: Option<String>,
        after_sha256: String,
        edit: ConfigEdit,
        diff: String,
    };
    invalid: Call::Unit(_)
        | Call::IamPutInlinePolicy { entity: IamEntity::Policy, .. }
        | Call::IamDeleteInlinePolicy { entity: IamEntity::Policy, .. }
        | Call::IamAttachPolicy { entity: IamEntity::Policy, .. }
        | Call::IamDetachPolicy { entity: IamEntity::Policy, .. }
        | Call::IamPutPermissionsBoundary { entity: IamEntity::Policy, .. }
        | Call::IamDeletePermissionsBoundary { entity: IamEntity::Policy, .. },
}

/// A resource unit's call: `{"api": "ec2:CreateRoute", "target": "rtb-1", "args": {...}}`.
/// Its operations are not listed here (a unit adds them without touching this file): the
/// reader accepts any well-formed `service:Operation` outside [`APIS`], and `apply` refuses,
/// before anything runs, a plan holding one that no unit performs.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitCallW {
    api: String,
    target: String,
    args: BTreeMap<String, ArgW>,
}

/// `service:Operation`: a lower-case service and an operation in AWS's PascalCase.
fn unit_api(api: &str) -> Result<(&str, &str), String> {
    let (service, operation) = api
        .split_once(':')
        .ok_or_else(|| format!("`{api}` is not `service:Operation`"))?;
    let service_ok = !service.is_empty()
        && service
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    let operation_ok = operation.starts_with(|c: char| c.is_ascii_uppercase())
        && operation.chars().all(|c| c.is_ascii_alphanumeric());
    if service_ok && operation_ok {
        Ok((service, operation))
    } else {
        Err(format!("`{api}` is not `service:Operation`"))
    }
}

/// A call as `{"api": "service:Operation", ...parameters}`, parameters named as the AWS API
/// names them (in snake_case).
pub fn call_to_json(c: &Call) -> J {
    if let Call::Unit(u) = c {
        let w = UnitCallW {
            api: u.api(),
            target: u.target.clone(),
            args: u.args.iter().map(|(k, v)| (k.clone(), v.to_w())).collect(),
        };
        return serde_json::to_value(w).unwrap_or(J::Null);
    }
    match call_to_wire(c) {
        Some(w) => serde_json::to_value(w).unwrap_or(J::Null),
        // No AWS operation: written so that no reader accepts it.
        None => json!({ "api": "invalid", "operation": c.api() }),
    }
}

/// The inverse of [`call_to_json`].
pub fn call_from_json(j: &J) -> Result<Call, String> {
    let api = j.get("api").and_then(J::as_str).unwrap_or_default();
    if !api.is_empty() && api != "invalid" && !APIS.contains(&api) {
        let w: UnitCallW = serde_json::from_value(j.clone())
            .map_err(|e| format!("`{api}` (no built-in call; as a unit's call): {e}"))?;
        let (service, operation) = unit_api(&w.api)?;
        let mut call = crate::model::plan::UnitCall::new(service, operation, &w.target);
        for (name, arg) in w.args {
            let arg = Arg::from_w(arg).map_err(|e| format!("`{name}`: {e}"))?;
            call.args.insert(name, arg);
        }
        return Ok(Call::Unit(call));
    }
    let w: CallW = serde_json::from_value(j.clone()).map_err(|e| e.to_string())?;
    call_from_wire(w)
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
