//! Any other change to an IAM policy document.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::iam::DOCUMENT_ATTRIBUTES;

pub const RULE: Rule = Rule {
    id: "iam_policy_changed",
    severity: Severity::High,
    summary: "IAM policy document changed outside terraform",
    why: "IAM permissions changed",
    explanation: "\
Fires on every change to an IAM policy document: an aws_iam_policy's, a role's or user's
inline policy, a role's `inline_policy` blocks or its `assume_role_policy`. The diff already
compares documents by meaning (statement order, string-or-list, action case do not count),
so what is left is a real change of permissions, even when it removes some: someone edited
access outside review. Broadening with wildcards or new principals is graded higher by
`iam_policy_wildcard` and `iam_principal_added`.",
    example: "\
aws_iam_policy.reader  ~ policy
  recorded: Allow s3:GetObject on arn:aws:s3:::logs/*
  observed: Allow s3:GetObject, s3:PutObject on arn:aws:s3:::logs/*",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    s.resource_type().starts_with("aws_iam_")
        && s.attribute()
            .is_some_and(|a| DOCUMENT_ATTRIBUTES.contains(&a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn document_changes_including_tightening() {
        let d = change(
            "aws_iam_role_policy",
            "policy",
            Value::str(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
            Value::str(
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#,
            ),
        );
        assert!(hits(&RULE, &d));
        assert!(hits_change(
            &RULE,
            "aws_iam_role",
            "assume_role_policy",
            "{}",
            "x"
        ));
    }

    #[test]
    fn not_other_attributes_or_types() {
        for (ty, attr) in [
            ("aws_iam_role", "description"),
            ("aws_s3_bucket_policy", "policy"),
        ] {
            assert!(!hits_change(&RULE, ty, attr, "a", "b"), "{ty}.{attr}");
        }
    }
}
