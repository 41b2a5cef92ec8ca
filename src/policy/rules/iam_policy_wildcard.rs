//! An IAM document that gains a wildcard grant or a `Not*` element.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::iam::{describe_wildcards, document_change};

pub const RULE: Rule = Rule {
    id: "iam_policy_wildcard",
    severity: Severity::Critical,
    summary: "IAM policy gains a `*` action or resource, or an Allow with NotAction/NotResource",
    why: "IAM now grants a wildcard",
    explanation: "\
Fires when an IAM policy document (aws_iam_policy `policy`, an inline policy of a role or
user, a role's `inline_policy`, a role's `assume_role_policy`) observed in the cloud allows
something the recorded document did not, through a wildcard: an action `*` or `service:*`,
or any action on resource `*`. It also fires when an Allow statement with `NotAction`,
`NotResource` or `NotPrincipal` appears, since those grant everything except what they name.

Documents are compared by meaning: `Statement` may be one object or a list, `Action` a
string or a list, actions compare case-insensitively, and a grant the recorded document
already covered (through its own wildcards) is not new. Narrowing `*` to named actions,
adding a Deny, or reordering statements is not a finding of this rule (other document
changes are `iam_policy_changed`).",
    example: "\
aws_iam_role_policy.app  ~ policy
  recorded: Allow s3:GetObject on arn:aws:s3:::logs/*
  observed: Allow * on *",
    fallback: false,
    detail: Some(detail),
    applies,
};

/// What the new wildcard grants: `ec2:* on *`.
fn detail(s: &Subject<'_>) -> Option<String> {
    let c = s.change()?;
    describe_wildcards(s.resource_type(), s.attribute(), &c.before, &c.after)
}

fn applies(s: &Subject<'_>) -> bool {
    let Some(c) = s.change() else { return false };
    document_change(s.resource_type(), s.attribute(), &c.before, &c.after)
        .is_some_and(|b| b.wildcard || b.negation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    const NARROW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"arn:aws:s3:::logs/*"}]}"#;

    fn policy(before: &str, after: &str) -> crate::model::Drift {
        change(
            "aws_iam_policy",
            "policy",
            Value::str(before),
            Value::str(after),
        )
    }

    #[test]
    fn gains_star_action_resource_or_service_wildcard() {
        assert!(hits(
            &RULE,
            &policy(
                NARROW,
                r#"{"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#
            )
        ));
        assert!(hits(
            &RULE,
            &policy(
                NARROW,
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#
            )
        ));
        assert!(hits(
            &RULE,
            &policy(
                NARROW,
                r#"{"Statement":[{"Effect":"Allow","Action":"iam:*","Resource":"arn:aws:iam::1:role/x"}]}"#
            )
        ));
    }

    #[test]
    fn gains_not_action_or_not_resource() {
        assert!(hits(
            &RULE,
            &policy(
                NARROW,
                r#"{"Statement":[{"Effect":"Allow","NotAction":"iam:*","Resource":"arn:aws:s3:::logs/*"}]}"#
            )
        ));
        assert!(hits(
            &RULE,
            &policy(
                NARROW,
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","NotResource":"arn:aws:s3:::secret/*"}]}"#
            )
        ));
    }

    #[test]
    fn tightening_and_unrelated_edits_are_not_wildcards() {
        // `*` narrowed to one action.
        assert!(!hits(
            &RULE,
            &policy(
                r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#,
                NARROW
            )
        ));
        // Same grant, other spelling (case, string vs list, object vs list).
        assert!(!hits(
            &RULE,
            &policy(
                NARROW,
                r#"{"Statement":{"Effect":"Allow","Action":"S3:getobject","Resource":["arn:aws:s3:::logs/*"]}}"#
            )
        ));
        // A Deny *.
        assert!(!hits(
            &RULE,
            &policy(
                NARROW,
                r#"{"Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::logs/*"},{"Effect":"Deny","Action":"*","Resource":"*"}]}"#
            )
        ));
        // Another attribute of the policy.
        assert!(!hits_change(
            &RULE,
            "aws_iam_policy",
            "description",
            "a",
            "*"
        ));
    }

    #[test]
    fn inline_policy_blocks_of_a_role() {
        let block = |doc: &str| {
            map(vec![
                ("name", Value::str("inline")),
                ("policy", Value::str(doc)),
            ])
        };
        let d = change(
            "aws_iam_role",
            "inline_policy",
            Value::List(vec![block(NARROW)]),
            Value::List(vec![
                block(NARROW),
                block(r#"{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
            ]),
        );
        assert!(hits(&RULE, &d));
    }
}
