//! What each call of a plan will set, as a diff against what AWS holds now: the one
//! description every renderer shows an approver (`approve`'s summary, the plan table, the
//! Slack and Teams messages), so nobody signs an API name.
//!
//! Derived from the call's own parameters (what `apply` sends) and the action's observed
//! values (`PlannedChange::now`, what the cloud held when planned): a document the call sends
//! is compared with the observed one (its principals, then its lines); a rule shows its
//! protocol, ports and source; a tag its key and both values. Pure. A value read from the
//! state at apply time ([`Arg::FromState`]) is a secret and shows as `(sensitive)`; every
//! other value goes through [`mask`] (a fingerprint shows as `(sensitive)`), and the
//! renderers pass the text through `mask::mask_text` and `mask::clean` as any other output.

use std::collections::BTreeSet;

use crate::mask::{SENSITIVE, mask};
use crate::model::plan::{Action, Arg, Call, SgRule, SgSource, VersionSelector};
use crate::model::{Segment, Value};

/// `(absent)`: a value AWS does not hold now.
pub const ABSENT: &str = "(absent)";

/// One line naming the call and what it addresses (`iam:UpdateAssumeRolePolicy role app`),
/// then one line per value it sets, each a diff against what AWS holds now.
pub fn effect(action: &Action, call: &Call) -> Vec<String> {
    let mut out = vec![format!("{} {}", call.api(), target(call))];
    out.extend(lines(action, call));
    out
}

/// Every call of the action, each as [`effect`].
pub fn action_effects(action: &Action) -> Vec<String> {
    action
        .calls
        .iter()
        .flat_map(|c| {
            let mut e = effect(action, c);
            for l in e.iter_mut().skip(1) {
                l.insert_str(0, "  ");
            }
            e
        })
        .collect()
}

fn target(call: &Call) -> String {
    match call {
        Call::Unit(u) => u.target.clone(),
        Call::Ec2CreateTags { resource_id, .. } | Call::Ec2DeleteTags { resource_id, .. } => {
            resource_id.clone()
        }
        Call::Ec2AuthorizeSecurityGroupIngress { group_id, .. }
        | Call::Ec2AuthorizeSecurityGroupEgress { group_id, .. }
        | Call::Ec2RevokeSecurityGroupIngress { group_id, .. }
        | Call::Ec2RevokeSecurityGroupEgress { group_id, .. }
        | Call::Ec2DeleteSecurityGroup { group_id } => group_id.clone(),
        Call::Ec2ModifySecurityGroupRules {
            group_id, rule_id, ..
        } => format!("{group_id} rule {rule_id}"),
        Call::Ec2ModifyVpcAttribute { vpc_id, .. } => vpc_id.clone(),
        Call::Ec2ModifySubnetAttribute { subnet_id, .. } => subnet_id.clone(),
        Call::Ec2ModifyInstanceAttribute { instance_id, .. }
        | Call::Ec2MonitorInstances { instance_id }
        | Call::Ec2UnmonitorInstances { instance_id }
        | Call::Ec2StopInstances { instance_id }
        | Call::Ec2StartInstances { instance_id } => instance_id.clone(),
        Call::IamTag { entity, name, .. }
        | Call::IamUntag { entity, name, .. }
        | Call::IamDeletePermissionsBoundary { entity, name }
        | Call::IamPutPermissionsBoundary { entity, name, .. }
        | Call::IamAttachPolicy { entity, name, .. }
        | Call::IamDetachPolicy { entity, name, .. } => {
            format!("{} {name}", entity.as_str().to_ascii_lowercase())
        }
        Call::IamPutInlinePolicy {
            entity,
            name,
            policy_name,
            ..
        }
        | Call::IamDeleteInlinePolicy {
            entity,
            name,
            policy_name,
        } => format!(
            "{} {name} policy {}",
            entity.as_str().to_ascii_lowercase(),
            quoted(policy_name)
        ),
        Call::IamUpdateAssumeRolePolicy { role_name, .. }
        | Call::IamUpdateRole { role_name, .. } => format!("role {role_name}"),
        Call::IamUpdateUser { user_name, .. } => format!("user {user_name}"),
        Call::IamDeletePolicyVersion { policy_arn, .. }
        | Call::IamCreatePolicyVersion { policy_arn, .. } => policy_arn.clone(),
        Call::ConfigEdit { file, .. } => file.clone(),
    }
}

fn quoted(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// What an argument sends, as shown: a value masked, a state reference as `(sensitive)`.
fn shown(arg: &Arg) -> String {
    match arg {
        Arg::Value(v) => mask(v).inline(),
        Arg::FromState(_) => format!("{SENSITIVE} (restored from the state)"),
    }
}

/// The observed value of `attribute` (a whole-attribute change), when the action has one.
fn now_of<'a>(action: &'a Action, attribute: &str) -> Option<&'a Value> {
    action
        .changes
        .iter()
        .find(|c| c.path.0.len() == 1 && c.path.attribute() == Some(attribute))
        .map(|c| &c.now)
}

/// The observed value of tag `key`: from a `tags.KEY` change, or from a whole tag map.
fn tag_now(action: &Action, key: &str) -> Option<String> {
    for c in &action.changes {
        if !matches!(c.path.attribute(), Some("tags" | "tags_all")) {
            continue;
        }
        match c.path.0.as_slice() {
            [_, Segment::Key(k)] if k == key => return Some(mask(&c.now).inline()),
            [_] => match &c.now {
                Value::Map(m) => {
                    return Some(m.get(key).map_or(ABSENT.into(), |v| mask(v).inline()));
                }
                other => return Some(mask(other).inline()),
            },
            _ => {}
        }
    }
    None
}

/// `enableDnsSupport` -> `enable_dns_support`: the attribute an EC2 call's name stands for.
fn snake(api: &str) -> String {
    let mut out = String::new();
    for ch in api.chars() {
        if ch.is_ascii_uppercase() {
            out.push('_');
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn flag(action: &Action, api_attribute: &str, value: String) -> String {
    let now = now_of(action, &snake(api_attribute))
        .map_or_else(|| "(as observed)".to_string(), |v| mask(v).inline());
    format!("{api_attribute}: {now} -> {value}")
}

fn rule(r: &SgRule) -> String {
    let ports = match (r.from_port, r.to_port) {
        (Some(a), Some(b)) if a == b => format!(" port {a}"),
        (Some(a), Some(b)) => format!(" ports {a}-{b}"),
        _ => " all ports".to_string(),
    };
    let protocol = if r.protocol == "-1" {
        "all protocols".to_string()
    } else {
        r.protocol.clone()
    };
    let source = match &r.source {
        SgSource::CidrIpv4(c) | SgSource::CidrIpv6(c) => format!("CIDR {c}"),
        SgSource::PrefixList(p) => format!("prefix list {p}"),
        SgSource::Group(g) => format!("security group {g}"),
    };
    let description = if r.description.is_empty() {
        String::new()
    } else {
        format!(" ({})", quoted(&r.description))
    };
    format!("{protocol}{ports}, {source}{description}")
}

fn lines(action: &Action, call: &Call) -> Vec<String> {
    match call {
        // Derived from what runs: the operation, then each argument as it will be sent (a
        // value read from the state at apply time is shown as such, never its value).
        Call::Unit(u) => std::iter::once(u.operation.clone())
            .chain(
                u.args
                    .iter()
                    .map(|(name, arg)| format!("  {name} = {}", shown(arg))),
            )
            .collect(),
        Call::Ec2CreateTags { tags, .. } | Call::IamTag { tags, .. } => tag_lines(action, tags),
        Call::Ec2DeleteTags { keys, .. } | Call::IamUntag { keys, .. } => {
            untag_lines(action, keys)
        }
        Call::Ec2AuthorizeSecurityGroupIngress { rule: r, .. } => {
            vec![format!("+ ingress rule: {}", rule(r))]
        }
        Call::Ec2AuthorizeSecurityGroupEgress { rule: r, .. } => {
            vec![format!("+ egress rule: {}", rule(r))]
        }
        Call::Ec2RevokeSecurityGroupIngress { rule: r, .. } => {
            vec![format!("- ingress rule: {}", rule(r))]
        }
        Call::Ec2RevokeSecurityGroupEgress { rule: r, .. } => {
            vec![format!("- egress rule: {}", rule(r))]
        }
        Call::Ec2ModifySecurityGroupRules { rule: r, .. } => {
            vec![format!("rule set to: {}", rule(r))]
        }
        Call::Ec2ModifyVpcAttribute {
            attribute, value, ..
        }
        | Call::Ec2ModifySubnetAttribute {
            attribute, value, ..
        } => vec![flag(action, attribute, value.to_string())],
        Call::Ec2ModifyInstanceAttribute {
            attribute, value, ..
        } => vec![flag(action, attribute, shown(value))],
        Call::Ec2MonitorInstances { .. } => vec!["detailed monitoring: -> enabled".into()],
        Call::Ec2UnmonitorInstances { .. } => vec!["detailed monitoring: -> disabled".into()],
        Call::Ec2StopInstances { .. } => {
            vec!["stops the instance (its workload is interrupted until the start)".into()]
        }
        Call::Ec2StartInstances { .. } => vec!["starts the instance again".into()],
        Call::Ec2DeleteSecurityGroup { .. } => vec!["deletes the security group".into()],
        Call::IamUpdateAssumeRolePolicy { document, .. } => {
            document_lines(now_of(action, "assume_role_policy"), document)
        }
        Call::IamUpdateRole {
            description,
            max_session_duration,
            ..
        } => role_lines(action, description.as_ref(), *max_session_duration),
        Call::IamUpdateUser { new_path, .. } => {
            let now = now_text(action, "path", ABSENT);
            vec![format!("path: {now} -> {}", quoted(new_path))]
        }
        Call::IamPutInlinePolicy {
            policy_name,
            document,
            ..
        } => document_lines(inline_now(action, policy_name).as_ref(), document),
        Call::IamDeleteInlinePolicy { policy_name, .. } => {
            vec![format!("inline policy {}: -> {ABSENT}", quoted(policy_name))]
        }
        Call::IamAttachPolicy { policy_arn, .. } => {
            vec![format!("+ managed policy {policy_arn}")]
        }
        Call::IamDetachPolicy { policy_arn, .. } => {
            vec![format!("- managed policy {policy_arn}")]
        }
        Call::IamPutPermissionsBoundary { policy_arn, .. } => {
            let now = now_text(action, "permissions_boundary", ABSENT);
            vec![format!("permissions boundary: {now} -> {}", quoted(policy_arn))]
        }
        Call::IamDeletePermissionsBoundary { .. } => {
            let now = now_text(action, "permissions_boundary", "(as observed)");
            vec![format!("permissions boundary: {now} -> {ABSENT}")]
        }
        Call::IamDeletePolicyVersion { version, .. } => match version {
            VersionSelector::OldestNonDefaultAtLimit => vec![
                "deletes the oldest non-default version, only when the policy has 5 (room for the new one)"
                    .into(),
            ],
        },
        Call::IamCreatePolicyVersion {
            document,
            set_as_default,
            ..
        } => new_version_lines(action, document, *set_as_default),
        Call::ConfigEdit { .. } => vec!["edits the configuration (its diff is shown below)".into()],
    }
}

/// What the observed value of `attribute` is now, masked, or `otherwise` when it has none.
fn now_text(action: &Action, attribute: &str, otherwise: &str) -> String {
    now_of(action, attribute).map_or(otherwise.into(), |v| mask(v).inline())
}

/// Each tag set: its observed value, then the one to be sent.
fn tag_lines(action: &Action, tags: &std::collections::BTreeMap<String, Arg>) -> Vec<String> {
    tags.iter()
        .map(|(k, v)| {
            let now = tag_now(action, k).unwrap_or_else(|| ABSENT.into());
            format!("tag {}: {now} -> {}", quoted(k), shown(v))
        })
        .collect()
}

/// Each tag removed, with its observed value.
fn untag_lines(action: &Action, keys: &[String]) -> Vec<String> {
    keys.iter()
        .map(|k| {
            let now = tag_now(action, k).unwrap_or_else(|| "(as observed)".into());
            format!("tag {}: {now} -> {ABSENT}", quoted(k))
        })
        .collect()
}

/// A role's settings that are set: description and maximum session duration.
fn role_lines(action: &Action, description: Option<&Arg>, max: Option<i64>) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(d) = description {
        let now = now_text(action, "description", ABSENT);
        out.push(format!("description: {now} -> {}", shown(d)));
    }
    if let Some(m) = max {
        let now = now_text(action, "max_session_duration", ABSENT);
        out.push(format!("max_session_duration: {now} -> {m}"));
    }
    out
}

/// A managed policy's new version: its document against the observed one, and whether it
/// becomes the default.
fn new_version_lines(action: &Action, document: &Arg, set_as_default: bool) -> Vec<String> {
    let mut out = document_lines(now_of(action, "policy"), document);
    if set_as_default {
        out.push("the new version becomes the default".into());
    }
    out
}

/// The observed document of inline policy `name`: a whole `policy` change (one inline policy
/// resource), or the block of that name in an `inline_policy` list.
fn inline_now(action: &Action, name: &str) -> Option<Value> {
    if let Some(v) = now_of(action, "policy") {
        return Some(v.clone());
    }
    let list = now_of(action, "inline_policy")?.as_list()?;
    Some(
        list.iter()
            .find(|b| b.get("name").and_then(Value::as_str) == Some(name))
            .and_then(|b| b.get("policy").cloned())
            .unwrap_or(Value::Null),
    )
}

/// A document's text in the canonical form policies are compared in; `None` for a value
/// that is not shown (a secret) or absent.
fn document_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            Some(crate::normalize::iam::canonical_document(s).unwrap_or_else(|| s.clone()))
        }
        Value::Null => Some(String::new()),
        other => mask(other).document(),
    }
}

/// The principals of a policy document as `TYPE ID` (`AWS 999999999999`, `Service
/// ec2.amazonaws.com`, `* *`), per effect (`Allow`/`Deny`), sorted.
fn principals(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(text) else {
        return out;
    };
    let statements = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(one) => vec![one.clone()],
        None => Vec::new(),
    };
    for s in statements {
        let effect = s.get("Effect").and_then(|e| e.as_str()).unwrap_or("Allow");
        for key in ["Principal", "NotPrincipal"] {
            let Some(p) = s.get(key) else { continue };
            let neg = if key == "NotPrincipal" { "not " } else { "" };
            match p {
                serde_json::Value::String(x) => {
                    out.insert(format!("{effect} {neg}* {x}"));
                }
                serde_json::Value::Object(m) => {
                    for (ty, ids) in m {
                        let ids: Vec<String> = match ids {
                            serde_json::Value::Array(a) => a
                                .iter()
                                .map(|i| i.as_str().map_or(i.to_string(), str::to_string))
                                .collect(),
                            serde_json::Value::String(x) => vec![x.clone()],
                            other => vec![other.to_string()],
                        };
                        for id in ids {
                            out.insert(format!("{effect} {neg}{ty} {id}"));
                        }
                    }
                }
                other => {
                    out.insert(format!("{effect} {neg}{other}"));
                }
            }
        }
    }
    out
}

/// A document the call sends, against the observed one: the principals it adds and removes,
/// then the lines of the canonical documents that differ (`+`/`-`).
fn document_lines(now: Option<&Value>, new: &Arg) -> Vec<String> {
    let Arg::Value(new) = new else {
        return vec![format!(
            "document: {SENSITIVE} (restored from the state; not shown)"
        )];
    };
    let new_text = document_text(new).unwrap_or_default();
    let now_text = match now.map(document_text) {
        Some(Some(t)) => Some(t),
        // A secret observed value: nothing to compare with; the new document in full.
        Some(None) => None,
        None => None,
    };
    let mut out = Vec::new();
    let before = principals(now_text.as_deref().unwrap_or(""));
    let after = principals(&new_text);
    for p in after.difference(&before) {
        out.push(format!("+ principal: {p}"));
    }
    for p in before.difference(&after) {
        out.push(format!("- principal: {p}"));
    }
    let old = now_text.clone().unwrap_or_default();
    if now_text.is_none() {
        out.push("document (what AWS holds now is not known here), in full:".into());
    } else if old == new_text {
        out.push("document: the same as what AWS holds now".into());
        return out;
    } else {
        out.push("document, against what AWS holds now:".into());
    }
    let diff = similar::TextDiff::from_lines(&old, &new_text);
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            similar::ChangeTag::Delete => "-",
            similar::ChangeTag::Insert => "+",
            similar::ChangeTag::Equal => continue,
        };
        out.push(format!(
            "  {sign} {}",
            change.value().trim_end_matches('\n')
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::plan::{ActionKind, ActionStatus, FindingRef, PlannedChange};
    use crate::model::{DriftKind, Path, Severity};

    fn action(changes: Vec<PlannedChange>, calls: Vec<Call>) -> Action {
        Action {
            id: "a01".into(),
            kind: ActionKind::Revert,
            status: ActionStatus::Planned,
            address: None,
            resource_type: "aws_iam_role".into(),
            resource_id: "app".into(),
            region: None,
            finding: FindingRef {
                kind: DriftKind::Changed,
                address: None,
                id: "app".into(),
                rule: "r".into(),
                severity: Severity::High,
            },
            changes,
            calls,
            expect: vec![],
            manual_command: None,
            follow_up: None,
            reason: String::new(),
            guardrail: None,
            disruptive: false,
        }
    }

    const TRUST_NOW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    const TRUST_NEW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"arn:aws:iam::999999999999:root"},"Action":"sts:AssumeRole"}]}"#;

    /// The attack of issue 16: a "revert" from a doctored state adds a trust to another
    /// account; the effect names that account as an added principal.
    #[test]
    fn a_trust_policy_revert_shows_the_principal_it_adds() {
        let call = Call::IamUpdateAssumeRolePolicy {
            role_name: "app".into(),
            document: Arg::text(TRUST_NEW),
        };
        let a = action(
            vec![PlannedChange {
                path: Path::root("assume_role_policy"),
                now: Value::str(crate::normalize::iam::canonical_document(TRUST_NOW).unwrap()),
                target: Value::Null,
            }],
            vec![call.clone()],
        );
        let e = effect(&a, &call);
        assert_eq!(e[0], "iam:UpdateAssumeRolePolicy role app");
        assert!(
            e.contains(&"+ principal: Allow AWS 999999999999".to_string()),
            "{e:#?}"
        );
        assert!(!e.iter().any(|l| l.starts_with("- principal")), "{e:#?}");
        assert!(
            e.iter()
                .any(|l| l.starts_with("  + ") && l.contains("999999999999")),
            "{e:#?}"
        );
        // The same document as now: said so, no principal line.
        let same = Call::IamUpdateAssumeRolePolicy {
            role_name: "app".into(),
            document: Arg::text(TRUST_NOW),
        };
        let e = effect(&a, &same);
        assert!(
            e.iter()
                .any(|l| l.contains("the same as what AWS holds now")),
            "{e:#?}"
        );
        assert!(!e.iter().any(|l| l.contains("principal")), "{e:#?}");
    }

    #[test]
    fn rules_tags_and_secrets() {
        let rule = SgRule {
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            source: SgSource::CidrIpv4("0.0.0.0/0".into()),
            description: String::new(),
        };
        let revoke = Call::Ec2RevokeSecurityGroupIngress {
            group_id: "sg-1".into(),
            rule,
        };
        let tags = Call::Ec2CreateTags {
            resource_id: "vpc-1".into(),
            tags: [
                ("team".to_string(), Arg::text("core")),
                (
                    "secret".to_string(),
                    Arg::FromState(crate::model::plan::StateRef {
                        state: crate::model::StateSource("s".into()),
                        address: crate::model::Address::managed("aws_vpc", "main"),
                        path: Path::root("tags").key("secret"),
                    }),
                ),
            ]
            .into_iter()
            .collect(),
        };
        let a = action(
            vec![
                PlannedChange {
                    path: Path::root("tags").key("team"),
                    now: Value::str("edge"),
                    target: Value::str("core"),
                },
                PlannedChange {
                    path: Path::root("tags").key("secret"),
                    now: Value::sensitive(Value::str("hunter2")),
                    target: Value::Null,
                },
            ],
            vec![revoke.clone(), tags.clone()],
        );
        assert_eq!(
            effect(&a, &revoke)[1],
            "- ingress rule: tcp port 22, CIDR 0.0.0.0/0"
        );
        let e = effect(&a, &tags).join("\n");
        assert!(e.contains("tag \"team\": \"edge\" -> \"core\""), "{e}");
        assert!(
            e.contains("tag \"secret\": (sensitive) -> (sensitive) (restored from the state)"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "{e}");
    }
}
