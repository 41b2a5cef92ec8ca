//! The rest of a VPC, live: fixtures/live/vpc_misc applied by real terraform against moto once
//! for this module: the default VPC and one default subnet adopted (aws_default_vpc,
//! aws_default_subnet), a VPC with a secondary IPv4 CIDR (aws_vpc_ipv4_cidr_block_association)
//! and its own DHCP options set (aws_vpc_dhcp_options_association), and a peering connection
//! (aws_vpc_peering_connection).
//!
//! The fresh stack scans clean (taken before any test changes the cloud). Every other test
//! makes one out-of-band change per type through the EC2 API, finds exactly that finding, and
//! puts the cloud back, through `plan` and `apply --approve` where a revert exists (the DNS and
//! address flags, tags, the DHCP options association, the peering options) or by hand; the
//! rescan is clean again. They take turns (`turn()`), since they share the cloud. Unmanaged
//! secondary CIDRs and peering connections are imported: `plan --config` writes them into the
//! configuration and `terraform plan` shows the imports and no change.

use std::sync::{Mutex, MutexGuard, OnceLock};

use aws_sdk_ec2::Client;
use aws_sdk_ec2::types::{AttributeBooleanValue, PeeringConnectionOptionsRequest, Tag};
use serde_json::Value as Json;

use crate::support::fixture_stack::{self, Shared, only_finding, shared};
use crate::support::remediation::{code, findings, text};

static MISC: OnceLock<Option<Shared>> = OnceLock::new();
/// One out-of-band change at a time: the tests share one cloud.
static TURN: Mutex<()> = Mutex::new(());

/// The applied stack, or `None` (a counted skip) when moto or terraform is missing.
fn misc() -> Option<&'static Shared> {
    shared(&MISC, "live/vpc_misc")
}

fn turn() -> MutexGuard<'static, ()> {
    fixture_stack::turn(&TURN)
}

/// The changed paths of a report's one finding.
fn paths(report: &(i32, Json)) -> Vec<String> {
    report.1["findings"][0]["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["path"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The APIs a plan calls, sorted.
fn apis(plan: &Json) -> Vec<String> {
    let mut out: Vec<String> = plan["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|a| a["calls"].as_array().cloned().unwrap_or_default())
        .map(|c| c["api"].as_str().unwrap_or("").to_string())
        .collect();
    out.sort();
    out
}

/// `change` made, found alone (`[KIND ADDRESS, severity, rule]`) as a change of `path` only,
/// and put back through a plan that calls `api` only.
fn reverted_alone(
    m: &Shared,
    change: impl AsyncFnOnce(&Client),
    found: [&str; 3],
    path: &str,
    api: &str,
) {
    let (report, plan) = m.reverted(change);
    let [finding, severity, rule] = found.map(str::to_string);
    assert_eq!(only_finding(&report), (finding, severity, rule));
    assert_eq!(paths(&report), [path]);
    assert_eq!(apis(&plan), [api]);
}

#[test]
fn a_fresh_apply_scans_clean_with_every_vpc_type_checked() {
    let Some(m) = misc() else { return };
    m.assert_clean(9);
}

#[test]
fn the_default_vpcs_dns_flag_and_the_default_subnets_public_ips_are_found_and_reverted() {
    let Some(m) = misc() else { return };
    let _turn = turn();
    let vpc = m.id("aws_default_vpc", "default");
    let change = async |ec2: &Client| {
        ec2.modify_vpc_attribute()
            .vpc_id(&vpc)
            .enable_dns_hostnames(AttributeBooleanValue::builder().value(false).build())
            .send()
            .await
            .expect("ModifyVpcAttribute");
    };
    let found = [
        "changed aws_default_vpc.default",
        "medium",
        "attribute_changed",
    ];
    reverted_alone(
        m,
        change,
        found,
        "enable_dns_hostnames",
        "ec2:ModifyVpcAttribute",
    );

    let subnet = m.id("aws_default_subnet", "a");
    let change = async |ec2: &Client| {
        ec2.modify_subnet_attribute()
            .subnet_id(&subnet)
            .map_public_ip_on_launch(AttributeBooleanValue::builder().value(false).build())
            .send()
            .await
            .expect("ModifySubnetAttribute");
    };
    let found = [
        "changed aws_default_subnet.a",
        "medium",
        "network_exposure_changed",
    ];
    reverted_alone(
        m,
        change,
        found,
        "map_public_ip_on_launch",
        "ec2:ModifySubnetAttribute",
    );
}

#[test]
fn another_dhcp_options_set_on_the_vpc_is_drift_of_the_association_and_reverted() {
    let Some(m) = misc() else { return };
    let _turn = turn();
    let vpc = m.id("aws_vpc", "main");
    let alt = m.id("aws_vpc_dhcp_options", "alt");
    let (report, plan) = m.reverted(async |ec2: &Client| {
        ec2.associate_dhcp_options()
            .vpc_id(&vpc)
            .dhcp_options_id(&alt)
            .send()
            .await
            .expect("AssociateDhcpOptions");
    });
    assert_eq!(
        only_finding(&report),
        (
            "changed aws_vpc_dhcp_options_association.main".into(),
            "high".into(),
            "vpc_dns_redirected".into()
        )
    );
    let change = &report.1["findings"][0]["changes"][0];
    assert_eq!(change["path"], "dhcp_options_id", "{:#}", report.1);
    assert_eq!(
        change["before"].as_str(),
        Some(m.id("aws_vpc_dhcp_options", "corp").as_str())
    );
    assert_eq!(change["after"].as_str(), Some(alt.as_str()));
    assert_eq!(apis(&plan), ["ec2:AssociateDhcpOptions"]);

    // The VPC given no set at all: the association is gone (terraform makes it again).
    let corp = m.id("aws_vpc_dhcp_options", "corp");
    let associate = async |ec2: &Client, set: &str| {
        ec2.associate_dhcp_options()
            .vpc_id(&vpc)
            .dhcp_options_id(set)
            .send()
            .await
            .expect("AssociateDhcpOptions");
    };
    let report = m.drifted(
        async |ec2: &Client| associate(ec2, "default").await,
        async |ec2: &Client| associate(ec2, &corp).await,
    );
    assert_eq!(
        only_finding(&report).0,
        "missing aws_vpc_dhcp_options_association.main"
    );
}

#[test]
fn a_secondary_cidr_added_out_of_band_is_an_unmanaged_association() {
    let Some(m) = misc() else { return };
    let _turn = turn();
    let vpc = m.id("aws_vpc", "main");
    let added = std::sync::Mutex::new(String::new());
    let report = m.drifted(
        async |ec2: &Client| {
            let out = ec2
                .associate_vpc_cidr_block()
                .vpc_id(&vpc)
                .cidr_block("10.72.0.0/16")
                .send()
                .await
                .expect("AssociateVpcCidrBlock");
            *added.lock().unwrap() = out
                .cidr_block_association()
                .and_then(|a| a.association_id())
                .expect("an association id")
                .to_string();
        },
        async |ec2: &Client| {
            let id = added.lock().unwrap().clone();
            ec2.disassociate_vpc_cidr_block()
                .association_id(id)
                .send()
                .await
                .expect("DisassociateVpcCidrBlock");
        },
    );
    let id = added.lock().unwrap().clone();
    assert_eq!(
        only_finding(&report),
        (
            format!("unmanaged {id}"),
            "medium".into(),
            "resource_unmanaged".into()
        )
    );
    let f = &report.1["findings"][0];
    assert_eq!(f["resource_type"], "aws_vpc_ipv4_cidr_block_association");
    assert_eq!(f["observed"]["vpc_id"].as_str(), Some(vpc.as_str()));
    assert_eq!(f["observed"]["cidr_block"], "10.72.0.0/16");
    // The recorded secondary CIDR is not one: the primary block is the VPC's own.
    assert_ne!(id, m.id("aws_vpc_ipv4_cidr_block_association", "secondary"));
}

#[test]
fn peering_options_and_tags_are_found_and_reverted_and_a_new_connection_is_unmanaged() {
    let Some(m) = misc() else { return };
    let _turn = turn();
    let pcx = m.id("aws_vpc_peering_connection", "main");
    let (report, plan) = m.reverted(async |ec2: &Client| {
        ec2.modify_vpc_peering_connection_options()
            .vpc_peering_connection_id(&pcx)
            .accepter_peering_connection_options(
                PeeringConnectionOptionsRequest::builder()
                    .allow_dns_resolution_from_remote_vpc(true)
                    .build(),
            )
            .send()
            .await
            .expect("ModifyVpcPeeringConnectionOptions");
        ec2.create_tags()
            .resources(&pcx)
            .tags(Tag::builder().key("team").value("someone").build())
            .send()
            .await
            .expect("CreateTags");
    });
    assert_eq!(
        only_finding(&report).0,
        "changed aws_vpc_peering_connection.main"
    );
    assert_eq!(paths(&report), ["accepter", "tags.team"]);
    assert_eq!(
        apis(&plan),
        ["ec2:CreateTags", "ec2:ModifyVpcPeeringConnectionOptions"]
    );

    // A second connection between the same VPCs, made by hand: unmanaged; deleted, gone
    // (EC2 keeps listing it as `deleted` for a while).
    let (vpc, peer) = (
        m.attr("aws_vpc_peering_connection", "main", "vpc_id"),
        m.attr("aws_vpc_peering_connection", "main", "peer_vpc_id"),
    );
    let made = std::sync::Mutex::new(String::new());
    let report = m.drifted(
        async |ec2: &Client| {
            let id = create_peering(ec2, &vpc, &peer).await;
            *made.lock().unwrap() = id;
        },
        async |ec2: &Client| {
            let id = made.lock().unwrap().clone();
            ec2.delete_vpc_peering_connection()
                .vpc_peering_connection_id(id)
                .send()
                .await
                .expect("DeleteVpcPeeringConnection");
        },
    );
    let id = made.lock().unwrap().clone();
    assert_eq!(
        only_finding(&report),
        (
            format!("unmanaged {id}"),
            "high".into(),
            "vpc_peering_added".into()
        )
    );
    assert_eq!(
        report.1["findings"][0]["resource_type"],
        "aws_vpc_peering_connection"
    );
}

/// A peering connection from `vpc` to `peer`, accepted: its id.
async fn create_peering(ec2: &Client, vpc: &str, peer: &str) -> String {
    let id = ec2
        .create_vpc_peering_connection()
        .vpc_id(vpc)
        .peer_vpc_id(peer)
        .send()
        .await
        .expect("CreateVpcPeeringConnection")
        .vpc_peering_connection()
        .and_then(|c| c.vpc_peering_connection_id())
        .expect("an id")
        .to_string();
    ec2.accept_vpc_peering_connection()
        .vpc_peering_connection_id(&id)
        .send()
        .await
        .expect("AcceptVpcPeeringConnection");
    id
}

#[test]
fn tag_edits_on_the_default_vpc_default_subnet_and_peering_connection_are_reverted() {
    let Some(m) = misc() else { return };
    let _turn = turn();
    let ids = [
        m.id("aws_default_vpc", "default"),
        m.id("aws_default_subnet", "a"),
        m.id("aws_vpc_peering_connection", "main"),
    ];
    m.ec2(async |ec2: &Client| {
        for id in &ids {
            ec2.create_tags()
                .resources(id)
                .tags(Tag::builder().key("Name").value("renamed").build())
                .send()
                .await
                .expect("CreateTags");
        }
    });
    let (c, v) = m.scan();
    assert_eq!(c, 2, "{v:#}");
    assert_eq!(
        findings(&v),
        vec![
            "changed aws_default_subnet.a",
            "changed aws_default_vpc.default",
            "changed aws_vpc_peering_connection.main",
        ],
        "{v:#}"
    );
    let (o, token) = m.stack.plan("alice", "tags.json", &[]);
    assert_eq!(code(&o), 2, "{}{}", text(&o.stdout), text(&o.stderr));
    let o = m
        .stack
        .run_as("alice", &["apply", "tags.json", "--approve", &token], None);
    assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
    let (c, v) = m.scan();
    assert_eq!(
        (c, findings(&v)),
        (0, Vec::<String>::new()),
        "a rescan after apply is clean: {v:#}"
    );
}

#[test]
fn an_unmanaged_secondary_cidr_and_peering_connection_are_imported_and_terraform_agrees() {
    let Some(m) = misc() else { return };
    let _turn = turn();
    let dir = m.applied.dir.path();
    let (vpc, peer) = (m.id("aws_vpc", "main"), m.id("aws_vpc", "peer"));
    let (association, connection) = m.ec2(async |ec2: &Client| {
        let association = ec2
            .associate_vpc_cidr_block()
            .vpc_id(&vpc)
            .cidr_block("10.73.0.0/16")
            .send()
            .await
            .expect("AssociateVpcCidrBlock")
            .cidr_block_association()
            .and_then(|a| a.association_id())
            .expect("an association id")
            .to_string();
        (association, create_peering(ec2, &vpc, &peer).await)
    });
    // Checked in a closure: the configuration and the cloud are put back for the other tests
    // whatever the verdict.
    let checked = std::panic::catch_unwind(|| imports_agree(m, &association, &connection));
    let _ = std::fs::remove_file(dir.join("driftgate_imports.tf"));
    m.ec2(async |ec2: &Client| {
        ec2.disassociate_vpc_cidr_block()
            .association_id(&association)
            .send()
            .await
            .expect("DisassociateVpcCidrBlock");
        ec2.delete_vpc_peering_connection()
            .vpc_peering_connection_id(&connection)
            .send()
            .await
            .expect("DeleteVpcPeeringConnection");
    });
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }
    let (c, v) = m.scan();
    assert_eq!((c, findings(&v)), (0, Vec::<String>::new()), "{v:#}");
}

/// A key pair imported by hand: `plan --target` writes its material (DescribeKeyPairs with
/// `IncludePublicKey`, the provider requires it) with `lifecycle { ignore_changes =
/// [public_key] }` (the provider never reads it back: without it, terraform replaces the key
/// pair), and `terraform plan` shows the import and no change. Shares this stack's
/// configuration; puts the cloud and the configuration back.
#[test]
fn a_key_pair_made_by_hand_is_imported_with_its_material_and_terraform_agrees() {
    const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd5Zm9vYmFyYmF6cXV4ZHJpZnRnYXRlY29tcHV0ZTE1 rogue@example";
    let Some(m) = misc() else { return };
    let _turn = turn();
    let dir = m.applied.dir.path();
    let key_pair_id = m.ec2(async |ec2: &Client| {
        ec2.import_key_pair()
            .key_name("dg-rogue")
            .public_key_material(aws_sdk_ec2::primitives::Blob::new(KEY))
            .send()
            .await
            .expect("ImportKeyPair")
            .key_pair_id()
            .expect("a key pair id")
            .to_string()
    });
    let checked = std::panic::catch_unwind(|| {
        let target = format!("aws_key_pair.{key_pair_id}");
        let (_, written) = m.import("kp.json", &[&target]);
        for line in [
            "  to = aws_key_pair.dg_rogue\n".to_string(),
            format!("  public_key = \"{KEY}\"\n"),
            "  lifecycle {\n    ignore_changes = [public_key]\n  }\n".to_string(),
        ] {
            assert!(written.contains(&line), "{line:?} in\n{written}");
        }
        let (imported, changes) = m.terraform_plan(dir);
        assert!(
            changes.is_empty(),
            "terraform plans changes:\n{changes:#?}\n{written}"
        );
        assert_eq!(imported, ["aws_key_pair.dg_rogue"], "{written}");
    });
    let _ = std::fs::remove_file(dir.join("driftgate_imports.tf"));
    m.ec2(async |ec2: &Client| {
        ec2.delete_key_pair()
            .key_name("dg-rogue")
            .send()
            .await
            .expect("DeleteKeyPair");
    });
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }
    let (c, v) = m.scan();
    assert_eq!((c, findings(&v)), (0, Vec::<String>::new()), "{v:#}");
}

/// `plan` in the configuration imports exactly the unmanaged `association` and `connection`,
/// `apply` writes them into `driftgate_imports.tf`, and `terraform plan` shows the two imports
/// and no change.
fn imports_agree(m: &Shared, association: &str, connection: &str) {
    let dir = m.applied.dir.path();
    let v = m.plan_imports("imports.json", &[]);
    let mut imports: Vec<String> = v["plan"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            format!(
                "{} {} {}",
                a["kind"].as_str().unwrap_or(""),
                a["status"].as_str().unwrap_or(""),
                a["resource_id"].as_str().unwrap_or("")
            )
        })
        .collect();
    imports.sort();
    let mut want = vec![
        format!("import planned {association}"),
        format!("import planned {connection}"),
    ];
    want.sort();
    assert_eq!(imports, want, "{v:#}");
    let written = m.apply_imports("imports.json", &v);
    for id in [association, connection] {
        assert!(written.contains(&format!("id = \"{id}\"")), "{written}");
    }
    let (imported, changes) = m.terraform_plan(dir);
    assert!(
        changes.is_empty(),
        "terraform plans changes:\n{changes:#?}\n{written}"
    );
    assert_eq!(imported.len(), 2, "{imported:?}\n{written}");
    assert!(
        imported[0].starts_with("aws_vpc_ipv4_cidr_block_association.")
            && imported[1].starts_with("aws_vpc_peering_connection."),
        "{imported:?}"
    );
}
