//! Network ACLs live: fixtures/live/nacl applied by real terraform against moto once for this
//! module (a custom ACL with inline entries, one whose entries are aws_network_acl_rule
//! resources and whose subnet comes through an aws_network_acl_association, the default ACL
//! adopted with aws_default_network_acl as terraform-aws-modules/vpc does), a DHCP options set
//! and a customer gateway.
//!
//! The fresh stack scans clean (taken before any test changes the cloud). Every other test
//! makes one out-of-band change, finds exactly that one finding, puts the cloud back (through
//! `plan` and `apply --approve`, or by hand) and checks the rescan is clean again; they take turns (`turn()`), since they share the
//! cloud. Tag edits are reverted through `plan` and `apply --approve`.
//!
//! Entries and subnets are put back through `plan` and `apply` too (the network ACL unit's
//! reverts); a changed aws_network_acl_rule is terraform's to re-create, and an unmanaged entry
//! is put back by hand here.

use std::process::Output;
use std::sync::{Mutex, MutexGuard, OnceLock};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{Filter, PortRange, RuleAction, Tag};

use crate::support::fixture_stack::{self, Shared, only_finding, shared};
use crate::support::remediation::{code, findings, text};

static NACL: OnceLock<Option<Shared>> = OnceLock::new();
/// One out-of-band change at a time: the tests share one cloud.
static TURN: Mutex<()> = Mutex::new(());

/// The applied stack, or `None` (a counted skip) when moto or terraform is missing.
fn nacl() -> Option<&'static Shared> {
    shared(&NACL, "live/nacl")
}

fn turn() -> MutexGuard<'static, ()> {
    fixture_stack::turn(&TURN)
}

async fn add_entry(ec2: &Client, acl: &str, rule: i32, port: i32, cidr: &str) {
    ec2.create_network_acl_entry()
        .network_acl_id(acl)
        .rule_number(rule)
        .egress(false)
        .protocol("6")
        .rule_action(RuleAction::Allow)
        .cidr_block(cidr)
        .port_range(PortRange::builder().from(port).to(port).build())
        .send()
        .await
        .expect("CreateNetworkAclEntry");
}

async fn delete_entry(ec2: &Client, acl: &str, rule: i32, egress: bool) {
    ec2.delete_network_acl_entry()
        .network_acl_id(acl)
        .rule_number(rule)
        .egress(egress)
        .send()
        .await
        .expect("DeleteNetworkAclEntry");
}

/// Puts `subnet` on `acl` (ReplaceNetworkAclAssociation of its current association).
async fn move_subnet(ec2: &Client, subnet: &str, acl: &str) {
    let out = ec2
        .describe_network_acls()
        .filters(
            Filter::builder()
                .name("association.subnet-id")
                .values(subnet)
                .build(),
        )
        .send()
        .await
        .expect("DescribeNetworkAcls");
    let association = out
        .network_acls()
        .iter()
        .flat_map(|a| a.associations())
        .find(|a| a.subnet_id() == Some(subnet))
        .and_then(|a| a.network_acl_association_id())
        .expect("the subnet has an association")
        .to_string();
    ec2.replace_network_acl_association()
        .association_id(association)
        .network_acl_id(acl)
        .send()
        .await
        .expect("ReplaceNetworkAclAssociation");
}

#[test]
fn a_fresh_apply_scans_clean_with_every_acl_type_checked() {
    let Some(n) = nacl() else { return };
    n.assert_clean(12);
}

#[test]
fn rdp_from_the_world_on_the_managed_default_acl_is_critical() {
    let Some(n) = nacl() else { return };
    let _turn = turn();
    let acl = n.id("aws_default_network_acl", "main");
    let (report, _) =
        n.reverted(async |ec2: &Client| add_entry(ec2, &acl, 90, 3389, "0.0.0.0/0").await);
    assert_eq!(
        only_finding(&report),
        (
            "changed aws_default_network_acl.main".into(),
            "critical".into(),
            "nacl_allow_world_admin".into()
        )
    );
}

#[test]
fn an_extra_entry_on_an_inline_acl_is_drift_of_that_acl() {
    let Some(n) = nacl() else { return };
    let _turn = turn();
    let acl = n.id("aws_network_acl", "inline");
    let (report, _) =
        n.reverted(async |ec2: &Client| add_entry(ec2, &acl, 130, 8443, "0.0.0.0/0").await);
    assert_eq!(
        only_finding(&report),
        (
            "changed aws_network_acl.inline".into(),
            "high".into(),
            "nacl_allow_world".into()
        )
    );
    // An inline entry removed (the deny of 192.0.2.0/24): drift of the ACL too, and created
    // again by the revert.
    let (report, _) = n.reverted(async |ec2: &Client| delete_entry(ec2, &acl, 110, false).await);
    assert_eq!(only_finding(&report).0, "changed aws_network_acl.inline");
}

#[test]
fn an_extra_entry_beside_separate_rules_is_an_unmanaged_rule() {
    let Some(n) = nacl() else { return };
    let _turn = turn();
    let acl = n.id("aws_network_acl", "separate");
    let report = n.drifted(
        async |ec2: &Client| add_entry(ec2, &acl, 110, 22, "0.0.0.0/0").await,
        async |ec2: &Client| delete_entry(ec2, &acl, 110, false).await,
    );
    assert_eq!(
        only_finding(&report),
        (
            format!("unmanaged {acl}:false:110"),
            "critical".into(),
            "nacl_allow_world_admin".into()
        )
    );
    assert_eq!(
        report.1["findings"][0]["resource_type"], "aws_network_acl_rule",
        "{:#}",
        report.1
    );
}

#[test]
fn a_separate_rule_edited_or_deleted_is_drift_of_that_rule() {
    let Some(n) = nacl() else { return };
    let _turn = turn();
    let acl = n.id("aws_network_acl", "separate");
    let replace = async |ec2: &Client, cidr: &str| {
        ec2.replace_network_acl_entry()
            .network_acl_id(&acl)
            .rule_number(100)
            .egress(false)
            .protocol("6")
            .rule_action(RuleAction::Allow)
            .cidr_block(cidr)
            .port_range(PortRange::builder().from(443).to(443).build())
            .send()
            .await
            .expect("ReplaceNetworkAclEntry");
    };
    let report = n.drifted(
        async |ec2: &Client| replace(ec2, "0.0.0.0/0").await,
        async |ec2: &Client| replace(ec2, "10.60.0.0/16").await,
    );
    assert_eq!(
        only_finding(&report),
        (
            "changed aws_network_acl_rule.separate_https_in".into(),
            "high".into(),
            "nacl_allow_world".into()
        )
    );
    let report = n.drifted(
        async |ec2: &Client| delete_entry(ec2, &acl, 100, true).await,
        async |ec2: &Client| {
            ec2.create_network_acl_entry()
                .network_acl_id(&acl)
                .rule_number(100)
                .egress(true)
                .protocol("-1")
                .rule_action(RuleAction::Allow)
                .cidr_block("0.0.0.0/0")
                .port_range(PortRange::builder().from(0).to(0).build())
                .send()
                .await
                .expect("CreateNetworkAclEntry");
        },
    );
    assert_eq!(
        only_finding(&report).0,
        "missing aws_network_acl_rule.separate_all_out"
    );
}

#[test]
fn a_subnet_moved_off_its_acl_is_found_on_the_acl_or_association_that_put_it_there() {
    let Some(n) = nacl() else { return };
    let _turn = turn();
    let default = n.id("aws_default_network_acl", "main");
    let subnet = n.id("aws_subnet", "separate");
    let (report, _) = n.reverted(async |ec2: &Client| move_subnet(ec2, &subnet, &default).await);
    let (finding, _, _) = only_finding(&report);
    assert_eq!(finding, "changed aws_network_acl_association.separate");
    assert_eq!(
        report.1["findings"][0]["changes"][0]["path"], "network_acl_id",
        "{:#}",
        report.1
    );
    // Through the ACL's own subnet_ids.
    let subnet = n.id("aws_subnet", "inline");
    let (report, _) = n.reverted(async |ec2: &Client| move_subnet(ec2, &subnet, &default).await);
    assert_eq!(only_finding(&report).0, "changed aws_network_acl.inline");
    assert_eq!(
        report.1["findings"][0]["changes"][0]["path"], "subnet_ids",
        "{:#}",
        report.1
    );
}

fn dg(n: &Shared, args: &[&str]) -> Output {
    n.stack.run_as("alice", args, None)
}

#[test]
fn tag_edits_on_every_acl_dhcp_options_and_customer_gateway_are_found_and_reverted_through_plan_and_apply()
 {
    let Some(n) = nacl() else { return };
    let _turn = turn();
    let acls = [
        n.id("aws_network_acl", "inline"),
        n.id("aws_network_acl", "separate"),
        n.id("aws_default_network_acl", "main"),
        n.id("aws_vpc_dhcp_options", "corp"),
        n.id("aws_customer_gateway", "office"),
    ];
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let ec2 = Client::new(&n.stack.moto.sdk_config().await);
        for acl in &acls {
            ec2.create_tags()
                .resources(acl)
                .tags(Tag::builder().key("Name").value("renamed").build())
                .tags(Tag::builder().key("owner").value("someone").build())
                .send()
                .await
                .expect("CreateTags");
        }
    });
    let (c, v) = n.scan();
    assert_eq!(c, 2, "{v:#}");
    assert_eq!(
        findings(&v),
        vec![
            "changed aws_customer_gateway.office",
            "changed aws_default_network_acl.main",
            "changed aws_network_acl.inline",
            "changed aws_network_acl.separate",
            "changed aws_vpc_dhcp_options.corp",
        ],
        "{v:#}"
    );
    let (o, token) = n.stack.plan("alice", "tags.json", &[]);
    assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
    assert!(token.starts_with("dg1-"), "{}", text(&o.stdout));
    let o = dg(n, &["apply", "tags.json", "--approve", &token]);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    let (c, v) = n.scan();
    assert_eq!(
        (c, findings(&v)),
        (0, Vec::<String>::new()),
        "a rescan after apply is clean: {v:#}"
    );
}
