//! The built-in rule catalogue. One file per rule: a static [`Rule`] descriptor (id, default
//! severity, summary, explanation, example) and its predicate.
//!
//! A rule judges a [`Subject`]: one change of a changed drift, or a missing / unmanaged
//! resource as a whole. Every rule that matches contributes its severity; the highest wins
//! (see `classify`). A *fallback* rule applies only when no other built-in rule matched.

use crate::model::{Change, Drift, Severity};

pub mod attribute_changed;
pub mod description_changed;
pub mod ebs_encryption_by_default_off;
pub mod iam_access_key_activated;
pub mod iam_attachment_changed;
pub mod iam_group_privileged;
pub mod iam_identity_provider_widened;
pub mod iam_instance_profile_role_changed;
pub mod iam_password_policy_weakened;
pub mod iam_policy_changed;
pub mod iam_policy_wildcard;
pub mod iam_principal_added;
pub mod iam_unmanaged;
pub mod ingress_open_world;
pub mod ingress_open_world_admin;
pub mod nacl_allow_world;
pub mod nacl_allow_world_admin;
pub mod network_exposure_changed;
pub mod resource_missing;
pub mod resource_unmanaged;
pub mod route_to_internet_added;
pub mod sizing_changed;
pub mod subnet_route_table_changed;
pub mod tags_changed;
pub mod vpc_dns_redirected;
pub mod vpc_endpoint_policy_widened;
pub mod vpc_peering_added;

/// What a rule looks at.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// One change of a changed drift.
    Change {
        drift: &'a Drift,
        change: &'a Change,
    },
    /// A missing or unmanaged resource as a whole.
    Resource { drift: &'a Drift },
}

impl<'a> Subject<'a> {
    pub fn drift(&self) -> &'a Drift {
        match self {
            Subject::Change { drift, .. } | Subject::Resource { drift } => drift,
        }
    }

    pub fn change(&self) -> Option<&'a Change> {
        match self {
            Subject::Change { change, .. } => Some(change),
            Subject::Resource { .. } => None,
        }
    }

    /// The top-level attribute a change is under.
    pub fn attribute(&self) -> Option<&'a str> {
        self.change().and_then(|c| c.path.attribute())
    }

    pub fn resource_type(&self) -> &'a str {
        &self.drift().resource_type
    }
}

/// A built-in rule: a static descriptor plus its predicate.
#[derive(Debug)]
pub struct Rule {
    /// Stable id, used in reports and in `rule "ID" { severity = ... }`.
    pub id: &'static str,
    pub severity: Severity,
    /// One line.
    pub summary: &'static str,
    /// A few words a report shows beside a finding: why it has this severity.
    pub why: &'static str,
    /// What the rule looks at and why it grades as it does.
    pub explanation: &'static str,
    /// A drift this rule grades.
    pub example: &'static str,
    /// Applies only when no other built-in rule matched the subject.
    pub fallback: bool,
    /// The specifics behind a match, in a few words, for reports (`tcp 22 from 0.0.0.0/0`);
    /// `None` when the rule's `why` says it all.
    pub detail: Option<fn(&Subject<'_>) -> Option<String>>,
    pub applies: fn(&Subject<'_>) -> bool,
}

/// Every built-in rule, most severe first (the order of `driftgate rules` and of ties).
pub static CATALOGUE: &[&Rule] = &[
    &ingress_open_world_admin::RULE,
    &nacl_allow_world_admin::RULE,
    &iam_policy_wildcard::RULE,
    &iam_principal_added::RULE,
    &route_to_internet_added::RULE,
    &iam_group_privileged::RULE,
    &ingress_open_world::RULE,
    &subnet_route_table_changed::RULE,
    &nacl_allow_world::RULE,
    &vpc_endpoint_policy_widened::RULE,
    &ebs_encryption_by_default_off::RULE,
    &vpc_peering_added::RULE,
    &vpc_dns_redirected::RULE,
    &iam_policy_changed::RULE,
    &iam_attachment_changed::RULE,
    &iam_instance_profile_role_changed::RULE,
    &iam_identity_provider_widened::RULE,
    &iam_access_key_activated::RULE,
    &iam_password_policy_weakened::RULE,
    &iam_unmanaged::RULE,
    &resource_missing::RULE,
    &network_exposure_changed::RULE,
    &sizing_changed::RULE,
    &resource_unmanaged::RULE,
    &attribute_changed::RULE,
    &tags_changed::RULE,
    &description_changed::RULE,
];

/// The built-in rule with this id.
pub fn find(id: &str) -> Option<&'static Rule> {
    CATALOGUE.iter().copied().find(|r| r.id == id)
}

#[cfg(test)]
pub mod testkit {
    //! Drifts for rule tests.
    use std::collections::BTreeMap;

    use super::{Rule, Subject};
    use crate::model::{Address, Attributes, Change, Drift, DriftKind, Path, Value};

    pub fn changed(resource_type: &str, changes: Vec<(Path, Value, Value)>) -> Drift {
        Drift {
            kind: DriftKind::Changed,
            resource_type: resource_type.into(),
            id: "id-1".into(),
            address: Some(Address::managed(resource_type, "this")),
            state: None,
            region: None,
            changes: changes
                .into_iter()
                .map(|(path, before, after)| Change::new(path, before, after))
                .collect(),
            observed: None,
        }
    }

    pub fn change(resource_type: &str, attr: &str, before: Value, after: Value) -> Drift {
        changed(resource_type, vec![(Path::root(attr), before, after)])
    }

    pub fn unmanaged(resource_type: &str, attrs: Attributes) -> Drift {
        Drift {
            kind: DriftKind::Unmanaged,
            resource_type: resource_type.into(),
            id: "id-1".into(),
            address: None,
            state: None,
            region: None,
            changes: Vec::new(),
            observed: Some(attrs),
        }
    }

    pub fn missing(resource_type: &str) -> Drift {
        Drift {
            kind: DriftKind::Missing,
            resource_type: resource_type.into(),
            id: "id-1".into(),
            address: Some(Address::managed(resource_type, "this")),
            state: None,
            region: None,
            changes: Vec::new(),
            observed: None,
        }
    }

    pub fn map(pairs: Vec<(&str, Value)>) -> Value {
        Value::Map(pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    pub fn attrs(pairs: Vec<(&str, Value)>) -> Attributes {
        pairs
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<BTreeMap<_, _>>()
    }

    /// An `aws_security_group` ingress block as the provider records it.
    pub fn sg_block(protocol: &str, from: i64, to: i64, v4: &[&str], v6: &[&str]) -> Value {
        map(vec![
            ("cidr_blocks", Value::from(v4.to_vec())),
            ("ipv6_cidr_blocks", Value::from(v6.to_vec())),
            ("description", Value::str("")),
            ("from_port", Value::from(from)),
            ("to_port", Value::from(to)),
            ("protocol", Value::str(protocol)),
            ("prefix_list_ids", Value::List(vec![])),
            ("security_groups", Value::List(vec![])),
            ("self", Value::Bool(false)),
        ])
    }

    pub fn blocks(b: Vec<Value>) -> Value {
        Value::List(b)
    }

    /// Whether `rule` matches any subject of `drift` (each change, or the resource).
    /// Whether `rule` fires on one change of `attr` of a `resource_type`.
    pub fn hits_change(
        rule: &Rule,
        resource_type: &str,
        attr: &str,
        before: impl Into<Value>,
        after: impl Into<Value>,
    ) -> bool {
        hits(
            rule,
            &change(resource_type, attr, before.into(), after.into()),
        )
    }

    pub fn hits(rule: &Rule, drift: &Drift) -> bool {
        if drift.changes.is_empty() {
            (rule.applies)(&Subject::Resource { drift })
        } else {
            drift
                .changes
                .iter()
                .any(|change| (rule.applies)(&Subject::Change { drift, change }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_snake_case_and_documented() {
        let mut ids: Vec<&str> = CATALOGUE.iter().map(|r| r.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule id");
        for r in CATALOGUE {
            assert!(
                r.id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{}",
                r.id
            );
            assert!(
                !r.summary.is_empty() && !r.summary.contains('\n'),
                "{}",
                r.id
            );
            assert!(r.explanation.len() > 80, "{}", r.id);
            assert!(!r.example.is_empty(), "{}", r.id);
        }
        assert!(find("tags_changed").is_some());
        assert!(find("nope").is_none());
    }
}
