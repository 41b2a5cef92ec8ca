//! An access key activated, or created outside terraform.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity, Value};

pub const RULE: Rule = Rule {
    id: "iam_access_key_activated",
    severity: Severity::High,
    summary: "IAM access key activated, or created outside terraform",
    why: "a long-lived credential is usable",
    explanation: "\
Fires when an aws_iam_access_key the state records as Inactive is Active in the cloud, and
for an active access key that no state records (created by hand or by a script). An access
key is a long-lived credential: one made or re-enabled outside review is how access outlives
it. An unmanaged key that is Inactive, or a key deactivated, is not a finding of this rule.
The key's secret is never read.",
    example: "\
aws_iam_access_key.ci  ~ status
  recorded: \"Inactive\"
  observed: \"Active\"",
    fallback: false,
    detail: None,
    applies,
};

fn active(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str) == Some("Active")
}

fn applies(s: &Subject<'_>) -> bool {
    if s.resource_type() != "aws_iam_access_key" {
        return false;
    }
    match s {
        Subject::Resource { drift } if drift.kind == DriftKind::Unmanaged => {
            active(drift.observed.as_ref().and_then(|o| o.get("status")))
        }
        Subject::Change { change, .. } => {
            s.attribute() == Some("status") && active(Some(&change.after))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    #[test]
    fn activated_or_created_outside_terraform() {
        let d = change(
            "aws_iam_access_key",
            "status",
            Value::str("Inactive"),
            Value::str("Active"),
        );
        assert!(hits(&RULE, &d));
        let created = |status: &str| {
            unmanaged(
                "aws_iam_access_key",
                attrs(vec![
                    ("user", Value::str("alice")),
                    ("status", Value::str(status)),
                ]),
            )
        };
        assert!(hits(&RULE, &created("Active")));
        assert!(!hits(&RULE, &created("Inactive")));
        assert!(!hits(
            &RULE,
            &change(
                "aws_iam_access_key",
                "status",
                Value::str("Active"),
                Value::str("Inactive")
            )
        ));
        assert!(!hits(&RULE, &missing("aws_iam_access_key")));
    }
}
