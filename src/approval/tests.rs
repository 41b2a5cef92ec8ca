use std::collections::BTreeMap;

use time::macros::datetime;

use base64::engine::general_purpose::STANDARD;

use super::*;
use crate::model::plan::{Action, ActionKind, ActionStatus, Author, Call, FindingRef, Inputs};
use crate::model::{Address, DriftKind, Severity};

const NOW: time::OffsetDateTime = datetime!(2026-12-01 10:00 UTC);

fn key(name: &str, byte: u8) -> KeyFile {
    KeyFile::from_seed(name, [byte; 32])
}

fn action(severity: Severity) -> Action {
    Action {
        id: "a01".into(),
        kind: ActionKind::Revert,
        status: ActionStatus::Planned,
        address: Some(Address::managed("aws_vpc", "main")),
        resource_type: "aws_vpc".into(),
        resource_id: "vpc-1".into(),
        region: Some("us-east-1".into()),
        finding: FindingRef {
            kind: DriftKind::Changed,
            address: Some(Address::managed("aws_vpc", "main")),
            id: "vpc-1".into(),
            rule: "tags_changed".into(),
            severity,
        },
        changes: vec![],
        calls: vec![Call::Ec2DeleteTags {
            resource_id: "vpc-1".into(),
            keys: vec!["team".into()],
        }],
        expect: vec![],
        manual_command: None,
        follow_up: None,
        reason: "r".into(),
        guardrail: None,
        disruptive: false,
    }
}

fn plan_by(author: &str, severity: Severity) -> Plan {
    crate::planner::seal(
        vec![action(severity)],
        Inputs::default(),
        Author {
            actor: author.into(),
            aws_caller_arn: Some("arn:aws:iam::123456789012:user/dave".into()),
            ..Author::default()
        },
        NOW,
        time::Duration::hours(24),
    )
}

fn rule(required: usize) -> ApprovalRule {
    let mut approvers = BTreeMap::new();
    for (name, byte) in [("alice", 1), ("bob", 2), ("carol", 3)] {
        approvers.insert(
            name.to_string(),
            Approver {
                key: key(name, byte).public(),
                aws_principal: None,
            },
        );
    }
    ApprovalRule {
        required,
        approvers,
        min_severity: None,
        source: "driftgate.hcl:1".into(),
    }
}

fn sign(name: &str, byte: u8, plan: &Plan) -> String {
    key(name, byte)
        .approve(&plan.digest, NOW + time::Duration::hours(1))
        .to_string()
}

fn rejected(r: Result<Vec<Accepted>, Denied>) -> Problem {
    match r {
        Err(Denied::Rejected(r)) => r.problem,
        other => panic!("expected a rejected approval, got {other:?}"),
    }
}

#[test]
fn a_public_key_round_trips_and_bad_ones_are_refused() {
    let k = key("alice", 7).public();
    let text = k.to_string();
    assert!(text.starts_with("ed25519:"), "{text}");
    assert_eq!(text.parse::<PublicKey>(), Ok(k));
    assert!("ed25519:AAAA".parse::<PublicKey>().is_err());
    assert!("rsa:AAAA".parse::<PublicKey>().is_err());
    assert!(k.fingerprint().starts_with("SHA256:"));
    assert!(!k.fingerprint().ends_with('='));
}

#[test]
fn a_key_file_round_trips_and_its_debug_form_holds_no_seed() {
    let k = key("alice", 9);
    let text = k.encode();
    let back = KeyFile::decode(&text).unwrap();
    assert_eq!(back.name, "alice");
    assert_eq!(back.public(), k.public());
    let seed = STANDARD.encode([9u8; 32]);
    assert!(text.contains(&seed));
    assert!(!format!("{k:?}").contains(&seed));
    assert!(!k.policy_line().contains(&seed));
    assert_eq!(k.policy_line(), format!("alice = \"{}\"", k.public()));
    assert!(KeyFile::decode("hello").is_err());
    assert!(KeyFile::decode(&text.replace("name = alice", "name = 1x")).is_err());
}

#[test]
fn names_are_identifiers() {
    assert!(valid_name("alice"));
    assert!(valid_name("bob-smith_2"));
    assert!(!valid_name(""));
    assert!(!valid_name("2bob"));
    assert!(!valid_name("a b"));
    assert!(!valid_name("a\"b"));
}

#[test]
fn a_token_round_trips_and_verifies_only_under_its_key() {
    let plan = plan_by("dave", Severity::High);
    let a = key("alice", 1).approve(&plan.digest, NOW);
    let parsed = Approval::parse(&a.to_string()).unwrap();
    assert_eq!(parsed, a);
    assert_eq!(parsed.approver, "alice");
    assert_eq!(parsed.plan, plan.digest);
    assert!(parsed.verify(&key("alice", 1).public()));
    assert!(!parsed.verify(&key("alice", 2).public()));
    assert!(Approval::parse("dga1.xx").is_err());
    assert!(Approval::parse("dg1-abc").is_err());
}

#[test]
fn two_distinct_approvers_other_than_the_author_are_enough() {
    let plan = plan_by("dave", Severity::High);
    let got = check(
        &plan,
        Some(&rule(2)),
        &[sign("alice", 1, &plan), sign("bob", 2, &plan)],
        NOW,
    )
    .unwrap();
    let names: Vec<&str> = got.iter().map(|a| a.approver.as_str()).collect();
    assert_eq!(names, ["alice", "bob"]);
    assert_eq!(got[0].fingerprint, key("alice", 1).public().fingerprint());
}

#[test]
fn every_refusal_of_the_issue_holds() {
    let plan = plan_by("dave", Severity::High);
    let r = rule(2);
    let token = plan_token(&plan.digest);
    // The plan token alone.
    assert_eq!(
        check(&plan, Some(&r), std::slice::from_ref(&token), NOW),
        Err(Denied::TokenAlone { required: 2 })
    );
    // Too few.
    assert_eq!(
        check(
            &plan,
            Some(&r),
            &[token.clone(), sign("alice", 1, &plan)],
            NOW
        ),
        Err(Denied::TooFew {
            valid: 1,
            required: 2
        })
    );
    // The author approving their own plan, by name (any case) ...
    let alices = plan_by("Alice", Severity::High);
    // ... and by AWS principal.
    let mut by_arn = r.clone();
    by_arn.approvers.get_mut("carol").unwrap().aws_principal =
        Some("arn:aws:iam::123456789012:user/dave".into());
    let other = plan_by("erin", Severity::High);
    // Forged: a valid token whose payload was altered (the approver renamed).
    let good = sign("alice", 1, &plan);
    let (payload, sig) = good[TOKEN_PREFIX.len()..].split_once('.').unwrap();
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    let altered = format!(
        "{TOKEN_PREFIX}{}.{sig}",
        URL_SAFE_NO_PAD.encode(text.replace("alice", "carol"))
    );
    let expired = key("alice", 1)
        .approve(&plan.digest, NOW - time::Duration::seconds(1))
        .to_string();
    // (what, the plan, its rule, the approvals, the problem found)
    let cases = [
        (
            "the same approver twice",
            &plan,
            &r,
            [sign("alice", 1, &plan), sign("alice", 1, &plan)],
            Problem::Duplicate,
        ),
        (
            "the author approving their own plan by name",
            &alices,
            &r,
            [sign("alice", 1, &alices), sign("bob", 2, &alices)],
            Problem::SelfApproval,
        ),
        (
            "the author approving their own plan by AWS principal",
            &plan,
            &by_arn,
            [sign("alice", 1, &plan), sign("carol", 3, &plan)],
            Problem::SelfApproval,
        ),
        (
            "an approval of another plan",
            &plan,
            &r,
            [sign("alice", 1, &other), sign("bob", 2, &plan)],
            Problem::OtherPlan,
        ),
        (
            "forged: signed by another key under bob's name",
            &plan,
            &r,
            [sign("alice", 1, &plan), sign("bob", 9, &plan)],
            Problem::Forged,
        ),
        (
            "forged: a valid token whose payload was altered",
            &plan,
            &r,
            [altered, sign("bob", 2, &plan)],
            Problem::Forged,
        ),
        (
            "expired",
            &plan,
            &r,
            [expired, sign("bob", 2, &plan)],
            Problem::Expired,
        ),
        (
            "not in the policy",
            &plan,
            &r,
            [sign("mallory", 4, &plan), sign("bob", 2, &plan)],
            Problem::UnknownApprover,
        ),
    ];
    for (what, plan, rule, approvals, problem) in cases {
        assert_eq!(
            rejected(check(plan, Some(rule), &approvals, NOW)),
            problem,
            "{what}"
        );
    }
    // Garbage, and a wrong plan token.
    assert!(matches!(
        rejected(check(&plan, Some(&r), &["dga1.zz.zz".into()], NOW)),
        Problem::Malformed(_)
    ));
    assert_eq!(
        check(&plan, Some(&r), &["dg1-000".into()], NOW),
        Err(Denied::WrongToken)
    );
    assert_eq!(check(&plan, Some(&r), &[], NOW), Err(Denied::Nothing));
}

#[test]
fn without_an_approval_block_the_plan_token_works_as_before() {
    let plan = plan_by("dave", Severity::Critical);
    let token = plan_token(&plan.digest);
    assert_eq!(
        check(&plan, None, std::slice::from_ref(&token), NOW),
        Ok(vec![])
    );
    assert_eq!(
        check(&plan, None, &["dg1-0".into()], NOW),
        Err(Denied::WrongToken)
    );
    // An approval names nobody the policy knows.
    assert_eq!(
        rejected(check(&plan, None, &[sign("alice", 1, &plan)], NOW)),
        Problem::UnknownApprover
    );
}

#[test]
fn min_severity_waives_approvals_for_plans_entirely_below_it() {
    let mut r = rule(2);
    r.min_severity = Some(Severity::High);
    let low = plan_by("dave", Severity::Medium);
    let token = plan_token(&low.digest);
    assert_eq!(r.required_for(&low), 0);
    assert_eq!(
        check(&low, Some(&r), std::slice::from_ref(&token), NOW),
        Ok(vec![])
    );
    let high = plan_by("dave", Severity::High);
    assert_eq!(r.required_for(&high), 2);
    assert_eq!(
        check(&high, Some(&r), &[plan_token(&high.digest)], NOW),
        Err(Denied::TokenAlone { required: 2 })
    );
}

#[test]
fn a_require_approvals_guardrail_raises_the_bar() {
    use crate::model::plan::{GuardrailEffect, GuardrailHit};
    let mut plan = plan_by("dave", Severity::High);
    plan.actions[0].guardrail = Some(GuardrailHit {
        name: "prod-three".into(),
        reason: "r".into(),
        effect: GuardrailEffect::RequireApprovals(3),
    });
    plan.digest = crate::plan_file::digest::digest(&plan);
    let two = [sign("alice", 1, &plan), sign("bob", 2, &plan)];
    assert_eq!(
        check(&plan, Some(&rule(2)), &two, NOW),
        Err(Denied::TooFew {
            valid: 2,
            required: 3
        })
    );
    let three = [
        sign("alice", 1, &plan),
        sign("bob", 2, &plan),
        sign("carol", 3, &plan),
    ];
    assert_eq!(check(&plan, Some(&rule(2)), &three, NOW).unwrap().len(), 3);
    // Without an approval block nobody can approve: the plan token is not enough.
    assert_eq!(
        check(&plan, None, &[plan_token(&plan.digest)], NOW),
        Err(Denied::TokenAlone { required: 3 })
    );
}

/// One key is one person: a policy that lists the same key under two names does not make
/// one approver count twice.
#[test]
fn one_key_under_two_names_counts_once() {
    let plan = plan_by("dave", Severity::High);
    let mut r = rule(2);
    r.approvers.insert(
        "alias".to_string(),
        Approver {
            key: key("alias", 1).public(),
            aws_principal: None,
        },
    );
    assert_eq!(
        rejected(check(
            &plan,
            Some(&r),
            &[sign("alice", 1, &plan), sign("alias", 1, &plan)],
            NOW
        )),
        Problem::Duplicate
    );
}

/// The approver's name is echoed in refusals and the audit log: a token whose name is not
/// a name (terminal escapes, a newline) is not an approval, whoever signed it.
#[test]
fn a_token_with_a_name_that_is_not_a_name_is_refused() {
    let plan = plan_by("dave", Severity::High);
    for name in ["bob\u{1b}[2J", "bob\n{\"seq\":1}", ""] {
        let token = KeyFile::from_seed(name, [2; 32])
            .approve(&plan.digest, NOW + time::Duration::hours(1))
            .to_string();
        assert!(Approval::parse(&token).is_err(), "{name:?}");
        let given = [sign("alice", 1, &plan), token];
        assert!(
            check(&plan, Some(&rule(2)), &given, NOW).is_err(),
            "{name:?}"
        );
    }
}
