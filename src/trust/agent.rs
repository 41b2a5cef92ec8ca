//! AI agents in the trust root (`driftgate mcp`): they propose plans, never approve or apply.
//!
//! - **An agent is a key the root lists** (`agents.NAME.key`), of a kind (`agents.NAME.kind`)
//!   whose rules are in `agent_kinds`. A plan an agent writes is signed with that key, so what
//!   counts is the signing key, never the plan's `author.kind`: a plan signed by an agent's key
//!   is an agent's plan whatever its fields say (and `apply` refuses fields that disagree); a
//!   plan passes as a person's only with a person's key, which the agent does not hold.
//! - **Never an approver**: an agent's key and name are no approver's (the root refuses them),
//!   an approval or denial naming an agent is refused, and the approval service refuses an
//!   agent's bearer token (`agents.NAME.client`) on the routes that record approvals.
//! - **Its kind's rules** (`agent_kinds.KIND`): `approvals`, the fewest approvals any plan of
//!   an agent of that kind needs (at least 1 whatever the root's default), and `forbid`, the
//!   actions no plan of that kind may execute (an action kind such as `delete`, or an API name
//!   such as `iam:*` or `ec2:TerminateInstances`), checked at apply from the root.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::approval::PublicKey;
use crate::model::plan::{ActionKind, ActionStatus, Plan};

/// One agent of the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentEntry {
    /// A kind listed in `agent_kinds` (e.g. `assistant`, `auto-remediation`).
    pub kind: String,
    /// `ed25519:<base64>`: the key its plans are signed with (`driftgate keygen`).
    pub key: String,
    /// `sha256:<hex>` of its bearer token for the approval service: it may submit requests and
    /// read them, never record an approval or a denial.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
}

/// The rules of one kind of agent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AgentKind {
    /// The fewest approvals a plan by an agent of this kind needs (the root's own minimum for
    /// the plan when that is more; never fewer than 1).
    #[serde(default)]
    pub approvals: usize,
    /// Actions a plan of this kind may not execute: an action kind (`revert`, `recreate`,
    /// `accept`, `import`, `delete`) or an API name, exact or ending in `*` (`iam:*`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forbid: Vec<String>,
}

/// An agent, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub kind: String,
    pub key: PublicKey,
    /// `sha256:<hex>` of its service token.
    pub client: Option<String>,
    /// Its kind's rules.
    pub rules: AgentKind,
}

/// Whether `pattern` is a forbid entry the root can hold.
fn valid_pattern(pattern: &str) -> bool {
    if ActionKind::ALL.iter().any(|k| k.as_str() == pattern) {
        return true;
    }
    match pattern.split_once(':') {
        Some((service, op)) => {
            !service.is_empty()
                && service
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !op.is_empty()
                && op
                    .trim_end_matches('*')
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric())
                && op.find('*').is_none_or(|i| i == op.len() - 1)
        }
        None => false,
    }
}

/// Whether an action kind or API name matches a forbid entry (API names compare ignoring
/// ASCII case, as IAM action names do).
fn matches(pattern: &str, kind: ActionKind, apis: &[String]) -> bool {
    if pattern == kind.as_str() {
        return true;
    }
    let p = pattern.to_ascii_lowercase();
    apis.iter().any(|api| {
        let api = api.to_ascii_lowercase();
        match p.strip_suffix('*') {
            Some(prefix) => api.starts_with(prefix),
            None => api == p,
        }
    })
}

/// The agents of a body, checked against its approvers' and admins' keys and names and its
/// clients: one key is one identity, and an agent is never an approver.
pub(super) fn parse(
    agents: &BTreeMap<String, AgentEntry>,
    kinds: &BTreeMap<String, AgentKind>,
    approvers: &BTreeMap<String, super::Person>,
    admins: &BTreeMap<String, PublicKey>,
    clients: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, Agent>, String> {
    for (kind, rules) in kinds {
        if !crate::approval::valid_name(kind) {
            return Err(format!("agent kind `{kind}` is not a valid name"));
        }
        if let Some(p) = rules.forbid.iter().find(|p| !valid_pattern(p)) {
            return Err(format!(
                "agent kind `{kind}` forbids `{p}`: an action kind (revert, recreate, accept, import, delete) or an API name such as `iam:*` or `ec2:TerminateInstances`"
            ));
        }
    }
    let mut out: BTreeMap<String, Agent> = BTreeMap::new();
    for (name, a) in agents {
        if !crate::approval::valid_name(name) {
            return Err(format!("agent `{name}` is not a valid name"));
        }
        if approvers.contains_key(name) {
            return Err(format!(
                "`{name}` is both an approver and an agent: an agent never approves"
            ));
        }
        if clients.contains_key(name) {
            return Err(format!(
                "`{name}` is both a client of the approval service and an agent: the service must know which it is"
            ));
        }
        let key: PublicKey = a.key.parse().map_err(|e| format!("agent `{name}`: {e}"))?;
        if let Some((who, _)) = approvers.iter().find(|(_, p)| p.key == key) {
            return Err(format!(
                "agent `{name}` has approver `{who}`'s key: an agent never approves, and its plans would pass as `{who}`'s"
            ));
        }
        if let Some((who, _)) = admins.iter().find(|(_, k)| **k == key) {
            return Err(format!(
                "agent `{name}` has admin `{who}`'s key: an agent's key is its own"
            ));
        }
        if let Some((who, _)) = out.iter().find(|(_, b)| b.key == key) {
            return Err(format!(
                "agents `{who}` and `{name}` have the same key: one could claim the other's plans"
            ));
        }
        let rules = kinds.get(&a.kind).cloned().ok_or_else(|| {
            format!(
                "agent `{name}` is of kind `{}`, which `agent_kinds` does not list (its rules would be none)",
                a.kind
            )
        })?;
        let client = match &a.client {
            None => None,
            Some(d) => {
                let hexed = d.trim().strip_prefix("sha256:").unwrap_or(d.trim());
                if hex::decode(hexed).map_or(true, |b| b.len() != 32) {
                    return Err(format!(
                        "agent `{name}`: `client` is `sha256:<64 hex>` of its service token"
                    ));
                }
                let d = format!("sha256:{}", hexed.to_ascii_lowercase());
                let same = |x: &String| x.trim().to_ascii_lowercase().ends_with(&d[7..]);
                if clients.values().any(same) || out.values().any(|b| b.client.as_ref() == Some(&d))
                {
                    return Err(format!(
                        "agent `{name}`: its service token is another client's: the service could not tell them apart"
                    ));
                }
                Some(d)
            }
        };
        out.insert(
            name.clone(),
            Agent {
                kind: a.kind.clone(),
                key,
                client,
                rules,
            },
        );
    }
    Ok(out)
}

impl super::Root {
    /// The root's agent whose key this is.
    pub fn agent_with_key(&self, key: &PublicKey) -> Option<(&String, &Agent)> {
        self.agents.iter().find(|(_, a)| a.key == *key)
    }

    /// The agent whose key the plan names as its author's (`author.key`), whatever the plan's
    /// other fields say. `check_author` verifies the signature.
    pub fn author_agent(&self, plan: &Plan) -> Option<(&String, &Agent)> {
        let key: PublicKey = plan.author.key.as_deref()?.parse().ok()?;
        self.agent_with_key(&key)
    }

    /// The least number of approvals the plan needs because an agent wrote it (0 for a
    /// person's plan).
    pub fn agent_minimum(&self, plan: &Plan) -> usize {
        self.author_agent(plan)
            .map_or(0, |(_, a)| a.rules.approvals.max(1))
    }

    /// The planned actions an agent's plan may not execute under its kind's `forbid`, each as
    /// `a01 delete aws_vpc.x (ec2:DeleteVpc)`; empty for a person's plan.
    pub fn agent_forbidden(&self, plan: &Plan) -> Vec<String> {
        let Some((_, agent)) = self.author_agent(plan) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for a in plan
            .actions
            .iter()
            .filter(|a| a.status == ActionStatus::Planned)
        {
            let apis: Vec<String> = a.calls.iter().map(|c| c.api()).collect();
            let hit: Vec<&str> = agent
                .rules
                .forbid
                .iter()
                .filter(|p| matches(p, a.kind, &apis))
                .map(String::as_str)
                .collect();
            if !hit.is_empty() {
                let what = a.address.as_ref().map_or_else(
                    || format!("{}.{}", a.resource_type, a.resource_id),
                    ToString::to_string,
                );
                out.push(format!(
                    "{} {} {} (forbidden: {})",
                    a.id,
                    a.kind.as_str(),
                    crate::mask::clean(&what),
                    hit.join(", ")
                ));
            }
        }
        out
    }

    /// An agent's plan, under the root: its fields say who wrote it truly, and it executes
    /// nothing its kind is forbidden. `name` is the agent the signing key belongs to.
    pub(super) fn check_agent_plan(&self, name: &str, plan: &Plan) -> Result<(), String> {
        if !plan.author.is_agent() || plan.author.agent.as_deref() != Some(name) {
            return Err(format!(
                "the plan is signed by agent `{name}`'s key but its author fields do not say so (author.kind = \"agent\", author.agent = \"{name}\"): an agent's plan never passes as another's"
            ));
        }
        let forbidden = self.agent_forbidden(plan);
        if !forbidden.is_empty() {
            let kind = self.agents.get(name).map_or("", |a| a.kind.as_str());
            return Err(format!(
                "the plan is agent `{name}`'s (kind `{kind}`), which the trust root forbids: {}",
                forbidden.join("; ")
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbid_patterns_are_action_kinds_or_api_names() {
        for ok in [
            "delete",
            "revert",
            "iam:*",
            "ec2:TerminateInstances",
            "ec2:Delete*",
        ] {
            assert!(valid_pattern(ok), "{ok}");
        }
        for bad in ["remove", "iam", ":x", "ec2:*Delete", "ec2:a b", ""] {
            assert!(!valid_pattern(bad), "{bad}");
        }
        let apis = vec!["iam:UpdateAssumeRolePolicy".to_string()];
        assert!(matches("iam:*", ActionKind::Revert, &apis));
        assert!(matches(
            "IAM:updateassumerolepolicy",
            ActionKind::Revert,
            &apis
        ));
        assert!(matches("revert", ActionKind::Revert, &apis));
        assert!(!matches("ec2:*", ActionKind::Revert, &apis));
        assert!(!matches("delete", ActionKind::Revert, &apis));
    }
}
