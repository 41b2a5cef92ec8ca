//! Live: IAM groups and what hangs off them (fixtures/live/iam_groups), applied with a plain
//! `terraform apply` against moto, scanned clean, then changed out of band once per type and
//! scanned again: every change found, with its rule's severity, and nothing else.
//!
//! One moto and one applied stack serve the whole module (`stack()`); the clean scans are taken
//! while setting up, the out-of-band changes made once by `drifted()`, which takes the drifted
//! scans. The access keys' secrets and the login profile's password (from the state, and the
//! secret of the key created out of band) must never appear in any output.

use std::process::Output;
use std::sync::OnceLock;

use serde_json::json;

use crate::support::call;
use crate::support::moto::Moto;
use crate::support::report::{assert_finding_rows, no_output, report, show};
use crate::support::scanned::Scanned;
use crate::support::unit_reverts;

type Stack = Scanned;

static STACK: OnceLock<Result<Option<Stack>, String>> = OnceLock::new();

fn stack() -> Option<&'static Stack> {
    crate::support::skip::shared(&STACK, "IAM groups stack", || {
        Scanned::set_up(Moto::start(), "live/iam_groups", &[])
    })
}

// ---------------------------------------------------------------------------------------------
// The out-of-band changes

struct Drifted {
    /// The access key created out of band, and its secret.
    rogue_key: String,
    rogue_secret: String,
    json: Output,
    table: Output,
}

static DRIFTED: OnceLock<Result<Option<Drifted>, String>> = OnceLock::new();

fn drifted() -> Option<(&'static Stack, &'static Drifted)> {
    crate::support::scanned::drifted(
        &DRIFTED,
        stack(),
        "changing the IAM groups stack out of band",
        |s, rt| {
            let mut d = rt.block_on(change_out_of_band(s))?;
            d.json = s.scan("json");
            d.table = s.scan("table");
            Ok(d)
        },
    )
}

const WRITE_EVERYWHERE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#;

/// One change per type, each what a person with console access might do.
async fn change_out_of_band(s: &Stack) -> Result<Drifted, String> {
    let conf = s.moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&conf);
    let admin_policy = s.attr("aws_iam_policy.admin", "arn");
    let reports_policy = s.attr("aws_iam_policy.reports", "arn");
    let bob_key = s.attr("aws_iam_access_key.bob", "id");

    // aws_iam_group_policy_attachment: an Allow-everything policy attached to a group.
    call!(
        "AttachGroupPolicy",
        iam.attach_group_policy()
            .group_name("dg-auditors")
            .policy_arn(&admin_policy)
            .send()
    );
    // aws_iam_group_membership (exclusive): a user slipped into the admins.
    call!(
        "AddUserToGroup admins",
        iam.add_user_to_group()
            .group_name("dg-admins")
            .user_name("dg-mallory")
            .send()
    );
    // aws_iam_user_group_membership (not exclusive): a user slipped into the devs.
    call!(
        "AddUserToGroup devs",
        iam.add_user_to_group()
            .group_name("dg-devs")
            .user_name("dg-mallory")
            .send()
    );
    // aws_iam_group_policy: the devs' inline policy lets them write every object too (not
    // administrator power: the devs stay a group a user can be slipped into at `high`).
    call!(
        "PutGroupPolicy",
        iam.put_group_policy()
            .group_name("dg-devs")
            .policy_name("dg-devs-read")
            .policy_document(WRITE_EVERYWHERE)
            .send()
    );
    // aws_iam_policy_attachment (exclusive): the reports policy attached to another group.
    call!(
        "AttachGroupPolicy reports",
        iam.attach_group_policy()
            .group_name("dg-admins")
            .policy_arn(&reports_policy)
            .send()
    );
    // aws_iam_instance_profile: another role inside the profile.
    call!(
        "RemoveRoleFromInstanceProfile",
        iam.remove_role_from_instance_profile()
            .instance_profile_name("dg-app")
            .role_name("dg-app")
            .send()
    );
    call!(
        "AddRoleToInstanceProfile",
        iam.add_role_to_instance_profile()
            .instance_profile_name("dg-app")
            .role_name("dg-other")
            .send()
    );
    // aws_iam_access_key: one created outside terraform, one recorded inactive activated.
    let created = call!(
        "CreateAccessKey",
        iam.create_access_key().user_name("dg-mallory").send()
    );
    let key = created.access_key().ok_or("CreateAccessKey: no key")?;
    let (rogue_key, rogue_secret) = (
        key.access_key_id().to_string(),
        key.secret_access_key().to_string(),
    );
    call!(
        "UpdateAccessKey",
        iam.update_access_key()
            .user_name("dg-bob")
            .access_key_id(&bob_key)
            .status(aws_sdk_iam::types::StatusType::Active)
            .send()
    );
    // aws_iam_user_login_profile: the console password removed.
    call!(
        "DeleteLoginProfile",
        iam.delete_login_profile().user_name("dg-alice").send()
    );
    // aws_iam_account_password_policy: a shorter minimum length.
    call!(
        "UpdateAccountPasswordPolicy",
        iam.update_account_password_policy()
            .minimum_password_length(8)
            .require_lowercase_characters(true)
            .require_numbers(true)
            .require_uppercase_characters(true)
            .require_symbols(true)
            .allow_users_to_change_password(true)
            .max_password_age(90)
            .password_reuse_prevention(5)
            .send()
    );
    // aws_iam_account_alias: replaced.
    call!(
        "DeleteAccountAlias",
        iam.delete_account_alias().account_alias("dg-live").send()
    );
    call!(
        "CreateAccountAlias",
        iam.create_account_alias().account_alias("dg-sneaky").send()
    );
    // aws_iam_group: one created outside terraform. (Moving a group to another path is the
    // other change a group can have; moto's UpdateGroup ignores a new path without a new name.)
    call!(
        "CreateGroup",
        iam.create_group().group_name("dg-shadow").send()
    );
    Ok(Drifted {
        rogue_key,
        rogue_secret,
        json: no_output(),
        table: no_output(),
    })
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn freshly_applied_iam_groups_scan_clean_with_full_coverage() {
    let Some(s) = stack() else { return };
    s.assert_clean_recording(&[
        "aws_iam_group",
        "aws_iam_group_membership",
        "aws_iam_user_group_membership",
        "aws_iam_group_policy",
        "aws_iam_group_policy_attachment",
        "aws_iam_policy_attachment",
        "aws_iam_instance_profile",
        "aws_iam_access_key",
        "aws_iam_user_login_profile",
        "aws_iam_account_password_policy",
        "aws_iam_account_alias",
    ]);
}

#[test]
fn each_out_of_band_change_is_found_with_its_rule_and_nothing_else() {
    let Some((s, d)) = drifted() else { return };
    let r = report(&d.json);
    assert_finding_rows(
        &r,
        &[
            [
                "unmanaged",
                "aws_iam_group_policy_attachment",
                &format!("dg-auditors/{}", s.attr("aws_iam_policy.admin", "arn")),
                "critical",
                "iam_group_privileged",
            ],
            [
                "changed",
                "aws_iam_group_membership",
                "aws_iam_group_membership.admins",
                "critical",
                "iam_group_privileged",
            ],
            [
                "unmanaged",
                "aws_iam_user_group_membership",
                "dg-mallory/groups=dg-devs",
                "high",
                "iam_unmanaged",
            ],
            [
                "changed",
                "aws_iam_group_policy",
                "aws_iam_group_policy.devs_read",
                "critical",
                "iam_policy_wildcard",
            ],
            [
                "changed",
                "aws_iam_policy_attachment",
                "aws_iam_policy_attachment.reports",
                "high",
                "iam_attachment_changed",
            ],
            [
                "changed",
                "aws_iam_instance_profile",
                "aws_iam_instance_profile.app",
                "high",
                "iam_instance_profile_role_changed",
            ],
            [
                "unmanaged",
                "aws_iam_access_key",
                &d.rogue_key,
                "high",
                "iam_access_key_activated",
            ],
            [
                "changed",
                "aws_iam_access_key",
                "aws_iam_access_key.bob",
                "high",
                "iam_access_key_activated",
            ],
            [
                "missing",
                "aws_iam_user_login_profile",
                "aws_iam_user_login_profile.alice",
                "high",
                "resource_missing",
            ],
            [
                "changed",
                "aws_iam_account_password_policy",
                "aws_iam_account_password_policy.strict",
                "high",
                "iam_password_policy_weakened",
            ],
            [
                "missing",
                "aws_iam_account_alias",
                "aws_iam_account_alias.this",
                "high",
                "resource_missing",
            ],
            [
                "unmanaged",
                "aws_iam_account_alias",
                "dg-sneaky",
                "high",
                "iam_unmanaged",
            ],
            [
                "unmanaged",
                "aws_iam_group",
                "dg-shadow",
                "high",
                "iam_unmanaged",
            ],
        ],
    );
    // The user slipped into the admins is named in the change.
    let membership = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|x| x["address"] == "aws_iam_group_membership.admins")
        .expect("the membership finding");
    assert_eq!(
        membership["changes"][0]["path"],
        json!("users"),
        "{membership:#}"
    );
    assert!(
        membership.to_string().contains("dg-mallory"),
        "{membership:#}"
    );
    // Drift fails the scan; the table says the same.
    assert_eq!(d.json.status.code(), Some(2), "{}", show(&d.json));
    assert_eq!(d.table.status.code(), Some(2), "{}", show(&d.table));
    let table = String::from_utf8_lossy(&d.table.stdout);
    assert!(table.contains("iam_group_privileged"), "{table}");
}

#[test]
fn access_key_secrets_and_the_console_password_are_never_shown() {
    let Some((s, d)) = drifted() else { return };
    let mut secrets = vec![d.rogue_secret.clone()];
    for (address, attr) in [
        ("aws_iam_access_key.alice", "secret"),
        ("aws_iam_access_key.alice", "ses_smtp_password_v4"),
        ("aws_iam_access_key.bob", "secret"),
        ("aws_iam_user_login_profile.alice", "password"),
    ] {
        let v = s.attr(address, attr);
        assert!(v.len() >= 16, "{address}.{attr} is not a secret: {v:?}");
        secrets.push(v);
    }
    for (what, out) in [
        ("clean json", &s.clean_json),
        ("clean table", &s.clean_table),
        ("drifted json", &d.json),
        ("drifted table", &d.table),
    ] {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "{what} shows a secret ({} chars)",
                secret.len()
            );
        }
    }
    // The secret of the key created out of band: its id is reported, not its secret.
    assert!(
        String::from_utf8_lossy(&d.json.stdout).contains(&d.rogue_key),
        "the rogue key is reported"
    );
}

/// The IAM units' reverts, planned from the drifted scan's findings and the state, performed
/// through `provider::aws::execute` against moto: a rescan no longer shows those changes.
#[test]
fn iam_unit_reverts_put_the_changes_back() {
    let Some((s, d)) = drifted() else { return };
    let cases = [
        ("aws_iam_group_membership.admins", "group_members"),
        ("aws_iam_group_policy.devs_read", "group_policy_document"),
        ("aws_iam_policy_attachment.reports", "policy_entities"),
        ("aws_iam_instance_profile.app", "profile_role"),
        ("aws_iam_access_key.bob", "access_key_status"),
        ("aws_iam_account_password_policy.strict", "password_policy"),
    ];
    let state = &s.applied.state;
    unit_reverts::perform(&s.moto, state, &s.recorded, &report(&d.json), &cases);
    unit_reverts::assert_undone(&report(&s.scan("json")), &cases);
}

/// The unmanaged IAM objects of the drifted stack imported: a user slipped into a group
/// (`aws_iam_user_group_membership`, written with its user and its one group), a policy
/// attached to a group by hand (`aws_iam_group_policy_attachment`, its group and policy ARN)
/// and a group made by hand. None of those arguments is compared; the provider requires them.
/// `plan --target` in terraform's working copy writes the blocks, named by what they join
/// (`dg_mallory_devs`: the user, and the group by its name in the state), and terraform's own plan shows the imports and no change. Only files
/// are written (and removed after): the cloud is left as it is.
#[test]
fn unmanaged_memberships_attachments_and_groups_import_cleanly() {
    let Some((s, d)) = drifted() else { return };
    let dir = s.applied.dir.path();
    let r = report(&d.json);
    let mut targets: Vec<String> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| f["kind"] == "unmanaged")
        .filter(|f| {
            [
                "aws_iam_user_group_membership",
                "aws_iam_group_policy_attachment",
                "aws_iam_group",
            ]
            .contains(&f["resource_type"].as_str().unwrap_or(""))
        })
        .map(|f| {
            format!(
                "{}.{}",
                f["resource_type"].as_str().unwrap(),
                f["id"].as_str().unwrap()
            )
        })
        .collect();
    targets.sort();
    assert_eq!(targets.len(), 3, "{targets:?}\n{r:#}");
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let checked = std::panic::catch_unwind(|| {
        let plan = s.plan_imports("imports.json", &targets);
        let written = s.apply_imports("imports.json", &plan);
        for line in [
            "  to = aws_iam_user_group_membership.dg_mallory_devs\n",
            "  to = aws_iam_group_policy_attachment.auditors_dg_admin_access\n",
            "  groups = [\"dg-devs\"]\n",
            "  user   = \"dg-mallory\"\n",
            "  group      = \"dg-auditors\"\n",
        ] {
            assert!(written.contains(line), "{line:?} in\n{written}");
        }
        let imported = s.imported_types(&written);
        assert_eq!(
            imported,
            [
                "aws_iam_group",
                "aws_iam_group_policy_attachment",
                "aws_iam_user_group_membership"
            ],
            "{written}"
        );
    });
    for f in ["driftgate_imports.tf", "imports.json", "tf.plan"] {
        let _ = std::fs::remove_file(dir.join(f));
    }
    if let Err(panic) = checked {
        std::panic::resume_unwind(panic);
    }
}
