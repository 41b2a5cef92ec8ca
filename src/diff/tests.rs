//! Reconcile and diff on hand-built sides: each test is one "who manages what" situation.

use std::collections::BTreeMap;

use super::*;
use crate::model::{Address, Gap, StateSource};

fn attrs(pairs: &[(&str, Value)]) -> Attributes {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

fn s(v: &str) -> Value {
    Value::str(v)
}

fn list(items: &[&str]) -> Value {
    Value::List(items.iter().map(|i| s(i)).collect())
}

fn rec(ty: &str, name: &str, a: Attributes) -> RecordedResource {
    RecordedResource {
        address: Address::managed(ty, name),
        resource_type: ty.into(),
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        state: StateSource("terraform.tfstate".into()),
        schema_version: 0,
        attributes: a,
    }
}

fn obs(ty: &str, cloud_id: &str, a: Attributes) -> ObservedResource {
    ObservedResource {
        resource_type: ty.into(),
        cloud_id: cloud_id.into(),
        primary: true,
        region: if ty.starts_with("aws_iam") {
            None
        } else {
            Some("us-east-1".into())
        },
        owner: Owner::User,
        attributes: a,
    }
}

fn state(resources: Vec<RecordedResource>) -> RecordedState {
    RecordedState {
        source: StateSource("terraform.tfstate".into()),
        terraform_version: "1.11.4".into(),
        serial: 1,
        lineage: "x".into(),
        resources,
    }
}

fn observation(resources: Vec<ObservedResource>) -> Observation {
    let registry = Registry::builtin().unwrap();
    Observation {
        regions: vec!["us-east-1".into()],
        resource_types: registry.types().map(str::to_string).collect(),
        resources,
        gaps: Vec::new(),
        api_calls: BTreeMap::new(),
    }
}

fn run(states: &[RecordedState], o: &Observation, strict: bool) -> ScanReport {
    let registry = Registry::builtin().unwrap();
    scan(&ScanInput {
        registry: &registry,
        states,
        observation: o,
        strict,
        fingerprint: None,
    })
}

/// `kind type id path,path` lines, for compact assertions.
fn lines(r: &ScanReport) -> Vec<String> {
    r.findings
        .iter()
        .map(|f| {
            let paths: Vec<String> = f.changes.iter().map(|c| c.path.to_string()).collect();
            format!(
                "{} {} {} {}",
                f.kind,
                f.resource_type,
                f.id,
                paths.join(",")
            )
            .trim_end()
            .to_string()
        })
        .collect()
}

fn rule_block(protocol: &str, from: i64, to: i64, cidrs: &[&str]) -> Value {
    Value::Map(
        attrs(&[
            ("protocol", s(protocol)),
            ("from_port", Value::from(from)),
            ("to_port", Value::from(to)),
            ("cidr_blocks", list(cidrs)),
            ("ipv6_cidr_blocks", list(&[])),
            ("prefix_list_ids", list(&[])),
            ("security_groups", list(&[])),
            ("self", Value::Bool(false)),
            ("description", s("")),
        ])
        .into_iter()
        .collect(),
    )
}

fn sg(id: &str, ingress: Vec<Value>) -> Attributes {
    attrs(&[
        ("id", s(id)),
        (
            "arn",
            s(&format!(
                "arn:aws:ec2:us-east-1:123456789012:security-group/{id}"
            )),
        ),
        ("name", s(id)),
        ("description", s("Managed by Terraform")),
        ("vpc_id", s("vpc-1")),
        ("tags", Value::Null),
        ("tags_all", Value::Map(BTreeMap::new())),
        ("ingress", Value::List(ingress)),
        ("egress", Value::List(vec![])),
    ])
}

/// The two views driftgate's AWS provider emits for one EC2 rule.
fn sgr_views(sgr: &str, group: &str, port: i64, cidr: &str) -> Vec<ObservedResource> {
    let primary = obs(
        "aws_vpc_security_group_ingress_rule",
        sgr,
        attrs(&[
            ("id", s(sgr)),
            ("security_group_id", s(group)),
            ("ip_protocol", s("tcp")),
            ("from_port", Value::from(port)),
            ("to_port", Value::from(port)),
            ("cidr_ipv4", s(cidr)),
        ]),
    );
    let mut atom = obs(
        "aws_security_group_rule",
        sgr,
        attrs(&[
            ("security_group_id", s(group)),
            ("type", s("ingress")),
            ("protocol", s("tcp")),
            ("from_port", Value::from(port)),
            ("to_port", Value::from(port)),
            ("cidr_blocks", list(&[cidr])),
            ("ipv6_cidr_blocks", list(&[])),
            ("prefix_list_ids", list(&[])),
            ("self", Value::Bool(false)),
            ("description", Value::Null),
        ]),
    );
    atom.primary = false;
    vec![primary, atom]
}

fn sg_rule_resource(group: &str, port: i64, cidrs: &[&str]) -> RecordedResource {
    rec(
        "aws_security_group_rule",
        "db_in",
        attrs(&[
            ("id", s("sgrule-1841821324")),
            ("security_group_id", s(group)),
            ("type", s("ingress")),
            ("protocol", s("tcp")),
            ("from_port", Value::from(port)),
            ("to_port", Value::from(port)),
            ("cidr_blocks", list(cidrs)),
            ("ipv6_cidr_blocks", Value::Null),
            ("prefix_list_ids", Value::Null),
            ("self", Value::Bool(false)),
            ("description", Value::Null),
        ]),
    )
}

#[test]
fn separate_rule_resources_silence_the_groups_ingress() {
    let states = [state(vec![
        rec("aws_security_group", "db", sg("sg-1", vec![])),
        sg_rule_resource("sg-1", 5432, &["10.0.0.0/16", "10.1.0.0/16"]),
    ])];
    let mut seen = vec![obs(
        "aws_security_group",
        "sg-1",
        sg(
            "sg-1",
            vec![rule_block(
                "tcp",
                5432,
                5432,
                &["10.0.0.0/16", "10.1.0.0/16"],
            )],
        ),
    )];
    seen.extend(sgr_views("sgr-a", "sg-1", 5432, "10.0.0.0/16"));
    seen.extend(sgr_views("sgr-b", "sg-1", 5432, "10.1.0.0/16"));
    let clean = run(&states, &observation(seen.clone()), false);
    assert_eq!(lines(&clean), Vec::<String>::new());
    assert_eq!(clean.summary.checked, 2);
    assert!(clean.is_complete());

    // A world-open rule added out of band: an unmanaged rule, the group stays silent.
    seen.extend(sgr_views("sgr-open", "sg-1", 22, "0.0.0.0/0"));
    let r = run(&states, &observation(seen.clone()), false);
    assert_eq!(
        lines(&r),
        vec!["unmanaged aws_vpc_security_group_ingress_rule sgr-open"]
    );

    // One of the two CIDR blocks revoked: the rule resource changed; both: it is missing.
    let without_b: Vec<_> = seen
        .iter()
        .filter(|o| o.cloud_id != "sgr-b" && o.cloud_id != "sgr-open")
        .cloned()
        .collect();
    let r = run(&states, &observation(without_b.clone()), false);
    assert_eq!(
        lines(&r),
        vec![
            "changed aws_security_group_rule sg-1/ingress/tcp/5432/5432/cidr_blocks=10.0.0.0/16 cidr_blocks"
        ]
    );
    let none: Vec<_> = without_b
        .into_iter()
        .filter(|o| o.cloud_id != "sgr-a")
        .collect();
    let r = run(&states, &observation(none), false);
    assert_eq!(
        lines(&r),
        vec!["missing aws_security_group_rule sg-1/ingress/tcp/5432/5432/cidr_blocks=10.0.0.0/16"]
    );
}

#[test]
fn inline_rules_are_a_change_of_the_group_not_unmanaged_rules() {
    let states = [state(vec![rec(
        "aws_security_group",
        "web",
        sg("sg-2", vec![rule_block("tcp", 443, 443, &["10.0.0.0/8"])]),
    )])];
    let mut seen = vec![obs(
        "aws_security_group",
        "sg-2",
        sg("sg-2", vec![rule_block("6", 443, 443, &["10.0.0.0/8"])]),
    )];
    seen.extend(sgr_views("sgr-1", "sg-2", 443, "10.0.0.0/8"));
    assert_eq!(
        lines(&run(&states, &observation(seen.clone()), false)),
        Vec::<String>::new()
    );

    seen[0].attributes.insert(
        "ingress".into(),
        Value::List(vec![
            rule_block("tcp", 443, 443, &["10.0.0.0/8"]),
            rule_block("tcp", 22, 22, &["0.0.0.0/0"]),
        ]),
    );
    seen.extend(sgr_views("sgr-2", "sg-2", 22, "0.0.0.0/0"));
    assert_eq!(
        lines(&run(&states, &observation(seen), false)),
        vec!["changed aws_security_group sg-2 ingress"]
    );
}

fn role(name: &str, managed: &[&str]) -> Attributes {
    attrs(&[
        ("id", s(name)),
        ("name", s(name)),
        ("arn", s(&format!("arn:aws:iam::123456789012:role/{name}"))),
        ("path", s("/")),
        ("description", s("")),
        ("max_session_duration", Value::from(3600)),
        ("permissions_boundary", s("")),
        (
            "assume_role_policy",
            s(
                r#"{"Version":"2012-10-17","Statement":[{"Action":"sts:AssumeRole","Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"}}]}"#,
            ),
        ),
        ("managed_policy_arns", list(managed)),
        ("inline_policy", Value::List(vec![])),
        ("tags", Value::Null),
        ("tags_all", Value::Map(BTreeMap::new())),
    ])
}

fn attachment(role: &str, arn: &str) -> Attributes {
    attrs(&[("role", s(role)), ("policy_arn", s(arn))])
}

#[test]
fn role_attachments_belong_to_whoever_manages_them() {
    let p = "arn:aws:iam::123456789012:policy/p";
    let q = "arn:aws:iam::123456789012:policy/q";
    // Role `app` has attachment resources; role `bare` has none.
    let mut app_attachment = attachment("app", p);
    app_attachment.insert("id".into(), s("app-20261121112553021300000002"));
    let states = [state(vec![
        rec("aws_iam_role", "app", role("app", &[])),
        rec("aws_iam_role_policy_attachment", "a", app_attachment),
        rec("aws_iam_role", "bare", role("bare", &[])),
    ])];
    // Observed: the role's documents come back in another order and URL-decoded by the provider.
    let mut app = role("app", &[p]);
    app.insert(
        "assume_role_policy".into(),
        s(r#"{"Statement":{"Effect":"Allow","Action":["sts:AssumeRole"],"Principal":{"Service":["ec2.amazonaws.com"]}},"Version":"2012-10-17"}"#),
    );
    let mut seen = vec![
        obs("aws_iam_role", "app", app),
        obs(
            "aws_iam_role_policy_attachment",
            &format!("app/{p}"),
            attachment("app", p),
        ),
        obs("aws_iam_role", "bare", role("bare", &[])),
    ];
    assert_eq!(
        lines(&run(&states, &observation(seen.clone()), false)),
        Vec::<String>::new()
    );

    // Attaching q out of band to each role.
    seen[0]
        .attributes
        .insert("managed_policy_arns".into(), list(&[p, q]));
    seen[2]
        .attributes
        .insert("managed_policy_arns".into(), list(&[q]));
    seen.push(obs(
        "aws_iam_role_policy_attachment",
        &format!("app/{q}"),
        attachment("app", q),
    ));
    seen.push(obs(
        "aws_iam_role_policy_attachment",
        &format!("bare/{q}"),
        attachment("bare", q),
    ));
    assert_eq!(
        lines(&run(&states, &observation(seen), false)),
        vec![
            "changed aws_iam_role bare managed_policy_arns".to_string(),
            format!("unmanaged aws_iam_role_policy_attachment app/{q}"),
        ]
    );
}

#[test]
fn aws_owned_objects_count_only_when_strict() {
    let mut default_sg = obs("aws_security_group", "sg-default", sg("sg-default", vec![]));
    default_sg.owner = Owner::Aws("default security group".into());
    let o = observation(vec![default_sg]);
    assert!(run(&[], &o, false).findings.is_empty());
    assert_eq!(
        lines(&run(&[], &o, true)),
        vec!["unmanaged aws_security_group sg-default"]
    );
}

#[test]
fn unseen_means_not_checked_never_missing() {
    let mut vpc = attrs(&[
        ("id", s("vpc-1")),
        ("arn", s("arn:aws:ec2:eu-west-1:1:vpc/vpc-1")),
    ]);
    let states = [state(vec![
        rec("aws_vpc", "other_region", vpc.clone()),
        rec("aws_instance", "hidden", attrs(&[("id", s("i-1"))])),
        rec("aws_s3_bucket", "b", attrs(&[("id", s("b"))])),
    ])];
    let mut o = observation(vec![]);
    o.gaps.push(Gap {
        service: "ec2".into(),
        region: Some("us-east-1".into()),
        operation: "DescribeInstances".into(),
        resource_types: vec!["aws_instance".into()],
        reason: "AccessDenied: not authorized".into(),
        detail: None,
    });
    let r = run(&states, &o, false);
    assert!(r.findings.is_empty());
    let reasons: Vec<_> = r
        .not_checked
        .iter()
        .map(|n| (n.resource_type.as_str(), n.reason.clone()))
        .collect();
    assert!(reasons.contains(&(
        "aws_vpc",
        NotCheckedReason::RegionNotScanned("eu-west-1".into())
    )));
    assert!(reasons.contains(&("aws_instance", NotCheckedReason::Unobserved)));
    assert!(reasons.contains(&("aws_s3_bucket", NotCheckedReason::UnsupportedType)));
    assert!(!r.is_complete());

    // Only the unsupported type left: complete, unless strict.
    vpc.insert("arn".into(), s("arn:aws:ec2:us-east-1:1:vpc/vpc-1"));
    let states = [state(vec![rec(
        "aws_s3_bucket",
        "b",
        attrs(&[("id", s("b"))]),
    )])];
    assert!(run(&states, &observation(vec![]), false).is_complete());
    assert!(!run(&states, &observation(vec![]), true).is_complete());
}

#[test]
fn sensitive_tags_change_without_showing_values() {
    let mut tags = BTreeMap::new();
    tags.insert("secret".to_string(), Value::sensitive(s("hunter2")));
    tags.insert("team".to_string(), s("core"));
    let recorded = attrs(&[
        ("id", s("vpc-1")),
        ("cidr_block", s("10.0.0.0/16")),
        ("tags", Value::Map(tags.clone())),
        ("tags_all", Value::Map(tags)),
    ]);
    let mut seen_tags = BTreeMap::new();
    seen_tags.insert("secret".to_string(), s("rotated"));
    seen_tags.insert("team".to_string(), s("core"));
    let observed = attrs(&[
        ("id", s("vpc-1")),
        ("cidr_block", s("10.0.0.0/16")),
        ("tags", Value::Map(seen_tags)),
    ]);
    let r = run(
        &[state(vec![rec("aws_vpc", "main", recorded)])],
        &observation(vec![obs("aws_vpc", "vpc-1", observed)]),
        false,
    );
    assert_eq!(lines(&r), vec!["changed aws_vpc vpc-1 tags.secret"]);
    let c = &r.findings[0].changes[0];
    assert!(c.before.is_sensitive() && c.after.is_sensitive());
}

#[test]
fn order_of_inputs_does_not_matter() {
    let states = [state(vec![
        rec("aws_iam_role", "a", role("a", &[])),
        rec("aws_iam_role", "b", role("b", &[])),
        rec("aws_iam_role", "gone", role("gone", &[])),
    ])];
    let seen = vec![
        obs("aws_iam_role", "a", role("a", &["arn:x"])),
        obs("aws_iam_role", "b", role("b", &[])),
        obs("aws_iam_role", "new", role("new", &[])),
    ];
    let forward = run(&states, &observation(seen.clone()), false);
    let mut rev_states = states.clone();
    rev_states[0].resources.reverse();
    let mut rev_seen = seen;
    rev_seen.reverse();
    let backward = run(&rev_states, &observation(rev_seen), false);
    assert_eq!(forward.findings, backward.findings);
    assert_eq!(
        lines(&forward),
        vec![
            "changed aws_iam_role a managed_policy_arns",
            "missing aws_iam_role gone",
            "unmanaged aws_iam_role new"
        ]
    );
}

#[test]
fn mark_sensitive_canonicalizes_and_wraps() {
    let registry = Registry::builtin().unwrap();
    let mut tags = BTreeMap::new();
    tags.insert("secret".to_string(), Value::sensitive(s("hunter2")));
    let states = [state(vec![rec(
        "aws_vpc",
        "main",
        attrs(&[("id", s("vpc-1")), ("tags", Value::Map(tags))]),
    )])];
    let mut seen_tags = BTreeMap::new();
    seen_tags.insert("secret".to_string(), s("hunter2"));
    seen_tags.insert("aws:createdBy".to_string(), s("x"));
    let mut o = observation(vec![obs(
        "aws_vpc",
        "vpc-1",
        attrs(&[("id", s("vpc-1")), ("tags", Value::Map(seen_tags))]),
    )]);
    mark_sensitive(&registry, &states, &mut o);
    let tags = o.resources[0].attributes["tags"].as_map().unwrap();
    assert!(tags["secret"].is_sensitive());
    assert!(!tags.contains_key("aws:createdBy"));
}

#[test]
fn a_secret_repeated_elsewhere_in_the_resource_is_masked_there_too() {
    // The state marks only `tags.secret`; the same value in `description` is masked as well.
    let mut tags = BTreeMap::new();
    tags.insert("secret".to_string(), Value::sensitive(s("hunter2")));
    let recorded = attrs(&[
        ("id", s("sg-9")),
        ("name", s("x")),
        ("description", s("password hunter2 inside")),
        ("vpc_id", s("vpc-1")),
        ("tags", Value::Map(tags)),
    ]);
    let mut observed = recorded.clone();
    observed.insert("description".into(), s("changed"));
    observed.insert(
        "tags".into(),
        Value::Map(BTreeMap::from([("secret".to_string(), s("hunter2"))])),
    );
    let r = run(
        &[state(vec![rec("aws_security_group", "x", recorded)])],
        &observation(vec![obs("aws_security_group", "sg-9", observed)]),
        false,
    );
    assert_eq!(
        lines(&r),
        vec!["changed aws_security_group sg-9 description"]
    );
    assert!(r.findings[0].changes[0].before.is_sensitive());
}

#[test]
fn changed_findings_carry_observed_attributes_masked_like_the_state() {
    let mut tags = BTreeMap::new();
    tags.insert("secret".to_string(), Value::sensitive(s("hunter2")));
    let recorded = attrs(&[
        ("id", s("vpc-1")),
        ("cidr_block", s("10.0.0.0/16")),
        ("tags", Value::Map(tags)),
    ]);
    let observed = attrs(&[
        ("id", s("vpc-1")),
        ("cidr_block", s("10.9.0.0/16")),
        (
            "tags",
            Value::Map(BTreeMap::from([("secret".to_string(), s("hunter2"))])),
        ),
    ]);
    let r = run(
        &[state(vec![rec("aws_vpc", "main", recorded)])],
        &observation(vec![obs("aws_vpc", "vpc-1", observed)]),
        false,
    );
    let seen = r.findings[0]
        .observed
        .as_ref()
        .expect("observed attributes on a changed finding");
    assert_eq!(seen["cidr_block"], s("10.9.0.0/16"));
    assert!(seen["tags"].is_sensitive());
}
