//! Changes to what IAM policies apply to an identity or instance.

use super::{Rule, Subject};
use crate::model::Severity;

const ATTRIBUTES: &[&str] = &[
    "managed_policy_arns",
    "permissions_boundary",
    "iam_instance_profile",
    "policy_arn",
];

pub const RULE: Rule = Rule {
    id: "iam_attachment_changed",
    severity: Severity::High,
    summary: "Attached managed policies, permissions boundary or instance profile changed",
    why: "IAM permissions attached or detached",
    explanation: "\
Fires when the set of managed policies attached to a role (`managed_policy_arns`), a
permissions boundary, or the IAM instance profile of an EC2 instance differs from the
recorded value; and when the users, roles or groups of an exclusive
aws_iam_policy_attachment, or the members of an exclusive aws_iam_group_membership, differ.
Each of these changes what an identity is allowed to do without touching a policy document,
so it is graded like a document change (a privileged policy or group is
`iam_group_privileged`).",
    example: "\
aws_iam_role.app  ~ managed_policy_arns
  recorded: []
  observed: [\"arn:aws:iam::aws:policy/AdministratorAccess\"]",
    fallback: false,
    detail: None,
    applies,
};

/// The entities of exclusive attachments and memberships.
const ENTITIES: &[(&str, &[&str])] = &[
    ("aws_iam_policy_attachment", &["users", "roles", "groups"]),
    ("aws_iam_group_membership", &["users"]),
];

fn applies(s: &Subject<'_>) -> bool {
    s.attribute().is_some_and(|a| {
        ATTRIBUTES.contains(&a)
            || ENTITIES
                .iter()
                .any(|(t, attrs)| *t == s.resource_type() && attrs.contains(&a))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn attachments_and_profiles() {
        let d = change(
            "aws_iam_role",
            "managed_policy_arns",
            Value::List(vec![]),
            Value::from(vec!["arn:aws:iam::aws:policy/AdministratorAccess"]),
        );
        assert!(hits(&RULE, &d));
        assert!(hits_change(
            &RULE,
            "aws_instance",
            "iam_instance_profile",
            "",
            "admin"
        ));
    }

    #[test]
    fn not_other_attributes() {
        assert!(!hits_change(
            &RULE,
            "aws_iam_role",
            "max_session_duration",
            Value::from(3600),
            Value::from(7200)
        ));
        assert!(!hits(&RULE, &missing("aws_iam_role_policy_attachment")));
        assert!(!hits_change(
            &RULE,
            "aws_iam_group",
            "users",
            Value::List(vec![]),
            Value::from(vec!["x"])
        ));
    }

    #[test]
    fn exclusive_attachments_and_memberships() {
        for (t, a) in [
            ("aws_iam_policy_attachment", "groups"),
            ("aws_iam_policy_attachment", "users"),
            ("aws_iam_group_membership", "users"),
        ] {
            let d = change(t, a, Value::from(vec!["a"]), Value::from(vec!["a", "b"]));
            assert!(hits(&RULE, &d), "{t}.{a}");
        }
    }
}
