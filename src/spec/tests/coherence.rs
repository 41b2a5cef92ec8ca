//! Every spec against the code that serves it (issue 15, "a type is one unit"): a spec is
//! data, and nothing but these checks ties it to the Rust that observes, reverts and imports
//! its type. For every spec under `providers/`:
//!
//! - every attribute it compares (and every identity attribute) is produced by the observer:
//!   the observer's own emit/convert functions run over SDK objects with every field set, and
//!   each such attribute must come out with a value (not null, `""`, `[]` or `{}`). A recorded
//!   observation fixture would not prove this: fixtures are JSON written by hand or by an older
//!   build, and a hand-written one holds whatever its author typed.
//! - every `revert` names a mapping that exists for that type and attribute: `planner::aws::revert`
//!   is run on a change of that attribute of that object and must plan at least one call, each
//!   an operation of the type's own service (and, in IAM, on its own kind of entity). A name
//!   from the closed list is not enough: `vpc_attribute` on a subnet, `update_user` on a VPC
//!   or `update_role` on a user all parse, and none of them puts the attribute back.
//! - every type has an import id in the provider's documented format (or says `no_import`),
//!   and a row in the generated docs/supported-resources.md; every import-only attribute
//!   (`import_only = true`) is produced by the observer too, or filled from what it produces
//!   (`value = "{id}"`), so imports never fall back to a placeholder for an observable value.
//!
//! A type that gains a spec and no sample here fails the first check: add its SDK object below.

use std::collections::BTreeMap;

use crate::diff::identity;
use crate::model::{
    Address, Attributes, Change, Drift, DriftKind, ObservedResource, Path, RecordedResource,
    StateSource, Value,
};
use crate::normalize::Side;
use crate::planner::aws::{Context, revert};
use crate::provider::aws::{Found, ec2, iam, supported_types};
use crate::spec::{Registry, ResourceSpec};

const REGION: &str = "us-east-1";

/// Every object the observer emits for SDK objects with every field it may read set, by type.
fn observed_samples() -> BTreeMap<String, Vec<Attributes>> {
    let mut found = Found::default();

    // Units bring their own samples (their conversion over full SDK objects).
    found
        .resources
        .extend(unit_samples().into_iter().map(|(resource, _)| resource));

    assert!(found.gaps.is_empty(), "samples left gaps: {:?}", found.gaps);
    let mut out: BTreeMap<String, Vec<Attributes>> = BTreeMap::new();
    for o in found.resources {
        out.entry(o.resource_type).or_default().push(o.attributes);
    }
    out
}

fn has_value(v: Option<&Value>) -> bool {
    v.is_some_and(|v| !v.is_empty_like())
}

/// The attributes a spec reads from an observed object: identity, fan-out and compared ones,
/// and the import-only ones written as observed (not filled from a `value`, not `optional`).
fn read_attributes(spec: &ResourceSpec) -> Vec<&str> {
    let mut names: Vec<&str> = spec
        .identity_names()
        .chain(spec.identity_fanout.iter().map(String::as_str))
        .chain(spec.attributes.iter().map(|a| a.name.as_str()))
        .chain(
            spec.import_only
                .iter()
                .filter(|a| a.import_value.is_none() && !a.import_optional)
                .map(|a| a.name.as_str()),
        )
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Failures of the observer check, for `registry`.
fn unobserved(registry: &Registry) -> Vec<String> {
    let samples = observed_samples();
    let mut failures = Vec::new();
    for spec in registry.specs() {
        let Some(objects) = samples.get(&spec.resource_type) else {
            failures.push(format!(
                "{}: the observer emits no `{}` for the samples (add its SDK object here)",
                spec.file, spec.resource_type
            ));
            continue;
        };
        for name in read_attributes(spec) {
            if !objects.iter().any(|a| has_value(a.get(name))) {
                failures.push(format!(
                    "{}: `{name}` is never produced by the observer (its convert function \
                     leaves it out or empty for an object that has it)",
                    spec.file
                ));
            }
        }
    }
    failures
}

#[test]
fn every_compared_attribute_is_produced_by_the_observer() {
    let registry = Registry::builtin().unwrap();
    let failures = unobserved(&registry);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // And the other way: every type the provider observes has a spec.
    let specs: Vec<&str> = registry.types().collect();
    assert_eq!(supported_types(), specs, "observed types and specs differ");
}

/// A different value of the same shape: what the cloud shows after someone changed it.
fn changed(v: &Value) -> Value {
    match v {
        Value::Bool(b) => Value::Bool(!b),
        Value::Number(n) => Value::Number(n + 1.0),
        Value::String(s) => Value::String(format!("{s}-changed")),
        // Blocks (rules, inline policies): the cloud lost them all; scalars: one more.
        Value::List(l) if l.iter().any(|x| x.as_map().is_some()) => Value::List(Vec::new()),
        Value::List(l) => {
            let mut l = l.clone();
            let extra = match l.first().and_then(Value::as_str) {
                Some(s) if s.starts_with("arn:") => format!("{s}-extra"),
                Some(s) if s.contains(':') => "2001:db8:ffff::/48".to_string(),
                Some(s) if s.starts_with("pl-") => "pl-extra".to_string(),
                Some(s) if s.starts_with("sg-") => "sg-extra".to_string(),
                _ => "192.0.2.0/24".to_string(),
            };
            l.push(Value::String(extra));
            Value::List(l)
        }
        Value::Map(m) => {
            let mut m = m.clone();
            m.insert("added-by-hand".into(), Value::str("yes"));
            Value::Map(m)
        }
        other => other.clone(),
    }
}

/// Failures of the revert check, for `registry`.
fn unmapped_reverts(registry: &Registry) -> Vec<String> {
    let samples = observed_samples();
    let mut failures = Vec::new();
    for spec in registry.specs() {
        for attr in spec.attributes.iter() {
            let Some(how) = attr.revert else { continue };
            // The observed object as the state would record it: the observer builds the
            // provider's shape.
            let Some(recorded) = samples
                .get(&spec.resource_type)
                .and_then(|objs| objs.iter().find(|a| has_value(a.get(&attr.name))))
            else {
                failures.push(format!("{}: no sample has `{}`", spec.file, attr.name));
                continue;
            };
            let before = recorded[&attr.name].clone();
            let after = changed(&before);
            let change = Change {
                path: Path::root(attr.name.clone()),
                before: before.clone(),
                after: after.clone(),
                recorded: before,
                observed: after,
            };
            let address = Address::managed(spec.resource_type.clone(), "x");
            let state = StateSource("terraform.tfstate".into());
            let drift = Drift {
                kind: DriftKind::Changed,
                resource_type: spec.resource_type.clone(),
                id: identity(spec, recorded, Side::Recorded, None)
                    .shown
                    .unwrap_or_default(),
                address: Some(address.clone()),
                state: Some(state.clone()),
                region: Some(REGION.into()),
                changes: vec![change.clone()],
                observed: None,
            };
            let recorded = RecordedResource {
                address,
                resource_type: spec.resource_type.clone(),
                provider: "provider[\"registry.terraform.io/hashicorp/aws\"]".into(),
                state,
                schema_version: 0,
                attributes: recorded.clone(),
            };
            let units = crate::provider::aws::unit_reverts();
            let ctx = Context {
                drift: &drift,
                recorded: &recorded,
                units: &units,
            };
            match revert(how, &ctx, &[&change]) {
                Ok(r) if !r.calls.is_empty() => {
                    // Calls of the type's own service, on the type's own IAM entity.
                    let foreign = match spec.resource_type.as_str() {
                        t if t.starts_with("aws_iam_role") => "User",
                        t if t.starts_with("aws_iam_user") => "Role",
                        _ => "",
                    };
                    for call in &r.calls {
                        let api = call.api();
                        if matches!(call, crate::model::plan::Call::Unit(_))
                            && !crate::provider::aws::executes(&api)
                        {
                            failures.push(format!(
                                "{}: revert `{}` of `{}` plans `{api}`, which no unit performs",
                                spec.file,
                                how.name(),
                                attr.name
                            ));
                        }
                        let (service, op) = api.split_once(':').unwrap_or_default();
                        if service != spec.service || (!foreign.is_empty() && op.contains(foreign))
                        {
                            failures.push(format!(
                                "{}: revert `{}` of `{}` plans `{api}`, not an operation on a `{}`",
                                spec.file,
                                how.name(),
                                attr.name,
                                spec.resource_type
                            ));
                        }
                    }
                }
                Ok(_) => failures.push(format!(
                    "{}: revert `{}` of `{}` plans no call",
                    spec.file,
                    how.name(),
                    attr.name
                )),
                Err(why) => failures.push(format!(
                    "{}: revert `{}` of `{}` has no mapping for this type: {why}",
                    spec.file,
                    how.name(),
                    attr.name
                )),
            }
        }
    }
    failures
}

#[test]
fn every_revert_names_a_mapping_that_exists_for_its_type() {
    let failures = unmapped_reverts(&Registry::builtin().unwrap());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every unit's samples: the observed object and the import id the provider documents for it.
fn unit_samples() -> Vec<(ObservedResource, String)> {
    ec2::UNITS
        .iter()
        .map(|unit| unit.samples)
        .chain(iam::UNITS.iter().map(|unit| unit.samples))
        .flat_map(|samples| samples())
        .map(|sample| (sample.resource, sample.import_id))
        .collect()
}

/// The import id terraform's AWS provider documents for a type (its "Import" section), built
/// from an observed object: a unit's sample says it; for the types not yet in units (IAM),
/// this table. `None`: neither.
fn documented_import_id(ty: &str, a: &Attributes) -> Option<String> {
    unit_samples()
        .into_iter()
        .find(|(r, _)| r.resource_type == ty && &r.attributes == a)
        .map(|(_, id)| id)
}

/// Types whose unmanaged objects get an import id the provider does not accept, and why. Each
/// entry must still be wrong (the test fails once it is fixed, so the list cannot go stale).
const IMPORT_ID_KNOWN_WRONG: &[(&str, &str)] = &[(
    "aws_security_group_rule",
    "the plan would import with driftgate's identity (`sg-1/ingress/tcp/443/443/cidr_blocks=...`); \
     the provider wants `sg-1_ingress_tcp_443_443_10.0.0.0/16`. Latent today: every scan \
     observes all types, so an EC2 rule's primary view (the unmanaged finding) is its \
     `aws_vpc_security_group_*_rule`, whose `sgr-` id is right",
)];

/// The name an import gives a sample object (no state records its parents).
fn import_name(spec: &ResourceSpec, a: &Attributes) -> String {
    let drift = Drift {
        kind: DriftKind::Unmanaged,
        resource_type: spec.resource_type.clone(),
        id: identity(spec, a, Side::Observed, None)
            .shown
            .unwrap_or_default(),
        address: None,
        state: None,
        region: Some(REGION.into()),
        changes: Vec::new(),
        observed: Some(a.clone()),
    };
    crate::planner::import::resource_name(spec, &drift, &|_, _| None)
}

/// Failures of the import name check: every importable sample's name is a terraform
/// identifier that starts with a letter (never `_0`), filled from its spec's `import_name`
/// where it has one, and two samples of a type with different import ids get different names.
fn import_name_failures(registry: &Registry) -> Vec<String> {
    let samples = observed_samples();
    let mut failures = Vec::new();
    for spec in registry.specs().filter(|s| s.no_import.is_none()) {
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for a in samples.get(&spec.resource_type).into_iter().flatten() {
            let name = import_name(spec, a);
            let valid = name.starts_with(|c: char| c.is_ascii_alphabetic())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                failures.push(format!(
                    "{}: import name `{name}` is not a readable identifier (give the spec an \
                     `import_name`)",
                    spec.file
                ));
            }
            for part in spec.import_name.iter().flat_map(|t| t.split('{').skip(1)) {
                let part = part.split('}').next().unwrap_or_default();
                if !crate::spec::alternatives(part).any(|n| has_value(a.get(n))) {
                    failures.push(format!(
                        "{}: import name: no `{part}` in the sample",
                        spec.file
                    ));
                }
            }
            let id = identity(spec, a, Side::Observed, None)
                .shown
                .map(|id| spec.import_id_of(a, &id).unwrap_or_else(|e| e))
                .unwrap_or_default();
            if let Some(other) = seen.insert(name.clone(), id.clone())
                && other != id
            {
                failures.push(format!(
                    "{}: import name `{name}` for both {other:?} and {id:?}",
                    spec.file
                ));
            }
        }
    }
    failures
}

#[test]
fn every_import_gets_a_readable_unique_name() {
    let failures = import_name_failures(&Registry::builtin().unwrap());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Failures of the import id and documentation check, for `registry`.
fn import_and_doc_failures(registry: &Registry, doc: &str) -> Vec<String> {
    let samples = observed_samples();
    let mut failures = Vec::new();
    for spec in registry.specs() {
        let ty = spec.resource_type.as_str();
        if !doc.lines().any(|l| l.starts_with(&format!("| `{ty}` |"))) {
            failures.push(format!(
                "{}: no row in docs/supported-resources.md",
                spec.file
            ));
        }
        let Some(objects) = samples.get(ty) else {
            failures.push(format!("{}: no observed sample", spec.file));
            continue;
        };
        let known_wrong = IMPORT_ID_KNOWN_WRONG.iter().any(|(t, _)| *t == ty);
        for a in objects {
            let Some(documented) = documented_import_id(ty, a) else {
                failures.push(format!(
                    "{}: no documented import id format for `{ty}` (add it to this test)",
                    spec.file
                ));
                break;
            };
            // Types the provider has no importer for say why in their spec (`no_import`);
            // their units' samples say so with an empty import id, and nothing else may.
            let no_import = spec.no_import.is_some();
            if documented.is_empty() != no_import {
                failures.push(format!(
                    "{}: an empty import id is for the types whose spec says `no_import` only",
                    spec.file
                ));
            }
            if no_import {
                continue;
            }
            // Import-only values filled from the object: every placeholder is produced.
            for attr in &spec.import_only {
                let templates = match &attr.import_value {
                    Some(Value::List(l)) => l.iter().filter_map(Value::as_str).collect(),
                    Some(v) => v.as_str().into_iter().collect(),
                    None => Vec::new(),
                };
                for t in templates {
                    if let Err(e) = crate::spec::fill(t, a, str::to_string) {
                        failures.push(format!("{}: import-only `{}`: {e}", spec.file, attr.name));
                    }
                }
            }
            // What `plan` writes into `import { id = ... }`: the unmanaged finding's id.
            let planned = identity(spec, a, Side::Observed, None)
                .shown
                .map(|id| spec.import_id_of(a, &id).unwrap_or_else(|e| e));
            let right = planned.as_deref() == Some(documented.as_str());
            if right == known_wrong {
                failures.push(format!(
                    "{}: import id {planned:?}, the provider documents {documented:?}{}",
                    spec.file,
                    if known_wrong {
                        " (now right: remove it from IMPORT_ID_KNOWN_WRONG)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    failures
}

#[test]
fn every_type_has_an_import_id_and_a_documented_row() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/supported-resources.md"),
    )
    .unwrap();
    let failures = import_and_doc_failures(&Registry::builtin().unwrap(), &doc);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The builtin specs with one text replaced in one file.
fn broken(file: &str, from: &str, to: &str) -> Registry {
    let files: Vec<(&str, String)> = crate::spec::SPEC_FILES
        .iter()
        .map(|(f, text)| {
            if *f == file {
                assert!(text.contains(from), "{file} has no `{from}`");
                (*f, text.replacen(from, to, 1))
            } else {
                (*f, text.to_string())
            }
        })
        .collect();
    Registry::from_sources(files.iter().map(|(f, t)| (*f, t.as_str()))).unwrap()
}

fn reports(failures: &[String], file: &str, words: &str) -> bool {
    failures
        .iter()
        .any(|f| f.starts_with(file) && f.contains(words))
}

/// Each check above fails when one spec is broken the way it guards against.
#[test]
fn each_check_fails_on_a_broken_spec() {
    let doc = Registry::builtin().unwrap().supported_types_markdown();
    let reverts: &dyn Fn(&Registry) -> Vec<String> = &unmapped_reverts;
    let observer: &dyn Fn(&Registry) -> Vec<String> = &unobserved;
    let import_ids: &dyn Fn(&Registry) -> Vec<String> = &|r| import_and_doc_failures(r, &doc);
    let names: &dyn Fn(&Registry) -> Vec<String> = &import_name_failures;
    // (what is broken, spec file, text, replaced by, the check, what it must report)
    let cases = [
        (
            "a revert from the closed list with no mapping for the type's attribute",
            "aws/ec2/aws_subnet.hcl",
            "revert  = \"subnet_attribute\"",
            "revert  = \"vpc_attribute\"",
            reverts,
            "has no mapping for this type",
        ),
        (
            "a unit revert no unit provides (a typo becomes an unknown unit revert)",
            "aws/ec2/aws_subnet.hcl",
            "revert  = \"subnet_attribute\"",
            "revert  = \"subnet_atribute\"",
            reverts,
            "no unit provides the revert `subnet_atribute`",
        ),
        (
            "a revert that plans calls on another kind of IAM entity",
            "aws/iam/aws_iam_user.hcl",
            "\"update_user\"",
            "\"update_role\"",
            reverts,
            "plans `iam:UpdateRole`",
        ),
        (
            "an attribute the observer does not produce",
            "aws/iam/aws_iam_user.hcl",
            "attribute \"name\" { immutable = true }",
            "attribute \"name\" { immutable = true }\n  attribute \"login_profile\" {}",
            observer,
            "`login_profile` is never produced",
        ),
        (
            "an identity that is not the provider's import id",
            "aws/iam/aws_iam_role_policy.hcl",
            "identity_separator = \":\"",
            "identity_separator = \"/\"",
            import_ids,
            "the provider documents \"app:inline\"",
        ),
        (
            "an import-only value filled from an attribute the observer does not produce",
            "aws/ec2/aws_default_network_acl.hcl",
            "value       = \"{id}\"",
            "value       = \"{acl_id}\"",
            import_ids,
            "import-only `default_network_acl_id`: no `acl_id`",
        ),
        (
            "an import-only attribute written as observed, which the observer does not produce",
            "aws/ec2/aws_key_pair.hcl",
            "attribute \"public_key\" {",
            "attribute \"public_key_material\" {",
            observer,
            "`public_key_material` is never produced",
        ),
        (
            "a name template that leaves the distinguishing part out",
            "aws/ec2/aws_route.hcl",
            "import_name = \"{route_table_id}_{destination_cidr_block|destination_ipv6_cidr_block|destination_prefix_list_id}\"",
            "import_name = \"{route_table_id}\"",
            names,
            "import name `rtb_1` for both",
        ),
        (
            "no template where the id's last segment is a number",
            "aws/ec2/aws_network_acl_rule.hcl",
            "  import_name = \"{network_acl_id}_{egress}_{rule_number}\"\n",
            "",
            names,
            "`_100` is not a readable",
        ),
    ];
    for (what, file, from, to, check, words) in cases {
        let f = check(&broken(file, from, to));
        assert!(reports(&f, file, words), "{what}: {f:?}");
    }
    // A type without its row in the docs.
    let without_vpc: String = doc
        .lines()
        .filter(|l| !l.starts_with("| `aws_vpc` |"))
        .map(|l| format!("{l}\n"))
        .collect();
    let f = import_and_doc_failures(&Registry::builtin().unwrap(), &without_vpc);
    assert!(reports(&f, "aws/ec2/aws_vpc.hcl", "no row"), "{f:?}");
    // A new type with a spec and nothing else.
    let mut files: Vec<(&str, &str)> = crate::spec::SPEC_FILES.to_vec();
    let new = "resource \"aws_vpc_endpoint_service\" {\n  service = \"ec2\"\n  attribute \"vpc_id\" {}\n}\n";
    files.push(("aws/ec2/aws_vpc_endpoint_service.hcl", new));
    let r = Registry::from_sources(files).unwrap();
    let f = unobserved(&r);
    assert!(
        reports(
            &f,
            "aws/ec2/aws_vpc_endpoint_service.hcl",
            "emits no `aws_vpc_endpoint_service`"
        ),
        "{f:?}"
    );
    let f = import_and_doc_failures(&r, &doc);
    assert!(
        reports(&f, "aws/ec2/aws_vpc_endpoint_service.hcl", "no row"),
        "{f:?}"
    );
}
