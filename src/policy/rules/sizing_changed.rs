//! Instance type and other sizing.

use super::{Rule, Subject};
use crate::model::Severity;

const ATTRIBUTES: &[&str] = &[
    "instance_type",
    "cpu_core_count",
    "cpu_threads_per_core",
    "cpu_options",
    "ebs_optimized",
    "root_block_device",
    "ebs_block_device",
    "volume_size",
    "iops",
    "throughput",
];

pub const RULE: Rule = Rule {
    id: "sizing_changed",
    severity: Severity::Medium,
    summary: "Instance type, CPU options or volume sizing changed",
    why: "capacity or cost changed",
    explanation: "\
Fires when an instance's type, CPU options, EBS optimization, or the size, IOPS or
throughput of its volumes differs from the recorded value. These changes move cost and
capacity, and the next apply silently reverts them (often with a stop/start).",
    example: "\
aws_instance.web  ~ instance_type
  recorded: \"t3.micro\"
  observed: \"m5.4xlarge\"",
    fallback: false,
    detail: None,
    applies,
};

fn applies(s: &Subject<'_>) -> bool {
    s.attribute().is_some_and(|a| ATTRIBUTES.contains(&a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;
    use crate::policy::rules::testkit::*;

    #[test]
    fn instance_type() {
        assert!(hits_change(
            &RULE,
            "aws_instance",
            "instance_type",
            "t3.micro",
            "t3.large"
        ));
    }

    #[test]
    fn not_ami_or_tags() {
        let (ami, tags) = (("ami-1", "ami-2"), (Value::Null, Value::Null));
        assert!(!hits_change(&RULE, "aws_instance", "ami", ami.0, ami.1));
        assert!(!hits_change(&RULE, "aws_instance", "tags", tags.0, tags.1));
    }
}
