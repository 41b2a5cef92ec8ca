//! Tags.

use super::{Rule, Subject};
use crate::model::Severity;

pub const RULE: Rule = Rule {
    id: "tags_changed",
    severity: Severity::Low,
    summary: "Tags changed",
    why: "only tags changed",
    explanation: "\
Fires when a tag was added, removed or changed on a resource (`tags`, `tags_all`; each tag
key is its own change). Tags rarely change behaviour, but cost allocation, ownership and
automation (backups, patching, ABAC conditions) often key on them: re-grade this rule in the
policy file if yours do.",
    example: "\
aws_instance.web  ~ tags.team
  recorded: \"core\"
  observed: \"edge\"",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    matches!(s.attribute(), Some("tags" | "tags_all"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Path, Value};
    use crate::policy::rules::testkit::*;

    #[test]
    fn tag_keys() {
        let d = changed(
            "aws_vpc",
            vec![(
                Path::root("tags").key("team"),
                Value::str("a"),
                Value::str("b"),
            )],
        );
        assert!(hits(&RULE, &d));
    }

    #[test]
    fn not_other_attributes() {
        assert!(!hits_change(
            &RULE,
            "aws_vpc",
            "cidr_block",
            "10.0.0.0/16",
            "10.1.0.0/16"
        ));
        assert!(!hits_change(&RULE, "aws_vpc", "tagsx", Value::Null, "x"));
    }
}
