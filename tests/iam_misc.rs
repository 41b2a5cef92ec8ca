//! Live: IAM SSH keys, identity providers (OIDC, SAML) and service-linked roles
//! (fixtures/live/iam_misc), applied with a plain `terraform apply` against moto, scanned clean,
//! then changed out of band once per type and scanned again: every change found, with its
//! rule's severity, and nothing else; then the unit reverts put the changes back.
//!
//! moto gaps (tolerated, not shaped around): moto has no `AddClientIDToOpenIDConnectProvider`
//! or `RemoveClientIDFromOpenIDConnectProvider`, so the OIDC provider is widened here by a
//! thumbprint and its client-id revert is checked by its unit test only; moto's
//! `GetSAMLProvider` returns no tags, so the fixture's SAML provider has none.

use std::process::Output;
use std::sync::OnceLock;

use serde_json::{Value as Json, json};

use crate::support::call;
use crate::support::moto::Moto;
use crate::support::report::{assert_finding_rows, no_output, report, show};
use crate::support::scanned::Scanned;
use crate::support::unit_reverts;

/// A throwaway public key (its private half was never kept), uploaded out of band.
const ROGUE_KEY: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCVXSdgDX/prrMsRgAxnObDnxOa+Niwwt4wJLznLLGONxO3TQV2Y6xOLvOkMfhyS3J4Ye2yfarDfOPh+7Ro7ZGD1R1gkPh/uk1WSf2/l5AK40PVHEJHvEam3PKYG+TQT8aLlSZ/NFMWFoniC/c+J6FaJ5+ZOIb64MCvPGtE6Z/cU3RhjthOUS/RGDrI3qmQB1VbbD1UGqkgxm27cXFfrnjdt6RxpQUxgWg7cLS3riPGqfXvgOYCFWDv2nOfY+A+zaKAtrwOwhzVYD2yiROWAQtDQ9aXrIoaGyKdPO+jwx8f51TrdTKfUL0FSPzrmtRQSC3MZJBCrw1abtjoc/jENm0n dg-rogue";
/// A thumbprint the recorded OIDC provider did not trust.
const ROGUE_THUMBPRINT: &str = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280";

type Stack = Scanned;

static STACK: OnceLock<Result<Option<Stack>, String>> = OnceLock::new();

fn stack() -> Option<&'static Stack> {
    crate::support::skip::shared(&STACK, "IAM misc stack", || {
        Scanned::set_up(Moto::start(), "live/iam_misc", &[])
    })
}

// ---------------------------------------------------------------------------------------------
// The out-of-band changes

struct Drifted {
    rogue_key_id: String,
    rogue_oidc_arn: String,
    rogue_saml_arn: String,
    rogue_slr_arn: String,
    json: Output,
    table: Output,
    strict: Output,
}

static DRIFTED: OnceLock<Result<Option<Drifted>, String>> = OnceLock::new();

fn drifted() -> Option<(&'static Stack, &'static Drifted)> {
    crate::support::scanned::drifted(
        &DRIFTED,
        stack(),
        "changing the IAM misc stack out of band",
        |s, rt| {
            let mut d = rt.block_on(change_out_of_band(s))?;
            d.json = s.scan("json");
            d.table = s.scan("table");
            d.strict = s.scan_with("json", &["--strict"], &[]);
            Ok(d)
        },
    )
}

/// One change per type (and an object made outside terraform where that can happen), each
/// what a person with console access might do.
async fn change_out_of_band(s: &Stack) -> Result<Drifted, String> {
    let conf = s.moto.sdk_config().await;
    let iam = aws_sdk_iam::Client::new(&conf);
    // aws_iam_user_ssh_key: the key recorded inactive activated, and one uploaded by hand.
    call!(
        "UpdateSSHPublicKey",
        iam.update_ssh_public_key()
            .user_name("dg-ops")
            .ssh_public_key_id(s.attr("aws_iam_user_ssh_key.ops_old", "id"))
            .status(aws_sdk_iam::types::StatusType::Active)
            .send()
    );
    let uploaded = call!(
        "UploadSSHPublicKey",
        iam.upload_ssh_public_key()
            .user_name("dg-ops")
            .ssh_public_key_body(ROGUE_KEY)
            .send()
    );
    let rogue_key_id = uploaded
        .ssh_public_key()
        .map(|k| k.ssh_public_key_id().to_string())
        .ok_or("UploadSSHPublicKey: no key")?;
    // aws_iam_openid_connect_provider: another certificate trusted, and a provider made by
    // hand.
    call!(
        "UpdateOpenIDConnectProviderThumbprint",
        iam.update_open_id_connect_provider_thumbprint()
            .open_id_connect_provider_arn(s.attr("aws_iam_openid_connect_provider.ci", "arn"))
            .thumbprint_list("6938fd4d98bab03faadb97b34396831e3780aea1")
            .thumbprint_list(ROGUE_THUMBPRINT)
            .send()
    );
    let created = call!(
        "CreateOpenIDConnectProvider",
        iam.create_open_id_connect_provider()
            .url("https://gitlab.example.com")
            .client_id_list("sts.amazonaws.com")
            .thumbprint_list(ROGUE_THUMBPRINT)
            .send()
    );
    let rogue_oidc_arn = created
        .open_id_connect_provider_arn()
        .ok_or("CreateOpenIDConnectProvider: no ARN")?
        .to_string();
    // aws_iam_saml_provider: the metadata points sign-in at another host, and a provider made
    // by hand.
    let metadata = s
        .attr("aws_iam_saml_provider.corp", "saml_metadata_document")
        .replace("idp.example.com/saml/sso", "idp.attacker.example/sso");
    call!(
        "UpdateSAMLProvider",
        iam.update_saml_provider()
            .saml_provider_arn(s.attr("aws_iam_saml_provider.corp", "arn"))
            .saml_metadata_document(&metadata)
            .send()
    );
    let created = call!(
        "CreateSAMLProvider",
        iam.create_saml_provider()
            .name("dg-shadow-idp")
            .saml_metadata_document(&metadata)
            .send()
    );
    let rogue_saml_arn = created
        .saml_provider_arn()
        .ok_or("CreateSAMLProvider: no ARN")?
        .to_string();
    // aws_iam_service_linked_role: a description and a tag changed; one more role made (as AWS
    // makes them itself: AWS's, never unmanaged unless the scan is strict).
    call!(
        "UpdateRoleDescription",
        iam.update_role_description()
            .role_name(s.attr("aws_iam_service_linked_role.beanstalk", "name"))
            .description("changed by hand")
            .send()
    );
    call!(
        "TagRole",
        iam.tag_role()
            .role_name(s.attr("aws_iam_service_linked_role.autoscaling", "name"))
            .tags(
                aws_sdk_iam::types::Tag::builder()
                    .key("team")
                    .value("someone-else")
                    .build()
                    .map_err(|e| e.to_string())?
            )
            .send()
    );
    let created = call!(
        "CreateServiceLinkedRole",
        iam.create_service_linked_role()
            .aws_service_name("elasticloadbalancing.amazonaws.com")
            .send()
    );
    let rogue_slr_arn = created
        .role()
        .map(|r| r.arn().to_string())
        .ok_or("CreateServiceLinkedRole: no role")?;
    Ok(Drifted {
        rogue_key_id,
        rogue_oidc_arn,
        rogue_saml_arn,
        rogue_slr_arn,
        json: no_output(),
        table: no_output(),
        strict: no_output(),
    })
}

// ---------------------------------------------------------------------------------------------
// Tests

#[test]
fn freshly_applied_iam_misc_scans_clean_with_full_coverage() {
    let Some(s) = stack() else { return };
    s.assert_clean_recording(&[
        "aws_iam_user_ssh_key",
        "aws_iam_openid_connect_provider",
        "aws_iam_saml_provider",
        "aws_iam_service_linked_role",
    ]);
}

#[test]
fn each_out_of_band_change_is_found_with_its_rule_and_nothing_else() {
    let Some((_, d)) = drifted() else { return };
    let r = report(&d.json);
    assert_finding_rows(
        &r,
        &[
            [
                "changed",
                "aws_iam_user_ssh_key",
                "aws_iam_user_ssh_key.ops_old",
                "high",
                "iam_access_key_activated",
            ],
            [
                "unmanaged",
                "aws_iam_user_ssh_key",
                &d.rogue_key_id,
                "high",
                "iam_access_key_activated",
            ],
            [
                "changed",
                "aws_iam_openid_connect_provider",
                "aws_iam_openid_connect_provider.ci",
                "high",
                "iam_identity_provider_widened",
            ],
            [
                "unmanaged",
                "aws_iam_openid_connect_provider",
                &d.rogue_oidc_arn,
                "high",
                "iam_unmanaged",
            ],
            [
                "changed",
                "aws_iam_saml_provider",
                "aws_iam_saml_provider.corp",
                "high",
                "iam_identity_provider_widened",
            ],
            [
                "unmanaged",
                "aws_iam_saml_provider",
                &d.rogue_saml_arn,
                "high",
                "iam_unmanaged",
            ],
            [
                "changed",
                "aws_iam_service_linked_role",
                "aws_iam_service_linked_role.beanstalk",
                "low",
                "description_changed",
            ],
            [
                "changed",
                "aws_iam_service_linked_role",
                "aws_iam_service_linked_role.autoscaling",
                "low",
                "tags_changed",
            ],
        ],
    );
    assert_eq!(d.json.status.code(), Some(2), "{}", show(&d.json));
    assert_eq!(d.table.status.code(), Some(2), "{}", show(&d.table));
    // The SAML metadata changed by one line is shown as that line's diff, not as two whole
    // documents.
    let table = String::from_utf8_lossy(&d.table.stdout);
    assert!(table.contains("+    <md:SingleSignOnService"), "{table}");
    let certificate_lines = table
        .lines()
        .filter(|l| l.contains("<ds:X509Certificate>"))
        .count();
    assert_eq!(certificate_lines, 0, "{table}");
    assert!(
        table.contains("iam_identity_provider_widened")
            && table.contains("a certificate thumbprint added"),
        "{table}"
    );
}

/// A service-linked role AWS made is AWS's: not reported by a plain scan, reported by a strict
/// one as an `aws_iam_service_linked_role` (never as an `aws_iam_role`).
#[test]
fn a_service_linked_role_made_outside_terraform_is_aws_s() {
    let Some((_, d)) = drifted() else { return };
    let plain = d.json.stdout.clone();
    assert!(
        !String::from_utf8_lossy(&plain).contains(&d.rogue_slr_arn),
        "a plain scan reports the service-linked role AWS made"
    );
    let r = report(&d.strict);
    let of_role: Vec<&Json> = r["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|f| {
            f["id"] == json!(d.rogue_slr_arn)
                || f["id"] == json!("AWSServiceRoleForElasticLoadBalancing")
        })
        .collect();
    assert_eq!(of_role.len(), 1, "{of_role:#?}");
    assert_eq!(of_role[0]["kind"], "unmanaged");
    assert_eq!(of_role[0]["resource_type"], "aws_iam_service_linked_role");
    // The recorded ones are no aws_iam_role either.
    assert!(
        !r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|f| f["resource_type"] == "aws_iam_role"
                && f["id"]
                    .as_str()
                    .is_some_and(|id| id.starts_with("AWSServiceRoleFor"))),
        "{r:#}"
    );
}

/// The units' reverts, planned from the drifted scan's findings and the state, performed
/// through `provider::aws::execute` against moto: a rescan no longer shows those changes.
#[test]
fn unit_reverts_put_the_changes_back() {
    let Some((s, d)) = drifted() else { return };
    let cases = [
        ("aws_iam_user_ssh_key.ops_old", "ssh_key_status"),
        ("aws_iam_openid_connect_provider.ci", "oidc_thumbprints"),
        (
            "aws_iam_service_linked_role.beanstalk",
            "service_linked_role_description",
        ),
        (
            "aws_iam_service_linked_role.autoscaling",
            "service_linked_role_tags",
        ),
    ];
    let state = &s.applied.state;
    unit_reverts::perform(&s.moto, state, &s.recorded, &report(&d.json), &cases);
    unit_reverts::assert_undone(&report(&s.scan("json")), &cases);
}

/// The OIDC and SAML providers and the SSH key made by hand, imported: `plan --target`
/// generates their blocks, `apply` writes them, and terraform's own plan shows each as an
/// import with no change (the OIDC provider's URL written with the `https://` its
/// configuration needs; the key with the body and encoding the provider requires, neither of
/// them compared).
#[test]
fn identity_providers_and_an_ssh_key_made_by_hand_import_cleanly() {
    let Some((s, d)) = drifted() else { return };
    let oidc = format!("aws_iam_openid_connect_provider.{}", d.rogue_oidc_arn);
    let saml = format!("aws_iam_saml_provider.{}", d.rogue_saml_arn);
    let key = format!("aws_iam_user_ssh_key.{}", d.rogue_key_id);
    let v = s.plan_imports("imports.json", &[&oidc, &saml, &key]);
    let imports: Vec<(&str, &str)> = v["plan"]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap_or("?"),
                a["status"].as_str().unwrap_or("?"),
            )
        })
        .collect();
    assert_eq!(
        imports,
        [
            ("import", "planned"),
            ("import", "planned"),
            ("import", "planned")
        ],
        "{v:#}"
    );
    let generated = s.apply_imports("imports.json", &v);
    assert!(
        generated.contains("url             = \"https://gitlab.example.com\""),
        "{generated}"
    );
    assert!(
        generated.contains("  encoding   = \"SSH\"\n"),
        "{generated}"
    );
    assert!(
        generated.contains(&format!("  public_key = \"{ROGUE_KEY}\"\n")),
        "{generated}"
    );
    let imported = s.imported_types(&generated);
    assert_eq!(
        imported,
        [
            "aws_iam_openid_connect_provider",
            "aws_iam_saml_provider",
            "aws_iam_user_ssh_key"
        ],
        "{generated}"
    );
}
