//! Planner tests: the real drifted fixture (a terraform state and an observation of the same
//! stack after out-of-band changes, see fixtures/README.md) end to end through the pure
//! stages, plus one provider-shaped case per revert kind the fixture does not drift.

use std::collections::BTreeMap;

use super::*;
use crate::error::Error;
use crate::model::plan::{Arg, Call, IamEntity, SgSource, VersionSelector};
use crate::model::{
    Address, Drift, InstanceKey, Observation, Path, RecordedResource, ScanReport, StateSource,
};
use crate::plan_file::{self, wire};

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/scenarios/drifted");

fn load() -> (Registry, Vec<RecordedState>, Observation, Vec<u8>) {
    let registry = Registry::builtin().unwrap();
    let state =
        crate::iac::read_local(&std::path::Path::new(FIXTURE).join("terraform.tfstate")).unwrap();
    let text = std::fs::read_to_string(format!("{FIXTURE}/observed.json")).unwrap();
    let (obs, key) = crate::provider::snapshot::read("observed.json", &text, None).unwrap();
    (registry, vec![state], obs, key)
}

fn scan(
    registry: &Registry,
    states: &[RecordedState],
    obs: &Observation,
    key: &[u8],
) -> ScanReport {
    let fp = |v: &Value| crate::mask::fingerprint(v, key);
    let diff = crate::diff::scan(&crate::diff::ScanInput {
        registry,
        states,
        observation: obs,
        strict: false,
        fingerprint: Some(&fp),
    });
    crate::policy::grade::grade(
        diff,
        &crate::policy::Policy::default(),
        None,
        Severity::Info,
        crate::model::Unchecked::Fail,
        time::macros::date!(2026 - 12 - 01),
    )
}

fn findings(report: &ScanReport) -> Vec<Finding> {
    report.findings.clone()
}

fn plan_fixture(options: &PlanOptions) -> (Vec<Action>, Vec<Finding>, Vec<RecordedState>) {
    let (registry, states, obs, key) = load();
    let report = scan(&registry, &states, &obs, &key);
    let findings = findings(&report);
    let pk = expectation_key(&states);
    let actions = build(&PlanInput {
        registry: &registry,
        findings: &findings,
        states: &states,
        options,
        key: &pk,
        config: None,
        observation: None,
        unit_reverts: &crate::provider::aws::unit_reverts(),
    })
    .unwrap();
    (actions, findings, states)
}

fn by_address<'a>(actions: &'a [Action], address: &str) -> Vec<&'a Action> {
    actions
        .iter()
        .filter(|a| a.address.as_ref().map(ToString::to_string).as_deref() == Some(address))
        .collect()
}

fn apis(a: &Action) -> Vec<String> {
    a.calls.iter().map(Call::api).collect()
}

#[test]
fn the_drifted_fixture_is_covered_action_by_action() {
    let (actions, findings, _) = plan_fixture(&PlanOptions::default());
    // Every finding is answered by at least one action naming it.
    for f in &findings {
        assert!(
            actions
                .iter()
                .any(|a| a.finding.id == f.drift.id && a.finding.kind == f.drift.kind),
            "no action for {:?} {}",
            f.drift.kind,
            f.drift.id
        );
    }
    // Ids follow the order; executed actions come before manual ones.
    for (i, a) in actions.iter().enumerate() {
        assert_eq!(a.id, format!("a{:02}", i + 1));
    }
    let first_manual = actions
        .iter()
        .position(|a| a.status == ActionStatus::Manual)
        .unwrap();
    assert!(
        actions[first_manual..]
            .iter()
            .all(|a| a.status == ActionStatus::Manual)
    );

    // A VPC tag edited: CreateTags with the recorded value.
    let vpc = by_address(&actions, "aws_vpc.main");
    assert_eq!(vpc.len(), 1);
    assert_eq!(vpc[0].status, ActionStatus::Planned);
    assert_eq!(
        vpc[0].calls,
        vec![Call::Ec2CreateTags {
            resource_id: "vpc-b8fd61646a8157153".into(),
            tags: BTreeMap::from([("team".into(), Arg::text("core"))]),
        }]
    );
    assert_eq!(vpc[0].changes[0].path.to_string(), "tags.team");
    assert_eq!(vpc[0].changes[0].now, Value::str("edge"));
    assert_eq!(vpc[0].changes[0].target, Value::str("core"));

    // An inline rule revoked out of band: authorize exactly it again.
    let web = by_address(&actions, "aws_security_group.web");
    assert_eq!(web.len(), 1);
    match &web[0].calls[..] {
        [Call::Ec2AuthorizeSecurityGroupIngress { group_id, rule }] => {
            assert_eq!(group_id, "sg-3b2faadf21bc52ef9");
            assert_eq!(rule.protocol, "tcp");
            assert_eq!((rule.from_port, rule.to_port), (Some(443), Some(443)));
            assert_eq!(rule.source, SgSource::CidrIpv4("10.0.0.0/8".into()));
        }
        other => panic!("{other:?}"),
    }

    // One of two CIDR blocks of an aws_security_group_rule revoked: authorize that one only.
    let db_in = by_address(&actions, "aws_security_group_rule.db_in");
    match &db_in[0].calls[..] {
        [Call::Ec2AuthorizeSecurityGroupIngress { group_id, rule }] => {
            assert_eq!(group_id, "sg-48e8529cc3f1356d5");
            assert_eq!(rule.source, SgSource::CidrIpv4("10.1.0.0/16".into()));
            assert_eq!((rule.from_port, rule.to_port), (Some(5432), Some(5432)));
        }
        other => panic!("{other:?}"),
    }

    // The instance type: disruptive, so manual without --allow-disruptive.
    let worker = by_address(&actions, "aws_instance.worker[\"a\"]");
    assert_eq!(worker[0].status, ActionStatus::Manual);
    assert!(worker[0].calls.is_empty());
    assert_eq!(
        worker[0].manual_command.as_deref(),
        Some("terraform apply -target='aws_instance.worker[\"a\"]'")
    );
    assert!(worker[0].reason.contains("--allow-disruptive"));

    // A managed policy's default version changed: a new default version with the document as
    // the state writes it (not the canonical, lowercased form), within the five-version limit.
    let policy = by_address(&actions, "aws_iam_policy.p");
    assert_eq!(
        apis(policy[0]),
        vec!["iam:DeletePolicyVersion", "iam:CreatePolicyVersion"]
    );
    let (_, _, states) = plan_fixture(&PlanOptions::default());
    let recorded_doc = states[0]
        .resources
        .iter()
        .find(|r| r.address.to_string() == "aws_iam_policy.p")
        .unwrap()
        .attributes["policy"]
        .clone();
    match &policy[0].calls[..] {
        [
            Call::IamDeletePolicyVersion { version, .. },
            Call::IamCreatePolicyVersion {
                document,
                set_as_default,
                policy_arn,
            },
        ] => {
            assert_eq!(*version, VersionSelector::OldestNonDefaultAtLimit);
            assert!(set_as_default);
            assert_eq!(policy_arn, "arn:aws:iam::123456789012:policy/p");
            assert_eq!(document, &Arg::Value(recorded_doc));
        }
        other => panic!("{other:?}"),
    }

    // An inline role policy changed: PutRolePolicy on its role.
    let inline = by_address(&actions, "aws_iam_role_policy.app_inline");
    match &inline[0].calls[..] {
        [
            Call::IamPutInlinePolicy {
                entity,
                name,
                policy_name,
                ..
            },
        ] => {
            assert_eq!(*entity, IamEntity::Role);
            assert_eq!(name, "app");
            assert_eq!(policy_name, "inline");
        }
        other => panic!("{other:?}"),
    }

    // A detached user policy: re-attached through the SDK.
    let ua = by_address(&actions, "aws_iam_user_policy_attachment.ua");
    assert_eq!(ua[0].kind, ActionKind::Recreate);
    assert_eq!(
        ua[0].calls,
        vec![Call::IamAttachPolicy {
            entity: IamEntity::User,
            name: "deploy".into(),
            policy_arn: "arn:aws:iam::123456789012:policy/p".into(),
        }]
    );
    assert_eq!(ua[0].expect, vec![Expect::Absent]);

    // Unmanaged objects: manual import, with the command a person runs.
    let rogue = actions
        .iter()
        .find(|a| a.address.is_none() && a.resource_id == "rogue")
        .unwrap();
    assert_eq!(rogue.kind, ActionKind::Import);
    assert_eq!(rogue.status, ActionStatus::Manual);
    assert_eq!(
        rogue.manual_command.as_deref(),
        Some("terraform import aws_iam_role.rogue rogue")
    );
    assert_eq!(rogue.expect, vec![Expect::Present]);
}

#[test]
fn allow_disruptive_plans_stop_modify_start() {
    let options = PlanOptions {
        allow_disruptive: true,
        ..PlanOptions::default()
    };
    let (actions, _, _) = plan_fixture(&options);
    let worker = by_address(&actions, "aws_instance.worker[\"a\"]");
    assert_eq!(worker[0].status, ActionStatus::Planned);
    assert_eq!(
        apis(worker[0]),
        vec![
            "ec2:StopInstances",
            "ec2:ModifyInstanceAttribute",
            "ec2:StartInstances"
        ]
    );
    match &worker[0].calls[1] {
        Call::Ec2ModifyInstanceAttribute {
            attribute, value, ..
        } => {
            assert_eq!(attribute, "instanceType");
            assert_eq!(value, &Arg::text("t3.micro"));
        }
        other => panic!("{other:?}"),
    }
    // Disruptive reverts run after every other planned revert and re-creation.
    let pos = |id: &str| actions.iter().position(|a| a.id == id).unwrap();
    let last_planned = actions
        .iter()
        .rposition(|a| a.status == ActionStatus::Planned)
        .unwrap();
    assert_eq!(pos(&worker[0].id), last_planned);
}

#[test]
fn same_inputs_same_plan_and_digest_apart_from_times() {
    let (a, mut findings, states) = plan_fixture(&PlanOptions::default());
    let (b, _, _) = plan_fixture(&PlanOptions::default());
    assert_eq!(a, b);
    // Input order does not matter either.
    findings.reverse();
    let (registry, ..) = load();
    let key = expectation_key(&states);
    let c = build(&PlanInput {
        registry: &registry,
        findings: &findings,
        states: &states,
        options: &PlanOptions::default(),
        key: &key,
        config: None,
        observation: None,
        unit_reverts: &crate::provider::aws::unit_reverts(),
    })
    .unwrap();
    assert_eq!(a, c);
    let t0 = time::macros::datetime!(2026-12-01 10:00:00 UTC);
    let seal_at = |t, actions: Vec<Action>| {
        seal(
            actions,
            Inputs::default(),
            Author {
                actor: "alice".into(),
                aws_caller_arn: None,
                ..Author::default()
            },
            t,
            time::Duration::hours(24),
        )
    };
    let p1 = seal_at(t0, a.clone());
    let p2 = seal_at(t0, c);
    assert_eq!(p1.digest, p2.digest);
    assert!(p1.digest.starts_with("sha256:"));
    // Only the times differ between two runs; the digest covers them.
    let p3 = seal_at(t0 + time::Duration::minutes(1), a);
    assert_eq!(p1.actions, p3.actions);
    assert_ne!(p1.digest, p3.digest);
}

#[test]
fn targets_and_severity_narrow_the_plan() {
    let options = PlanOptions {
        targets: vec!["aws_security_group*".into(), "aws_iam_role.rogue".into()],
        ..PlanOptions::default()
    };
    let (actions, _, _) = plan_fixture(&options);
    let mut names: Vec<String> = actions
        .iter()
        .map(|a| match &a.address {
            Some(a) => a.to_string(),
            None => format!("{}.{}", a.resource_type, a.resource_id),
        })
        .collect();
    names.sort();
    assert_eq!(
        names,
        vec![
            "aws_iam_role.rogue",
            "aws_security_group.sg-deb208a1e4a99bfba",
            "aws_security_group.web",
            "aws_security_group_rule.db_in",
        ]
    );
    // Brackets in a target are literal, as in terraform addresses.
    let options = PlanOptions {
        targets: vec!["aws_instance.worker[\"a\"]".into()],
        ..PlanOptions::default()
    };
    assert_eq!(plan_fixture(&options).0.len(), 1);
    let options = PlanOptions {
        min_severity: Some(Severity::Critical),
        ..PlanOptions::default()
    };
    let (actions, _, _) = plan_fixture(&options);
    assert!(!actions.is_empty());
    assert!(
        actions
            .iter()
            .all(|a| a.finding.severity == Severity::Critical)
    );
}

// ---- provider-shaped cases the fixture does not drift --------------------------------------

fn recorded(resource_type: &str, name: &str, attrs: Vec<(&str, Value)>) -> RecordedResource {
    RecordedResource {
        address: Address::managed(resource_type, name),
        resource_type: resource_type.into(),
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        state: StateSource("terraform.tfstate".into()),
        schema_version: 0,
        attributes: attrs.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    }
}

fn change(path: Path, before: Value, after: Value) -> Change {
    Change::new(path, before, after)
}

fn plan_one(r: RecordedResource, kind: DriftKind, changes: Vec<Change>) -> Vec<Action> {
    plan_one_with(
        &Registry::builtin().unwrap(),
        &crate::provider::aws::unit_reverts(),
        r,
        kind,
        changes,
    )
}

fn plan_one_with(
    registry: &Registry,
    unit_reverts: &[&crate::model::plan::UnitRevert],
    r: RecordedResource,
    kind: DriftKind,
    changes: Vec<Change>,
) -> Vec<Action> {
    plan_one_opts(
        registry,
        unit_reverts,
        r,
        kind,
        changes,
        &PlanOptions::default(),
    )
}

fn plan_one_opts(
    registry: &Registry,
    unit_reverts: &[&crate::model::plan::UnitRevert],
    r: RecordedResource,
    kind: DriftKind,
    changes: Vec<Change>,
    options: &PlanOptions,
) -> Vec<Action> {
    let id = r.id().unwrap_or("x").to_string();
    let finding = Finding {
        drift: Drift {
            kind,
            resource_type: r.resource_type.clone(),
            id,
            address: Some(r.address.clone()),
            state: Some(r.state.clone()),
            region: Some("us-east-1".into()),
            changes,
            observed: None,
        },
        severity: Severity::High,
        rule: "r".into(),
        change_rules: Vec::new(),
        source: None,
        status: crate::model::Status::Open,
    };
    let states = vec![RecordedState {
        source: r.state.clone(),
        terraform_version: "1.11.4".into(),
        serial: 1,
        lineage: "l".into(),
        sha256: "00".into(),
        resources: vec![r],
    }];
    let key = expectation_key(&states);
    build(&PlanInput {
        registry,
        findings: &[finding],
        states: &states,
        options,
        key: &key,
        config: None,
        observation: None,
        unit_reverts,
    })
    .unwrap()
}

/// A revert a resource unit provides: the spec names it, the unit plans `UnitCall`s from the
/// recorded values, what a person reads is derived from those calls, and without the unit
/// the action is manual, saying why.
#[test]
fn a_unit_revert_plans_unit_calls_shown_as_their_effect() {
    use crate::model::plan::{RevertInput, UnitCall, UnitRevert};
    fn plan_flags(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
        Ok(input
            .changes
            .iter()
            .map(|c| {
                UnitCall::new("ec2", "ModifySubnetAttribute", &input.drift.id)
                    .arg("map_public_ip_on_launch", Arg::Value(c.before.clone()))
                    .arg("subnet_id", Arg::text(input.recorded_text("id").unwrap()))
            })
            .collect())
    }
    static FLAGS: UnitRevert = UnitRevert {
        name: "subnet_flags",
        types: &["aws_subnet"],
        plan: plan_flags,
        disruptive: false,
    };
    let files: Vec<(&str, String)> = crate::spec::SPEC_FILES
        .iter()
        .map(|(f, t)| {
            let t = if f.ends_with("/aws_subnet.hcl") {
                t.replace("\"subnet_attribute\"", "\"subnet_flags\"")
            } else {
                t.to_string()
            };
            (*f, t)
        })
        .collect();
    assert!(files.iter().any(|(_, t)| t.contains("subnet_flags")));
    let registry = Registry::from_sources(files.iter().map(|(f, t)| (*f, t.as_str()))).unwrap();
    let subnet = || recorded("aws_subnet", "a", vec![("id", Value::str("subnet-1"))]);
    let flip = || {
        vec![change(
            Path::root("map_public_ip_on_launch"),
            Value::Bool(false),
            Value::Bool(true),
        )]
    };
    let planned = plan_one_with(&registry, &[&FLAGS], subnet(), DriftKind::Changed, flip());
    let expected = UnitCall::new("ec2", "ModifySubnetAttribute", "subnet-1")
        .arg("map_public_ip_on_launch", Arg::Value(Value::Bool(false)))
        .arg("subnet_id", Arg::text("subnet-1"));
    assert_eq!(planned[0].calls, vec![Call::Unit(expected)]);
    assert_eq!(planned[0].status, ActionStatus::Planned);
    let shown = crate::plan_file::effect::action_effects(&planned[0]).join("\n");
    assert!(shown.contains("ModifySubnetAttribute"), "{shown}");
    assert!(shown.contains("map_public_ip_on_launch = false"), "{shown}");
    assert!(shown.contains("subnet_id = \"subnet-1\""), "{shown}");

    // A disruptive unit revert is not planned without --allow-disruptive, and its reason says
    // what it interrupts (not an instance's stop and start).
    static DISRUPTIVE: UnitRevert = UnitRevert {
        name: "subnet_flags",
        types: &["aws_subnet"],
        plan: plan_flags,
        disruptive: true,
    };
    let held = plan_one_with(
        &registry,
        &[&DISRUPTIVE],
        subnet(),
        DriftKind::Changed,
        flip(),
    );
    assert_eq!(held[0].status, ActionStatus::Manual);
    assert!(held[0].calls.is_empty());
    // The action records that its revert is disruptive (the unit's, not the author's word),
    // planned or not; a revert that is not says so too.
    assert!(held[0].disruptive);
    assert!(!planned[0].disruptive);
    assert!(crate::planner::guardrail::is_disruptive(&held[0]));
    let allowed = plan_one_opts(
        &registry,
        &[&DISRUPTIVE],
        subnet(),
        DriftKind::Changed,
        flip(),
        &PlanOptions {
            allow_disruptive: true,
            ..PlanOptions::default()
        },
    );
    assert_eq!(allowed[0].status, ActionStatus::Planned);
    assert!(allowed[0].disruptive);
    assert!(crate::planner::guardrail::is_disruptive(&allowed[0]));
    assert!(
        allowed[0]
            .reason
            .contains("interrupts a running workload (--allow-disruptive)"),
        "{}",
        allowed[0].reason
    );
    // It is part of the plan file, so of the digest; a plan written without it reads back
    // as not disruptive (and apply's re-plan refuses it).
    // (This test's call borrows a built-in operation's name, which the wire form reads as
    // that operation: the round trip is of the action without it.)
    let mut bare = allowed.clone();
    bare[0].calls.clear();
    let sealed = crate::planner::seal(
        bare,
        Default::default(),
        Default::default(),
        time::OffsetDateTime::UNIX_EPOCH,
        time::Duration::hours(1),
    );
    let text = plan_file::write(&sealed);
    assert!(text.contains("\"disruptive\": true"), "{text}");
    assert_eq!(
        plan_file::read("p", &text, time::OffsetDateTime::UNIX_EPOCH).unwrap(),
        sealed
    );
    let mut understated = sealed.clone();
    understated.actions[0].disruptive = false;
    assert_ne!(
        crate::plan_file::digest::digest(&understated),
        crate::plan_file::digest::digest(&sealed)
    );
    assert!(
        held[0]
            .reason
            .contains("interrupts a running workload; plan with --allow-disruptive"),
        "{}",
        held[0].reason
    );

    let without = plan_one_with(&registry, &[], subnet(), DriftKind::Changed, flip());
    assert_eq!(without[0].status, ActionStatus::Manual);
    assert!(without[0].calls.is_empty());
    assert!(
        without[0]
            .reason
            .contains("no unit provides the revert `subnet_flags` for `aws_subnet`"),
        "{}",
        without[0].reason
    );
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::str(*s)).collect())
}

fn sg_block(protocol: &str, port: i64, cidr: &str) -> Value {
    let mut m = BTreeMap::new();
    m.insert("protocol".into(), Value::str(protocol));
    m.insert("from_port".into(), Value::from(port));
    m.insert("to_port".into(), Value::from(port));
    m.insert("cidr_blocks".into(), list(&[cidr]));
    m.insert("ipv6_cidr_blocks".into(), list(&[]));
    m.insert("prefix_list_ids".into(), list(&[]));
    m.insert("security_groups".into(), list(&[]));
    m.insert("self".into(), Value::Bool(false));
    m.insert("description".into(), Value::str(""));
    Value::Map(m)
}

#[test]
fn inline_rules_revoke_the_extra_before_authorizing_the_missing() {
    let r = recorded(
        "aws_security_group",
        "web",
        vec![("id", Value::str("sg-1"))],
    );
    let recorded_rules = crate::normalize::sg::canonical_rules(
        &Value::List(vec![sg_block("tcp", 443, "10.0.0.0/8")]),
        Some("sg-1"),
    );
    let observed_rules = crate::normalize::sg::canonical_rules(
        &Value::List(vec![
            sg_block("6", 22, "0.0.0.0/0"),
            sg_block("-1", 0, "10.9.0.0/16"),
        ]),
        Some("sg-1"),
    );
    let actions = plan_one(
        r,
        DriftKind::Changed,
        vec![change(
            Path::root("ingress"),
            recorded_rules,
            observed_rules,
        )],
    );
    assert_eq!(
        apis(&actions[0]),
        vec![
            "ec2:RevokeSecurityGroupIngress",
            "ec2:RevokeSecurityGroupIngress",
            "ec2:AuthorizeSecurityGroupIngress"
        ]
    );
    let ports: Vec<_> = actions[0]
        .calls
        .iter()
        .map(|c| match c {
            Call::Ec2RevokeSecurityGroupIngress { rule, .. }
            | Call::Ec2AuthorizeSecurityGroupIngress { rule, .. } => {
                (rule.protocol.clone(), rule.from_port)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    // Protocol -1 takes no ports; protocol numbers are canonical names.
    assert!(ports.contains(&("-1".into(), None)));
    assert!(ports.contains(&("tcp".into(), Some(22))));
}

#[test]
fn vpc_subnet_and_instance_attributes_revert_in_place() {
    let vpc = plan_one(
        recorded("aws_vpc", "main", vec![("id", Value::str("vpc-1"))]),
        DriftKind::Changed,
        vec![
            change(
                Path::root("enable_dns_hostnames"),
                Value::Bool(true),
                Value::Bool(false),
            ),
            change(
                Path::root("enable_dns_support"),
                Value::Bool(true),
                Value::Bool(false),
            ),
        ],
    );
    assert_eq!(
        vpc[0].calls,
        vec![
            Call::Ec2ModifyVpcAttribute {
                vpc_id: "vpc-1".into(),
                attribute: "enableDnsHostnames".into(),
                value: true
            },
            Call::Ec2ModifyVpcAttribute {
                vpc_id: "vpc-1".into(),
                attribute: "enableDnsSupport".into(),
                value: true
            },
        ]
    );
    let subnet = plan_one(
        recorded("aws_subnet", "a", vec![("id", Value::str("subnet-1"))]),
        DriftKind::Changed,
        vec![change(
            Path::root("map_public_ip_on_launch"),
            Value::Bool(false),
            Value::Bool(true),
        )],
    );
    assert_eq!(
        subnet[0].calls,
        vec![Call::Ec2ModifySubnetAttribute {
            subnet_id: "subnet-1".into(),
            attribute: "mapPublicIpOnLaunch".into(),
            value: false
        }]
    );
    let instance = plan_one(
        recorded(
            "aws_instance",
            "w",
            vec![
                ("id", Value::str("i-1")),
                ("source_dest_check", Value::Bool(true)),
                ("vpc_security_group_ids", list(&["sg-2", "sg-1"])),
                ("ami", Value::str("ami-1")),
            ],
        ),
        DriftKind::Changed,
        vec![
            change(Path::root("ami"), Value::str("ami-1"), Value::str("ami-2")),
            change(
                Path::root("monitoring"),
                Value::Bool(false),
                Value::Bool(true),
            ),
            change(
                Path::root("source_dest_check"),
                Value::Bool(true),
                Value::Bool(false),
            ),
            change(
                Path::root("vpc_security_group_ids"),
                list(&["sg-1", "sg-2"]),
                list(&["sg-1", "sg-9"]),
            ),
        ],
    );
    let planned: Vec<Vec<String>> = instance
        .iter()
        .filter(|a| a.status == ActionStatus::Planned)
        .map(apis)
        .collect();
    assert!(planned.contains(&vec!["ec2:UnmonitorInstances".to_string()]));
    assert!(planned.contains(&vec![
        "ec2:ModifyInstanceAttribute".to_string(),
        "ec2:ModifyInstanceAttribute".to_string()
    ]));
    // An immutable attribute: terraform replaces the resource.
    let replace = instance
        .iter()
        .find(|a| a.status == ActionStatus::Manual)
        .unwrap();
    assert_eq!(
        replace.manual_command.as_deref(),
        Some("terraform apply -replace=aws_instance.w")
    );
    assert_eq!(replace.changes[0].path.to_string(), "ami");
}

#[test]
fn iam_role_attributes_revert_in_place() {
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let inline = |name: &str, policy: &str| {
        Value::Map(BTreeMap::from([
            ("name".to_string(), Value::str(name)),
            ("policy".to_string(), Value::str(policy)),
        ]))
    };
    let r = recorded(
        "aws_iam_role",
        "app",
        vec![
            ("id", Value::str("app")),
            ("assume_role_policy", Value::str(trust)),
            ("description", Value::str("the app")),
            ("max_session_duration", Value::from(3600)),
            ("permissions_boundary", Value::str("")),
            ("inline_policy", Value::List(vec![inline("keep", doc)])),
        ],
    );
    let actions = plan_one(
        r,
        DriftKind::Changed,
        vec![
            change(
                Path::root("assume_role_policy"),
                Value::str("canonical-recorded"),
                Value::str("canonical-observed"),
            ),
            change(
                Path::root("description"),
                Value::str("the app"),
                Value::str("hacked"),
            ),
            change(
                Path::root("inline_policy"),
                Value::List(vec![inline("keep", "c1")]),
                Value::List(vec![inline("evil", "c2"), inline("keep", "c3")]),
            ),
            change(
                Path::root("managed_policy_arns"),
                list(&["arn:aws:iam::aws:policy/ReadOnlyAccess"]),
                list(&["arn:aws:iam::aws:policy/AdministratorAccess"]),
            ),
            change(
                Path::root("permissions_boundary"),
                Value::str(""),
                Value::str("arn:aws:iam::1:policy/b"),
            ),
        ],
    );
    let all: Vec<String> = actions.iter().flat_map(apis).collect();
    for api in [
        "iam:UpdateAssumeRolePolicy",
        "iam:UpdateRole",
        "iam:DeleteRolePolicy",
        "iam:PutRolePolicy",
        "iam:DetachRolePolicy",
        "iam:AttachRolePolicy",
        "iam:DeleteRolePermissionsBoundary",
    ] {
        assert!(all.contains(&api.to_string()), "{api} in {all:?}");
    }
    let calls: Vec<&Call> = actions.iter().flat_map(|a| &a.calls).collect();
    // Documents are restored as the state writes them.
    assert!(calls.contains(&&Call::IamUpdateAssumeRolePolicy {
        role_name: "app".into(),
        document: Arg::text(trust),
    }));
    assert!(calls.contains(&&Call::IamPutInlinePolicy {
        entity: IamEntity::Role,
        name: "app".into(),
        policy_name: "keep".into(),
        document: Arg::text(doc),
    }));
    assert!(calls.contains(&&Call::IamUpdateRole {
        role_name: "app".into(),
        description: Some(Arg::text("the app")),
        max_session_duration: None,
    }));
    // Detach and delete (tightening) come before attach and put within one action.
    let managed = actions
        .iter()
        .find(|a| apis(a).contains(&"iam:DetachRolePolicy".to_string()))
        .unwrap();
    assert_eq!(
        apis(managed),
        vec!["iam:DetachRolePolicy", "iam:AttachRolePolicy"]
    );
}

#[test]
fn a_vpc_rule_is_modified_and_a_missing_one_is_left_to_terraform() {
    let r = recorded(
        "aws_vpc_security_group_ingress_rule",
        "https",
        vec![
            ("id", Value::str("sgr-1")),
            ("security_group_id", Value::str("sg-1")),
            ("ip_protocol", Value::str("tcp")),
            ("from_port", Value::from(443)),
            ("to_port", Value::from(443)),
            ("cidr_ipv4", Value::str("10.0.0.0/8")),
            ("description", Value::Null),
        ],
    );
    let changed = plan_one(
        r.clone(),
        DriftKind::Changed,
        vec![change(
            Path::root("cidr_ipv4"),
            Value::str("10.0.0.0/8"),
            Value::str("0.0.0.0/0"),
        )],
    );
    match &changed[0].calls[..] {
        [
            Call::Ec2ModifySecurityGroupRules {
                group_id,
                rule_id,
                rule,
            },
        ] => {
            assert_eq!((group_id.as_str(), rule_id.as_str()), ("sg-1", "sgr-1"));
            assert_eq!(rule.source, SgSource::CidrIpv4("10.0.0.0/8".into()));
        }
        other => panic!("{other:?}"),
    }
    // Its id is terraform's: an SDK re-creation would get another, so terraform re-creates it.
    let missing = plan_one(r, DriftKind::Missing, vec![]);
    assert_eq!(missing[0].status, ActionStatus::Manual);
    assert_eq!(
        missing[0].manual_command.as_deref(),
        Some("terraform apply -target=aws_vpc_security_group_ingress_rule.https")
    );
}

#[test]
fn a_missing_rule_resource_is_re_created_source_by_source() {
    let r = recorded(
        "aws_security_group_rule",
        "db",
        vec![
            ("id", Value::str("sgrule-1")),
            ("security_group_id", Value::str("sg-1")),
            ("type", Value::str("egress")),
            ("protocol", Value::str("-1")),
            ("from_port", Value::from(0)),
            ("to_port", Value::from(0)),
            ("cidr_blocks", list(&["10.1.0.0/16", "10.0.0.0/16"])),
            ("self", Value::Bool(true)),
        ],
    );
    let actions = plan_one(r, DriftKind::Missing, vec![]);
    assert_eq!(actions[0].status, ActionStatus::Planned);
    let sources: Vec<SgSource> = actions[0]
        .calls
        .iter()
        .map(|c| match c {
            Call::Ec2AuthorizeSecurityGroupEgress { rule, group_id } => {
                assert_eq!(group_id, "sg-1");
                assert_eq!(rule.from_port, None);
                rule.source.clone()
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        sources,
        vec![
            SgSource::CidrIpv4("10.0.0.0/16".into()),
            SgSource::CidrIpv4("10.1.0.0/16".into()),
            SgSource::Group("sg-1".into()),
        ]
    );
}

#[test]
fn an_attachment_whose_role_is_missing_too_is_left_to_terraform() {
    let registry = Registry::builtin().unwrap();
    let role = recorded("aws_iam_role", "app", vec![("id", Value::str("app"))]);
    let att = recorded(
        "aws_iam_role_policy_attachment",
        "a",
        vec![
            ("id", Value::str("app-2024")),
            ("role", Value::str("app")),
            (
                "policy_arn",
                Value::str("arn:aws:iam::aws:policy/ReadOnlyAccess"),
            ),
        ],
    );
    let missing = |r: &RecordedResource, id: &str| Finding {
        drift: Drift {
            kind: DriftKind::Missing,
            resource_type: r.resource_type.clone(),
            id: id.into(),
            address: Some(r.address.clone()),
            state: Some(r.state.clone()),
            region: None,
            changes: vec![],
            observed: None,
        },
        severity: Severity::High,
        rule: "resource_missing".into(),
        change_rules: vec![],
        source: None,
        status: crate::model::Status::Open,
    };
    let findings = vec![
        missing(&role, "app"),
        missing(&att, "app/arn:aws:iam::aws:policy/ReadOnlyAccess"),
    ];
    let states = vec![RecordedState {
        source: role.state.clone(),
        terraform_version: "1.11.4".into(),
        serial: 1,
        lineage: "l".into(),
        sha256: "00".into(),
        resources: vec![role, att],
    }];
    let key = expectation_key(&states);
    let actions = build(&PlanInput {
        registry: &registry,
        findings: &findings,
        states: &states,
        options: &PlanOptions::default(),
        key: &key,
        config: None,
        observation: None,
        unit_reverts: &crate::provider::aws::unit_reverts(),
    })
    .unwrap();
    assert!(actions.iter().all(|a| a.status == ActionStatus::Manual));
    let att = actions
        .iter()
        .find(|a| a.resource_type == "aws_iam_role_policy_attachment")
        .unwrap();
    assert!(att.reason.contains("aws_iam_role.app"), "{}", att.reason);
}

/// The IAM user `deploy` whose recorded `secret` tag is sensitive, and the finding that the
/// cloud rotated it (`key`: the instance key of its address, if it has one).
fn secret_tag_drift(key: Option<InstanceKey>) -> (RecordedResource, Finding) {
    let secret = Value::sensitive(Value::str("hunter2-recorded"));
    let mut r = recorded(
        "aws_iam_user",
        "deploy",
        vec![
            ("id", Value::str("deploy")),
            (
                "tags",
                Value::Map(BTreeMap::from([("secret".to_string(), secret.clone())])),
            ),
        ],
    );
    if let Some(key) = key {
        r.address = r.address.with_key(key);
    }
    let finding = Finding {
        drift: Drift {
            kind: DriftKind::Changed,
            resource_type: "aws_iam_user".into(),
            id: "deploy".into(),
            address: Some(r.address.clone()),
            state: Some(r.state.clone()),
            region: None,
            changes: vec![change(
                Path::root("tags").key("secret"),
                secret,
                Value::sensitive(Value::str("rotated-observed")),
            )],
            observed: None,
        },
        severity: Severity::Low,
        rule: "tags_changed".into(),
        change_rules: vec![],
        source: None,
        status: crate::model::Status::Open,
    };
    (r, finding)
}

/// A sensitive recorded tag (the live stack's `secret` tag comes from a sensitive variable):
/// the plan refers to the state for it and holds only fingerprints.
fn secret_plan() -> (Plan, RecordedState) {
    let registry = Registry::builtin().unwrap();
    let (r, finding) = secret_tag_drift(Some(InstanceKey::Int(0)));
    let state = RecordedState {
        source: r.state.clone(),
        terraform_version: "1.11.4".into(),
        serial: 3,
        lineage: "l".into(),
        sha256: "ab".repeat(32),
        resources: vec![r],
    };
    let states = vec![state.clone()];
    let key = expectation_key(&states);
    let actions = build(&PlanInput {
        registry: &registry,
        findings: &[finding],
        states: &states,
        options: &PlanOptions::default(),
        key: &key,
        config: None,
        observation: None,
        unit_reverts: &crate::provider::aws::unit_reverts(),
    })
    .unwrap();
    let plan = seal(
        actions,
        Inputs {
            states: vec![crate::model::plan::StateInput {
                source: state.source.clone(),
                lineage: "l".into(),
                serial: 3,
                sha256: state.sha256.clone(),
            }],
            ..Inputs::default()
        },
        Author {
            actor: "alice".into(),
            aws_caller_arn: None,
            ..Author::default()
        },
        time::macros::datetime!(2026-12-01 10:00:00 UTC),
        time::Duration::hours(1),
    );
    (plan, state)
}

#[test]
fn a_sensitive_value_is_restored_from_the_state_and_never_written() {
    let (plan, state) = secret_plan();
    let a = &plan.actions[0];
    assert_eq!(a.status, ActionStatus::Planned);
    match &a.calls[..] {
        [Call::IamTag { entity, name, tags }] => {
            assert_eq!((*entity, name.as_str()), (IamEntity::User, "deploy"));
            match &tags["secret"] {
                Arg::FromState(r) => {
                    assert_eq!(r.state, state.source);
                    assert_eq!(r.address.to_string(), "aws_iam_user.deploy[0]");
                    assert_eq!(r.path.to_string(), "tags.secret");
                }
                other => panic!("a secret in the plan: {other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    let text = plan_file::write(&plan);
    for secret in ["hunter2-recorded", "rotated-observed"] {
        assert!(!text.contains(secret), "{secret} in the plan file");
    }
    assert!(text.contains("\"from_state\""));
    // The fingerprints are keyed by the state's content: not a plain hash of the secret.
    assert!(!text.contains(&crate::mask::fingerprint(
        &Value::str("rotated-observed"),
        b""
    )));
    let json = crate::render::plan_summary::render_json(&plan, "p.json", None, None);
    let table = crate::render::plan_summary::render_table(&plan, "p.json", None, None, None);
    for out in [json, table] {
        assert!(
            !out.contains("hunter2") && !out.contains("rotated"),
            "{out}"
        );
    }
}

// ---- the plan file ------------------------------------------------------------------------

fn fixture_plan() -> Plan {
    let (actions, _, states) = plan_fixture(&PlanOptions::default());
    seal(
        actions,
        Inputs {
            states: states
                .iter()
                .map(|s| crate::model::plan::StateInput {
                    source: s.source.clone(),
                    lineage: s.lineage.clone(),
                    serial: s.serial,
                    sha256: s.sha256.clone(),
                })
                .collect(),
            configuration: None,
            policy: Some("cd".repeat(32)),
            observation: Some("ef".repeat(32)),
            trust_root: None,
        },
        Author {
            actor: "alice".into(),
            aws_caller_arn: None,
            ..Author::default()
        },
        time::macros::datetime!(2026-12-01 10:00:00.5 UTC),
        time::Duration::hours(24),
    )
}

#[test]
fn the_plan_file_round_trips_and_checks_its_digest() {
    let before = time::macros::datetime!(2026-12-01 11:00:00 UTC);
    for plan in [fixture_plan(), secret_plan().0] {
        let text = plan_file::write(&plan);
        let back = plan_file::read("p.json", &text, plan.created_at).unwrap();
        assert_eq!(back, plan);
        assert_eq!(plan_file::write(&back), text);
        // The digest is the one of the file's content.
        assert_eq!(digest::digest(&back), plan.digest);
    }
    let plan = fixture_plan();
    assert_eq!(
        plan.created_at,
        time::macros::datetime!(2026-12-01 10:00:00 UTC)
    );
    let text = plan_file::write(&plan);
    assert!(plan_file::read("p.json", &text, before).is_ok());

    // Any edit is refused, even one that keeps the JSON valid and the structure intact.
    let tampered = text.replacen("10.1.0.0/16", "0.0.0.0/0", 1);
    assert_ne!(tampered, text);
    let err = plan_file::read("p.json", &tampered, before).unwrap_err();
    assert!(matches!(err, Error::PlanTampered { .. }), "{err:?}");
    assert!(err.to_string().contains("was changed after it was planned"));
    let demoted = text.replacen("\"status\": \"planned\"", "\"status\": \"manual\"", 1);
    assert!(matches!(
        plan_file::read("p.json", &demoted, before),
        Err(Error::PlanTampered { .. })
    ));
    // Re-indenting is not an edit: the digest is over the canonical form.
    let compact =
        serde_json::to_string(&serde_json::from_str::<serde_json::Value>(&text).unwrap()).unwrap();
    assert!(plan_file::read("p.json", &compact, before).is_ok());
}

#[test]
fn the_plan_file_refuses_expired_and_unknown_versions() {
    let plan = fixture_plan();
    let text = plan_file::write(&plan);
    let at_expiry = plan.expires_at;
    let err = plan_file::read("p.json", &text, at_expiry).unwrap_err();
    assert!(matches!(err, Error::PlanExpired { .. }), "{err:?}");
    assert!(err.to_string().contains("expired at 2026-12-02T10:00:00Z"));
    let v2 = text.replacen("\"format_version\": 1", "\"format_version\": 2", 1);
    assert!(matches!(
        plan_file::read("p.json", &v2, plan.created_at),
        Err(Error::PlanVersion { .. })
    ));
    assert!(matches!(
        plan_file::read("p.json", "{ not json", plan.created_at),
        Err(Error::PlanInvalid { .. })
    ));
}

#[test]
fn the_plan_file_follows_its_schema() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/plan.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let options = PlanOptions {
        allow_disruptive: true,
        ..PlanOptions::default()
    };
    let (mut actions, _, _) = plan_fixture(&options);
    actions.extend(secret_plan().0.actions);
    let plan = seal(
        actions,
        fixture_plan().inputs,
        Author::default(),
        time::macros::datetime!(2026-12-01 10:00:00 UTC),
        time::Duration::hours(1),
    );
    let v: serde_json::Value = serde_json::from_str(&plan_file::write(&plan)).unwrap();
    schema_check(&schema, &schema, &v, "$");
    // So does the plan with one call of every kind.
    let every: serde_json::Value =
        serde_json::from_str(&plan_file::write(&every_call_plan())).unwrap();
    schema_check(&schema, &schema, &every, "$");
    // A resource unit's call follows `unit_call`; a malformed one matches no kind of call.
    let unit = wire::call_to_json(&Call::Unit(
        crate::model::plan::UnitCall::new("ec2", "CreateRoute", "rtb-1")
            .arg("gateway_id", Arg::text("igw-1")),
    ));
    schema_check(&schema["$defs"]["call"], &schema, &unit, "unit");
    let mut bad = unit.clone();
    bad["api"] = "ec2:create_route".into();
    assert!(schema_errors(&schema["$defs"]["call"], &schema, &bad, "bad").is_err());
    let mut extra = unit;
    extra["effect"] = "adds a tag".into();
    assert!(schema_errors(&schema["$defs"]["call"], &schema, &extra, "extra").is_err());
    // The schema lists exactly the operations the wire form reads.
    let apis = schema["$defs"]["builtin_call"]["properties"]["api"]["enum"]
        .as_array()
        .unwrap();
    let mut listed: Vec<&str> = apis.iter().filter_map(|a| a.as_str()).collect();
    let mut read = wire::APIS.to_vec();
    listed.sort_unstable();
    read.sort_unstable();
    assert_eq!(listed, read);
    // Every API name a call can print is in the schema's list.
    for a in &plan.actions {
        for c in &a.calls {
            assert!(
                apis.contains(&serde_json::Value::from(c.api())),
                "{}",
                c.api()
            );
        }
    }
}

/// A small JSON Schema checker (types, enum, const, required, properties,
/// additionalProperties, items, local `$ref`): enough for the plan schema.
fn schema_check(
    schema: &serde_json::Value,
    root: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
) {
    if let Err(e) = schema_errors(schema, root, v, at) {
        panic!("{e}");
    }
}

/// A small JSON Schema validator (the keywords docs/*.schema.json use), `Err` at the first
/// violation.
fn schema_errors(
    schema: &serde_json::Value,
    root: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
) -> Result<(), String> {
    macro_rules! ensure {
        ($ok:expr, $($why:tt)*) => {
            if !$ok {
                return Err(format!($($why)*));
            }
        };
    }
    let schema = match schema.get("$ref").and_then(|r| r.as_str()) {
        Some(r) => &root["$defs"][r.strip_prefix("#/$defs/").expect("local refs only")],
        None => schema,
    };
    if let Some(branches) = schema.get("anyOf").and_then(|b| b.as_array()) {
        let errors: Vec<String> = branches
            .iter()
            .filter_map(|b| schema_errors(b, root, v, at).err())
            .collect();
        ensure!(
            errors.len() < branches.len(),
            "{at}: matches no branch of anyOf: {}",
            errors.join("; ")
        );
    }
    if let Some(types) = schema.get("type") {
        let names: Vec<&str> = match types {
            serde_json::Value::String(s) => vec![s.as_str()],
            serde_json::Value::Array(a) => a.iter().filter_map(|t| t.as_str()).collect(),
            _ => vec![],
        };
        let ok = names.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        ensure!(ok, "{at}: {v} is not of type {types}");
    }
    if let Some(values) = schema.get("enum").and_then(|e| e.as_array()) {
        ensure!(values.contains(v), "{at}: {v} not in {values:?}");
    }
    if let Some(c) = schema.get("const") {
        ensure!(c == v, "{at}: {v} is not {c}");
    }
    if let (Some(pattern), Some(text)) =
        (schema.get("pattern").and_then(|p| p.as_str()), v.as_str())
    {
        let re = regex_automata::meta::Regex::new(pattern).expect("the schema pattern compiles");
        ensure!(re.is_match(text), "{at}: {text:?} does not match {pattern}");
    }
    if let (Some(items), Some(a)) = (schema.get("items"), v.as_array()) {
        for (i, x) in a.iter().enumerate() {
            schema_errors(items, root, x, &format!("{at}[{i}]"))?;
        }
    }
    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            ensure!(obj.contains_key(r), "{at}: missing required `{r}`");
        }
        let props = schema.get("properties").and_then(|p| p.as_object());
        for (k, child) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => schema_errors(s, root, child, &format!("{at}.{k}"))?,
                None => match schema.get("additionalProperties") {
                    Some(serde_json::Value::Bool(false)) => {
                        return Err(format!("{at}: `{k}` is not in the schema"));
                    }
                    Some(s @ serde_json::Value::Object(_)) => {
                        schema_errors(s, root, child, &format!("{at}.{k}"))?
                    }
                    _ => {}
                },
            }
        }
    }
    Ok(())
}

#[test]
fn every_call_round_trips_through_json() {
    let (plan, _) = secret_plan();
    let mut calls: Vec<Call> = plan.actions.iter().flat_map(|a| a.calls.clone()).collect();
    let options = PlanOptions {
        allow_disruptive: true,
        ..PlanOptions::default()
    };
    calls.extend(plan_fixture(&options).0.into_iter().flat_map(|a| a.calls));
    for c in calls {
        let j = wire::call_to_json(&c);
        assert_eq!(wire::call_from_json(&j).unwrap(), c, "{j}");
    }
    // An unknown parameter is refused: an executor must not skip what it does not know.
    let mut j = wire::call_to_json(&Call::Ec2StopInstances {
        instance_id: "i-1".into(),
    });
    j["force"] = true.into();
    assert!(wire::call_from_json(&j).unwrap_err().contains("force"));
}

#[test]
fn addresses_parse_back() {
    for a in [
        "aws_vpc.main",
        "aws_instance.worker[\"a\"]",
        "module.net.aws_subnet.app[1]",
        "module.a[\"k\\\"q\"].module.b[0].aws_vpc.x",
        "data.aws_vpc.x",
    ] {
        assert_eq!(wire::parse_address(a).unwrap().to_string(), a);
    }
    assert!(wire::parse_address("nonsense").is_err());
    assert!(wire::parse_address("aws_vpc.x[").is_err());
}

#[test]
fn shell_words_are_quoted_when_needed() {
    assert_eq!(shell_word("aws_vpc.main"), "aws_vpc.main");
    assert_eq!(
        shell_word("aws_instance.worker[\"a\"]"),
        "'aws_instance.worker[\"a\"]'"
    );
    assert_eq!(shell_word("it's"), "'it'\\''s'");
}

#[test]
fn guarded_and_delete_plans_follow_the_schema_and_a_tampered_status_is_caught() {
    use crate::model::plan::{ActionKind, ActionStatus};
    use crate::planner::guardrail::{Effect, Guardrail, guard};
    use crate::policy::pattern::Pattern;
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/plan.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let options = PlanOptions {
        delete_unmanaged: true,
        ..PlanOptions::default()
    };
    let (mut actions, _, _) = plan_fixture(&options);
    assert!(
        actions.iter().any(|a| a.kind == ActionKind::Delete),
        "--delete-unmanaged plans deletions"
    );
    assert!(!actions.iter().any(|a| a.kind == ActionKind::Import));
    let rail = |name: &str, ty: &str, effect| Guardrail {
        name: name.into(),
        resource_types: vec![Pattern::new(ty).unwrap()],
        addresses: vec![],
        tags: Default::default(),
        actions: vec![],
        min_severity: None,
        effect,
        reason: format!("{name} says no"),
        source: "driftgate.hcl:1".into(),
    };
    let mut rails = crate::planner::guardrail::in_force(&[]);
    rails.push(rail("iam-frozen", "aws_iam_*", Effect::Deny));
    rails.push(rail("vpc-two", "aws_vpc", Effect::RequireApprovals(2)));
    guard(&mut actions, &rails, &|_| Default::default());
    assert!(actions.iter().any(|a| a.status == ActionStatus::Blocked));
    let plan = seal(
        actions,
        fixture_plan().inputs,
        Author::default(),
        time::macros::datetime!(2026-12-01 10:00:00 UTC),
        time::Duration::hours(1),
    );
    let text = plan_file::write(&plan);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    schema_check(&schema, &schema, &v, "$");
    let now = time::macros::datetime!(2026-12-01 10:30:00 UTC);
    assert_eq!(
        plan_file::read("p", &text, now).unwrap(),
        plan,
        "round trip"
    );
    let tampered = text.replacen("\"blocked\"", "\"planned\"", 1);
    assert!(matches!(
        plan_file::read("p", &tampered, now),
        Err(Error::PlanTampered { .. })
    ));
}

/// Accepting a rotated secret is manual from the start: no configuration edit carries the
/// cloud's secret (whatever a guardrail later decides about the action, the plan never holds
/// a `Set` of it, not even as a fingerprint).
#[test]
fn accepting_a_secret_is_manual_and_no_edit_carries_it() {
    let registry = Registry::builtin().unwrap();
    let (r, finding) = secret_tag_drift(None);
    let dir = tempfile::tempdir().unwrap();
    let main_tf = "resource \"aws_iam_user\" \"deploy\" {\n  name = \"deploy\"\n  tags = { secret = \"x\" }\n}\n";
    std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
    let configuration = crate::iac::config::load_config(dir.path()).unwrap();
    let files = BTreeMap::from([("main.tf".to_string(), main_tf.to_string())]);
    let states = vec![RecordedState {
        source: r.state.clone(),
        terraform_version: "1.11.4".into(),
        serial: 1,
        lineage: "l".into(),
        sha256: "00".into(),
        resources: vec![r],
    }];
    let key = expectation_key(&states);
    let actions = build(&PlanInput {
        registry: &registry,
        findings: &[finding],
        states: &states,
        options: &PlanOptions {
            accept: vec!["aws_iam_user.*".into()],
            ..PlanOptions::default()
        },
        key: &key,
        config: Some(ConfigInput {
            configuration: &configuration,
            files: &files,
        }),
        observation: None,
        unit_reverts: &crate::provider::aws::unit_reverts(),
    })
    .unwrap();
    assert_eq!(actions.len(), 1);
    let a = &actions[0];
    assert_eq!(a.kind, crate::model::plan::ActionKind::Accept);
    assert_eq!(a.status, ActionStatus::Manual);
    assert!(a.calls.is_empty(), "{:?}", a.calls);
    assert!(a.reason.contains("is a secret"), "{}", a.reason);
    assert!(
        a.manual_command
            .as_deref()
            .is_some_and(|c| c.starts_with("edit main.tf:1")),
        "{:?}",
        a.manual_command
    );
}

/// `plan --format json`'s output follows `$defs/plan_output` (with `next_step`) of the plan
/// schema, and its `next_step` names the approvers who may sign (never the author) and the
/// apply command with one placeholder per approval required.
#[test]
fn the_plan_output_and_its_next_step_follow_the_schema() {
    use crate::approval::{ApprovalRule, Approver, KeyFile};
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/docs/plan.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let mut plan = fixture_plan();
    plan.author.actor = "carol".into();
    let approver = |n: &str, seed: u8| {
        (
            n.to_string(),
            Approver {
                key: KeyFile::from_seed(n, [seed; 32]).public(),
                aws_principal: None,
            },
        )
    };
    let rule = ApprovalRule {
        required: 2,
        approvers: [
            approver("alice", 1),
            approver("bob", 2),
            approver("carol", 3),
        ]
        .into_iter()
        .collect(),
        min_severity: None,
        source: "driftgate.hcl:1".into(),
    };
    for rule in [None, Some(&rule)] {
        let out = crate::render::plan_summary::render_json(&plan, "p.json", None, rule);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        schema_check(&schema["$defs"]["plan_output"], &schema, &v, "$");
        schema_check(&schema, &schema, &v["plan"], "$.plan");
        let next = &v["next_step"];
        if rule.is_none() {
            assert_eq!(next["approvals_required"], 0);
            assert_eq!(next["approve_commands"], serde_json::json!([]));
            assert_eq!(
                next["apply_command"],
                format!(
                    "driftgate apply p.json --approve {}",
                    digest::token(&plan.digest)
                )
            );
        } else {
            assert_eq!(next["approvals_required"], 2);
            assert_eq!(next["approvers"], serde_json::json!(["alice", "bob"]));
            assert_eq!(
                next["apply_command"],
                "driftgate apply p.json --approve <approval-1> --approve <approval-2>"
            );
        }
    }
}

/// The plan and apply tables never break an identifier (an address, an API name), piped
/// (no terminal) or on a narrow terminal (issue 17, point 7).
#[test]
fn the_plan_tables_never_break_an_identifier() {
    let plan = fixture_plan();
    for width in [None, Some(40), Some(60), Some(80), Some(100)] {
        let table = crate::render::plan_summary::render_table(&plan, "p.json", None, None, width);
        let done = std::collections::BTreeMap::new();
        let applied = crate::render::plan_summary::render_apply_table(&plan, &done, true, width);
        for a in &plan.actions {
            let mut ids: Vec<String> = a.calls.iter().map(|c| c.api()).collect();
            match &a.address {
                Some(addr) => ids.push(addr.to_string()),
                None => ids.extend([a.resource_type.clone(), a.resource_id.clone()]),
            }
            for id in &ids {
                for (what, out) in [("plan", &table), ("apply", &applied)] {
                    assert!(
                        out.lines().any(|l| l.contains(id.as_str())),
                        "{id} broken in the {what} table at {width:?}:\n{out}"
                    );
                }
            }
        }
    }
}

fn edit_action(file: &str, text: &str) -> Action {
    use crate::model::plan::{ActionKind, FindingRef};
    Action {
        id: "a01".into(),
        kind: ActionKind::Import,
        status: ActionStatus::Planned,
        address: None,
        resource_type: "aws_vpc".into(),
        resource_id: "vpc-1".into(),
        region: None,
        finding: FindingRef {
            kind: DriftKind::Unmanaged,
            address: None,
            id: "vpc-1".into(),
            rule: "r".into(),
            severity: Severity::Low,
        },
        changes: vec![],
        calls: vec![Call::ConfigEdit {
            file: file.into(),
            before_sha256: None,
            after_sha256: String::new(),
            edit: ConfigEdit::Append { text: text.into() },
            diff: String::new(),
        }],
        expect: vec![],
        manual_command: None,
        follow_up: None,
        reason: String::new(),
        guardrail: None,
        disruptive: false,
    }
}

/// An edit's diff quotes the user's file around the edit: every literal the configuration
/// marks secret (a sensitive variable's value, a literal for an attribute the spec marks
/// sensitive) is scrubbed there, not only the secrets the states hold.
#[test]
fn edit_diffs_are_scrubbed_of_the_configuration_s_secrets() {
    const VAR_SECRET: &str = "var-s3cr3t-Hq2";
    const ATTR_SECRET: &str = "attr-s3cr3t-Lw7";
    let vars =
        format!("variable \"db\" {{\n  sensitive = true\n  default   = \"{VAR_SECRET}\"\n}}\n");
    let main = format!(
        "resource \"aws_db_instance\" \"x\" {{\n  username = var.db\n  password = \"{ATTR_SECRET}\"\n}}\n"
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.tf"), &main).unwrap();
    std::fs::write(dir.path().join("variables.tf"), &vars).unwrap();
    let config = crate::iac::config::load_config(dir.path()).unwrap();
    assert_eq!(config.secrets, [VAR_SECRET]);
    let registry = Registry::builtin().unwrap();
    let mut secrets = config_secrets(&config, &registry);
    // `aws_db_instance` has no spec here: its `password` literal stands for one an attribute
    // spec marks sensitive.
    secrets.push(ATTR_SECRET.into());
    let files: BTreeMap<String, String> = [
        ("main.tf".to_string(), main.clone()),
        ("variables.tf".to_string(), vars.clone()),
    ]
    .into();
    let mut actions = vec![
        edit_action("main.tf", "# imported\n"),
        edit_action("variables.tf", "# imported\n"),
    ];
    materialize_edits(&mut actions, &files, &secrets);
    for a in &actions {
        let Call::ConfigEdit { diff, .. } = &a.calls[0] else {
            unreachable!()
        };
        assert!(diff.contains("+# imported"), "{diff}");
        assert!(diff.contains("(sensitive)"), "{diff}");
        assert!(
            !diff.contains(VAR_SECRET) && !diff.contains(ATTR_SECRET),
            "{diff}"
        );
    }
    assert!(config_secrets(&config, &registry).contains(&VAR_SECRET.to_string()));
}

/// A clear secret reaching a plan is an error, and the plan file never holds one (nor a
/// fingerprint of it under an empty key).
#[test]
fn a_clear_secret_in_a_plan_is_an_error_and_never_written() {
    let mut a = edit_action("main.tf", "");
    a.calls.clear();
    a.changes = vec![PlannedChange {
        path: Path::root("password"),
        now: Value::sensitive(Value::str("hunter2-clear")),
        target: Value::Null,
    }];
    assert_eq!(
        clear_secret(std::slice::from_ref(&a)).as_deref(),
        Some("a01 changes[0] (password)")
    );
    let plan = seal(
        vec![a],
        Default::default(),
        Default::default(),
        time::OffsetDateTime::UNIX_EPOCH,
        time::Duration::hours(1),
    );
    let text = plan_file::write(&plan);
    assert!(!text.contains("hunter2"), "{text}");
    assert!(
        !text.contains(&crate::mask::fingerprint(&Value::str("hunter2-clear"), b"")),
        "{text}"
    );
    assert!(text.contains(wire::WITHHELD), "{text}");
    let mut fine = edit_action("main.tf", "");
    fine.changes = vec![PlannedChange {
        path: Path::root("password"),
        now: Value::Sensitive(Secret::Fingerprint("hmac-sha256:00".into())),
        target: Value::Null,
    }];
    assert_eq!(clear_secret(&[fine]), None);
}

/// "1 signed approval", not "1 signed approvals" (issue 17's plurals): in the plan's next step
/// when nobody may sign, and in the approval request a plan notifies.
#[test]
fn one_approval_is_singular() {
    use crate::approval::{ApprovalRule, Approver, KeyFile};
    let plan = fixture_plan();
    // Only the author (alice) is listed: nobody may sign.
    let rule = ApprovalRule {
        required: 1,
        approvers: [(
            "alice".to_string(),
            Approver {
                key: KeyFile::from_seed("alice", [1; 32]).public(),
                aws_principal: None,
            },
        )]
        .into_iter()
        .collect(),
        min_severity: None,
        source: "driftgate.hcl:1".into(),
    };
    let table = crate::render::plan_summary::render_table(&plan, "p.json", None, Some(&rule), None);
    assert!(
        table.contains("it needs 1 signed approval and the approval block (driftgate.hcl:1) lists 0 approvers other than the plan's author"),
        "{table}"
    );
    let m = crate::notify::message::approval_request(&plan, "p.json", Some(&rule));
    assert!(
        m.summary
            .contains("; needs 1 signed approval by people other than alice"),
        "{}",
        m.summary
    );
}

// ---- the wire form of every call ------------------------------------------------------------

/// One call of every variant (each IAM principal an operation takes, each rule source, each
/// argument and edit form), in a plan whose changes hold secrets' fingerprints.
fn every_call_plan() -> Plan {
    let state = StateSource("terraform.tfstate".into());
    let from_state = Arg::FromState(crate::model::plan::StateRef {
        state: state.clone(),
        address: Address::managed("aws_iam_role", "app").with_key(InstanceKey::Str("k\"q".into())),
        path: Path::root("tags").key("secret").index(2),
    });
    let doc = Arg::text("{\"Version\":\"2012-10-17\"}");
    let rule = |source: SgSource, ports: Option<i64>| crate::model::plan::SgRule {
        protocol: if ports.is_some() { "tcp" } else { "-1" }.into(),
        from_port: ports,
        to_port: ports.map(|p| p + 1),
        source,
        description: "d".into(),
    };
    let tags = BTreeMap::from([
        ("team".to_string(), Arg::text("core")),
        ("secret".to_string(), from_state.clone()),
    ]);
    let keys = vec!["a".to_string(), "b".to_string()];
    let mut calls = vec![
        Call::Ec2CreateTags {
            resource_id: "vpc-1".into(),
            tags: tags.clone(),
        },
        Call::Ec2DeleteTags {
            resource_id: "vpc-1".into(),
            keys: keys.clone(),
        },
        Call::Ec2AuthorizeSecurityGroupIngress {
            group_id: "sg-1".into(),
            rule: rule(SgSource::CidrIpv4("10.0.0.0/8".into()), Some(22)),
        },
        Call::Ec2AuthorizeSecurityGroupEgress {
            group_id: "sg-1".into(),
            rule: rule(SgSource::CidrIpv6("::/0".into()), None),
        },
        Call::Ec2RevokeSecurityGroupIngress {
            group_id: "sg-1".into(),
            rule: rule(SgSource::PrefixList("pl-1".into()), Some(443)),
        },
        Call::Ec2RevokeSecurityGroupEgress {
            group_id: "sg-1".into(),
            rule: rule(SgSource::Group("sg-2".into()), Some(0)),
        },
        Call::Ec2ModifySecurityGroupRules {
            group_id: "sg-1".into(),
            rule_id: "sgr-1".into(),
            rule: rule(SgSource::CidrIpv4("0.0.0.0/0".into()), Some(3389)),
        },
        Call::Ec2ModifyVpcAttribute {
            vpc_id: "vpc-1".into(),
            attribute: "enableDnsSupport".into(),
            value: true,
        },
        Call::Ec2ModifySubnetAttribute {
            subnet_id: "subnet-1".into(),
            attribute: "mapPublicIpOnLaunch".into(),
            value: false,
        },
        Call::Ec2ModifyInstanceAttribute {
            instance_id: "i-1".into(),
            attribute: "groupSet".into(),
            value: Arg::Value(Value::List(vec![Value::str("sg-1"), Value::Number(3.5)])),
        },
        Call::Ec2MonitorInstances {
            instance_id: "i-1".into(),
        },
        Call::Ec2UnmonitorInstances {
            instance_id: "i-1".into(),
        },
        Call::Ec2StopInstances {
            instance_id: "i-1".into(),
        },
        Call::Ec2StartInstances {
            instance_id: "i-1".into(),
        },
        Call::Ec2DeleteSecurityGroup {
            group_id: "sg-9".into(),
        },
        Call::IamUpdateAssumeRolePolicy {
            role_name: "app".into(),
            document: from_state.clone(),
        },
        Call::IamUpdateRole {
            role_name: "app".into(),
            description: Some(Arg::text("the app")),
            max_session_duration: Some(3600),
        },
        Call::IamUpdateRole {
            role_name: "app".into(),
            description: None,
            max_session_duration: None,
        },
        Call::IamUpdateUser {
            user_name: "deploy".into(),
            new_path: "/ops/".into(),
        },
        Call::IamDeletePolicyVersion {
            policy_arn: "arn:aws:iam::1:policy/p".into(),
            version: VersionSelector::OldestNonDefaultAtLimit,
        },
        Call::IamCreatePolicyVersion {
            policy_arn: "arn:aws:iam::1:policy/p".into(),
            document: doc.clone(),
            set_as_default: true,
        },
        Call::ConfigEdit {
            file: "main.tf".into(),
            before_sha256: Some("ab".repeat(32)),
            after_sha256: "cd".repeat(32),
            edit: crate::model::plan::ConfigEdit::Set {
                resource_type: "aws_vpc".into(),
                name: "main".into(),
                values: vec![
                    (Path::root("tags").key("team"), Some(Value::str("core"))),
                    (Path::root("cidr_block"), None),
                ],
            },
            diff: "-a\n+b\n".into(),
        },
        Call::ConfigEdit {
            file: "imports.tf".into(),
            before_sha256: None,
            after_sha256: "ef".repeat(32),
            edit: crate::model::plan::ConfigEdit::Append {
                text: "import {}\n".into(),
            },
            diff: "+import {}\n".into(),
        },
    ];
    for entity in [IamEntity::Role, IamEntity::User, IamEntity::Policy] {
        let name = format!("{}-name", entity.as_str());
        calls.push(Call::IamTag {
            entity,
            name: name.clone(),
            tags: tags.clone(),
        });
        calls.push(Call::IamUntag {
            entity,
            name: name.clone(),
            keys: keys.clone(),
        });
        if entity == IamEntity::Policy {
            continue;
        }
        calls.extend([
            Call::IamPutInlinePolicy {
                entity,
                name: name.clone(),
                policy_name: "inline".into(),
                document: doc.clone(),
            },
            Call::IamDeleteInlinePolicy {
                entity,
                name: name.clone(),
                policy_name: "inline".into(),
            },
            Call::IamAttachPolicy {
                entity,
                name: name.clone(),
                policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
            },
            Call::IamDetachPolicy {
                entity,
                name: name.clone(),
                policy_arn: "arn:aws:iam::aws:policy/ReadOnlyAccess".into(),
            },
            Call::IamPutPermissionsBoundary {
                entity,
                name: name.clone(),
                policy_arn: "arn:aws:iam::1:policy/boundary".into(),
            },
            Call::IamDeletePermissionsBoundary {
                entity,
                name: name.clone(),
            },
        ]);
    }
    let action = Action {
        id: "a01".into(),
        kind: ActionKind::Revert,
        status: ActionStatus::Planned,
        address: Some(Address::managed("aws_iam_role", "app")),
        resource_type: "aws_iam_role".into(),
        resource_id: "app".into(),
        region: Some("eu-west-1".into()),
        finding: FindingRef {
            kind: DriftKind::Changed,
            address: Some(Address::managed("aws_iam_role", "app")),
            id: "app".into(),
            rule: "tags_changed".into(),
            severity: Severity::High,
        },
        changes: vec![PlannedChange {
            path: Path::root("tags").key("secret"),
            now: Value::Sensitive(crate::model::Secret::Fingerprint(format!(
                "hmac-sha256:{}",
                "0f".repeat(32)
            ))),
            target: Value::Map(BTreeMap::from([(
                "inner".to_string(),
                Value::Sensitive(crate::model::Secret::Fingerprint(format!(
                    "hmac-sha256:{}",
                    "f0".repeat(32)
                ))),
            )])),
        }],
        calls,
        expect: vec![
            Expect::Present,
            Expect::Value {
                path: Path::root("tags").key("team"),
                fingerprint: "hmac-sha256:11".into(),
            },
        ],
        manual_command: None,
        follow_up: Some("terraform plan".into()),
        reason: "every call".into(),
        guardrail: Some(crate::model::plan::GuardrailHit {
            name: "two-people".into(),
            reason: "iam".into(),
            effect: crate::model::plan::GuardrailEffect::RequireApprovals(2),
        }),
        disruptive: false,
    };
    let absent = Action {
        id: "a02".into(),
        kind: ActionKind::Recreate,
        status: ActionStatus::Manual,
        expect: vec![Expect::Absent],
        calls: vec![],
        changes: vec![],
        manual_command: Some("terraform apply -replace=aws_iam_role.app".into()),
        follow_up: None,
        guardrail: Some(crate::model::plan::GuardrailHit {
            name: "never".into(),
            reason: "no".into(),
            effect: crate::model::plan::GuardrailEffect::Deny,
        }),
        ..action.clone()
    };
    seal(
        vec![action, absent],
        Inputs {
            states: vec![crate::model::plan::StateInput {
                source: state,
                lineage: "l".into(),
                serial: 7,
                sha256: "ab".repeat(32),
            }],
            configuration: Some("01".repeat(32)),
            policy: Some("cd".repeat(32)),
            observation: Some("ef".repeat(32)),
            trust_root: Some("23".repeat(32)),
        },
        Author {
            actor: "alice".into(),
            aws_caller_arn: Some("arn:aws:iam::1:user/alice".into()),
            ci: Some("github".into()),
            os_user: Some("alice".into()),
            key: Some("ed25519:AAAA".into()),
            signature: Some("c2ln".into()),
            kind: None,
            agent: None,
        },
        time::macros::datetime!(2026-12-01 10:00:00 UTC),
        time::Duration::hours(1),
    )
}

/// The plan file of every call, byte for byte as the format has always written it (the
/// golden file was written before the wire form was derived): a plan written by an earlier
/// driftgate still verifies and re-encodes to the same bytes.
#[test]
fn every_call_writes_the_same_plan_file_bytes() {
    const GOLDEN: &str = include_str!("testdata/every-call.plan.json");
    let plan = every_call_plan();
    let text = plan_file::write(&plan);
    assert_eq!(text, GOLDEN);
    // The golden file reads back (its digest verifies) and re-encodes to the same bytes.
    let back = plan_file::read("p.json", GOLDEN, plan.created_at).unwrap();
    assert_eq!(back, plan);
    assert_eq!(plan_file::write(&back), GOLDEN);
    for c in &plan.actions[0].calls {
        let j = wire::call_to_json(c);
        assert_eq!(&wire::call_from_json(&j).unwrap(), c, "{j}");
        assert_eq!(j["api"], c.api(), "{j}");
    }
    // A clear secret that reaches the encoder, in a change or in a literal argument, is
    // withheld: neither written nor fingerprinted.
    let mut leaky = plan;
    let clear = Value::sensitive(Value::str("clear-secret-never-written"));
    leaky.actions[0].changes[0].target = clear.clone();
    leaky.actions[0].calls = vec![Call::Ec2ModifyInstanceAttribute {
        instance_id: "i-1".into(),
        attribute: "userData".into(),
        value: Arg::Value(Value::List(vec![clear.clone()])),
    }];
    let text = plan_file::write(&leaky);
    assert!(!text.contains("clear-secret-never-written"), "{text}");
    assert!(
        !text.contains(&crate::mask::fingerprint(
            &Value::str("clear-secret-never-written"),
            b""
        )),
        "{text}"
    );
    assert_eq!(text.matches(wire::WITHHELD).count(), 2, "{text}");
}

/// A plan written before the optional members existed (an action's `manual_command`,
/// `follow_up`, `guardrail` and `disruptive`, the author's `ci`, `os_user`, `key`, the inputs'
/// `trust_root`) still reads, each as its default; a member no driftgate writes is refused.
#[test]
fn a_plan_without_its_optional_members_reads_as_their_defaults() {
    const GOLDEN: &str = include_str!("testdata/every-call.plan.json");
    let created = every_call_plan().created_at;
    let read = |mut j: serde_json::Value| {
        j["digest"] = plan_file::digest::digest_json(&j).into();
        plan_file::read("p.json", &serde_json::to_string(&j).unwrap(), created)
    };
    let mut old: serde_json::Value = serde_json::from_str(GOLDEN).unwrap();
    for a in old["actions"].as_array_mut().unwrap() {
        let a = a.as_object_mut().unwrap();
        for m in ["manual_command", "follow_up", "guardrail", "disruptive"] {
            a.remove(m);
        }
    }
    for m in ["ci", "os_user", "key"] {
        old["author"].as_object_mut().unwrap().remove(m);
    }
    old["inputs"].as_object_mut().unwrap().remove("trust_root");
    old.as_object_mut().unwrap().remove("signature");
    let plan = read(old.clone()).unwrap();
    assert!(plan.actions.iter().all(|a| a.manual_command.is_none()
        && a.follow_up.is_none()
        && a.guardrail.is_none()
        && !a.disruptive));
    assert_eq!((plan.author.ci, plan.author.key), (None, None));
    assert_eq!(
        (plan.author.signature, plan.inputs.trust_root),
        (None, None)
    );
    let mut extra = old.clone();
    extra["actions"][0]["approved"] = true.into();
    let err = read(extra).unwrap_err().to_string();
    assert!(err.contains("unknown field `approved`"), "{err}");
    old["actions"][1]["kind"] = "destroy".into();
    let err = format!("{:?}", read(old).unwrap_err());
    assert!(
        err.contains("actions[1]: kind: unknown action kind `destroy`"),
        "{err}"
    );
}

/// The derived wire form refuses what an executor could not run as written: an unknown
/// operation or parameter, a rule with two sources, another policy version limit, a secret
/// in a literal, an IAM operation AWS does not have (a policy as a principal).
#[test]
fn the_call_wire_form_refuses_what_it_cannot_run_as_written() {
    let refused = |j: serde_json::Value, why: &str| {
        let err = wire::call_from_json(&j).unwrap_err();
        assert!(err.contains(why), "{j}: {err}");
    };
    let mut ok = wire::call_to_json(&Call::Ec2AuthorizeSecurityGroupIngress {
        group_id: "sg-1".into(),
        rule: crate::model::plan::SgRule {
            protocol: "tcp".into(),
            from_port: Some(22),
            to_port: Some(22),
            source: SgSource::CidrIpv4("10.0.0.0/8".into()),
            description: String::new(),
        },
    });
    assert!(wire::call_from_json(&ok).is_ok());
    ok["rule"]["cidr_ipv6"] = "::/0".into();
    refused(ok.clone(), "exactly one of");
    ok["rule"].as_object_mut().unwrap().remove("cidr_ipv6");
    ok["rule"]["open"] = true.into();
    refused(ok, "open");
    refused(
        serde_json::json!({"api": "ec2:TerminateInstances", "instance_id": "i-1"}),
        "ec2:TerminateInstances",
    );
    // A unit's call: any `service:Operation` outside the built-in list, in its own shape.
    let unit = Call::Unit(
        crate::model::plan::UnitCall::new("ec2", "CreateRoute", "rtb-1")
            .arg("destination_cidr_block", Arg::text("0.0.0.0/0"))
            .arg("gateway_id", Arg::text("igw-1")),
    );
    let j = wire::call_to_json(&unit);
    assert_eq!(
        j,
        serde_json::json!({"api": "ec2:CreateRoute", "target": "rtb-1", "args": {
            "destination_cidr_block": {"value": "0.0.0.0/0"}, "gateway_id": {"value": "igw-1"}}})
    );
    assert_eq!(wire::call_from_json(&j).unwrap(), unit);
    let mut extra = j.clone();
    extra["effect"] = "adds a harmless tag".into();
    refused(extra, "unknown field `effect`");
    refused(
        serde_json::json!({"api": "ec2:create-route", "target": "rtb-1", "args": {}}),
        "is not `service:Operation`",
    );
    refused(
        serde_json::json!({"api": "CreateRoute", "target": "rtb-1", "args": {}}),
        "is not `service:Operation`",
    );
    let mut secret = j;
    secret["args"]["gateway_id"] = serde_json::json!({"value": {"sensitive": "hmac-sha256:00"}});
    assert!(
        wire::call_from_json(&secret).is_err(),
        "a secret in a literal"
    );
    let mut v = wire::call_to_json(&Call::IamDeletePolicyVersion {
        policy_arn: "arn:aws:iam::1:policy/p".into(),
        version: VersionSelector::OldestNonDefaultAtLimit,
    });
    assert_eq!(v["version_limit"], 5);
    assert!(wire::call_from_json(&v).is_ok());
    v["version_limit"] = 1.into();
    refused(v, "version_limit");
    let sensitive = serde_json::json!({"api": "ec2:ModifyInstanceAttribute", "instance_id": "i-1",
        "attribute": "userData",
        "value": {"value": {"sensitive": format!("hmac-sha256:{}", "ab".repeat(32))}}});
    refused(sensitive, "cannot be sensitive");
    let policy_as_principal = Call::IamAttachPolicy {
        entity: IamEntity::Policy,
        name: "arn:aws:iam::1:policy/p".into(),
        policy_arn: "arn:aws:iam::aws:policy/AdministratorAccess".into(),
    };
    let j = wire::call_to_json(&policy_as_principal);
    assert_eq!(j["operation"], "iam:AttachPolicyPolicy");
    refused(j, "invalid");
    refused(
        serde_json::json!({"api": "iam:AttachPolicyPolicy", "policy_arn": "arn:aws:iam::aws:policy/AdministratorAccess"}),
        "iam:AttachPolicyPolicy",
    );
    // An expectation is one of three shapes, with nothing else in it.
    let expect = |j: serde_json::Value| serde_json::from_value::<wire::ExpectW>(j);
    assert!(expect(serde_json::json!({"observed": "absent"})).is_ok());
    assert!(expect(serde_json::json!({"observed": "absent", "fingerprint": "x"})).is_err());
    assert!(expect(serde_json::json!({"observed": "value", "path_steps": ["a"]})).is_err());
    assert!(expect(serde_json::json!({"observed": "gone"})).is_err());
}

/// Imports are named from the object, readably: a route by its table's name in the state
/// (else the table's id) and its destination, never `_0`; two imports that would take the same
/// name in one plan (two states each naming their table `private`) do not: the second takes the
/// next suffix the configuration has not taken (`_2` is a block there, so `_3`).
#[test]
fn imports_are_named_by_parent_and_destination_and_unique_in_a_plan() {
    let registry = Registry::builtin().unwrap();
    let route = |table: &str| Finding {
        drift: Drift {
            kind: DriftKind::Unmanaged,
            resource_type: "aws_route".into(),
            id: format!("{table}_0.0.0.0/0"),
            address: None,
            state: None,
            region: Some("us-east-1".into()),
            changes: vec![],
            observed: Some(
                [
                    ("route_table_id", Value::str(table)),
                    ("destination_cidr_block", Value::str("0.0.0.0/0")),
                    ("gateway_id", Value::str("igw-1")),
                ]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect(),
            ),
        },
        severity: Severity::High,
        rule: "unmanaged".into(),
        change_rules: vec![],
        source: None,
        status: crate::model::Status::Open,
    };
    let table = |id: &str, state: &str| {
        let mut r = recorded("aws_route_table", "private", vec![("id", Value::str(id))]);
        r.state = StateSource(state.into());
        RecordedState {
            source: r.state.clone(),
            terraform_version: "1.11.4".into(),
            serial: 1,
            lineage: state.into(),
            sha256: "00".into(),
            resources: vec![r],
        }
    };
    let states = vec![table("rtb-1", "a.tfstate"), table("rtb-2", "b.tfstate")];
    let findings = vec![route("rtb-1"), route("rtb-2"), route("rtb-9")];
    let dir = tempfile::tempdir().unwrap();
    let main_tf = "resource \"aws_route\" \"private_0_0_0_0_0_2\" {\n  route_table_id = \"rtb-0\"\n  destination_cidr_block = \"10.0.0.0/8\"\n}\n";
    std::fs::write(dir.path().join("main.tf"), main_tf).unwrap();
    let configuration = crate::iac::config::load_config(dir.path()).unwrap();
    let files = BTreeMap::from([("main.tf".to_string(), main_tf.to_string())]);
    let key = expectation_key(&states);
    let actions = build(&PlanInput {
        registry: &registry,
        findings: &findings,
        states: &states,
        options: &PlanOptions::default(),
        key: &key,
        config: Some(ConfigInput {
            configuration: &configuration,
            files: &files,
        }),
        observation: None,
        unit_reverts: &crate::provider::aws::unit_reverts(),
    })
    .unwrap();
    let addresses: Vec<&str> = actions
        .iter()
        .map(|a| {
            let text = match &a.calls[..] {
                [
                    Call::ConfigEdit {
                        edit: crate::model::plan::ConfigEdit::Append { text },
                        ..
                    },
                ] => text.as_str(),
                other => panic!("{other:?}"),
            };
            let to = text.split("to = ").nth(1).unwrap();
            to.split('\n').next().unwrap()
        })
        .collect();
    assert_eq!(
        addresses,
        [
            "aws_route.private_0_0_0_0_0",
            "aws_route.private_0_0_0_0_0_3",
            "aws_route.rtb_9_0_0_0_0_0"
        ]
    );
}
