//! The role inside an instance profile changed.

use super::{Rule, Subject};
use crate::model::Severity;

pub const RULE: Rule = Rule {
    id: "iam_instance_profile_role_changed",
    severity: Severity::High,
    summary: "The role inside an IAM instance profile changed",
    why: "instances now run as another role",
    explanation: "\
Fires when the role of an aws_iam_instance_profile differs from the recorded one: removed,
or replaced by another. Every instance launched with the profile runs with the new role's
permissions (or none), without any instance or policy changing.",
    example: "\
aws_iam_instance_profile.app  ~ role
  recorded: \"app\"
  observed: \"admin\"",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    s.resource_type() == "aws_iam_instance_profile" && s.attribute() == Some("role")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn the_role_of_a_profile() {
        let d = change(
            "aws_iam_instance_profile",
            "role",
            Value::str("app"),
            Value::str("admin"),
        );
        assert!(hits(&RULE, &d));
        assert!(!hits_change(
            &RULE,
            "aws_iam_instance_profile",
            "tags",
            Value::Map(Default::default()),
            Value::Map(Default::default())
        ));
        assert!(!hits_change(&RULE, "aws_instance", "role", "a", "b"));
    }
}
