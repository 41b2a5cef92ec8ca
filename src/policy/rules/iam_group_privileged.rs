//! A privileged policy attached to a group, or a principal added to a group that holds one.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity, Value};
use crate::policy::analyze::iam::holds_privileged;

pub const RULE: Rule = Rule {
    id: "iam_group_privileged",
    severity: Severity::Critical,
    summary: "Privileged policy attached to an IAM group, or a principal added to a group that holds one",
    why: "a group grants administrator power to more principals",
    explanation: "\
Fires when a policy that grants administrator-equivalent power (an action `*` or `service:*`
on resource `*`, an Allow with `NotAction`, or the AWS managed AdministratorAccess,
IAMFullAccess or PowerUserAccess) is attached to a group outside terraform (an unmanaged
aws_iam_group_policy_attachment, or a group added to an exclusive aws_iam_policy_attachment),
and when a user is added to a group that holds such a policy (a user added to an exclusive
aws_iam_group_membership, or an unmanaged aws_iam_user_group_membership pair). Every member of
the group gets the power at once, without any policy document changing.

What the group holds is read from the scan (its inline policies and attached policies'
documents travel with the finding); removing a member or a policy is not a finding of this
rule.",
    example: "\
aws_iam_group_membership.admins  ~ users
  recorded: [\"alice\"]
  observed: [\"alice\", \"mallory\"]   (the group holds AdministratorAccess)",
    fallback: false,
    detail: None,
    applies,
};

fn observed<'a>(s: &Subject<'a>, name: &str) -> Option<&'a Value> {
    s.drift().observed.as_ref().and_then(|o| o.get(name))
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::List(l)) => l.iter().filter_map(Value::as_str).collect(),
        Some(Value::String(s)) => vec![s.as_str()],
        _ => Vec::new(),
    }
}

/// The attached policy (an attachment's `policy_arn` and `policy` document) is privileged.
fn policy_privileged(s: &Subject<'_>) -> bool {
    holds_privileged(observed(s, "policy"), &strings(observed(s, "policy_arn")))
}

/// The group (a membership's `group_policies` and `group_policy_arns`) holds a privileged
/// policy.
fn group_privileged(s: &Subject<'_>) -> bool {
    holds_privileged(
        observed(s, "group_policies"),
        &strings(observed(s, "group_policy_arns")),
    )
}

/// A change that adds an element to a set attribute.
fn adds(s: &Subject<'_>, attribute: &str) -> bool {
    let Some(c) = s.change() else { return false };
    if s.attribute() != Some(attribute) {
        return false;
    }
    let before = strings(Some(&c.before));
    match &c.after {
        Value::List(l) => l
            .iter()
            .filter_map(Value::as_str)
            .any(|x| !before.contains(&x)),
        // A change inside the list (one element's path).
        Value::String(x) => !before.contains(&x.as_str()) && c.before.is_empty_like(),
        _ => false,
    }
}

fn applies(s: &Subject<'_>) -> bool {
    let unmanaged = matches!(s, Subject::Resource { drift } if drift.kind == DriftKind::Unmanaged);
    match s.resource_type() {
        "aws_iam_group_policy_attachment" => unmanaged && policy_privileged(s),
        "aws_iam_policy_attachment" => adds(s, "groups") && policy_privileged(s),
        "aws_iam_group_membership" => adds(s, "users") && group_privileged(s),
        "aws_iam_user_group_membership" => unmanaged && group_privileged(s),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Path;
    use crate::policy::rules::testkit::*;

    const ALL: &str =
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    const READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;

    fn attachment(policy: &str, arn: &str) -> crate::model::Drift {
        unmanaged(
            "aws_iam_group_policy_attachment",
            attrs(vec![
                ("group", Value::str("admins")),
                ("policy_arn", Value::str(arn)),
                ("policy", Value::str(policy)),
            ]),
        )
    }

    #[test]
    fn a_privileged_policy_attached_to_a_group() {
        assert!(hits(&RULE, &attachment(ALL, "arn:aws:iam::1:policy/all")));
        assert!(!hits(
            &RULE,
            &attachment(READ, "arn:aws:iam::1:policy/read")
        ));
        // An AWS managed policy is known by its ARN (no document in the scan).
        let admin = unmanaged(
            "aws_iam_group_policy_attachment",
            attrs(vec![(
                "policy_arn",
                Value::str("arn:aws:iam::aws:policy/AdministratorAccess"),
            )]),
        );
        assert!(hits(&RULE, &admin));
        let readonly = unmanaged(
            "aws_iam_group_policy_attachment",
            attrs(vec![(
                "policy_arn",
                Value::str("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            )]),
        );
        assert!(!hits(&RULE, &readonly));
        // NotAction grants everything but what it names.
        let not_action = r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"*"}]}"#;
        assert!(hits(
            &RULE,
            &attachment(not_action, "arn:aws:iam::1:policy/p")
        ));
    }

    fn membership(before: Vec<&str>, after: Vec<&str>, holds: &str) -> crate::model::Drift {
        let mut d = change(
            "aws_iam_group_membership",
            "users",
            Value::from(before),
            Value::from(after),
        );
        d.observed = Some(attrs(vec![
            ("group", Value::str("admins")),
            ("group_policies", Value::List(vec![Value::str(holds)])),
            ("group_policy_arns", Value::List(vec![])),
        ]));
        d
    }

    #[test]
    fn a_user_added_to_a_group_that_holds_one() {
        assert!(hits(
            &RULE,
            &membership(vec!["alice"], vec!["alice", "mallory"], ALL)
        ));
        // Not for a group that holds nothing privileged, nor for a member removed.
        assert!(!hits(
            &RULE,
            &membership(vec!["alice"], vec!["alice", "mallory"], READ)
        ));
        assert!(!hits(
            &RULE,
            &membership(vec!["alice", "bob"], vec!["alice"], ALL)
        ));
        // The non-exclusive pair, unmanaged.
        let pair = |holds: &str| {
            unmanaged(
                "aws_iam_user_group_membership",
                attrs(vec![
                    ("user", Value::str("mallory")),
                    ("group", Value::str("admins")),
                    ("group_policies", Value::List(vec![Value::str(holds)])),
                ]),
            )
        };
        assert!(hits(&RULE, &pair(ALL)));
        assert!(!hits(&RULE, &pair(READ)));
    }

    #[test]
    fn a_group_added_to_an_exclusive_attachment_of_a_privileged_policy() {
        let mut d = changed(
            "aws_iam_policy_attachment",
            vec![(
                Path::root("groups"),
                Value::from(vec!["devs"]),
                Value::from(vec!["devs", "ops"]),
            )],
        );
        d.observed = Some(attrs(vec![
            ("policy_arn", Value::str("arn:aws:iam::1:policy/all")),
            ("policy", Value::str(ALL)),
        ]));
        assert!(hits(&RULE, &d));
        d.observed = Some(attrs(vec![("policy", Value::str(READ))]));
        assert!(!hits(&RULE, &d));
        // Not other types.
        assert!(!hits(&RULE, &missing("aws_iam_group_membership")));
    }
}
