//! A small hand-built report with one of everything a renderer must handle: a changed
//! resource with a secret, an IAM document change, a missing and an unmanaged resource, gaps
//! and not-checked resources. Test-only.

use std::collections::BTreeMap;

use crate::policy::Policy;

use crate::model::{
    Address, Attributes, Change, Drift, DriftKind, Gap, InstanceKey, NotChecked, NotCheckedReason,
    Path, ScanReport, Secret, StateSource, Summary, Value,
};

/// A secret that must appear in no output.
pub const SECRET: &str = "hunter2-do-not-print";

fn state() -> StateSource {
    StateSource("envs/prod/terraform.tfstate".into())
}

fn attrs(entries: &[(&str, Value)]) -> Attributes {
    entries
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

const POLICY_BEFORE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
const POLICY_AFTER: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["ec2.amazonaws.com","lambda.amazonaws.com"]},"Action":"sts:AssumeRole"}]}"#;

/// A policy document as the scan compares it.
fn canonical(doc: &str) -> Value {
    Value::str(crate::normalize::iam::canonical_document(doc).unwrap_or_default())
}

pub fn sample_report() -> ScanReport {
    let web = Drift {
        kind: DriftKind::Changed,
        resource_type: "aws_instance".into(),
        id: "i-0abc123".into(),
        address: Some(Address::managed("aws_instance", "web").in_module("app", None)),
        state: Some(state()),
        region: Some("us-east-1".into()),
        changes: vec![
            Change::new(
                Path::root("instance_type"),
                Value::str("t3.micro"),
                Value::str("t3.large"),
            ),
            Change::new(
                Path::root("tags").key("kubernetes.io/role"),
                Value::Null,
                Value::str("node"),
            ),
            Change::new(
                Path::root("tags").key("team"),
                Value::str("core"),
                Value::str("platform"),
            ),
            Change::new(
                Path::root("user_data"),
                Value::sensitive(Value::str(SECRET)),
                Value::Sensitive(Secret::Fingerprint(
                    "hmac-sha256:00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff00ff"
                        .into(),
                )),
            ),
        ],
        observed: None,
    };
    let role = Drift {
        kind: DriftKind::Changed,
        resource_type: "aws_iam_role".into(),
        id: "app".into(),
        address: Some(Address::managed("aws_iam_role", "app")),
        state: Some(state()),
        region: None,
        changes: vec![
            Change {
                path: Path::root("assume_role_policy"),
                before: canonical(POLICY_BEFORE),
                after: canonical(POLICY_AFTER),
                recorded: Value::str(POLICY_BEFORE),
                observed: Value::str(POLICY_AFTER),
            },
            Change::new(
                Path::root("max_session_duration"),
                Value::from(3600),
                Value::from(7200),
            ),
        ],
        observed: None,
    };
    let sg = Drift {
        kind: DriftKind::Missing,
        resource_type: "aws_security_group".into(),
        id: "sg-0123".into(),
        address: Some(
            Address::managed("aws_security_group", "db").with_key(InstanceKey::Str("a".into())),
        ),
        state: Some(state()),
        region: Some("us-east-1".into()),
        changes: vec![],
        observed: None,
    };
    let user = Drift {
        kind: DriftKind::Unmanaged,
        resource_type: "aws_iam_user".into(),
        id: "intruder".into(),
        address: None,
        state: None,
        region: None,
        changes: vec![],
        observed: Some(attrs(&[
            ("name", Value::str("intruder")),
            ("path", Value::str("/")),
            (
                "tags",
                Value::Map(BTreeMap::from([(
                    "owner".to_string(),
                    Value::str("nobody"),
                )])),
            ),
            ("login_password", Value::sensitive(Value::str(SECRET))),
        ])),
    };
    ScanReport {
        states: vec![state()],
        lineages: BTreeMap::from([(state(), "0d4c1f5e-7a2b-4c8e-9f3d-2b1a6e5c8d70".into())]),
        regions: vec!["us-east-1".into()],
        summary: Summary {
            recorded: 7,
            observed: 6,
            checked: 4,
            changed: 2,
            missing: 1,
            unmanaged: 1,
            not_checked: 3,
        },
        findings: [web, role, sg, user]
            .into_iter()
            .map(|d| crate::policy::classify::classify_drift(d, &Policy::default()))
            .collect(),
        not_checked: vec![
            NotChecked {
                resource_type: "aws_s3_bucket".into(),
                address: Address::managed("aws_s3_bucket", "logs"),
                state: state(),
                reason: NotCheckedReason::UnsupportedType,
            },
            NotChecked {
                resource_type: "aws_instance".into(),
                address: Address::managed("aws_instance", "eu"),
                state: state(),
                reason: NotCheckedReason::RegionNotScanned("eu-west-1".into()),
            },
            NotChecked {
                resource_type: "aws_iam_policy".into(),
                address: Address::managed("aws_iam_policy", "ro"),
                state: state(),
                reason: NotCheckedReason::Unobserved,
            },
        ],
        gaps: vec![
            Gap {
                service: "iam".into(),
                region: None,
                operation: "ListPolicies".into(),
                resource_types: vec!["aws_iam_policy".into()],
                reason: "AccessDenied: not authorized to perform iam:ListPolicies".into(),
                detail: None,
            },
            // An SDK failure that quotes the endpoint it called, with credentials in the URL
            // (user information and a presigned signature): only masked text may show it.
            Gap {
                service: "s3".into(),
                region: Some("us-east-1".into()),
                operation: "GetBucketPolicy".into(),
                resource_types: vec!["aws_s3_bucket_policy".into()],
                reason: format!(
                    "dispatch failure: io error calling https://ops:{SECRET}@s3.amazonaws.com/logs?X-Amz-Signature={SECRET}"
                ),
                detail: Some(format!(
                    "DispatchFailure(ConnectorError {{ source: \"error sending request for url (https://ops:{SECRET}@s3.us-east-1.amazonaws.com/logs?X-Amz-Credential=AKIAEXAMPLE&X-Amz-Signature={SECRET})\" }})"
                )),
            },
        ],
        strict: false,
        ..ScanReport::default()
    }
}

/// [`sample_report`] with the sections it leaves empty filled too: an ignored finding, an
/// expired ignore and pending configuration (an attribute that differs, a resource to create).
pub fn rich_report() -> ScanReport {
    use crate::model::{ExpiredIgnore, IgnoreMatch, Pending, PendingKind, SourceLocation};
    let mut report = sample_report();
    report.ignored.push(report.findings[0].clone());
    report.expired_ignores.push(ExpiredIgnore {
        ignore: IgnoreMatch {
            pattern: "address = \"aws_iam_role.ci_*\"".into(),
            reason: Some("rotating <soon>".into()),
            owner: Some("ops".into()),
            expires: Some(time::macros::date!(2026 - 11 - 30)),
            source: "driftgate.hcl:12".into(),
        },
        would_match: vec!["aws_iam_role.ci_a".into(), "aws_iam_role.ci_b".into()],
    });
    report.pending.push(Pending {
        kind: PendingKind::AttributeDiffers,
        address: "aws_instance.web".into(),
        resource_type: "aws_instance".into(),
        path: Some(Path::root("tags").key("team")),
        desired: Value::str("platform"),
        recorded: Value::str("infra & ops"),
        source: Some(SourceLocation {
            file: "main.tf".into(),
            line: 7,
        }),
    });
    report.pending.push(Pending {
        kind: PendingKind::NotYetCreated,
        address: "aws_s3_bucket.new".into(),
        resource_type: "aws_s3_bucket".into(),
        path: None,
        desired: Value::Null,
        recorded: Value::Null,
        source: None,
    });
    report
}
