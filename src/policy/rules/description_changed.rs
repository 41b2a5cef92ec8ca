//! Descriptions.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::ingress::only_descriptions_differ;

pub const RULE: Rule = Rule {
    id: "description_changed",
    severity: Severity::Low,
    summary: "A description changed (including rule descriptions of a security group)",
    why: "only a description changed",
    explanation: "\
Fires when a resource's `description` changed, or when a security group's ingress or egress
rules differ only in their descriptions. Descriptions change nothing at runtime; the drift is
still reported so the state can be brought back in line.",
    example: "\
aws_security_group.web  ~ description
  recorded: \"web tier\"
  observed: \"web tier (temp)\"",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    match (s.attribute(), s.change()) {
        (Some("description"), _) => true,
        (Some("ingress" | "egress"), Some(c)) => only_descriptions_differ(&c.before, &c.after),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn descriptions() {
        assert!(hits_change(&RULE, "aws_iam_role", "description", "a", "b"));
        let before = sg_block("tcp", 443, 443, &["10.0.0.0/8"], &[]);
        let mut after = before.clone();
        if let Value::Map(m) = &mut after {
            m.insert("description".into(), Value::str("office"));
        }
        assert!(hits_change(
            &RULE,
            "aws_security_group",
            "ingress",
            blocks(vec![before]),
            blocks(vec![after])
        ));
    }

    #[test]
    fn not_real_rule_changes() {
        let before = sg_block("tcp", 443, 443, &["10.0.0.0/8"], &[]);
        let after = sg_block("tcp", 443, 443, &["0.0.0.0/0"], &[]);
        assert!(!hits_change(
            &RULE,
            "aws_security_group",
            "ingress",
            blocks(vec![before]),
            blocks(vec![after])
        ));
        assert!(!hits_change(&RULE, "aws_iam_role", "name", "a", "b"));
    }
}
