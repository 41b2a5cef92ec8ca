//! The account's password policy weakened.

use super::{Rule, Subject};
use crate::model::{DriftKind, Severity, Value};

pub const RULE: Rule = Rule {
    id: "iam_password_policy_weakened",
    severity: Severity::High,
    summary: "The account's IAM password policy weakened",
    why: "console passwords are weaker",
    explanation: "\
Fires when the aws_iam_account_password_policy in the cloud asks less than the recorded one:
a shorter minimum length, fewer passwords remembered, a longer (or no) maximum age, a
character class or hard expiry no longer required; or when the policy is gone (AWS then
accepts any password of 8 characters or more). Tightening the policy is not a finding of this
rule.",
    example: "\
aws_iam_account_password_policy.strict  ~ minimum_password_length
  recorded: 14
  observed: 8",
    fallback: false,
    detail: None,
    applies,
};

const TYPE: &str = "aws_iam_account_password_policy";

/// Numbers where more is stronger.
const MORE_IS_STRONGER: &[&str] = &["minimum_password_length", "password_reuse_prevention"];
/// Flags where `true` is stronger.
const TRUE_IS_STRONGER: &[&str] = &[
    "require_symbols",
    "require_numbers",
    "require_uppercase_characters",
    "require_lowercase_characters",
    "hard_expiry",
];

fn number(v: &Value) -> f64 {
    match v {
        Value::Number(n) => *n,
        _ => 0.0,
    }
}

fn applies(s: &Subject<'_>) -> bool {
    if s.resource_type() != TYPE {
        return false;
    }
    let Some(c) = s.change() else {
        return s.drift().kind == DriftKind::Missing;
    };
    let Some(attribute) = s.attribute() else {
        return false;
    };
    if MORE_IS_STRONGER.contains(&attribute) {
        number(&c.after) < number(&c.before)
    } else if TRUE_IS_STRONGER.contains(&attribute) {
        c.before == Value::Bool(true) && c.after != Value::Bool(true)
    } else if attribute == "max_password_age" {
        // 0 is "never expires".
        let (before, after) = (number(&c.before), number(&c.after));
        before > 0.0 && (after == 0.0 || after > before)
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::rules::testkit::*;

    fn policy(attribute: &str, before: Value, after: Value) -> crate::model::Drift {
        change(TYPE, attribute, before, after)
    }

    #[test]
    fn weaker_is_a_finding() {
        assert!(hits(
            &RULE,
            &policy("minimum_password_length", 14.into(), 8.into())
        ));
        assert!(hits(
            &RULE,
            &policy("require_symbols", true.into(), false.into())
        ));
        assert!(hits(
            &RULE,
            &policy("max_password_age", 90.into(), 0.into())
        ));
        assert!(hits(
            &RULE,
            &policy("max_password_age", 90.into(), 365.into())
        ));
        assert!(hits(
            &RULE,
            &policy("password_reuse_prevention", 5.into(), 0.into())
        ));
        assert!(hits(&RULE, &missing(TYPE)));
    }

    #[test]
    fn stronger_is_not() {
        assert!(!hits(
            &RULE,
            &policy("minimum_password_length", 8.into(), 14.into())
        ));
        assert!(!hits(
            &RULE,
            &policy("require_symbols", false.into(), true.into())
        ));
        assert!(!hits(
            &RULE,
            &policy("max_password_age", 0.into(), 90.into())
        ));
        assert!(!hits(
            &RULE,
            &policy("max_password_age", 90.into(), 30.into())
        ));
        assert!(!hits(&RULE, &missing("aws_iam_user")));
    }
}
