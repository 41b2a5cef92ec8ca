//! Objects in the cloud that no state records.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity};

pub const RULE: Rule = Rule {
    id: "resource_unmanaged",
    severity: Severity::Medium,
    summary: "A resource exists in the cloud that no terraform state manages",
    why: "a resource outside terraform",
    explanation: "\
Fires for every object of a supported type that the cloud reports and none of the scanned
states records (AWS-owned defaults excluded unless --strict). It is infrastructure nobody
reviews: an instance started by hand, a security group made in the console. IAM objects
and security groups open to the internet are graded higher by their own rules.",
    example: "\
aws_instance  i-0123456789abcdef0  (unmanaged)",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    matches!(s, Subject::Resource { drift } if drift.kind == DriftKind::Unmanaged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    #[test]
    fn unmanaged_only() {
        assert!(hits(&RULE, &unmanaged("aws_instance", attrs(vec![]))));
        assert!(!hits(&RULE, &missing("aws_instance")));
    }
}
