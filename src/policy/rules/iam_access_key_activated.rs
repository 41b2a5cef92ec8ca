//! An access key or SSH public key activated, or created outside terraform.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity, Value};

pub const RULE: Rule = Rule {
    id: "iam_access_key_activated",
    severity: Severity::High,
    summary: "IAM access key or SSH public key activated, or created outside terraform",
    why: "a long-lived credential is usable",
    explanation: "\
Fires when an aws_iam_access_key or aws_iam_user_ssh_key the state records as Inactive is
Active in the cloud, and for an active key that no state records (created or uploaded by hand
or by a script). Both are long-lived credentials of a user (an SSH public key signs its user in
to CodeCommit): one made or re-enabled outside review is how access outlives it. An unmanaged
key that is Inactive, or a key deactivated, is not a finding of this rule. An access key's
secret is never read.",
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
    if !matches!(
        s.resource_type(),
        "aws_iam_access_key" | "aws_iam_user_ssh_key"
    ) {
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
        assert!(!hits_change(
            &RULE,
            "aws_iam_access_key",
            "status",
            "Active",
            "Inactive"
        ));
        assert!(!hits(&RULE, &missing("aws_iam_access_key")));
    }

    #[test]
    fn an_ssh_public_key_too() {
        assert!(hits_change(
            &RULE,
            "aws_iam_user_ssh_key",
            "status",
            "Inactive",
            "Active"
        ));
        assert!(hits(
            &RULE,
            &unmanaged(
                "aws_iam_user_ssh_key",
                attrs(vec![("status", Value::str("Active"))])
            )
        ));
        assert!(!hits_change(
            &RULE,
            "aws_iam_user_ssh_key",
            "fingerprint",
            "a",
            "Active"
        ));
    }
}
