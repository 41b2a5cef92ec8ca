use super::*;
use crate::model::plan::{Action, ActionKind, Author, FindingRef, Inputs};
use crate::model::{DriftKind, Severity};
use crate::plan_file::digest::token as plan_token;
use crate::planner::guardrail::names_in_force;

pub(super) const NOW: time::OffsetDateTime = time::macros::datetime!(2026-12-01 10:00:00 UTC);

pub(super) fn key(name: &str, byte: u8) -> KeyFile {
    KeyFile::from_seed(name, [byte; 32])
}

fn admins(keys: &[&KeyFile]) -> BTreeMap<String, String> {
    keys.iter()
        .map(|k| (k.name.clone(), k.public().to_string()))
        .collect()
}

/// Version 1: admins a1, a2 (2 of 2); approvers alice (role deploy), bob, carol (CI carol);
/// two approvals by default, one for low.
fn v1() -> (RootFile, KeyFile, KeyFile) {
    let (a1, a2) = (key("a1", 11), key("a2", 12));
    let mut body = Body::new(admins(&[&a1, &a2]), 2, NOW + time::Duration::days(30));
    body.approvals.default = 2;
    body.approvals.severity.insert("low".into(), 1);
    for (name, byte, aws, ci) in [
        (
            "alice",
            1,
            Some("arn:aws:iam::123456789012:role/deploy"),
            None,
        ),
        ("bob", 2, None, None),
        ("carol", 3, None, Some("github:acme/infra:carol")),
    ] {
        body.approvers.insert(
            name.into(),
            ApproverEntry {
                key: key(name, byte).public().to_string(),
                aws_principals: aws.into_iter().map(str::to_string).collect(),
                ci_actors: ci.into_iter().map(str::to_string).collect(),
                slack_user: None,
            },
        );
    }
    let mut f = RootFile {
        signed: body,
        signatures: Vec::new(),
        previous: None,
    };
    f.sign(&a1).unwrap();
    f.sign(&a2).unwrap();
    (f, a1, a2)
}

fn pin_of(f: &RootFile) -> Pin {
    Pin {
        location: "root.json".into(),
        sha256: Some(file_digest(f.encode().as_bytes())),
        admins: Vec::new(),
    }
}

fn loaded(f: &RootFile) -> Root {
    load(f.encode().as_bytes(), &pin_of(f), NOW, None).unwrap()
}

/// A revert of `vpc-1` for a finding of `severity` (`kind`: what the action does).
pub(super) fn action(kind: ActionKind, severity: Severity) -> Action {
    Action {
        id: "a01".into(),
        kind,
        status: ActionStatus::Planned,
        address: None,
        resource_type: "aws_vpc".into(),
        resource_id: "vpc-1".into(),
        region: None,
        finding: FindingRef {
            kind: DriftKind::Changed,
            address: None,
            id: "vpc-1".into(),
            rule: "r".into(),
            severity,
        },
        changes: vec![],
        calls: vec![],
        expect: vec![],
        manual_command: None,
        follow_up: None,
        reason: "r".into(),
        guardrail: None,
        disruptive: false,
    }
}

/// An unsigned plan of `actions` by `author`.
fn unsigned(author: Author, actions: Vec<Action>) -> Plan {
    crate::planner::seal(
        actions,
        Inputs::default(),
        author,
        NOW,
        time::Duration::hours(1),
    )
}

/// An unsigned plan of one revert for a finding of `severity`.
fn plan(author: Author, severity: Severity) -> Plan {
    unsigned(author, vec![action(ActionKind::Revert, severity)])
}

/// A plan of `actions` by `author`, signed by `signer` (as `plan --sign` and `mcp` do).
pub(super) fn signed(signer: &KeyFile, mut author: Author, actions: Vec<Action>) -> Plan {
    author.key = Some(signer.public().to_string());
    let mut p = unsigned(author, actions);
    p.author.signature = Some(STANDARD.encode(signer.sign(PLAN_DOMAIN, p.digest.as_bytes())));
    p
}

/// A plan of one revert for a finding of `severity`, signed by `signer`.
fn signed_plan(signer: &KeyFile, author: Author, severity: Severity) -> Plan {
    signed(signer, author, vec![action(ActionKind::Revert, severity)])
}

fn approval(who: &KeyFile, p: &Plan, root: Option<u64>) -> String {
    who.approve_under(&p.digest, NOW + time::Duration::hours(1), root)
        .to_string()
}

fn problem(r: Result<Vec<Accepted>, Denied>) -> Problem {
    match r {
        Err(Denied::Rejected(r)) => r.problem,
        other => panic!("not a rejection: {other:?}"),
    }
}

#[test]
fn a_first_version_needs_its_threshold_of_admins() {
    let (f, a1, _) = v1();
    assert!(f.complete());
    let mut half = f.clone();
    half.signatures.clear();
    half.sign(&a1).unwrap();
    assert!(!half.complete());
    let e = load(half.encode().as_bytes(), &pin_of(&half), NOW, None).unwrap_err();
    assert!(e.contains("signed by 1 of its admins"), "{e}");
    // Anyone else's signature counts for nothing, and cannot even be added.
    let mallory = key("mallory", 66);
    assert!(half.sign(&mallory).is_err());
}

#[test]
fn a_new_version_needs_the_previous_admins_and_goes_up_by_one() {
    let (f, a1, a2) = v1();
    let a3 = key("a3", 13);
    // Replace the admins with a3 alone: a3's signature is not enough, the old admins must
    // consent too.
    let mut next = f.edit(|b| {
        b.admins = admins(&[&a3]);
        b.threshold = 1;
    });
    assert_eq!(next.signed.version, 2);
    next.sign(&a3).unwrap();
    let e = next.problem().unwrap();
    assert!(e.contains("of version 1's admins"), "{e}");
    next.sign(&a1).unwrap();
    assert!(!next.complete(), "1 of the 2 previous admins");
    next.sign(&a2).unwrap();
    assert!(next.complete(), "{:?}", next.problem());
    // A version that drops its predecessor, or skips one, is refused.
    let mut orphan = next.clone();
    orphan.previous = None;
    assert!(
        orphan
            .problem()
            .unwrap()
            .contains("does not carry version 1")
    );
    let mut skip = next.clone();
    skip.signed.version = 3;
    assert!(skip.problem().is_some());
    // An edit of an incomplete version stays that version and drops its signatures.
    let mut pending = f.edit(|b| b.approvals.default = 1);
    pending.sign(&a1).unwrap();
    let again = pending.edit(|b| b.approvals.default = 2);
    assert_eq!(again.signed.version, 2);
    assert!(again.signatures.is_empty());
}

#[test]
fn the_pin_the_expiry_and_the_rollback_floor_are_checked() {
    let (f, a1, a2) = v1();
    let bytes = f.encode();
    // No pin at all: refused.
    let bare = Pin {
        location: "r".into(),
        ..Pin::default()
    };
    assert!(load(bytes.as_bytes(), &bare, NOW, None).is_err());
    // Another file's digest.
    let mut other = pin_of(&f);
    other.sha256 = Some("00".repeat(32));
    assert!(
        load(bytes.as_bytes(), &other, NOW, None)
            .unwrap_err()
            .contains("pins")
    );
    // Pinned by admin fingerprints: both admins pinned holds; one pinned is under the threshold.
    let by_admins = |fps: Vec<String>| Pin {
        location: "r".into(),
        sha256: None,
        admins: fps,
    };
    let both = by_admins(vec![a1.public().fingerprint(), a2.public().fingerprint()]);
    assert!(load(bytes.as_bytes(), &both, NOW, None).is_ok());
    let one = by_admins(vec![a1.public().fingerprint()]);
    assert!(load(bytes.as_bytes(), &one, NOW, None).is_err());
    // Expired.
    let later = NOW + time::Duration::days(31);
    assert!(
        load(bytes.as_bytes(), &pin_of(&f), later, None)
            .unwrap_err()
            .contains("expired")
    );
    // Rollback: version 1 after version 2 was used.
    assert!(
        load(bytes.as_bytes(), &pin_of(&f), NOW, Some(2))
            .unwrap_err()
            .contains("rollback")
    );
    assert!(load(bytes.as_bytes(), &pin_of(&f), NOW, Some(1)).is_ok());
    // An edited body no longer verifies under the same signatures.
    let mut forged = f.clone();
    forged.signed.approvals.default = 0;
    let pin = by_admins(vec![a1.public().fingerprint(), a2.public().fingerprint()]);
    assert!(load(forged.encode().as_bytes(), &pin, NOW, None).is_err());
}

#[test]
fn one_key_under_two_names_is_refused() {
    let (mut f, a1, a2) = v1();
    let alice = f.signed.approvers["alice"].clone();
    f.signed.approvers.insert("alice2".into(), alice);
    f.signatures.clear();
    f.sign(&a1).unwrap();
    f.sign(&a2).unwrap();
    assert!(f.problem().unwrap().contains("same key"));
}

#[test]
fn a_policy_cannot_lower_the_root() {
    let root = loaded(&v1().0);
    let regrades = BTreeMap::new();
    assert!(
        root.lowered_by(None, &names_in_force(&[]), &regrades)
            .is_empty(),
        "no approval block: the root decides"
    );
    let approvers = |names: &[(&str, u8)]| {
        names
            .iter()
            .map(|(n, b)| {
                (
                    n.to_string(),
                    crate::approval::Approver {
                        key: key(n, *b).public(),
                        aws_principal: None,
                    },
                )
            })
            .collect()
    };
    let rule = ApprovalRule {
        required: 1,
        approvers: approvers(&[("alice", 1), ("bob", 2)]),
        min_severity: None,
        source: "p".into(),
    };
    let lowered = root.lowered_by(Some(&rule), &names_in_force(&[]), &regrades);
    assert_eq!(lowered.len(), 1, "{lowered:?}");
    assert!(lowered[0].contains("requires 1 approvals"));
    let rule = ApprovalRule {
        required: 2,
        approvers: approvers(&[("alice", 1), ("mallory", 66)]),
        min_severity: Some(Severity::Critical),
        source: "p".into(),
    };
    let lowered = root
        .lowered_by(Some(&rule), &names_in_force(&[]), &regrades)
        .join("\n");
    assert!(lowered.contains("`mallory`"), "{lowered}");
    assert!(lowered.contains("min_severity"), "{lowered}");
    // A guardrail the root requires, relaxed or absent.
    let mut f = v1().0;
    f = f.edit(|b| {
        b.approvals.guardrails.insert("disruptive".into(), 2);
    });
    let (_, a1, a2) = v1();
    f.sign(&a1).unwrap();
    f.sign(&a2).unwrap();
    let root = loaded(&f);
    let relaxed = crate::policy::Policy::parse(
        "driftgate.hcl",
        "guardrail \"disruptive\" {\n  effect = \"allow\"\n  reason = \"r\"\n}\n",
    )
    .unwrap();
    let relaxed = crate::planner::guardrail::from_blocks(&relaxed.guardrails).unwrap();
    assert!(
        root.lowered_by(None, &names_in_force(&relaxed), &regrades)
            .join("")
            .contains("`disruptive`")
    );
    assert!(
        root.lowered_by(None, &names_in_force(&[]), &regrades)
            .is_empty(),
        "the built-in is in force"
    );
}

#[test]
fn approvals_count_only_from_the_root_and_name_its_version() {
    let root = loaded(&v1().0);
    let (alice, bob, carol) = (key("alice", 1), key("bob", 2), key("carol", 3));
    let p = signed_plan(&carol, Author::default(), Severity::High);
    let me = Applier::default();
    let ok = root.check(
        &p,
        None,
        &[approval(&alice, &p, Some(1)), approval(&bob, &p, Some(1))],
        &me,
        NOW,
    );
    assert_eq!(ok.unwrap().len(), 2);
    // Two approvals required by the root, whatever the policy says.
    assert!(matches!(
        root.check(&p, None, &[approval(&alice, &p, Some(1))], &me, NOW),
        Err(Denied::TooFew {
            valid: 1,
            required: 2
        })
    ));
    assert!(matches!(
        root.check(&p, None, &[plan_token(&p.digest)], &me, NOW),
        Err(Denied::TokenAlone { required: 2 })
    ));
    // A key the root does not list.
    let mallory = key("mallory", 66);
    assert_eq!(
        problem(root.check(&p, None, &[approval(&mallory, &p, Some(1))], &me, NOW)),
        Problem::NotInRoot
    );
    // No root version, or another.
    assert!(matches!(
        problem(root.check(&p, None, &[approval(&alice, &p, None)], &me, NOW)),
        Problem::RootVersion { token: None, .. }
    ));
    assert!(matches!(
        problem(root.check(&p, None, &[approval(&alice, &p, Some(7))], &me, NOW)),
        Problem::RootVersion { token: Some(7), .. }
    ));
}

#[test]
fn the_author_is_excluded_by_key_aws_role_and_ci_identity() {
    let root = loaded(&v1().0);
    let (alice, bob, carol) = (key("alice", 1), key("bob", 2), key("carol", 3));
    let me = Applier::default();
    // carol signed the plan, under the actor name "bob": her approval is hers still.
    let p = signed_plan(
        &carol,
        Author {
            actor: "bob".into(),
            ..Author::default()
        },
        Severity::High,
    );
    assert_eq!(
        problem(root.check(&p, None, &[approval(&carol, &p, Some(1))], &me, NOW)),
        Problem::SelfApproval
    );
    // bob signed it as the role alice works as, from another session name: alice is excluded.
    let p = signed_plan(
        &bob,
        Author {
            actor: "nobody".into(),
            aws_caller_arn: Some(
                "arn:aws:sts::123456789012:assumed-role/deploy/another-session".into(),
            ),
            ..Author::default()
        },
        Severity::High,
    );
    assert_eq!(
        problem(root.check(&p, None, &[approval(&alice, &p, Some(1))], &me, NOW)),
        Problem::SelfApproval
    );
    // The CI identity carol works as.
    let p = signed_plan(
        &bob,
        Author {
            ci: Some("github:acme/infra:Carol".into()),
            ..Author::default()
        },
        Severity::High,
    );
    assert_eq!(
        problem(root.check(&p, None, &[approval(&carol, &p, Some(1))], &me, NOW)),
        Problem::SelfApproval
    );
}

#[test]
fn the_applier_never_counts_and_an_applier_who_authored_needs_one_more() {
    let root = loaded(&v1().0);
    let (alice, bob, carol) = (key("alice", 1), key("bob", 2), key("carol", 3));
    let p = signed_plan(&carol, Author::default(), Severity::Low);
    // alice's role applies: her approval does not count.
    let alice_applies = Applier {
        aws_principal: Some("arn:aws:iam::123456789012:role/deploy".into()),
        ci: None,
    };
    assert_eq!(
        problem(root.check(
            &p,
            None,
            &[approval(&alice, &p, Some(1))],
            &alice_applies,
            NOW
        )),
        Problem::Applier
    );
    // carol's CI login applies: her approval does not count either.
    let carol_ci = Applier {
        aws_principal: None,
        ci: Some("github:acme/infra:carol".into()),
    };
    let q = signed_plan(&bob, Author::default(), Severity::Low);
    assert_eq!(
        problem(root.check(&q, None, &[approval(&carol, &q, Some(1))], &carol_ci, NOW)),
        Problem::Applier
    );
    // Low needs one approval; carol (the author, by CI identity) applying needs two.
    let carol_applies = Applier {
        aws_principal: None,
        ci: Some("github:acme/infra:carol".into()),
    };
    let one = [approval(&bob, &p, Some(1))];
    assert!(root.check(&p, None, &one, &Applier::default(), NOW).is_ok());
    assert!(matches!(
        root.check(&p, None, &one, &carol_applies, NOW),
        Err(Denied::TooFew {
            valid: 1,
            required: 2
        })
    ));
    let two = [approval(&bob, &p, Some(1)), approval(&alice, &p, Some(1))];
    assert!(root.check(&p, None, &two, &carol_applies, NOW).is_ok());
    // Where the root asks for none, the author applying alone still needs one.
    let mut f = v1().0.edit(|b| {
        b.approvals.severity.insert("info".into(), 0);
    });
    let (_, a1, a2) = v1();
    f.sign(&a1).unwrap();
    f.sign(&a2).unwrap();
    let root = loaded(&f);
    let p = signed_plan(&carol, Author::default(), Severity::Info);
    let token = [plan_token(&p.digest)];
    assert!(
        root.check(&p, None, &token, &Applier::default(), NOW)
            .is_ok()
    );
    assert!(matches!(
        root.check(&p, None, &token, &carol_applies, NOW),
        Err(Denied::TokenAlone { required: 1 })
    ));
}

#[test]
fn a_resealed_or_unsigned_plan_has_no_bound_author() {
    let root = loaded(&v1().0);
    let carol = key("carol", 3);
    let p = signed_plan(&carol, Author::default(), Severity::High);
    assert_eq!(root.check_author(&p).unwrap(), "carol");
    // The author fields edited and the digest made again: the signature no longer holds.
    let mut resealed = p.clone();
    resealed.author.aws_caller_arn = None;
    resealed.author.actor = "bob".into();
    resealed.digest = crate::plan_file::digest::digest(&resealed);
    assert!(
        root.check_author(&resealed)
            .unwrap_err()
            .contains("does not verify")
    );
    // Signed again by a key of one's own: not the root's.
    let mallory = key("mallory", 66);
    let other = signed_plan(&mallory, Author::default(), Severity::High);
    assert!(
        root.check_author(&other)
            .unwrap_err()
            .contains("does not list")
    );
    // Not signed at all.
    let unsigned = plan(Author::default(), Severity::High);
    assert!(root.check_author(&unsigned).unwrap_err().contains("--sign"));
}

/// A disruptive action (it stops an instance) planned with `--allow-disruptive` carries no
/// `disruptive` guardrail, and a policy guardrail recorded on it has another name: the root's
/// minimum for `disruptive` holds all the same.
#[test]
fn the_root_s_disruptive_minimum_holds_for_a_plan_made_with_allow_disruptive() {
    use crate::model::plan::{Call, GuardrailEffect, GuardrailHit};
    let f = v1().0.edit(|b| {
        b.approvals.guardrails.insert("disruptive".into(), 3);
    });
    let (_, a1, a2) = v1();
    let mut f = f;
    f.sign(&a1).unwrap();
    f.sign(&a2).unwrap();
    let root = loaded(&f);
    let mut p = plan(Author::default(), Severity::Low);
    let calm = root.required(&p);
    assert!(calm < 3, "{calm}");
    p.actions[0].calls = vec![Call::Ec2StopInstances {
        instance_id: "i-1".into(),
    }];
    assert_eq!(root.required(&p), 3);
    p.actions[0].guardrail = Some(GuardrailHit {
        name: "everything".into(),
        reason: "r".into(),
        effect: GuardrailEffect::RequireApprovals(1),
    });
    assert_eq!(root.required(&p), 3, "another guardrail does not hide it");
}

/// A unit revert that interrupts a workload (an instance profile's role swapped) holds no
/// StopInstances call: the root's minimum for `disruptive` reads the action's own
/// `disruptive`, which the planner derives from the unit (apply refuses a plan that says
/// otherwise than its re-plan).
#[test]
fn the_root_s_disruptive_minimum_holds_for_a_disruptive_unit_revert() {
    use crate::model::plan::{Call, UnitCall};
    let f = v1().0.edit(|b| {
        b.approvals.guardrails.insert("disruptive".into(), 3);
    });
    let (_, a1, a2) = v1();
    let mut f = f;
    f.sign(&a1).unwrap();
    f.sign(&a2).unwrap();
    let root = loaded(&f);
    let mut p = plan(Author::default(), Severity::Low);
    p.actions[0].calls = vec![Call::Unit(UnitCall::new(
        "iam",
        "RemoveRoleFromInstanceProfile",
        "app",
    ))];
    let calm = root.required(&p);
    assert!(calm < 3, "{calm}");
    p.actions[0].disruptive = true;
    assert_eq!(root.required(&p), 3);
}

/// v1 with the service's key `svc` as a chat attestor for alice and bob, and `from_key`.
fn with_attestor(from_key: Option<(&str, usize)>) -> (Root, KeyFile) {
    let (mut f, a1, a2) = v1();
    let svc = key("svc", 40);
    f.signed.chat_attestors.insert(
        "svc".into(),
        AttestorEntry {
            key: svc.public().to_string(),
            approvers: vec!["alice".into(), "bob".into()],
        },
    );
    if let Some((s, n)) = from_key {
        f.signed.approvals.from_key.insert(s.into(), n);
    }
    f.signatures.clear();
    f.sign(&a1).unwrap();
    f.sign(&a2).unwrap();
    (loaded(&f), svc)
}

fn attested(svc: &KeyFile, approver: &str, p: &Plan) -> String {
    svc.attest(
        approver,
        &p.digest,
        NOW + time::Duration::hours(1),
        Some(1),
        "slack:U1",
    )
    .to_string()
}

#[test]
fn chat_approvals_count_only_from_the_root_s_attestor_for_its_approvers() {
    let (root, svc) = with_attestor(None);
    let (alice, carol) = (key("alice", 1), key("carol", 3));
    let p = signed_plan(&carol, Author::default(), Severity::High);
    let me = Applier::default();
    let both = [attested(&svc, "alice", &p), attested(&svc, "bob", &p)];
    let ok = root.check(&p, None, &both, &me, NOW).unwrap();
    // Each counts as its approver (their key's fingerprint), attested by svc.
    assert_eq!(ok[0].fingerprint, alice.public().fingerprint());
    assert_eq!(ok[1].attestor.as_deref(), Some("svc"));
    // Not for carol (nor the author, whoever attests it).
    assert!(matches!(
        problem(root.check(&p, None, &[attested(&svc, "carol", &p)], &me, NOW)),
        Problem::Attestor(_)
    ));
    // Another key calling itself svc: forged.
    let fake = key("svc", 41);
    assert_eq!(
        problem(root.check(&p, None, &[attested(&fake, "alice", &p)], &me, NOW)),
        Problem::Forged
    );
    // An attestor the root does not list.
    let other = key("bot", 42);
    assert!(matches!(
        problem(root.check(&p, None, &[attested(&other, "alice", &p)], &me, NOW)),
        Problem::Attestor(_)
    ));
    // alice by key and by chat is one person.
    let twice = [approval(&alice, &p, Some(1)), attested(&svc, "alice", &p)];
    assert_eq!(
        problem(root.check(&p, None, &twice, &me, NOW)),
        Problem::Duplicate
    );
    // Without a root (the policy's approval block), a chat approval never counts.
    assert!(matches!(
        problem(crate::approval::verify_each(
            &p,
            None,
            &[attested(&svc, "alice", &p)],
            NOW
        )),
        Problem::Attestor(_)
    ));
    // The author's own click, attested: refused as the author.
    let (root2, svc2) = with_attestor(None);
    let by_alice = signed_plan(&alice, Author::default(), Severity::High);
    assert_eq!(
        problem(root2.check(
            &by_alice,
            None,
            &[attested(&svc2, "alice", &by_alice)],
            &me,
            NOW
        )),
        Problem::SelfApproval
    );
}

#[test]
fn the_root_can_require_approvals_by_key_for_a_severity() {
    let (root, svc) = with_attestor(Some(("critical", 1)));
    let (bob, carol) = (key("bob", 2), key("carol", 3));
    let me = Applier::default();
    let critical = signed_plan(&carol, Author::default(), Severity::Critical);
    let chat = [
        attested(&svc, "alice", &critical),
        attested(&svc, "bob", &critical),
    ];
    assert_eq!(
        root.check(&critical, None, &chat, &me, NOW),
        Err(Denied::FromKey {
            by_key: 0,
            required: 1
        })
    );
    let mixed = [
        attested(&svc, "alice", &critical),
        approval(&bob, &critical, Some(1)),
    ];
    assert_eq!(
        root.check(&critical, None, &mixed, &me, NOW).unwrap().len(),
        2
    );
    // A high plan: chat alone is enough.
    let high = signed_plan(&carol, Author::default(), Severity::High);
    let chat = [attested(&svc, "alice", &high), attested(&svc, "bob", &high)];
    assert!(root.check(&high, None, &chat, &me, NOW).is_ok());
}

#[test]
fn a_chat_attestor_is_never_a_person_and_attests_only_for_the_root_s_approvers() {
    let (f, _, _) = v1();
    let mut b = f.signed.clone();
    b.chat_attestors.insert(
        "svc".into(),
        AttestorEntry {
            key: key("alice", 1).public().to_string(),
            approvers: vec!["bob".into()],
        },
    );
    assert!(b.parse().unwrap_err().contains("approver `alice`'s key"));
    b.chat_attestors.get_mut("svc").unwrap().key = key("svc", 40).public().to_string();
    b.chat_attestors.get_mut("svc").unwrap().approvers = vec!["zed".into()];
    assert!(b.parse().unwrap_err().contains("attests for `zed`"));
    b.chat_attestors.get_mut("svc").unwrap().approvers = vec!["bob".into()];
    b.approvers.get_mut("alice").unwrap().slack_user = Some("U1".into());
    b.approvers.get_mut("bob").unwrap().slack_user = Some("U1".into());
    assert!(b.parse().unwrap_err().contains("same slack_user"));
    b.approvers.get_mut("bob").unwrap().slack_user = Some("U2".into());
    b.approvals.from_key.insert("worst".into(), 1);
    assert!(b.parse().unwrap_err().contains("not a severity"));
    b.approvals.from_key.clear();
    assert!(b.parse().is_ok());
}
