//! Shown on a real stack (issue 15, "Done when"): a root module built from the four most used
//! public modules (terraform-aws-modules' vpc, security-group, iam and ec2-instance; rewritten
//! resource for resource in fixtures/live/modules, not shipped), applied with real terraform
//! against moto, scans with every recorded resource checked, no finding and exit 0. After the
//! incidents the issue starts from (a default route to the internet on the private route
//! table, an allow-all network ACL rule, a subnet moved onto the public route table, an
//! Allow-everything policy attached to a group, a user slipped into a group, an instance
//! profile given another role) plus tag edits on the NAT gateway and the EIP and an RDP rule on
//! the managed default network ACL, it reports every one, nothing else, and exits 2.
//!
//! One moto server and one applied stack serve the module (`stack()`); the clean scans are
//! taken while it is set up, the incidents are made once by `drifted()`, which takes the scans
//! of the drifted stack. moto runs with `MOTO_IAM_LOAD_MANAGED_POLICIES=true`: the modules
//! attach AWS managed policies (`arn:aws:iam::aws:policy/...`) as a real account has them.
//!
//! Skips (printed loudly, failures under CI): no moto_server, no terraform or no aws provider
//! mirror (see tests/support/terraform.rs).

use std::collections::{BTreeMap, BTreeSet};
use std::process::Output;
use std::sync::OnceLock;

use aws_sdk_ec2::types::{RuleAction, Tag as Ec2Tag};
use serde_json::{Value as Json, json};

use crate::support::call;
use crate::support::moto::Moto;
use crate::support::report::{assert_exit, report};
use crate::support::scanned::Scanned;
use crate::support::state::resource_type;

/// The policy that allows everything, as AWS manages it.
const ADMIN_POLICY: &str = "arn:aws:iam::aws:policy/AdministratorAccess";

/// Every address the fixture records: what the public modules create for the inputs in
/// fixtures/live/modules/main.tf (40 resources of 24 types).
const ADDRESSES: &[&str] = &[
    "module.ec2_instance.aws_iam_instance_profile.this[0]",
    "module.ec2_instance.aws_iam_role.this[0]",
    "module.ec2_instance.aws_iam_role_policy_attachment.this[\"AmazonSSMManagedInstanceCore\"]",
    "module.ec2_instance.aws_instance.this[0]",
    "module.iam_assumable_role.aws_iam_role.this[0]",
    "module.iam_assumable_role.aws_iam_role_policy_attachment.custom[0]",
    "module.iam_assumable_role.aws_iam_role_policy_attachment.custom[1]",
    "module.iam_group.aws_iam_group.this[0]",
    "module.iam_group.aws_iam_group_membership.this[0]",
    "module.iam_group.aws_iam_group_policy_attachment.custom_arns[0]",
    "module.iam_group.aws_iam_group_policy_attachment.iam_self_management[0]",
    "module.iam_group.aws_iam_policy.iam_self_management[0]",
    "module.iam_user.aws_iam_access_key.this_no_pgp[0]",
    "module.iam_user.aws_iam_user.this[0]",
    "module.iam_user.aws_iam_user_login_profile.this[0]",
    "module.iam_user_ci.aws_iam_access_key.this_no_pgp[0]",
    "module.iam_user_ci.aws_iam_user.this[0]",
    "module.vpc.aws_default_network_acl.this[0]",
    "module.vpc.aws_default_route_table.default[0]",
    "module.vpc.aws_default_security_group.this[0]",
    "module.vpc.aws_eip.nat[0]",
    "module.vpc.aws_internet_gateway.this[0]",
    "module.vpc.aws_nat_gateway.this[0]",
    "module.vpc.aws_route.private_nat_gateway[0]",
    "module.vpc.aws_route.public_internet_gateway[0]",
    "module.vpc.aws_route_table.private[0]",
    "module.vpc.aws_route_table.public[0]",
    "module.vpc.aws_route_table_association.private[0]",
    "module.vpc.aws_route_table_association.private[1]",
    "module.vpc.aws_route_table_association.public[0]",
    "module.vpc.aws_route_table_association.public[1]",
    "module.vpc.aws_subnet.private[0]",
    "module.vpc.aws_subnet.private[1]",
    "module.vpc.aws_subnet.public[0]",
    "module.vpc.aws_subnet.public[1]",
    "module.vpc.aws_vpc.this[0]",
    "module.web_sg.aws_security_group.this[0]",
    "module.web_sg.aws_security_group_rule.egress_rules[0]",
    "module.web_sg.aws_security_group_rule.ingress_rules[0]",
    "module.web_sg.aws_security_group_rule.ingress_with_cidr_blocks[0]",
];

// ---------------------------------------------------------------------------------------------
// The shared stack

type Stack = Scanned;

static STACK: OnceLock<Result<Option<Stack>, String>> = OnceLock::new();

fn stack() -> Option<&'static Stack> {
    crate::support::skip::shared(&STACK, "modules stack", || {
        Scanned::set_up(
            Moto::start_with(&[("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")]),
            "live/modules",
            &[],
        )
    })
}

// ---------------------------------------------------------------------------------------------
// The incidents

struct Drifted {
    json: Output,
    table: Output,
}

static DRIFTED: OnceLock<Result<Option<Drifted>, String>> = OnceLock::new();

fn drifted() -> Option<(&'static Stack, &'static Drifted)> {
    crate::support::scanned::drifted(&DRIFTED, stack(), "making the incidents", |s, rt| {
        rt.block_on(incidents(s))?;
        Ok(Drifted {
            json: s.scan("json"),
            table: s.scan("table"),
        })
    })
}

/// The secrets the iam-user module leaves in the state (no pgp_key): the login profile's
/// password and the access keys' secrets and SMTP passwords.
fn secrets(s: &Stack) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (address, attrs) in &s.recorded {
        for name in ["password", "secret", "ses_smtp_password_v4"] {
            if let Some(v) = attrs[name].as_str().filter(|v| !v.is_empty()) {
                out.push((format!("{address}.{name}"), v.to_string()));
            }
        }
    }
    out
}

/// The changes of the "Why", made the way a person at the console makes them.
async fn incidents(s: &Stack) -> Result<(), String> {
    let conf = s.moto.sdk_config().await;
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let iam = aws_sdk_iam::Client::new(&conf);
    let private_rt = s.attr("module.vpc.aws_route_table.private[0]", "id");
    let public_rt = s.attr("module.vpc.aws_route_table.public[0]", "id");
    let igw = s.attr("module.vpc.aws_internet_gateway.this[0]", "id");
    let nacl = s.attr("module.vpc.aws_default_network_acl.this[0]", "id");
    let moved = s.attr("module.vpc.aws_route_table_association.private[1]", "id");
    let nat = s.attr("module.vpc.aws_nat_gateway.this[0]", "id");
    let eip = s.attr("module.vpc.aws_eip.nat[0]", "id");
    let group = s.attr("module.iam_group.aws_iam_group.this[0]", "name");
    let ci_user = s.attr("module.iam_user_ci.aws_iam_user.this[0]", "name");
    let profile = s.attr(
        "module.ec2_instance.aws_iam_instance_profile.this[0]",
        "name",
    );
    let app_role = s.attr("module.ec2_instance.aws_iam_role.this[0]", "name");
    let admin_role = s.attr("module.iam_assumable_role.aws_iam_role.this[0]", "name");

    // The private route table's default route sent to the internet gateway. The module's
    // private table already routes 0.0.0.0/0 to the NAT gateway (AWS refuses a second route
    // to the same destination), so the console's "Edit routes" changes that route's target.
    call!(
        "ReplaceRoute",
        ec2.replace_route()
            .route_table_id(&private_rt)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw)
            .send()
    );
    // The managed default network ACL: an allow-all rule ahead of the module's, and RDP
    // opened to the world.
    call!(
        "CreateNetworkAclEntry allow-all",
        ec2.create_network_acl_entry()
            .network_acl_id(&nacl)
            .rule_number(90)
            .egress(false)
            .protocol("-1")
            .rule_action(RuleAction::Allow)
            .cidr_block("0.0.0.0/0")
            .send()
    );
    call!(
        "CreateNetworkAclEntry rdp",
        ec2.create_network_acl_entry()
            .network_acl_id(&nacl)
            .rule_number(80)
            .egress(false)
            .protocol("6")
            .port_range(
                aws_sdk_ec2::types::PortRange::builder()
                    .from(3389)
                    .to(3389)
                    .build()
            )
            .rule_action(RuleAction::Allow)
            .cidr_block("0.0.0.0/0")
            .send()
    );
    // The second private subnet moved onto the public route table.
    call!(
        "ReplaceRouteTableAssociation",
        ec2.replace_route_table_association()
            .association_id(&moved)
            .route_table_id(&public_rt)
            .send()
    );
    // Tag edits on the NAT gateway and the EIP.
    call!(
        "CreateTags nat",
        ec2.create_tags()
            .resources(&nat)
            .tags(Ec2Tag::builder().key("Environment").value("prod").build())
            .send()
    );
    call!(
        "CreateTags eip",
        ec2.create_tags()
            .resources(&eip)
            .tags(Ec2Tag::builder().key("owner").value("someone").build())
            .send()
    );
    // An Allow-everything policy attached to the group.
    call!(
        "AttachGroupPolicy",
        iam.attach_group_policy()
            .group_name(&group)
            .policy_arn(ADMIN_POLICY)
            .send()
    );
    // A user slipped into the group (aws_iam_group_membership is exclusive over its members).
    call!(
        "AddUserToGroup",
        iam.add_user_to_group()
            .group_name(&group)
            .user_name(&ci_user)
            .send()
    );
    // The instance profile given another role: the admin role instead of the instance's.
    call!(
        "RemoveRoleFromInstanceProfile",
        iam.remove_role_from_instance_profile()
            .instance_profile_name(&profile)
            .role_name(&app_role)
            .send()
    );
    call!(
        "AddRoleToInstanceProfile",
        iam.add_role_to_instance_profile()
            .instance_profile_name(&profile)
            .role_name(&admin_role)
            .send()
    );
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Report helpers

/// `path` is `prefix` or below it (`ingress`, `ingress[0]`, `tags.owner` below `tags`).
fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

/// (kind, resource type, address or None for unmanaged).
type Key = (String, String, Option<String>);

struct Expect {
    key: Key,
    /// For `changed`: every changed path lies under one of these, and each has one.
    paths: &'static [&'static str],
}

fn changed(address: &str, paths: &'static [&'static str]) -> Expect {
    Expect {
        key: (
            "changed".into(),
            resource_type(address).into(),
            Some(address.into()),
        ),
        paths,
    }
}

fn unmanaged(resource_type: &str) -> Expect {
    Expect {
        key: ("unmanaged".into(), resource_type.into(), None),
        paths: &[],
    }
}

/// The incidents, each as the finding that must report it (the two network ACL rules are
/// changes of one resource: `aws_default_network_acl` holds its rules exclusively).
fn expected_incidents() -> Vec<Expect> {
    vec![
        // The default route now goes to the internet gateway instead of the NAT gateway.
        changed(
            "module.vpc.aws_route.private_nat_gateway[0]",
            &["gateway_id", "nat_gateway_id"],
        ),
        // Allow-all (rule 90) and RDP (rule 80) on the managed default network ACL.
        changed("module.vpc.aws_default_network_acl.this[0]", &["ingress"]),
        // The subnet moved onto the public route table.
        changed(
            "module.vpc.aws_route_table_association.private[1]",
            &["route_table_id"],
        ),
        changed("module.vpc.aws_nat_gateway.this[0]", &["tags.Environment"]),
        changed("module.vpc.aws_eip.nat[0]", &["tags.owner"]),
        // AdministratorAccess attached to the group: not in any state (attachments are not
        // exclusive), so unmanaged.
        unmanaged("aws_iam_group_policy_attachment"),
        // The ci user in the group: the membership resource lists the group's members.
        changed(
            "module.iam_group.aws_iam_group_membership.this[0]",
            &["users"],
        ),
        changed(
            "module.ec2_instance.aws_iam_instance_profile.this[0]",
            &["role"],
        ),
    ]
}

fn paths(f: &Json) -> Vec<String> {
    f["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["path"].as_str().unwrap_or("?").to_string())
        .collect()
}

/// The findings of `r` by key; two findings with one key is itself a failure.
fn findings_by_key(r: &Json) -> BTreeMap<Key, &Json> {
    let mut out = BTreeMap::new();
    for f in r["findings"].as_array().expect("findings is an array") {
        let key = (
            f["kind"].as_str().unwrap_or("?").to_string(),
            f["resource_type"].as_str().unwrap_or("?").to_string(),
            f["address"].as_str().map(str::to_string),
        );
        if let Some(prev) = out.insert(key, f) {
            panic!("two findings with the same kind/type/address:\n{prev:#}\n{f:#}");
        }
    }
    out
}

/// Some object in `v` has a rule number (`rule_no`, `rule_number`) equal to `n`.
fn has_rule_number(v: &Json, n: u64) -> bool {
    match v {
        Json::Object(m) => m.iter().any(|(k, x)| {
            (k.starts_with("rule_n")
                && (x.as_u64() == Some(n) || x.as_str() == Some(&n.to_string())))
                || has_rule_number(x, n)
        }),
        Json::Array(xs) => xs.iter().any(|x| has_rule_number(x, n)),
        _ => false,
    }
}

fn finding<'r>(r: &'r Json, address: &str) -> &'r Json {
    r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["address"] == json!(address))
        .unwrap_or_else(|| panic!("no finding for {address}:\n{r:#}"))
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn the_fixture_records_what_the_public_modules_create() {
    let Some(s) = stack() else { return };
    let got: BTreeSet<&str> = s.recorded.keys().map(String::as_str).collect();
    let want: BTreeSet<&str> = ADDRESSES.iter().copied().collect();
    assert_eq!(got, want, "the applied state's addresses");
    let types: BTreeSet<&str> = got.iter().map(|a| resource_type(a)).collect();
    assert_eq!(types.len(), 24, "{types:?}");
    // What the incidents rely on: the private table routes to the NAT gateway, the group
    // holds alice only, the profile holds the instance's own role.
    let route = &s.recorded["module.vpc.aws_route.private_nat_gateway[0]"];
    assert_eq!(
        route["nat_gateway_id"],
        s.recorded["module.vpc.aws_nat_gateway.this[0]"]["id"]
    );
    assert_eq!(
        s.recorded["module.iam_group.aws_iam_group_membership.this[0]"]["users"],
        json!(["alice"])
    );
    assert_eq!(
        s.recorded["module.ec2_instance.aws_iam_instance_profile.this[0]"]["role"],
        s.recorded["module.ec2_instance.aws_iam_role.this[0]"]["name"]
    );
    // The secrets the scans must never print are really in the state.
    let secrets: Vec<String> = secrets(s).into_iter().map(|(a, _)| a).collect();
    for a in [
        "module.iam_user.aws_iam_user_login_profile.this[0].password",
        "module.iam_user.aws_iam_access_key.this_no_pgp[0].secret",
        "module.iam_user_ci.aws_iam_access_key.this_no_pgp[0].secret",
    ] {
        assert!(secrets.iter().any(|x| x == a), "{a} not in {secrets:?}");
    }
}

#[test]
fn right_after_apply_every_recorded_resource_is_checked_and_clean() {
    let Some(s) = stack() else { return };
    let r = report(&s.clean_json);
    let not_checked: Vec<&str> = r["not_checked"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| n["address"].as_str().unwrap_or("?"))
        .collect();
    assert!(
        not_checked.is_empty(),
        "not checked right after apply ({} of {}): {not_checked:#?}",
        not_checked.len(),
        s.recorded.len()
    );
    assert_eq!(
        r["findings"],
        json!([]),
        "findings right after apply:\n{r:#}"
    );
    assert_eq!(r["complete"], json!(true), "{r:#}");
    assert_eq!(r["gaps"], json!([]), "{r:#}");
    let recorded = s.recorded.len() as u64;
    assert_eq!(r["summary"]["recorded"].as_u64(), Some(recorded), "{r:#}");
    assert_eq!(r["coverage"]["checked"].as_u64(), Some(recorded), "{r:#}");
    assert_eq!(r["coverage"]["percent"].as_f64(), Some(100.0), "{r:#}");
    assert_eq!(r["coverage"]["unsupported"], json!(0), "{r:#}");
    for k in ["changed", "missing", "unmanaged", "not_checked"] {
        assert_eq!(r["summary"][k], json!(0), "{k}: {r:#}");
    }
    assert_exit(&s.clean_json, 0);
    assert_exit(&s.clean_table, 0);
}

#[test]
fn every_incident_is_reported_and_nothing_else() {
    let Some((_, d)) = drifted() else { return };
    let r = report(&d.json);
    let actual = findings_by_key(&r);
    let expected = expected_incidents();
    let want: BTreeSet<&Key> = expected.iter().map(|e| &e.key).collect();
    let got: BTreeSet<&Key> = actual.keys().collect();
    assert!(
        want == got,
        "findings differ\n  noise (not an incident): {:#?}\n  incidents not reported: {:#?}\nfull report:\n{r:#}",
        got.difference(&want)
            .map(|k| actual[*k])
            .collect::<Vec<_>>(),
        want.difference(&got).collect::<Vec<_>>(),
    );
    for e in &expected {
        let f = actual[&e.key];
        let ps = paths(f);
        for p in &ps {
            assert!(
                e.paths.iter().any(|x| under(p, x)),
                "a change {p} that no incident made, in {f:#}"
            );
        }
        for x in e.paths {
            assert!(
                ps.iter().any(|p| under(p, x)),
                "no change under {x} in {f:#}"
            );
        }
    }
    // Both rules on the default network ACL are in its finding.
    let acl = &finding(&r, "module.vpc.aws_default_network_acl.this[0]")["changes"];
    for rule in [80, 90] {
        assert!(
            has_rule_number(acl, rule),
            "rule {rule} is not in the changes: {acl:#}"
        );
    }
    // The attachment found is the one made: AdministratorAccess on the group.
    let attachment = actual[&(
        "unmanaged".to_string(),
        "aws_iam_group_policy_attachment".to_string(),
        None,
    )];
    assert!(
        attachment.to_string().contains(ADMIN_POLICY)
            && attachment.to_string().contains("developers"),
        "{attachment:#}"
    );
    assert_eq!(r["complete"], json!(true), "{r:#}");
    assert_exit(&d.json, 2);
    assert_exit(&d.table, 2);
}

#[test]
fn the_incidents_are_graded_by_what_they_open() {
    let Some((_, d)) = drifted() else { return };
    let r = report(&d.json);
    let severity = |address: &str| {
        finding(&r, address)["severity"]
            .as_str()
            .unwrap_or("?")
            .to_string()
    };
    // The catalogue: a route to an internet gateway where the subnets had none,
    // an RDP rule from anywhere on a network ACL, a principal added to a group holding an
    // Allow-everything policy: critical. A subnet on another table, an instance profile's
    // role changed: high.
    for (address, want) in [
        ("module.vpc.aws_route.private_nat_gateway[0]", "critical"),
        ("module.vpc.aws_default_network_acl.this[0]", "critical"),
        (
            "module.iam_group.aws_iam_group_membership.this[0]",
            "critical",
        ),
        ("module.vpc.aws_route_table_association.private[1]", "high"),
        (
            "module.ec2_instance.aws_iam_instance_profile.this[0]",
            "high",
        ),
    ] {
        assert_eq!(severity(address), want, "{address}:\n{r:#}");
    }
    let attachment = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["resource_type"] == json!("aws_iam_group_policy_attachment"))
        .unwrap_or_else(|| panic!("no group policy attachment finding:\n{r:#}"));
    assert_eq!(attachment["severity"], json!("critical"), "{attachment:#}");
}

#[test]
fn the_passwords_and_secret_keys_in_the_state_are_never_printed() {
    let Some((s, d)) = drifted() else { return };
    let secrets = secrets(s);
    assert!(secrets.len() >= 3, "{secrets:?}");
    for (what, out) in [
        ("clean json", &s.clean_json),
        ("clean table", &s.clean_table),
        ("drifted json", &d.json),
        ("drifted table", &d.table),
    ] {
        for (name, secret) in &secrets {
            for (stream, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !String::from_utf8_lossy(bytes).contains(secret.as_str()),
                    "{what}: the value of {name} is on {stream}"
                );
            }
        }
    }
}
