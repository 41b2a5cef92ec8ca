//! Agents in the trust root: known by their key, never approvers, held to their kind's rules.

use super::agent::{AgentEntry, AgentKind};
use super::tests::{NOW, action, key, signed};
use super::*;
use crate::model::Severity;
use crate::model::plan::{ActionKind, Author};

/// Admin a1 (1 of 1); approvers alice and bob; two approvals by default, none for low;
/// agent `fixer` (kind `assistant`: 3 approvals, no deletions, no IAM) and `bot` (kind
/// `lenient`: no rules of its own).
fn body() -> Body {
    let a1 = key("a1", 11);
    let mut admins = BTreeMap::new();
    admins.insert("a1".to_string(), a1.public().to_string());
    let mut body = Body::new(admins, 1, NOW + time::Duration::days(30));
    body.approvals.default = 2;
    body.approvals.severity.insert("low".into(), 0);
    for (name, byte) in [("alice", 1), ("bob", 2)] {
        body.approvers.insert(
            name.into(),
            ApproverEntry {
                key: key(name, byte).public().to_string(),
                aws_principals: vec![],
                ci_actors: vec![],
                slack_user: None,
            },
        );
    }
    body.agent_kinds.insert(
        "assistant".into(),
        AgentKind {
            approvals: 3,
            forbid: vec!["delete".into(), "iam:*".into()],
        },
    );
    body.agent_kinds
        .insert("lenient".into(), AgentKind::default());
    for (name, kind, byte) in [("fixer", "assistant", 9), ("bot", "lenient", 8)] {
        body.agents.insert(
            name.into(),
            AgentEntry {
                kind: kind.into(),
                key: key(name, byte).public().to_string(),
                client: None,
            },
        );
    }
    body
}

fn file(body: Body) -> RootFile {
    let mut f = RootFile {
        signed: body,
        signatures: Vec::new(),
        previous: None,
    };
    f.sign(&key("a1", 11)).unwrap();
    f
}

fn load_body(body: Body) -> Result<Root, String> {
    let f = file(body);
    let pin = Pin {
        location: "root.json".into(),
        sha256: Some(file_digest(f.encode().as_bytes())),
        admins: Vec::new(),
    };
    load(f.encode().as_bytes(), &pin, NOW, None)
}

fn by_agent(name: &str) -> Author {
    Author {
        actor: name.into(),
        kind: Some(crate::model::plan::AGENT_KIND.into()),
        agent: Some(name.into()),
        ..Author::default()
    }
}

fn refused(body: Body) -> String {
    load_body(body).expect_err("the root must be refused")
}

#[test]
fn an_agent_is_never_an_approver_and_its_key_is_its_own() {
    assert!(load_body(body()).is_ok());
    // An agent with an approver's key: its plans would pass as the approver's.
    let mut b = body();
    b.agents.get_mut("fixer").unwrap().key = key("alice", 1).public().to_string();
    assert!(refused(b).contains("approver `alice`'s key"));
    // An agent named as an approver.
    let mut b = body();
    let fixer = b.agents.remove("fixer").unwrap();
    b.agents.insert("alice".into(), fixer);
    assert!(refused(b).contains("both an approver and an agent"));
    // Two agents with one key: one could claim the other's plans.
    let mut b = body();
    b.agents.get_mut("bot").unwrap().key = key("fixer", 9).public().to_string();
    assert!(refused(b).contains("the same key"));
    // An admin's key.
    let mut b = body();
    b.agents.get_mut("bot").unwrap().key = key("a1", 11).public().to_string();
    assert!(refused(b).contains("admin `a1`'s key"));
    // A kind without rules.
    let mut b = body();
    b.agents.get_mut("bot").unwrap().kind = "unknown".into();
    assert!(refused(b).contains("`agent_kinds` does not list"));
    // Its service token is a client's: the service could not refuse it approvals.
    let mut b = body();
    let d = format!("sha256:{}", hex::encode(Sha256::digest(b"tok")));
    b.clients.insert("ci".into(), d.clone());
    b.agents.get_mut("bot").unwrap().client = Some(d);
    assert!(refused(b).contains("another client's"));
    // A forbid entry that is neither an action kind nor an API name.
    let mut b = body();
    b.agent_kinds.get_mut("lenient").unwrap().forbid = vec!["remove".into()];
    assert!(refused(b).contains("forbids `remove`"));
}

#[test]
fn an_agents_plan_is_known_by_its_signing_key_never_by_its_fields() {
    let root = load_body(body()).unwrap();
    let fixer = key("fixer", 9);
    let actions = || vec![action(ActionKind::Revert, Severity::High)];
    let p = signed(&fixer, by_agent("fixer"), actions());
    assert_eq!(root.check_author(&p).unwrap(), "fixer");
    assert_eq!(root.required(&p), 3);
    // The same plan, its author fields made a person's, digest made again and signed again
    // with the agent's key (all the agent holds): still the agent's, and refused as a lie.
    let lying = signed(
        &fixer,
        Author {
            actor: "alice".into(),
            ..Author::default()
        },
        actions(),
    );
    assert!(
        root.check_author(&lying)
            .unwrap_err()
            .contains("signed by agent `fixer`'s key")
    );
    assert_eq!(root.required(&lying), 3, "the key decides, not the fields");
    // Claiming to be another agent: refused too.
    let other = signed(&fixer, by_agent("bot"), actions());
    assert!(root.check_author(&other).is_err());
    // A person's plan that says an agent wrote it.
    let mislabelled = signed(&key("bob", 2), by_agent("fixer"), actions());
    assert!(
        root.check_author(&mislabelled)
            .unwrap_err()
            .contains("signed by approver `bob`'s key")
    );
    // The same actions by a person need the root's two.
    let person = signed(&key("bob", 2), Author::default(), actions());
    assert_eq!(root.check_author(&person).unwrap(), "bob");
    assert_eq!(root.required(&person), 2);
}

#[test]
fn an_agents_plan_needs_at_least_one_approval_and_its_kinds_minimum() {
    let root = load_body(body()).unwrap();
    let low = || vec![action(ActionKind::Revert, Severity::Low)];
    // The root requires none for low; an agent's plan needs one all the same.
    let person = signed(&key("bob", 2), Author::default(), low());
    assert_eq!(root.required(&person), 0);
    let bot = signed(&key("bot", 8), by_agent("bot"), low());
    assert_eq!(root.required(&bot), 1);
    let fixer = signed(&key("fixer", 9), by_agent("fixer"), low());
    assert_eq!(root.required(&fixer), 3);
    // And `check` (what apply runs) counts it: one approval by alice is too few for fixer.
    let alice = key("alice", 1);
    let token = alice
        .approve_under(&fixer.digest, NOW + time::Duration::hours(1), Some(1))
        .to_string();
    assert!(matches!(
        root.check(&fixer, None, &[token], &Applier::default(), NOW),
        Err(Denied::TooFew { required: 3, .. })
    ));
}

#[test]
fn an_agent_kind_is_forbidden_its_actions_at_apply() {
    let root = load_body(body()).unwrap();
    let fixer = key("fixer", 9);
    let delete = || vec![action(ActionKind::Delete, Severity::High)];
    let p = signed(&fixer, by_agent("fixer"), delete());
    let why = root.check_author(&p).unwrap_err();
    assert!(
        why.contains("forbids: a01 delete aws_vpc.vpc-1 (forbidden: delete)"),
        "{why}"
    );
    // An API name: an IAM call in a revert.
    let mut revert = action(ActionKind::Revert, Severity::High);
    revert.calls = vec![crate::model::plan::Call::IamDeleteInlinePolicy {
        entity: crate::model::plan::IamEntity::Role,
        name: "app".into(),
        policy_name: "p".into(),
    }];
    let p = signed(&fixer, by_agent("fixer"), vec![revert.clone()]);
    assert!(root.check_author(&p).unwrap_err().contains("iam:*"));
    // A manual action executes nothing: not forbidden.
    let mut manual = action(ActionKind::Delete, Severity::High);
    manual.status = ActionStatus::Manual;
    assert!(
        root.check_author(&signed(&fixer, by_agent("fixer"), vec![manual]))
            .is_ok()
    );
    // Another kind, and a person, may.
    assert!(
        root.check_author(&signed(&key("bot", 8), by_agent("bot"), delete()))
            .is_ok()
    );
    assert!(
        root.check_author(&signed(&key("bob", 2), Author::default(), vec![revert]))
            .is_ok()
    );
}

#[test]
fn an_agents_approval_or_denial_never_counts() {
    let root = load_body(body()).unwrap();
    let p = signed(
        &key("bob", 2),
        Author::default(),
        vec![action(ActionKind::Revert, Severity::High)],
    );
    let fixer = key("fixer", 9);
    let token = fixer
        .approve_under(&p.digest, NOW + time::Duration::hours(1), Some(1))
        .to_string();
    match root.verify_each(&p, std::slice::from_ref(&token), NOW) {
        Err(Denied::Rejected(r)) => assert_eq!(r.problem, Problem::Agent),
        other => panic!("{other:?}"),
    }
    match root.check(&p, None, &[token], &Applier::default(), NOW) {
        Err(Denied::Rejected(r)) => assert_eq!(r.problem, Problem::Agent),
        other => panic!("{other:?}"),
    }
    let denial = fixer.deny(&p.digest, "no", NOW);
    assert_eq!(root.denial_key(&p, &denial), Err(Problem::Agent));
}
