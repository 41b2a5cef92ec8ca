//! A VPC endpoint's policy that now grants more: a wildcard, an Allow with `Not*`, or a new
//! principal.

use super::{Rule, Subject};
use crate::model::Severity;
use crate::policy::analyze::iam::{broadening, documents, grants};

const TYPE: &str = "aws_vpc_endpoint";

pub const RULE: Rule = Rule {
    id: "vpc_endpoint_policy_widened",
    severity: Severity::High,
    summary: "A VPC endpoint's policy gains a wildcard grant, a NotAction/NotResource Allow or a new principal",
    why: "the endpoint now lets more through",
    explanation: "\
Fires when the policy of an aws_vpc_endpoint observed in the cloud allows something its
recorded policy did not: an action `*` or `service:*`, any action on resource `*`, an Allow
statement with `NotAction`, `NotResource` or `NotPrincipal`, or a principal that was not
there. An endpoint policy is what keeps traffic through the endpoint to the buckets, tables
or APIs the team meant (an S3 gateway endpoint limited to the company's own buckets is a
common guard against copying data out); widening it to `Allow *` removes that guard without
any change a network diagram would show.

Policies are compared by meaning, as IAM documents are (statement order, string or list,
action case do not count); a grant the recorded policy already covered is not new.
Narrowing the policy is graded by `attribute_changed`.",
    example: "\
aws_vpc_endpoint.s3  ~ policy
  recorded: Allow s3:GetObject on arn:aws:s3:::artifacts/*
  observed: Allow * on *",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    if s.resource_type() != TYPE || s.attribute() != Some("policy") {
        return false;
    }
    let Some(c) = s.change() else { return false };
    let (Some(before), Some(after)) = (documents(&c.before), documents(&c.after)) else {
        return false;
    };
    broadening(&grants(&before), &grants(&after)).any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    const NARROW: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::artifacts/*"]}]}"#;

    fn policy(ty: &str, before: &str, after: &str) -> crate::model::Drift {
        change(ty, "policy", Value::str(before), Value::str(after))
    }

    #[test]
    fn a_policy_opened_to_everything_is_widened() {
        let open = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
        assert!(hits(&RULE, &policy(TYPE, NARROW, open)));
        // Another bucket: still within s3:GetObject, but a new resource is not a wildcard.
        let other = NARROW.replace("artifacts", "other");
        assert!(!hits(&RULE, &policy(TYPE, NARROW, &other)));
        // A new principal.
        let account = NARROW.replace(
            r#""Principal":"*""#,
            r#""Principal":{"AWS":"arn:aws:iam::111122223333:root"}"#,
        );
        assert!(hits(&RULE, &policy(TYPE, &account, NARROW)));
    }

    #[test]
    fn narrowing_respelling_and_other_types_are_not_widening() {
        let open =
            r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}"#;
        assert!(!hits(&RULE, &policy(TYPE, open, NARROW)));
        let respelled = r#"{"Statement":{"Effect":"Allow","Principal":"*","Action":"S3:getobject","Resource":"arn:aws:s3:::artifacts/*"}}"#;
        assert!(!hits(&RULE, &policy(TYPE, NARROW, respelled)));
        assert!(!hits(&RULE, &policy("aws_iam_policy", NARROW, open)));
    }
}
