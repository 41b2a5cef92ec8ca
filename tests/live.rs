//! Live end-to-end tests: the real driftgate binary against a moto server, on a genuine state
//! written by terraform + the hashicorp/aws provider (fixtures/live/stack).
//!
//! Applying the stack costs tens of seconds, so one moto server and one applied stack serve the
//! whole test binary (`stack()`). Scans of the untouched stack are taken while it is being set
//! up, before any test can change the cloud. All out-of-band changes are then made once, by
//! `drifted()`, which also takes the scans of the drifted stack; every test that needs a drifted
//! cloud reads those. Read-only tests may run at any time.
//!
//! Skips (printed loudly): no moto_server (a failure under `CI`), no terraform or no aws
//! provider mirror (see tests/support/terraform.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Output;
use std::sync::OnceLock;

use aws_sdk_ec2::types::{AttributeValue, IpPermission, IpRange, Tag as Ec2Tag};
use aws_sdk_iam::types::Tag as IamTag;
use serde_json::{Value as Json, json};

use crate::support::call;
use crate::support::moto::Moto;
use crate::support::report::{assert_exit, no_output, report, show};
use crate::support::scanned::{REGION, Scanned};
use crate::support::{driftgate, root};

/// The value of the user's `secret` tag, passed to terraform through a `sensitive` variable.
const SECRET: &str = "dg-live-secret-Q7xZ4p";
/// What the out-of-band change sets that tag to.
const ROTATED_SECRET: &str = "dg-live-rotated-K2vW9m";
/// A source CIDR of `aws_security_group_rule.db_office`, from a sensitive variable: one
/// element of `cidr_blocks` is sensitive in the state.
const OFFICE_CIDR: &str = "198.51.100.0/28";
/// What the out-of-band change replaces it with.
const ROTATED_CIDR: &str = "203.0.113.64/27";

/// The primary resource type of a lone EC2 rule (one sgr-… object) that no state records.
/// An EC2 rule is seen both as an `aws_vpc_security_group_ingress_rule` and as part of an
/// `aws_security_group_rule`; the former is one object per rule, so it names the finding.
const UNMANAGED_RULE_TYPE: &str = "aws_vpc_security_group_ingress_rule";

// ---------------------------------------------------------------------------------------------
// The shared stack

type Stack = Scanned;

static STACK: OnceLock<Result<Option<Stack>, String>> = OnceLock::new();

/// The applied stack, or `None` when the tools are absent (the test then returns early, and
/// is counted as skipped: see tests/support/skip.rs).
fn stack() -> Option<&'static Stack> {
    crate::support::skip::shared(&STACK, "live stack", || {
        Scanned::set_up(
            Moto::start(),
            "live/stack",
            &[("secret_tag", SECRET), ("office_cidr", OFFICE_CIDR)],
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The out-of-band changes

/// What `drifted()` created, and the scans it took afterwards.
struct Drifted {
    rogue_sg: String,
    rogue_role: String,
    /// The sgr- id of the world-open rule, when moto returns it.
    open_rule: Option<String>,
    json: Output,
    table: Output,
}

static DRIFTED: OnceLock<Result<Option<Drifted>, String>> = OnceLock::new();

fn drifted() -> Option<(&'static Stack, &'static Drifted)> {
    crate::support::scanned::drifted(
        &DRIFTED,
        stack(),
        "changing the live stack out of band",
        |s, rt| {
            let mut d = rt.block_on(change_out_of_band(s))?;
            d.json = s.scan("json");
            d.table = s.scan("table");
            Ok(d)
        },
    )
}

/// Every change a person with console access might make behind terraform's back.
async fn change_out_of_band(s: &Stack) -> Result<Drifted, String> {
    let conf = s.moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let iam = aws_sdk_iam::Client::new(&conf);
    let vpc = s.attr("aws_vpc.main", "id");
    let db_sg = s.attr("aws_security_group.db", "id");
    let web_sg = s.attr("aws_security_group.web", "id");
    let default_sg = s.attr("aws_default_security_group.main", "id");
    let instance = s.attr("module.app.aws_instance.this[\"a\"]", "id");
    let subnet1 = s.attr("aws_subnet.app[1]", "id");
    let policy_arn = s.attr("aws_iam_policy.describe", "arn");
    let tcp = |port: i32, cidr: &str| {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(port)
            .to_port(port)
            .ip_ranges(IpRange::builder().cidr_ip(cidr).build())
            .build()
    };

    // aws_vpc.main: a tag edited.
    call!(
        "CreateTags",
        ec2.create_tags()
            .resources(&vpc)
            .tags(Ec2Tag::builder().key("team").value("platform").build())
            .send()
    );
    // aws_security_group.db (rules are aws_security_group_rule resources): ssh opened to the world.
    let open = call!(
        "AuthorizeSecurityGroupIngress",
        ec2.authorize_security_group_ingress()
            .group_id(&db_sg)
            .ip_permissions(tcp(22, "0.0.0.0/0"))
            .send()
    );
    let open_rule = open
        .security_group_rules()
        .first()
        .and_then(|r| r.security_group_rule_id())
        .map(str::to_string);
    // aws_default_security_group.main: ssh opened to the world (an attacker's favourite).
    call!(
        "AuthorizeSecurityGroupIngress default",
        ec2.authorize_security_group_ingress()
            .group_id(&default_sg)
            .ip_permissions(tcp(22, "0.0.0.0/0"))
            .send()
    );
    // aws_security_group_rule.db_pg (two CIDRs): the second CIDR's description edited.
    call!(
        "UpdateSecurityGroupRuleDescriptionsIngress",
        ec2.update_security_group_rule_descriptions_ingress()
            .group_id(&db_sg)
            .ip_permissions(
                IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(5432)
                    .to_port(5432)
                    .ip_ranges(
                        IpRange::builder()
                            .cidr_ip("10.40.1.0/24")
                            .description("temporary: vendor access")
                            .build()
                    )
                    .build()
            )
            .send()
    );
    // aws_security_group_rule.db_redis: revoked.
    call!(
        "RevokeSecurityGroupIngress db",
        ec2.revoke_security_group_ingress()
            .group_id(&db_sg)
            .ip_permissions(tcp(6379, "10.40.0.0/16"))
            .send()
    );
    // aws_security_group_rule.db_office: its sensitive source replaced by another.
    let office = |cidr: &str| {
        IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(8443)
            .to_port(8443)
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip(cidr)
                    .description("admin from the office")
                    .build(),
            )
            .build()
    };
    call!(
        "RevokeSecurityGroupIngress office",
        ec2.revoke_security_group_ingress()
            .group_id(&db_sg)
            .ip_permissions(office(OFFICE_CIDR))
            .send()
    );
    call!(
        "AuthorizeSecurityGroupIngress office",
        ec2.authorize_security_group_ingress()
            .group_id(&db_sg)
            .ip_permissions(office(ROTATED_CIDR))
            .send()
    );
    // aws_security_group.web: one of its inline rules revoked.
    call!(
        "RevokeSecurityGroupIngress web",
        ec2.revoke_security_group_ingress()
            .group_id(&web_sg)
            .ip_permissions(tcp(80, "10.0.0.0/8"))
            .send()
    );
    // module.app.aws_instance.this["a"]: resized (stop, modify, start, as AWS requires).
    call!(
        "StopInstances",
        ec2.stop_instances().instance_ids(&instance).send()
    );
    call!(
        "ModifyInstanceAttribute",
        ec2.modify_instance_attribute()
            .instance_id(&instance)
            .instance_type(AttributeValue::builder().value("t3.large").build())
            .send()
    );
    call!(
        "StartInstances",
        ec2.start_instances().instance_ids(&instance).send()
    );
    // aws_subnet.app[1]: deleted.
    call!(
        "DeleteSubnet",
        ec2.delete_subnet().subnet_id(&subnet1).send()
    );
    // An unmanaged security group.
    let rogue = call!(
        "CreateSecurityGroup",
        ec2.create_security_group()
            .group_name("dg-live-rogue")
            .description("made by hand")
            .vpc_id(&vpc)
            .send()
    );
    let rogue_sg = rogue
        .group_id()
        .ok_or("CreateSecurityGroup returned no id")?
        .to_string();

    // aws_iam_role_policy.app_inline: document rewritten.
    call!("PutRolePolicy", iam.put_role_policy().role_name("dg-live-app").policy_name("dg-live-app-inline").policy_document(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject", "s3:DeleteObject"], "Resource": "*"}]}).to_string()).send());
    // aws_iam_policy.describe: a new default version.
    call!("CreatePolicyVersion", iam.create_policy_version().policy_arn(&policy_arn).set_as_default(true).policy_document(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}).to_string()).send());
    // aws_iam_user_policy_attachment.deploy_describe: detached.
    call!(
        "DetachUserPolicy",
        iam.detach_user_policy()
            .user_name("dg-live-deploy")
            .policy_arn(&policy_arn)
            .send()
    );
    // aws_iam_user.deploy: the sensitive tag rotated.
    call!(
        "TagUser",
        iam.tag_user()
            .user_name("dg-live-deploy")
            .tags(
                IamTag::builder()
                    .key("secret")
                    .value(ROTATED_SECRET)
                    .build()
                    .map_err(|e| e.to_string())?
            )
            .send()
    );
    // aws_iam_user_policy.deploy_inline: rewritten to an equivalent document (another key
    // order, lists for strings, action case, an empty Sid, Statement as one object):
    // by meaning nothing changed, so no finding.
    call!("PutUserPolicy", iam.put_user_policy().user_name("dg-live-deploy").policy_name("dg-live-deploy-inline").policy_document(
        r#"{ "Version": "2012-10-17", "Statement": { "Sid": "", "Resource": ["arn:aws:s3:::dg-live/*"], "Effect": "Allow", "Action": ["S3:putobject"] } }"#).send());
    // aws_iam_role.batch: the trust policy rewritten to an equivalent document: no finding.
    call!("UpdateAssumeRolePolicy batch", iam.update_assume_role_policy().role_name("dg-live-batch").policy_document(
        json!({"Statement": [{"Action": ["sts:AssumeRole"], "Principal": {"Service": ["ec2.amazonaws.com"]}, "Effect": "Allow", "Sid": ""}], "Version": "2012-10-17"}).to_string()).send());
    // aws_iam_role.app: a new principal in the trust policy: a real change.
    call!("UpdateAssumeRolePolicy app", iam.update_assume_role_policy().role_name("dg-live-app").policy_document(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com", "AWS": "arn:aws:iam::999999999999:root"}, "Action": "sts:AssumeRole"}]}).to_string()).send());
    // An unmanaged role.
    call!("CreateRole", iam.create_role().role_name("dg-live-rogue").assume_role_policy_document(
        json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}).to_string()).send());

    Ok(Drifted {
        rogue_sg,
        rogue_role: "dg-live-rogue".into(),
        open_rule,
        json: no_output(),
        table: no_output(),
    })
}

// ---------------------------------------------------------------------------------------------
// Report helpers (the JSON contract: schema_version, complete, gaps, summary, findings, ...)

/// (kind, resource_type, address) of a finding.
type Key = (String, String, Option<String>);

fn finding_key(f: &Json) -> Key {
    (
        f["kind"].as_str().unwrap_or("?").to_string(),
        f["resource_type"].as_str().unwrap_or("?").to_string(),
        f["address"].as_str().map(str::to_string),
    )
}

fn paths(f: &Json) -> Vec<String> {
    f["changes"]
        .as_array()
        .map(|cs| {
            cs.iter()
                .map(|c| c["path"].as_str().unwrap_or("?").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// `path` is `prefix` or below it (`ingress`, `ingress[0]`, `ingress.x` are below `ingress`).
fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

struct Expect {
    kind: &'static str,
    resource_type: &'static str,
    address: Option<&'static str>,
    /// For unmanaged findings: the cloud id, when known.
    id: Option<String>,
    /// Each changed path must lie under one of these, and each must be covered.
    paths: &'static [&'static str],
}

fn changed(address: &'static str, paths: &'static [&'static str]) -> Expect {
    let resource_type = address
        .trim_start_matches("module.app.")
        .split('.')
        .next()
        .expect("type");
    Expect {
        kind: "changed",
        resource_type,
        address: Some(address),
        id: None,
        paths,
    }
}

fn missing(address: &'static str) -> Expect {
    Expect {
        paths: &[],
        kind: "missing",
        ..changed(address, &[])
    }
}

fn unmanaged(resource_type: &'static str, id: Option<String>) -> Expect {
    Expect {
        kind: "unmanaged",
        resource_type,
        address: None,
        id,
        paths: &[],
    }
}

/// The findings are exactly `expected`: same keys, and the changed paths match.
fn assert_findings(report: &Json, expected: &[Expect]) {
    let findings = report["findings"].as_array().expect("findings is an array");
    let mut actual: BTreeMap<Key, &Json> = BTreeMap::new();
    for f in findings {
        if let Some(prev) = actual.insert(finding_key(f), f) {
            panic!("two findings with the same kind/type/address:\n{prev:#}\n{f:#}");
        }
    }
    let want: BTreeSet<Key> = expected
        .iter()
        .map(|e| {
            (
                e.kind.into(),
                e.resource_type.into(),
                e.address.map(str::to_string),
            )
        })
        .collect();
    let got: BTreeSet<Key> = actual.keys().cloned().collect();
    assert!(
        want == got,
        "findings differ\n  unexpected: {:#?}\n  not reported: {:#?}\nfull report:\n{report:#}",
        got.difference(&want)
            .map(|k| &actual[k])
            .collect::<Vec<_>>(),
        want.difference(&got).collect::<Vec<_>>(),
    );
    for e in expected {
        let f = actual[&(
            e.kind.into(),
            e.resource_type.into(),
            e.address.map(str::to_string),
        )];
        let ps = paths(f);
        if e.kind == "changed" {
            for p in &ps {
                assert!(
                    e.paths.iter().any(|x| under(p, x)),
                    "unexpected change {p} in {f:#}"
                );
            }
            for x in e.paths {
                assert!(
                    ps.iter().any(|p| under(p, x)),
                    "no change under {x} in {f:#}"
                );
            }
        } else {
            assert!(ps.is_empty(), "a {} finding with changes: {f:#}", e.kind);
        }
        if let Some(id) = &e.id {
            assert_eq!(f["id"].as_str(), Some(id.as_str()), "id of {f:#}");
        }
    }
}

/// Every value the live stack holds as a secret, before and after the out-of-band changes.
const SECRETS: [&str; 4] = [SECRET, ROTATED_SECRET, OFFICE_CIDR, ROTATED_CIDR];

/// A file driftgate wrote holds none of [`SECRETS`].
fn assert_no_secret_in_file(path: &Path, what: &str) {
    let written = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{what}: read {}: {e}", path.display()));
    for secret in SECRETS {
        assert!(
            !written.contains(secret),
            "{what}: the sensitive value {secret:?} is in {}",
            path.display()
        );
    }
}

fn assert_no_secret(out: &Output, what: &str) {
    for secret in SECRETS {
        for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            assert!(
                !String::from_utf8_lossy(bytes).contains(secret),
                "{what}: the sensitive value {secret:?} leaked on {stream}:\n{}",
                show(out)
            );
        }
    }
}

/// The resource types with a spec under providers/aws: the stack must cover every one.
fn supported_types() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for service in std::fs::read_dir(root().join("providers/aws")).expect("providers/aws") {
        for f in std::fs::read_dir(service.expect("entry").path()).expect("service dir") {
            let p = f.expect("entry").path();
            if p.extension().is_some_and(|e| e == "hcl") {
                out.insert(p.file_stem().expect("stem").to_string_lossy().into_owned());
            }
        }
    }
    out
}

/// The resource types the live fixtures other than `stack` declare (`resource "TYPE" "NAME"`);
/// each is applied by its own test module.
fn types_of_other_live_fixtures() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for dir in std::fs::read_dir(root().join("fixtures/live")).expect("fixtures/live") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() || dir.ends_with("stack") {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("fixture dir") {
            let p = f.expect("entry").path();
            if p.extension().is_none_or(|e| e != "tf") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("read .tf");
            for line in text.lines() {
                if let Some(rest) = line.trim_start().strip_prefix("resource \"") {
                    out.insert(rest.split('"').next().unwrap_or("").to_string());
                }
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Harness checks (independent of driftgate's CLI)

#[test]
fn stack_state_records_every_supported_type() {
    let Some(s) = stack() else { return };
    let types: BTreeSet<String> = s
        .recorded
        .keys()
        .map(|a| {
            a.trim_start_matches("module.app.")
                .split('.')
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    let supported = supported_types();
    assert!(supported.len() >= 14, "specs found: {supported:?}");
    // A type may have its own live fixture (fixtures/live/nacl, applied by tests/nacl.rs).
    let elsewhere = types_of_other_live_fixtures();
    let uncovered: Vec<_> = supported
        .iter()
        .filter(|t| !types.contains(*t) && !elsewhere.contains(*t))
        .collect();
    assert!(
        uncovered.is_empty(),
        "no live fixture (fixtures/live/*) has {uncovered:?}"
    );

    for a in [
        "aws_subnet.app[0]",
        "aws_subnet.app[1]",
        "module.app.aws_instance.this[\"a\"]",
        "module.app.aws_instance.this[\"b\"]",
        "aws_iam_role.batch",
        "aws_iam_user_policy_attachment.deploy_describe",
    ] {
        assert!(
            s.recorded.contains_key(a),
            "{a} missing from {:?}",
            s.recorded.keys()
        );
    }
    assert_eq!(
        s.recorded["aws_security_group_rule.db_pg"]["cidr_blocks"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        s.recorded["aws_security_group.web"]["ingress"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        s.recorded["aws_vpc.main"]["enable_dns_hostnames"],
        json!(true)
    );
    // The sensitive variable makes terraform mark the tag, while the value itself is in the state.
    let user = &s.recorded["aws_iam_user.deploy"];
    assert_eq!(user["tags"]["secret"], json!(SECRET));
    assert!(
        user["__sensitive_attributes"]
            .to_string()
            .contains("\"secret\""),
        "no sensitive_attributes for tags.secret: {}",
        user["__sensitive_attributes"]
    );
}

#[test]
fn out_of_band_changes_are_visible_through_the_sdk() {
    let Some((s, d)) = drifted() else { return };
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let conf = s.moto.sdk_config().await;
        let ec2 = aws_sdk_ec2::Client::new(&conf);
        let iam = aws_sdk_iam::Client::new(&conf);

        let vpcs = ec2
            .describe_vpcs()
            .vpc_ids(s.attr("aws_vpc.main", "id"))
            .send()
            .await
            .expect("DescribeVpcs");
        let tags = vpcs.vpcs()[0].tags();
        assert!(
            tags.iter()
                .any(|t| t.key() == Some("team") && t.value() == Some("platform")),
            "{tags:?}"
        );

        let groups = ec2
            .describe_security_groups()
            .group_ids(s.attr("aws_security_group.db", "id"))
            .group_ids(s.attr("aws_security_group.web", "id"))
            .group_ids(&d.rogue_sg)
            .send()
            .await
            .expect("DescribeSecurityGroups");
        let ports = |name: &str| -> BTreeSet<i32> {
            let g = groups
                .security_groups()
                .iter()
                .find(|g| g.group_name() == Some(name))
                .expect(name);
            g.ip_permissions()
                .iter()
                .filter_map(|p| p.from_port())
                .collect()
        };
        // 8443: aws_security_group_rule.db_office, its sensitive source replaced.
        assert_eq!(ports("dg-live-db"), BTreeSet::from([22, 5432, 8443]));
        assert_eq!(ports("dg-live-web"), BTreeSet::from([443]));
        assert_eq!(ports("dg-live-rogue"), BTreeSet::new());

        let inst = ec2
            .describe_instances()
            .instance_ids(s.attr("module.app.aws_instance.this[\"a\"]", "id"))
            .send()
            .await
            .expect("DescribeInstances");
        let i = &inst.reservations()[0].instances()[0];
        assert_eq!(i.instance_type().map(|t| t.as_str()), Some("t3.large"));

        let subnet1 = s.attr("aws_subnet.app[1]", "id");
        let subnets = ec2
            .describe_subnets()
            .filters(
                aws_sdk_ec2::types::Filter::builder()
                    .name("vpc-id")
                    .values(s.attr("aws_vpc.main", "id"))
                    .build(),
            )
            .send()
            .await
            .expect("DescribeSubnets");
        assert!(
            subnets
                .subnets()
                .iter()
                .all(|x| x.subnet_id() != Some(subnet1.as_str()))
        );

        let doc = iam
            .get_role_policy()
            .role_name("dg-live-app")
            .policy_name("dg-live-app-inline")
            .send()
            .await
            .expect("GetRolePolicy");
        assert!(
            percent_decoded(doc.policy_document()).contains("s3:DeleteObject"),
            "{doc:?}"
        );
        let p = iam
            .get_policy()
            .policy_arn(s.attr("aws_iam_policy.describe", "arn"))
            .send()
            .await
            .expect("GetPolicy");
        assert_eq!(p.policy().and_then(|p| p.default_version_id()), Some("v2"));
        let att = iam
            .list_attached_user_policies()
            .user_name("dg-live-deploy")
            .send()
            .await
            .expect("ListAttachedUserPolicies");
        assert!(att.attached_policies().is_empty(), "{att:?}");
        let tags = iam
            .list_user_tags()
            .user_name("dg-live-deploy")
            .send()
            .await
            .expect("ListUserTags");
        assert!(
            tags.tags()
                .iter()
                .any(|t| t.key() == "secret" && t.value() == ROTATED_SECRET)
        );
        iam.get_role()
            .role_name(&d.rogue_role)
            .send()
            .await
            .expect("rogue role exists");
    });
}

/// IAM returns policy documents URL-encoded (moto sometimes does not).
fn percent_decoded(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

// ---------------------------------------------------------------------------------------------
// End to end

#[test]
fn freshly_applied_stack_scans_clean() {
    let Some(s) = stack() else { return };
    assert_exit(&s.clean_json, 0);
    let r = report(&s.clean_json);
    assert_eq!(r["complete"], json!(true), "{r:#}");
    assert_eq!(r["gaps"], json!([]), "{r:#}");
    assert_eq!(r["findings"], json!([]), "{r:#}");
    assert!(
        r["schema_version"].is_number() || r["schema_version"].is_string(),
        "{r:#}"
    );
    let summary = &r["summary"];
    assert_eq!(
        summary["recorded"].as_u64(),
        Some(s.recorded.len() as u64),
        "{r:#}"
    );
    for k in ["changed", "missing", "unmanaged"] {
        assert_eq!(summary[k], json!(0), "{r:#}");
    }
    assert_exit(&s.clean_table, 0);
    assert_no_secret(&s.clean_json, "clean json");
    assert_no_secret(&s.clean_table, "clean table");
}

fn expected_drift(d: &Drifted) -> Vec<Expect> {
    vec![
        changed("aws_vpc.main", &["tags.team"]),
        changed("aws_security_group.web", &["ingress"]),
        changed("aws_default_security_group.main", &["ingress"]),
        changed(
            "aws_security_group_rule.db_pg",
            &["description[\"10.40.1.0/24\"]"],
        ),
        changed("module.app.aws_instance.this[\"a\"]", &["instance_type"]),
        changed("aws_iam_role_policy.app_inline", &["policy"]),
        changed("aws_iam_policy.describe", &["policy"]),
        changed("aws_iam_role.app", &["assume_role_policy"]),
        changed("aws_iam_user.deploy", &["tags.secret"]),
        changed("aws_security_group_rule.db_office", &["cidr_blocks"]),
        missing("aws_security_group_rule.db_redis"),
        missing("aws_subnet.app[1]"),
        missing("aws_iam_user_policy_attachment.deploy_describe"),
        unmanaged("aws_security_group", Some(d.rogue_sg.clone())),
        unmanaged(UNMANAGED_RULE_TYPE, d.open_rule.clone()),
        unmanaged("aws_iam_role", Some(d.rogue_role.clone())),
    ]
}

#[test]
fn out_of_band_changes_are_reported_exactly() {
    let Some((_, d)) = drifted() else { return };
    assert_exit(&d.json, 2);
    let r = report(&d.json);
    assert_eq!(r["complete"], json!(true), "{r:#}");
    assert_findings(&r, &expected_drift(d));
    let summary = &r["summary"];
    assert_eq!(
        (
            &summary["changed"],
            &summary["missing"],
            &summary["unmanaged"]
        ),
        (&json!(10), &json!(3), &json!(3)),
        "{r:#}"
    );
    for f in r["findings"].as_array().into_iter().flatten() {
        if f["kind"] == "unmanaged" {
            assert!(f["address"].is_null() && f["state"].is_null(), "{f:#}");
        } else {
            assert!(
                f["state"].is_string() || f["state"].is_object(),
                "no state named: {f:#}"
            );
        }
    }
    assert_exit(&d.table, 2);
}

#[test]
fn ssh_opened_on_a_default_group_is_critical_and_a_second_cidrs_description_is_seen() {
    let Some((_, d)) = drifted() else { return };
    let r = report(&d.json);
    let finding = |address: &str| {
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["address"] == json!(address))
            .unwrap_or_else(|| panic!("no finding for {address}: {r:#}"))
            .clone()
    };
    // Without --strict: the default group is AWS's, the rule opened on it is not.
    assert_eq!(r["strict"], json!(false));
    let default_sg = finding("aws_default_security_group.main");
    assert_eq!(default_sg["severity"], json!("critical"), "{default_sg:#}");
    assert_eq!(
        default_sg["rule"],
        json!("ingress_open_world_admin"),
        "{default_sg:#}"
    );
    let pg = finding("aws_security_group_rule.db_pg");
    assert_eq!(
        paths(&pg),
        vec!["description[\"10.40.1.0/24\"]".to_string()],
        "{pg:#}"
    );
    assert_eq!(pg["changes"][0]["after"], json!("temporary: vendor access"));
}

#[test]
fn sensitive_tag_value_is_never_printed() {
    let Some((s, d)) = drifted() else { return };
    assert_no_secret(&d.json, "drifted json");
    assert_no_secret(&d.table, "drifted table");
    let r = report(&d.json);
    let user = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["address"] == "aws_iam_user.deploy")
        .unwrap_or_else(|| panic!("the rotated secret tag is not reported:\n{r:#}"));
    let change = user["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["path"] == "tags.secret")
        .unwrap_or_else(|| panic!("no tags.secret change: {user:#}"));
    assert_eq!(change["before"], json!("(sensitive)"), "{change:#}");
    assert_eq!(change["after"], json!("(sensitive)"), "{change:#}");
    assert_eq!(change["sensitive"], json!(true), "{change:#}");
    assert!(
        String::from_utf8_lossy(&d.table.stdout).contains("(sensitive)"),
        "{}",
        show(&d.table)
    );
    // --out writes the same masked report.
    let out = tempfile::NamedTempFile::new().expect("tempfile");
    let path = out.path().display().to_string();
    let state = s.state().display().to_string();
    let o = s.driftgate(
        &[
            "scan", "--state", &state, "--region", REGION, "--format", "json", "--out", &path,
        ],
        &[],
    );
    assert_exit(&o, 2);
    assert_no_secret_in_file(out.path(), "scan --out");
}

#[test]
fn a_sensitive_list_element_is_clean_after_apply_and_never_printed_when_rotated() {
    let Some((s, d)) = drifted() else { return };
    // Clean right after apply: the marked element equals the clear value EC2 reports.
    let clean = report(&s.clean_json);
    assert!(
        !clean["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["address"] == "aws_security_group_rule.db_office"),
        "false drift on a sensitive list element:\n{clean:#}"
    );
    // Rotated out of band: reported, both sides masked, the new value nowhere.
    let r = report(&d.json);
    let rule = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["address"] == "aws_security_group_rule.db_office")
        .unwrap_or_else(|| panic!("the rotated sensitive CIDR is not reported:\n{r:#}"));
    assert_eq!(rule["kind"], json!("changed"), "{rule:#}");
    let change = &rule["changes"][0];
    assert_eq!(change["path"], json!("cidr_blocks"), "{rule:#}");
    for side in ["before", "after"] {
        let items = change[side]
            .as_array()
            .unwrap_or_else(|| panic!("{rule:#}"));
        assert!(items.contains(&json!("(sensitive)")), "{side}: {rule:#}");
        assert!(items.contains(&json!("10.40.2.0/24")), "{side}: {rule:#}");
    }
    assert!(
        String::from_utf8_lossy(&d.table.stdout).contains("db_office"),
        "{}",
        show(&d.table)
    );
    assert_no_secret(&d.json, "drifted json");
    assert_no_secret(&d.table, "drifted table");
    // The written files: the report (--out) and the recorded observation (observe --out).
    let dir = tempfile::tempdir().expect("tempdir");
    let state = s.state().display().to_string();
    let out = dir.path().join("report.json");
    let o = s.driftgate(
        &[
            "scan",
            "--state",
            &state,
            "--region",
            REGION,
            "--format",
            "json",
            "--out",
            &out.display().to_string(),
        ],
        &[],
    );
    assert_exit(&o, 2);
    assert_no_secret(&o, "scan --out");
    assert_no_secret_in_file(&out, "scan --out");
    let snap = dir.path().join("observed.json");
    let o = s.driftgate(
        &[
            "observe",
            "--out",
            &snap.display().to_string(),
            "--region",
            REGION,
            "--state",
            &state,
        ],
        &[],
    );
    assert_exit(&o, 0);
    assert_no_secret(&o, "observe");
    assert_no_secret_in_file(&snap, "observe --out");
    // The replay of that file reports the rotation as the live scan does.
    let replay = s.driftgate(
        &[
            "scan",
            "--state",
            &state,
            "--observed",
            &snap.display().to_string(),
            "--format",
            "json",
        ],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    let replayed = report(&replay);
    let again = replayed["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["address"] == "aws_security_group_rule.db_office")
        .unwrap_or_else(|| panic!("not reported on replay:\n{replayed:#}"));
    assert_eq!(again["changes"], rule["changes"], "{replayed:#}");
}

#[test]
fn unreachable_endpoint_is_incomplete_never_clean() {
    let Some(s) = stack() else { return };
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{closed}");
    let env = [
        ("AWS_ENDPOINT_URL", url.as_str()),
        ("AWS_MAX_ATTEMPTS", "1"),
    ];
    let json_out = s.scan_with("json", &[], &env);
    assert_exit(&json_out, 1);
    let r = report(&json_out);
    assert_eq!(r["complete"], json!(false), "{r:#}");
    let gaps = r["gaps"].as_array().expect("gaps");
    assert!(!gaps.is_empty(), "{r:#}");
    for g in gaps {
        for k in ["service", "operation", "resource_types", "reason"] {
            assert!(!g[k].is_null(), "gap without {k}: {g:#}");
        }
    }
    // Nothing recorded may be called missing when it could not be looked at.
    assert!(
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|f| f["kind"] != "missing"),
        "missing findings from a failed read:\n{r:#}"
    );
    let table = s.scan_with("table", &[], &env);
    assert_exit(&table, 1);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&table.stdout),
        String::from_utf8_lossy(&table.stderr)
    );
    let op = gaps[0]["operation"].as_str().unwrap_or("?");
    assert!(
        text.contains(op),
        "the table does not say which call failed ({op}):\n{}",
        show(&table)
    );
}

#[test]
fn observed_snapshot_replays_to_the_same_findings() {
    let Some((s, d)) = drifted() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let snap = dir.path().join("observed.json").display().to_string();
    let state = s.state().display().to_string();
    let o = s.driftgate(
        &[
            "observe", "--out", &snap, "--region", REGION, "--state", &state,
        ],
        &[],
    );
    assert_exit(&o, 0);
    assert_no_secret(&o, "observe");
    assert_no_secret_in_file(Path::new(&snap), "observe --out");
    // The replay must not touch the cloud: point the endpoint at nothing.
    let replay = s.driftgate(
        &[
            "scan",
            "--state",
            &state,
            "--observed",
            &snap,
            "--format",
            "json",
        ],
        &[("AWS_ENDPOINT_URL", "http://127.0.0.1:9")],
    );
    assert_exit(&replay, 2);
    let live = report(&d.json);
    let replayed = report(&replay);
    assert_eq!(
        replayed["findings"], live["findings"],
        "replayed:\n{replayed:#}\nlive:\n{live:#}"
    );
    assert_eq!(replayed["complete"], json!(true));
}

#[test]
fn iam_documents_compare_by_meaning_and_print_as_recorded() {
    let Some((_, d)) = drifted() else { return };
    let r = report(&d.json);
    let finding = |address: &str| {
        r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["address"] == address)
            .cloned()
    };
    // Equivalent rewrites through the SDK: not findings (also held by the exact list above).
    assert!(
        finding("aws_iam_user_policy.deploy_inline").is_none(),
        "{r:#}"
    );
    assert!(finding("aws_iam_role.batch").is_none(), "{r:#}");
    // A new principal in a trust policy: reported, and graded as one.
    let app = finding("aws_iam_role.app").unwrap_or_else(|| panic!("no new principal:\n{r:#}"));
    let trust = app["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["path"] == "assume_role_policy")
        .unwrap_or_else(|| panic!("{app:#}"));
    assert_eq!(trust["rule"], "iam_principal_added", "{app:#}");
    assert!(
        trust["after"]
            .as_str()
            .unwrap_or("")
            .contains("999999999999"),
        "{app:#}"
    );
    // The recorded document prints as terraform recorded it, not in its canonical form.
    let describe = finding("aws_iam_policy.describe").unwrap_or_else(|| panic!("{r:#}"));
    let before = describe["changes"][0]["before"].as_str().unwrap_or("");
    assert!(before.contains("ec2:Describe*"), "{describe:#}");
    let table = String::from_utf8_lossy(&d.table.stdout);
    assert!(table.contains("ec2:Describe*"), "{table}");
    assert!(!table.contains("ec2:describe*"), "{table}");
}

/// Where a live scan's time went: the JSON report's `timings` (every phase, and time in calls
/// for exactly the operations it counted), and `--timings` on stderr for people.
#[test]
fn a_live_scan_says_where_its_time_went() {
    let Some(s) = stack() else { return };
    let r = report(&s.clean_json);
    let t = &r["timings"];
    for phase in ["read", "observe", "diff"] {
        assert!(t["phases_ms"][phase].is_u64(), "{t:#}");
    }
    let timed: Vec<&String> = t["api_ms"].as_object().unwrap().keys().collect();
    let counted: Vec<&String> = r["api_calls"].as_object().unwrap().keys().collect();
    assert_eq!(timed, counted, "{t:#}");
    let state = s.state().display().to_string();
    let o = s.driftgate(
        &["scan", "--state", &state, "--region", REGION, "--timings"],
        &[],
    );
    // The shared stack may be drifted by now (other live tests change it): 0 or 2, never 1.
    assert!(
        matches!(o.status.code(), Some(0 | 2)),
        "{}\n{}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("timings: "), "{err}");
    assert!(err.contains("time in calls, by operation:"), "{err}");
    // The slowest operations are listed (at most ten, of the thirty-odd a scan of every type
    // makes), each one the report counted.
    let listed: Vec<&str> = err
        .lines()
        .skip_while(|l| !l.contains("time in calls, by operation:"))
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .filter(|op| op.contains(':'))
        .collect();
    assert!((1..=10).contains(&listed.len()), "{err}");
    for op in listed {
        assert!(
            counted.iter().any(|c| c.as_str() == op),
            "{op} not counted: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The report formats on the drifted stack, from its terraform working directory

/// `driftgate scan --format FORMAT` from the stack's working copy (so its `.tf` files are the
/// configuration), as a CI job in that repository would run it.
fn scan_from_working_copy(s: &Stack, format: &str) -> Output {
    let mut cmd = driftgate();
    s.moto.apply_env(&mut cmd);
    cmd.current_dir(s.applied.dir.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .args(["scan", "--state", "terraform.tfstate", "--region", REGION])
        .args(["--format", format]);
    cmd.output().expect("run driftgate")
}

/// `resource "TYPE" "NAME"` of an address (`module.app.aws_instance.this["a"]`).
fn block_header(address: &str) -> String {
    let mut parts: Vec<&str> = address.split('.').collect();
    while parts.first() == Some(&"module") && parts.len() > 2 {
        parts.drain(..2);
    }
    let name = parts
        .get(1)
        .map(|n| n.split('[').next().unwrap_or(n))
        .unwrap_or("");
    format!("resource \"{}\" \"{name}\"", parts[0])
}

#[test]
fn the_drifted_stack_in_every_format() {
    let Some((s, _)) = drifted() else {
        return;
    };
    let json = scan_from_working_copy(s, "json");
    assert_exit(&json, 2);
    let findings = report(&json)["findings"].as_array().unwrap().clone();
    assert!(!findings.is_empty());

    // SARIF: valid, located at the .tf lines of the working copy, stable fingerprints.
    let schema = crate::support::sarif::schema();
    let sarif = |o: &Output| -> Json {
        assert_exit(o, 2);
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}:\n{}", show(o)))
    };
    let first = sarif(&scan_from_working_copy(s, "sarif"));
    let second = sarif(&scan_from_working_copy(s, "sarif"));
    crate::support::sarif::check(schema.as_ref(), &first, "the drifted stack");
    let results = first["runs"][0]["results"].as_array().unwrap();
    let open = results
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .count();
    assert_eq!(open, findings.len(), "one result per finding");
    for r in results {
        let name = r["locations"][0]["logicalLocations"][0]["name"]
            .as_str()
            .unwrap();
        if r["properties"]["kind"] == "unmanaged" {
            assert!(r["locations"][0].get("physicalLocation").is_none(), "{r:#}");
            continue;
        }
        let p = &r["locations"][0]["physicalLocation"];
        let uri = p["artifactLocation"]["uri"]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no physical location:\n{r:#}"));
        assert!(!uri.starts_with('/') && !uri.contains(".."), "{uri}");
        let text = std::fs::read_to_string(s.applied.dir.path().join(uri))
            .unwrap_or_else(|e| panic!("{name}: {uri}: {e}"));
        let line = p["region"]["startLine"].as_u64().unwrap() as usize;
        let at = text.lines().nth(line - 1).unwrap_or("");
        assert!(
            at.starts_with(&block_header(name)),
            "{name}: {uri}:{line} is `{at}`, not its block"
        );
    }
    let prints = |v: &Json| -> BTreeSet<String> {
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["partialFingerprints"]["driftgate/v2"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(
        prints(&first),
        prints(&second),
        "fingerprints changed between runs"
    );
    assert_eq!(prints(&first).len(), results.len());

    // Markdown, JUnit and HTML name every finding; the HTML loads nothing external; no secret.
    for format in ["markdown", "junit", "html", "table"] {
        let o = scan_from_working_copy(s, format);
        assert_exit(&o, 2);
        assert_no_secret(&o, format);
        let text = String::from_utf8_lossy(&o.stdout);
        for f in &findings {
            let name = match f["address"].as_str() {
                Some(a) => a.to_string(),
                None => format!(
                    "{} {}",
                    f["resource_type"].as_str().unwrap(),
                    f["id"].as_str().unwrap()
                ),
            };
            let shown = match format {
                "markdown" | "table" => name.replace('|', "\\|"),
                _ => name.replace('&', "&amp;").replace('"', "&quot;"),
            };
            assert!(
                text.contains(&shown),
                "{format} does not name {name}:\n{text}"
            );
        }
        if format == "junit" {
            roxmltree::Document::parse(&text).expect("well-formed JUnit XML");
        }
        if format == "html" {
            assert_eq!(
                driftgate::render::html::external_references(&text),
                Vec::<String>::new()
            );
        }
    }
}
