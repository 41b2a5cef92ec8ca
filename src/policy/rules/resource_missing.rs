//! Recorded resources that the cloud no longer has.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity};

pub const RULE: Rule = Rule {
    id: "resource_missing",
    severity: Severity::High,
    summary: "A resource the state records no longer exists",
    why: "a recorded resource is gone",
    explanation: "\
Fires when a resource recorded in a terraform state was looked for and not found: someone
deleted it outside terraform (or it was replaced). Whatever depended on it is broken or
about to be, and the next apply will recreate it. A resource the scan could not look at
(an API error, a region not scanned) is reported as not checked, never as missing.",
    example: "\
aws_instance.worker[0]  i-0abc123  (missing)",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    matches!(s, Subject::Resource { drift } if drift.kind == DriftKind::Missing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn missing_only() {
        assert!(hits(&RULE, &missing("aws_subnet")));
        assert!(!hits(&RULE, &unmanaged("aws_subnet", attrs(vec![]))));
        assert!(!hits_change(
            &RULE,
            "aws_subnet",
            "tags",
            Value::Null,
            Value::Null
        ));
    }
}
