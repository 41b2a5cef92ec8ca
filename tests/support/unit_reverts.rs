//! The units' reverts of a drifted live IAM stack, planned from its scan's findings and its
//! state and performed through `provider::aws::execute` against moto, the way `apply` runs
//! them (`iam_groups`, `iam_misc`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value as Json;

use super::moto::Moto;
use super::report::model_value;

/// Plans each `(address, revert name)` of `cases` from its finding in `report` and its
/// recorded `attributes` by address (the state at `state`), and performs every call it plans.
pub fn perform(
    moto: &Moto,
    state: &Path,
    attributes: &BTreeMap<String, Json>,
    report: &Json,
    cases: &[(&str, &str)],
) {
    use driftgate::model::plan::{Arg, RevertInput};
    use driftgate::model::{Address, Drift, DriftKind, RecordedResource, StateSource};
    let reverts = driftgate::provider::aws::unit_reverts();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let conf = rt.block_on(moto.sdk_config());
    let ec2 = aws_sdk_ec2::Client::new(&conf);
    let iam = aws_sdk_iam::Client::new(&conf);
    for &(address, name) in cases {
        let finding = report["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|f| f["address"] == address)
            .unwrap_or_else(|| panic!("no finding for {address}"));
        let (ty, local) = address.split_once('.').unwrap();
        let recorded = RecordedResource {
            address: Address::managed(ty, local),
            resource_type: ty.to_string(),
            provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
            state: StateSource(state.display().to_string()),
            schema_version: 0,
            attributes: match model_value(&attributes[address]) {
                // What terraform recorded, without the test-side note of its sensitive paths.
                driftgate::model::Value::Map(mut m) => {
                    m.remove("__sensitive_attributes");
                    m
                }
                _ => panic!("{address}: attributes are not an object"),
            },
        };
        // A change's path as the report writes it: `status`, or `tags.team`.
        let changes: Vec<driftgate::model::Change> = finding["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                let text = c["path"].as_str().unwrap();
                let path = match text.split_once('.') {
                    Some((attribute, key)) => driftgate::model::Path::root(attribute).key(key),
                    None => driftgate::model::Path::root(text),
                };
                driftgate::model::Change::new(
                    path,
                    model_value(&c["before"]),
                    model_value(&c["after"]),
                )
            })
            .collect();
        let drift = Drift {
            kind: DriftKind::Changed,
            resource_type: ty.to_string(),
            id: finding["id"].as_str().unwrap_or_default().to_string(),
            address: Some(recorded.address.clone()),
            state: Some(recorded.state.clone()),
            region: None,
            changes: changes.clone(),
            observed: None,
        };
        let refs: Vec<&driftgate::model::Change> = changes.iter().collect();
        let input = RevertInput {
            drift: &drift,
            recorded: &recorded,
            changes: &refs,
        };
        let revert = reverts
            .iter()
            .find(|u| u.name == name && u.types.contains(&ty))
            .unwrap_or_else(|| panic!("no unit revert `{name}` for {ty}"));
        let calls = (revert.plan)(&input).unwrap_or_else(|e| panic!("{address}: {e}"));
        assert!(!calls.is_empty(), "{address}: no call planned");
        for call in calls {
            assert!(
                driftgate::provider::aws::executes(&call.api()),
                "{}",
                call.api()
            );
            let args = call
                .args
                .iter()
                .map(|(k, a)| match a {
                    Arg::Value(v) => (k.clone(), v.clone()),
                    Arg::FromState(_) => panic!("{address}: nothing here is sensitive"),
                })
                .collect();
            rt.block_on(driftgate::provider::aws::execute(&ec2, &iam, &call, &args))
                .unwrap_or_else(|e| panic!("{}: {e}", call.api()));
        }
    }
}

/// No finding of `again` (the rescan) is about an address of `cases`.
pub fn assert_undone(again: &Json, cases: &[(&str, &str)]) {
    let left: BTreeSet<String> = again["findings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| f["address"].as_str().map(str::to_string))
        .collect();
    for (address, _) in cases {
        assert!(
            !left.contains(*address),
            "{address} is still drifted: {again:#}"
        );
    }
}
