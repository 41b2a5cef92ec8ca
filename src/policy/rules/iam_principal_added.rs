//! An IAM document that names a principal it did not name before.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::iam::document_change;

pub const RULE: Rule = Rule {
    id: "iam_principal_added",
    severity: Severity::Critical,
    summary: "IAM policy (typically a role's trust policy) allows a new principal",
    why: "IAM trusts a new principal",
    explanation: "\
Fires when an Allow statement of an observed IAM document names a principal (an account, a
role or user ARN, a service, a federated provider, or `*`) that no Allow statement of the
recorded document named. On a role's `assume_role_policy` this means someone new can assume
the role.

Principals compare by meaning: a bare account id and its `arn:aws:iam::ID:root` are the same
principal, service names compare case-insensitively, and when the recorded document already
allowed `*`, no principal is new. Removing a principal is not a finding of this rule.",
    example: "\
aws_iam_role.deploy  ~ assume_role_policy
  recorded: Allow sts:AssumeRole to Service ec2.amazonaws.com
  observed: Allow sts:AssumeRole to Service ec2.amazonaws.com, AWS arn:aws:iam::999999999999:root",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    let Some(c) = s.change() else { return false };
    document_change(s.resource_type(), s.attribute(), &c.before, &c.after)
        .is_some_and(|b| b.new_principal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    const EC2: &str = r#"{"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}]}"#;

    fn trust(after: &str) -> crate::model::Drift {
        change(
            "aws_iam_role",
            "assume_role_policy",
            Value::str(EC2),
            Value::str(after),
        )
    }

    #[test]
    fn new_account_or_everyone() {
        assert!(hits(
            &RULE,
            &trust(
                r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com","AWS":"999999999999"}}]}"#
            )
        ));
        assert!(hits(
            &RULE,
            &trust(
                r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":"*"}]}"#
            )
        ));
    }

    #[test]
    fn same_principal_other_spelling_or_removal() {
        assert!(!hits(
            &RULE,
            &trust(
                r#"{"Statement":{"Action":["sts:assumerole"],"Effect":"Allow","Principal":{"Service":["EC2.amazonaws.com"]}}}"#
            )
        ));
        assert!(!hits(&RULE, &trust(r#"{"Statement":[]}"#)));
        let deny = r#"{"Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}},{"Action":"sts:AssumeRole","Effect":"Deny","Principal":{"AWS":"111111111111"}}]}"#;
        assert!(!hits(&RULE, &trust(deny)));
    }
}
