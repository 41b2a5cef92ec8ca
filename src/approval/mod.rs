//! Signed approvals: who may say yes to a plan, and proof that they did.
//!
//! - **Keys** are Ed25519 (`ed25519-dalek`). A private key file ([`KeyFile`]) holds the
//!   approver's name and the 32-byte seed; the policy's `approval` block ([`ApprovalRule`])
//!   holds each approver's public key as `ed25519:<base64>`.
//! - **An approval token** ([`Approval`]) is `dga1.<payload>.<signature>`, both base64url
//!   without padding. The payload is compact JSON `{"approver","expires","plan"}` (the plan's
//!   full digest); the signature is Ed25519 over `driftgate-approval-v1\0` followed by the
//!   payload's bytes exactly as they are in the token.
//! - [`check`] decides whether the `--approve` values given to `apply` are enough for a plan
//!   under the rule of the policy that was digested into it: distinct, valid, unexpired
//!   signatures of the policy's approvers over this plan's digest, none by the plan's author.
//!
//! Pure: the key file's bytes are read and written by `ops` (which also checks its mode); the
//! clock comes from the caller.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

pub use crate::model::approvers::{ApprovalRule, Approver};
pub use crate::model::keys::{KeyFile, PublicKey, valid_name};
use crate::model::plan::Plan;
use crate::model::policy_file::{self as pf, Block, Expr, ExprKind, Span};
use crate::plan_file::digest::token as plan_token;

/// The prefix of an approval token (a plan token starts with `dg1-`).
pub const TOKEN_PREFIX: &str = "dga1.";
/// What is signed before the payload: no signature made for anything else can pass for one.
const DOMAIN: &[u8] = b"driftgate-approval-v1\0";
const APPROVAL_KEYS: &[&str] = &["required", "approvers", "min_severity"];
const APPROVER_KEYS: &[&str] = &["key", "aws_principal"];

impl ApprovalRule {
    /// Interprets the policy file's `approval { ... }` block.
    pub fn from_block(b: &Block) -> Result<ApprovalRule, crate::error::Error> {
        Ok(ApprovalRule::read(b)?)
    }

    fn read(b: &Block) -> Result<ApprovalRule, pf::Problem> {
        let attrs = b.attributes("the `approval` block", APPROVAL_KEYS)?;
        let ident = b.ident_span.clone();
        let Some(approvers_attr) = attrs.get("approvers") else {
            return Err(b.invalid(
                ident,
                "the `approval` block has no `approvers`",
                "approvers missing",
                "add `approvers = { alice = \"ed25519:...\" }`; `driftgate keygen --name alice --out alice.key` prints the line",
            ));
        };
        let ExprKind::Object(object) = &approvers_attr.value.kind else {
            return Err(b.invalid(
                approvers_attr.value.span.clone(),
                "`approvers` must be an object",
                "expected `{ name = \"ed25519:...\", ... }`",
                "write `approvers = { alice = \"ed25519:...\", bob = \"ed25519:...\" }`",
            ));
        };
        let approvers = approvers(b, object)?;
        let required = required(b, attrs.get("required").copied())?;
        if required > approvers.len() {
            return Err(b.invalid(
                attrs.get("required").and_then(|a| a.value.span.clone()).or(ident.clone()),
                format!(
                    "`required = {required}` but only {} listed: no plan could ever be applied",
                    match approvers.len() {
                        1 => "1 approver is".to_string(),
                        n => format!("{n} approvers are"),
                    }
                ),
                "more than the approvers",
                "list more approvers, or lower `required` (the plan's author never counts, so list at least one more than `required`)",
            ));
        }
        Ok(ApprovalRule {
            required,
            approvers,
            min_severity: attrs
                .get("min_severity")
                .map(|a| b.severity(a))
                .transpose()?,
            source: b.line(),
        })
    }
}

/// The `approvers` object: each approver by name, names valid and keys distinct.
fn approvers(
    b: &Block,
    object: &[(pf::Key, Expr)],
) -> Result<BTreeMap<String, Approver>, pf::Problem> {
    let mut approvers = BTreeMap::new();
    let mut keys: BTreeMap<PublicKey, String> = BTreeMap::new();
    for (k, v) in object.iter() {
        let (name, at) = match &k.name {
            Some(name) => (name.clone(), k.span.clone()),
            None => {
                return Err(b.invalid(
                    k.span.clone(),
                    "an approver's name must be a plain name",
                    "expected a name",
                    "write `alice = \"ed25519:...\"`",
                ));
            }
        };
        if !valid_name(&name) {
            return Err(b.invalid(
                at,
                format!("`{name}` is not a valid approver name"),
                "invalid name",
                "a name is letters, digits, `_` and `-`, starting with a letter (the name in the approver's key file)",
            ));
        }
        let approver = approver(b, &name, v)?;
        if let Some(other) = keys.insert(approver.key, name.clone()) {
            return Err(b.invalid(
                v.span.clone(),
                format!("`{name}` and `{other}` have the same key"),
                "same key as another approver",
                "each approver needs their own key (`driftgate keygen`): one key for two names would let one person count twice",
            ));
        }
        if approvers.insert(name.clone(), approver).is_some() {
            return Err(b.invalid(
                at,
                format!("approver `{name}` is listed twice"),
                "listed again here",
                "keep one of the two",
            ));
        }
    }
    Ok(approvers)
}

/// `required`: how many distinct approvers must sign (1 when not set).
fn required(b: &Block, a: Option<&pf::Attribute>) -> Result<usize, pf::Problem> {
    Ok(match a {
        None => 1,
        Some(a) => match &a.value.kind {
            ExprKind::Number(n) => n.filter(|n| *n >= 1).ok_or_else(|| {
                b.invalid(
                    a.value.span.clone(),
                    "`required` must be a whole number of at least 1",
                    "expected 1, 2, ...",
                    "`required` is how many distinct approvers must sign a plan",
                )
            })? as usize,
            _ => {
                return Err(b.invalid(
                    a.value.span.clone(),
                    "`required` must be a number",
                    "expected a number",
                    "write `required = 2`",
                ));
            }
        },
    })
}

/// One approver: `"ed25519:..."`, or `{ key = "ed25519:...", aws_principal = "arn:..." }`.
fn approver(b: &Block, name: &str, e: &Expr) -> Result<Approver, pf::Problem> {
    let key = |s: &str, at: Span| {
        s.parse::<PublicKey>().map_err(|why| {
            b.invalid(
                at,
                format!("the key of approver `{name}` is not valid: {why}"),
                "invalid key",
                "paste the line `driftgate keygen` printed: `alice = \"ed25519:<base64>\"`",
            )
        })
    };
    match &e.kind {
            ExprKind::String(s) => Ok(Approver {
                key: key(s, e.span.clone())?,
                aws_principal: None,
            }),
            ExprKind::Object(o) => {
                let mut fields: BTreeMap<String, (String, Span)> = BTreeMap::new();
                for (k, v) in o.iter() {
                    let field = match &k.name {
                        Some(name) => name.clone(),
                        None => {
                            return Err(b.invalid(k.span.clone(), "expected a field name", "here", "write `key = \"ed25519:...\"`"));
                        }
                    };
                    if !APPROVER_KEYS.contains(&field.as_str()) {
                        return Err(b.unknown_key(&field, v.span.clone(), &format!("approver `{name}`"), APPROVER_KEYS));
                    }
                    let ExprKind::String(s) = &v.kind else {
                        return Err(b.invalid(v.span.clone(), format!("`{field}` must be a string"), "expected a quoted string", "write a literal string in double quotes"));
                    };
                    fields.insert(field, (s.clone(), v.span.clone()));
                }
                let Some((k, at)) = fields.get("key") else {
                    return Err(b.invalid(e.span.clone(), format!("approver `{name}` has no `key`"), "key missing", "write `{ key = \"ed25519:...\", aws_principal = \"arn:aws:iam::...\" }`"));
                };
                Ok(Approver {
                    key: key(k, at.clone())?,
                    aws_principal: fields.get("aws_principal").map(|(p, _)| p.clone()),
                })
            }
            _ => Err(b.invalid(
                e.span.clone(),
                format!("approver `{name}` must be a key string or an object"),
                "expected \"ed25519:...\"",
                "write `alice = \"ed25519:...\"`, or `alice = { key = \"ed25519:...\", aws_principal = \"arn:...\" }`",
            )),
        }
}

impl KeyFile {
    /// Signs an approval of the plan with this digest until `expires`.
    pub fn approve(&self, plan_digest: &str, expires: time::OffsetDateTime) -> Approval {
        self.approve_under(plan_digest, expires, None)
    }

    /// An approval that names the version of the trust root it was made under (`root`), when
    /// one is pinned.
    pub fn approve_under(
        &self,
        plan_digest: &str,
        expires: time::OffsetDateTime,
        root: Option<u64>,
    ) -> Approval {
        self.sign_approval(
            Payload {
                approver: self.name.clone(),
                expires: crate::codec::format_time(expires),
                plan: plan_digest.to_string(),
                root,
                attestor: None,
                via: None,
            },
            expires,
        )
    }

    /// An approval by `approver` that this key (a chat attestor of the trust root, named
    /// `self.name`) attests it saw in chat (`via`: `slack:U123`). It counts only where the
    /// root lists this attestor with `approver` among those it may attest for.
    pub fn attest(
        &self,
        approver: &str,
        plan_digest: &str,
        expires: time::OffsetDateTime,
        root: Option<u64>,
        via: &str,
    ) -> Approval {
        self.sign_approval(
            Payload {
                approver: approver.to_string(),
                expires: crate::codec::format_time(expires),
                plan: plan_digest.to_string(),
                root,
                attestor: Some(self.name.clone()),
                via: Some(via.to_string()),
            },
            expires,
        )
    }

    fn sign_approval(&self, payload: Payload, expires: time::OffsetDateTime) -> Approval {
        let bytes = serde_json::to_vec(&payload).unwrap_or_default();
        let signature = self.sign(DOMAIN, &bytes);
        Approval {
            approver: payload.approver,
            plan: payload.plan,
            expires,
            root: payload.root,
            attestor: payload.attestor,
            via: payload.via,
            payload: bytes,
            signature,
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Payload {
    approver: String,
    expires: String,
    plan: String,
    /// The version of the trust root the approval was made under (absent without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    root: Option<u64>,
    /// A chat approval: the trust root's chat attestor that signed it (absent from an
    /// approver's own approval, whose payload is unchanged).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    attestor: Option<String>,
    /// Where the attestor saw it: `slack:U123`, `link`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    via: Option<String>,
}

/// An approval token, parsed (its signature not yet verified: see [`Approval::verify`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub approver: String,
    /// The digest of the approved plan.
    pub plan: String,
    pub expires: time::OffsetDateTime,
    /// The trust root version it names, if any.
    pub root: Option<u64>,
    /// A chat approval: the attestor that signed it in the approver's name.
    pub attestor: Option<String>,
    /// Where the attestor saw the approval (`slack:U123`).
    pub via: Option<String>,
    payload: Vec<u8>,
    signature: [u8; 64],
}

impl fmt::Display for Approval {
    /// The token: `dga1.<payload>.<signature>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{TOKEN_PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(&self.payload),
            URL_SAFE_NO_PAD.encode(self.signature)
        )
    }
}

/// A token's payload and signature (`<base64url payload>.<base64url signature>`, after its
/// prefix); `what` names the token in messages ("an approval").
fn signed_parts(rest: &str, what: &str) -> Result<(Vec<u8>, [u8; 64]), String> {
    let (payload, signature) = rest
        .split_once('.')
        .ok_or_else(|| format!("not {what} token: no signature"))?;
    let payload = URL_SAFE_NO_PAD
        .decode(payload)
        .map_err(|_| format!("not {what} token: the payload is not base64url"))?;
    let signature: [u8; 64] = URL_SAFE_NO_PAD
        .decode(signature)
        .ok()
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| format!("not {what} token: the signature is not 64 bytes of base64url"))?;
    Ok((payload, signature))
}

impl Approval {
    /// Parses a token (without verifying it).
    pub fn parse(token: &str) -> Result<Approval, String> {
        let rest = token
            .strip_prefix(TOKEN_PREFIX)
            .ok_or("not an approval token (`dga1.`)")?;
        let (payload, signature) = signed_parts(rest, "an approval")?;
        let p: Payload = serde_json::from_slice(&payload)
            .map_err(|_| "not an approval token: the payload is not an approval")?;
        // The name is echoed in refusals and the audit log: it must be a name, never text
        // that could carry terminal escapes or forge a line.
        if !valid_name(&p.approver) || p.attestor.as_deref().is_some_and(|a| !valid_name(a)) {
            return Err("not an approval token: the approver is not a valid name".into());
        }
        if p.via.as_deref().is_some_and(|v| {
            v.len() > 128
                || !v
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_' | '.'))
        }) {
            return Err("not an approval token: a bad `via`".into());
        }
        let expires = crate::codec::parse_time(&p.expires)
            .map_err(|_| "not an approval token: a bad expiry")?;
        Ok(Approval {
            approver: p.approver,
            plan: p.plan,
            expires,
            root: p.root,
            attestor: p.attestor,
            via: p.via,
            payload,
            signature,
        })
    }

    /// Whether `key` signed exactly this payload.
    pub fn verify(&self, key: &PublicKey) -> bool {
        key.verifies(DOMAIN, &self.payload, &self.signature)
    }
}

/// The prefix of a denial token (`driftgate approve PLAN --key FILE --deny REASON`).
pub const DENIAL_PREFIX: &str = "dgd1.";
/// What a denial signs before its payload: no approval can pass for a denial, nor the reverse.
const DENIAL_DOMAIN: &[u8] = b"driftgate-denial-v1\0";

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct DenialPayload {
    approver: String,
    plan: String,
    reason: String,
    time: String,
}

/// A signed denial: an approver says no to a plan, with a reason. `dgd1.<payload>.<signature>`
/// like an approval, signed under its own domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Denial {
    pub approver: String,
    pub plan: String,
    /// Cleaned of control characters and line breaks when parsed.
    pub reason: String,
    pub time: time::OffsetDateTime,
    payload: Vec<u8>,
    signature: [u8; 64],
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{DENIAL_PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(&self.payload),
            URL_SAFE_NO_PAD.encode(self.signature)
        )
    }
}

impl KeyFile {
    /// Signs a denial of the plan with this digest, with `reason`, at `now`.
    pub fn deny(&self, plan_digest: &str, reason: &str, now: time::OffsetDateTime) -> Denial {
        let payload = DenialPayload {
            approver: self.name.clone(),
            plan: plan_digest.to_string(),
            reason: reason.to_string(),
            time: crate::codec::format_time(now),
        };
        let bytes = serde_json::to_vec(&payload).unwrap_or_default();
        let signature = self.sign(DENIAL_DOMAIN, &bytes);
        Denial {
            approver: payload.approver,
            plan: payload.plan,
            reason: payload.reason,
            time: now,
            payload: bytes,
            signature,
        }
    }
}

impl Denial {
    /// Parses a denial token (without verifying it). The reason must not be empty.
    pub fn parse(token: &str) -> Result<Denial, String> {
        let rest = token
            .trim()
            .strip_prefix(DENIAL_PREFIX)
            .ok_or("not a denial token (`dgd1.`)")?;
        let (payload, signature) = signed_parts(rest, "a denial")?;
        let p: DenialPayload = serde_json::from_slice(&payload)
            .map_err(|_| "not a denial token: the payload is not a denial")?;
        if !valid_name(&p.approver) {
            return Err("not a denial token: the approver is not a valid name".into());
        }
        if p.reason.trim().is_empty() {
            return Err("a denial needs a reason".into());
        }
        let time =
            crate::codec::parse_time(&p.time).map_err(|_| "not a denial token: a bad time")?;
        Ok(Denial {
            approver: p.approver,
            plan: p.plan,
            reason: p.reason,
            time,
            payload,
            signature,
        })
    }

    /// Whether `key` signed exactly this payload, as a denial.
    pub fn verify(&self, key: &PublicKey) -> bool {
        key.verifies(DENIAL_DOMAIN, &self.payload, &self.signature)
    }
}

/// Each approval in `given` verified for `plan` under the policy's `approval` block at `now`,
/// as `apply` verifies it, without asking for a number of them (the approval service counts
/// them as they arrive; `apply` counts them again).
pub fn verify_each(
    plan: &Plan,
    rule: Option<&ApprovalRule>,
    given: &[String],
    now: time::OffsetDateTime,
) -> Result<Vec<Accepted>, Denied> {
    tally(plan, given, 0, now, &PolicyJudge { plan, rule })
}

/// The key a denial by `name` must be signed with under the policy's `approval` block, and
/// whether `name` is the plan's author (whose "no" is refused like their "yes").
pub fn denial_key(
    plan: &Plan,
    rule: Option<&ApprovalRule>,
    d: &Denial,
) -> Result<PublicKey, Problem> {
    let judge = PolicyJudge { plan, rule };
    let key = rule
        .and_then(|r| r.approvers.get(&d.approver))
        .map(|a| a.key)
        .ok_or(Problem::UnknownApprover)?;
    let as_approval = Approval {
        approver: d.approver.clone(),
        plan: d.plan.clone(),
        expires: d.time,
        root: None,
        attestor: None,
        via: None,
        payload: Vec::new(),
        signature: [0; 64],
    };
    match judge.refuses(&as_approval) {
        Some(p) => Err(p),
        None => Ok(key),
    }
}

/// Why one approval does not count. Each refuses the whole apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Not a token at all.
    Malformed(String),
    /// The name is not an approver of the policy (or the policy has no `approval` block).
    UnknownApprover,
    /// The signature does not verify under the approver's key.
    Forged,
    /// It approves another plan.
    OtherPlan,
    /// Its expiry has passed.
    Expired,
    /// The approver is the plan's author.
    SelfApproval,
    /// The approver approved twice.
    Duplicate,
    /// Under a pinned trust root: the approver (name or key) is not in the root.
    NotInRoot,
    /// Under a pinned trust root: the approval names another root version (or none).
    RootVersion { token: Option<u64>, root: u64 },
    /// Under a pinned trust root: the one who runs `apply` is this approver (by AWS principal
    /// or CI identity).
    Applier,
    /// A chat approval whose attestor cannot attest it (unknown, or not for this approver).
    Attestor(String),
    /// Under a pinned trust root: the approver is one of the root's agents.
    Agent,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Malformed(why) => write!(f, "{why}"),
            Problem::UnknownApprover => {
                write!(f, "its approver is not in the policy's `approval` block")
            }
            Problem::Forged => write!(
                f,
                "its signature does not verify under the approver's key in the policy (forged or altered)"
            ),
            Problem::OtherPlan => write!(f, "it approves another plan"),
            Problem::Expired => write!(f, "it has expired"),
            Problem::SelfApproval => write!(
                f,
                "its approver is the plan's author: nobody approves their own plan"
            ),
            Problem::Duplicate => write!(f, "the same approver approved twice"),
            Problem::NotInRoot => write!(
                f,
                "its approver is not in the pinned trust root (approvals count only from the root's keys)"
            ),
            Problem::RootVersion {
                token: Some(t),
                root,
            } => write!(
                f,
                "it was made under trust root version {t}, the pinned root is version {root}: approve again"
            ),
            Problem::RootVersion { token: None, root } => write!(
                f,
                "it names no trust root, the pinned root is version {root}: approve again where the root is pinned"
            ),
            Problem::Applier => write!(
                f,
                "its approver is the one running `apply` (same AWS principal or CI identity): the applier's own approval never counts"
            ),
            Problem::Attestor(why) => write!(f, "a chat approval that does not count: {why}"),
            Problem::Agent => write!(
                f,
                "its approver is an agent of the trust root: an agent proposes, never approves"
            ),
        }
    }
}

/// A bad approval: who it names (when it could be read), the key's fingerprint (when the
/// approver is in the policy) and why it does not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub approver: Option<String>,
    pub fingerprint: Option<String>,
    pub problem: Problem,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.approver {
            Some(a) => write!(f, "the approval by `{a}` does not count: {}", self.problem),
            None => write!(f, "an --approve value does not count: {}", self.problem),
        }
    }
}

/// An approval that counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub approver: String,
    /// The approver's key's (for a chat approval too: one person counts once, however they
    /// approved).
    pub fingerprint: String,
    pub expires: time::OffsetDateTime,
    /// A chat approval: the attestor that signed it.
    pub attestor: Option<String>,
}

/// Why the `--approve` values are not enough.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    /// Nothing was given.
    Nothing,
    /// A plan token that is not this plan's.
    WrongToken,
    /// One approval does not count.
    Rejected(Rejected),
    /// The plan token alone, where signed approvals are required.
    TokenAlone { required: usize },
    /// Too few distinct valid approvals.
    TooFew { valid: usize, required: usize },
    /// Under a trust root: too few of the approvals signed by the approvers' own keys (the
    /// others were attested from chat).
    FromKey { by_key: usize, required: usize },
}

/// Whether `given` (the `--approve` values) let `plan` apply under `rule` (the `approval`
/// block of the policy digested into the plan) at `now`.
///
/// Every value is either the plan token (`dg1-`, as `driftgate plan` printed it) or an
/// approval token (`dga1.`). Any approval that does not count refuses the whole apply (it is
/// named in the refusal and the audit log). Without an `approval` block, or when
/// `min_severity` waives it, the plan token (or a valid approval) is enough; otherwise
/// `required` distinct valid approvals are needed (or more, when a `require_approvals`
/// guardrail matched an executable action), and the plan token adds nothing.
pub fn check(
    plan: &Plan,
    rule: Option<&ApprovalRule>,
    given: &[String],
    now: time::OffsetDateTime,
) -> Result<Vec<Accepted>, Denied> {
    // A `require_approvals` guardrail on an executable action raises the bar (also without
    // an `approval` block: then nobody can approve, and the plan does not apply).
    let required = rule
        .map_or(0, |r| r.required_for(plan))
        .max(crate::model::plan::approvals_required(&plan.actions));
    tally(plan, given, required, now, &PolicyJudge { plan, rule })
}

/// The policy's `approval` block as a [`Judge`]: its approvers and their keys; the author is
/// excluded by name and by AWS principal.
struct PolicyJudge<'a> {
    plan: &'a Plan,
    rule: Option<&'a ApprovalRule>,
}

impl Judge for PolicyJudge<'_> {
    fn key_of(&self, a: &Approval) -> Result<PublicKey, Problem> {
        if a.attestor.is_some() {
            return Err(Problem::Attestor(
                "chat approvals count only under a trust root that lists their attestor".into(),
            ));
        }
        self.rule
            .and_then(|r| r.approvers.get(&a.approver))
            .map(|approver| approver.key)
            .ok_or(Problem::UnknownApprover)
    }

    fn refuses(&self, a: &Approval) -> Option<Problem> {
        let approver = self.rule?.approvers.get(&a.approver)?;
        let author = &self.plan.author;
        let by_name = a.approver.eq_ignore_ascii_case(author.actor.trim());
        let by_principal = matches!(
            (&approver.aws_principal, &author.aws_caller_arn),
            (Some(p), Some(caller)) if p == caller
        );
        (by_name || by_principal).then_some(Problem::SelfApproval)
    }
}

/// Who may approve, as one set of rules sees it (the policy's `approval` block, or a pinned
/// trust root): [`tally`] asks it about each approval and does the rest the same way for both.
pub trait Judge {
    /// The key this approval must be signed with, or why its approver cannot approve at all.
    fn key_of(&self, a: &Approval) -> Result<PublicKey, Problem>;
    /// Once the approval verified (this plan, not expired): why it still does not count.
    fn refuses(&self, a: &Approval) -> Option<Problem>;
    /// The key of the person the approval is from (`signer`, the key it verified under,
    /// unless an attestor signed it in an approver's name): one person counts once.
    fn person(&self, _a: &Approval, signer: &PublicKey) -> PublicKey {
        *signer
    }
}

/// Counts the `--approve` values: each is the plan token (`dg1-`) or an approval (`dga1.`).
/// An approval counts when `judge` names its key, its signature verifies, it approves this
/// plan, it has not expired, `judge` has nothing against it, and its key has not counted
/// already (one key is one person, under whatever names it is listed). Any approval that does
/// not count refuses the whole apply; `required` counted approvals are needed (the plan token
/// is enough where none is).
pub fn tally(
    plan: &Plan,
    given: &[String],
    required: usize,
    now: time::OffsetDateTime,
    judge: &dyn Judge,
) -> Result<Vec<Accepted>, Denied> {
    if given.is_empty() {
        return Err(Denied::Nothing);
    }
    let mut plan_tokens = 0;
    let mut accepted: Vec<Accepted> = Vec::new();
    let mut seen = BTreeSet::new();
    for value in given {
        let value = value.trim();
        if !value.starts_with(TOKEN_PREFIX) {
            if value != plan_token(&plan.digest) {
                return Err(Denied::WrongToken);
            }
            plan_tokens += 1;
            continue;
        }
        let reject = |approver: Option<&str>, fingerprint: Option<String>, problem| {
            Denied::Rejected(Rejected {
                approver: approver.map(str::to_string),
                fingerprint,
                problem,
            })
        };
        let a = Approval::parse(value).map_err(|e| reject(None, None, Problem::Malformed(e)))?;
        let who = Some(a.approver.as_str());
        let key = judge.key_of(&a).map_err(|p| reject(who, None, p))?;
        let fp = Some(key.fingerprint());
        if !a.verify(&key) {
            return Err(reject(who, fp, Problem::Forged));
        }
        if a.plan != plan.digest {
            return Err(reject(who, fp, Problem::OtherPlan));
        }
        if now >= a.expires {
            return Err(reject(who, fp, Problem::Expired));
        }
        if let Some(p) = judge.refuses(&a) {
            return Err(reject(who, fp, p));
        }
        let person = judge.person(&a, &key).fingerprint();
        if !seen.insert(person.clone()) {
            return Err(reject(who, Some(person), Problem::Duplicate));
        }
        accepted.push(Accepted {
            approver: a.approver.clone(),
            fingerprint: person,
            expires: a.expires,
            attestor: a.attestor.clone(),
        });
    }
    if accepted.len() < required {
        return Err(if accepted.is_empty() && plan_tokens > 0 {
            Denied::TokenAlone { required }
        } else {
            Denied::TooFew {
                valid: accepted.len(),
                required,
            }
        });
    }
    Ok(accepted)
}

#[cfg(test)]
mod tests;
