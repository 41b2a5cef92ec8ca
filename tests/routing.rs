//! Routing end to end (issue 15): route tables, routes, associations, the default route table,
//! internet, egress-only and NAT gateways, EIPs and their associations, as the hashicorp/aws
//! provider records them (`fixtures/live/routing`, applied once by terraform on its own moto
//! server for this module), scanned by the real binary.
//!
//! Right after apply the scan is clean and complete. Then one out-of-band change at a time
//! (through the SDK, as a person with console access would make it) is found, alone, with the
//! rule that grades it; each is then undone through `driftgate plan` / `apply` (tags, routes,
//! route targets, associations; an unmanaged route through the SDK) and the stack scans clean
//! again before the next one.
//!
//! Skips (counted, a failure under `CI`): no moto_server, no terraform or provider mirror.

use std::sync::{Mutex, OnceLock};

use aws_sdk_ec2::types::Tag as Ec2Tag;
use serde_json::{Value as Json, json};

use crate::support::driftgate;
use crate::support::fixture;
use crate::support::moto::Moto;
use crate::support::remediation::{Stack, code, findings, recorded, text};
use crate::support::terraform::{Applied, Terraform};

/// The types this stack is about: each must be in its state.
const TYPES: [&str; 9] = [
    "aws_route_table",
    "aws_route",
    "aws_route_table_association",
    "aws_main_route_table_association",
    "aws_default_route_table",
    "aws_egress_only_internet_gateway",
    "aws_nat_gateway",
    "aws_eip",
    "aws_eip_association",
];

struct Routing {
    stack: Stack,
    tf: Terraform,
    /// terraform's working copy (the configuration `plan` imports into).
    applied: Applied,
    /// `scan --format json` right after apply: exit code and report.
    clean: (i32, Json),
    /// Held by a test that changes the cloud.
    changing: Mutex<()>,
}

static ROUTING: OnceLock<Result<Option<Routing>, String>> = OnceLock::new();

fn routing() -> Option<&'static Routing> {
    crate::support::skip::shared(&ROUTING, "routing stack", set_up)
}

fn set_up() -> Result<Option<Routing>, String> {
    let Some(moto) = Moto::start() else {
        return Ok(None);
    };
    let Some(tf) = Terraform::find() else {
        return Ok(None);
    };
    let applied = tf.apply(&fixture("live/routing"), &moto, &[])?;
    eprintln!("routing stack applied in {:.1}s", applied.apply_secs);
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let state = work.path().join("terraform.tfstate");
    std::fs::copy(&applied.state, &state).map_err(|e| e.to_string())?;
    let stack = Stack {
        log: work.path().join("audit.jsonl"),
        moto,
        state,
        work,
    };
    // Taken now, before any test can change the cloud.
    let clean = stack.scan_json("alice");
    Ok(Some(Routing {
        stack,
        tf,
        applied,
        clean,
        changing: Mutex::new(()),
    }))
}

/// The recorded resources of the state, as `TYPE.NAME`.
fn addresses(state: &std::path::Path) -> Vec<String> {
    let st: Json = serde_json::from_str(&std::fs::read_to_string(state).unwrap()).unwrap();
    st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "managed")
        .map(|r| {
            format!(
                "{}.{}",
                r["type"].as_str().unwrap(),
                r["name"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn freshly_applied_routing_stack_scans_clean_and_complete() {
    let Some(r) = routing() else { return };
    let (exit, report) = &r.clean;
    assert_eq!(*exit, 0, "{report:#}");
    assert_eq!(report["findings"], json!([]), "{report:#}");
    assert_eq!(report["complete"], json!(true), "{report:#}");
    assert_eq!(report["gaps"], json!([]), "{report:#}");
    assert_eq!(report["coverage"]["percent"], json!(100.0), "{report:#}");
    let recorded = addresses(&r.stack.state);
    assert_eq!(
        report["summary"]["recorded"].as_u64(),
        Some(recorded.len() as u64)
    );
    assert_eq!(
        report["summary"]["checked"].as_u64(),
        Some(recorded.len() as u64)
    );
    for ty in TYPES {
        assert!(
            recorded.iter().any(|a| a.starts_with(&format!("{ty}."))),
            "the routing stack records no {ty}: {recorded:?}"
        );
    }
}

/// The one finding of a scan (there must be exactly one).
fn the_finding(r: &Routing, what: &str) -> Json {
    let (_, report) = r.stack.scan_json("alice");
    let all = report["findings"].as_array().cloned().unwrap_or_default();
    assert_eq!(
        all.len(),
        1,
        "{what}: expected exactly one finding, got {:?}\n{report:#}",
        findings(&report)
    );
    all[0].clone()
}

/// The finding's changed paths, sorted.
fn paths(f: &Json) -> Vec<String> {
    let mut p: Vec<String> = f["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["path"].as_str().unwrap_or("?").to_string())
        .collect();
    p.sort();
    p
}

fn assert_clean(r: &Routing, after: &str) {
    let (exit, report) = r.stack.scan_json("alice");
    assert_eq!(
        (exit, findings(&report)),
        (0, Vec::<String>::new()),
        "not clean after {after}"
    );
}

/// Puts the recorded values back through `driftgate plan` and `apply`: one planned action whose
/// calls are all of `apis`.
fn revert_through_apply(r: &Routing, plan: &str, apis: &[&str]) {
    let (o, token) = r.stack.plan("alice", plan, &["--format", "json"]);
    let v: Json = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("plan output ({e}): {}", text(&o.stderr)));
    let token = if token.is_empty() {
        v["token"].as_str().unwrap_or_default().to_string()
    } else {
        token
    };
    let actions = v["plan"]["actions"].as_array().cloned().unwrap_or_default();
    assert_eq!(actions.len(), 1, "{v:#}");
    assert_eq!(actions[0]["status"], json!("planned"), "{v:#}");
    let planned: Vec<&str> = actions[0]["calls"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["api"].as_str())
        .collect();
    assert!(
        !planned.is_empty() && planned.iter().all(|a| apis.contains(a)),
        "{planned:?} are not all of {apis:?}"
    );
    let o = r
        .stack
        .run_as("alice", &["apply", plan, "--approve", &token], None);
    assert_eq!(code(&o), 0, "{}\n{}", text(&o.stdout), text(&o.stderr));
}

#[test]
fn each_out_of_band_change_is_found_alone_and_undone() {
    let Some(r) = routing() else { return };
    let _changing = r.changing.lock().unwrap_or_else(|e| e.into_inner());
    let state = r.stack.state.clone();
    let attr = |ty: &str, name: &str, key: &str| recorded(&state, ty, Some(name), key);
    let igw = attr("aws_internet_gateway", "main", "id");
    let nat = attr("aws_nat_gateway", "main", "id");
    let public_rt = attr("aws_route_table", "public", "id");
    let private_rt = attr("aws_route_table", "private", "id");
    let nat_rt = attr("aws_route_table", "nat", "id");
    let default_rt = attr("aws_default_route_table", "main", "id");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ec2 = rt.block_on(async { aws_sdk_ec2::Client::new(&r.stack.moto.sdk_config().await) });
    let tag = |id: &str, key: &str, value: &str| {
        rt.block_on(
            ec2.create_tags()
                .resources(id)
                .tags(Ec2Tag::builder().key(key).value(value).build())
                .send(),
        )
        .unwrap();
    };
    // The association id a subnet (or the VPC's main association) has now: re-associating
    // gives it a new one.
    let association_of = |table: &str, main: bool| -> String {
        let out = rt
            .block_on(ec2.describe_route_tables().route_table_ids(table).send())
            .unwrap();
        out.route_tables()[0]
            .associations()
            .iter()
            .find(|a| a.main() == Some(main))
            .and_then(|a| a.route_table_association_id())
            .unwrap()
            .to_string()
    };

    // 1. A route to the internet gateway added to the private table (its routes are aws_route
    //    resources): an unmanaged aws_route, critical.
    rt.block_on(
        ec2.create_route()
            .route_table_id(&private_rt)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw)
            .send(),
    )
    .unwrap();
    let f = the_finding(r, "internet route in the private table");
    assert_eq!(f["kind"], json!("unmanaged"), "{f:#}");
    assert_eq!(f["resource_type"], json!("aws_route"), "{f:#}");
    assert_eq!(f["id"], json!(format!("{private_rt}_0.0.0.0/0")), "{f:#}");
    assert_eq!(f["rule"], json!("route_to_internet_added"), "{f:#}");
    assert_eq!(f["severity"], json!("critical"), "{f:#}");
    rt.block_on(
        ec2.delete_route()
            .route_table_id(&private_rt)
            .destination_cidr_block("0.0.0.0/0")
            .send(),
    )
    .unwrap();
    assert_clean(r, "deleting the internet route");

    // The association `assoc` given the table `table`: a change of the `route_table_id` of
    // `address`, put back through a plan (into `out`) and its apply.
    let reassociated = |assoc: &str, table: &str, what: &str, address: &str, out: &str| {
        rt.block_on(
            ec2.replace_route_table_association()
                .association_id(assoc)
                .route_table_id(table)
                .send(),
        )
        .unwrap();
        let f = the_finding(r, what);
        assert_eq!(f["address"], json!(address), "{f:#}");
        assert_eq!(paths(&f), ["route_table_id"], "{f:#}");
        assert_eq!(f["rule"], json!("subnet_route_table_changed"), "{f:#}");
        assert_eq!(f["severity"], json!("high"), "{f:#}");
        revert_through_apply(r, out, &["ec2:ReplaceRouteTableAssociation"]);
        assert_clean(r, &format!("{what}, put back through apply"));
    };

    // 2. The private subnet re-associated with the public table: the association changed.
    reassociated(
        &association_of(&private_rt, false),
        &public_rt,
        "private subnet re-associated",
        "aws_route_table_association.private",
        "association.json",
    );

    // 3. A route added to the table with inline routes: a change of its `route`, critical
    //    (the table had a NAT route, no internet gateway).
    rt.block_on(
        ec2.create_route()
            .route_table_id(&nat_rt)
            .destination_cidr_block("10.99.0.0/16")
            .gateway_id(&igw)
            .send(),
    )
    .unwrap();
    let f = the_finding(r, "inline route added");
    assert_eq!(f["address"], json!("aws_route_table.nat"), "{f:#}");
    assert_eq!(paths(&f), ["route"], "{f:#}");
    assert_eq!(f["rule"], json!("route_to_internet_added"), "{f:#}");
    revert_through_apply(r, "inline.json", &["ec2:DeleteRoute"]);
    assert_clean(r, "deleting the inline route through apply");

    // 4. The public default route moved from the internet gateway to the NAT gateway: the
    //    aws_route changed (narrower: not route_to_internet_added).
    rt.block_on(
        ec2.replace_route()
            .route_table_id(&public_rt)
            .destination_cidr_block("0.0.0.0/0")
            .nat_gateway_id(&nat)
            .send(),
    )
    .unwrap();
    let f = the_finding(r, "public route replaced");
    assert_eq!(f["address"], json!("aws_route.public_default"), "{f:#}");
    assert_eq!(paths(&f), ["gateway_id", "nat_gateway_id"], "{f:#}");
    assert_eq!(f["rule"], json!("network_exposure_changed"), "{f:#}");
    revert_through_apply(r, "route.json", &["ec2:ReplaceRoute"]);
    assert_clean(r, "putting the public route back through apply");

    // 5. Another table made the VPC's main one: the main association changed.
    reassociated(
        &association_of(&default_rt, true),
        &nat_rt,
        "main table replaced",
        "aws_main_route_table_association.main",
        "main.json",
    );

    // 6. Tags edited by hand on each taggable type, one at a time, each put back through
    //    `driftgate plan` / `apply`.
    for (n, (ty, name, id, key)) in [
        ("aws_nat_gateway", "main", nat.clone(), "team"),
        ("aws_eip", "nat", attr("aws_eip", "nat", "id"), "team"),
        (
            "aws_egress_only_internet_gateway",
            "main",
            attr("aws_egress_only_internet_gateway", "main", "id"),
            "team",
        ),
        ("aws_route_table", "public", public_rt.clone(), "team"),
        (
            "aws_default_route_table",
            "main",
            default_rt.clone(),
            "Name",
        ),
    ]
    .into_iter()
    .enumerate()
    {
        tag(&id, key, "edited-by-hand");
        let f = the_finding(r, ty);
        assert_eq!(f["address"], json!(format!("{ty}.{name}")), "{f:#}");
        assert_eq!(paths(&f), [format!("tags.{key}")], "{f:#}");
        assert_eq!(f["rule"], json!("tags_changed"), "{f:#}");
        revert_through_apply(
            r,
            &format!("tags-{n}.json"),
            &["ec2:CreateTags", "ec2:DeleteTags"],
        );
        assert_clean(r, &format!("reverting the tags of {ty}"));
    }
    // 7. The EIP's association removed: the aws_eip_association is missing (the EIP's own
    //    `instance` is the association's, not compared twice).
    let association = attr("aws_eip_association", "web", "id");
    rt.block_on(
        ec2.disassociate_address()
            .association_id(&association)
            .send(),
    )
    .unwrap();
    let f = the_finding(r, "EIP disassociated");
    assert_eq!(f["kind"], json!("missing"), "{f:#}");
    assert_eq!(f["address"], json!("aws_eip_association.web"), "{f:#}");
    // Not undone: a new association has a new id; the recorded one stays missing from here on.

    // 8. An address allocated by hand: an unmanaged aws_eip (with the missing association).
    let rogue = rt
        .block_on(ec2.allocate_address().domain("vpc".into()).send())
        .unwrap()
        .allocation_id()
        .unwrap()
        .to_string();
    let (_, report) = r.stack.scan_json("alice");
    let mut want = vec![
        "missing aws_eip_association.web".to_string(),
        format!("unmanaged {rogue}"),
    ];
    want.sort();
    assert_eq!(findings(&report), want, "{report:#}");
    rt.block_on(ec2.release_address().allocation_id(&rogue).send())
        .unwrap();
    // 9. The EIP associated again by hand: EC2 gives the association a new id, so the
    //    recorded one stays missing and the new one is the account's unmanaged association
    //    (not the NAT gateway's, which is AWS's).
    rt.block_on(
        ec2.associate_address()
            .allocation_id(attr("aws_eip", "web", "id"))
            .instance_id(attr("aws_instance", "web", "id"))
            .send(),
    )
    .unwrap();
    let (_, report) = r.stack.scan_json("alice");
    let kinds: Vec<String> = findings(&report)
        .iter()
        .map(|f| f.split(' ').next().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["missing", "unmanaged"], "{report:#}");
    let unmanaged = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "unmanaged")
        .unwrap();
    assert_eq!(unmanaged["resource_type"], json!("aws_eip_association"));
}

/// An unmanaged route is imported: `plan` in terraform's working copy plans its import, `apply`
/// writes it into `driftgate_imports.tf` (its table, destination and target: the provider
/// requires the first two), and `terraform plan` shows the import and no change.
#[test]
fn an_unmanaged_route_is_imported_and_terraform_agrees() {
    let Some(r) = routing() else { return };
    let _changing = r.changing.lock().unwrap_or_else(|e| e.into_inner());
    // The stack is shared: `each_out_of_band_change_is_found_alone_and_undone` leaves the EIP's
    // recorded association missing and a new one unmanaged (EC2 gives it a new id), when it
    // ran first. This test is about the route: it plans only the route (`--target`) and ends
    // where it began.
    let (_, before) = r.stack.scan_json("alice");
    let before = findings(&before);
    let state = r.stack.state.clone();
    let igw = recorded(&state, "aws_internet_gateway", Some("main"), "id");
    let private_rt = recorded(&state, "aws_route_table", Some("private"), "id");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let ec2 = rt.block_on(async { aws_sdk_ec2::Client::new(&r.stack.moto.sdk_config().await) });
    rt.block_on(
        ec2.create_route()
            .route_table_id(&private_rt)
            .destination_cidr_block("0.0.0.0/0")
            .gateway_id(&igw)
            .send(),
    )
    .unwrap();
    let dir = r.applied.dir.path();
    // Checked in a closure: the configuration and the cloud are put back for the other tests
    // whatever the verdict.
    let checked = std::panic::catch_unwind(|| {
        let o = in_config(
            r,
            &[
                "plan",
                "--region",
                "us-east-1",
                "--out",
                "imports.json",
                "--format",
                "json",
                "--target",
                &format!("aws_route.{private_rt}_0.0.0.0/0"),
            ],
        );
        let v: Json = serde_json::from_slice(&o.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", text(&o.stdout), text(&o.stderr)));
        let actions: Vec<String> = v["plan"]["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| format!("{} {}", a["kind"].as_str().unwrap_or(""), a["resource_id"]))
            .collect();
        assert_eq!(
            actions,
            [format!("import \"{private_rt}_0.0.0.0/0\"")],
            "{v:#}"
        );
        let token = v["token"].as_str().unwrap().to_string();
        let o = in_config(r, &["apply", "imports.json", "--approve", &token]);
        assert_eq!(code(&o), 0, "{}{}", text(&o.stdout), text(&o.stderr));
        let written = std::fs::read_to_string(dir.join("driftgate_imports.tf")).unwrap();
        // Named by its table's name in the state and its destination (not `_0`).
        assert!(
            written.contains("  to = aws_route.private_0_0_0_0_0\n"),
            "{written}"
        );
        for arg in [
            format!("route_table_id         = \"{private_rt}\""),
            "destination_cidr_block = \"0.0.0.0/0\"".to_string(),
            format!("gateway_id             = \"{igw}\""),
        ] {
            assert!(written.contains(&arg), "{arg} in\n{written}");
        }
        let (imported, mut changes) = r.tf.plan_imports(dir, &r.stack.moto, &[], "");
        // Only the route's: when the other test ran first, its reverts through driftgate gave
        // associations new ids that terraform's state does not know (terraform would create
        // them again); that is its stack's history, not this import's.
        changes.retain(|c| c.starts_with("aws_route."));
        assert!(
            changes.is_empty(),
            "terraform plans changes:\n{changes:#?}\n{written}"
        );
        assert_eq!(imported, ["aws_route.private_0_0_0_0_0"], "{written}");
    });
    let _ = std::fs::remove_file(dir.join("driftgate_imports.tf"));
    rt.block_on(
        ec2.delete_route()
            .route_table_id(&private_rt)
            .destination_cidr_block("0.0.0.0/0")
            .send(),
    )
    .unwrap();
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }
    let (_, after) = r.stack.scan_json("alice");
    assert_eq!(
        findings(&after),
        before,
        "after deleting the imported route"
    );
}

/// `driftgate ARGS` in terraform's working copy (state and configuration found there).
fn in_config(r: &Routing, args: &[&str]) -> std::process::Output {
    let mut cmd = driftgate();
    r.stack.moto.apply_env(&mut cmd);
    cmd.current_dir(r.applied.dir.path())
        .env("NO_COLOR", "1")
        .env("DRIFTGATE_AUDIT_LOG", &r.stack.log)
        .env("DRIFTGATE_ACTOR", "alice")
        .args(args);
    cmd.output().expect("driftgate runs")
}
