//! The properties the design names (docs/architecture.md, "Tests"), over values proptest builds:
//! - `diff(a, a)` is empty: for any attribute tree, and for a whole scan whose observation
//!   holds exactly what the states recorded;
//! - reconcile ignores input order: permuting the states' resources and the observation's
//!   resources gives the identical report.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::model::{Address, DiffReport, Path, Secret, StateSource};

/// Any value a state or an observation can hold (finite numbers: JSON has no NaN).
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-1.0e9..1.0e9f64).prop_map(Value::Number),
        "[a-z0-9./:*-]{0,12}".prop_map(Value::String),
        Just(Value::Unknown),
        "[a-f0-9]{8}".prop_map(|f| Value::Sensitive(Secret::Fingerprint(f))),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            proptest::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4)
                .prop_map(Value::Map),
            inner.prop_map(Value::sensitive),
        ]
    })
}

fn tags() -> impl Strategy<Value = Value> {
    proptest::collection::btree_map("[a-z]{1,5}", "[a-z0-9]{0,5}".prop_map(Value::str), 0..3)
        .prop_map(Value::Map)
}

/// One managed object, as both sides would hold it: `(type, id, attributes)`.
fn object() -> impl Strategy<Value = (String, String, Attributes)> {
    prop_oneof![
        (0u8..40, tags()).prop_map(|(n, tags)| {
            let id = format!("vpc-{n:04x}");
            let attrs: Attributes = [
                ("id".to_string(), Value::str(&id)),
                (
                    "cidr_block".to_string(),
                    Value::str(format!("10.{n}.0.0/16")),
                ),
                ("tags".to_string(), tags),
            ]
            .into_iter()
            .collect();
            ("aws_vpc".to_string(), id, attrs)
        }),
        (0u8..40, tags()).prop_map(|(n, tags)| {
            let id = format!("role-{n}");
            let attrs: Attributes = [
                ("id".to_string(), Value::str(&id)),
                ("name".to_string(), Value::str(&id)),
                ("tags".to_string(), tags),
            ]
            .into_iter()
            .collect();
            ("aws_iam_role".to_string(), id, attrs)
        }),
    ]
}

fn recorded(ty: &str, id: &str, attributes: Attributes) -> RecordedResource {
    RecordedResource {
        address: Address::managed(ty, id.replace(['-', '.'], "_")),
        resource_type: ty.to_string(),
        provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
        state: StateSource("terraform.tfstate".into()),
        schema_version: 0,
        attributes,
    }
}

fn observed(ty: &str, id: &str, attributes: Attributes) -> ObservedResource {
    ObservedResource {
        resource_type: ty.to_string(),
        cloud_id: id.to_string(),
        primary: true,
        region: (!ty.starts_with("aws_iam")).then(|| "us-east-1".to_string()),
        owner: Owner::User,
        attributes,
    }
}

fn scan_of(
    registry: &Registry,
    recorded: Vec<RecordedResource>,
    observed: Vec<ObservedResource>,
) -> DiffReport {
    let states = [RecordedState {
        source: StateSource("terraform.tfstate".into()),
        terraform_version: "1.11.4".into(),
        serial: 1,
        lineage: "x".into(),
        sha256: String::new(),
        resources: recorded,
    }];
    let observation = Observation {
        regions: vec!["us-east-1".into()],
        resource_types: registry.types().map(str::to_string).collect(),
        resources: observed,
        gaps: Vec::new(),
        api_calls: BTreeMap::new(),
        api_ms: BTreeMap::new(),
        paced_ms: BTreeMap::new(),
    };
    scan(&ScanInput {
        registry,
        states: &states,
        observation: &observation,
        strict: false,
        fingerprint: None,
    })
}

/// Objects with distinct ids (one cloud object per id).
fn objects() -> impl Strategy<Value = Vec<(String, String, Attributes)>> {
    proptest::collection::vec(object(), 0..8).prop_map(|mut v| {
        v.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        v.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
        v
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn a_tree_diffed_with_itself_has_no_changes(v in value()) {
        let mut out = Vec::new();
        tree::diff(&Path::root("a"), &v, &v, None, &mut out);
        prop_assert!(out.is_empty(), "{v:?} differs from itself: {out:?}");
    }

    #[test]
    fn a_scan_of_exactly_what_was_recorded_finds_nothing(objects in objects()) {
        let registry = Registry::builtin().unwrap();
        let rec = objects.iter().map(|(t, id, a)| recorded(t, id, a.clone())).collect();
        let obs = objects.iter().map(|(t, id, a)| observed(t, id, a.clone())).collect();
        let report = scan_of(&registry, rec, obs);
        prop_assert!(report.drifts.is_empty(), "{:#?}", report.drifts);
        prop_assert!(report.gaps.is_empty() && report.not_checked.is_empty());
    }

    #[test]
    fn reconcile_ignores_input_order(
        (recorded_objs, observed_objs, rec_perm, obs_perm) in (objects(), objects()).prop_flat_map(|(r, o)| {
            let rn: Vec<usize> = (0..r.len()).collect();
            let on: Vec<usize> = (0..o.len()).collect();
            (Just(r), Just(o), Just(rn).prop_shuffle(), Just(on).prop_shuffle())
        })
    ) {
        let registry = Registry::builtin().unwrap();
        let rec: Vec<RecordedResource> =
            recorded_objs.iter().map(|(t, id, a)| recorded(t, id, a.clone())).collect();
        let obs: Vec<ObservedResource> =
            observed_objs.iter().map(|(t, id, a)| observed(t, id, a.clone())).collect();
        let first = scan_of(&registry, rec.clone(), obs.clone());
        let rec2 = rec_perm.iter().map(|&i| rec[i].clone()).collect();
        let obs2 = obs_perm.iter().map(|&i| obs[i].clone()).collect();
        let second = scan_of(&registry, rec2, obs2);
        prop_assert_eq!(first, second);
    }
}
