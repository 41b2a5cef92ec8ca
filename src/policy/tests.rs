//! Policy file features, diagnostics and classification end to end.

use time::macros::date;

use crate::model::{Path, Severity, Value};
use crate::policy::rules::testkit::*;
use crate::policy::{DriftIgnore, Policy, classify, exit_threshold};

fn render(err: &crate::Error) -> String {
    let mut out = String::new();
    miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .render_report(&mut out, err)
        .unwrap();
    out
}

fn parse_err(text: &str) -> String {
    render(&Policy::parse("driftgate.hcl", text).unwrap_err())
}

const FULL: &str = r#"fail_on = "high"
rule "tags_changed" { severity = "info" }
rule "prod_sizing" {
  severity      = "high"
  resource_type = "aws_instance"
  address       = "module.prod.*"
  path          = "instance_type"
  kinds         = ["changed"]
}
ignore {
  address = "aws_iam_role.ci_*"
  path    = "tags.*"
  reason  = "CI rotates these tags"
  owner   = "platform@example.com"
  expires = "2026-12-31"
}
ignore {
  resource_type = "aws_instance"
  id            = "i-legacy*"
  reason        = "legacy fleet, retired in Q1"
}
"#;

fn in_module(mut d: crate::model::Drift, module: &str, name: &str) -> crate::model::Drift {
    let a = crate::model::Address::managed(d.resource_type.clone(), name).in_module(module, None);
    d.address = Some(a);
    d
}

fn named(mut d: crate::model::Drift, name: &str) -> crate::model::Drift {
    d.address = Some(crate::model::Address::managed(
        d.resource_type.clone(),
        name,
    ));
    d
}

#[test]
fn parses_every_feature() {
    let p = Policy::parse("driftgate.hcl", FULL).unwrap();
    assert_eq!(p.fail_on(), Some(Severity::High));
    assert_eq!(p.regrades.get("tags_changed"), Some(&Severity::Info));
    assert_eq!(p.rules.len(), 1);
    assert_eq!(p.rules[0].id, "prod_sizing");
    assert_eq!(p.rules[0].source, "driftgate.hcl:3");
    assert_eq!(p.ignores.len(), 2);
    assert_eq!(p.ignores[0].source, "driftgate.hcl:10");
    assert_eq!(p.ignores[0].expires, Some(date!(2026 - 12 - 31)));
    assert_eq!(
        p.ignores[0].pattern(),
        r#"address = "aws_iam_role.ci_*", path = "tags.*""#
    );
    assert_eq!(exit_threshold(None, &p), Severity::High);
    assert_eq!(exit_threshold(Some(Severity::Low), &p), Severity::Low);
    assert_eq!(exit_threshold(None, &Policy::default()), Severity::Info);
}

#[test]
fn regrade_and_custom_rule_change_severities() {
    let p = Policy::parse("driftgate.hcl", FULL).unwrap();
    let tags = changed(
        "aws_vpc",
        vec![(
            Path::root("tags").key("team"),
            Value::str("a"),
            Value::str("b"),
        )],
    );
    let prod = in_module(
        change(
            "aws_instance",
            "instance_type",
            Value::str("t3.micro"),
            Value::str("m5.large"),
        ),
        "prod",
        "web",
    );
    let stage = in_module(
        change(
            "aws_instance",
            "instance_type",
            Value::str("t3.micro"),
            Value::str("m5.large"),
        ),
        "stage",
        "web",
    );
    let c = classify(vec![tags.clone(), prod, stage], &p, date!(2026 - 06 - 01));
    let by_addr = |a: &str| {
        c.findings
            .iter()
            .find(|f| f.drift.address.as_ref().unwrap().to_string() == a)
            .unwrap()
    };
    assert_eq!(by_addr("aws_vpc.this").severity, Severity::Info);
    assert_eq!(by_addr("aws_vpc.this").rule, "tags_changed");
    assert_eq!(
        by_addr("module.prod.aws_instance.web").severity,
        Severity::High
    );
    assert_eq!(by_addr("module.prod.aws_instance.web").rule, "prod_sizing");
    assert_eq!(
        by_addr("module.stage.aws_instance.web").severity,
        Severity::Medium
    );
    assert_eq!(
        by_addr("module.stage.aws_instance.web").rule,
        "sizing_changed"
    );
    // Without the policy, tags are low.
    let plain = classify(vec![tags], &Policy::default(), date!(2026 - 06 - 01));
    assert_eq!(plain.findings[0].severity, Severity::Low);
    assert!(c.fails(Severity::High));
    assert!(!plain.fails(Severity::Medium));
}

#[test]
fn roll_up_takes_the_worst_change_and_keeps_each_grade() {
    let d = changed(
        "aws_security_group",
        vec![
            (Path::root("description"), Value::str("a"), Value::str("b")),
            (
                Path::root("ingress"),
                blocks(vec![]),
                blocks(vec![sg_block("tcp", 22, 22, &["0.0.0.0/0"], &[])]),
            ),
            (Path::root("tags").key("x"), Value::Null, Value::str("y")),
        ],
    );
    let c = classify(vec![d], &Policy::default(), date!(2026 - 01 - 01));
    let f = &c.findings[0];
    assert_eq!(f.severity, Severity::Critical);
    assert_eq!(f.rule, "ingress_open_world_admin");
    let grades: Vec<(Severity, &str)> = f
        .change_rules
        .iter()
        .map(|h| (h.severity, h.rule.as_str()))
        .collect();
    assert_eq!(
        grades,
        vec![
            (Severity::Low, "description_changed"),
            (Severity::Critical, "ingress_open_world_admin"),
            (Severity::Low, "tags_changed"),
        ]
    );
}

#[test]
fn missing_unmanaged_and_fallback() {
    let c = classify(
        vec![
            missing("aws_subnet"),
            unmanaged("aws_iam_user", attrs(vec![])),
            unmanaged("aws_instance", attrs(vec![])),
            change(
                "aws_instance",
                "ami",
                Value::str("ami-1"),
                Value::str("ami-2"),
            ),
        ],
        &Policy::default(),
        date!(2026 - 01 - 01),
    );
    let got: Vec<(String, Severity, String)> = c
        .findings
        .iter()
        .map(|f| (f.drift.resource_type.clone(), f.severity, f.rule.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                "aws_instance".into(),
                Severity::Medium,
                "attribute_changed".into()
            ),
            (
                "aws_subnet".into(),
                Severity::High,
                "resource_missing".into()
            ),
            (
                "aws_iam_user".into(),
                Severity::High,
                "iam_unmanaged".into()
            ),
            (
                "aws_instance".into(),
                Severity::Medium,
                "resource_unmanaged".into()
            ),
        ]
    );
}

#[test]
fn attribute_level_ignore_and_expiry_on_both_sides() {
    let p = Policy::parse("driftgate.hcl", FULL).unwrap();
    let role = named(
        changed(
            "aws_iam_role",
            vec![
                (Path::root("description"), Value::str("a"), Value::str("b")),
                (
                    Path::root("tags").key("rotated"),
                    Value::str("1"),
                    Value::str("2"),
                ),
            ],
        ),
        "ci_runner",
    );
    let only_tags = named(
        changed(
            "aws_iam_role",
            vec![(
                Path::root("tags").key("rotated"),
                Value::str("1"),
                Value::str("2"),
            )],
        ),
        "ci_builder",
    );
    // On the expiry date the ignore still applies.
    let c = classify(
        vec![role.clone(), only_tags.clone()],
        &p,
        date!(2026 - 12 - 31),
    );
    assert!(c.expired_ignores.is_empty());
    assert_eq!(c.findings.len(), 1);
    assert_eq!(c.findings[0].drift.changes.len(), 1);
    assert_eq!(
        c.findings[0].drift.changes[0].path,
        Path::root("description")
    );
    assert_eq!(c.findings[0].severity, Severity::Low);
    assert_eq!(c.ignored.len(), 2);
    for ig in &c.ignored {
        assert_eq!(ig.ignore().unwrap().source, "driftgate.hcl:10");
        assert_eq!(
            ig.ignore().unwrap().reason.as_deref(),
            Some("CI rotates these tags")
        );
        assert_eq!(
            ig.ignore().unwrap().owner.as_deref(),
            Some("platform@example.com")
        );
        assert_eq!(ig.drift.changes.len(), 1);
        assert_eq!(ig.change_rules.len(), 1);
        assert_eq!(ig.rule, "tags_changed");
    }
    // The day after, it does not, and the report says so.
    let c = classify(vec![role, only_tags], &p, date!(2027 - 01 - 01));
    assert!(c.ignored.is_empty());
    assert_eq!(c.findings.len(), 2);
    assert_eq!(c.expired_ignores.len(), 1);
    assert_eq!(c.expired_ignores[0].ignore.source, "driftgate.hcl:10");
    assert_eq!(
        c.expired_ignores[0].would_match,
        vec![
            "aws_iam_role.ci_builder".to_string(),
            "aws_iam_role.ci_runner".to_string()
        ]
    );
}

#[test]
fn whole_resource_ignore_by_type_and_id_keeps_the_grade() {
    let p = Policy::parse("driftgate.hcl", FULL).unwrap();
    let mut d = unmanaged("aws_instance", attrs(vec![]));
    d.id = "i-legacy-7".into();
    let c = classify(vec![d], &p, date!(2026 - 01 - 01));
    assert!(c.findings.is_empty());
    assert_eq!(c.ignored.len(), 1);
    assert_eq!(c.ignored[0].severity, Severity::Medium);
    assert_eq!(c.ignored[0].ignore().unwrap().source, "driftgate.hcl:17");
    assert!(!c.fails(Severity::Info));
}

#[test]
fn driftignore_entries_apply() {
    let p = Policy::default().with_driftignore(DriftIgnore::parse(
        ".driftignore",
        "aws_instance.id-1.tags.*\naws_subnet.*\n",
    ));
    let inst = changed(
        "aws_instance",
        vec![
            (
                Path::root("instance_type"),
                Value::str("a"),
                Value::str("b"),
            ),
            (Path::root("tags").key("x"), Value::Null, Value::str("y")),
        ],
    );
    let c = classify(vec![inst, missing("aws_subnet")], &p, date!(2026 - 01 - 01));
    assert_eq!(c.findings.len(), 1);
    assert_eq!(c.findings[0].rule, "sizing_changed");
    assert_eq!(c.ignored.len(), 2);
    let sources: Vec<&str> = c
        .ignored
        .iter()
        .map(|i| i.ignore().unwrap().source.as_str())
        .collect();
    assert_eq!(sources, vec![".driftignore:1", ".driftignore:2"]);
}

#[test]
fn classify_is_deterministic_whatever_the_input_order() {
    let a = vec![
        missing("aws_subnet"),
        change("aws_instance", "ami", Value::str("1"), Value::str("2")),
        unmanaged("aws_iam_user", attrs(vec![])),
    ];
    let mut b = a.clone();
    b.reverse();
    let d = date!(2026 - 01 - 01);
    assert_eq!(
        classify(a, &Policy::default(), d),
        classify(b, &Policy::default(), d)
    );
}

#[test]
fn custom_rule_cannot_hide_a_built_in_grade() {
    let p = Policy::parse(
        "driftgate.hcl",
        "rule \"sandbox\" {\n  severity = \"info\"\n  address = \"aws_security_group.*\"\n}\n",
    )
    .unwrap();
    let d = change(
        "aws_security_group",
        "ingress",
        blocks(vec![]),
        blocks(vec![sg_block("-1", 0, 0, &["0.0.0.0/0"], &[])]),
    );
    let c = classify(vec![d], &p, date!(2026 - 01 - 01));
    assert_eq!(c.findings[0].severity, Severity::Critical);
}

#[test]
fn diagnostic_unknown_key() {
    insta::assert_snapshot!(parse_err(
        "fail_on = \"high\"\nignore {\n  adress = \"aws_iam_role.x\"\n  reason = \"r\"\n}\n"
    ));
}

#[test]
fn diagnostic_bad_severity() {
    insta::assert_snapshot!(parse_err(
        "rule \"tags_changed\" {\n  severity = \"urgent\"\n}\n"
    ));
}

#[test]
fn diagnostic_bad_date() {
    insta::assert_snapshot!(parse_err(
        "ignore {\n  address = \"aws_vpc.main\"\n  reason  = \"r\"\n  expires = \"31/12/2026\"\n}\n"
    ));
}

#[test]
fn diagnostic_syntax() {
    insta::assert_snapshot!(parse_err("fail_on = \"high\"\nrule \"x\" {\n"));
}

#[test]
fn diagnostic_unknown_rule_id() {
    insta::assert_snapshot!(parse_err("rule \"tags_chnged\" { severity = \"info\" }\n"));
}

#[test]
fn diagnostic_rescoped_built_in() {
    insta::assert_snapshot!(parse_err(
        "rule \"tags_changed\" {\n  severity = \"info\"\n  address  = \"x\"\n}\n"
    ));
}

#[test]
fn diagnostic_ignore_without_reason() {
    insta::assert_snapshot!(parse_err("ignore {\n  address = \"aws_vpc.main\"\n}\n"));
}

#[test]
fn diagnostics_carry_codes() {
    use miette::Diagnostic;
    let code = |t: &str| {
        Policy::parse("p.hcl", t)
            .unwrap_err()
            .code()
            .map(|c| c.to_string())
            .unwrap()
    };
    assert_eq!(code("fail_on = \"hgh\""), "driftgate::policy::bad_severity");
    assert_eq!(code("failon = \"high\""), "driftgate::policy::unknown_key");
    assert_eq!(code("fail_on = "), "driftgate::policy::syntax");
    assert_eq!(code("fail_on = high"), "driftgate::policy::invalid");
    assert_eq!(
        code("rule \"r\" {\n severity = \"low\"\n kinds = [\"drifted\"]\n}"),
        "driftgate::policy::invalid"
    );
}

mod approval_block {
    use super::*;
    use crate::approval::{ApprovalRule, KeyFile};

    /// The file read and each feature's block interpreted, as `ops` loads a policy.
    fn parse_err(text: &str) -> String {
        let read = Policy::parse("driftgate.hcl", text)
            .and_then(|p| crate::ops::scan::PolicyBlocks::of(&p).map(|_| ()));
        render(&read.unwrap_err())
    }

    fn key(name: &str, b: u8) -> String {
        KeyFile::from_seed(name, [b; 32]).public().to_string()
    }

    #[test]
    fn parses_approvers_required_and_min_severity() {
        let text = format!(
            r#"approval {{
  required     = 2
  approvers    = {{ alice = "{}", bob = "{}", carol = {{ key = "{}", aws_principal = "arn:aws:iam::1:user/carol" }} }}
  min_severity = "high"
}}
"#,
            key("alice", 1),
            key("bob", 2),
            key("carol", 3)
        );
        let p = Policy::parse("driftgate.hcl", &text).unwrap();
        let a = ApprovalRule::from_block(&p.approval.unwrap()).unwrap();
        assert_eq!(a.required, 2);
        assert_eq!(a.min_severity, Some(Severity::High));
        let names: Vec<&String> = a.approvers.keys().collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        assert_eq!(
            a.approvers["carol"].aws_principal.as_deref(),
            Some("arn:aws:iam::1:user/carol")
        );
        assert_eq!(
            a.approvers["alice"].key,
            KeyFile::from_seed("alice", [1; 32]).public()
        );
        assert_eq!(a.source, "driftgate.hcl:1");
    }

    #[test]
    fn bad_blocks_are_refused_with_a_reason() {
        let one = key("alice", 1);
        let two = key("bob", 2);
        let block = |body: &str| format!("approval {{\n{body}\n}}\n");
        let cases = [
            (
                block(&format!(
                    "required = 3\napprovers = {{ alice = \"{one}\" }}"
                )),
                "but only 1 approver is listed: no plan could ever be applied",
            ),
            (
                block(&format!(
                    "required = 3\napprovers = {{ alice = \"{one}\", bob = \"{two}\" }}"
                )),
                "but only 2 approvers are listed",
            ),
            (
                block(&format!(
                    "required = 0\napprovers = {{ alice = \"{one}\" }}"
                )),
                "at least 1",
            ),
            (
                block("approvers = { alice = \"ed25519:AAAA\" }"),
                "not valid",
            ),
            (
                block(&format!(
                    "approvers = {{ alice = \"{one}\", bob = \"{one}\" }}"
                )),
                "the same key",
            ),
            (
                block(&format!("requird = 1\napprovers = {{ alice = \"{one}\" }}")),
                "did you mean `required`",
            ),
            (block("required = 1"), "no `approvers`"),
            (
                format!(
                    "{}{}",
                    block(&format!("approvers = {{ alice = \"{one}\" }}")),
                    block(&format!("approvers = {{ alice = \"{one}\" }}"))
                ),
                "two `approval` blocks",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_err(&text);
            assert!(err.contains(expected), "{text}\n{err}");
        }
    }

    #[test]
    fn a_policy_without_the_block_has_no_rule() {
        assert_eq!(
            Policy::parse("p", "fail_on = \"high\"").unwrap().approval,
            None
        );
    }
}

mod guardrail_blocks {
    use super::*;
    use crate::model::plan::ActionKind;
    use crate::planner::guardrail::Effect;

    /// The file read and each feature's block interpreted, as `ops` loads a policy.
    fn parse_err(text: &str) -> String {
        let read = Policy::parse("driftgate.hcl", text)
            .and_then(|p| crate::ops::scan::PolicyBlocks::of(&p).map(|_| ()));
        render(&read.unwrap_err())
    }

    #[test]
    fn parses_selectors_effects_and_relaxed_builtins() {
        let text = r#"guardrail "iam-frozen" {
  resource_types = ["aws_iam_*"]
  addresses      = ["aws_iam_role.app"]
  tags           = { env = "prod" }
  actions        = ["revert", "recreate"]
  min_severity   = "high"
  effect         = "deny"
  reason         = "IAM changes go through the quarterly access review"
}
guardrail "prod-three" {
  tags      = { env = "prod" }
  effect    = "require_approvals"
  approvals = 3
  reason    = "prod needs three"
}
guardrail "iam-principal-delete" {
  effect = "allow"
  reason = "we rotate break-glass users"
}
"#;
        let p = Policy::parse("driftgate.hcl", text).unwrap();
        let guardrails = crate::planner::guardrail::from_blocks(&p.guardrails).unwrap();
        assert_eq!(guardrails.len(), 3);
        let g = &guardrails[0];
        assert_eq!(g.name, "iam-frozen");
        assert!(g.resource_types[0].is_match("aws_iam_role"));
        assert_eq!(g.tags.get("env").map(String::as_str), Some("prod"));
        assert_eq!(g.actions, [ActionKind::Revert, ActionKind::Recreate]);
        assert_eq!(g.min_severity, Some(Severity::High));
        assert_eq!(g.effect, Effect::Deny);
        assert_eq!(g.source, "driftgate.hcl:1");
        assert_eq!(guardrails[1].effect, Effect::RequireApprovals(3));
        assert_eq!(guardrails[2].effect, Effect::Allow);
    }

    #[test]
    fn bad_guardrails_are_refused_with_a_reason() {
        let cases = [
            (
                "guardrail \"x\" {\n effect = \"deny\"\n}",
                "has no `reason`",
            ),
            (
                "guardrail \"x\" {\n effect = \"allow\"\n reason = \"r\"\n}",
                "only relaxes a built-in",
            ),
            (
                "guardrail \"x\" {\n effect = \"require_approvals\"\n reason = \"r\"\n}",
                "says not how many",
            ),
            (
                "guardrail \"x\" {\n actions = [\"destroy\"]\n reason = \"r\"\n}",
                "not an action kind",
            ),
            (
                "guardrail \"disruptive\" {\n effect = \"deny\"\n reason = \"r\"\n}",
                "can only be relaxed",
            ),
            (
                "guardrail \"x\" {\n reason = \"r\"\n}\nguardrail \"x\" {\n reason = \"r\"\n}",
                "defined twice",
            ),
            ("guardrail {\n reason = \"r\"\n}", "exactly one label"),
        ];
        for (text, expected) in cases {
            let err = parse_err(text);
            assert!(err.contains(expected), "{text}\n{err}");
        }
    }
}

/// The feature blocks are interpreted by their features after the file is read; when several
/// are wrong, the first one in the file is the one reported.
#[test]
fn the_first_bad_feature_block_in_the_file_is_reported() {
    let text = "notify { url = \"ftp://x\" }\nguardrail \"g\" {\n effect = \"deny\"\n}\napproval {\n required = 1\n}\n";
    let policy = Policy::parse("driftgate.hcl", text).unwrap();
    let err = crate::ops::scan::PolicyBlocks::of(&policy).unwrap_err();
    assert!(render(&err).contains("http(s) URL"), "{}", render(&err));
    let text = "approval {\n required = 1\n}\nguardrail \"g\" {\n effect = \"deny\"\n}\n";
    let policy = Policy::parse("driftgate.hcl", text).unwrap();
    let err = crate::ops::scan::PolicyBlocks::of(&policy).unwrap_err();
    assert!(render(&err).contains("no `approvers`"), "{}", render(&err));
    let text = "guardrail \"g\" {\n effect = \"deny\"\n}\napproval {\n required = 1\n}\n";
    let policy = Policy::parse("driftgate.hcl", text).unwrap();
    let err = crate::ops::scan::PolicyBlocks::of(&policy).unwrap_err();
    assert!(render(&err).contains("has no `reason`"), "{}", render(&err));
}
