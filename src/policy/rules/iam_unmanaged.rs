//! IAM identities and policies that no state records.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity};

pub const RULE: Rule = Rule {
    id: "iam_unmanaged",
    severity: Severity::High,
    summary: "IAM role, user, policy or attachment that no terraform state manages",
    why: "IAM object outside terraform",
    explanation: "\
Fires for an IAM object in the account that none of the scanned states records: a role, a
user, a customer managed policy, an inline policy or a policy attachment. Identities and
grants created by hand are a common way for access to outlive its review. AWS-owned objects
(service-linked roles, AWS managed policies) are not reported unless the scan is --strict.",
    example: "\
aws_iam_user  backup-admin  (unmanaged)",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    matches!(s, Subject::Resource { drift } if drift.kind == DriftKind::Unmanaged)
        && s.resource_type().starts_with("aws_iam_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    #[test]
    fn unmanaged_iam_only() {
        for t in ["aws_iam_role", "aws_iam_user", "aws_iam_policy"] {
            assert!(hits(&RULE, &unmanaged(t, attrs(vec![]))), "{t}");
        }
        assert!(!hits(&RULE, &unmanaged("aws_instance", attrs(vec![]))));
        assert!(!hits(&RULE, &missing("aws_iam_role")));
    }
}
