//! Every other attribute change (the fallback).

use super::{Rule, Subject};
use crate::model::Severity;

pub const RULE: Rule = Rule {
    id: "attribute_changed",
    severity: Severity::Medium,
    summary: "Any other attribute changed (applies when no other built-in rule does)",
    why: "an attribute changed",
    explanation: "\
The fallback for a change no other built-in rule recognises: an instance's AMI or key pair,
a VPC's DNS settings, a role's maximum session duration, an IAM path. Every drift gets a
severity; rather than guess low, an unrecognised change is graded medium. Re-grade this rule
or add a rule of your own to sort them more finely.",
    example: "\
aws_instance.web  ~ ami
  recorded: \"ami-0aaa\"
  observed: \"ami-0bbb\"",
    fallback: true,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    s.change().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    #[test]
    fn any_change_but_no_resource() {
        assert!(hits_change(&RULE, "aws_instance", "ami", "a", "b"));
        assert!(!hits(&RULE, &missing("aws_instance")));
    }
}
