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
        sha256: String::new(),
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
        api_ms: BTreeMap::new(),
        paced_ms: BTreeMap::new(),
    }
}

fn run(states: &[RecordedState], o: &Observation, strict: bool) -> DiffReport {
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
fn lines(r: &DiffReport) -> Vec<String> {
    r.drifts
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
    assert!(clean.not_checked.is_empty() && clean.gaps.is_empty());

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
    assert!(run(&[], &o, false).drifts.is_empty());
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
        rec(
            "aws_instance",
            "hidden",
            attrs(&[
                ("id", s("i-1")),
                ("arn", s("arn:aws:ec2:us-east-1:1:instance/i-1")),
            ]),
        ),
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
    assert!(r.drifts.is_empty());
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

    // Only the unsupported type left: the report says why (the policy decides the exit code).
    vpc.insert("arn".into(), s("arn:aws:ec2:us-east-1:1:vpc/vpc-1"));
    let states = [state(vec![rec(
        "aws_s3_bucket",
        "b",
        attrs(&[("id", s("b"))]),
    )])];
    let r = run(&states, &observation(vec![]), false);
    assert!(r.gaps.is_empty());
    assert_eq!(
        r.not_checked
            .iter()
            .map(|n| n.reason.clone())
            .collect::<Vec<_>>(),
        vec![NotCheckedReason::UnsupportedType]
    );
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
    let c = &r.drifts[0].changes[0];
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
    assert_eq!(forward.drifts, backward.drifts);
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
    assert!(r.drifts[0].changes[0].before.is_sensitive());
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
    let seen = r.drifts[0]
        .observed
        .as_ref()
        .expect("observed attributes on a changed finding");
    assert_eq!(seen["cidr_block"], s("10.9.0.0/16"));
    assert!(seen["tags"].is_sensitive());
}

/// `sg` in `region`.
fn sg_in(id: &str, region: &str, ingress: Vec<Value>) -> Attributes {
    let mut a = sg(id, ingress);
    a.insert(
        "arn".into(),
        s(&format!(
            "arn:aws:ec2:{region}:123456789012:security-group/{id}"
        )),
    );
    a
}

fn in_region(mut o: ObservedResource, region: &str) -> ObservedResource {
    o.region = Some(region.into());
    o
}

#[test]
fn a_rule_without_an_arn_lives_in_its_groups_region() {
    // Measured: a rule whose group lives in us-west-2, scanned in us-east-1, was reported missing.
    let states = [state(vec![
        rec(
            "aws_security_group",
            "west",
            sg_in("sg-w", "us-west-2", vec![]),
        ),
        sg_rule_resource("sg-w", 5432, &["10.0.0.0/16"]),
    ])];
    let east_only = observation(vec![]);
    let r = run(&states, &east_only, false);
    assert_eq!(lines(&r), Vec::<String>::new(), "never missing");
    let reasons: Vec<_> = r
        .not_checked
        .iter()
        .map(|n| (n.resource_type.as_str(), n.reason.clone()))
        .collect();
    assert_eq!(
        reasons,
        vec![
            (
                "aws_security_group",
                NotCheckedReason::RegionNotScanned("us-west-2".into())
            ),
            (
                "aws_security_group_rule",
                NotCheckedReason::RegionNotScanned("us-west-2".into())
            ),
        ]
    );
    assert!(!complete(&r));

    // Scanned in its region: checked, and clean.
    let mut seen = vec![obs(
        "aws_security_group",
        "sg-w",
        sg_in("sg-w", "us-west-2", vec![]),
    )];
    seen.extend(sgr_views("sgr-a", "sg-w", 5432, "10.0.0.0/16"));
    let mut both = observation(
        seen.into_iter()
            .map(|o| in_region(o, "us-west-2"))
            .collect(),
    );
    both.regions = vec!["us-east-1".into(), "us-west-2".into()];
    let r = run(&states, &both, false);
    assert_eq!(lines(&r), Vec::<String>::new());
    assert_eq!(r.summary.checked, 2);
    assert!(complete(&r));

    // Deleted there: missing, and in the group's region.
    let mut gone = both.clone();
    gone.resources.retain(|o| o.cloud_id != "sgr-a");
    let r = run(&states, &gone, false);
    assert_eq!(
        lines(&r),
        vec!["missing aws_security_group_rule sg-w/ingress/tcp/5432/5432/cidr_blocks=10.0.0.0/16"]
    );
    assert_eq!(r.drifts[0].region.as_deref(), Some("us-west-2"));
}

#[test]
fn a_rule_whose_region_nothing_says_is_not_checked_never_missing() {
    // The group is in no state: the scan is where its region would come from.
    let states = [state(vec![sg_rule_resource("sg-x", 22, &["10.0.0.0/8"])])];
    let r = run(&states, &observation(vec![]), false);
    assert!(r.drifts.is_empty());
    assert_eq!(r.not_checked.len(), 1);
    assert_eq!(r.not_checked[0].reason, NotCheckedReason::RegionUnknown);
    assert!(!complete(&r));

    // The group seen in a scanned region places the rule there: then it can be missing.
    let group = obs("aws_security_group", "sg-x", sg("sg-x", vec![]));
    let r = run(&states, &observation(vec![group.clone()]), false);
    assert_eq!(
        lines(&r),
        vec![
            "missing aws_security_group_rule sg-x/ingress/tcp/22/22/cidr_blocks=10.0.0.0/8",
            "unmanaged aws_security_group sg-x"
        ]
    );
    let mut seen = vec![group];
    seen.extend(sgr_views("sgr-1", "sg-x", 22, "10.0.0.0/8"));
    let r = run(&states, &observation(seen), false);
    assert_eq!(lines(&r), vec!["unmanaged aws_security_group sg-x"]);
    assert!(complete(&r));
}

/// A default group's views as driftgate's AWS provider emits them, rule views included:
/// AWS's own two rules, and whatever `extra` rule views the account added.
fn default_group(ingress: Vec<Value>, extra: Vec<ObservedResource>) -> Vec<ObservedResource> {
    let mut group = sg("sg-d", ingress);
    group.insert("name".into(), s("default"));
    group.insert("description".into(), s("default VPC security group"));
    let mut primary = obs("aws_security_group", "sg-d", group.clone());
    primary.owner = Owner::Aws("default security group".into());
    let mut adopted = obs("aws_default_security_group", "sg-d", group);
    adopted.owner = primary.owner.clone();
    adopted.primary = false;
    let mut out = vec![primary, adopted];
    let mut own_rule = sgr_views("sgr-self", "sg-d", 0, "");
    for v in &mut own_rule {
        v.owner = Owner::Aws("default rule of a default security group".into());
    }
    out.extend(own_rule);
    out.extend(extra);
    out
}

fn self_all() -> Value {
    let mut b = rule_block("-1", 0, 0, &[]);
    if let Value::Map(m) = &mut b {
        m.insert("self".into(), Value::Bool(true));
    }
    b
}

#[test]
fn a_rule_the_account_added_to_a_default_group_is_its_drift() {
    let ssh = sgr_views("sgr-ssh", "sg-d", 22, "0.0.0.0/0");
    let before = observation(default_group(vec![self_all()], vec![]));
    assert_eq!(lines(&run(&[], &before, false)), Vec::<String>::new());

    let after = observation(default_group(
        vec![self_all(), rule_block("tcp", 22, 22, &["0.0.0.0/0"])],
        ssh,
    ));
    // Without --strict: the SSH rule, not AWS's rules nor the AWS-owned group.
    assert_eq!(
        lines(&run(&[], &after, false)),
        vec!["unmanaged aws_vpc_security_group_ingress_rule sgr-ssh"]
    );
    // With --strict the group itself is reported, and its ingress shows the rule.
    assert_eq!(
        lines(&run(&[], &after, true)),
        vec!["unmanaged aws_security_group sg-d"]
    );
}

#[test]
fn a_default_group_terraform_adopted_changes_instead_of_unmanaged() {
    let mut recorded = sg("sg-d", vec![self_all()]);
    recorded.insert("name".into(), s("default"));
    recorded.insert("description".into(), s("default VPC security group"));
    recorded.insert("revoke_rules_on_delete".into(), Value::Bool(false));
    let states = [state(vec![rec(
        "aws_default_security_group",
        "this",
        recorded,
    )])];
    let clean = run(
        &states,
        &observation(default_group(vec![self_all()], vec![])),
        false,
    );
    assert_eq!(lines(&clean), Vec::<String>::new());
    assert_eq!(clean.summary.checked, 1);

    let after = observation(default_group(
        vec![self_all(), rule_block("tcp", 22, 22, &["0.0.0.0/0"])],
        sgr_views("sgr-ssh", "sg-d", 22, "0.0.0.0/0"),
    ));
    for strict in [false, true] {
        assert_eq!(
            lines(&run(&states, &after, strict)),
            vec!["changed aws_default_security_group sg-d ingress"],
            "strict: {strict}"
        );
    }
}

/// Every ordering of `items` (Heap's algorithm).
fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
    fn go<T: Clone>(k: usize, a: &mut Vec<T>, out: &mut Vec<Vec<T>>) {
        if k <= 1 {
            out.push(a.clone());
            return;
        }
        for i in 0..k {
            go(k - 1, a, out);
            let j = if k.is_multiple_of(2) { i } else { 0 };
            a.swap(j, k - 1);
        }
    }
    let mut a = items.to_vec();
    let mut out = Vec::new();
    go(a.len(), &mut a, &mut out);
    out
}

#[test]
fn every_source_of_a_rule_is_compared_in_full_in_any_order() {
    let mut rule = sg_rule_resource("sg-1", 5432, &["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"]);
    rule.attributes.insert("description".into(), s("postgres"));
    let states = [state(vec![
        rec("aws_security_group", "db", sg("sg-1", vec![])),
        rule,
    ])];
    let views = |second: &str| {
        let mut seen = vec![obs("aws_security_group", "sg-1", sg("sg-1", vec![]))];
        for (id, cidr, description) in [
            ("sgr-a", "10.0.0.0/16", "postgres"),
            ("sgr-b", "10.1.0.0/16", second),
            ("sgr-c", "10.2.0.0/16", "postgres"),
        ] {
            for mut v in sgr_views(id, "sg-1", 5432, cidr) {
                v.attributes.insert("description".into(), s(description));
                seen.push(v);
            }
        }
        seen
    };
    let key = "sg-1/ingress/tcp/5432/5432/cidr_blocks=10.0.0.0/16";
    let clean = views("postgres");
    let changed = views("opened by hand");
    let mut runs = 0;
    for order in permutations(&changed[1..]) {
        let mut seen = vec![changed[0].clone()];
        seen.extend(order);
        let r = run(&states, &observation(seen), false);
        assert_eq!(
            lines(&r),
            vec![format!(
                "changed aws_security_group_rule {key} description[\"10.1.0.0/16\"]"
            )]
        );
        let c = &r.drifts[0].changes[0];
        assert_eq!(
            (&c.before, &c.after),
            (&s("postgres"), &s("opened by hand"))
        );
        runs += 1;
    }
    assert_eq!(runs, 720);
    let mut reversed = clean.clone();
    reversed.reverse();
    for seen in [clean, reversed] {
        assert_eq!(
            lines(&run(&states, &observation(seen), false)),
            Vec::<String>::new()
        );
    }
    // All of them changed alike: one change of the attribute.
    let mut all = views("x");
    for o in &mut all {
        if o.resource_type == "aws_security_group_rule" {
            o.attributes.insert("description".into(), s("x"));
        }
    }
    assert_eq!(
        lines(&run(&states, &observation(all), false)),
        vec![format!("changed aws_security_group_rule {key} description")]
    );
}

fn iam_policy(doc: &str) -> Attributes {
    attrs(&[
        ("id", s("arn:aws:iam::123456789012:policy/describe")),
        ("arn", s("arn:aws:iam::123456789012:policy/describe")),
        ("name", s("describe")),
        ("path", s("/")),
        ("policy", s(doc)),
    ])
}

#[test]
fn an_equivalent_document_is_no_change_and_a_real_one_shows_as_recorded() {
    let recorded = r#"{"Statement":[{"Action":"ec2:Describe*","Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}"#;
    let equivalent = r#"{"Version": "2012-10-17", "Statement": {"Sid": "", "Effect": "allow", "Action": ["EC2:describe*"], "Resource": ["*"]}}"#;
    let wider = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:*","Resource":"*"}]}"#;
    let st = [state(vec![rec(
        "aws_iam_policy",
        "describe",
        iam_policy(recorded),
    )])];
    let clean = run(
        &st,
        &observation(vec![obs(
            "aws_iam_policy",
            "describe",
            iam_policy(equivalent),
        )]),
        false,
    );
    assert!(clean.drifts.is_empty(), "{:?}", clean.drifts);

    let r = run(
        &st,
        &observation(vec![obs("aws_iam_policy", "describe", iam_policy(wider))]),
        false,
    );
    let c = &r.drifts[0].changes[0];
    assert_eq!(c.path.to_string(), "policy");
    // Compared in canonical form (actions lowercased), shown as recorded and observed.
    assert!(c.before.as_str().unwrap().contains("ec2:describe*"));
    assert_eq!(c.recorded, s(recorded));
    assert_eq!(c.observed, s(wider));
    let r = crate::policy::grade::grade(
        r,
        &crate::policy::Policy::default(),
        None,
        crate::model::Severity::Info,
        crate::model::Unchecked::Fail,
        time::macros::date!(2026 - 12 - 01),
    );
    let table = crate::render::table::render_table(&r, &Default::default());
    let json = crate::render::json::render_json(&r, &Default::default());
    for out in [&table, &json] {
        assert!(out.contains("ec2:Describe*"), "{out}");
        assert!(!out.contains("ec2:describe*"), "{out}");
    }
    assert!(
        table.contains("-      \"Action\": \"ec2:Describe*\","),
        "{table}"
    );
    assert!(table.contains("+      \"Action\": \"ec2:*\","), "{table}");
}

/// Whether the diff saw everything: no gap, and every recorded resource compared.
fn complete(r: &DiffReport) -> bool {
    r.gaps.is_empty() && r.not_checked.is_empty()
}

/// `aws_ebs_encryption_by_default` is one setting per region, each matched by the same key
/// (`default`): in a multi-region scan a recorded setting is the one of its own region, as its
/// provider configuration's other resources say (provider 5), or its recorded `region`
/// (provider 6); the two regions' settings never stand for one another.
#[test]
fn a_region_s_one_setting_is_matched_in_its_own_region() {
    let setting = |enabled: bool| {
        attrs(&[
            ("id", s("terraform-20261207")),
            ("enabled", Value::Bool(enabled)),
        ])
    };
    let observed = |region: &str, enabled: bool| {
        let mut o = in_region(
            obs(
                "aws_ebs_encryption_by_default",
                "default",
                attrs(&[("setting", s("default")), ("enabled", Value::Bool(enabled))]),
            ),
            region,
        );
        o.owner = Owner::Aws("the region's EBS encryption setting".into());
        o
    };
    let vpc = |id: &str, region: &str| {
        attrs(&[
            ("id", s(id)),
            (
                "arn",
                s(&format!("arn:aws:ec2:{region}:123456789012:vpc/{id}")),
            ),
        ])
    };
    let mut east = rec("aws_ebs_encryption_by_default", "east", setting(true));
    let mut west = rec("aws_ebs_encryption_by_default", "west", setting(true));
    let east_vpc = rec("aws_vpc", "east", vpc("vpc-e", "us-east-1"));
    let mut west_vpc = rec("aws_vpc", "west", vpc("vpc-w", "eu-west-1"));
    let aliased = "provider[\"registry.terraform.io/hashicorp/aws\"].west".to_string();
    west.provider = aliased.clone();
    west_vpc.provider = aliased;
    let mut o = observation(vec![
        observed("us-east-1", true),
        observed("eu-west-1", false),
        in_region(
            obs("aws_vpc", "vpc-e", vpc("vpc-e", "us-east-1")),
            "us-east-1",
        ),
        in_region(
            obs("aws_vpc", "vpc-w", vpc("vpc-w", "eu-west-1")),
            "eu-west-1",
        ),
    ]);
    o.regions = vec!["eu-west-1".into(), "us-east-1".into()];
    let states = [state(vec![
        east.clone(),
        west.clone(),
        east_vpc.clone(),
        west_vpc.clone(),
    ])];
    let r = run(&states, &o, false);
    assert!(r.not_checked.is_empty(), "{:?}", r.not_checked);
    assert_eq!(
        lines(&r),
        vec!["changed aws_ebs_encryption_by_default default enabled"]
    );
    assert_eq!(r.drifts[0].region.as_deref(), Some("eu-west-1"));
    assert_eq!(
        r.drifts[0]
            .address
            .as_ref()
            .map(ToString::to_string)
            .as_deref(),
        Some("aws_ebs_encryption_by_default.west")
    );

    // Provider 6 records each resource's `region`: that places it, whatever its siblings.
    east.attributes.insert("region".into(), s("us-east-1"));
    west.attributes.insert("region".into(), s("eu-west-1"));
    west.provider = east.provider.clone();
    o.resources.retain(|x| x.resource_type != "aws_vpc");
    let r = run(&[state(vec![east, west])], &o, false);
    assert!(r.not_checked.is_empty(), "{:?}", r.not_checked);
    assert_eq!(r.drifts.len(), 1, "{:?}", lines(&r));
    assert_eq!(r.drifts[0].region.as_deref(), Some("eu-west-1"));

    // Nothing says where a setting is: not checked, never matched to either region's.
    let alone = rec("aws_ebs_encryption_by_default", "alone", setting(false));
    let r = run(&[state(vec![alone])], &o, false);
    assert!(r.drifts.is_empty(), "{:?}", lines(&r));
    assert_eq!(r.not_checked[0].reason, NotCheckedReason::RegionUnknown);
}

/// `n` unmanaged VPCs, each with a tag of `tag_bytes` bytes.
fn vpcs_with_big_tags(n: usize, tag_bytes: usize) -> Observation {
    observation(
        (0..n)
            .map(|i| {
                let id = format!("vpc-{i:04}");
                let tags = Value::Map(BTreeMap::from([(
                    "notes".to_string(),
                    s(&"x".repeat(tag_bytes)),
                )]));
                obs(
                    "aws_vpc",
                    &id,
                    attrs(&[
                        ("id", s(&id)),
                        ("cidr_block", s("10.0.0.0/16")),
                        ("instance_tenancy", s("default")),
                        ("tags", tags),
                    ]),
                )
            })
            .collect(),
    )
}

#[test]
fn taking_the_objects_reports_what_borrowing_them_does_and_leaves_none() {
    let registry = Registry::builtin().unwrap();
    let states = [state(vec![rec(
        "aws_vpc",
        "main",
        attrs(&[("id", s("vpc-0001")), ("cidr_block", s("10.0.0.0/16"))]),
    )])];
    let mut o = vpcs_with_big_tags(5, 8);
    let borrowed = run(&states, &o, false);
    let taken = scan_taking(&registry, &states, &mut o, false, None);
    assert_eq!(taken, borrowed);
    assert_eq!(
        lines(&taken),
        [
            "changed aws_vpc vpc-0001 tags.notes",
            "unmanaged aws_vpc vpc-0000",
            "unmanaged aws_vpc vpc-0002",
            "unmanaged aws_vpc vpc-0003",
            "unmanaged aws_vpc vpc-0004",
        ]
    );
    assert!(
        taken.drifts.iter().all(|d| d.observed.is_some()),
        "every finding shows its object"
    );
    assert!(o.resources.is_empty(), "the observed objects were taken");
}

/// What an unmanaged finding shows is made from its object as the object is dropped: the
/// observed objects and the findings' view of them are never held side by side (at 50,000
/// resources that was a second copy of every object, about 7.6 KB each).
#[test]
fn an_unmanaged_object_s_view_is_not_held_beside_the_object() {
    let registry = Registry::builtin().unwrap();
    let (n, tag_bytes) = (64, 16 * 1024);
    // The measure sees such a copy: borrowing the objects, the views are made beside them.
    let o = vpcs_with_big_tags(n, tag_bytes);
    let (_, held) = crate::test_alloc::peak_beyond(|| run(&[], &o, false));
    assert!(held >= n * tag_bytes, "held {held}");
    drop(o);
    let mut o = vpcs_with_big_tags(n, tag_bytes);
    let (report, held) =
        crate::test_alloc::peak_beyond(|| scan_taking(&registry, &[], &mut o, false, None));
    assert_eq!(report.summary.unmanaged, n);
    // Each finding's view holds its tag: the objects' tags are now in the report alone.
    let shown: usize = report
        .drifts
        .iter()
        .filter_map(|d| {
            d.observed
                .as_ref()?
                .get("tags")?
                .as_map()?
                .get("notes")?
                .as_str()
        })
        .map(str::len)
        .sum();
    assert_eq!(shown, n * tag_bytes);
    // Beyond the objects themselves the scan held at most a few views at once, never all of
    // them (64 tags of 16 KB: 1 MB).
    assert!(
        held < n * tag_bytes / 4,
        "held {held} bytes beyond the observation: the views were made beside the objects"
    );
}
