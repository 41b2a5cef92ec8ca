//! Live: `provider::aws::observe` against moto (an AWS emulator on a loopback port).
//!
//! Objects are created with the SDK itself, observed, and every attribute checked for value and
//! shape as the hashicorp/aws provider records it. Skipped (with a printed reason) when
//! `moto_server` is absent, unless `CI` is set.

use crate::support::moto::Moto;
use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_ec2::config::Credentials;
use driftgate::model::{Observation, ObservedResource, Owner, Value};
use driftgate::provider::aws::{ObserveRequest, Progress, ProgressEvent, observe, supported_types};

const ACCOUNT: &str = "123456789012";
const TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const S3_READ: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
const EC2_DESCRIBE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ec2:Describe*","Resource":"*"}]}"#;

/// A moto server on a free loopback port, killed on drop.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind a loopback port")
        .local_addr()
        .expect("local address")
        .port()
}

async fn sdk(port: u16) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials_provider(Credentials::new("testing", "testing", None, None, "test"))
        .region(Region::new("us-east-1"))
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        .timeout_config(
            TimeoutConfig::builder()
                .connect_timeout(Duration::from_secs(2))
                .build(),
        )
        .load()
        .await
}

fn all_types() -> BTreeSet<String> {
    supported_types().into_iter().map(String::from).collect()
}

fn recorder() -> (Progress, Arc<Mutex<Vec<ProgressEvent>>>) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = events.clone();
    let progress: Progress = Arc::new(move |e| sink.lock().unwrap().push(e));
    (progress, events)
}

/// What an attribute must be: exactly a value, or any non-empty string (ids the cloud makes up).
enum Want {
    Eq(Value),
    AnyString,
}

fn eq(v: impl Into<Value>) -> Want {
    Want::Eq(v.into())
}

fn map(pairs: &[(&str, &str)]) -> Want {
    Want::Eq(Value::Map(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::from(*v)))
            .collect(),
    ))
}

fn strings(items: &[&str]) -> Value {
    Value::List(items.iter().map(|s| Value::from(*s)).collect())
}

/// The attribute names are exactly those of `want`, and each value matches.
fn assert_attributes(resource: &ObservedResource, want: Vec<(&str, Want)>) {
    let got = &resource.attributes;
    let want_keys: BTreeSet<&str> = want.iter().map(|(k, _)| *k).collect();
    let got_keys: BTreeSet<&str> = got.keys().map(String::as_str).collect();
    assert_eq!(
        got_keys, want_keys,
        "attribute names of {} {}",
        resource.resource_type, resource.cloud_id
    );
    for (key, w) in want {
        let value = &got[key];
        match w {
            Want::Eq(expected) => assert_eq!(
                value, &expected,
                "{}.{key} of {}",
                resource.resource_type, resource.cloud_id
            ),
            Want::AnyString => assert!(
                value.as_str().is_some_and(|s| !s.is_empty()),
                "{}.{key} of {} should be a string, is {value}",
                resource.resource_type,
                resource.cloud_id
            ),
        }
    }
}

fn find<'a>(obs: &'a Observation, resource_type: &str, cloud_id: &str) -> &'a ObservedResource {
    obs.resources
        .iter()
        .find(|r| r.resource_type == resource_type && r.cloud_id == cloud_id)
        .unwrap_or_else(|| panic!("no {resource_type} {cloud_id} observed"))
}

fn of_type<'a>(obs: &'a Observation, resource_type: &str) -> Vec<&'a ObservedResource> {
    obs.resources
        .iter()
        .filter(|r| r.resource_type == resource_type)
        .collect()
}

fn block(entries: &[(&str, Value)]) -> Value {
    let mut b: BTreeMap<String, Value> = [
        ("cidr_blocks", Value::List(vec![])),
        ("description", Value::from("")),
        ("ipv6_cidr_blocks", Value::List(vec![])),
        ("prefix_list_ids", Value::List(vec![])),
        ("security_groups", Value::List(vec![])),
        ("self", Value::from(false)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in entries {
        b.insert(k.to_string(), v.clone());
    }
    Value::Map(b)
}

struct Created {
    vpc: String,
    subnet: String,
    sg: String,
    instance: String,
    policy_arn: String,
}

async fn create_objects(sdk: &SdkConfig) -> Created {
    use aws_sdk_ec2::types::{
        AttributeBooleanValue, IamInstanceProfileSpecification, IpPermission, IpRange,
        ResourceType, Tag, TagSpecification, UserIdGroupPair,
    };
    let ec2 = aws_sdk_ec2::Client::new(sdk);
    let iam = aws_sdk_iam::Client::new(sdk);
    let tags = |rt: ResourceType, pairs: &[(&str, &str)]| {
        let mut spec = TagSpecification::builder().resource_type(rt);
        for (k, v) in pairs {
            spec = spec.tags(Tag::builder().key(*k).value(*v).build());
        }
        spec.build()
    };

    let vpc = ec2
        .create_vpc()
        .cidr_block("10.0.0.0/16")
        .tag_specifications(tags(
            ResourceType::Vpc,
            &[("Name", "main"), ("team", "core")],
        ))
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    ec2.modify_vpc_attribute()
        .vpc_id(&vpc)
        .enable_dns_hostnames(AttributeBooleanValue::builder().value(true).build())
        .send()
        .await
        .unwrap();
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.0.1.0/24")
        .availability_zone("us-east-1a")
        .tag_specifications(tags(ResourceType::Subnet, &[("Name", "app")]))
        .send()
        .await
        .unwrap()
        .subnet
        .unwrap()
        .subnet_id
        .unwrap();
    let sg = ec2
        .create_security_group()
        .group_name("web")
        .description("web tier")
        .vpc_id(&vpc)
        .tag_specifications(tags(ResourceType::SecurityGroup, &[("tier", "web")]))
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    ec2.authorize_security_group_ingress()
        .group_id(&sg)
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(443)
                .to_port(443)
                .ip_ranges(
                    IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .description("world")
                        .build(),
                )
                .build(),
        )
        .ip_permissions(
            IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(22)
                .to_port(22)
                .user_id_group_pairs(UserIdGroupPair::builder().group_id(&sg).build())
                .build(),
        )
        .send()
        .await
        .unwrap();

    iam.create_instance_profile()
        .instance_profile_name("worker")
        .path("/apps/")
        .send()
        .await
        .unwrap();
    let instance = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet)
        .security_group_ids(&sg)
        .iam_instance_profile(
            IamInstanceProfileSpecification::builder()
                .name("worker")
                .build(),
        )
        .tag_specifications(tags(ResourceType::Instance, &[("Name", "worker-a")]))
        .send()
        .await
        .unwrap()
        .instances
        .unwrap()
        .remove(0)
        .instance_id
        .unwrap();
    // A terminated instance is gone and must not be observed.
    let doomed = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet)
        .send()
        .await
        .unwrap()
        .instances
        .unwrap()
        .remove(0)
        .instance_id
        .unwrap();
    ec2.terminate_instances()
        .instance_ids(&doomed)
        .send()
        .await
        .unwrap();

    // The tag every IAM object gets.
    let team = || {
        aws_sdk_iam::types::Tag::builder()
            .key("team")
            .value("core")
            .build()
            .unwrap()
    };
    let policy_arn = iam
        .create_policy()
        .policy_name("p")
        .description("describe ec2")
        .policy_document(EC2_DESCRIBE)
        .tags(team())
        .send()
        .await
        .unwrap()
        .policy
        .unwrap()
        .arn
        .unwrap();
    iam.create_role()
        .role_name("app")
        .assume_role_policy_document(TRUST)
        .description("app role")
        .max_session_duration(7200)
        .tags(team())
        .send()
        .await
        .unwrap();
    iam.put_role_policy()
        .role_name("app")
        .policy_name("inline")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    iam.attach_role_policy()
        .role_name("app")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();
    iam.create_user()
        .user_name("deploy")
        .tags(team())
        .send()
        .await
        .unwrap();
    iam.put_user_policy()
        .user_name("deploy")
        .policy_name("up")
        .policy_document(S3_READ)
        .send()
        .await
        .unwrap();
    iam.attach_user_policy()
        .user_name("deploy")
        .policy_arn(&policy_arn)
        .send()
        .await
        .unwrap();

    Created {
        vpc,
        subnet,
        sg,
        instance,
        policy_arn,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn observes_moto_as_the_provider_records_state() {
    let Some(moto) = Moto::start() else { return };
    let sdk = sdk(moto.port).await;
    let c = create_objects(&sdk).await;

    let (progress, events) = recorder();
    let request = ObserveRequest {
        regions: vec!["us-east-1".into()],
        resource_types: all_types(),
        ..Default::default()
    };
    let obs = observe(&sdk, &request, progress).await;

    assert_eq!(obs.gaps, vec![], "a healthy endpoint leaves no gaps");
    assert_eq!(obs.regions, vec!["us-east-1"]);
    assert_eq!(
        obs.resource_types,
        supported_types()
            .into_iter()
            .map(String::from)
            .collect::<Vec<_>>()
    );
    let keys: Vec<(&str, &str)> = obs
        .resources
        .iter()
        .map(|r| (r.resource_type.as_str(), r.cloud_id.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "resources are sorted by (type, cloud id)");

    // Progress: planned first, then one Done per task; the per-object reads are announced
    // before they run, and each one is counted once.
    let events = events.lock().unwrap().clone();
    let Some(ProgressEvent::Planned { tasks }) = events.first().cloned() else {
        panic!("first progress event is Planned: {events:?}");
    };
    let count = |f: fn(&ProgressEvent) -> usize| events.iter().map(f).sum::<usize>();
    assert_eq!(
        count(|e| matches!(e, ProgressEvent::Done { .. }) as usize),
        tasks
    );
    let planned_reads = count(|e| match e {
        ProgressEvent::ReadsPlanned { reads } => *reads,
        _ => 0,
    });
    let per_object_calls = obs
        .api_calls
        .get("ec2:DescribeVpcAttribute")
        .copied()
        .unwrap_or(0)
        + [
            "iam:ListPolicyTags",
            "iam:ListAccessKeys",
            "iam:ListSSHPublicKeys",
            "iam:GetSSHPublicKey",
            "iam:GetLoginProfile",
            "iam:GetInstanceProfile",
            "iam:GetOpenIDConnectProvider",
            "iam:GetSAMLProvider",
            "iam:GetRole",
        ]
        .iter()
        .map(|api| obs.api_calls.get(*api).copied().unwrap_or(0))
        .sum::<u64>();
    assert_eq!(planned_reads as u64, per_object_calls);
    assert_eq!(
        count(|e| matches!(e, ProgressEvent::ReadDone) as usize),
        planned_reads
    );

    // ---- VPC ------------------------------------------------------------------------------
    let vpc = find(&obs, "aws_vpc", &c.vpc);
    assert_eq!(vpc.owner, Owner::User);
    assert!(vpc.primary);
    assert_eq!(vpc.region.as_deref(), Some("us-east-1"));
    assert_attributes(
        vpc,
        vec![
            ("id", eq(c.vpc.as_str())),
            (
                "arn",
                eq(format!("arn:aws:ec2:us-east-1:{ACCOUNT}:vpc/{}", c.vpc)),
            ),
            ("cidr_block", eq("10.0.0.0/16")),
            ("instance_tenancy", eq("default")),
            ("enable_dns_support", eq(true)),
            ("enable_dns_hostnames", eq(true)),
            ("dhcp_options_id", Want::AnyString),
            ("owner_id", eq(ACCOUNT)),
            ("tags", map(&[("Name", "main"), ("team", "core")])),
        ],
    );
    let default_vpcs: Vec<_> = of_type(&obs, "aws_vpc")
        .into_iter()
        .filter(|v| v.cloud_id != c.vpc)
        .collect();
    assert_eq!(default_vpcs.len(), 1, "moto's default VPC");
    assert!(matches!(default_vpcs[0].owner, Owner::Aws(_)));
    assert_eq!(
        obs.api_calls.get("ec2:DescribeVpcAttribute"),
        Some(&4),
        "two DNS flags for each of two VPCs"
    );

    // No read that cannot matter: asked for the flags of the recorded VPC only, the scan reads
    // two (not four), and the other VPC carries no flags at all rather than guessed ones.
    let (progress2, _) = recorder();
    let narrow = observe(
        &sdk,
        &ObserveRequest {
            regions: vec!["us-east-1".into()],
            resource_types: all_types(),
            per_object_reads: [
                ("aws_vpc".to_string(), [c.vpc.clone()].into()),
                // As a scan asks (`ops::per_object_reads` names every type with such an
                // attribute): no state records the default VPC as an `aws_default_vpc`.
                ("aws_default_vpc".to_string(), BTreeSet::new()),
                // No state records the customer policy: its tags are not read.
                ("aws_iam_policy".to_string(), BTreeSet::new()),
            ]
            .into(),
            ..Default::default()
        },
        progress2,
    )
    .await;
    assert_eq!(narrow.api_calls.get("ec2:DescribeVpcAttribute"), Some(&2));
    assert_eq!(narrow.api_calls.get("iam:ListPolicyTags"), None);
    let policy = find(&narrow, "aws_iam_policy", &c.policy_arn);
    assert!(!policy.attributes.contains_key("tags"), "unread, not empty");
    assert_eq!(
        policy.attributes.get("policy"),
        find(&obs, "aws_iam_policy", &c.policy_arn)
            .attributes
            .get("policy"),
        "the listing's attributes are all there"
    );
    let ours = find(&narrow, "aws_vpc", &c.vpc);
    assert_eq!(ours.attributes["enable_dns_hostnames"], Value::Bool(true));
    let other = of_type(&narrow, "aws_vpc")
        .into_iter()
        .find(|v| v.cloud_id != c.vpc)
        .unwrap();
    assert!(!other.attributes.contains_key("enable_dns_support"));
    assert!(!other.attributes.contains_key("enable_dns_hostnames"));

    // ---- subnets -------------------------------------------------------------------------
    let subnet = find(&obs, "aws_subnet", &c.subnet);
    assert_eq!(subnet.owner, Owner::User);
    assert_attributes(
        subnet,
        vec![
            ("id", eq(c.subnet.as_str())),
            (
                "arn",
                eq(format!(
                    "arn:aws:ec2:us-east-1:{ACCOUNT}:subnet/{}",
                    c.subnet
                )),
            ),
            ("vpc_id", eq(c.vpc.as_str())),
            ("cidr_block", eq("10.0.1.0/24")),
            ("availability_zone", eq("us-east-1a")),
            ("availability_zone_id", Want::AnyString),
            ("map_public_ip_on_launch", eq(false)),
            ("assign_ipv6_address_on_creation", eq(false)),
            ("ipv6_cidr_block", eq("")),
            ("owner_id", eq(ACCOUNT)),
            ("tags", map(&[("Name", "app")])),
        ],
    );
    let default_subnets: Vec<_> = of_type(&obs, "aws_subnet")
        .into_iter()
        .filter(|s| s.cloud_id != c.subnet)
        .collect();
    assert!(!default_subnets.is_empty());
    assert!(
        default_subnets
            .iter()
            .all(|s| matches!(s.owner, Owner::Aws(_)))
    );

    // ---- security group ------------------------------------------------------------------
    let sg = find(&obs, "aws_security_group", &c.sg);
    assert_eq!(sg.owner, Owner::User);
    let tcp = |port: i32, extra: &[(&str, Value)]| {
        let mut entries = vec![
            ("protocol", Value::from("tcp")),
            ("from_port", Value::from(port)),
            ("to_port", Value::from(port)),
        ];
        entries.extend(extra.iter().cloned());
        block(&entries)
    };
    let mut ingress = vec![
        tcp(
            443,
            &[
                ("cidr_blocks", strings(&["0.0.0.0/0"])),
                ("description", Value::from("world")),
            ],
        ),
        tcp(22, &[("self", Value::from(true))]),
    ];
    ingress.sort();
    assert_attributes(
        sg,
        vec![
            ("id", eq(c.sg.as_str())),
            (
                "arn",
                eq(format!(
                    "arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{}",
                    c.sg
                )),
            ),
            ("name", eq("web")),
            ("description", eq("web tier")),
            ("vpc_id", eq(c.vpc.as_str())),
            ("owner_id", eq(ACCOUNT)),
            ("tags", map(&[("tier", "web")])),
            ("ingress", Want::Eq(Value::List(ingress))),
            (
                "egress",
                Want::Eq(Value::List(vec![block(&[
                    ("protocol", Value::from("-1")),
                    ("from_port", Value::from(0)),
                    ("to_port", Value::from(0)),
                    ("cidr_blocks", strings(&["0.0.0.0/0"])),
                ])])),
            ),
        ],
    );
    let defaults: Vec<_> = of_type(&obs, "aws_security_group")
        .into_iter()
        .filter(|g| g.attributes["name"] == Value::from("default"))
        .collect();
    assert!(defaults.len() >= 2, "default groups of both VPCs");
    assert!(defaults.iter().all(|g| matches!(g.owner, Owner::Aws(_))));

    // ---- rules: two views of each EC2 rule --------------------------------------------------
    let rules_of = |ty: &str| -> Vec<&ObservedResource> {
        of_type(&obs, ty)
            .into_iter()
            .filter(|r| r.attributes["security_group_id"] == Value::from(c.sg.as_str()))
            .collect()
    };
    let ingress_rules = rules_of("aws_vpc_security_group_ingress_rule");
    let egress_rules = rules_of("aws_vpc_security_group_egress_rule");
    let legacy_rules = rules_of("aws_security_group_rule");
    assert_eq!(ingress_rules.len(), 2);
    assert_eq!(egress_rules.len(), 1);
    assert_eq!(legacy_rules.len(), 3);
    assert!(ingress_rules.iter().chain(&egress_rules).all(|r| r.primary));
    assert!(legacy_rules.iter().all(|r| !r.primary));

    let self_rule = ingress_rules
        .iter()
        .find(|r| r.attributes["from_port"] == Value::from(22))
        .expect("the self-referencing rule");
    let id = self_rule.cloud_id.as_str();
    assert!(id.starts_with("sgr-"));
    // moto gap: moto returns no SecurityGroupRuleArn nor GroupOwnerId, so the ARN has no account.
    assert_attributes(
        self_rule,
        vec![
            ("id", eq(id)),
            ("security_group_rule_id", eq(id)),
            ("arn", Want::AnyString),
            ("security_group_id", eq(c.sg.as_str())),
            ("ip_protocol", eq("tcp")),
            ("from_port", eq(22)),
            ("to_port", eq(22)),
            ("cidr_ipv4", eq(Value::Null)),
            ("cidr_ipv6", eq(Value::Null)),
            ("prefix_list_id", eq(Value::Null)),
            ("referenced_security_group_id", eq(c.sg.as_str())),
            ("description", eq(Value::Null)),
            ("tags", map(&[])),
        ],
    );
    assert!(
        self_rule.attributes["arn"]
            .as_str()
            .unwrap()
            .ends_with(&format!(":security-group-rule/{id}"))
    );
    assert_attributes(
        find_view(&obs, "aws_security_group_rule", id),
        vec![
            ("security_group_id", eq(c.sg.as_str())),
            ("type", eq("ingress")),
            ("protocol", eq("tcp")),
            ("from_port", eq(22)),
            ("to_port", eq(22)),
            ("cidr_blocks", eq(Value::List(vec![]))),
            ("ipv6_cidr_blocks", eq(Value::List(vec![]))),
            ("prefix_list_ids", eq(Value::List(vec![]))),
            ("source_security_group_id", eq(Value::Null)),
            ("self", eq(true)),
            ("description", eq(Value::Null)),
        ],
    );

    let world = ingress_rules
        .iter()
        .find(|r| r.attributes["from_port"] == Value::from(443))
        .expect("the world-open rule");
    assert_eq!(world.attributes["cidr_ipv4"], Value::from("0.0.0.0/0"));
    assert_eq!(world.attributes["description"], Value::from("world"));
    assert_eq!(
        world.attributes["referenced_security_group_id"],
        Value::Null
    );
    let world_legacy = find_view(&obs, "aws_security_group_rule", &world.cloud_id);
    assert_eq!(
        world_legacy.attributes["cidr_blocks"],
        strings(&["0.0.0.0/0"])
    );
    assert_eq!(world_legacy.attributes["self"], Value::from(false));
    assert_eq!(world_legacy.attributes["description"], Value::from("world"));

    let all_out = egress_rules[0];
    assert_eq!(all_out.attributes["ip_protocol"], Value::from("-1"));
    assert_eq!(all_out.attributes["from_port"], Value::from(-1));
    assert_eq!(all_out.attributes["to_port"], Value::from(-1));
    let all_out_legacy = find_view(&obs, "aws_security_group_rule", &all_out.cloud_id);
    assert_eq!(all_out_legacy.attributes["type"], Value::from("egress"));
    assert_eq!(all_out_legacy.attributes["from_port"], Value::from(0));

    let default_ids: BTreeSet<&Value> = defaults.iter().map(|g| &g.attributes["id"]).collect();
    let default_rules: Vec<_> = obs
        .resources
        .iter()
        .filter(|r| {
            r.resource_type.contains("rule")
                && r.attributes
                    .get("security_group_id")
                    .is_some_and(|g| default_ids.contains(g))
        })
        .collect();
    assert!(!default_rules.is_empty());
    assert!(
        default_rules
            .iter()
            .all(|r| matches!(r.owner, Owner::Aws(_)))
    );

    // ---- instance ------------------------------------------------------------------------
    let instances = of_type(&obs, "aws_instance");
    assert_eq!(instances.len(), 1, "the terminated instance is gone");
    let instance = find(&obs, "aws_instance", &c.instance);
    assert_eq!(instance.owner, Owner::User);
    assert_attributes(
        instance,
        vec![
            ("id", eq(c.instance.as_str())),
            (
                "arn",
                eq(format!(
                    "arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{}",
                    c.instance
                )),
            ),
            ("ami", eq("ami-12c6146b")),
            ("instance_type", eq("t3.micro")),
            ("subnet_id", eq(c.subnet.as_str())),
            ("availability_zone", eq("us-east-1a")),
            ("tenancy", eq("default")),
            ("vpc_security_group_ids", eq(strings(&[c.sg.as_str()]))),
            ("key_name", eq("")),
            ("iam_instance_profile", eq("worker")),
            ("private_ip", Want::AnyString),
            ("private_dns", Want::AnyString),
            ("public_ip", eq("")),
            ("source_dest_check", eq(true)),
            ("monitoring", eq(false)),
            ("ebs_optimized", eq(false)),
            ("instance_state", eq("running")),
            ("primary_network_interface_id", Want::AnyString),
            ("tags", map(&[("Name", "worker-a")])),
        ],
    );

    // ---- IAM -----------------------------------------------------------------------------
    let role = find(&obs, "aws_iam_role", "app");
    assert_eq!(role.owner, Owner::User);
    assert_eq!(role.region, None);
    let inline = Value::List(vec![Value::Map(
        [
            ("name".to_string(), Value::from("inline")),
            ("policy".to_string(), Value::from(S3_READ)),
        ]
        .into(),
    )]);
    assert_attributes(
        role,
        vec![
            ("id", eq("app")),
            ("name", eq("app")),
            ("arn", eq(format!("arn:aws:iam::{ACCOUNT}:role/app"))),
            ("path", eq("/")),
            ("unique_id", Want::AnyString),
            ("create_date", Want::AnyString),
            ("assume_role_policy", eq(TRUST)),
            ("description", eq("app role")),
            ("max_session_duration", eq(7200)),
            ("permissions_boundary", eq("")),
            ("tags", map(&[("team", "core")])),
            ("managed_policy_arns", eq(strings(&[c.policy_arn.as_str()]))),
            ("inline_policy", Want::Eq(inline)),
        ],
    );
    assert_attributes(
        find(&obs, "aws_iam_user", "deploy"),
        vec![
            ("id", eq("deploy")),
            ("name", eq("deploy")),
            ("arn", eq(format!("arn:aws:iam::{ACCOUNT}:user/deploy"))),
            ("path", eq("/")),
            ("unique_id", Want::AnyString),
            ("permissions_boundary", eq("")),
            ("tags", map(&[("team", "core")])),
        ],
    );
    // The role's and the user's inline policy and policy attachment.
    for (entity, name, inline) in [("role", "app", "inline"), ("user", "deploy", "up")] {
        let id = format!("{name}:{inline}");
        assert_attributes(
            find(&obs, &format!("aws_iam_{entity}_policy"), &id),
            vec![
                ("id", eq(id.as_str())),
                (entity, eq(name)),
                ("name", eq(inline)),
                ("policy", eq(S3_READ)),
            ],
        );
        assert_attributes(
            find(
                &obs,
                &format!("aws_iam_{entity}_policy_attachment"),
                &format!("{name}/{}", c.policy_arn),
            ),
            vec![
                (entity, eq(name)),
                ("policy_arn", eq(c.policy_arn.as_str())),
            ],
        );
    }
    let policy = find(&obs, "aws_iam_policy", &c.policy_arn);
    assert_eq!(policy.owner, Owner::User);
    assert_eq!(policy.attributes["id"], Value::from(c.policy_arn.as_str()));
    assert_eq!(policy.attributes["arn"], Value::from(c.policy_arn.as_str()));
    assert_eq!(policy.attributes["name"], Value::from("p"));
    assert_eq!(policy.attributes["path"], Value::from("/"));
    assert_eq!(
        policy.attributes["description"],
        Value::from("describe ec2")
    );
    assert_eq!(policy.attributes["policy"], Value::from(EC2_DESCRIBE));
    assert_eq!(policy.attributes["attachment_count"], Value::from(2));
    assert_eq!(
        policy.attributes["tags"],
        Value::Map([("team".to_string(), Value::from("core"))].into())
    );

    // ---- calls ---------------------------------------------------------------------------
    for op in [
        "ec2:DescribeVpcs",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeSecurityGroupRules",
        "ec2:DescribeInternetGateways",
        "ec2:DescribeVolumes",
        "ec2:DescribeKeyPairs",
        "ec2:DescribeLaunchTemplates",
        "ec2:DescribeImages",
        "ec2:DescribeSnapshots",
        "ec2:GetEbsEncryptionByDefault",
        "iam:GetAccountAuthorizationDetails",
        "iam:ListRoles",
        "iam:ListOpenIDConnectProviders",
        "iam:ListSAMLProviders",
    ] {
        assert_eq!(obs.api_calls.get(op), Some(&1), "{op}: one page");
    }
    // The instances' listing, once: the EBS volume unit takes the root device names of the
    // instances that have a volume attached that is not deleted with them (moto reports no
    // `DeleteOnTermination`, so here every instance with a volume) from the instance unit's
    // listing of the region, shared (it was a second, by-id DescribeInstances: 2 calls).
    assert_eq!(
        obs.api_calls.get("ec2:DescribeInstances"),
        Some(&1),
        "ec2:DescribeInstances: one page, shared by the instance and volume units"
    );
    assert_eq!(
        obs.api_calls.get("iam:ListPolicyTags"),
        Some(&1),
        "one per customer policy"
    );
    // One GetAccountAuthorizationDetails sweep, shared by every IAM unit that reads it; the
    // per-user and per-profile reads once each (one user, one profile).
    for op in [
        "iam:ListAccessKeys",
        "iam:ListSSHPublicKeys",
        "iam:GetLoginProfile",
        "iam:GetInstanceProfile",
    ] {
        assert_eq!(obs.api_calls.get(op), Some(&1), "{op}: one object");
    }
    // No SSH key, identity provider or service-linked role here: nothing of theirs to read.
    for op in [
        "iam:GetSSHPublicKey",
        "iam:GetOpenIDConnectProvider",
        "iam:GetSAMLProvider",
        "iam:GetRole",
    ] {
        assert_eq!(obs.api_calls.get(op), None, "{op}: no object");
    }
    // And one listing per EC2 unit (one page each here; security groups list their rules
    // too, images their snapshots), nothing else.
    assert_eq!(obs.api_calls.get("ec2:DescribeNetworkAcls"), Some(&1));
    for op in [
        "ec2:DescribeRouteTables",
        "ec2:DescribeEgressOnlyInternetGateways",
        // NAT gateways and EIPs are one unit with two listings: the gateways once, for
        // themselves and for telling their address associations apart.
        "ec2:DescribeAddresses",
        // Network interfaces and VPC endpoints are one unit with two listings of their own.
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcEndpoints",
    ] {
        assert_eq!(obs.api_calls.get(op), Some(&1), "{op}: one call");
    }
    // The gateways once, shared with the network interface unit (the interfaces NAT gateways
    // use are theirs, never unmanaged), which listed them a second time before (2 calls); so
    // are the DHCP options sets, shared by their unit and the VPC unit.
    assert_eq!(obs.api_calls.get("ec2:DescribeNatGateways"), Some(&1));
    assert_eq!(obs.api_calls.get("ec2:DescribeDhcpOptions"), Some(&1));
    assert_eq!(
        obs.api_calls.len(),
        // (more than the units: the NAT gateway and EIP unit, and the network interface and
        // VPC endpoint unit, each list two APIs of their own; three IAM units list one API
        // each: SSH keys per user, OIDC and SAML providers)
        17 + driftgate::provider::aws::ec2::UNITS.len(),
        "{:?}",
        obs.api_calls
    );

    // Asking for one type calls only what feeds it.
    let (progress, _) = recorder();
    let users_only = observe(
        &sdk,
        &ObserveRequest {
            regions: vec!["us-east-1".into()],
            resource_types: ["aws_iam_user".to_string(), "aws_nonsense".to_string()].into(),
            ..Default::default()
        },
        progress,
    )
    .await;
    assert_eq!(users_only.resource_types, vec!["aws_iam_user"]);
    assert_eq!(
        users_only.api_calls,
        [("iam:GetAccountAuthorizationDetails".to_string(), 1)].into()
    );
    assert!(
        users_only
            .resources
            .iter()
            .all(|r| r.resource_type == "aws_iam_user")
    );
    assert_eq!(users_only.resources.len(), 1);
}

fn find_view<'a>(
    obs: &'a Observation,
    resource_type: &str,
    cloud_id: &str,
) -> &'a ObservedResource {
    let r = find(obs, resource_type, cloud_id);
    assert!(!r.primary, "{resource_type} is the secondary view");
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_gaps_not_a_panic() {
    // Bind and drop: a port nothing listens on.
    let port = free_port();
    let sdk = sdk(port).await;
    let (progress, events) = recorder();
    let obs = observe(
        &sdk,
        &ObserveRequest {
            regions: vec!["us-east-1".into()],
            resource_types: all_types(),
            ..Default::default()
        },
        progress,
    )
    .await;

    assert!(obs.resources.is_empty());
    let services: BTreeSet<&str> = obs.gaps.iter().map(|g| g.service.as_str()).collect();
    assert_eq!(services, ["ec2", "iam"].into());
    for g in &obs.gaps {
        // The URL the call went to, and why, in the reason; the SDK's chain in the detail.
        assert!(
            g.reason.starts_with(&format!(
                "connection refused at http://127.0.0.1:{port}: nothing listens there"
            )),
            "{}",
            g.reason
        );
        assert!(
            g.detail
                .as_deref()
                .is_some_and(|d| d.contains("dispatch failure")),
            "{g:?}"
        );
        assert!(!g.resource_types.is_empty());
    }
    // Every asked type is covered by some gap.
    let covered: BTreeSet<&str> = obs
        .gaps
        .iter()
        .flat_map(|g| g.resource_types.iter().map(String::as_str))
        .collect();
    let asked = all_types();
    assert_eq!(
        covered,
        asked.iter().map(String::as_str).collect::<BTreeSet<&str>>()
    );
    let ec2_gap = obs
        .gaps
        .iter()
        .find(|g| g.operation == "DescribeVpcs")
        .expect("DescribeVpcs gap");
    assert_eq!(ec2_gap.region.as_deref(), Some("us-east-1"));
    // Every type the VPC unit reads from DescribeVpcs.
    assert_eq!(
        ec2_gap.resource_types,
        vec![
            "aws_default_vpc",
            "aws_vpc",
            "aws_vpc_dhcp_options_association",
            "aws_vpc_ipv4_cidr_block_association"
        ]
    );
    // Attempts are counted. A refused connection is not retried (nothing listens there),
    // although the configuration allows two attempts.
    assert_eq!(obs.api_calls.get("ec2:DescribeVpcs"), Some(&1));
    assert_eq!(
        obs.api_calls.get("iam:GetAccountAuthorizationDetails"),
        Some(&1)
    );
    let events = events.lock().unwrap();
    // One listing per EC2 unit of the region, one task per IAM unit; each says it is done.
    use driftgate::provider::aws::{ec2, iam};
    let tasks = ec2::UNITS.len() + iam::UNITS.len();
    assert_eq!(events[0], ProgressEvent::Planned { tasks });
    assert_eq!(events.len(), tasks + 1);
}

/// A clock that moves only when the pacer sleeps on it: what pacing does is exact and takes no
/// real time, however loaded the machine is (moto's answers may be slow or fast: the bucket is
/// measured on this clock alone).
#[derive(Debug)]
struct SimulatedClock {
    start: tokio::time::Instant,
    slept: Mutex<Duration>,
}

impl SimulatedClock {
    fn new() -> Arc<SimulatedClock> {
        Arc::new(SimulatedClock {
            start: tokio::time::Instant::now(),
            slept: Mutex::default(),
        })
    }
    fn slept(&self) -> Duration {
        *self.slept.lock().unwrap()
    }
}

impl driftgate::provider::aws::pace::Clock for SimulatedClock {
    fn now(&self) -> tokio::time::Instant {
        self.start + self.slept()
    }
    fn sleep(
        &self,
        wait: Duration,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + '_>> {
        *self.slept.lock().unwrap() += wait;
        Box::pin(std::future::ready(()))
    }
}

/// Pacing to AWS's documented bucket for `DescribeVpcAttribute` (100 calls at once, then 20 a
/// second, per API and region), asked for explicitly because moto is not AWS: 101 VPCs make
/// 202 reads, so the last 102 wait for the refill: 5.1 s on the pacer's clock (a simulated one,
/// so the test does not depend on how fast moto answers), and the observation is the same as
/// an unpaced one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pacing_holds_per_object_reads_to_the_documented_bucket() {
    use driftgate::provider::aws::pace::Pace;
    let Some(moto) = Moto::start() else { return };
    let sdk = sdk(moto.port).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let mut created = tokio::task::JoinSet::new();
    for i in 0..100 {
        let ec2 = ec2.clone();
        created.spawn(async move {
            ec2.create_vpc()
                .cidr_block(format!("10.{i}.0.0/16"))
                .send()
                .await
                .unwrap()
        });
    }
    while let Some(done) = created.join_next().await {
        done.unwrap();
    }
    let request = |pace, clock: &Arc<SimulatedClock>| ObserveRequest {
        regions: vec!["us-east-1".into()],
        resource_types: ["aws_vpc".to_string()].into(),
        pace,
        clock: Some(clock.clone()),
        ..Default::default()
    };

    let (progress, _) = recorder();
    let clock = SimulatedClock::new();
    let paced = observe(&sdk, &request(Pace::Aws, &clock), progress).await;
    assert_eq!(paced.gaps, vec![]);
    assert_eq!(paced.api_calls.get("ec2:DescribeVpcAttribute"), Some(&202));
    // 202 tokens from a bucket of 100 refilled at 20 a second: 5.1 s, and hardly more (a
    // wait is exactly what the bucket lacks, whichever call slept).
    let took = clock.slept();
    assert!(
        (Duration::from_millis(5099)..Duration::from_millis(5500)).contains(&took),
        "202 reads against a bucket of 100 refilled at 20/s waited {took:?}"
    );

    let (progress, _) = recorder();
    let unpaced_clock = SimulatedClock::new();
    let unpaced = observe(&sdk, &request(Pace::Off, &unpaced_clock), progress).await;
    assert_eq!(unpaced.resources, paced.resources);
    assert_eq!(unpaced_clock.slept(), Duration::ZERO);
    // The waits are reported (`--timings`, JSON `timings.paced_ms`), by operation; unpaced,
    // nothing waited. (moto is not AWS: `auto` leaves it unpaced, like `off`; the endpoint
    // rule is tested in `pace`.)
    assert!(
        paced
            .paced_ms
            .get("ec2:DescribeVpcAttribute")
            .is_some_and(|ms| *ms > 0),
        "{:?}",
        paced.paced_ms
    );
    assert_eq!(paced.paced_ms.len(), 1, "{:?}", paced.paced_ms);
    assert!(unpaced.paced_ms.is_empty(), "{:?}", unpaced.paced_ms);
}

/// Observes by id only the objects `only` names (by type; some ids AWS does not know) in
/// us-east-1, which leaves no gaps (an unknown id is missing, never a gap): the observation,
/// and the primary objects in it (type, id).
async fn observe_only(
    sdk: &SdkConfig,
    only: &BTreeMap<String, BTreeSet<String>>,
) -> (Observation, BTreeSet<(String, String)>) {
    let (progress, _) = recorder();
    let obs = observe(
        sdk,
        &ObserveRequest {
            regions: vec!["us-east-1".into()],
            resource_types: only.keys().cloned().collect(),
            only: only.clone(),
            ..Default::default()
        },
        progress,
    )
    .await;
    assert_eq!(obs.gaps, vec![], "an unknown id is missing, not a gap");
    let seen = obs
        .resources
        .iter()
        .filter(|r| r.primary)
        .map(|r| (r.resource_type.clone(), r.cloud_id.clone()))
        .collect();
    (obs, seen)
}

/// Reading a given set of objects by id (`ObserveRequest::only`, what `apply` re-observes): only
/// the named objects come back, one batched call per API, and an id AWS no longer knows is
/// simply missing, never a gap.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_only_the_named_objects_by_id() {
    let Some(moto) = Moto::start() else { return };
    let sdk = sdk(moto.port).await;
    let c = create_objects(&sdk).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    // Others of each type, which must not be read.
    let other_vpc = ec2
        .create_vpc()
        .cidr_block("10.9.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let other_sg = ec2
        .create_security_group()
        .group_name("other")
        .description("other")
        .vpc_id(&other_vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    let rules_of = |group: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.describe_security_group_rules()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("group-id")
                        .values(group)
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .security_group_rules
                .unwrap_or_default()
                .into_iter()
                .filter(|r| r.is_egress() == Some(false))
                .filter_map(|r| r.security_group_rule_id)
                .collect::<Vec<String>>()
        }
    };
    let ingress = rules_of(c.sg.clone()).await;
    assert!(!ingress.is_empty(), "the fixture group has ingress rules");
    let ids = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    let only: BTreeMap<String, BTreeSet<String>> = [
        ("aws_vpc", ids(&[&c.vpc, "vpc-0123456789abcdef0"])),
        ("aws_subnet", ids(&[&c.subnet])),
        ("aws_security_group", ids(&[&c.sg, "sg-0123456789abcdef0"])),
        (
            "aws_vpc_security_group_ingress_rule",
            ids(&[&ingress[0], "sgr-0123456789abcdef0"]),
        ),
        ("aws_instance", ids(&[&c.instance, "i-0123456789abcdef0"])),
    ]
    .into_iter()
    .map(|(t, ids)| (t.to_string(), ids))
    .collect();
    let (obs, seen) = observe_only(&sdk, &only).await;
    let want: BTreeSet<(String, String)> = [
        ("aws_vpc", c.vpc.as_str()),
        ("aws_subnet", c.subnet.as_str()),
        ("aws_security_group", c.sg.as_str()),
        ("aws_vpc_security_group_ingress_rule", ingress[0].as_str()),
        ("aws_instance", c.instance.as_str()),
    ]
    .into_iter()
    .map(|(t, id)| (t.to_string(), id.to_string()))
    .collect();
    assert_eq!(seen, want, "exactly the named objects that exist");
    assert!(
        !seen
            .iter()
            .any(|(_, id)| *id == other_vpc || *id == other_sg)
    );
    // One batched call per API (the group listing adds the default groups for rule
    // ownership), and the DNS flags of the one VPC read.
    let calls: BTreeMap<&str, u64> = obs
        .api_calls
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    assert_eq!(
        calls,
        [
            ("ec2:DescribeInstances", 1),
            ("ec2:DescribeSecurityGroupRules", 1),
            ("ec2:DescribeSecurityGroups", 2),
            ("ec2:DescribeSubnets", 1),
            ("ec2:DescribeVpcAttribute", 2),
            ("ec2:DescribeVpcs", 1),
        ]
        .into(),
    );
}

/// The compute units and internet gateways read by id too (what `apply` re-observes when it
/// touches one of them): of two objects of each type only the named one comes back, an id AWS
/// does not know is missing (never a gap), and each API is called once per batch, never for
/// every object of the region.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compute_units_and_internet_gateways_read_only_the_named_objects() {
    let Some(moto) = Moto::start() else { return };
    let sdk = sdk(moto.port).await;
    let c = create_objects(&sdk).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let mut named: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    let mut others: Vec<String> = Vec::new();
    for i in 0..2 {
        let volume = ec2
            .create_volume()
            .availability_zone("us-east-1a")
            .size(1)
            .send()
            .await
            .unwrap()
            .volume_id
            .unwrap();
        let snapshot = ec2
            .create_snapshot()
            .volume_id(&volume)
            .send()
            .await
            .unwrap()
            .snapshot_id
            .unwrap();
        let key = ec2
            .create_key_pair()
            .key_name(format!("dg-key-{i}"))
            .send()
            .await
            .unwrap()
            .key_pair_id
            .unwrap();
        let template = ec2
            .create_launch_template()
            .launch_template_name(format!("dg-lt-{i}"))
            .launch_template_data(
                aws_sdk_ec2::types::RequestLaunchTemplateData::builder()
                    .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .launch_template
            .unwrap()
            .launch_template_id
            .unwrap();
        let gateway = ec2
            .create_internet_gateway()
            .send()
            .await
            .unwrap()
            .internet_gateway
            .unwrap()
            .internet_gateway_id
            .unwrap();
        let image = ec2
            .create_image()
            .instance_id(&c.instance)
            .name(format!("dg-image-{i}"))
            .send()
            .await
            .unwrap()
            .image_id
            .unwrap();
        let all = [volume, snapshot, key, template, gateway, image];
        if i == 0 {
            for (t, id) in [
                "aws_ebs_volume",
                "aws_ebs_snapshot",
                "aws_key_pair",
                "aws_launch_template",
                "aws_internet_gateway",
                "aws_ami",
            ]
            .into_iter()
            .zip(all)
            {
                named.entry(t).or_default().push(id);
            }
        } else {
            others.extend(all);
        }
    }
    let unknown = [
        ("aws_ebs_volume", "vol-0123456789abcdef0"),
        ("aws_ebs_snapshot", "snap-0123456789abcdef0"),
        ("aws_key_pair", "key-0123456789abcdef0"),
        ("aws_internet_gateway", "igw-0123456789abcdef0"),
        ("aws_ami", "ami-0123456789abcdef0"),
    ];
    let mut only: BTreeMap<String, BTreeSet<String>> = named
        .iter()
        .map(|(t, ids)| (t.to_string(), ids.iter().cloned().collect()))
        .collect();
    for (t, id) in unknown {
        only.get_mut(t).unwrap().insert(id.to_string());
    }
    let (obs, seen) = observe_only(&sdk, &only).await;
    let want: BTreeSet<(String, String)> = named
        .iter()
        .flat_map(|(t, ids)| ids.iter().map(|id| (t.to_string(), id.clone())))
        .collect();
    assert_eq!(seen, want, "exactly the named objects that exist");
    assert!(!seen.iter().any(|(_, id)| others.contains(id)));
    let calls: BTreeMap<&str, u64> = obs
        .api_calls
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    // DescribeImages: the named images, then the images holding the named snapshot
    // (`block-device-mapping.snapshot-id`, which moto lacks and the launcher adds).
    let images = calls.get("ec2:DescribeImages").copied().unwrap_or(0);
    assert_eq!(images, 2, "{calls:?}");
    let mut rest = calls.clone();
    rest.remove("ec2:DescribeImages");
    assert_eq!(
        rest,
        [
            ("ec2:DescribeInternetGateways", 1),
            ("ec2:DescribeKeyPairs", 1),
            ("ec2:DescribeLaunchTemplates", 1),
            ("ec2:DescribeSnapshots", 1),
            ("ec2:DescribeVolumes", 1),
        ]
        .into(),
    );
}

/// One EC2 request moto recorded: its action and its filters (name, sorted values).
type Recorded = (String, Vec<(String, Vec<String>)>);

/// The EC2 requests moto recorded (`MOTO_ENABLE_RECORDING`, into `path`) from line `from` on,
/// sorted: what was asked of AWS, by its parameters, not only how often.
fn recorded_since(path: &std::path::Path, from: usize) -> Vec<Recorded> {
    use base64::Engine;
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out: Vec<Recorded> = text
        .lines()
        .skip(from)
        .map(|line| {
            let entry: serde_json::Value = serde_json::from_str(line).expect("a recorded request");
            let body = entry["body"].as_str().unwrap_or("");
            let body = if entry["body_encoded"].as_bool() == Some(true) {
                base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .expect("base64 body")
            } else {
                body.as_bytes().to_vec()
            };
            let mut action = String::new();
            let mut filters: BTreeMap<u32, (String, Vec<String>)> = BTreeMap::new();
            for (k, v) in form_urlencoded::parse(&body) {
                let parts: Vec<&str> = k.split('.').collect();
                match parts.as_slice() {
                    ["Action"] => action = v.into_owned(),
                    ["Filter", n, "Name"] => {
                        filters.entry(n.parse().unwrap()).or_default().0 = v.into_owned()
                    }
                    ["Filter", n, "Value", _] => filters
                        .entry(n.parse().unwrap())
                        .or_default()
                        .1
                        .push(v.into_owned()),
                    _ => {}
                }
            }
            let filters = filters
                .into_values()
                .map(|(name, mut values)| {
                    values.sort();
                    (name, values)
                })
                .collect();
            (action, filters)
        })
        .collect();
    out.sort();
    out
}

/// moto started with request recording (`MOTO_ENABLE_RECORDING`) into a file of its own.
struct Recording {
    moto: Moto,
    path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Recording {
    /// moto with recording on, or `None` (a registered skip) without moto.
    fn start() -> Option<Recording> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("requests.jsonl");
        let moto = Moto::start_with(&[
            ("MOTO_ENABLE_RECORDING", "true"),
            ("MOTO_RECORDER_FILEPATH", path.to_str().unwrap()),
        ])?;
        Some(Recording {
            moto,
            path,
            _dir: dir,
        })
    }

    /// How many requests are recorded so far: a mark for [`recorded_since`].
    fn mark(&self) -> usize {
        std::fs::read_to_string(&self.path)
            .unwrap_or_default()
            .lines()
            .count()
    }
}

/// A request as [`recorded_since`] gives it: its action and its filters (values sorted).
fn call(action: &str, filters: &[(&str, &[&str])]) -> Recorded {
    let filters = filters
        .iter()
        .map(|(name, values)| {
            let mut values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
            values.sort();
            (name.to_string(), values)
        })
        .collect();
    (action.to_string(), filters)
}

/// A VPC `{prefix}.0.0/16` with two subnets, `{prefix}.1.0/24` and `{prefix}.2.0/24`.
async fn vpc_with_subnets(ec2: &aws_sdk_ec2::Client, prefix: &str) -> (String, Vec<String>) {
    let vpc = ec2
        .create_vpc()
        .cidr_block(format!("{prefix}.0.0/16"))
        .send()
        .await
        .unwrap()
        .vpc
        .unwrap()
        .vpc_id
        .unwrap();
    let mut subnets = Vec::new();
    for n in 1..=2 {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("{prefix}.{n}.0/24"))
            .send()
            .await
            .unwrap()
            .subnet
            .unwrap()
            .subnet_id
            .unwrap();
        subnets.push(subnet);
    }
    (vpc, subnets)
}

/// What `apply` re-observes of the NAT gateway, DHCP options, VPC, network interface and
/// customer gateway units (`only`) is asked of AWS by id, every call with an id filter naming just those objects (a
/// gateway's association and interface are told apart through the gateways of their
/// subnets); a unit that reads the whole region in the same observation is not served the part
/// (the region's listing is made whole, once); a full scan makes one listing per API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nat_gateways_dhcp_options_and_customer_gateways_are_read_by_id_under_only() {
    let Some(rec) = Recording::start() else {
        return;
    };
    let (moto, recording) = (&rec.moto, rec.path.clone());
    let sdk = sdk(moto.port).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let (vpc, subnets) = vpc_with_subnets(&ec2, "10.20").await;
    let allocate = || async {
        ec2.allocate_address()
            .domain(aws_sdk_ec2::types::DomainType::Vpc)
            .send()
            .await
            .unwrap()
            .allocation_id
            .unwrap()
    };
    // Two gateways (one per subnet), each with its own address.
    let mut gateways = Vec::new();
    for subnet in &subnets {
        let allocation = allocate().await;
        let id = ec2
            .create_nat_gateway()
            .subnet_id(subnet)
            .allocation_id(allocation)
            .send()
            .await
            .unwrap()
            .nat_gateway
            .unwrap()
            .nat_gateway_id
            .unwrap();
        let described = ec2
            .describe_nat_gateways()
            .nat_gateway_ids(&id)
            .send()
            .await
            .unwrap()
            .nat_gateways
            .unwrap()
            .remove(0);
        let address = described.nat_gateway_addresses()[0].clone();
        gateways.push((
            id,
            address.network_interface_id.unwrap(),
            address.association_id.unwrap(),
        ));
    }
    let (nat_a, eni_a, _) = gateways[0].clone();
    let (nat_b, eni_b, association_b) = gateways[1].clone();
    // The account's own interface and address association, in the first subnet.
    let eni_user = ec2
        .create_network_interface()
        .subnet_id(&subnets[0])
        .send()
        .await
        .unwrap()
        .network_interface
        .unwrap()
        .network_interface_id
        .unwrap();
    let association_user = ec2
        .associate_address()
        .allocation_id(allocate().await)
        .network_interface_id(&eni_user)
        .send()
        .await
        .unwrap()
        .association_id
        .unwrap();
    let mut sets = Vec::new();
    for domain in ["a.example", "b.example"] {
        let set = ec2
            .create_dhcp_options()
            .dhcp_configurations(
                aws_sdk_ec2::types::NewDhcpConfiguration::builder()
                    .key("domain-name")
                    .values(domain)
                    .build(),
            )
            .send()
            .await
            .unwrap()
            .dhcp_options
            .unwrap()
            .dhcp_options_id
            .unwrap();
        sets.push(set);
    }
    ec2.associate_dhcp_options()
        .dhcp_options_id(&sets[0])
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap();
    let mut customer_gateways = Vec::new();
    for ip in ["198.51.100.10", "198.51.100.11"] {
        let id = ec2
            .create_customer_gateway()
            .bgp_asn(65000)
            .ip_address(ip)
            .r#type(aws_sdk_ec2::types::GatewayType::Ipsec1)
            .send()
            .await
            .unwrap()
            .customer_gateway
            .unwrap()
            .customer_gateway_id
            .unwrap();
        customer_gateways.push(id);
    }
    let lines = || rec.mark();
    let observe_types = |types: &[&str], only: &[(&str, &[&str])]| {
        let request = ObserveRequest {
            regions: vec!["us-east-1".into()],
            resource_types: types.iter().map(|t| t.to_string()).collect(),
            only: only
                .iter()
                .map(|(t, ids)| (t.to_string(), ids.iter().map(|s| s.to_string()).collect()))
                .collect(),
            ..Default::default()
        };
        let sdk = sdk.clone();
        async move {
            let (progress, _) = recorder();
            observe(&sdk, &request, progress).await
        }
    };
    let seen = |obs: &Observation| -> BTreeSet<(String, String, bool)> {
        obs.resources
            .iter()
            .filter(|r| r.primary)
            .map(|r| {
                let aws = matches!(r.owner, Owner::Aws(_));
                (r.resource_type.clone(), r.cloud_id.clone(), aws)
            })
            .collect()
    };
    let want = |items: &[(&str, &str, bool)]| -> BTreeSet<(String, String, bool)> {
        items
            .iter()
            .map(|(t, id, aws)| (t.to_string(), id.to_string(), *aws))
            .collect()
    };
    let unknown_nat = "nat-0123456789abcdef0";
    let unknown_set = "dopt-0123456789abcdef0";
    let unknown_customer = "cgw-0123456789abcdef0";
    let types = [
        "aws_customer_gateway",
        "aws_nat_gateway",
        "aws_eip_association",
        "aws_network_interface",
        "aws_vpc_dhcp_options",
        "aws_vpc_dhcp_options_association",
    ];

    // What apply re-observes: one of each, and ids AWS does not know.
    let mark = lines();
    let obs = observe_types(
        &types,
        &[
            ("aws_nat_gateway", &[&nat_a, unknown_nat]),
            ("aws_eip_association", &[&association_b, &association_user]),
            ("aws_network_interface", &[&eni_a]),
            ("aws_vpc_dhcp_options", &[&sets[0], unknown_set]),
            ("aws_vpc_dhcp_options_association", &[&vpc]),
            (
                "aws_customer_gateway",
                &[&customer_gateways[0], unknown_customer],
            ),
        ],
    )
    .await;
    assert_eq!(obs.gaps, vec![], "an unknown id is missing, not a gap");
    assert_eq!(
        seen(&obs),
        want(&[
            ("aws_nat_gateway", &nat_a, false),
            // The second gateway's association and the first's interface are still the
            // gateways' (read through their subnets), the account's association its own.
            ("aws_eip_association", &association_b, true),
            ("aws_eip_association", &association_user, false),
            ("aws_network_interface", &eni_a, true),
            ("aws_vpc_dhcp_options", &sets[0], false),
            ("aws_vpc_dhcp_options_association", &vpc, false),
            ("aws_customer_gateway", &customer_gateways[0], false),
        ])
    );
    let mut expected = vec![
        call(
            "DescribeCustomerGateways",
            &[(
                "customer-gateway-id",
                &[&customer_gateways[0], unknown_customer],
            )],
        ),
        call(
            "DescribeAddresses",
            &[("association-id", &[&association_b, &association_user])],
        ),
        // The DHCP options unit, the named sets; the VPC unit, the set its VPC uses.
        call(
            "DescribeDhcpOptions",
            &[("dhcp-options-id", &[&sets[0], unknown_set])],
        ),
        call("DescribeDhcpOptions", &[("dhcp-options-id", &[&sets[0]])]),
        // The NAT gateway unit: the named gateways, and those of the associations' subnets;
        // the network interface unit: those of its interface's subnet.
        call(
            "DescribeNatGateways",
            &[("nat-gateway-id", &[&nat_a, unknown_nat])],
        ),
        call(
            "DescribeNatGateways",
            &[("subnet-id", &[&subnets[0], &subnets[1]])],
        ),
        call("DescribeNatGateways", &[("subnet-id", &[&subnets[0]])]),
        call(
            "DescribeNetworkInterfaces",
            &[("network-interface-id", &[&eni_a])],
        ),
        call(
            "DescribeNetworkInterfaces",
            &[("network-interface-id", &[&eni_b, &eni_user])],
        ),
        call("DescribeVpcEndpoints", &[("vpc-id", &[&vpc])]),
        call("DescribeVpcs", &[("vpc-id", &[&vpc])]),
    ];
    expected.sort();
    assert_eq!(recorded_since(&recording, mark), expected);

    // A named gateway while the interfaces are read whole: the interface unit gets the
    // region's whole listing (the second gateway's interface is still the gateway's), never the
    // named part.
    let mark = lines();
    let obs = observe_types(
        &["aws_nat_gateway", "aws_network_interface"],
        &[("aws_nat_gateway", &[&nat_a])],
    )
    .await;
    assert_eq!(obs.gaps, vec![]);
    let gateways_seen: Vec<&str> = of_type(&obs, "aws_nat_gateway")
        .iter()
        .map(|r| r.cloud_id.as_str())
        .collect();
    assert_eq!(gateways_seen, vec![nat_a.as_str()]);
    assert!(matches!(
        find(&obs, "aws_network_interface", &eni_b).owner,
        Owner::Aws(_)
    ));
    let mut expected = vec![
        call("DescribeNatGateways", &[]),
        call("DescribeNatGateways", &[("nat-gateway-id", &[&nat_a])]),
        call("DescribeNetworkInterfaces", &[]),
        call("DescribeVpcEndpoints", &[]),
    ];
    expected.sort();
    assert_eq!(recorded_since(&recording, mark), expected);

    // A full scan: one listing per API, the gateways and sets shared by the units that read
    // them.
    let mark = lines();
    let obs = observe_types(&types, &[]).await;
    assert_eq!(obs.gaps, vec![]);
    let all = seen(&obs);
    for (t, id) in [
        ("aws_nat_gateway", &nat_b),
        ("aws_vpc_dhcp_options", &sets[1]),
        ("aws_customer_gateway", &customer_gateways[1]),
    ] {
        assert!(
            all.contains(&(t.to_string(), id.clone(), false)),
            "{t} {id}"
        );
    }
    assert!(all.contains(&("aws_network_interface".to_string(), eni_b.clone(), true)));
    let mut expected: Vec<Recorded> = [
        "DescribeCustomerGateways",
        "DescribeAddresses",
        "DescribeDhcpOptions",
        "DescribeNatGateways",
        "DescribeNetworkInterfaces",
        "DescribeVpcEndpoints",
        "DescribeVpcs",
    ]
    .iter()
    .map(|a| call(a, &[]))
    .collect();
    expected.sort();
    assert_eq!(recorded_since(&recording, mark), expected);
}

/// What `apply` re-observes of route tables and network ACLs (`only`, as `Touched::ids` builds
/// it from the recorded state) is asked of AWS by filter: a table by its id, an association by
/// what identifies it (its subnet; a main association by its VPC), never by the table or ACL it
/// was recorded on. So a subnet moved by hand to another table or ACL, and a VPC whose main
/// table was changed, are read where they are now: *changed*, not *missing*; a table nobody
/// names is not read. A full scan makes one listing per API.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn route_tables_and_network_acls_are_read_by_filter_under_only_and_a_moved_association_is_changed()
 {
    use driftgate::model::{Address, DriftKind, RecordedResource, RecordedState, StateSource};
    let Some(rec) = Recording::start() else {
        return;
    };
    let (moto, recording) = (&rec.moto, rec.path.clone());
    let sdk = sdk(moto.port).await;
    let ec2 = aws_sdk_ec2::Client::new(&sdk);
    let filter = |name: &str, value: &str| {
        aws_sdk_ec2::types::Filter::builder()
            .name(name)
            .values(value)
            .build()
    };
    let (vpc, subnets) = vpc_with_subnets(&ec2, "10.30").await;
    let mut tables = Vec::new();
    for _ in 0..3 {
        let table = ec2
            .create_route_table()
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .route_table
            .unwrap()
            .route_table_id
            .unwrap();
        tables.push(table);
    }
    let (rtb_a, rtb_b, rtb_other) = (tables[0].clone(), tables[1].clone(), tables[2].clone());
    let main = ec2
        .describe_route_tables()
        .filters(filter("vpc-id", &vpc))
        .filters(filter("association.main", "true"))
        .send()
        .await
        .unwrap()
        .route_tables
        .unwrap()
        .remove(0);
    let main_table = main.route_table_id.clone().unwrap();
    let main_association = main
        .associations
        .unwrap()
        .into_iter()
        .find(|a| a.main == Some(true))
        .unwrap()
        .route_table_association_id
        .unwrap();
    let association = ec2
        .associate_route_table()
        .route_table_id(&rtb_a)
        .subnet_id(&subnets[0])
        .send()
        .await
        .unwrap()
        .association_id
        .unwrap();
    let mut acls = Vec::new();
    for _ in 0..2 {
        let acl = ec2
            .create_network_acl()
            .vpc_id(&vpc)
            .send()
            .await
            .unwrap()
            .network_acl
            .unwrap()
            .network_acl_id
            .unwrap();
        acls.push(acl);
    }
    let (acl_a, acl_b) = (acls[0].clone(), acls[1].clone());
    // The second subnet's association (with the default ACL), which is put on the first ACL.
    let acl_association_of = |subnet: String| {
        let ec2 = ec2.clone();
        async move {
            ec2.describe_network_acls()
                .filters(
                    aws_sdk_ec2::types::Filter::builder()
                        .name("association.subnet-id")
                        .values(&subnet)
                        .build(),
                )
                .send()
                .await
                .unwrap()
                .network_acls
                .unwrap()
                .into_iter()
                .flat_map(|a| a.associations.unwrap_or_default())
                .find(|a| a.subnet_id.as_deref() == Some(subnet.as_str()))
                .unwrap()
                .network_acl_association_id
                .unwrap()
        }
    };
    let acl_association = ec2
        .replace_network_acl_association()
        .association_id(acl_association_of(subnets[1].clone()).await)
        .network_acl_id(&acl_a)
        .send()
        .await
        .unwrap()
        .new_association_id
        .unwrap();

    // The state as terraform recorded it.
    let recorded = |ty: &str, name: &str, attrs: &[(&str, &str)]| RecordedResource {
        address: Address::managed(ty, name),
        resource_type: ty.into(),
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        state: StateSource("terraform.tfstate".into()),
        schema_version: 0,
        attributes: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), Value::str(*v)))
            .collect(),
    };
    let resources = vec![
        recorded(
            "aws_route_table_association",
            "a",
            &[
                ("id", &association),
                ("subnet_id", &subnets[0]),
                ("gateway_id", ""),
                ("route_table_id", &rtb_a),
            ],
        ),
        recorded(
            "aws_main_route_table_association",
            "main",
            &[
                ("id", &main_association),
                ("vpc_id", &vpc),
                ("route_table_id", &main_table),
            ],
        ),
        recorded(
            "aws_network_acl_association",
            "a",
            &[
                ("id", &acl_association),
                ("subnet_id", &subnets[1]),
                ("network_acl_id", &acl_a),
            ],
        ),
    ];
    let mut touched = driftgate::ops::touched::Touched::default();
    for r in &resources {
        touched
            .managed
            .insert((r.resource_type.clone(), r.address.clone()));
    }
    let states = vec![RecordedState {
        source: StateSource("terraform.tfstate".into()),
        terraform_version: "1.9.0".into(),
        serial: 1,
        lineage: String::new(),
        sha256: String::new(),
        resources,
    }];
    let registry = driftgate::spec::Registry::builtin().unwrap();

    // Moved by hand: the subnet to another table, the VPC's main association to another
    // table, the second subnet to another ACL (each a new association id).
    ec2.replace_route_table_association()
        .association_id(&association)
        .route_table_id(&rtb_b)
        .send()
        .await
        .unwrap();
    ec2.replace_route_table_association()
        .association_id(&main_association)
        .route_table_id(&rtb_b)
        .send()
        .await
        .unwrap();
    ec2.replace_network_acl_association()
        .association_id(&acl_association)
        .network_acl_id(&acl_b)
        .send()
        .await
        .unwrap();

    let set =
        |items: &[&str]| -> BTreeSet<String> { items.iter().map(|s| s.to_string()).collect() };
    let mut only = touched.ids(&registry, &states);
    assert_eq!(
        only,
        [
            ("aws_main_route_table_association", set(&[&vpc])),
            ("aws_network_acl_association", set(&[&subnets[1]])),
            ("aws_route_table_association", set(&[&subnets[0]])),
        ]
        .into_iter()
        .map(|(t, ids)| (t.to_string(), ids))
        .collect::<BTreeMap<_, _>>(),
        "an association is named by its identity, not by its recorded table or ACL"
    );
    // A table named by id too, as apply names one whose routes or tags it puts back.
    only.insert("aws_route_table".into(), set(&[&rtb_a]));
    let lines = || rec.mark();
    let observe_only = |only: BTreeMap<String, BTreeSet<String>>| {
        let request = ObserveRequest {
            regions: vec!["us-east-1".into()],
            resource_types: only.keys().cloned().collect(),
            only,
            ..Default::default()
        };
        let sdk = sdk.clone();
        async move {
            let (progress, _) = recorder();
            observe(&sdk, &request, progress).await
        }
    };

    let mark = lines();
    let obs = observe_only(only.clone()).await;
    assert_eq!(obs.gaps, vec![]);
    let mut expected = vec![
        call("DescribeRouteTables", &[("route-table-id", &[&rtb_a])]),
        call(
            "DescribeRouteTables",
            &[("association.subnet-id", &[&subnets[0]])],
        ),
        call(
            "DescribeRouteTables",
            &[("association.main", &["true"]), ("vpc-id", &[&vpc])],
        ),
        call(
            "DescribeNetworkAcls",
            &[("association.subnet-id", &[&subnets[1]])],
        ),
    ];
    expected.sort();
    assert_eq!(recorded_since(&recording, mark), expected);
    // The tables read, and the ACLs the associations read are on.
    let read: BTreeSet<String> = of_type(&obs, "aws_route_table")
        .iter()
        .map(|r| r.cloud_id.clone())
        .chain(
            of_type(&obs, "aws_network_acl_association")
                .iter()
                .filter_map(|r| r.attributes["network_acl_id"].scalar_text()),
        )
        .collect();
    assert_eq!(
        read,
        set(&[&rtb_a, &rtb_b, &acl_b]),
        "the named table, and where the named associations are now; nothing else"
    );
    assert!(!read.contains(&rtb_other) && !read.contains(&main_table));

    // The comparison apply makes: each moved association is changed, none missing.
    only.remove("aws_route_table");
    let obs = observe_only(only).await;
    let mut report = driftgate::diff::scan(&driftgate::diff::ScanInput {
        registry: &registry,
        states: &states,
        observation: &obs,
        strict: false,
        fingerprint: None,
    });
    touched.scope(&mut report);
    let verdicts: BTreeSet<(String, DriftKind, Vec<String>)> = report
        .drifts
        .iter()
        .map(|d| {
            let after = d
                .changes
                .iter()
                .map(|c| c.after.scalar_text().unwrap_or_default())
                .collect();
            (d.resource_type.clone(), d.kind, after)
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("aws_main_route_table_association", &rtb_b),
            ("aws_network_acl_association", &acl_b),
            ("aws_route_table_association", &rtb_b),
        ]
        .into_iter()
        .map(|(t, now)| (t.to_string(), DriftKind::Changed, vec![now.clone()]))
        .collect(),
    );

    // Named ACLs are read by the `network-acl-id` filter (moto lacks it; the launcher,
    // tests/support/moto_plus.py, adds it as the EC2 API reference documents it).
    let mark = lines();
    let obs = observe_only([("aws_network_acl".to_string(), set(&[&acl_a]))].into()).await;
    assert_eq!(obs.gaps, vec![]);
    let read: BTreeSet<&str> = of_type(&obs, "aws_network_acl")
        .iter()
        .map(|r| r.cloud_id.as_str())
        .collect();
    assert_eq!(read, [acl_a.as_str()].into());
    assert_eq!(
        recorded_since(&recording, mark),
        vec![call(
            "DescribeNetworkAcls",
            &[("network-acl-id", &[&acl_a])]
        )]
    );

    // A full scan: one listing per API.
    let mark = lines();
    let request = ObserveRequest {
        regions: vec!["us-east-1".into()],
        resource_types: [
            "aws_route_table",
            "aws_route_table_association",
            "aws_main_route_table_association",
            "aws_network_acl",
            "aws_network_acl_association",
        ]
        .iter()
        .map(|t| t.to_string())
        .collect(),
        ..Default::default()
    };
    let (progress, _) = recorder();
    let obs = observe(&sdk, &request, progress).await;
    assert_eq!(obs.gaps, vec![]);
    assert!(of_type(&obs, "aws_route_table").len() >= 5);
    assert_eq!(
        recorded_since(&recording, mark),
        vec![
            call("DescribeNetworkAcls", &[]),
            call("DescribeRouteTables", &[]),
        ]
    );
}
