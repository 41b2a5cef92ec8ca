//! The trust root: who may approve, how many approvals each plan needs, and who may change
//! that, kept **outside the repository** and pinned by the environment of whoever holds the
//! write credentials (`DRIFTGATE_TRUST_ROOT` with `DRIFTGATE_TRUST_ROOT_SHA256` or
//! `DRIFTGATE_TRUST_ROOT_ADMINS`). Modelled on TUF's root role:
//!
//! - **The file** ([`RootFile`]) is JSON: `signed` (the [`Body`]: version, expiry, approvers with
//!   their keys and identities, minimum approvals, admins and their threshold, the audit log),
//!   `signatures` (Ed25519 by admins over `driftgate-trust-root-v1\0` followed by the canonical
//!   JSON of `signed`, as the plan digest's canonical form) and `previous` (the whole previous
//!   version's file, for a version above 1).
//! - **A version is valid** when at least `threshold` of its own admins signed it and, above
//!   version 1, at least the previous version's `threshold` of the previous version's admins
//!   signed it too, the previous version (recursively) valid and exactly one lower. A root
//!   that is not signed by enough of the previous admins is refused; so is an expired one.
//! - **Rollback**: the highest version used is recorded in the audit log; a lower one is refused.
//!
//! Pure: the file's bytes, the audit floor and the clock come from `ops`.

pub mod agent;
pub mod identity;

use std::collections::{BTreeMap, BTreeSet};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::approval::{
    Accepted, Approval, ApprovalRule, Denied, Judge, KeyFile, Problem, PublicKey, valid_name,
};
use crate::model::Severity;
use crate::model::plan::{ActionStatus, Plan};
use crate::plan_file::digest::canonical_json;

/// `signed.type` of every root.
pub const ROOT_TYPE: &str = "driftgate-trust-root";
/// What an admin signs before the canonical body.
const ROOT_DOMAIN: &[u8] = b"driftgate-trust-root-v1\0";
/// What a plan's author signs before the plan's digest (`plan --sign KEY`).
pub const PLAN_DOMAIN: &[u8] = b"driftgate-plan-author-v1\0";

/// One approver of the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApproverEntry {
    /// `ed25519:<base64>`, as `driftgate keygen` prints it.
    pub key: String,
    /// The AWS principals (ARNs) this person works as; an assumed-role session is its role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aws_principals: Vec<String>,
    /// The CI identities (`github:OWNER/REPO:LOGIN`, `gitlab:GROUP/PROJECT:LOGIN`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ci_actors: Vec<String>,
    /// The Slack user id (`U123ABC`) this person presses buttons as: a chat approval by this
    /// user is theirs (attested by a `chat_attestors` entry that lists them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack_user: Option<String>,
}

/// A chat attestor: the approval service's own key, which signs an approval in an approver's
/// name when that approver pressed Approve in chat (or on the service's approval page), for
/// the approvers listed here only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttestorEntry {
    /// `ed25519:<base64>`: the service's key (`driftgate keygen`).
    pub key: String,
    /// The approvers it may attest for.
    pub approvers: Vec<String>,
}

/// The minimum approvals: `default` for every planned action, unless its severity is listed
/// in `severity`; at least `guardrails[NAME]` for an action that guardrail holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Minimums {
    pub default: usize,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub severity: BTreeMap<String, usize>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub guardrails: BTreeMap<String, usize>,
    /// Severity -> N: a plan with a planned action of that severity needs at least N of its
    /// approvals signed by the approvers' own keys (not attested from chat).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub from_key: BTreeMap<String, usize>,
}

/// What the admins sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Body {
    #[serde(rename = "type")]
    pub kind: String,
    pub version: u64,
    /// `2027-12-07T00:00:00Z`.
    pub expires: String,
    pub approvers: BTreeMap<String, ApproverEntry>,
    pub approvals: Minimums,
    /// Name -> `ed25519:<base64>`: who may sign the next version.
    pub admins: BTreeMap<String, String>,
    /// How many admins must sign (M of N).
    pub threshold: usize,
    /// Where the audit log is (overrides `--audit-log` and DRIFTGATE_AUDIT_LOG).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_log: Option<String>,
    /// The approval service's clients (`driftgate serve`): name -> `sha256:<hex>` of the
    /// client's bearer token (the token itself is never in the root). Absent from roots
    /// without clients, so their canonical form (and signatures) are unchanged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub clients: BTreeMap<String, String>,
    /// Chat attestors (the approval service's keys): name -> key and the approvers each may
    /// attest for. Absent from roots without them.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub chat_attestors: BTreeMap<String, AttestorEntry>,
    /// The AI agents that may propose plans (`driftgate mcp`): name -> kind, key, service
    /// token digest ([`agent`]). Never approvers. Absent when none (older roots unchanged).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agents: BTreeMap<String, agent::AgentEntry>,
    /// Each agent kind's rules: the approvals its plans need, the actions it may not execute.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub agent_kinds: BTreeMap<String, agent::AgentKind>,
}

/// One admin's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureEntry {
    /// The admin's public key.
    pub key: String,
    /// base64 of the 64-byte Ed25519 signature.
    pub sig: String,
}

/// The file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RootFile {
    pub signed: Body,
    #[serde(default)]
    pub signatures: Vec<SignatureEntry>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<Box<RootFile>>,
}

/// An approver, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub key: PublicKey,
    /// Normalized ([`identity::principal`]).
    pub aws_principals: BTreeSet<String>,
    pub ci_actors: Vec<String>,
    pub slack_user: Option<String>,
}

/// A chat attestor, parsed: its key and the approvers it may attest for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attestor {
    pub key: PublicKey,
    pub approvers: BTreeSet<String>,
}

/// A body whose keys and names parse.
#[derive(Debug, Clone)]
struct Parsed {
    approvers: BTreeMap<String, Person>,
    admins: BTreeMap<String, PublicKey>,
    attestors: BTreeMap<String, Attestor>,
    agents: BTreeMap<String, agent::Agent>,
}

fn key(text: &str, what: &str) -> Result<PublicKey, String> {
    text.parse::<PublicKey>()
        .map_err(|e| format!("{what}: {e}"))
}

impl Body {
    /// A first version: these admins, `threshold` of them, one approval by default.
    pub fn new(
        admins: BTreeMap<String, String>,
        threshold: usize,
        expires: time::OffsetDateTime,
    ) -> Body {
        Body {
            kind: ROOT_TYPE.into(),
            version: 1,
            expires: crate::codec::format_time(expires),
            approvers: BTreeMap::new(),
            approvals: Minimums {
                default: 1,
                severity: BTreeMap::new(),
                guardrails: BTreeMap::new(),
                from_key: BTreeMap::new(),
            },
            admins,
            threshold,
            audit_log: None,
            clients: BTreeMap::new(),
            chat_attestors: BTreeMap::new(),
            agents: BTreeMap::new(),
            agent_kinds: BTreeMap::new(),
        }
    }

    fn canonical(&self) -> Vec<u8> {
        canonical_json(&serde_json::to_value(self).unwrap_or(serde_json::Value::Null))
    }

    pub fn expires_at(&self) -> Result<time::OffsetDateTime, String> {
        crate::codec::parse_time(&self.expires)
            .map_err(|_| format!("`expires` is not a time: {}", self.expires))
    }

    /// Every rule a body must keep, whatever its signatures.
    fn parse(&self) -> Result<Parsed, String> {
        if self.kind != ROOT_TYPE {
            return Err(format!("`signed.type` is not `{ROOT_TYPE}`"));
        }
        if self.version == 0 {
            return Err("`version` starts at 1".into());
        }
        self.expires_at()?;
        let mut approvers = BTreeMap::new();
        let mut keys = BTreeMap::new();
        for (name, a) in &self.approvers {
            if !valid_name(name) {
                return Err(format!("approver `{name}` is not a valid name"));
            }
            let k = key(&a.key, &format!("approver `{name}`"))?;
            if let Some(other) = keys.insert(k, name.clone()) {
                return Err(format!(
                    "approvers `{other}` and `{name}` have the same key: one person would count twice"
                ));
            }
            approvers.insert(
                name.clone(),
                Person {
                    key: k,
                    aws_principals: a
                        .aws_principals
                        .iter()
                        .map(|p| identity::principal(p))
                        .collect(),
                    ci_actors: a.ci_actors.clone(),
                    slack_user: a.slack_user.clone(),
                },
            );
        }
        let mut slack = BTreeMap::new();
        for (name, a) in &self.approvers {
            if let Some(u) = &a.slack_user
                && let Some(other) = slack.insert(u.clone(), name.clone())
            {
                return Err(format!(
                    "approvers `{other}` and `{name}` have the same slack_user `{u}`"
                ));
            }
        }
        let attestors = self.attestors(&keys)?;
        let mut admins = BTreeMap::new();
        for (name, k) in &self.admins {
            if !valid_name(name) {
                return Err(format!("admin `{name}` is not a valid name"));
            }
            admins.insert(name.clone(), key(k, &format!("admin `{name}`"))?);
        }
        let distinct: BTreeSet<_> = admins.values().collect();
        if self.threshold == 0 || self.threshold > distinct.len() {
            return Err(format!(
                "`threshold` is {}, it must be between 1 and the number of distinct admin keys ({})",
                self.threshold,
                distinct.len()
            ));
        }
        for s in self.approvals.severity.keys() {
            s.parse::<Severity>()
                .map_err(|_| format!("`approvals.severity` names `{s}`, not a severity"))?;
        }
        for s in self.approvals.from_key.keys() {
            s.parse::<Severity>()
                .map_err(|_| format!("`approvals.from_key` names `{s}`, not a severity"))?;
        }
        let agents = agent::parse(
            &self.agents,
            &self.agent_kinds,
            &approvers,
            &admins,
            &self.clients,
        )?;
        Ok(Parsed {
            approvers,
            admins,
            attestors,
            agents,
        })
    }

    /// The chat attestors: valid names, keys no approver holds, approvers the root lists.
    fn attestors(
        &self,
        approver_keys: &BTreeMap<PublicKey, String>,
    ) -> Result<BTreeMap<String, Attestor>, String> {
        let mut out = BTreeMap::new();
        for (name, a) in &self.chat_attestors {
            if !valid_name(name) {
                return Err(format!("chat attestor `{name}` is not a valid name"));
            }
            let k = key(&a.key, &format!("chat attestor `{name}`"))?;
            if let Some(person) = approver_keys.get(&k) {
                return Err(format!(
                    "chat attestor `{name}` has approver `{person}`'s key: an attestor is the service, never a person"
                ));
            }
            for who in &a.approvers {
                if !self.approvers.contains_key(who) {
                    return Err(format!(
                        "chat attestor `{name}` attests for `{who}`, not an approver of the root"
                    ));
                }
            }
            out.insert(
                name.clone(),
                Attestor {
                    key: k,
                    approvers: a.approvers.iter().cloned().collect(),
                },
            );
        }
        Ok(out)
    }
}

/// How many distinct keys of `keys` signed `body` in `signatures`.
fn signed_by(body: &Body, signatures: &[SignatureEntry], keys: &[PublicKey]) -> usize {
    let bytes = body.canonical();
    let mut who = BTreeSet::new();
    for s in signatures {
        let (Ok(k), Some(sig)) = (
            s.key.parse::<PublicKey>(),
            STANDARD
                .decode(&s.sig)
                .ok()
                .and_then(|b| <[u8; 64]>::try_from(b).ok()),
        ) else {
            continue;
        };
        if keys.contains(&k) && k.verifies(ROOT_DOMAIN, &bytes, &sig) {
            who.insert(k);
        }
    }
    who.len()
}

impl RootFile {
    pub fn parse(bytes: &[u8]) -> Result<RootFile, String> {
        serde_json::from_slice(bytes).map_err(|e| format!("not a trust root: {e}"))
    }

    /// The file's text (pretty JSON, members in a fixed order, one trailing newline).
    pub fn encode(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// Checks the chain of versions (signatures and thresholds), not the expiry.
    fn verify_chain(&self) -> Result<Parsed, String> {
        let parsed = self.signed.parse()?;
        let own: Vec<PublicKey> = parsed.admins.values().copied().collect();
        let v = self.signed.version;
        let n = signed_by(&self.signed, &self.signatures, &own);
        if n < self.signed.threshold {
            return Err(format!(
                "version {v} is signed by {n} of its admins, its threshold is {}",
                self.signed.threshold
            ));
        }
        match (&self.previous, v) {
            (None, 1) => Ok(parsed),
            (Some(_), 1) => Err("version 1 has a previous version".into()),
            (None, _) => Err(format!(
                "version {v} does not carry version {} (`previous`): its admins' consent cannot be checked",
                v - 1
            )),
            (Some(prev), _) => {
                if prev.signed.version + 1 != v {
                    return Err(format!(
                        "version {v} follows version {}: versions go up one at a time",
                        prev.signed.version
                    ));
                }
                let before = prev.verify_chain()?;
                let old: Vec<PublicKey> = before.admins.values().copied().collect();
                let m = signed_by(&self.signed, &self.signatures, &old);
                if m < prev.signed.threshold {
                    return Err(format!(
                        "version {v} is signed by {m} of version {}'s admins, their threshold is {}",
                        prev.signed.version, prev.signed.threshold
                    ));
                }
                Ok(parsed)
            }
        }
    }

    /// Whether the chain holds (enough signatures everywhere), whatever the expiry.
    pub fn complete(&self) -> bool {
        self.verify_chain().is_ok()
    }

    /// What `trust show` says about the signatures: the chain's problem, if any.
    pub fn problem(&self) -> Option<String> {
        self.verify_chain().err()
    }

    /// The next version after a change: `self` becomes `previous` when it is complete (a
    /// valid version is never edited in place); an incomplete one is edited in place and its
    /// signatures dropped (they signed something else).
    pub fn edit(&self, change: impl FnOnce(&mut Body)) -> RootFile {
        let mut next = if self.complete() {
            let mut body = self.signed.clone();
            body.version += 1;
            RootFile {
                signed: body,
                signatures: Vec::new(),
                previous: Some(Box::new(self.clone())),
            }
        } else {
            RootFile {
                signed: self.signed.clone(),
                signatures: Vec::new(),
                previous: self.previous.clone(),
            }
        };
        change(&mut next.signed);
        next
    }

    /// Adds `key`'s signature (once). Refused when the key is neither an admin of this version
    /// nor of the previous one: its signature would count for nothing.
    pub fn sign(&mut self, key: &KeyFile) -> Result<(), String> {
        let public = key.public();
        let mut admins: Vec<PublicKey> = self
            .signed
            .admins
            .values()
            .filter_map(|k| k.parse().ok())
            .collect();
        if let Some(prev) = &self.previous {
            admins.extend(
                prev.signed
                    .admins
                    .values()
                    .filter_map(|k| k.parse::<PublicKey>().ok()),
            );
        }
        if !admins.contains(&public) {
            return Err(format!(
                "the key {} is not an admin of this version or the previous one",
                public.fingerprint()
            ));
        }
        let sig = key.sign(ROOT_DOMAIN, &self.signed.canonical());
        let entry = SignatureEntry {
            key: public.to_string(),
            sig: STANDARD.encode(sig),
        };
        self.signatures.retain(|s| s.key != entry.key);
        self.signatures.push(entry);
        self.signatures.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(())
    }
}

/// How the environment pins the root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Pin {
    /// DRIFTGATE_TRUST_ROOT: a path or `s3://bucket/key`.
    pub location: String,
    /// DRIFTGATE_TRUST_ROOT_SHA256: hex SHA-256 of the file's bytes.
    pub sha256: Option<String>,
    /// DRIFTGATE_TRUST_ROOT_ADMINS: admin key fingerprints (`SHA256:...`) or keys.
    pub admins: Vec<String>,
}

/// A verified, pinned root.
#[derive(Debug, Clone)]
pub struct Root {
    pub body: Body,
    /// `sha256:<hex>` of the file's bytes.
    pub digest: String,
    pub approvers: BTreeMap<String, Person>,
    pub attestors: BTreeMap<String, Attestor>,
    /// The agents ([`agent`]): they propose, never approve.
    pub agents: BTreeMap<String, agent::Agent>,
}

/// `sha256:<hex>` of a root file's bytes.
pub fn file_digest(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// Verifies a root file against its pin at `now`. `floor` is the highest version used before
/// (from the audit log): a lower one is a rollback.
pub fn load(
    bytes: &[u8],
    pin: &Pin,
    now: time::OffsetDateTime,
    floor: Option<u64>,
) -> Result<Root, String> {
    let digest = file_digest(bytes);
    if pin.sha256.is_none() && pin.admins.is_empty() {
        return Err(
            "DRIFTGATE_TRUST_ROOT is set without DRIFTGATE_TRUST_ROOT_SHA256 or DRIFTGATE_TRUST_ROOT_ADMINS: a root nobody pinned proves nothing"
                .into(),
        );
    }
    if let Some(want) = &pin.sha256 {
        let want = want
            .trim()
            .trim_start_matches("sha256:")
            .to_ascii_lowercase();
        if digest.trim_start_matches("sha256:") != want {
            return Err(format!(
                "its SHA-256 is {digest}, DRIFTGATE_TRUST_ROOT_SHA256 pins sha256:{want}"
            ));
        }
    }
    let file = RootFile::parse(bytes)?;
    let parsed = file.verify_chain()?;
    if !pin.admins.is_empty() {
        let pinned: Vec<PublicKey> = parsed
            .admins
            .values()
            .copied()
            .filter(|k| {
                pin.admins
                    .iter()
                    .any(|p| p.trim() == k.fingerprint() || p.trim() == k.to_string())
            })
            .collect();
        let n = signed_by(&file.signed, &file.signatures, &pinned);
        if n < file.signed.threshold {
            return Err(format!(
                "version {} is signed by {n} of the admins DRIFTGATE_TRUST_ROOT_ADMINS pins, its threshold is {}",
                file.signed.version, file.signed.threshold
            ));
        }
    }
    let expires = file.signed.expires_at()?;
    if now >= expires {
        return Err(format!(
            "version {} expired at {}: the admins must sign a new version",
            file.signed.version, file.signed.expires
        ));
    }
    if let Some(floor) = floor.filter(|f| *f > file.signed.version) {
        return Err(format!(
            "version {} is older than version {floor}, already used here (the audit log says so): a rollback",
            file.signed.version
        ));
    }
    Ok(Root {
        body: file.signed,
        digest,
        approvers: parsed.approvers,
        attestors: parsed.attestors,
        agents: parsed.agents,
    })
}

/// Who runs `apply`, as the machine knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applier {
    /// STS caller ARN, normalized.
    pub aws_principal: Option<String>,
    pub ci: Option<String>,
}

impl Root {
    pub fn version(&self) -> u64 {
        self.body.version
    }

    /// The root's approver whose key this is.
    pub fn approver_with_key(&self, key: &PublicKey) -> Option<(&String, &Person)> {
        self.approvers.iter().find(|(_, p)| p.key == *key)
    }

    /// The approver who presses buttons in Slack as `user`.
    pub fn slack_approver(&self, user: &str) -> Option<&String> {
        self.approvers
            .iter()
            .find(|(_, p)| p.slack_user.as_deref() == Some(user))
            .map(|(n, _)| n)
    }

    /// How many of the plan's approvals must be signed by the approvers' own keys (the most
    /// `approvals.from_key` asks for any planned action's severity).
    pub fn from_key(&self, plan: &Plan) -> usize {
        plan.actions
            .iter()
            .filter(|a| a.status == ActionStatus::Planned)
            .filter_map(|a| {
                self.body
                    .approvals
                    .from_key
                    .get(a.finding.severity.as_str())
            })
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// The root's minimum for a severity.
    fn for_severity(&self, s: Severity) -> usize {
        self.body
            .approvals
            .severity
            .get(s.as_str())
            .copied()
            .unwrap_or(self.body.approvals.default)
    }

    /// The approvals the root requires for this plan: the most any planned action needs.
    pub fn required(&self, plan: &Plan) -> usize {
        plan.actions
            .iter()
            .filter(|a| a.status == ActionStatus::Planned)
            .map(|a| {
                let rail = a
                    .guardrail
                    .as_ref()
                    .and_then(|g| self.body.approvals.guardrails.get(&g.name))
                    .copied()
                    .unwrap_or(0);
                // A disruptive action planned with `--allow-disruptive` carries no guardrail
                // of that name: the root's minimum for it holds all the same.
                let disruptive = if crate::model::plan::is_disruptive(a) {
                    self.body
                        .approvals
                        .guardrails
                        .get(crate::model::plan::DISRUPTIVE)
                        .copied()
                        .unwrap_or(0)
                } else {
                    0
                };
                self.for_severity(a.finding.severity)
                    .max(rail)
                    .max(disruptive)
            })
            .max()
            .unwrap_or(0)
            // An agent's plan: its kind's minimum, and never none.
            .max(self.agent_minimum(plan))
    }

    /// Where the policy lowers what the root requires (empty: it does not). An absent
    /// `approval` block lowers nothing: the root's rules apply.
    /// The policy's parts that matter: its `approval` rule, the names of the guardrails it
    /// keeps in force (`planner::guardrail::names_in_force`, built-ins included) and its
    /// re-grades of built-in rules.
    pub fn lowered_by(
        &self,
        approval: Option<&ApprovalRule>,
        guardrails: &BTreeSet<String>,
        regrades: &BTreeMap<String, Severity>,
    ) -> Vec<String> {
        let mut out = Vec::new();
        let floor = self.body.approvals.default;
        if let Some(rule) = approval {
            if rule.required < floor {
                out.push(format!(
                    "its approval block requires {} approvals, the trust root at least {floor}",
                    rule.required
                ));
            }
            if let Some(min) = rule.min_severity {
                let waived: Vec<&str> = Severity::ALL
                    .into_iter()
                    .filter(|s| *s < min && self.for_severity(*s) > 0)
                    .map(Severity::as_str)
                    .collect();
                if !waived.is_empty() {
                    out.push(format!(
                        "its min_severity = \"{min}\" waives the approvals the trust root requires for {}",
                        waived.join(", ")
                    ));
                }
            }
            for (name, a) in &rule.approvers {
                if self.approver_with_key(&a.key).is_none() {
                    out.push(format!(
                        "its approver `{name}` ({}) is not in the trust root",
                        a.key.fingerprint()
                    ));
                }
            }
        }
        for (name, n) in &self.body.approvals.guardrails {
            if !guardrails.contains(name) {
                out.push(format!(
                    "the trust root requires guardrail `{name}` ({n} approvals), the policy relaxes or lacks it"
                ));
            }
        }
        for (rule, s) in regrades {
            if self.for_severity(*s) < floor {
                out.push(format!(
                    "it regrades `{rule}` to {s}, for which the trust root requires fewer approvals"
                ));
            }
        }
        out
    }

    /// Whether `person` (named `name`) is the plan's author by any identity the machine
    /// recorded: the plan's signing key, its AWS principal, its CI identity (and the name,
    /// which excludes more, never less).
    pub fn is_author(&self, name: &str, person: &Person, plan: &Plan) -> bool {
        let a = &plan.author;
        let by_key = a
            .key
            .as_deref()
            .and_then(|k| k.parse::<PublicKey>().ok())
            .is_some_and(|k| k == person.key);
        let by_aws = a
            .aws_caller_arn
            .as_deref()
            .is_some_and(|arn| person.aws_principals.contains(&identity::principal(arn)));
        let by_ci =
            a.ci.as_deref()
                .is_some_and(|c| person.ci_actors.iter().any(|x| identity::same_ci(x, c)));
        let by_name = name.eq_ignore_ascii_case(a.actor.trim());
        by_key || by_aws || by_ci || by_name
    }

    /// Whether the applier is the plan's author (by AWS principal or CI identity, their own
    /// or those the root lists for the plan's signing key).
    pub fn applier_is_author(&self, applier: &Applier, plan: &Plan) -> bool {
        let signer = plan
            .author
            .key
            .as_deref()
            .and_then(|k| k.parse::<PublicKey>().ok())
            .and_then(|k| self.approver_with_key(&k).map(|(_, p)| p.clone()));
        let author_aws = plan
            .author
            .aws_caller_arn
            .as_deref()
            .map(identity::principal);
        let aws = applier.aws_principal.as_deref().is_some_and(|me| {
            author_aws.as_deref() == Some(me)
                || signer
                    .as_ref()
                    .is_some_and(|p| p.aws_principals.contains(me))
        });
        let ci = applier.ci.as_deref().is_some_and(|me| {
            plan.author
                .ci
                .as_deref()
                .is_some_and(|c| identity::same_ci(c, me))
                || signer
                    .as_ref()
                    .is_some_and(|p| p.ci_actors.iter().any(|x| identity::same_ci(x, me)))
        });
        aws || ci
    }

    /// Checks that the plan's author is bound: a signature by a key of the root over the
    /// plan's digest (`plan --sign KEY`). A resealed plan (author fields edited, digest made
    /// again) fails it; a plan signed again by another key has that key's owner as author.
    pub fn check_author(&self, plan: &Plan) -> Result<String, String> {
        let (Some(k), Some(sig)) = (plan.author.key.as_deref(), plan.author.signature.as_deref())
        else {
            return Err(
                "the plan is not signed by its author: under a pinned trust root, `driftgate plan --sign KEY` (an approver's key of the root)"
                    .into(),
            );
        };
        let key: PublicKey = k
            .parse()
            .map_err(|e| format!("the plan's author key: {e}"))?;
        let sig: [u8; 64] = STANDARD
            .decode(sig)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("the plan's author signature is not 64 bytes of base64")?;
        if !key.verifies(PLAN_DOMAIN, plan.digest.as_bytes(), &sig) {
            return Err(
                "the plan's author signature does not verify (the plan was changed after it was signed)"
                    .into(),
            );
        }
        if let Some((name, _)) = self.agent_with_key(&key) {
            self.check_agent_plan(name, plan)?;
            return Ok(name.clone());
        }
        match self.approver_with_key(&key) {
            Some((name, _)) if plan.author.is_agent() || plan.author.agent.is_some() => {
                Err(format!(
                    "the plan says an agent wrote it but is signed by approver `{name}`'s key: an agent's plan is signed with the agent's key of the root"
                ))
            }
            Some((name, _)) => Ok(name.clone()),
            None => Err(format!(
                "the plan is signed by {}, a key the trust root does not list",
                key.fingerprint()
            )),
        }
    }

    /// Each approval in `given` verified for `plan` as [`Root::check`] verifies it (the
    /// root's keys and version, never the author by any identity), without asking for a number
    /// of them and without an applier (the approval service counts them; `apply` checks again).
    pub fn verify_each(
        &self,
        plan: &Plan,
        given: &[String],
        now: time::OffsetDateTime,
    ) -> Result<Vec<Accepted>, Denied> {
        let applier = Applier::default();
        let judge = RootJudge {
            root: self,
            plan,
            applier: &applier,
        };
        crate::approval::tally(plan, given, 0, now, &judge)
    }

    /// The key a denial must be signed with: its approver's in the root, never the author's.
    pub fn denial_key(
        &self,
        plan: &Plan,
        d: &crate::approval::Denial,
    ) -> Result<PublicKey, Problem> {
        if self.agents.contains_key(&d.approver) {
            return Err(Problem::Agent);
        }
        let person = self.approvers.get(&d.approver).ok_or(Problem::NotInRoot)?;
        if self.is_author(&d.approver, person, plan) {
            return Err(Problem::SelfApproval);
        }
        Ok(person.key)
    }

    /// Whether `given` let `plan` apply under this root, the policy's `rule` (which can only
    /// add) and `applier`, at `now`. As [`crate::approval::check`], and: approvers and keys are
    /// the root's; every approval names this root's version; the author is excluded by any of
    /// their identities; the applier's own approval never counts; an applier who is the
    /// author needs one approval more.
    pub fn check(
        &self,
        plan: &Plan,
        rule: Option<&ApprovalRule>,
        given: &[String],
        applier: &Applier,
        now: time::OffsetDateTime,
    ) -> Result<Vec<Accepted>, Denied> {
        let mut required = self
            .required(plan)
            .max(rule.map_or(0, |r| r.required_for(plan)))
            .max(crate::model::plan::approvals_required(&plan.actions));
        // Whoever proposes a change never applies it alone, even where the root asks for no
        // approval.
        if self.applier_is_author(applier, plan) {
            required += 1;
        }
        let judge = RootJudge {
            root: self,
            plan,
            applier,
        };
        let accepted = crate::approval::tally(plan, given, required, now, &judge)?;
        let by_key = accepted.iter().filter(|a| a.attestor.is_none()).count();
        let from_key = self.from_key(plan);
        if by_key < from_key {
            return Err(Denied::FromKey {
                by_key,
                required: from_key,
            });
        }
        Ok(accepted)
    }
}

/// The root as a [`Judge`]: its approvers and keys; an approval names this root's version;
/// the author is excluded by any of their identities, and the applier's approval never counts.
struct RootJudge<'a> {
    root: &'a Root,
    plan: &'a Plan,
    applier: &'a Applier,
}

impl Judge for RootJudge<'_> {
    fn key_of(&self, a: &Approval) -> Result<PublicKey, Problem> {
        if self.root.agents.contains_key(&a.approver) {
            return Err(Problem::Agent);
        }
        let person = self
            .root
            .approvers
            .get(&a.approver)
            .ok_or(Problem::NotInRoot)?;
        let Some(name) = &a.attestor else {
            return Ok(person.key);
        };
        let attestor = self.root.attestors.get(name).ok_or_else(|| {
            Problem::Attestor(format!("`{name}` is not a chat attestor of the root"))
        })?;
        if !attestor.approvers.contains(&a.approver) {
            return Err(Problem::Attestor(format!(
                "the root does not let `{name}` attest for `{}`",
                a.approver
            )));
        }
        Ok(attestor.key)
    }

    fn person(&self, a: &Approval, signer: &PublicKey) -> PublicKey {
        self.root
            .approvers
            .get(&a.approver)
            .map_or(*signer, |p| p.key)
    }

    fn refuses(&self, a: &Approval) -> Option<Problem> {
        let person = self.root.approvers.get(&a.approver)?;
        if a.root != Some(self.root.version()) {
            return Some(Problem::RootVersion {
                token: a.root,
                root: self.root.version(),
            });
        }
        if self.root.is_author(&a.approver, person, self.plan) {
            return Some(Problem::SelfApproval);
        }
        let applier_aws = self
            .applier
            .aws_principal
            .as_deref()
            .is_some_and(|me| person.aws_principals.contains(me));
        let applier_ci = self
            .applier
            .ci
            .as_deref()
            .is_some_and(|me| person.ci_actors.iter().any(|x| identity::same_ci(x, me)));
        (applier_aws || applier_ci).then_some(Problem::Applier)
    }
}

#[cfg(test)]
mod tests;

// Test code, in `tests/` as every module's (tests/layers.rs leaves it out of the arrows).
#[cfg(test)]
#[path = "tests/agent.rs"]
mod agent_tests;
