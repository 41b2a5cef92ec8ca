//! `aws_ebs_encryption_by_default`: GetEbsEncryptionByDefault, a setting of the account in each
//! region. There is exactly one per region and it always exists, so it is never unmanaged: it
//! is AWS's object (`Owner::Aws`) that a state may configure. The provider's id is a random
//! unique id and its import id is the word `default`; a state's resource is matched to the
//! region's setting through the `setting` key, `default` on both sides (see the spec).

use aws_sdk_ec2::Client;

use super::{Args, Cx, Executed, Found, Sample, Unit, call_error};
use crate::model::plan::{RevertInput, UnitCall, UnitRevert};
use crate::model::{Attributes, Owner};

const TYPE: &str = "aws_ebs_encryption_by_default";
const TYPES: &[&str] = &[TYPE];
/// The provider's import id, and the key every region's one setting is matched by.
const SETTING: &str = "default";

pub const UNIT: Unit = Unit::new("ebs encryption by default", TYPES, list, samples).calls(
    REVERTS,
    &[ENABLE, DISABLE],
    execute,
);

const ENABLE: &str = "EnableEbsEncryptionByDefault";
const DISABLE: &str = "DisableEbsEncryptionByDefault";

const REVERTS: &[UnitRevert] = &[UnitRevert::new(
    "ebs_encryption_by_default",
    TYPES,
    plan_setting,
)];

/// Turns the region's setting back to its recorded value (the call is made in the region the
/// setting was observed in).
fn plan_setting(input: &RevertInput<'_>) -> Result<Vec<UnitCall>, String> {
    let Some(change) = input.changes.first() else {
        return Ok(Vec::new());
    };
    let operation = match change.before.as_bool() {
        Some(true) => ENABLE,
        Some(false) => DISABLE,
        None => return Err("no recorded `enabled` to put back".into()),
    };
    Ok(vec![UnitCall::new("ec2", operation, &input.drift.id)])
}

fn execute<'a>(client: &'a Client, call: &'a UnitCall, _: &'a Args) -> Executed<'a> {
    Box::pin(async move {
        match call.operation.as_str() {
            ENABLE => client
                .enable_ebs_encryption_by_default()
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            DISABLE => client
                .disable_ebs_encryption_by_default()
                .send()
                .await
                .map(|_| ())
                .map_err(call_error),
            other => Err(format!("{other}: not an operation of this unit")),
        }
    })
}

fn list(cx: &Cx) -> super::Listed<'_> {
    Box::pin(async move {
        match cx.client.get_ebs_encryption_by_default().send().await {
            Ok(out) => {
                let mut found = Found::default();
                found.resources.push(cx.view(
                    TYPE,
                    SETTING,
                    Owner::Aws("the region's EBS encryption setting".into()),
                    attributes(out.ebs_encryption_by_default()),
                ));
                found
            }
            Err(e) => Found::gap(crate::provider::aws::calls::gap(
                "ec2",
                Some(&cx.region),
                "GetEbsEncryptionByDefault",
                TYPES,
                crate::provider::aws::calls::failure_reason(&e),
            )),
        }
    })
}

/// The setting as the provider records it.
pub fn attributes(enabled: Option<bool>) -> Attributes {
    let mut a = Attributes::new();
    a.insert("setting".into(), SETTING.into());
    a.insert("enabled".into(), enabled.unwrap_or(false).into());
    a
}

fn samples() -> Vec<Sample> {
    vec![Sample {
        resource: super::view(
            TYPE,
            SETTING,
            true,
            "us-east-1",
            Owner::Aws("the region's EBS encryption setting".into()),
            attributes(Some(true)),
        ),
        import_id: SETTING.into(),
    }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Address, Change, Drift, DriftKind, Path, RecordedResource, StateSource, Value,
    };

    fn plan(before: bool) -> Vec<UnitCall> {
        let change = Change::new(
            Path::root("enabled"),
            Value::Bool(before),
            Value::Bool(!before),
        );
        let drift = Drift {
            kind: DriftKind::Changed,
            resource_type: TYPE.into(),
            id: SETTING.into(),
            address: Some(Address::managed(TYPE, "on")),
            state: None,
            region: Some("eu-west-1".into()),
            changes: vec![change.clone()],
            observed: None,
        };
        let recorded = RecordedResource {
            address: Address::managed(TYPE, "on"),
            resource_type: TYPE.into(),
            provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
            state: StateSource("terraform.tfstate".into()),
            schema_version: 0,
            attributes: [("enabled".to_string(), Value::Bool(before))].into(),
        };
        plan_setting(&RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &[&change],
        })
        .unwrap()
    }

    #[test]
    fn the_recorded_setting_is_put_back() {
        assert_eq!(plan(true), vec![UnitCall::new("ec2", ENABLE, "default")]);
        assert_eq!(plan(false), vec![UnitCall::new("ec2", DISABLE, "default")]);
    }
}
