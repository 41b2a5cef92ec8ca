//! EBS encryption by default turned off in a region.

use super::{Rule, Subject};
use crate::model::Severity;

pub const RULE: Rule = Rule {
    id: "ebs_encryption_by_default_off",
    severity: Severity::High,
    summary: "EBS encryption by default turned off in a region",
    why: "new EBS volumes are no longer encrypted",
    explanation: "\
Fires when a region's EBS encryption by default (aws_ebs_encryption_by_default `enabled`),
recorded on, is observed off (DisableEbsEncryptionByDefault). From then on every new volume,
and every volume restored from an unencrypted snapshot, is created unencrypted unless its
creator asks otherwise: data at rest leaves the account's encryption guarantee without any
resource of the state changing.

Turning it on is not a finding of this rule.",
    example: "\
aws_ebs_encryption_by_default.on  ~ enabled
  recorded: true
  observed: false",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    s.resource_type() == "aws_ebs_encryption_by_default"
        && s.attribute() == Some("enabled")
        && s.change()
            .is_some_and(|c| c.before.as_bool() == Some(true) && c.after.as_bool() == Some(false))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    const TYPE: &str = "aws_ebs_encryption_by_default";

    #[test]
    fn turned_off() {
        let d = change(TYPE, "enabled", Value::Bool(true), Value::Bool(false));
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn not_turned_on_nor_another_type_or_attribute() {
        let on = change(TYPE, "enabled", Value::Bool(false), Value::Bool(true));
        assert!(!hits(&RULE, &on));
        let volume = change(
            "aws_ebs_volume",
            "encrypted",
            Value::Bool(true),
            Value::Bool(false),
        );
        assert!(!hits(&RULE, &volume));
        let other = change(TYPE, "setting", Value::Bool(true), Value::Bool(false));
        assert!(!hits(&RULE, &other));
    }
}
